"""Where a numeric check looks: concrete sizes, index assignments, and the sample values.

Every value is drawn from a generator seeded by the check's seed and the name of what it is
for (the leaf x[2] of example 3, say), so both sides of an equality see the same numbers
whatever order they ask in, and the same check draws the same numbers on every machine.
"""

from __future__ import annotations

import itertools
import math
import random
from functools import lru_cache

import numpy as np
import sympy as sp

from derive.context import Context
from derive.steps import Case
from derive.verify.budget import MAX_INDEX_ASSIGNMENTS
from derive.verify.evaluate import LeafKey
from derive.verify.substitute import base_key


def sizes_for(context: Context, size: int) -> dict[sp.Symbol, int]:
    """Concrete sizes; different bounds get different sizes, so a mix-up of K and D shows."""
    return {b: size + n for n, b in enumerate(sorted(context.bounds, key=str))}


def bound_of(index: sp.Symbol, context: Context, sizes: dict[sp.Symbol, int]) -> int:
    bound = sp.sympify(context.index_bounds[index])
    return int(bound.xreplace({k: sp.Integer(v) for k, v in sizes.items()}))


def reachable(sides, context: Context) -> frozenset[sp.Basic]:
    """Every symbol the sides depend on, directly or through definitions."""
    return _reachable(tuple(sides), context.definitions)


@lru_cache(maxsize=1024)
def _reachable(sides: tuple, definitions: tuple) -> frozenset[sp.Basic]:
    seen: set[sp.Basic] = set()
    todo = [s for side in sides for s in side.free_symbols]
    for side in sides:  # SymPy leaves the variables of a derivative out of its free symbols
        todo.extend(
            s for d in side.atoms(sp.Derivative) for v in d.variables for s in v.free_symbols
        )
    families = {base_key(d.lhs): d for d in definitions}
    while todo:
        symbol = todo.pop()
        if symbol in seen:
            continue
        seen.add(symbol)
        d = families.get(base_key(symbol))
        if d is not None:
            own = set(d.lhs.indices) if isinstance(d.lhs, sp.Indexed) else set()
            todo.extend(d.rhs.free_symbols - own)
    return frozenset(seen)


def assignments(
    indices: list[sp.Symbol],
    context: Context,
    sizes: dict[sp.Symbol, int],
    case: Case | None,
    rng: random.Random,
) -> list[dict[sp.Symbol, int]]:
    """Up to MAX_INDEX_ASSIGNMENTS integer assignments of the free indices (all, when few)."""
    ranges = [range(1, bound_of(i, context, sizes) + 1) for i in indices]
    total = math.prod(len(r) for r in ranges)
    if total <= 512:
        combos = [dict(zip(indices, v, strict=True)) for v in itertools.product(*ranges)]
    else:
        combos = [
            {i: rng.choice(r) for i, r in zip(indices, ranges, strict=True)} for _ in range(64)
        ]
    if (
        case is not None
        and not case.holds_everywhere
        and case.condition.free_symbols <= set(indices)
    ):
        combos = [
            c
            for c in combos
            if bool(case.condition.xreplace({k: sp.Integer(v) for k, v in c.items()}))
        ]
    rng.shuffle(combos)
    return combos[:MAX_INDEX_ASSIGNMENTS]


class Draws:
    """The sample values of one size and assignment: a float array per leaf, an int per label."""

    def __init__(self, context: Context, sizes: dict[sp.Symbol, int], tag: str, count: int):
        self.context = context
        self.sizes = sizes
        self.tag = tag
        self.count = count
        self.values: dict[LeafKey, np.ndarray] = {}
        self.labels: dict[tuple[sp.Symbol, int], int] = {}

    def leaf(self, key: LeafKey) -> np.ndarray:
        if key not in self.values:
            low, high = self.context.domain_of(key[0])
            self.values[key] = _draw(f"{self.tag}/{key}", low, high, self.count)
        return self.values[key]

    def label(self, index: sp.Symbol, ex: int) -> int:
        if (index, ex) not in self.labels:
            rng = random.Random(f"{self.tag}/label/{index}/{ex}")
            self.labels[(index, ex)] = rng.randint(1, bound_of(index, self.context, self.sizes))
        return self.labels[(index, ex)]


_DRAWN: dict[tuple[str, float, float, int], np.ndarray] = {}  # the same seed draws the same
_MAX_DRAWN = 65536


def _draw(seed: str, low: float, high: float, count: int) -> np.ndarray:
    """count values uniform in [low, high) from a generator seeded by ``seed`` (read-only)."""
    found = _DRAWN.get((seed, low, high, count))
    if found is None:
        rng = random.Random(seed)
        width, draw = high - low, rng.random  # rng.uniform(low, high), without its call
        found = np.array([low + width * draw() for _ in range(count)])
        found.flags.writeable = False
        if len(_DRAWN) >= _MAX_DRAWN:
            _DRAWN.clear()
        _DRAWN[(seed, low, high, count)] = found
    return found
