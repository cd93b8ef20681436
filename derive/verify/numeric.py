"""The numeric check: compare both sides at random in-domain points, for several concrete sizes.

Both sides are compiled once (:mod:`derive.verify.evaluate`) and evaluated in float64 at many
points at once: a fast screen. A point where they look equal proves nothing about rounding, so
the first usable point of every size and index assignment is confirmed beyond rounding (exact
rationals, else rising mpmath precision, :mod:`derive.verify.precision`), and so is every point
where float64 sees a difference. ``verified`` needs every confirmation to agree; ``refuted``
needs one to differ at a point where both sides are finite; anything else is ``unknown``.
"""

from __future__ import annotations

import random
import warnings
from dataclasses import dataclass

import numpy as np
import sympy as sp

from derive.context import Context
from derive.steps import Case, Verification
from derive.verify.backends import Backend, FloatBackend, NotNumeric
from derive.verify.budget import POINTS_PER_ASSIGNMENT, SAMPLES_PER_ASSIGNMENT, TooCostly
from derive.verify.evaluate import Compiler, Definitions, Node, Run, evaluate, leaf_name
from derive.verify.outcome import Outcome
from derive.verify.precision import Agreement, confirm
from derive.verify.sampling import Draws, assignments, reachable, sizes_for
from derive.verify.substitute import evaluate_derivatives

SCREEN_TOLERANCE = 1e-8  # relative float64 difference above which a point is looked at closely


@dataclass
class _Program:
    """Both sides and the case condition, compiled once for every size and assignment."""

    sides: tuple[Node, Node]
    case: Node | None
    definitions: Definitions | None


def numeric_check(
    lhs: sp.Expr,
    rhs: sp.Expr,
    context: Context,
    case: Case | None = None,
    seed: int = 0,
    substitute: bool = True,
) -> Outcome:
    """Compare both sides at random in-domain points, for each concrete size in the context.

    With ``substitute`` false, defined symbols (y, t) are sampled as free variables: a match
    then proves more than needed and is cheap; a mismatch proves nothing, so it is not final.
    """
    raw = (lhs, rhs)
    sides = tuple(evaluate_derivatives(s, context) for s in raw)
    try:
        program = _compile(sides, context, case, substitute)
    except NotNumeric as exc:
        return Outcome("unknown", reason=str(exc))
    used = reachable(raw, context)
    needs_sizes = bool(context.bounds & used) or any(s.has(sp.MatrixSymbol) for s in raw)
    indices = sorted((i for i in used if i in context.index_bounds), key=sp.default_sort_key)
    rng = random.Random(seed)
    points, worst, how = 0, None, set()
    used_sizes: list[int] = []
    for size in context.sizes if needs_sizes else context.sizes[:1]:
        sizes = sizes_for(context, size)
        for n, assignment in enumerate(assignments(indices, context, sizes, case, rng) or [{}]):
            draws = Draws(context, sizes, f"{seed}/{size}/{n}", SAMPLES_PER_ASSIGNMENT)
            try:
                batch = _batch(program, context, {**sizes, **assignment}, draws)
            except (NotNumeric, TooCostly, ArithmeticError) as exc:
                return Outcome("unknown", reason=str(exc))
            if batch.refutation is not None:
                return batch.refutation
            if batch.doubt:
                return Outcome("unknown", reason=batch.doubt)
            points += batch.points
            if batch.worst is not None:
                worst = batch.worst if worst is None else max(worst, batch.worst)
            how |= batch.how
        if needs_sizes:
            used_sizes.append(size)
    if points < POINTS_PER_ASSIGNMENT:
        return Outcome("unknown", reason="too few points where both sides are finite")
    detail = "confirmed in " + " and ".join(sorted(how))
    return Outcome("verified", Verification("numeric", detail, points, tuple(used_sizes), worst))


def _compile(sides, context: Context, case: Case | None, substitute: bool) -> _Program:
    compiler = Compiler(context)
    condition = None
    if case is not None and not case.holds_everywhere:
        try:
            condition = compiler(case.condition)
        except NotNumeric:
            condition = None
    definitions = Definitions.of(context, compiler) if substitute else None
    return _Program((compiler(sides[0]), compiler(sides[1])), condition, definitions)


@dataclass
class _Batch:
    points: int = 0
    worst: float | None = None  # None: no point was usable in float64
    how: frozenset[str] = frozenset()
    refutation: Outcome | None = None
    doubt: str = ""


def _run(program: _Program, context: Context, bound: dict, draws: Draws, backend: Backend) -> Run:
    return Run(
        backend=backend,
        globals=bound,
        leaves=draws.leaf,
        labels=draws.label,
        shared=context.shared,
        definitions=program.definitions,
    )


def _batch(program: _Program, context: Context, bound: dict, draws: Draws) -> _Batch:
    """Screen all points of one size and assignment in float64, confirm where it matters."""
    run = _run(program, context, bound, draws, FloatBackend())
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        left, right = (_full(evaluate(side, run), draws.count) for side in program.sides)
        in_case = np.ones(draws.count, dtype=bool)
        if program.case is not None:
            try:
                in_case = _full(evaluate(program.case, run), draws.count).astype(bool)
            except (NotNumeric, TooCostly):
                pass
        usable = np.isfinite(left) & np.isfinite(right) & in_case
        error = np.abs(left - right) / np.maximum(1.0, np.maximum(np.abs(left), np.abs(right)))

    def pair(backend: Backend):
        one = _run(program, context, bound, draws, backend)
        return evaluate(program.sides[0], one), evaluate(program.sides[1], one)

    chosen = np.flatnonzero(usable)[:POINTS_PER_ASSIGNMENT]
    if chosen.size == 0:  # float64 overflows everywhere: exact or mpmath values may not
        return _beyond_float(pair, run, bound, draws, np.flatnonzero(in_case))

    suspicious = [int(p) for p in chosen if error[p] > SCREEN_TOLERANCE]
    how = set()
    for point in [int(chosen[0]), *(p for p in suspicious if p != chosen[0])]:
        agreement = confirm(pair, point)
        if agreement.verdict == "differ":
            return _Batch(refutation=_refute(run, bound, draws, point, agreement))
        if agreement.verdict == "unresolved":
            return _Batch(doubt=f"could not tell the difference from rounding: {agreement.how}")
        how.add(agreement.how)
    return _Batch(chosen.size, float(np.max(error[chosen])), frozenset(how))


def _beyond_float(pair, run: Run, bound: dict, draws: Draws, candidates) -> _Batch:
    """Points decided by exact or multi-precision arithmetic alone, where float64 gives up."""
    agreed, how = 0, set()
    for point in (int(p) for p in candidates):
        agreement = confirm(pair, point)
        if agreement.verdict == "differ":
            return _Batch(refutation=_refute(run, bound, draws, point, agreement))
        if agreement.verdict == "agree":
            agreed += 1
            how.add(agreement.how)
            if agreed == POINTS_PER_ASSIGNMENT:
                break
    return _Batch(agreed, None, frozenset(how))


def _full(value, count: int) -> np.ndarray:
    return np.broadcast_to(np.asarray(value, dtype=float), (count,))


def _refute(run: Run, bound: dict, draws: Draws, point: int, agreement: Agreement) -> Outcome:
    shown: dict[str, float] = {str(k): v for k, v in bound.items()}
    for key in run.used:
        shown[leaf_name(key)] = float(draws.values[key][point])
    for (index, ex), value in draws.labels.items():
        shown[f"example({index}, {ex})"] = value
    return Outcome(
        "refuted",
        counterexample=shown,
        reason=(
            f"at this point the left side is {agreement.left} and the right side is "
            f"{agreement.right}, a difference of {agreement.difference} ({agreement.how})"
        ),
    )
