"""Read a whole document's tokens once to learn its letters: which are indices, which are sizes.

This runs before any formula is parsed, so that a letter means the same thing everywhere:
``k`` in ``\\sum_{k=1}^K k`` is the index of the sum both times. Also learns which names are
defined with an argument list (``\\mathcal{L}(y) = ...``), so that ``\\mathcal{L}(y)`` later
reads as the name, not as a product.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import sympy as sp

from derive.checking.lexer import Token, argument_names, index_names, script_at
from derive.checking.parser import ParseError, parse_tokens
from derive.checking.symbols import DEFAULT_SIZE, GREEK, Vocabulary


def learn_vocabulary(
    token_lists: Iterable[tuple[Token, ...]],
    first_pieces: Iterable[tuple[Token, ...]],
    text: str = "",
) -> Vocabulary:
    """Indices, sizes and argument lists of a document, from all its tokens.

    ``first_pieces`` are the left-hand sides of its equations, where a name may be
    introduced with an argument list.
    """
    bounds: dict[str, str] = {}
    indices: set[str] = set()
    examples: set[str] = set()  # i in y^{(i)}: the index of training examples
    members: dict[str, set[str]] = {}  # a -> {i, j, k} for a_i, a_j, a_k
    sizes = {DEFAULT_SIZE}
    for tokens in token_lists:
        for i, t in enumerate(tokens):
            if t.is_char("_") and i > 0 and _names_something(tokens[i - 1]):
                script, _ = script_at(tokens, i + 1)
                after_delta = tokens[i - 1].is_command(r"\delta")
                found = _subscript_indices(script, after_delta)
                indices.update(found)
                members.setdefault(tokens[i - 1].text, set()).update(found)
            elif (
                t.is_char("^")
                and i > 0
                and _names_something(tokens[i - 1])
                and not tokens[i - 1].text == "e"
            ):
                script, _ = script_at(tokens, i + 1)
                if (
                    len(script) == 3
                    and script[0].is_char("(")
                    and script[1].kind == "letter"
                    and script[2].is_char(")")
                ):
                    indices.add(script[1].text)
                    examples.add(script[1].text)
            elif t.is_command(r"\sum", r"\prod"):
                _learn_sum(tokens, i + 1, bounds, sizes)
    indices -= sizes
    _share_bounds(members, bounds)
    index_bounds = {name: bounds.get(name, DEFAULT_SIZE) for name in sorted(indices)}
    first_pieces = list(first_pieces)
    euler = not any(
        len(p) == 1 and p[0].kind == "letter" and p[0].text == "e" for p in first_pieces
    )
    vocabulary = Vocabulary(index_bounds=index_bounds, sizes=frozenset(sizes), euler=euler)
    function_like = _argument_lists(first_pieces, vocabulary)
    fixed = {name: n for name, n in fixed_sizes(text).items() if name in sizes}
    return Vocabulary(
        index_bounds=index_bounds,
        sizes=frozenset(sizes),
        function_like=function_like,
        euler=euler,
        fixed=fixed,
        examples=frozenset(examples - sizes),
    )


_NUMBERS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8}
_SIZE_STATED = re.compile(r"\$\s*([A-Z])\s*=\s*(\d{1,2})\s*\$")
_CLASSES = re.compile(r"\b(two|three|four|five|six|seven|eight|\d{1,2})\s+classes\b", re.IGNORECASE)


def fixed_sizes(text: str) -> dict[str, int]:
    """Sizes the prose fixes: ``$K = 3$``, "three classes" (the number of classes is K)."""
    found: dict[str, int] = {}
    for match in _CLASSES.finditer(text):
        word = match.group(1).lower()
        found[DEFAULT_SIZE] = _NUMBERS.get(word) or int(word)
    for match in _SIZE_STATED.finditer(text):
        found[match.group(1)] = int(match.group(2))
    return {name: n for name, n in found.items() if n >= 1}


def _share_bounds(members: dict[str, set[str]], bounds: dict[str, str]) -> None:
    """Indices of the same family run over the same range: with sum_{j=1}^n a_j, the k of
    sum_k a_k also runs up to n (when the family's indices name one range only)."""
    for names in members.values():
        ranges = {bounds[n] for n in names if n in bounds}
        if len(ranges) == 1:
            (size,) = ranges
            for n in names:
                bounds.setdefault(n, size)


def _names_something(before: Token) -> bool:
    """Whether a subscript after this token indexes a name (z_k, \\theta_k, \\mathbf{w}_k), not
    an operator (\\nabla_w, \\partial_x, \\max_k)."""
    if before.kind == "letter" or before.is_char("}", "'"):
        return True
    return before.kind == "command" and before.text[1:] in GREEK


def _subscript_indices(script: list[Token], after_delta: bool) -> list[str]:
    parts = _before_equals(script)
    if (
        len(parts) == 3
        and parts[0].kind == "letter"
        and parts[1].is_char("_")
        and parts[2].kind == "letter"
    ):
        return [f"{parts[0].text}_{parts[2].text}", parts[2].text]  # f_{y_i}: y_i is an index
    names = index_names(parts)
    if names is not None and (len(names) == 1 or after_delta and len(names) == 2):
        return names
    if (
        len(parts) == 3
        and parts[0].kind == "letter"
        and parts[1].is_char("+", "-")
        and parts[2].kind == "number"
    ):
        return [parts[0].text]
    return []


def _before_equals(script: list[Token]) -> list[Token]:
    for i, t in enumerate(script):
        if t.is_char("=") or t.is_command(r"\neq", r"\ne"):
            return script[:i]
    return script


def _learn_sum(tokens: tuple[Token, ...], i: int, bounds: dict[str, str], sizes: set[str]) -> None:
    """Learn from ``\\sum_{k=1}^{K}``: k is an index bounded by K, K is a size."""
    var = upper = None
    while i < len(tokens) and tokens[i].is_char("_", "^"):
        which = tokens[i].text
        script, i = script_at(tokens, i + 1)
        if which == "_":
            names = index_names(_before_equals(script))
            var = names[0] if names and len(names) == 1 else None
        elif len(script) == 1 and script[0].kind == "letter":
            upper = script[0].text
    if upper is not None:
        sizes.add(upper)
        if var is not None:
            bounds.setdefault(var, upper)


def _argument_lists(
    first_pieces: Iterable[tuple[Token, ...]], vocabulary: Vocabulary
) -> dict[str, tuple[str, ...]]:
    """Names written with an argument list where they are defined: L(y, t) = ..."""
    found: dict[str, tuple[str, ...]] = {}
    for tokens in first_pieces:
        if len(tokens) < 4 or not tokens[-1].is_char(")"):
            continue
        start = next((i for i, t in enumerate(tokens) if t.is_char("(")), None)
        if start is None or start == 0:
            continue
        names = argument_names(tokens[start + 1 : -1])
        if not names:
            continue
        word = _operator_name(tokens[:start])
        if word:
            found.setdefault(word, tuple(names))
            continue
        try:
            name = parse_tokens(list(tokens[:start]), vocabulary)
        except ParseError:
            continue
        if isinstance(name, sp.Symbol) and not name.is_integer:
            found.setdefault(str(name), tuple(names))
        elif (
            isinstance(name, sp.Indexed)
            and len(name.indices) == 1
            and isinstance(name.indices[0], sp.Symbol)
        ):  # f_w(x) = ...: a function named f_w
            found.setdefault(f"{name.base.label}_{name.indices[0]}", tuple(names))
    return found


def _operator_name(tokens: tuple[Token, ...]) -> str:
    """``\\operatorname{lse}``: the word (empty if the tokens are something else)."""
    if (
        len(tokens) >= 4
        and tokens[0].is_command(r"\operatorname", r"\mathrm")
        and tokens[1].is_char("{")
        and tokens[-1].is_char("}")
        and all(t.kind == "letter" for t in tokens[2:-1])
    ):
        return "".join(t.text for t in tokens[2:-1])
    return ""
