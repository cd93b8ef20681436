"""Give every claim of a document its verdict, and explain refuted ones.

Each claim goes to :func:`derive.verify.compare` (symbolic proof, else numeric check at random
in-domain points with K = 2, 3, 4) under a time limit. A refuted step is diagnosed against its
neighbours in the chain A = B = C = D: when B = C is refuted, B = D holding means C was a slip
and D is right again; otherwise the error carries on. When A = B was the slip and A = C holds,
B = C is refuted only because of B. A refuted step also gets a correction: the previous line
with its derivatives evaluated (definitions substituted), simplified, as LaTeX.

Sampling: names used inside a log, a root or a fractional power (probabilities y, t) are drawn
from (0.05, 0.95); every other real name from (-2, 2), so that signs are exercised.
"""

from __future__ import annotations

import time

import sympy as sp

from derive.check.interpret import Claim, Document
from derive.check.render import latex
from derive.check.scope import reach
from derive.check.results import CARRIED, INHERITED, RESULT, SLIP, StepResult
from derive.context import Context
from derive.steps import Case
from derive.timeout import TimeLimitExceeded, time_limit
from derive.verify import (
    Outcome,
    apply_case,
    compare,
    drop_index_ranges,
    evaluate_derivatives,
)

DEFAULT_DOMAIN = (-2.0, 2.0)
SIZES = (2, 3, 4)
PROVE_BUDGET = 0.6  # seconds for the symbolic proof of one equality
STEP_SECONDS = 6.0  # hard limit for one equality, proof and numeric check together
DOCUMENT_SECONDS = 120.0  # after this, the remaining steps are reported as not checked
MAX_STEPS = 2000

_FAILURES = (ValueError, TypeError, AttributeError, NotImplementedError, RecursionError,
             ZeroDivisionError, OverflowError, IndexError, KeyError, StopIteration,
             ArithmeticError)


def check_claims(document: Document) -> list[StepResult]:
    """The verdict on every claim, in document order."""
    started = time.monotonic()
    status: dict[tuple[int, int], str] = {}
    results = []
    for n, claim in enumerate(document.claims):
        if n >= MAX_STEPS or time.monotonic() - started > DOCUMENT_SECONDS:
            results.append(_result(claim, "unknown", "not checked: the document's time or "
                                   "step budget is used up"))
            continue
        result = _check(claim, document, status)
        status[(id(claim.chain), claim.position)] = result.verdict
        results.append(result)
    return results


def _context(claim: Claim, document: Document) -> Context:
    return Context(
        definitions=claim.scope.definitions,
        index_bounds=document.vocabulary.index_bounds_symbols(),
        domains=document.domains,
        default_domain=DEFAULT_DOMAIN,
        sizes=SIZES,
    )


def _compare(left: sp.Expr, right: sp.Expr, context: Context, case: Case | None,
             seed: int) -> Outcome:
    """compare() under a hard time limit; any failure inside SymPy is an unknown."""
    try:
        with time_limit(STEP_SECONDS):
            return compare(left, right, context, case, budget=PROVE_BUDGET, seed=seed)
    except TimeLimitExceeded:
        return Outcome("unknown", reason=f"ran out of time ({STEP_SECONDS:g} s)")
    except _FAILURES as exc:
        return Outcome("unknown", reason=f"SymPy could not decide ({type(exc).__name__})")


def _result(claim: Claim, verdict: str, detail: str, **extra) -> StepResult:
    case = claim.scope.case.text if claim.scope.case is not None else None
    return StepResult(line=claim.line, block=claim.block, step=claim.step,
                      lhs=claim.lhs.piece.source, rhs=claim.rhs.piece.source,
                      verdict=verdict, detail=detail, case=case, **extra)


def _check(claim: Claim, document: Document, status: dict[tuple[int, int], str]) -> StepResult:
    p = claim.position
    problem = claim.problem(p, p + 1)
    if problem:
        return _result(claim, "unknown", problem)
    context = _context(claim, document)
    case = claim.scope.case
    seed = claim.line * 100 + claim.step
    outcome = _compare(claim.lhs.expr, claim.rhs.expr, context, case, seed)
    if outcome.status in ("proved", "verified"):
        return _result(claim, outcome.status, outcome.verification.describe())
    if outcome.status == "unknown":
        return _result(claim, "unknown", outcome.reason or "could not be decided")
    if not outcome.counterexample:
        return _result(claim, "unknown", "refuted without a counterexample: " + outcome.reason)
    diagnosis, note = _diagnose(claim, context, status, seed)
    correction = None
    if diagnosis != INHERITED:
        correction = _correction(claim.lhs.expr, context, case, seed)
    detail = f"{outcome.reason}; {note}"
    point = _relevant(outcome.counterexample, claim, document)
    return _result(claim, "refuted", detail, counterexample=point, correction=correction,
                   diagnosis=diagnosis)


def _holds(claim: Claim, i: int, j: int, context: Context, seed: int) -> bool:
    if claim.problem(i, j):
        return False
    outcome = _compare(claim.chain[i].expr, claim.chain[j].expr, context, claim.scope.case, seed)
    return outcome.ok


def _diagnose(claim: Claim, context: Context, status: dict[tuple[int, int], str],
              seed: int) -> tuple[str, str]:
    """Is the wrong line a slip (the chain recovers) or does the error carry on?"""
    p, lines = claim.position, claim.lines
    if p > 0 and status.get((id(claim.chain), p - 1)) == "refuted" \
            and _holds(claim, p - 1, p + 1, context, seed):
        return INHERITED, (f"this line follows from the line before the slip (line "
                           f"{lines[p - 1]}): only the slip was wrong")
    if p + 2 < len(claim.chain):
        if _holds(claim, p, p + 2, context, seed):
            return SLIP, "the next line follows from the previous one: a slip in this line"
        return CARRIED, "the error carries on to the result"
    return RESULT, "this is the last line of the chain: the result is wrong"


def _correction(previous: sp.Expr, context: Context, case: Case | None, seed: int) -> str | None:
    """The previous line with its derivatives worked out, simplified, as LaTeX (if it checks)."""
    try:
        with time_limit(3.0):
            value = apply_case(evaluate_derivatives(previous, context), case)
            value = drop_index_ranges(value.doit(), context)
            if value.has(sp.Derivative):
                return None
            candidates = [value]
            for simplify in (sp.factor, sp.cancel, sp.simplify):
                try:
                    with time_limit(0.5):
                        candidates.append(simplify(value))
                except (TimeLimitExceeded, *_FAILURES):
                    continue
            best = sp.expand_power_exp(min(candidates, key=sp.count_ops))
            if not _compare(previous, best, context, case, seed).ok:
                return None
            return latex(best)
    except (TimeLimitExceeded, *_FAILURES):
        return None


def _relevant(point: dict[str, float], claim: Claim, document: Document) -> tuple:
    """The counterexample without sizes the claim does not involve; sizes and indices first."""
    sides = [reach(s, claim.scope.definitions) for s in (claim.lhs.expr, claim.rhs.expr)]
    used = {str(s) for side in sides for s in side.free_symbols}
    sizes = document.vocabulary.sizes
    kept = {k: v for k, v in point.items() if k not in sizes or k in used}
    return tuple(sorted(kept.items(), key=lambda kv: (not isinstance(kv[1], int), kv[0])))
