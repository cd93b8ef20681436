"""Build the SymPy objects the parser needs, refusing those that would be too big to handle.

Each builder raises :class:`ParseError` for what it cannot build: a power with a huge integer
value (``9^{9^{9}}``), a derivative with respect to an expression of several variables, a dot
product with something that is not a vector.
"""

from __future__ import annotations

import math

import sympy as sp

from derive.checking.symbols import (
    DEFAULT_SIZE,
    DOT_INDEX,
    FUNCTIONS,
    SOFTMAX_INDEX,
    family,
    index_symbol,
    real_bare_symbols,
    size_symbol,
)
from derive.functions import example

MAX_EXPONENT = 1000
MAX_ORDER = 4  # of a derivative, written with primes or d^n
MAX_DIGITS = 100  # of a literal number; a power of numbers may have ten times as many


class ParseError(Exception):
    """The text is not an expression this parser understands; the message says why."""


def number(text: str) -> sp.Rational:
    """An exact number from its digits (0.5 is 1/2)."""
    if len(text) > MAX_DIGITS:
        raise ParseError("a number with too many digits")
    whole, _, fraction = text.partition(".")
    return sp.Rational(int(whole + fraction), 10 ** len(fraction))


def power(base: sp.Expr, exponent: sp.Expr) -> sp.Expr:
    """base**exponent, refusing powers whose value would be astronomically large."""
    if exponent.is_Number and base not in (sp.S.Zero, sp.S.One, sp.S.NegativeOne):
        if abs(exponent) > MAX_EXPONENT:
            raise ParseError("an exponent too large to work with")
        if base.is_Rational:
            p, q = base.as_numer_denom()
            digits = abs(float(exponent)) * abs(math.log10(abs(int(p))) - math.log10(int(q)))
            if digits > MAX_DIGITS * 10:
                raise ParseError("a power too large to work with")
    return sp.Pow(base, exponent)


def apply_function(name: str, args: list[sp.Expr], primes: int) -> sp.Expr:
    """A known function applied to its arguments; each prime differentiates it once."""
    build = FUNCTIONS[name]
    if not primes:
        return build(*args)
    if primes > MAX_ORDER:
        raise ParseError(f"a derivative of order {primes}")
    if len(args) != 1:
        raise ParseError(f"a derivative of \\{name} with several arguments")
    x = sp.Dummy("x", real=True)
    return sp.diff(build(x), x, primes).xreplace({x: args[0]})


def dot(
    name: str, right: object, row: sp.Expr | None = None, bound: sp.Expr | None = None
) -> sp.Expr:
    """w^T x: the sum over a fresh index of w_i times x_i, every bare variable of x indexed.

    With a row (w_k^T x), the entries are those of row k of the matrix w: w_{k,i}.
    """
    if not isinstance(right, sp.Expr):
        raise ParseError(f"{name}^T times something that is not a vector")
    index = index_symbol(DOT_INDEX)
    left = family(name)[index] if row is None else family(name)[row, index]
    top = _dot_bound() if bound is None else bound
    if isinstance(right, sp.Indexed) and len(right.indices) == 1:  # w^T x_n: row n of x
        return sp.Sum(left * right.base[right.indices[0], index], (index, 1, top))
    vectors = real_bare_symbols(right)
    if not vectors or right.has(sp.Indexed, sp.Derivative, sp.Sum):
        raise ParseError(f"{name}^T times something that is not a vector")
    member = right.xreplace({v: family(str(v))[index] for v in vectors})
    return sp.Sum(left * member, (index, 1, top))


def _dot_bound() -> sp.Symbol:
    return size_symbol(DEFAULT_SIZE)


def norm(vector: sp.Expr, bound: sp.Expr | None = None) -> sp.Expr:
    """||w|| = sqrt(sum_i w_i^2), for a vector name w."""
    if not isinstance(vector, sp.Symbol):
        raise ParseError("a norm of something other than a vector name")
    index = index_symbol(DOT_INDEX)
    top = _dot_bound() if bound is None else bound
    return sp.sqrt(sp.Sum(family(str(vector))[index] ** 2, (index, 1, top)))


def derivative(f: sp.Expr, variables: tuple[tuple[sp.Expr, int], ...]) -> sp.Expr:
    """An unevaluated derivative; d f / d(u) for an expression u in one variable v is f_v / u_v."""
    plain = [(v, n) for v, n in variables if isinstance(v, (sp.Symbol, sp.Indexed))]
    for v, _ in plain:
        if v.is_integer:
            raise ParseError(f"a derivative with respect to the index {v}")
    if len(plain) == len(variables):
        return sp.Derivative(f, *plain)
    if len(variables) != 1:
        raise ParseError("a mixed derivative with respect to an expression")
    u = variables[0][0]
    leaves = real_bare_symbols(u) | u.atoms(sp.Indexed)
    if len(leaves) != 1 or u.has(example):
        raise ParseError("a derivative with respect to an expression of several variables")
    (v,) = leaves
    return sp.Derivative(f, v) / sp.Derivative(u, v)


def softmax_entry(scores: sp.IndexedBase, index: sp.Expr, size: sp.Expr) -> sp.Expr:
    """Entry ``index`` of softmax(scores): e^{z_k} / sum_j e^{z_j}."""
    j = index_symbol(SOFTMAX_INDEX)
    return sp.exp(scores[index]) / sp.Sum(sp.exp(scores[j]), (j, 1, size))
