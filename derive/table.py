"""The assignment's Q3 table (multiclass SVM loss versus softmax loss), computed rather than typed.

The assignment scored three examples with class 0 correct and reported the SVM loss (0 for all
three) next to a softmax "loss" that was really -log10 p and whose third value was 0 only because
p rounds to 1.0 in float64. This module recomputes the table with the natural-log loss evaluated
stably (third row 3.378e-48, not 0) and keeps the assignment's own numbers in a separate column.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from derive.numeric.reference import softmax_loss_from_scores, svm_loss_from_scores

__all__ = [
    "ASSIGNMENT_SCORES",
    "TableRow",
    "assignment_log10_loss",
    "comparison_table",
    "format_table_text",
]

ASSIGNMENT_SCORES: tuple[tuple[float, ...], ...] = ((10, -2, 3), (10, 9, 9), (10, -100, -100))
"""Class scores of the assignment's three examples; class 0 (the first) is the correct one."""


@dataclass(frozen=True)
class TableRow:
    """One example of the table: its scores and the three losses computed from them."""

    scores: tuple[float, ...]
    svm: float
    softmax: float
    softmax_log10: float

    def to_dict(self) -> dict[str, object]:
        """Plain dict of the row (scores as a list), ready for JSON or a template."""
        return {
            "scores": list(self.scores),
            "svm": self.svm,
            "softmax": self.softmax,
            "softmax_log10": self.softmax_log10,
        }


def assignment_log10_loss(scores: Sequence[float], correct: int = 0) -> float:
    """-log10 p_correct exactly as the assignment's script computed it, to document its mistake.

    The script exponentiated the raw scores, divided by their sum and took log10 of the resulting
    probability. That is faithful here on purpose: for (10, -100, -100) p rounds to 1.0, so it
    printed 0.0 where the true loss is about 1.5e-48 (in log10 units). The script also returned
    log10(p) unchanged when it was 0 (to avoid printing -0.0), which this reproduces. Like the
    original, it overflows (nan) for scores above about 709; warnings are silenced.
    """
    values = np.asarray(scores, dtype=np.float64)
    if values.ndim != 1 or not 0 <= correct < values.size:
        raise ValueError(f"need a 1-D score vector and 0 <= correct < its length, got {scores!r}")
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        exps = np.exp(values)
        probability = exps[correct] / np.sum(exps)
        log10_p = float(np.log10(probability))
    return log10_p if log10_p == 0 else -log10_p


def comparison_table(
    scores: Sequence[Sequence[float]] = ASSIGNMENT_SCORES, correct: int = 0
) -> tuple[TableRow, ...]:
    """Rows of the SVM-versus-softmax comparison for the given score vectors, computed stably.

    ``svm`` is the multiclass hinge loss with margin 1; ``softmax`` is -ln p_correct, evaluated as
    log1p of sum_{j != c} exp(s_j - s_c) when the correct class has the top score (so tiny losses
    keep full relative precision) and by the max-shifted log-sum-exp otherwise; ``softmax_log10``
    is the assignment's own naive number (see ``assignment_log10_loss``).
    """
    rows = []
    for row in scores:
        matrix = np.asarray([row], dtype=np.float64)
        labels = np.asarray([correct])
        rows.append(
            TableRow(
                scores=tuple(float(s) for s in row),
                svm=svm_loss_from_scores(matrix, labels, margin=1.0),
                softmax=softmax_loss_from_scores(matrix, labels),
                softmax_log10=assignment_log10_loss(row, correct),
            )
        )
    return tuple(rows)


def format_table_text(rows: Sequence[TableRow]) -> str:
    """Plain aligned text table of the rows, for printing the comparison in a terminal."""
    header = ("scores", "SVM", "softmax (ln)", "softmax (log10, as in the assignment)")
    body = [
        (
            "(" + ", ".join(f"{s:.10g}" for s in row.scores) + ")",
            f"{row.svm:.10g}",
            f"{row.softmax:.10g}",
            f"{row.softmax_log10:.10g}",
        )
        for row in rows
    ]
    widths = [max(len(line[i]) for line in (header, *body)) for i in range(len(header))]

    def render(cells: Sequence[str]) -> str:
        """One line: the scores column left-aligned, the numeric columns right-aligned."""
        first = cells[0].ljust(widths[0])
        rest = (cell.rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=True))
        return "  ".join((first, *rest)).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([render(header), rule, *(render(line) for line in body)]) + "\n"
