"""What the templates receive: a derivation as strings of LaTeX and small plain records.

:mod:`derive.render.layout` builds these from a Derivation; nothing here knows SymPy.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Note:
    """What is said beside a line: the rule, why it holds, and how it was checked."""

    rule: str
    justification: str = ""
    mark: str = ""
    method: str = ""
    detail: str = ""


@dataclass(frozen=True)
class Line:
    """One row of an aligned display: ``lhs relation rhs`` with its note, or a line of text.

    lhs and relation are empty on continuation rows; ``intertext`` (for example "where")
    replaces the row by a short line of text; ``gap`` adds space after the row, between
    two chains.
    """

    lhs: str = ""
    relation: str = ""
    rhs: str = ""
    note: Note | None = None
    label: str = ""
    intertext: str = ""
    gap: bool = False


@dataclass(frozen=True)
class Aligned:
    """Rows typeset as one aligned display; notes beside them, or in a legend underneath."""

    lines: tuple[Line, ...]
    small: bool = False
    legend: bool = False

    @property
    def notes(self) -> tuple[Line, ...]:
        """The rows that carry a note, for the legend under the display."""
        return tuple(line for line in self.lines if line.note is not None)


@dataclass(frozen=True)
class CaseBlock:
    """The chains that hold under one case (condition empty when they always hold)."""

    condition: str
    description: str
    display: Aligned


@dataclass(frozen=True)
class CaseSummary:
    """``lhs = {rhs_1 if c_1; rhs_2 if c_2}``: the end of each case, side by side."""

    lhs: str
    rows: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class SectionView:
    """A section of a derivation, ready for the template."""

    key: str
    title: str
    intro: str
    blocks: tuple[CaseBlock, ...]
    summary: CaseSummary | None


@dataclass(frozen=True)
class Display:
    """A single displayed equation (the result, the vector form), broken into lines if long.

    ``lines`` are the right side after the first ``lhs =``; ``note_below`` puts the note
    under the equation when the equation needs the full width.
    """

    lhs: str
    lines: tuple[str, ...]
    note: Note
    boxed: bool = False
    small: bool = False
    note_below: bool = False


@dataclass(frozen=True)
class Counts:
    """How the steps of a derivation were verified."""

    steps: int
    symbolic: int
    numeric: int
    fewest_points: int
    most_points: int

    def __add__(self, other: Counts) -> Counts:
        fewest = [c.fewest_points for c in (self, other) if c.numeric]
        return Counts(
            steps=self.steps + other.steps,
            symbolic=self.symbolic + other.symbolic,
            numeric=self.numeric + other.numeric,
            fewest_points=min(fewest, default=0),
            most_points=max(self.most_points, other.most_points),
        )


@dataclass(frozen=True)
class GradientView:
    """One parameter's gradient of a model with several: the boxed result, its matrix form
    (with the matrices it introduces, empty when an earlier gradient defined them) and the
    update rule."""

    result: Display
    vector_form: Display
    vector_where: Aligned
    update: Aligned


@dataclass(frozen=True)
class Results:
    """The boxed results of a model with several parameters, in one box aligned on '=':
    each row is a left side and the lines of its right side; one note for them all."""

    rows: tuple[tuple[str, tuple[str, ...]], ...]
    note: Note
    small: bool = False


@dataclass(frozen=True)
class DerivationView:
    """A derivation as strings and small records, everything a template needs."""

    name: str
    title: str
    summary: str
    definitions: Aligned
    gradient: str
    chain_rule: str
    path: str
    sections: tuple[SectionView, ...]
    result: Display
    vector_form: Display
    vector_where: Aligned
    update: Aligned
    notes: tuple[str, ...]
    counts: Counts
    loss: str
    gradients: tuple[GradientView, ...] = ()
    results: Results | None = None
    matrix_forms: Aligned | None = None
    updates: Aligned | None = None


NO_COUNTS = Counts(0, 0, 0, 0, 0)
