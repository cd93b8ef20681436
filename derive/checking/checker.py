"""Give every claim of a document its verdict, and explain refuted ones.

Each claim goes to :func:`derive.verify.compare` (symbolic proof, else numeric check at random
in-domain points with K = 2, 3, 4). No clock decides anything here: sizes gate the expensive
simplifications, and the time and memory of a whole document are bounded by the worker process
it runs in (:mod:`derive.checking.workers`).

A refuted step is diagnosed against its neighbours in the chain A = B = C = D: when B = C is
refuted, B = D holding means C was a slip and D is right again; otherwise the error carries on.
When A = B was the slip and A = C holds, B = C is refuted only because of B. A refuted step also
gets a correction: the previous line with its derivatives evaluated (definitions substituted),
simplified, as LaTeX; when that is too long to help, the previous line as written.

Where numbers are sampled is decided in :mod:`derive.checking.sampling`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import sympy as sp

from derive.checking.interpret import Claim, Document
from derive.checking.render import latex
from derive.checking.results import CARRIED, INHERITED, RESULT, SLIP, StepResult
from derive.checking.sampling import make_context
from derive.checking.scope import reach
from derive.context import Context
from derive.steps import Case
from derive.verify import (
    SYMPY_FAILURES,
    Outcome,
    apply_case,
    compare,
    drop_index_ranges,
    evaluate_derivatives,
)

MAX_CORRECTION_OPS = 60  # a longer correction would not help a reader
MAX_SIMPLIFY_OPS = 60  # simplify() only below this size: its cost grows fast with the size
MAX_FACTOR_OPS = 400  # factor() and cancel() only below this size
MAX_FACTOR_POWER = 8  # none of them above this power of a sum: (a+b)^30 would expand


Status = dict[tuple[int, int], str]
"""The verdict of each claim checked so far, keyed by (id of its chain, position in it)."""


def check_claims(document: Document, timings: list[float] | None = None) -> list[StepResult]:
    """The verdict on every claim, in document order (seconds per claim go to ``timings``)."""
    status: Status = {}
    results = []
    for claim in document.claims:
        begun = time.perf_counter()
        *_, result = check_claim(claim, document, status)
        if timings is not None:
            timings.append(time.perf_counter() - begun)
        results.append(result)
    return results


def check_claim(claim: Claim, document: Document, status: Status) -> Iterator[StepResult]:
    """The verdict on one claim, then (for a refuted one) the same with diagnosis and correction.

    The first result is final unless a second follows; ``status`` records the verdict.
    """
    try:
        yield from _check(claim, document, status)
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - one bad step must not lose the others
        result = result_for(claim, "unknown", f"internal error ({type(exc).__name__}: {exc})")
        status[(id(claim.chain), claim.position)] = result.verdict
        yield result


def _context(claim: Claim, document: Document) -> Context:
    return make_context(
        claim.scope.definitions, document.vocabulary, document.domains, document.shared
    )


def _compare(
    left: sp.Expr, right: sp.Expr, context: Context, case: Case | None, seed: int
) -> Outcome:
    """compare(); any failure inside SymPy is an unknown."""
    try:
        return compare(left, right, context, case, seed=seed)
    except SYMPY_FAILURES as exc:
        return Outcome("unknown", reason=f"SymPy could not decide ({type(exc).__name__})")


def result_for(claim: Claim, verdict: str, detail: str, **extra) -> StepResult:
    """The result of a claim: where it is, what it says, the verdict and its evidence."""
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


def _check(claim: Claim, document: Document, status: Status) -> Iterator[StepResult]:
    key = (id(claim.chain), claim.position)
    p = claim.position
    problem = claim.problem(p, p + 1)
    if problem:
        status[key] = "unknown"
        yield result_for(claim, "unknown", problem)
        return
    context = _context(claim, document)
    case = claim.scope.case
    seed = claim.line * 100 + claim.step
    outcome = _compare(claim.lhs.expr, claim.rhs.expr, context, case, seed)
    if outcome.status == "refuted" and outcome.counterexample is None:
        outcome = Outcome("unknown", reason="refuted without a counterexample: " + outcome.reason)
    if outcome.status == "refuted" and claim.doubt:
        # the counterexample may break a definition that was not read
        outcome = Outcome("unknown", reason=claim.doubt)
    status[key] = outcome.status
    if outcome.status in ("proved", "verified"):
        yield result_for(claim, outcome.status, outcome.verification.describe())
        return
    if outcome.status == "unknown":
        yield result_for(claim, "unknown", outcome.reason or "could not be decided")
        return
    point = _relevant(outcome.counterexample, claim, document, context)
    # refuted: first the verdict alone, in case the diagnosis is what runs out of time or memory
    yield result_for(claim, "refuted", outcome.reason, counterexample=point)
    diagnosis, note = _diagnose(claim, context, status, seed)
    correction = None
    if diagnosis != INHERITED:  # else this line is right: the slip was the line before
        correction = _correction(claim.lhs.expr, context, case, seed) or claim.lhs.piece.source
    detail = f"{outcome.reason}; {note}"
    yield result_for(
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
    """The previous line with its derivatives worked out, simplified, as LaTeX (if it checks).

    Sizes, not clocks, decide which simplifications are tried, so the text never depends on
    how fast the machine is.
    """
    try:
        value = apply_case(evaluate_derivatives(previous, context), case)
        value = drop_index_ranges(value.doit(), context)
        if value.has(sp.Derivative, sp.Product):
            return None
        size = sp.count_ops(value)
        methods = []
        if _largest_power(value) <= MAX_FACTOR_POWER:  # else each method would expand it
            if size <= MAX_FACTOR_OPS:
                methods += [sp.factor, sp.cancel]
            if size <= MAX_SIMPLIFY_OPS and not value.has(sp.Sum):
                methods.append(sp.simplify)
        candidates = [value]
        for simplify in methods:
            try:
                candidates.append(simplify(value))
            except SYMPY_FAILURES:
                continue
        best = _fold(sp.expand_power_exp(min(candidates, key=sp.count_ops)), context)
        if sp.count_ops(best) > MAX_CORRECTION_OPS or best.has(sp.Product):
            return None  # too long to help a reader
        if not _compare(previous, best, context, case, seed).ok:
            return None
        return latex(best)
    except SYMPY_FAILURES:
        return None


def _largest_power(expr: sp.Expr) -> int:
    """The largest integer exponent of a compound base in ``expr`` (1 when there is none)."""
    powers = [
        abs(int(p.exp)) for p in expr.atoms(sp.Pow) if p.exp.is_Integer and not p.base.is_Atom
    ]
    return max(powers, default=1)


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
