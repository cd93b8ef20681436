"""Give every claim of a document its verdict, and explain refuted ones.

Each claim goes to :func:`derive.verify.compare` (symbolic proof, else numeric check at random
in-domain points with K = 2, 3, 4) under a time limit.

A refuted step is diagnosed against its neighbours in the chain A = B = C = D: when B = C is
refuted, B = D holding means C was a slip and D is right again; otherwise the error carries on.
When A = B was the slip and A = C holds, B = C is refuted only because of B. A refuted step also
gets a correction: the previous line with its derivatives evaluated (definitions substituted),
simplified, as LaTeX; when that is too long to help, the previous line as written.

Where numbers are sampled is decided in :mod:`derive.checking.sampling`.
"""

from __future__ import annotations

import time

import sympy as sp

from derive.checking.interpret import Claim, Document
from derive.checking.render import latex
from derive.checking.results import CARRIED, INHERITED, RESULT, SLIP, StepResult
from derive.checking.sampling import make_context
from derive.checking.scope import reach
from derive.context import Context
from derive.steps import Case
from derive.timeout import TimeLimitExceeded, time_limit
from derive.verify import (
    SYMPY_FAILURES,
    Outcome,
    apply_case,
    compare,
    drop_index_ranges,
    evaluate_derivatives,
)

STEP_SECONDS = 6.0  # hard limit for one equality, proof and numeric check together
CLAIM_SECONDS = 20.0  # one claim with its diagnosis (two more equalities) and correction
DOCUMENT_SECONDS = 120.0  # after this, the remaining steps are reported as not checked
MAX_STEPS = 2000
CORRECTION_SECONDS = 2.0
MAX_CORRECTION_OPS = 60  # a longer correction would not help a reader


def check_claims(document: Document, timings: list[float] | None = None) -> list[StepResult]:
    """The verdict on every claim, in document order (seconds per claim go to ``timings``)."""
    started = time.monotonic()
    status: dict[tuple[int, int], str] = {}
    results = []
    for n, claim in enumerate(document.claims):
        if n >= MAX_STEPS or time.monotonic() - started > DOCUMENT_SECONDS:
            results.append(
                _result(
                    claim, "unknown", "not checked: the document's time or step budget is used up"
                )
            )
            continue
        begun = time.perf_counter()
        try:
            with time_limit(CLAIM_SECONDS):
                result = _check(claim, document, status)
        except TimeLimitExceeded:
            result = _result(claim, "unknown", f"ran out of time ({CLAIM_SECONDS:g} s)")
        except Exception as exc:  # noqa: BLE001 - one bad step must not lose the others
            result = _result(claim, "unknown", f"internal error ({type(exc).__name__}: {exc})")
        if timings is not None:
            timings.append(time.perf_counter() - begun)
        status[(id(claim.chain), claim.position)] = result.verdict
        results.append(result)
    return results


def _context(claim: Claim, document: Document) -> Context:
    return make_context(
        claim.scope.definitions, document.vocabulary, document.domains, document.shared
    )


def _compare(
    left: sp.Expr, right: sp.Expr, context: Context, case: Case | None, seed: int
) -> Outcome:
    """compare() under a hard time limit; any failure inside SymPy is an unknown."""
    try:
        with time_limit(STEP_SECONDS):
            return compare(left, right, context, case, seed=seed)
    except TimeLimitExceeded:
        return Outcome("unknown", reason=f"ran out of time ({STEP_SECONDS:g} s)")
    except SYMPY_FAILURES as exc:
        return Outcome("unknown", reason=f"SymPy could not decide ({type(exc).__name__})")


def _result(claim: Claim, verdict: str, detail: str, **extra) -> StepResult:
    case = claim.scope.case.text if claim.scope.case is not None else None
    return StepResult(
        line=claim.line,
        block=claim.block,
        step=claim.step,
        lhs=claim.lhs.piece.source,
        rhs=claim.rhs.piece.source,
        verdict=verdict,
        detail=detail,
        case=case,
        **extra,
    )


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
    if outcome.counterexample is None:
        return _result(claim, "unknown", "refuted without a counterexample: " + outcome.reason)
    if claim.doubt:  # the counterexample may break a definition that was not read
        return _result(claim, "unknown", claim.doubt)
    diagnosis, note = _diagnose(claim, context, status, seed)
    correction = None
    if diagnosis != INHERITED:  # else this line is right: the slip was the line before
        correction = _correction(claim.lhs.expr, context, case, seed) or claim.lhs.piece.source
    detail = f"{outcome.reason}; {note}"
    point = _relevant(outcome.counterexample, claim, document, context)
    return _result(
        claim, "refuted", detail, counterexample=point, correction=correction, diagnosis=diagnosis
    )


def _holds(claim: Claim, i: int, j: int, context: Context, seed: int) -> bool:
    if claim.problem(i, j):
        return False
    outcome = _compare(claim.chain[i].expr, claim.chain[j].expr, context, claim.scope.case, seed)
    return outcome.ok


def _diagnose(
    claim: Claim, context: Context, status: dict[tuple[int, int], str], seed: int
) -> tuple[str, str]:
    """Is the wrong line a slip (the chain recovers) or does the error carry on?"""
    p, lines = claim.position, claim.lines
    if (
        p > 0
        and status.get((id(claim.chain), p - 1)) == "refuted"
        and _holds(claim, p - 1, p + 1, context, seed)
    ):
        return INHERITED, (
            f"this line follows from the line before the slip (line "
            f"{lines[p - 1]}): only the slip was wrong"
        )
    if p + 2 < len(claim.chain):
        if _holds(claim, p, p + 2, context, seed):
            return SLIP, "the next line follows from the previous one: a slip in this line"
        return CARRIED, "the error carries on to the result"
    return RESULT, "this is the last line of the chain: the result is wrong"


def _correction(previous: sp.Expr, context: Context, case: Case | None, seed: int) -> str | None:
    """The previous line with its derivatives worked out, simplified, as LaTeX (if it checks)."""
    try:
        with time_limit(CORRECTION_SECONDS):
            value = apply_case(evaluate_derivatives(previous, context), case)
            value = drop_index_ranges(value.doit(), context)
            if value.has(sp.Derivative, sp.Product):
                return None
            candidates = [value]
            methods = [sp.factor, sp.cancel]
            if not value.has(sp.Sum) and sp.count_ops(value) <= MAX_CORRECTION_OPS:
                methods.append(sp.simplify)
            for simplify in methods:
                try:
                    with time_limit(0.3):
                        candidates.append(simplify(value))
                except (TimeLimitExceeded, *SYMPY_FAILURES):
                    continue
            best = _fold(sp.expand_power_exp(min(candidates, key=sp.count_ops)), context)
            if sp.count_ops(best) > MAX_CORRECTION_OPS or best.has(sp.Product):
                return None  # too long to help a reader
            if not _compare(previous, best, context, case, seed).ok:
                return None
            return latex(best)
    except (TimeLimitExceeded, *SYMPY_FAILURES):
        return None


def _fold(expr: sp.Expr, context: Context) -> sp.Expr:
    """Write defined names back where their definition appears whole (w^T x -> z)."""
    for d in reversed(context.definitions):
        if isinstance(d.lhs, sp.Symbol) and not d.rhs.is_Atom:
            expr = expr.xreplace({d.rhs: d.lhs})
    return expr


def _relevant(point: dict[str, float], claim: Claim, document: Document, context: Context) -> tuple:
    """The counterexample without sizes the claim does not involve; sizes and indices first."""
    sides = [reach(s, claim.scope.definitions, context) for s in (claim.lhs.expr, claim.rhs.expr)]
    used = {str(s) for side in sides for s in side.free_symbols}
    sizes = document.vocabulary.sizes
    kept = {k: _plain_number(v) for k, v in point.items() if k not in sizes or k in used}
    return tuple(sorted(kept.items(), key=lambda kv: (not isinstance(kv[1], int), kv[0])))


def _plain_number(value: object) -> int | float:
    """A Python int for indices and sizes, a float for everything else (JSON-ready)."""
    number = complex(value)  # type: ignore[arg-type]
    if number.imag == 0 and number.real == int(number.real) and not isinstance(value, float):
        return int(number.real)
    return number.real
