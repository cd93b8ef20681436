"""Symbolic proof: reduce lhs - rhs to zero, trying cheap methods before expensive ones.

The difference is tried with definitions substituted stage by stage from the top
(:func:`levels`): substituting everything at once (z = w.x too) makes proofs hard, and the
equality is usually plain at some level in between. The methods are cancel, expand, and
cancel after writing hyperbolic functions and our own (sigmoid, softplus) with exp. Each runs
only on an expression within its budget (:mod:`derive.verify.budget`), never against a clock,
so the same equality gets the same proof, by the same method, on every machine. A difference
that reduces to a nonzero constant is a symbolic refutation.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import sympy as sp

from derive.algebra import settle
from derive.context import Context
from derive.functions import expand_functions
from derive.steps import Case
from derive.verify.budget import MAX_WRITTEN_TERMS, within_budget
from derive.verify.outcome import SYMPY_FAILURES
from derive.verify.substitute import (
    apply_case,
    base_key,
    drop_index_ranges,
    evaluate_derivatives,
    substitute_all,
)

# cheapest first; each is bounded by the size of what it is given (no open-ended simplify)
METHODS = ("cancel", "expand", "exponentials")


@dataclass(frozen=True)
class Proof:
    """A proof that the difference is zero (``constant`` 0), or that it is a nonzero constant."""

    method: str
    constant: sp.Expr = sp.S.Zero

    @property
    def holds(self) -> bool:
        return self.constant == 0


def _reduce(expr: sp.Expr, method: str) -> sp.Expr:
    if method == "cancel":
        return sp.cancel(sp.together(expr))
    if method == "expand":
        return sp.expand(expr)
    # hyperbolic and trigonometric functions, the sigmoid and softplus written with exp
    return sp.cancel(sp.together(expand_functions(expr).rewrite(sp.exp)))


def canonical_dummies(expr: sp.Expr) -> sp.Expr:
    """Name every summation index by its nesting depth, so equal sums become equal atoms."""

    def walk(e: sp.Expr, depth: int) -> sp.Expr:
        if isinstance(e, sp.Sum) and len(e.limits) == 1:
            index, low, high = e.limits[0]
            new = sp.Symbol(f"_sum{depth}", **index.assumptions0)
            body = walk(e.function.xreplace({index: new}), depth + 1)
            return sp.Sum(body, (new, low, high))
        if e.is_Atom or not e.args:
            return e
        args = [walk(a, depth) for a in e.args]
        if all(a is b for a, b in zip(args, e.args, strict=True)):
            return e  # nothing inside changed: no need to build it again
        return e.func(*args)

    return walk(expr, 0) if expr.has(sp.Sum) else expr


def levels(difference: sp.Expr, context: Context, case: Case | None) -> Iterator[sp.Expr]:
    """The difference with fewer, then more definitions substituted, stage by stage."""
    families = list(dict.fromkeys(base_key(d.lhs) for d in context.definitions))
    previous = None
    for cut in range(len(families), -1, -1):
        keep = frozenset(families[:cut])
        level = substitute_all(difference, context.definitions, keep, context=context)
        level = settle(apply_case(level, case))
        # distinct names for nested sums first, so writing one out cannot reach into another
        level = canonical_dummies(drop_index_ranges(level, context))
        level = canonical_dummies(write_out_sums(level))
        if level != previous:
            yield level
        previous = level


class _Levels:
    """The levels of a difference, each computed the first time a method asks for it."""

    def __init__(self, source: Iterator[sp.Expr]) -> None:
        self.source, self.seen = source, []

    def __iter__(self) -> Iterator[sp.Expr]:
        yield from self.seen
        for level in self.source:
            self.seen.append(level)
            yield level


def write_out_sums(expr: sp.Expr) -> sp.Expr:
    """Sums with concrete limits (sum_{j=1}^{3}) written term by term, up to a fixed count."""

    def small(e: sp.Basic) -> bool:
        if not isinstance(e, sp.Sum) or len(e.limits) != 1:
            return False
        _, low, high = e.limits[0]
        return low.is_Integer and high.is_Integer and 0 <= high - low < MAX_WRITTEN_TERMS

    def write(e: sp.Sum) -> sp.Expr:
        index, low, high = e.limits[0]
        return sp.Add(*(e.function.xreplace({index: v}) for v in range(int(low), int(high) + 1)))

    return expr.replace(small, write) if expr.has(sp.Sum) else expr


def _nonzero_constant(value: sp.Expr) -> bool:
    return bool(value.is_number and value.is_finite and value.is_comparable and value != 0)


def prove(lhs: sp.Expr, rhs: sp.Expr, context: Context, case: Case | None = None) -> Proof | None:
    """Prove lhs = rhs (or that they differ by a constant); None when no method in budget can."""
    difference = apply_case(evaluate_derivatives(lhs - rhs, context), case)
    candidates = _Levels(levels(difference, context, case))
    for method in METHODS:
        for depth, candidate in enumerate(candidates):
            if not within_budget(candidate, method):
                continue
            try:
                value = _reduce(candidate, method)
            except SYMPY_FAILURES:
                continue
            if value.is_number:
                value = value.doit()  # cancel can leave numbers unadded: -1/100 + 1/100
            label = method if depth == 0 else f"{method}, definitions substituted"
            if value == 0:
                return Proof(label)
            if _nonzero_constant(value):
                return Proof(label, value)
    return None
