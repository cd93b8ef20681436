"""The verdict on one equality, and the SymPy failures that make a verdict ``unknown``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from derive.steps import Verification

Status = Literal["proved", "verified", "refuted", "unknown"]

# what SymPy raises when it cannot do something with an expression (not a bug of ours)
SYMPY_FAILURES = (
    ValueError,
    TypeError,
    AttributeError,
    NotImplementedError,
    RecursionError,
    ZeroDivisionError,
    OverflowError,
    IndexError,
    KeyError,
    StopIteration,
    ArithmeticError,
)


@dataclass(frozen=True)
class Outcome:
    """The verdict on one equality, with the evidence for it."""

    status: Status
    verification: Verification | None = None
    counterexample: dict[str, float] | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.status in ("proved", "verified")
