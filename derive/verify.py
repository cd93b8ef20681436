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

from derive.algebra import settle
from derive.context import Context
from derive.errors import VerificationError
from derive.functions import example, expand_functions
from derive.steps import Case, Definition, Verification
from derive.timeout import TimeLimitExceeded, time_limit

Status = Literal["proved", "verified", "refuted", "unknown"]

RELATIVE_TOLERANCE = 1e-8
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
POINTS_PER_ASSIGNMENT = 4
MAX_INDEX_ASSIGNMENTS = 3
# seconds a symbolic proof of an engine step may take before the numeric check decides
ENGINE_BUDGET = 0.3


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


def per_example(expr: sp.Expr, i: sp.Expr, context: Context) -> sp.Expr:
    """The value of expr for training example i: wrap each per-example variable in example()."""
    fixed = set(context.index_bounds) | context.bounds
    table = {}
    for ix in expr.atoms(sp.Indexed):
        if str(ix.base.label) not in context.shared:
            table[ix] = example(ix, i)
    labels = {ix.base.label for ix in expr.atoms(sp.Indexed)}
    for s in expr.free_symbols - labels - fixed:
        if (
            isinstance(s, sp.Symbol)
            and s.name not in context.shared
            and not any(s in ix.free_symbols for ix in table)
        ):
            table[s] = example(s, i)
    return expr.xreplace(table)


def _expand_examples(expr: sp.Expr, context: Context) -> sp.Expr:
    """example(L, i) with L defined: the definition, evaluated for example i."""

    def expand(e: example) -> sp.Expr:
        inner, i = e.args
        new = substitute_once(inner, context.definitions)
        return e if new == inner else per_example(new, i, context)

    return expr.replace(lambda e: isinstance(e, example), expand)


def rename_bound(expr: sp.Expr, taken: set) -> sp.Expr:
    """Rename summation indices that clash with ``taken`` (capture-avoiding substitution)."""

    def fresh(symbol: sp.Symbol) -> sp.Symbol:
        name = symbol.name
        while any(t.name == name for t in taken | expr.free_symbols):
            name += "'"
        return sp.Symbol(name, **symbol.assumptions0)

    def rename(e: sp.Sum) -> sp.Expr:
        index = e.limits[0][0]
        if index not in taken:
            return e
        new = fresh(index)
        return sp.Sum(e.function.xreplace({index: new}), (new, *e.limits[0][1:]), *e.limits[1:])

    return expr.replace(lambda e: isinstance(e, sp.Sum), rename)


def substitute_once(
    expr: sp.Expr,
    definitions: tuple[Definition, ...],
    keep: frozenset = frozenset(),
    context: Context | None = None,
) -> sp.Expr:
    """Replace each defined symbol (or indexed family member) by its definition, one level deep."""
    if context is not None and expr.has(example):
        expr = _expand_examples(expr, context)
    # derivatives are evaluated by evaluate_derivatives; examples were expanded above
    shield = {e: sp.Dummy("e") for e in expr.atoms(example, sp.Derivative)}
    expr, restore = expr.xreplace(shield), {v: k for k, v in shield.items()}
    plain = {}
    for d in definitions:
        if _base_key(d.lhs) in keep:
            continue
        if isinstance(d.lhs, sp.Indexed):
            lhs = d.lhs

            def member(e, lhs=lhs):
                return isinstance(e, sp.Indexed) and e.base == lhs.base

            def expand(e, lhs=lhs, rhs=d.rhs):
                fresh = rename_bound(rhs, set().union(*(i.free_symbols for i in e.indices)))
                return fresh.xreplace(dict(zip(lhs.indices, e.indices, strict=True)))

            expr = expr.replace(member, expand)
        else:
            plain[d.lhs] = d.rhs
    if plain:  # derivatives the expansions just brought in are not this level's business
        inserted = {e: sp.Dummy("e") for e in expr.atoms(example, sp.Derivative)}
        expr = expr.xreplace(inserted).xreplace(plain)
        restore.update({v: k for k, v in inserted.items()})
    return expr.xreplace(restore)


def substitute_all(
    expr: sp.Expr,
    definitions: tuple[Definition, ...],
    keep: frozenset = frozenset(),
    depth: int = 12,
    context: Context | None = None,
) -> sp.Expr:
    """Substitute definitions until nothing defined is left (or ``depth`` rounds)."""
    for _ in range(depth):
        new = substitute_once(expr, definitions, keep, context)
        if new == expr:
            return expr
        expr = new
    return expr


def evaluate_derivatives(expr: sp.Expr, context: Context, prepare=None, depth: int = 0) -> sp.Expr:
    """Replace every unevaluated derivative df/dv by its value, expanding f down to v.

    The family of v is kept whole (differentiating y_T by z_k must not expand z_T);
    ``prepare`` transforms f before differentiation (the numeric check writes out sums).
    """

    def value(d: sp.Derivative) -> sp.Expr:
        fact = lookup_fact(d, context)
        if fact is not None and depth < 8:
            return evaluate_derivatives(fact, context, prepare, depth + 1)
        through_examples = _mean_of_examples(d, context)
        if through_examples is not None:
            return through_examples
        keep = frozenset(_base_key(v) for v in d.variables)
        f = substitute_all(d.expr, context.definitions, keep, context=context)
        if prepare is not None:
            f = prepare(f)
        return drop_index_ranges(settle(sp.diff(f, *d.variables)), context)

    return expr.replace(lambda e: isinstance(e, sp.Derivative), value)


def _mean_of_examples(d: sp.Derivative, context: Context) -> sp.Expr | None:
    """d/dv of c * sum_i f^(i) is c * sum_i (df/dv)^(i) for a shared v, when df/dv is a fact.

    This is how the derivative of the cost reuses the verified per-example gradient instead
    of differentiating the whole composition again.
    """
    if len(d.variables) != 1 or str(_family(d.variables[0])) not in context.shared:
        return None
    (v,) = d.variables
    expanded = substitute_once(d.expr, context.definitions)
    total = sp.S.Zero
    for term in sp.Add.make_args(expanded):
        factor, rest = term.as_independent(sp.Sum, as_Add=False)
        if not isinstance(rest, sp.Sum) or len(rest.limits) != 1 or factor.has(v):
            return None
        i = rest.limits[0][0]
        inner = rest.function
        if not (isinstance(inner, example) and inner.args[1] == i):
            return None
        fact = lookup_fact(sp.Derivative(inner.args[0], v), context)
        if fact is None:
            return None
        total += factor * sp.Sum(per_example(fact, i, context), *rest.limits)
    return total


def lookup_fact(d: sp.Derivative, context: Context) -> sp.Expr | None:
    """A verified derivative that matches d, its symbolic indices renamed (w_j -> w_1)."""
    if d in context.facts:
        return context.facts[d]
    for known, value in context.facts.items():
        if known.expr != d.expr or len(known.variables) != 1 or len(d.variables) != 1:
            continue
        (a,), (b,) = known.variables, d.variables
        if (
            isinstance(a, sp.Indexed)
            and isinstance(b, sp.Indexed)
            and a.base == b.base
            and all(isinstance(i, sp.Symbol) for i in a.indices)
        ):
            return value.xreplace(dict(zip(a.indices, b.indices, strict=True)))
    return None


def _family(expr: sp.Expr) -> sp.Basic:
    base = _base_key(expr)
    return base.label if isinstance(base, sp.IndexedBase) else base


def drop_index_ranges(expr: sp.Expr, context: Context) -> sp.Expr:
    """Remove Piecewise guards that only say an index lies in its range (it always does here)."""
    index_like = set(context.index_bounds) | context.bounds

    def only_ranges(p: sp.Piecewise) -> bool:
        cond = p.args[0].cond
        return (
            cond is not sp.true and cond.free_symbols <= index_like and not cond.has(sp.Eq, sp.Ne)
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


def canonical_dummies(expr: sp.Expr) -> sp.Expr:
    """Name every summation index by its nesting depth, so equal sums become equal atoms."""

    def walk(e: sp.Expr, depth: int) -> sp.Expr:
        if isinstance(e, sp.Sum) and len(e.limits) == 1:
            index, low, high = e.limits[0]
            new = sp.Symbol(f"_sum{depth}", **index.assumptions0)
            body = walk(e.function.xreplace({index: new}), depth + 1)
            return sp.Sum(body, (new, low, high))
        if not e.args or e.is_Atom:
            return e
        return e.func(*(walk(a, depth) for a in e.args))

    return walk(expr, 0)


def _levels(difference: sp.Expr, context: Context, case: Case | None) -> list[sp.Expr]:
    """The difference with fewer, then more definitions substituted, stage by stage.

    Substituting everything at once (z = w.x too) makes proofs hard; cutting through the
    definitions one at a time from the top finds the level where the equality is plain.
    """
    families = list(dict.fromkeys(_base_key(d.lhs) for d in context.definitions))
    levels: list[sp.Expr] = []
    for cut in range(len(families), -1, -1):
        keep = frozenset(families[:cut])
        level = substitute_all(difference, context.definitions, keep, context=context)
        level = canonical_dummies(drop_index_ranges(settle(apply_case(level, case)), context))
        if not levels or level != levels[-1]:
            levels.append(level)
    return levels


def prove(
    lhs: sp.Expr, rhs: sp.Expr, context: Context, case: Case | None = None, budget: float = 1.0
) -> str | None:
    """Try to prove lhs = rhs symbolically; return the method that succeeded, or None."""
    difference = apply_case(evaluate_derivatives(lhs - rhs, context), case)
    levels = _levels(difference, context, case)
    for method, share in (("cancel", 0.4), ("expand", 0.2), ("simplify", 0.4)):
        for depth, candidate in enumerate(levels):
            if method == "simplify" and sp.count_ops(candidate) > 400:
                continue
            try:
                with time_limit(budget * share / len(levels)):
                    if _is_zero(candidate, method):
                        return method if depth == 0 else f"{method}, definitions substituted"
            except (TimeLimitExceeded, *SYMPY_FAILURES):
                continue
    return None


# --- numeric check ----------------------------------------------------------------------


def _bound_of(index: sp.Expr, context: Context) -> sp.Expr:
    return context.index_bounds[index.args[0] if isinstance(index, example) else index]


def _explicit_matrices(expr: sp.Expr, context: Context, sizes: dict, cache: dict) -> sp.Expr:
    """Turn entries of matrix expressions of concrete size into explicit scalar expressions.

    ``cache`` keeps the explicit matrices of one size, which every index assignment reuses.
    """

    def explicit(parent: sp.MatrixExpr) -> sp.ImmutableMatrix:
        if parent in cache:
            return cache[parent]
        replacements = {}
        for m in parent.atoms(sp.MatrixSymbol):
            build = context.matrices.get(m.name)
            if build is None:
                raise ValueError(f"no entries known for matrix {m.name}")
            rows, cols = int(m.shape[0]), int(m.shape[1])
            replacements[m] = sp.ImmutableMatrix(
                rows,
                cols,
                lambda r, c, build=build: unroll_sums(build(r + 1, c + 1).xreplace(sizes)),
            )
        cache[parent] = sp.ImmutableMatrix(parent.xreplace(replacements).doit())
        return cache[parent]

    def entry(e: MatrixElement) -> sp.Expr:
        return explicit(e.parent)[int(e.i), int(e.j)]

    return expr.replace(lambda e: isinstance(e, MatrixElement), entry)


def _leaves(expr: sp.Expr) -> list[sp.Expr]:
    """The variables left once sizes and indices are concrete: symbols, x[2], y^{(3)}."""
    examples = list(expr.atoms(example))
    inside = set().union(*(e.free_symbols for e in examples)) if examples else set()
    indexed = [
        i
        for i in expr.atoms(sp.Indexed)
        if not any(i in e.args[0].atoms(sp.Indexed) or i == e.args[0] for e in examples)
    ]
    labels = {i.base.label for i in expr.atoms(sp.Indexed)}
    symbols = [
        s
        for s in expr.free_symbols
        if isinstance(s, sp.Symbol) and s not in labels and s not in inside
    ]
    return sorted(set(examples) | set(indexed) | set(symbols), key=sp.default_sort_key)


def _name(leaf: sp.Expr) -> str:
    base = _base_key(leaf)
    return str(base.label if isinstance(base, sp.IndexedBase) else base)


def _sizes_for(context: Context, size: int) -> dict[sp.Symbol, sp.Integer]:
    # different bounds get different sizes, so a mix-up of K and D is caught
    return {b: sp.Integer(size + n) for n, b in enumerate(sorted(context.bounds, key=str))}


def _assignments(
    indices: list[sp.Expr], context: Context, sizes: dict, case: Case | None, rng: random.Random
) -> list[dict]:
    """Up to MAX_INDEX_ASSIGNMENTS integer assignments of the free indices (all, when few)."""
    ranges = [range(1, int(sp.sympify(_bound_of(i, context)).xreplace(sizes)) + 1) for i in indices]
    total = math.prod(len(r) for r in ranges)
    if total <= 512:
        combos = [
            dict(zip(indices, map(sp.Integer, v), strict=True)) for v in itertools.product(*ranges)
        ]
    else:
        combos = [
            {i: sp.Integer(rng.choice(r)) for i, r in zip(indices, ranges, strict=True)}
            for _ in range(64)
        ]
    if (
        case is not None
        and not case.holds_everywhere
        and case.condition.free_symbols <= set(indices)
    ):
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


def unroll_sums(expr: sp.Expr) -> sp.Expr:
    """Write sums with integer limits out term by term (much faster than Sum.doit)."""

    def unroll(e: sp.Sum) -> sp.Expr:
        if len(e.limits) != 1:
            return e
        index, low, high = e.limits[0]
        if not (low.is_Integer and high.is_Integer):
            return e
        return sp.Add(
            *(e.function.xreplace({index: sp.Integer(v)}) for v in range(int(low), int(high) + 1))
        )

    return expr.replace(lambda e: isinstance(e, sp.Sum), unroll)


def _concrete(
    side: sp.Expr, context: Context, sizes: dict, assignment: dict, substitute: bool, cache: dict
) -> sp.Expr:
    """Sizes and indices made concrete, matrices written out, derivatives (and, if asked,
    definitions) evaluated, sums written out."""
    e = unroll_sums(side.xreplace(sizes).xreplace(assignment))
    e = evaluate_derivatives(e, context, lambda f: unroll_sums(f.xreplace(sizes)))
    e = e.xreplace(sizes).xreplace(assignment)
    if e.has(MatrixElement):
        e = _explicit_matrices(e, context, sizes, cache)
    if substitute:
        e = substitute_all(e, context.definitions, context=context)
    return unroll_sums(expand_functions(e).xreplace(sizes).xreplace(assignment)).doit()


def _compile(sides: list[sp.Expr]) -> tuple[list[sp.Expr], list]:
    """Lambdify both sides over their leaves (plain symbols, so lambdify need not dummify)."""
    leaves = sorted(set(_leaves(sides[0])) | set(_leaves(sides[1])), key=sp.default_sort_key)
    names = [sp.Symbol(f"v{n}") for n in range(len(leaves))]
    table = dict(zip(leaves, names, strict=True))
    funcs = [
        sp.lambdify(names, s.xreplace(table), modules=[NUMERIC_FUNCTIONS, "numpy"], dummify=False)
        for s in sides
    ]
    return leaves, funcs


def _is_index(leaf: sp.Expr, context: Context) -> bool:
    return isinstance(leaf, example) and leaf.args[0] in context.index_bounds


def _draw(leaf: sp.Expr, context: Context, sizes: dict, rng: random.Random) -> float:
    if _is_index(leaf, context):
        top = int(sp.sympify(_bound_of(leaf, context)).xreplace(sizes))
        return rng.randint(1, top)
    return rng.uniform(*context.domain_of(_name(leaf)))


NUMERIC_FUNCTIONS = {
    "Heaviside": lambda x, h0=0.5: np.heaviside(x, h0),
    "KroneckerDelta": lambda a, b: np.equal(a, b).astype(float),
}


def _reachable(sides, context: Context) -> set[sp.Basic]:
    """Every symbol the sides depend on, directly or through definitions."""
    seen: set[sp.Basic] = set()
    todo = [s for side in sides for s in side.free_symbols]
    for side in sides:  # SymPy leaves the variables of a derivative out of its free symbols
        todo.extend(
            s for d in side.atoms(sp.Derivative) for v in d.variables for s in v.free_symbols
        )
    families = {_base_key(d.lhs): d for d in context.definitions}
    while todo:
        symbol = todo.pop()
        if symbol in seen:
            continue
        seen.add(symbol)
        d = families.get(_base_key(symbol))
        if d is not None:
            own = set(d.lhs.indices) if isinstance(d.lhs, sp.Indexed) else set()
            todo.extend(d.rhs.free_symbols - own)
    return seen


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
    rng = random.Random(seed)
    raw = (lhs, rhs)
    points = 0
    worst = 0.0
    used_sizes: list[int] = []
    reachable = _reachable(raw, context)
    needs_sizes = bool(context.bounds & reachable) or any(s.has(sp.MatrixSymbol) for s in raw)
    for size in context.sizes if needs_sizes else context.sizes[:1]:
        sizes = _sizes_for(context, size)
        indices = sorted(
            (i for i in reachable if i in context.index_bounds), key=sp.default_sort_key
        )
        cache: dict = {}
        for assignment in _assignments(indices, context, sizes, case, rng) or [{}]:
            sides = [_concrete(s, context, sizes, assignment, substitute, cache) for s in raw]
            leaves, funcs = _compile(sides)
            loose = [
                leaf for leaf in leaves if leaf in context.index_bounds or leaf in context.bounds
            ]
            if loose:
                return Outcome("unknown", reason=f"index {loose[0]} was left without a value")
            found = 0
            for _ in range(POINTS_PER_ASSIGNMENT * 3):
                values = {leaf: _draw(leaf, context, sizes, rng) for leaf in leaves}
                if not _value_case_ok(case, {**values, **assignment, **sizes}):
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
                error = abs(left - right) / max(1.0, abs(left), abs(right))
                if error > RELATIVE_TOLERANCE:
                    shown = {str(k): v for k, v in {**assignment, **values, **sizes}.items()}
                    return Outcome(
                        "refuted",
                        counterexample=shown,
                        reason=(
                            f"at this point the left side is {_fmt(left)} and the right side "
                            f"is {_fmt(right)}"
                        ),
                    )
                worst = max(worst, error)
                points += 1
                found += 1
                if found == POINTS_PER_ASSIGNMENT:
                    break
        if needs_sizes:
            used_sizes.append(size)
    if points < POINTS_PER_ASSIGNMENT:
        return Outcome("unknown", reason="too few points where both sides are finite")
    return Outcome(
        "verified", Verification("numeric", "random points", points, tuple(used_sizes), worst)
    )


def _fmt(value: complex) -> str:
    return f"{value.real:.6g}" if abs(value.imag) < 1e-12 else f"{value:.6g}"


# --- the public entry points -------------------------------------------------------------


def compare(
    lhs: sp.Expr,
    rhs: sp.Expr,
    context: Context,
    case: Case | None = None,
    seed: int = 0,
) -> Outcome:
    """Decide lhs = rhs: proved symbolically, verified numerically, refuted, or unknown."""
    # entries of matrix products of symbolic size are beyond SymPy: check them at real sizes
    symbolic = not (lhs.has(sp.MatrixSymbol) or rhs.has(sp.MatrixSymbol))
    method = None
    budget = 0.6
    if symbolic:
        try:
            with time_limit(budget):
                method = prove(lhs, rhs, context, case, budget)
        except TimeLimitExceeded:
            method = None
    if method is not None:
        return Outcome("proved", Verification("symbolic", method))
    try:
        with time_limit(max(budget, 2.0)):
            if context.definitions:
                free = numeric_check(lhs, rhs, context, case, seed, substitute=False)
                if free.ok:
                    return free
            return numeric_check(lhs, rhs, context, case, seed)
    except TimeLimitExceeded:
        return Outcome("unknown", reason="the numeric check ran out of time")
    except SYMPY_FAILURES as exc:
        return Outcome("unknown", reason=f"could not evaluate: {exc}")


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
