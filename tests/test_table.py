"""Tests of the computed Q3 table: stable natural-log softmax, SVM zeros, the assignment's log10."""

import dataclasses
import math

import mpmath
import pytest

from derive.numeric.gradcheck import relative_error
from derive.table import (
    ASSIGNMENT_SCORES,
    TableRow,
    assignment_log10_loss,
    comparison_table,
    format_table_text,
)

# -ln p_correct for the three rows. The first two agree with the issue. The issue's third value,
# 3.3783745935565e-48, is wrong from the 4th digit: it is what mpmath prints at 50 digits for
# -log(e^10 / (e^10 + 2 e^-100)), where 1 - p ~ 3e-48 leaves only a couple of correct digits.
# The true value is log1p(2 e^-110) = 3.37782376044906467...e-48 (confirmed at 120 digits below).
EXPECTED_LN = (9.1760504959e-4, 0.55144471393, 3.3778237604490647e-48)
ISSUE_THIRD_VALUE = 3.3783745935565e-48
ASSIGNMENT_LOG10_OUTPUT = (0.0003985108096053745, 0.23948939633540703, 0.0)


def mp_softmax_loss(scores: tuple[float, ...], correct: int = 0) -> mpmath.mpf:
    """-ln p_correct at 50 digits, written as log1p of a sum so that no digits cancel."""
    with mpmath.workdps(50):
        s_c = mpmath.mpf(scores[correct])
        top = max(mpmath.mpf(s) for s in scores)
        if s_c == top:
            others = [mpmath.mpf(s) for j, s in enumerate(scores) if j != correct]
            return +mpmath.log1p(sum(mpmath.exp(s - s_c) for s in others))
        return top - s_c + mpmath.log(sum(mpmath.exp(mpmath.mpf(s) - top) for s in scores))


def test_natural_log_values_match_expected_and_mpmath() -> None:
    """Each softmax value is within 1e-9 of the expected number and of a 50-digit computation."""
    rows = comparison_table()
    for row, expected in zip(rows, EXPECTED_LN, strict=True):
        assert row.softmax > 0.0
        assert relative_error(row.softmax, expected) <= 1e-9
        assert relative_error(row.softmax, float(mp_softmax_loss(row.scores))) <= 1e-12


def test_third_row_is_not_zero_and_the_issue_value_is_a_precision_artifact() -> None:
    """The third loss is 2e^-110 to full precision; the issue's value comes from cancellation."""
    third = comparison_table()[2].softmax
    with mpmath.workdps(120):  # enough digits that 1 - p keeps 70 of them
        p = mpmath.exp(10) / (mpmath.exp(10) + 2 * mpmath.exp(-100))
        direct = -mpmath.log(p)
    assert relative_error(third, float(direct)) <= 1e-14
    assert relative_error(third, float(mp_softmax_loss((10, -100, -100)))) <= 1e-14
    with mpmath.workdps(50):
        naive50 = -mpmath.log(mpmath.exp(10) / (mpmath.exp(10) + 2 * mpmath.exp(-100)))
    assert relative_error(float(naive50), ISSUE_THIRD_VALUE) <= 1e-12
    assert relative_error(third, ISSUE_THIRD_VALUE) > 1e-4


def test_svm_is_zero_for_all_rows() -> None:
    """The correct class wins by more than the margin in every row, so the hinge loss is 0."""
    assert [row.svm for row in comparison_table()] == [0.0, 0.0, 0.0]


def test_log10_column_reproduces_the_assignment_output() -> None:
    """The assignment's printed numbers, including the third one being exactly 0.0."""
    rows = comparison_table()
    for row, printed in zip(rows[:2], ASSIGNMENT_LOG10_OUTPUT[:2], strict=True):
        assert relative_error(row.softmax_log10, printed) <= 1e-12
    assert rows[2].softmax_log10 == 0.0
    assert math.copysign(1.0, rows[2].softmax_log10) == 1.0  # 0.0, not -0.0


def test_ln_over_log10_is_ln10_where_the_assignment_did_not_round_to_zero() -> None:
    """Natural-log and log10 losses differ only by the factor ln 10 (rows 1 and 2)."""
    for row in comparison_table()[:2]:
        assert row.softmax / row.softmax_log10 == pytest.approx(math.log(10.0), rel=1e-9)


def test_general_scores_and_a_correct_class_that_is_not_the_max() -> None:
    """Other scores and correct index: the max-shifted branch also agrees with mpmath."""
    scores = ((1.5, 4.0, -2.0), (0.0, 0.0, 0.0), (800.0, 801.0, 799.0))
    for row in comparison_table(scores, correct=1):
        expected = mp_softmax_loss(row.scores, correct=1)
        assert relative_error(row.softmax, float(expected)) <= 1e-12
    uniform = comparison_table(((0.0, 0.0, 0.0),), correct=2)[0]
    assert uniform.softmax == pytest.approx(math.log(3.0), rel=1e-15)
    assert uniform.svm == 2.0  # both wrong classes sit exactly at the margin


def test_rows_are_frozen_and_convert_to_dicts() -> None:
    """TableRow is immutable and its dict form lists the scores."""
    row = comparison_table()[0]
    assert isinstance(row, TableRow)
    with pytest.raises(dataclasses.FrozenInstanceError):
        row.svm = 1.0  # type: ignore[misc]
    assert row.to_dict() == {
        "scores": [10.0, -2.0, 3.0],
        "svm": 0.0,
        "softmax": row.softmax,
        "softmax_log10": row.softmax_log10,
    }
    assert tuple(tuple(int(s) for s in r.scores) for r in comparison_table()) == ASSIGNMENT_SCORES


def test_bad_correct_index_raises() -> None:
    """A correct class outside the score vector is an error, not a silent wrap-around."""
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        comparison_table(correct=3)
    with pytest.raises(ValueError):
        assignment_log10_loss((1.0, 2.0), correct=-1)


def test_format_table_text() -> None:
    """The text table has a header, a rule and one aligned line per row with the key numbers."""
    text = format_table_text(comparison_table())
    lines = text.splitlines()
    assert len(lines) == 2 + len(ASSIGNMENT_SCORES)
    assert lines[0].split()[:2] == ["scores", "SVM"]
    assert "softmax (ln)" in lines[0] and "log10" in lines[0]
    assert set(lines[1]) <= {"-", " "}
    assert lines[2].startswith("(10, -2, 3)")
    assert "0.0009176050496" in lines[2]
    assert "3.37782376e-48" in lines[4]
    assert len({len(line) for line in lines[:2]}) == 1  # header and rule span the same width
