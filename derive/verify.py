"""Decide whether two expressions are equal: a symbolic proof first, else a numeric check.

``compare`` returns an :class:`Outcome` (proved / verified / refuted / unknown) and is shared
by the derivation engine and the checker of hand-written derivations. ``verify_step`` is the
engine's strict form: anything but a proof or a numeric confirmation raises
:class:`~derive.errors.VerificationError`, so an unverified step is never shown.

Definitions are substituted lazily: a proof is first tried in the stage symbols (y, t, x_j),
then after each round of substitution, because expanding everything (z = w.x) can blow up.
The numeric check instantiates index bounds at several sizes (K = 2, 3, 4), expands the sums,
and compares both sides at random points inside each symbol's domain.
"""

from __future__ import annotations

import itertools
import math
import random
import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixElement

from derive.context import Context
from derive.errors import VerificationError
from derive.functions import example, expand_functions
from derive.steps import Case, Definition, Verification
from derive.timeout import TimeLimitExceeded, time_limit

Status = Literal["proved", "verified", "refuted", "unknown"]

RELATIVE_TOLERANCE = 1e-8
POINTS_PER_ASSIGNMENT = 4
MAX_INDEX_ASSIGNMENTS = 6


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


# --- substitution -----------------------------------------------------------------------


def _base_key(expr: sp.Basic) -> sp.Basic:
    """The family a variable belongs to: y_T and y_k are both members of y."""
    if isinstance(expr, sp.Indexed):
        return expr.base
    if isinstance(expr, example):
        return _base_key(expr.args[0])
    return expr


def substitute_once(
    expr: sp.Expr, definitions: tuple[Definition, ...], keep: frozenset = frozenset()
) -> sp.Expr:
    """Replace each defined symbol (or indexed family member) by its definition, one level deep."""
    plain = {}
    for d in definitions:
        if _base_key(d.lhs) in keep:
            continue
        if isinstance(d.lhs, sp.Indexed):
            lhs = d.lhs

            def member(e, lhs=lhs):
                return isinstance(e, sp.Indexed) and e.base == lhs.base

            def expand(e, lhs=lhs, rhs=d.rhs):
                return rhs.xreplace(dict(zip(lhs.indices, e.indices, strict=True)))

            expr = expr.replace(member, expand)
        else:
            plain[d.lhs] = d.rhs
    return expr.xreplace(plain) if plain else expr


def substitute_all(
    expr: sp.Expr, definitions: tuple[Definition, ...], keep: frozenset = frozenset(), depth: int = 12
) -> sp.Expr:
    """Substitute definitions until nothing defined is left (or ``depth`` rounds)."""
    for _ in range(depth):
        new = substitute_once(expr, definitions, keep)
        if new == expr:
            return expr
        expr = new
    return expr


def evaluate_derivatives(expr: sp.Expr, context: Context) -> sp.Expr:
    """Replace every unevaluated derivative df/dv by its value, expanding f down to v.

    The family of v is kept whole (differentiating y_T by z_k must not expand z_T).
    """

    def value(d: sp.Derivative) -> sp.Expr:
        keep = frozenset(_base_key(v) for v in d.variables)
        f = substitute_all(d.expr, context.definitions, keep)
        return drop_index_ranges(sp.diff(f, *d.variables).doit(), context)

    return expr.replace(lambda e: isinstance(e, sp.Derivative), value)


def drop_index_ranges(expr: sp.Expr, context: Context) -> sp.Expr:
    """Remove Piecewise guards that only say an index lies in its range (it always does here)."""
    index_like = set(context.index_bounds) | context.bounds

    def only_ranges(p: sp.Piecewise) -> bool:
        cond = p.args[0].cond
        return cond is not sp.true and cond.free_symbols <= index_like and not cond.has(
            sp.Eq, sp.Ne
        )

    return expr.replace(
        lambda e: isinstance(e, sp.Piecewise) and only_ranges(e), lambda e: e.args[0].expr
    )


def apply_case(expr: sp.Expr, case: Case | None) -> sp.Expr:
    """Specialise an expression to a case: k = T identifies the indices, k != T kills delta_kT."""
    if case is None or case.holds_everywhere:
        return expr
    cond = case.condition
    if isinstance(cond, sp.Eq) and all(isinstance(a, sp.Symbol) for a in cond.args):
        a, b = cond.args
        return expr.xreplace({b: a})
    if isinstance(cond, sp.Ne):
        a, b = cond.args
        return expr.replace(
            lambda e: isinstance(e, sp.KroneckerDelta) and set(e.args) == {a, b},
            lambda e: sp.S.Zero,
        )
    if isinstance(cond, (sp.StrictGreaterThan, sp.LessThan)):
        u = cond.lhs - cond.rhs
        value = sp.S.One if isinstance(cond, sp.StrictGreaterThan) else sp.S.Zero
        return expr.replace(
            lambda e: isinstance(e, sp.Heaviside) and sp.expand(e.args[0] - u) == 0,
            lambda e: value,
        )
    return expr


# --- symbolic proof ---------------------------------------------------------------------


def _is_zero(expr: sp.Expr, method: str) -> bool:
    if method == "cancel":
        return sp.cancel(sp.together(expr)) == 0
    if method == "expand":
        return sp.expand(expr) == 0
    return sp.simplify(expand_functions(expr)) == 0


def prove(lhs: sp.Expr, rhs: sp.Expr, context: Context, case: Case | None = None,
          budget: float = 1.0) -> str | None:
    """Try to prove lhs = rhs symbolically; return the method that succeeded, or None."""
    difference = apply_case(evaluate_derivatives(lhs - rhs, context), case)
    levels = [drop_index_ranges(difference.doit(), context)]
    while len(levels) < 6:
        nxt = apply_case(substitute_once(levels[-1], context.definitions), case)
        nxt = drop_index_ranges(nxt.doit(), context)
        if nxt == levels[-1]:
            break
        levels.append(nxt)
    for method, share in (("cancel", 0.3), ("expand", 0.2), ("simplify", 0.5)):
        for depth, candidate in enumerate(levels):
            if method == "simplify" and sp.count_ops(candidate) > 400:
                continue
            try:
                with time_limit(budget * share / len(levels)):
                    if _is_zero(candidate, method):
                        return method if depth == 0 else f"{method}, definitions substituted"
            except (TimeLimitExceeded, RecursionError, ValueError, TypeError,
                    NotImplementedError, ZeroDivisionError, AttributeError, StopIteration):
                continue
    return None


# --- numeric check ----------------------------------------------------------------------


def _free_indices(expr: sp.Expr, context: Context) -> list[sp.Symbol]:
    return sorted((s for s in expr.free_symbols if s in context.index_bounds), key=str)


def _explicit_matrices(expr: sp.Expr, context: Context) -> sp.Expr:
    """Turn entries of matrix expressions of concrete size into explicit scalar expressions."""

    def entry(e: MatrixElement) -> sp.Expr:
        parent = e.parent
        replacements = {}
        for m in parent.atoms(sp.MatrixSymbol):
            build = context.matrices.get(m.name)
            if build is None:
                raise ValueError(f"no entries known for matrix {m.name}")
            rows, cols = int(m.shape[0]), int(m.shape[1])
            replacements[m] = sp.ImmutableMatrix(
                rows, cols, lambda r, c, build=build: build(r + 1, c + 1)
            )
        explicit = parent.xreplace(replacements).doit()
        return sp.ImmutableMatrix(explicit)[int(e.i) - 1, int(e.j) - 1]

    return expr.replace(lambda e: isinstance(e, MatrixElement), entry)


def _leaves(expr: sp.Expr) -> list[sp.Expr]:
    """The variables left once sizes and indices are concrete: symbols, x[2], y^{(3)}."""
    examples = list(expr.atoms(example))
    inside = set().union(*(e.free_symbols for e in examples)) if examples else set()
    indexed = [i for i in expr.atoms(sp.Indexed) if not any(i in e.args[0].atoms(sp.Indexed)
                                                              or i == e.args[0] for e in examples)]
    labels = {i.base.label for i in expr.atoms(sp.Indexed)}
    symbols = [s for s in expr.free_symbols
               if isinstance(s, sp.Symbol) and s not in labels and s not in inside]
    return sorted(set(examples) | set(indexed) | set(symbols), key=sp.default_sort_key)


def _name(leaf: sp.Expr) -> str:
    base = _base_key(leaf)
    return str(base.label if isinstance(base, sp.IndexedBase) else base)


def _sizes_for(context: Context, size: int) -> dict[sp.Symbol, int]:
    # different bounds get different sizes, so a mix-up of K and D is caught
    return {b: size + n for n, b in enumerate(sorted(context.bounds, key=str))}


def _assignments(indices: list[sp.Symbol], context: Context, sizes: dict, case: Case | None,
                 rng: random.Random) -> list[dict]:
    ranges = []
    for idx in indices:
        bound = context.index_bounds[idx]
        top = int(bound.xreplace(sizes)) if isinstance(bound, sp.Expr) else int(bound)
        ranges.append(range(1, top + 1))
    combos = [dict(zip(indices, values, strict=True)) for values in itertools.product(*ranges)]
    if case is not None and not case.holds_everywhere and case.condition.free_symbols <= set(indices):
        combos = [c for c in combos if bool(case.condition.xreplace(c))]
    rng.shuffle(combos)
    return combos[:MAX_INDEX_ASSIGNMENTS]


def _value_case_ok(case: Case | None, values: dict) -> bool:
    if case is None or case.holds_everywhere:
        return True
    cond = case.condition
    if not cond.free_symbols or cond.has(sp.Indexed) or cond.has(sp.Symbol):
        try:
            verdict = cond.xreplace(values)
            return bool(verdict) if verdict in (sp.true, sp.false) else True
        except TypeError:
            return True
    return True


def numeric_check(lhs: sp.Expr, rhs: sp.Expr, context: Context, case: Case | None = None,
                  seed: int = 0) -> Outcome:
    """Compare both sides at random in-domain points, for each concrete size in the context."""
    rng = random.Random(seed)
    difference_sides = (evaluate_derivatives(lhs, context), evaluate_derivatives(rhs, context))
    full = [expand_functions(substitute_all(side, context.definitions)) for side in difference_sides]
    points = 0
    worst = 0.0
    used_sizes: list[int] = []
    needs_sizes = bool(context.bounds & (full[0].free_symbols | full[1].free_symbols)) or any(
        s.has(sp.MatrixSymbol) for s in full)
    for size in context.sizes if needs_sizes else context.sizes[:1]:
        sizes = _sizes_for(context, size)
        concrete = [s.xreplace(sizes) for s in full]
        indices = sorted(set(_free_indices(concrete[0], context))
                         | set(_free_indices(concrete[1], context)), key=str)
        for assignment in _assignments(indices, context, sizes, case, rng) or [{}]:
            sides = []
            for s in concrete:
                e = s.xreplace(assignment).doit()
                e = _explicit_matrices(e, context).doit()
                sides.append(sp.sympify(e))
            leaves = sorted(set(_leaves(sides[0])) | set(_leaves(sides[1])), key=sp.default_sort_key)
            dummies = [sp.Dummy() for _ in leaves]
            table = dict(zip(leaves, dummies, strict=True))
            funcs = [sp.lambdify(dummies, s.xreplace(table),
                                 modules=[{"Heaviside": _heaviside}, "numpy"]) for s in sides]
            for _ in range(POINTS_PER_ASSIGNMENT * 3):
                values = {leaf: rng.uniform(*context.domain_of(_name(leaf))) for leaf in leaves}
                case_values = {**values, **assignment, **sizes}
                if not _value_case_ok(case, case_values):
                    continue
                args = [values[leaf] for leaf in leaves]
                with warnings.catch_warnings(), np.errstate(all="ignore"):
                    warnings.simplefilter("ignore")
                    try:
                        left, right = (complex(f(*args)) for f in funcs)
                    except (ZeroDivisionError, OverflowError, ValueError, TypeError):
                        continue
                if not all(math.isfinite(v.real) and math.isfinite(v.imag) for v in (left, right)):
                    continue
                scale = max(1.0, abs(left), abs(right))
                error = abs(left - right) / scale
                if error > RELATIVE_TOLERANCE:
                    shown = {str(k): v for k, v in {**assignment, **values}.items()}
                    shown.update({str(k): v for k, v in sizes.items()})
                    return Outcome("refuted", counterexample=shown, reason=(
                        f"at this point the left side is {_fmt(left)} and the right side "
                        f"is {_fmt(right)}"))
                worst = max(worst, error)
                points += 1
                if points and points % POINTS_PER_ASSIGNMENT == 0:
                    break
        if needs_sizes:
            used_sizes.append(size)
    if points < POINTS_PER_ASSIGNMENT:
        return Outcome("unknown", reason="too few points where both sides are finite")
    return Outcome("verified", Verification("numeric", "random points", points, tuple(used_sizes),
                                            worst))


def _heaviside(x, h0=0.5):
    return np.heaviside(x, h0)


def _fmt(value: complex) -> str:
    return f"{value.real:.6g}" if abs(value.imag) < 1e-12 else f"{value:.6g}"


# --- the public entry points -------------------------------------------------------------


def compare(lhs: sp.Expr, rhs: sp.Expr, context: Context, case: Case | None = None,
            budget: float = 1.0, seed: int = 0) -> Outcome:
    """Decide lhs = rhs: proved symbolically, verified numerically, refuted, or unknown."""
    method = prove(lhs, rhs, context, case, budget)
    if method is not None:
        return Outcome("proved", Verification("symbolic", method))
    try:
        with time_limit(max(budget, 2.0)):
            return numeric_check(lhs, rhs, context, case, seed)
    except TimeLimitExceeded:
        return Outcome("unknown", reason="the numeric check ran out of time")
    except (ValueError, TypeError, NotImplementedError, RecursionError, AttributeError) as exc:
        return Outcome("unknown", reason=f"could not evaluate: {exc}")


def verify_step(lhs: sp.Expr, rhs: sp.Expr, context: Context, case: Case | None = None,
                what: str = "step") -> Verification:
    """Verify an equality the engine produced; raise VerificationError unless it holds."""
    outcome = compare(lhs, rhs, context, case)
    if not outcome.ok:
        detail = outcome.reason
        if outcome.counterexample:
            detail += f" (at {outcome.counterexample})"
        raise VerificationError(f"{what} failed verification: {lhs} = {rhs}: {detail}")
    assert outcome.verification is not None
    return outcome.verification
