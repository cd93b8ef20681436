"""Where the checker samples numbers: the domain of each name, and the sizes of index ranges.

Names used inside a log, a root or a fractional power (probabilities y, t) are drawn from
(0.05, 0.95), so that every log is defined; every other real name from (-2, 2), so that signs
are exercised (a sign slip in y(1 - y) is caught). Index ranges are tried with K = 2, 3, 4.
"""

from __future__ import annotations

from collections.abc import Iterable

import sympy as sp

from derive.checking.symbols import Vocabulary, family_names, real_bare_symbols
from derive.context import Context
from derive.functions import example
from derive.steps import Definition

POSITIVE = (0.05, 0.95)
DEFAULT_DOMAIN = (-2.0, 2.0)
SIZES = (2, 3, 4)


def infer_domains(exprs: Iterable[sp.Expr]) -> dict[str, tuple[float, float]]:
    """The names that must be positive (inside a log, a root, a fractional power)."""
    names: set[str] = set()
    for expr in exprs:
        for node in sp.preorder_traversal(expr):
            arg = None
            if isinstance(node, sp.log):
                arg = node.args[0]
            elif isinstance(node, sp.Pow) and not node.exp.is_integer:
                arg = node.base
            if arg is not None and arg.is_positive is not True:
                names |= {str(s) for s in real_bare_symbols(arg)} | family_names(arg)
    return dict.fromkeys(names, POSITIVE)


def shared_names(exprs: Iterable[sp.Expr]) -> frozenset[str]:
    """Names never written per example (never inside y^{(i)}): the same for every example (w)."""
    used: set[str] = set()
    per_example: set[str] = set()
    for expr in exprs:
        used |= {str(s) for s in real_bare_symbols(expr)} | family_names(expr)
        for e in expr.atoms(example):
            per_example |= {str(s) for s in real_bare_symbols(e.args[0])}
            per_example |= family_names(e.args[0])
    return frozenset(used - per_example)


def make_context(
    definitions: tuple[Definition, ...],
    vocabulary: Vocabulary,
    domains: dict[str, tuple[float, float]],
    shared: frozenset[str] = frozenset(),
) -> Context:
    """The verifier's context for one claim of a document (defined names are never shared)."""
    defined = {
        str(d.lhs.base.label) if isinstance(d.lhs, sp.Indexed) else str(d.lhs) for d in definitions
    }
    return Context(
        definitions=definitions,
        index_bounds=vocabulary.index_bounds_symbols(),
        domains=domains,
        default_domain=DEFAULT_DOMAIN,
        sizes=SIZES,
        shared=shared - defined,
    )
