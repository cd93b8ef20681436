"""The verdict on one equality: a symbolic proof first, else the numeric check."""

from __future__ import annotations

import sympy as sp

from derive.context import Context
from derive.errors import VerificationError
from derive.steps import Case, Verification
from derive.verify.numeric import numeric_check
from derive.verify.outcome import SYMPY_FAILURES, Outcome
from derive.verify.prove import prove


def compare(
    lhs: sp.Expr, rhs: sp.Expr, context: Context, case: Case | None = None, seed: int = 0
) -> Outcome:
    """Decide lhs = rhs: proved symbolically, verified numerically, refuted, or unknown.

    Deterministic: the same equality gets the same verdict and label on any machine.
    """
    # entries of matrix products of symbolic size are beyond SymPy: check them at real sizes
    symbolic = not (lhs.has(sp.MatrixSymbol) or rhs.has(sp.MatrixSymbol))
    proof = None
    if symbolic:
        try:
            proof = prove(lhs, rhs, context, case)
        except SYMPY_FAILURES:
            proof = None
    if proof is not None and proof.holds:
        return Outcome("proved", Verification("symbolic", proof.method))
    try:
        if proof is None and context.definitions:
            free = numeric_check(lhs, rhs, context, case, seed, substitute=False)
            if free.ok:
                return free
        checked = numeric_check(lhs, rhs, context, case, seed)
    except SYMPY_FAILURES as exc:
        return Outcome("unknown", reason=f"could not evaluate: {exc}")
    if proof is None:
        return checked
    # the difference reduced to a nonzero constant: refuted, at a point where both are finite
    if checked.status == "refuted":
        reason = f"the two sides differ by {proof.constant} ({proof.method}); {checked.reason}"
        return Outcome("refuted", counterexample=checked.counterexample, reason=reason)
    return Outcome(
        "unknown",
        reason=f"the difference reduces to {proof.constant}, but no point where both sides "
        f"are finite was found ({checked.reason or checked.status})",
    )


def verify_step(
    lhs: sp.Expr, rhs: sp.Expr, context: Context, case: Case | None = None, what: str = "step"
) -> Verification:
    """Verify an equality the engine produced; raise VerificationError unless it holds."""
    outcome = compare(lhs, rhs, context, case)
    if not outcome.ok:
        detail = outcome.reason
        if outcome.counterexample:
            detail += f" (at {outcome.counterexample})"
        raise VerificationError(f"{what} failed verification: {lhs} = {rhs}: {detail}")
    assert outcome.verification is not None
    return outcome.verification
