"""Decide whether two expressions are equal: a symbolic proof first, else a numeric check.

``compare`` returns an :class:`Outcome` (proved / verified / refuted / unknown) and is shared
by the derivation engine and the checker of hand-written derivations; ``verify_step`` is the
engine's strict form, raising :class:`~derive.errors.VerificationError` unless a step holds.
Nothing here reads a clock: every method and every numeric check works within counted
budgets (:mod:`.budget`), so a verdict and its label are the same on every machine.

    substitute   definitions and derivatives: what a step's symbols stand for
    prove        symbolic proof (cancel, expand, exponentials), stage by stage
    evaluate     SymPy expressions compiled to numbers at concrete sizes
    backends     float64 (all points at once), exact rationals, mpmath
    precision    agreement beyond rounding at one point
    sampling     sizes, index assignments and sample values, seeded
    numeric      the numeric check: float64 screen, confirmations, counterexamples
    decide       compare and verify_step
"""

from derive.verify.decide import compare, verify_step
from derive.verify.numeric import numeric_check
from derive.verify.outcome import SYMPY_FAILURES, Outcome, Status
from derive.verify.substitute import (
    apply_case,
    drop_index_ranges,
    evaluate_derivatives,
    per_example,
    substitute_all,
    substitute_once,
)

__all__ = [
    "SYMPY_FAILURES",
    "Outcome",
    "Status",
    "apply_case",
    "compare",
    "drop_index_ranges",
    "evaluate_derivatives",
    "numeric_check",
    "per_example",
    "substitute_all",
    "substitute_once",
    "verify_step",
]
