"""The outcome of checking a document: one result per step, and their summary (plain data)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Verdict = Literal["proved", "verified", "refuted", "unknown"]
VERDICTS: tuple[Verdict, ...] = ("proved", "verified", "refuted", "unknown")

# What a refuted step means for the chain it is in.
SLIP = "slip"  # the next line follows from the previous one: a slip in this line
CARRIED = "carried"  # the error carries on to the result
RESULT = "result"  # the wrong line is the last one of its chain
INHERITED = "inherited"  # this line is right; the line before it was the slip


@dataclass(frozen=True)
class StepResult:
    """The verdict on one equality ``lhs = rhs`` of a document, with its evidence."""

    line: int
    block: int
    step: int
    lhs: str
    rhs: str
    verdict: Verdict
    detail: str
    counterexample: tuple[tuple[str, float], ...] = ()
    correction: str | None = None
    diagnosis: str | None = None
    case: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; keys beyond the required ones only when they carry something."""
        out: dict[str, Any] = {
            "line": self.line,
            "block": self.block,
            "step": self.step,
            "lhs": self.lhs,
            "rhs": self.rhs,
            "verdict": self.verdict,
            "detail": self.detail,
        }
        if self.counterexample:
            out["counterexample"] = dict(self.counterexample)
        if self.correction is not None:
            out["correction"] = self.correction
        if self.diagnosis is not None:
            out["diagnosis"] = self.diagnosis
        if self.case is not None:
            out["case"] = self.case
        return out


@dataclass(frozen=True)
class DefinitionEntry:
    """A definition read from the document (shown in the text report, not counted as a step)."""

    line: int
    text: str


@dataclass(frozen=True)
class CheckReport:
    """Every step of one document with its verdict."""

    file: str
    steps: tuple[StepResult, ...]
    definitions: tuple[DefinitionEntry, ...] = field(default=())

    @property
    def summary(self) -> dict[str, int]:
        """How many steps got each verdict."""
        counts = dict.fromkeys(VERDICTS, 0)
        for step in self.steps:
            counts[step.verdict] += 1
        return counts

    @property
    def refuted(self) -> tuple[StepResult, ...]:
        """The refuted steps."""
        return tuple(s for s in self.steps if s.verdict == "refuted")

    def to_dict(self) -> dict[str, Any]:
        """``{"file", "steps", "summary"}``, ready for ``json.dumps``."""
        return {
            "file": self.file,
            "steps": [s.to_dict() for s in self.steps],
            "summary": self.summary,
        }
