"""The arithmetic a compiled expression is evaluated with: NumPy floats, exact rationals, mpmath.

:class:`FloatBackend` evaluates every sample point at once (NumPy arrays, float64): the fast
screen. :class:`ExactBackend` evaluates one point in exact rational arithmetic and refuses
anything transcendental; :class:`MpBackend` evaluates one point with mpmath at the precision
in force (``mpmath.workdps``). The two one-point backends decide what float64 cannot: whether
a difference is rounding or real.
"""

from __future__ import annotations

import math
import operator
from fractions import Fraction
from functools import reduce
from typing import Any, Protocol

import mpmath
import numpy as np
import sympy as sp


class NotNumeric(Exception):
    """The expression holds something that cannot be evaluated numerically (a derivative...)."""


class NotExact(NotNumeric):
    """Exact rational arithmetic cannot evaluate this (exp, log, a root, pi)."""


COMPARISONS = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
# the largest exact power worth computing: about this many bits in the result
MAX_EXACT_BITS = 200_000


class Backend(Protocol):
    nan: Any

    def const(self, expr: sp.Expr) -> Any: ...
    def leaf(self, raw: np.ndarray) -> Any: ...
    def pow(self, base: Any, exponent: Any) -> Any: ...
    def call(self, name: str, args: list) -> Any: ...
    def extremum(self, args: list, largest: bool) -> Any: ...
    def heaviside(self, u: Any, at_zero: Any) -> Any: ...
    def compare(self, op: str, a: Any, b: Any) -> Any: ...
    def logic(self, op: str, args: list) -> Any: ...
    def select(self, conditions: list, values: list, default: Any) -> Any: ...


def _np_sigmoid(u):
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(u, dtype=float)))


def _mp_sigmoid(u):
    return 1 / (1 + mpmath.exp(-u))


def _erf(u):
    return np.vectorize(math.erf, otypes=[float])(u)


# name -> (NumPy, mpmath): SymPy functions by class name, our own functions included
FUNCTIONS: dict[str, tuple[Any, Any]] = {
    "exp": (np.exp, mpmath.exp),
    "log": (np.log, mpmath.log),
    "sin": (np.sin, mpmath.sin),
    "cos": (np.cos, mpmath.cos),
    "tan": (np.tan, mpmath.tan),
    "sinh": (np.sinh, mpmath.sinh),
    "cosh": (np.cosh, mpmath.cosh),
    "tanh": (np.tanh, mpmath.tanh),
    "asin": (np.arcsin, mpmath.asin),
    "acos": (np.arccos, mpmath.acos),
    "atan": (np.arctan, mpmath.atan),
    "asinh": (np.arcsinh, mpmath.asinh),
    "acosh": (np.arccosh, mpmath.acosh),
    "atanh": (np.arctanh, mpmath.atanh),
    "erf": (_erf, mpmath.erf),
    "Abs": (np.abs, abs),
    "sign": (np.sign, mpmath.sign),
    "floor": (np.floor, mpmath.floor),
    "ceiling": (np.ceil, mpmath.ceil),
    "sigmoid": (_np_sigmoid, _mp_sigmoid),
    "softplus": (lambda u: np.logaddexp(0.0, u), lambda u: mpmath.log1p(mpmath.exp(u))),
}
EXACT_FUNCTIONS = {
    "Abs": abs,
    "sign": lambda u: (u > 0) - (u < 0),
    "floor": math.floor,
    "ceiling": math.ceil,
}


class FloatBackend:
    """float64 NumPy arrays, one entry per sample point (run under np.errstate(all='ignore'))."""

    nan = math.nan

    def const(self, expr: sp.Expr) -> float:
        return float(expr)

    def leaf(self, raw: np.ndarray) -> np.ndarray:
        return raw

    def pow(self, base, exponent):
        return np.power(np.asarray(base, dtype=float), np.asarray(exponent, dtype=float))

    def call(self, name: str, args: list):
        return FUNCTIONS[name][0](*(np.asarray(a, dtype=float) for a in args))

    def extremum(self, args: list, largest: bool):
        return reduce(np.maximum if largest else np.minimum, args)

    def heaviside(self, u, at_zero):
        u = np.asarray(u, dtype=float)
        return np.where(u > 0, 1.0, np.where(u < 0, 0.0, at_zero))

    def compare(self, op: str, a, b):
        return COMPARISONS[op](np.asarray(a), np.asarray(b))

    def logic(self, op: str, args: list):
        if op == "not":
            return np.logical_not(args[0])
        combine = np.logical_and if op == "and" else np.logical_or
        return reduce(combine, args)

    def select(self, conditions: list, values: list, default):
        shape = np.broadcast_shapes(*(np.shape(x) for x in (*conditions, *values)))
        conds = [np.broadcast_to(np.asarray(c, dtype=bool), shape) for c in conditions]
        vals = [np.broadcast_to(np.asarray(v, dtype=float), shape) for v in values]
        return np.select(conds, vals, default)


class _OnePoint:
    """What the exact and the mpmath backends share: one sample point, plain comparisons."""

    def __init__(self, point: int) -> None:
        self.point = point

    def extremum(self, args: list, largest: bool):
        return max(args) if largest else min(args)

    def heaviside(self, u, at_zero):
        return 1 if u > 0 else 0 if u < 0 else at_zero

    def compare(self, op: str, a, b) -> bool:
        try:
            return bool(COMPARISONS[op](a, b))
        except TypeError as exc:  # complex values have no order
            raise NotNumeric(str(exc)) from None

    def logic(self, op: str, args: list) -> bool:
        if op == "not":
            return not args[0]
        return all(args) if op == "and" else any(args)

    def select(self, conditions: list, values: list, default):
        for condition, value in zip(conditions, values, strict=True):
            if condition:
                return value
        if default is None:
            raise NotNumeric("no piece of a piecewise expression applies here")
        return default


class ExactBackend(_OnePoint):
    """Exact rational arithmetic at one point: a difference is zero or it is not."""

    nan = None

    def const(self, expr: sp.Expr) -> Fraction:
        if isinstance(expr, sp.Rational):
            return Fraction(int(expr.p), int(expr.q))
        if isinstance(expr, sp.Float):
            sign, mantissa, exponent, _ = expr._mpf_
            value = Fraction(mantissa) * Fraction(2) ** exponent
            return -value if sign else value
        raise NotExact(f"{expr} is not rational")

    def leaf(self, raw: np.ndarray) -> Fraction:
        return Fraction(float(raw[self.point]))

    def pow(self, base, exponent):
        if not (isinstance(exponent, int) or getattr(exponent, "denominator", 0) == 1):
            raise NotExact("a power with a non-integer exponent")
        exponent = int(exponent)
        base = Fraction(base)
        bits = max(base.numerator.bit_length(), base.denominator.bit_length(), 1)
        if abs(exponent) * bits > MAX_EXACT_BITS:
            raise NotExact("a power too large to compute exactly")
        if exponent < 0 and base == 0:
            raise NotNumeric("division by zero")
        return base**exponent

    def call(self, name: str, args: list):
        function = EXACT_FUNCTIONS.get(name)
        if function is None:
            raise NotExact(f"{name} is not rational")
        return function(*args)


class MpBackend(_OnePoint):
    """mpmath at one point, at the precision in force (set by the caller with workdps)."""

    nan = mpmath.nan

    def const(self, expr: sp.Expr):
        if isinstance(expr, sp.Rational):
            return mpmath.mpf(int(expr.p)) / int(expr.q)
        if isinstance(expr, sp.Float):
            return mpmath.mpf(expr._mpf_)
        return mpmath.mpf(sp.Float(expr.evalf(mpmath.mp.dps + 10), mpmath.mp.dps + 10)._mpf_)

    def leaf(self, raw: np.ndarray):
        return mpmath.mpf(float(raw[self.point]))

    def pow(self, base, exponent):
        if isinstance(base, int):
            base = mpmath.mpf(base)
        if base == 0 and exponent < 0:
            raise NotNumeric("division by zero")
        return mpmath.power(base, exponent)

    def call(self, name: str, args: list):
        return FUNCTIONS[name][1](*args)
