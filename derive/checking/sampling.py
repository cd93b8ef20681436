r"""Where the checker samples numbers: the domain of each name, and the sizes of index ranges.

Names used inside a log, a root or a fractional power (probabilities y, t) are drawn from
(0.05, 0.95), so that every log is defined; every other real name from (-2, 2), so that signs
are exercised (a sign slip in y(1 - y) is caught). Index ranges are tried with K = 2, 3, 4.
Domains the text states win: ``\delta > 0``, ``p \in (0, 1)``, and a name that takes one of
two values (``y \in \{-1, 1\}``) is replaced by an expression that only takes those values.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sympy as sp

from derive.checking.lexer import tokenize
from derive.checking.symbols import GREEK, Vocabulary, family_names, real_bare_symbols
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


@dataclass(frozen=True)
class StatedDomains:
    """Domains the text states: ``\\delta > 0``, ``p \\in (0, 1)``, ``y \\in \\{-1, 1\\}``."""

    intervals: dict[str, tuple[float, float]]
    choices: dict[str, tuple[sp.Rational, sp.Rational]]  # a name taking one of two values


def stated_domains(fragments: Iterable[str]) -> StatedDomains:
    """Read statements of domains from math fragments (names, then ``\\in``, ``>``, ``\\ge``...)."""
    intervals: dict[str, tuple[float, float]] = {}
    choices: dict[str, tuple[sp.Rational, sp.Rational]] = {}
    for text in fragments:
        tokens = [t for t in tokenize(text) if not t.is_command(*_SPACES)]
        for i, t in enumerate(tokens):
            if t.kind not in ("char", "command") or t.text not in _DOMAIN_RELATIONS:
                continue
            names = _names_before(tokens, i)
            if not names:
                continue
            found = _domain_after(tokens[i + 1 :], t.text)
            if isinstance(found, tuple) and len(found) == 2 and isinstance(found[0], float):
                intervals.update(dict.fromkeys(names, found))
            elif found is not None:
                choices.update(dict.fromkeys(names, found))
    return StatedDomains(intervals, choices)


def choice_of(name: str, values: tuple[sp.Rational, sp.Rational]) -> sp.Expr:
    """An expression that takes only the two values at every real point: a + (b - a) [u > 0]."""
    a, b = values
    u = sp.Symbol(f"{name}_choice", real=True)
    return a + (b - a) * (1 + sp.sign(u)) / 2


_SPACES = (r"\,", r"\;", r"\:", r"\!", r"\ ", r"\quad", r"\left", r"\right", r"\big", r"\Big")
_DOMAIN_RELATIONS = frozenset({r"\in", ">", "<", r"\ge", r"\geq", r"\le", r"\leq", r"\gt", r"\lt"})
_MARGIN = 0.05


def _names_before(tokens: list, i: int) -> list[str]:
    """``p, q`` or ``\\delta`` just before position i (nothing else in between)."""
    names: list[str] = []
    j = i - 1
    while j >= 0:
        t = tokens[j]
        if t.kind == "letter" or t.kind == "command" and t.text[1:] in GREEK:
            names.append(t.text.lstrip("\\"))
            j -= 1
            if j >= 0 and tokens[j].is_char(","):
                j -= 1
                continue
        break
    if j >= 0 and not tokens[j].is_char("(", "&", "{") and not tokens[j].is_command(r"\text"):
        if tokens[j].kind in ("letter", "number") or tokens[j].is_char("_", "^", "}", ")"):
            return []  # x_1 > 0, f(x) > 0: not a name on its own
    return names


def _number(tokens: list, i: int) -> tuple[float | None, int]:
    sign = 1.0
    if i < len(tokens) and tokens[i].is_char("-"):
        sign, i = -1.0, i + 1
    if i < len(tokens) and tokens[i].kind == "number":
        return sign * float(tokens[i].text), i + 1
    if i < len(tokens) and tokens[i].is_command(r"\infty"):
        return sign * float("inf"), i + 1
    return None, i


def _domain_after(tokens: list, relation: str):
    if relation != r"\in":
        value, _ = _number(tokens, 0)
        if value is None or value != 0:
            return None
        positive = relation in (">", r"\ge", r"\geq", r"\gt")
        return (_MARGIN, 2.0) if positive else (-2.0, -_MARGIN)
    if not tokens:
        return None
    opening = tokens[0]
    if opening.is_command(r"\{", r"\lbrace"):
        a, i = _number(tokens, 1)
        if a is None or i >= len(tokens) or not tokens[i].is_char(","):
            return None
        b, i = _number(tokens, i + 1)
        closed = i < len(tokens) and tokens[i].is_command(r"\}", r"\rbrace")
        if b is None or not closed or a == b or float("inf") in (abs(a), abs(b)):
            return None
        return (sp.Rational(a), sp.Rational(b))
    if opening.is_char("(", "["):
        a, i = _number(tokens, 1)
        if a is None or i >= len(tokens) or not tokens[i].is_char(","):
            return None
        b, i = _number(tokens, i + 1)
        if b is None or i >= len(tokens) or not tokens[i].is_char(")", "]") or a >= b:
            return None
        low = a if a != float("-inf") else b - 2.0
        high = b if b != float("inf") else max(low, 0.0) + 2.0
        margin = min(_MARGIN, (high - low) / 4)
        return (low + margin, high - margin)
    return None
