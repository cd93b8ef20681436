"""Agreement beyond rounding: decide at one point whether two sides are equal, exactly or by
raising the precision until the difference is explained.

Exact rational arithmetic answers at once where the expressions allow it (no exp, log or
roots). Otherwise both sides are evaluated with mpmath at 30, 60, 120, ... digits: a rounding
error shrinks as fast as the precision grows, a real difference stays the same. Neither seen
within the largest precision is ``unresolved``: the caller says unknown, never a verdict.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import mpmath

from derive.verify.backends import Backend, ExactBackend, MpBackend, NotExact, NotNumeric
from derive.verify.budget import PRECISIONS, SLACK_DIGITS, TooCostly

Verdict = Literal["agree", "differ", "unresolved"]
Pair = Callable[[Backend], tuple[Any, Any]]


@dataclass(frozen=True)
class Agreement:
    """The verdict at one point, how it was reached, and the two values (as text)."""

    verdict: Verdict
    how: str
    left: str = ""
    right: str = ""
    difference: str = ""


def confirm(pair: Pair, point: int) -> Agreement:
    """Evaluate both sides at sample ``point`` exactly, else at rising precision, and decide."""
    try:
        left, right = pair(ExactBackend(point))
    except NotExact:
        pass
    except (NotNumeric, TooCostly, ZeroDivisionError, OverflowError, ValueError) as exc:
        return Agreement("unresolved", f"exact arithmetic failed: {exc}")
    else:
        if left == right:  # the values are shown only where the sides differ
            return Agreement("agree", "exact rational arithmetic")
        return Agreement(
            "differ", "exact rational arithmetic", _show(left), _show(right), _show(left - right)
        )
    return _rising_precision(pair, point)


def _rising_precision(pair: Pair, point: int) -> Agreement:
    history: list[tuple[int, Any, Any]] = []  # (digits, |difference|, magnitude)
    left = right = None
    for digits in PRECISIONS:
        with mpmath.workdps(digits):
            try:
                left, right = pair(MpBackend(point))
                left, right = mpmath.mpmathify(left), mpmath.mpmathify(right)
            except (NotNumeric, TooCostly, ZeroDivisionError, OverflowError, ValueError) as exc:
                return Agreement("unresolved", f"{digits}-digit arithmetic failed: {exc}")
            if not all(mpmath.isfinite(v) for v in (left, right)):
                return Agreement("unresolved", f"not finite at {digits} digits")
            if any(isinstance(v, mpmath.mpc) and v.imag != 0 for v in (left, right)):
                return Agreement("unresolved", "a side is not a real number here")
            history.append((digits, abs(left - right), max(abs(left), abs(right))))
            verdict = _judge(history)
            if verdict != "unresolved":
                how = f"{digits}-digit arithmetic"
                if verdict == "agree":
                    return Agreement(verdict, how)
                return Agreement(verdict, how, _show(left), _show(right), _show(left - right))
    return Agreement(
        "unresolved",
        f"the difference could not be told from rounding at {PRECISIONS[-1]} digits",
        _show(left),
        _show(right),
    )


def _judge(history: list[tuple[int, Any, Any]]) -> Verdict:
    """Rounding shrinks with the precision (twice in a row); a real difference holds still."""
    if len(history) >= 2:
        (p0, d0, m0), (p1, d1, m1) = history[-2:]
        if d0 > 0 and d1 > m1 * mpmath.mpf(10) ** (SLACK_DIGITS - p1):
            if abs(d1 - d0) <= d1 * mpmath.mpf(10) ** (-p0 // 2):
                return "differ"
    if len(history) >= 3:
        floors = [max(d, m * mpmath.mpf(10) ** (-p)) for p, d, m in history[-3:]]
        digits = [p for p, _, _ in history[-3:]]
        shrinking = all(
            floors[n + 1]
            <= floors[n] * mpmath.mpf(10) ** (SLACK_DIGITS - (digits[n + 1] - digits[n]))
            for n in range(2)
        )
        _, d, m = history[-1]
        if shrinking and d <= m * mpmath.mpf(10) ** (-digits[-1] // 2):
            return "agree"
    return "unresolved"


def _show(value: Any) -> str:
    """Six significant digits, whatever the number's type or size."""
    if value is None:
        return ""
    with mpmath.workdps(30):
        number = mpmath.mpmathify(
            value
            if not hasattr(value, "numerator")
            else mpmath.mpf(value.numerator) / value.denominator
        )
        if isinstance(number, mpmath.mpc) and number.imag == 0:
            number = number.real
        return mpmath.nstr(number, 6, min_fixed=-4, max_fixed=6)
