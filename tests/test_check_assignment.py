"""`derive check` on the founding assignment: the known mistakes are found, nothing else is."""

from __future__ import annotations

from pathlib import Path

import pytest

from derive.checking import CheckReport, check_file, format_text
from derive.checking.results import SLIP

ASSIGNMENT = Path(__file__).parent.parent / "examples" / "int305-assignment1.md"


@pytest.fixture(scope="module")
def report() -> CheckReport:
    return check_file(ASSIGNMENT)


def test_the_wrong_softmax_denominator_is_refuted_as_a_slip(report: CheckReport) -> None:
    """Q2, T != k: the line with denominator (sum)^2 - e^{z_T} e^{z_k} is refuted."""
    (step,) = [s for s in report.steps if r"- e^{z_T} \cdot e^{z_k}}" in s.rhs]
    assert step.line == 92
    assert step.verdict == "refuted"
    point = dict(step.counterexample)
    assert point["k"] != point["T"] and point["K"] >= 2
    assert step.diagnosis == SLIP
    assert "a slip in this line" in step.detail
    assert step.correction is not None and r"\sum_{k'=1}^{K}" in step.correction


def test_dy_T_dz_k_equals_dy_k_dz_k_is_refuted_with_k_not_T(report: CheckReport) -> None:
    (step,) = [
        s for s in report.steps if s.line == 74 and s.lhs == r"\frac{\partial y_T}{\partial z_k}"
    ]
    assert step.rhs == r"\frac{\partial y_k}{\partial z_k}"
    assert step.verdict == "refuted"
    point = dict(step.counterexample)
    assert point["k"] != point["T"] and "K" in point


def test_the_same_step_under_the_case_k_equals_T_is_proved(report: CheckReport) -> None:
    steps = [s for s in report.steps if s.line in (80, 88) and s.step == 1]
    assert [s.verdict for s in steps] == ["proved", "proved"]
    assert all(s.case == "T = k" for s in steps)


def test_no_step_of_q1_final_chain_is_refuted(report: CheckReport) -> None:
    """[Step3] Therefore: lines 37-41, all proved."""
    chain = [s for s in report.steps if 37 <= s.line <= 41]
    assert len(chain) == 5
    assert all(s.verdict in ("proved", "verified") for s in chain)


def test_only_the_known_mistakes_are_refuted(report: CheckReport) -> None:
    refuted = {(s.line, s.block, s.step) for s in report.refuted}
    assert refuted == {(74, 10, 2), (92, 14, 2), (92, 14, 3)}


def test_the_step_after_the_slip_is_explained(report: CheckReport) -> None:
    step = next(s for s in report.steps if (s.line, s.step) == (92, 3))
    assert "line before the slip" in step.detail and step.correction is None


def test_unreadable_notation_is_unknown_with_a_reason(report: CheckReport) -> None:
    no_partial = [s for s in report.steps if s.line == 23 and s.verdict == "unknown"]
    assert len(no_partial) == 2
    assert all(r"no \partial" in s.detail for s in no_partial)


def test_at_most_three_steps_are_unknown_each_with_a_reason_a_person_accepts(
    report: CheckReport,
) -> None:
    """The d(1-y)/y typo (two steps) and dy/dz_k = dy_T/dz_k, a vector equated with a number."""
    unknown = [(s.line, s.step, s.detail) for s in report.steps if s.verdict == "unknown"]
    assert [(line, step) for line, step, _ in unknown] == [(23, 2), (23, 3), (74, 1)]
    assert "one side is a vector" in unknown[2][2]


def test_vectors_used_whole_and_the_mean_over_examples_are_checked(report: CheckReport) -> None:
    """dL/dy . dy/dz_k (the chain rule through the softmax vector), dL/dy = d[-t^T log y]/dy,
    and the update with J = (1/N) sum L_CE: all decided, none refuted."""
    for line in (49, 58, 62, 105, 114, 126, 127, 136):
        steps = [s for s in report.steps if s.line == line]
        assert steps and all(s.verdict in ("proved", "verified") for s in steps), line
    assert not any(
        "internal error" in s.detail or "not understood (" in s.detail for s in report.steps
    )


def test_definitions_are_not_steps(report: CheckReport) -> None:
    texts = [d.text for d in report.definitions]
    assert r"z = w^T x" in texts and r"y = \frac{1}{(1+e^{-z})}" in texts
    assert not any(s.lhs == "z" for s in report.steps)


def test_text_report_shows_refuted_lines_and_a_summary(report: CheckReport) -> None:
    text = format_text(report)
    assert "line 92 (block 14, step 2): REFUTED" in text
    assert "counterexample: K = 2" in text and "correction: = " in text
    assert text.rstrip().splitlines()[-1].startswith("summary: ")


def test_the_report_shows_the_assignment_with_its_mistakes_typeset():
    from derive.render import report
    from derive.render.mathsafe import safe_math

    view = report.check_report(None, lambda _: None)
    assert view["heading"] == "The founding assignment, checked"
    assert view["file"].endswith("int305-assignment1.md")
    refuted = view["refuted"]
    assert len(refuted) >= 3 and all(s["typeset"] for s in refuted)
    for step in refuted:
        assert safe_math(step["typeset"]) == step["typeset"]
        assert step["typeset"] != f"{step['lhs']} = {step['rhs']}"  # reprinted, not pasted
