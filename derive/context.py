"""What a verifier must know about a derivation's symbols: definitions, index ranges, domains."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import sympy as sp

from derive.steps import Definition

# A matrix definition builds the entry (row, column) -> expression, 1-based, for concrete sizes.
MatrixEntries = Callable[[int, int], sp.Expr]


@dataclass(frozen=True)
class Context:
    """Everything needed to decide an equality between expressions of one derivation.

    ``definitions`` are substituted when a step needs them (y = sigma(z), t_k = delta_kT);
    ``index_bounds`` maps each index symbol to its upper bound (k -> K, indices run 1..K);
    ``domains`` gives the sampling interval of a symbol or indexed family, by name;
    ``matrices`` expands a matrix symbol into its entries once sizes are concrete;
    ``shared`` names what is the same for every training example (w, W, alpha): the rest of a
    definition is per example, so example(L, i) expands into example(y, i), example(x_j, i)...;
    ``facts`` are derivatives already verified (dL/dw_j = (y - t) x_j), reused by later steps.
    """

    definitions: tuple[Definition, ...] = ()
    index_bounds: Mapping[sp.Symbol, sp.Expr] = field(default_factory=dict)
    domains: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    default_domain: tuple[float, float] = (-2.0, 2.0)
    sizes: tuple[int, ...] = (2, 3)
    matrices: Mapping[str, MatrixEntries] = field(default_factory=dict)
    shared: frozenset[str] = frozenset()
    facts: Mapping[sp.Expr, sp.Expr] = field(default_factory=dict)

    def domain_of(self, name: str) -> tuple[float, float]:
        return self.domains.get(name, self.default_domain)

    @property
    def bounds(self) -> set[sp.Symbol]:
        return {b for b in self.index_bounds.values() if isinstance(b, sp.Symbol)}
