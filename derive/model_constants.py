r"""The constants of a model file: names it uses but never defines.

A Greek letter used anywhere (``\lambda``, ``\delta``, ``\epsilon``) and a name added to the
linear score (the bias b of ``z = w^T x + b``) are constants of the model: the same for every
example, a symbol in the derivation, and a keyword argument of the callables (``lambda`` is
``lam``, as for the built-ins). An ``Assume:`` line gives a constant's range (``\delta > 0``,
``\lambda \ge 0``, ``\epsilon \in (0, 1)``), which the callables check and the verifier samples
from; its default is 0 for a bias, 1 for the others, or a value inside the stated range.
"""

from __future__ import annotations

import keyword
import math
import re
from dataclasses import dataclass

import sympy as sp

from derive.model import Hyperparameter

LEARNING_RATE = "alpha"  # the update rule's step size: not a name a constant can take
_NUMBER = r"-?\d+(?:\.\d+)?"
_RELATION = re.compile(
    rf"^\s*\\?([A-Za-z]+)\s*(>|<|\\gt|\\lt|\\geq?|\\leq?|\\geqslant|\\leqslant)\s*({_NUMBER})\s*$"
)
_INTERVAL = re.compile(
    rf"^\s*\\?([A-Za-z]+)\s*\\in\s*(?:\\left)?\s*([(\[])\s*({_NUMBER}|-\\infty)\s*,"
    rf"\s*({_NUMBER}|\+?\\infty)\s*(?:\\right)?\s*([)\]])\s*$"
)
_MARGIN = 0.05


@dataclass(frozen=True)
class Range:
    """The values a constant may take: from low to high, each end open or closed."""

    low: float = -math.inf
    high: float = math.inf
    low_open: bool = True
    high_open: bool = True

    def __contains__(self, value: float) -> bool:
        above = value > self.low if self.low_open else value >= self.low
        below = value < self.high if self.high_open else value <= self.high
        return above and below

    def sampled(self) -> tuple[float, float]:
        """Where the verifier draws the constant from: inside the range, away from its ends."""
        low = self.low if self.low > -math.inf else min(self.high, 0.0) - 2.0
        high = self.high if self.high < math.inf else max(low, 0.0) + 2.0
        margin = min(_MARGIN, (high - low) / 4)
        return (low + margin, high - margin)


def read_range(math_text: str) -> tuple[str, Range] | None:
    r"""The name and range of ``\delta > 0``, ``\lambda \ge 0`` or ``\epsilon \in (0, 1]``."""
    found = _RELATION.match(math_text)
    if found:
        name, relation, number = found[1], found[2].lstrip("\\"), float(found[3])
        if relation in (">", "gt", "ge", "geq", "geqslant"):
            return name, Range(low=number, low_open=relation in (">", "gt"))
        return name, Range(high=number, high_open=relation in ("<", "lt"))
    found = _INTERVAL.match(math_text)
    if found:
        low, high = (_bound(found[3]), _bound(found[4]))
        if low < high:
            return found[1], Range(low, high, found[2] == "(", found[5] == ")")
    return None


def _bound(text: str) -> float:
    return float(text.replace("\\infty", "inf").replace("+", ""))


def keyword_of(name: str) -> str:
    """The callables' keyword for a constant: its name, ``lam`` for lambda."""
    return "lam" if name == "lambda" else name


def usable(name: str) -> bool:
    """Whether the name can be a keyword argument (and is not the learning rate)."""
    word = keyword_of(name)
    return word.isidentifier() and not keyword.iskeyword(word) and name != LEARNING_RATE


def default_of(allowed: Range, bias: bool) -> float:
    """0 for a bias, 1 otherwise; a value inside the range when that one is not in it."""
    preferred = 0.0 if bias else 1.0
    if preferred in allowed:
        return preferred
    if allowed.low > -math.inf and allowed.high < math.inf:
        return (allowed.low + allowed.high) / 2
    return allowed.low + 1.0 if allowed.low > -math.inf else allowed.high - 1.0


def hyperparameter(name: str, allowed: Range | None, bias: bool) -> Hyperparameter:
    """The constant as a keyword argument of the callables."""
    allowed = allowed or Range()
    what = "the bias added to the score" if bias else "a constant of the model file"
    return Hyperparameter(
        sp.Symbol(name),
        keyword_of(name),
        default_of(allowed, bias),
        what,
        low=allowed.low,
        high=allowed.high,
        low_open=allowed.low_open and allowed.low > -math.inf,
        high_open=allowed.high_open and allowed.high < math.inf,
    )
