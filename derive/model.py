"""A model is data: named stages from the input to the loss, and the path the gradient takes.

The engine (:mod:`derive.engine`) knows nothing about any particular model: a new model is a
new :class:`Model` value. See :mod:`derive.models` for the three built-in ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from derive.context import Context
from derive.steps import Definition


@dataclass(frozen=True)
class Stage:
    """One stage ``symbol = expr`` (an indexed family when ``symbol`` is y[m])."""

    symbol: sp.Expr
    expr: sp.Expr
    name: str

    def definition(self) -> Definition:
        return Definition(self.symbol, self.expr, self.name)


@dataclass(frozen=True)
class Rewrite:
    """Write a derivative back in stage symbols: replace ``pattern`` (with Wilds) by ``result``."""

    pattern: sp.Expr
    result: sp.Expr
    reason: str


@dataclass(frozen=True)
class Hyperparameter:
    """A constant of the loss or the cost (Huber's delta, the penalty lambda): a symbol in the
    derivation, a keyword argument of the callables with a default value, allowed from ``low``
    (excluded when ``low_open``) to ``high`` (excluded when ``high_open``)."""

    symbol: sp.Symbol
    keyword: str
    default: float
    description: str
    low: float = 0.0
    high: float = float("inf")
    low_open: bool = False
    high_open: bool = False

    def checked(self, value: object) -> float:
        """The value as a float, or ValueError saying which values are allowed."""
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ValueError(f"{self.keyword} must be a number, got {value!r}") from None
        above = number > self.low if self.low_open else number >= self.low
        below = number < self.high if self.high_open else number <= self.high
        if not (above and below and abs(number) < float("inf")):
            low = (
                f"({self.low:g}" if self.low_open or self.low == -float("inf") else f"[{self.low:g}"
            )
            closed = not self.high_open and self.high < float("inf")
            high = f"{self.high:g}]" if closed else f"{self.high:g})"
            raise ValueError(f"{self.keyword} must be finite and in {low}, {high}, got {number}")
        return number


@dataclass(frozen=True)
class Model:
    """A loss as a composition of stages, with the chain of variables to differentiate along.

    ``chain`` runs from the loss to the parameter, e.g. (L, y, z, w_j); each consecutive pair
    is one local derivative. ``score`` is the linear score in that chain (z = w.x) whose
    derivative times the input gives the parameter gradient (the vector form). ``label`` is
    the index of the correct class (T, y_i) in a K-class model, None for a binary one.
    ``targets`` are the values the target of a one-score model takes ((0, 1) for logistic
    regression, (-1, 1) for the hinge), None when it is any real number: the callables check it;
    ``nonnegative_targets`` says the target is a count or another number >= 0 (Poisson).
    ``regularizer`` is a penalty R on the parameter added to the cost, J = mean loss + R, not
    to the per-example loss (for L2: (lambda/2) sum_j w_j^2); ``hyperparameters`` are the
    constants of the loss and of R, given to the callables as keyword arguments.
    ``chains`` are the chains of further parameters (a network's b2, W1, b1), derived after
    ``chain`` in order; a chain may pass through an indexed variable whose index the next one
    lacks (s_k then a_m): the loss depends on a_m through every s_k, a sum over k.
    """

    name: str
    title: str
    summary: str
    stages: tuple[Stage, ...]
    chain: tuple[sp.Expr, ...]
    assumptions: tuple[Definition, ...] = ()
    rewrites: tuple[Rewrite, ...] = ()
    label: sp.Symbol | None = None
    index_bounds: dict[sp.Symbol, sp.Expr] = field(default_factory=dict)
    domains: dict[str, tuple[float, float]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    targets: tuple[float, ...] | None = None
    nonnegative_targets: bool = False
    regularizer: sp.Expr | None = None
    hyperparameters: tuple[Hyperparameter, ...] = ()
    chains: tuple[tuple[sp.Expr, ...], ...] = ()

    @property
    def loss(self) -> sp.Expr:
        return self.chain[0]

    @property
    def parameter(self) -> sp.Expr:
        return self.chain[-1]

    def content(self) -> tuple:
        """Everything the derivation depends on, as plain values (what a cache key hashes)."""
        return (
            self.name,
            self.title,
            self.summary,
            tuple((s.symbol, s.expr, s.name) for s in self.stages),
            self.chain,
            tuple((d.lhs, d.rhs, d.description) for d in self.assumptions),
            tuple((r.pattern, r.result, r.reason) for r in self.rewrites),
            self.label,
            tuple(sorted(((str(k), k, v) for k, v in self.index_bounds.items()), key=str)),
            tuple(sorted(self.domains.items())),
            self.notes,
            self.targets,
            self.nonnegative_targets,
            self.regularizer,
            tuple(
                (h.symbol, h.keyword, h.default, h.description, h.low, h.high, h.low_open)
                + ((True,) if h.high_open else ())
                for h in self.hyperparameters
            ),
            *((self.chains,) if self.chains else ()),
        )

    def definitions(self) -> tuple[Definition, ...]:
        return tuple(stage.definition() for stage in self.stages) + self.assumptions

    def context(self, **extra) -> Context:
        """The verification context of this model's symbols."""
        return Context(
            definitions=self.definitions(),
            index_bounds=self.index_bounds,
            domains=self.domains,
            **extra,
        )
