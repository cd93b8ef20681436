"""Deterministic budgets: how much work a proof or a numeric check may do, counted, not timed.

A verdict must not depend on how fast or busy the machine is, so nothing here reads a clock.
A proof method is tried only on an expression whose size (operations, and the number of terms
a full expansion would produce) is within its budget; a numeric check evaluates a bounded
number of terms and points. What exceeds a budget goes to the next method, or is ``unknown``.
"""

from __future__ import annotations

import math

import sympy as sp

# symbolic proof: the largest expression each method is tried on
MAX_OPS = {"cancel": 1500, "expand": 1500, "exponentials": 600}
MAX_EXPANSION_TERMS = 4000  # cancel and expand multiply out: no more terms than this
MAX_WRITTEN_TERMS = 20  # a sum with concrete limits is written out up to this many terms
# numeric check
SAMPLES_PER_ASSIGNMENT = 12  # points drawn at once for each size and index assignment
POINTS_PER_ASSIGNMENT = 4  # of those, how many must be finite and in the case
MAX_INDEX_ASSIGNMENTS = 3
MAX_TERMS_EVALUATED = 2_000_000  # terms of sums and matrix products in one evaluation
PRECISIONS = (30, 60, 120, 240, 480, 960)  # decimal digits tried to separate rounding from error
SLACK_DIGITS = 5


class TooCostly(Exception):
    """An evaluation would exceed its fixed budget of terms."""


def expansion_terms(expr: sp.Basic, limit: int = MAX_EXPANSION_TERMS) -> int:
    """An upper estimate of the terms expr has once multiplied out (limit + 1 when larger).

    A function, a sum or a power with a symbolic exponent is one factor where it stands; the
    terms inside its arguments are counted once, beside the rest.
    """

    def size(e: sp.Basic) -> tuple[int, int]:  # (terms where e stands, terms inside factors)
        if e.is_Atom:
            return 1, 0
        if isinstance(e, (sp.Add, sp.Mul)):
            parts = [size(a) for a in e.args]
            inner = sum(i for _, i in parts)
            if isinstance(e, sp.Add):
                return min(sum(t for t, _ in parts), limit + 1), inner
            return min(math.prod(t for t, _ in parts), limit + 1), inner
        if isinstance(e, sp.Pow) and e.exp.is_Integer:
            terms, inner = size(e.base)
            return _monomials(terms, abs(int(e.exp)), limit), inner
        return 1, sum(t + i for t, i in map(size, e.args))

    terms, inner = size(expr)
    return min(terms + inner, limit + 1)


def _monomials(variables: int, degree: int, limit: int) -> int:
    """How many monomials of this degree in this many terms, or limit + 1 when more."""
    if degree == 0 or variables <= 1:
        return 1
    count = 1
    for n in range(1, degree + 1):  # C(variables + degree - 1, degree), stopped early
        count = count * (variables - 1 + n) // n
        if count > limit:
            return limit + 1
    return count


def within_budget(expr: sp.Basic, method: str) -> bool:
    """Whether a proof method may be tried on expr (size and expansion both bounded)."""
    return sp.count_ops(expr) <= MAX_OPS[method] and expansion_terms(expr) <= MAX_EXPANSION_TERMS
