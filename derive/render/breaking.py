"""Where a long line of display math may break, read from the LaTeX our printer writes.

A line breaks before a binary ``+``, ``-`` or ``\\cdot`` that is not inside braces (a
fraction, a script), plain brackets (``\\max(0, u)``, ``\\mathbf{1}[u > 0]``) or an
environment (the ``cases`` of a piecewise function). Breaking
inside a ``\\left( ... \\right)`` pair is allowed on request: that pair then becomes a
fixed-size ``\\Biggl( ... \\Biggr)``, since ``\\left`` and ``\\right`` cannot sit on two
lines.
"""

from __future__ import annotations

from dataclasses import dataclass

OPERATORS = (" + ", " - ", r" \cdot ")


@dataclass(frozen=True)
class _Pair:
    """A matched ``\\left`` / ``\\right`` pair: where each starts and how long it is."""

    left: int
    left_length: int
    right: int
    right_length: int


@dataclass(frozen=True)
class _Point:
    """A place to break: the position of the space before the operator, and the pairs around."""

    position: int
    inside: tuple[int, ...]


def _delimiter_length(tex: str, start: int) -> int:
    """Length of the delimiter token after \\left or \\right at ``start``: '(' or '\\{'."""
    return 2 if tex[start] == "\\" else 1


def _scan(tex: str) -> tuple[list[_Pair], list[_Point]]:
    """The \\left/\\right pairs of tex and the places where a line could break."""
    pairs: list[_Pair] = []
    points: list[_Point] = []
    open_pairs: list[tuple[int, int]] = []
    braces = brackets = environments = 0
    i = 0
    while i < len(tex):
        for word in (r"\left", r"\right"):
            if tex.startswith(word, i) and not tex[i + len(word) : i + len(word) + 1].isalpha():
                length = len(word) + _delimiter_length(tex, i + len(word))
                if word == r"\left":
                    open_pairs.append((i, length))
                elif open_pairs:
                    left, left_length = open_pairs.pop()
                    pairs.append(_Pair(left, left_length, i, length))
                i += length
                break
        else:
            char = tex[i]
            if char == "\\":
                environments += tex.startswith(r"\begin{", i) - tex.startswith(r"\end{", i)
                i += 2
                continue
            braces += {"{": 1, "}": -1}.get(char, 0)
            brackets += {"(": 1, "[": 1, ")": -1, "]": -1}.get(char, 0)
            outside = braces == brackets == environments == 0
            if outside and any(tex.startswith(op, i) for op in OPERATORS):
                points.append(_Point(i, tuple(left for left, _ in open_pairs)))
            i += 1
    return pairs, points


def _size(content: str) -> str:
    """A fixed delimiter size tall enough for content: sums and fractions need more."""
    if r"\sum" in content:
        return "Bigg"
    return "Big" if r"\frac" in content else "big"


def break_points(tex: str, depth: int = 0) -> list[str]:
    """tex cut into pieces at its break points; joined with spaces they typeset as tex did.

    At depth 0 only the top level breaks (the terms of a sum, the factors of a dotted
    product); at depth n also inside up to n nested \\left( ... \\right) pairs, which then
    become fixed-size.
    """
    pairs, points = _scan(tex)
    chosen = [p for p in points if len(p.inside) <= depth]
    if not chosen:
        return [tex]
    opened = {left for p in chosen for left in p.inside}
    replace: dict[int, tuple[int, str]] = {}
    for pair in pairs:
        if pair.left in opened:
            size = _size(tex[pair.left : pair.right])
            opener = tex[pair.left + len(r"\left") : pair.left + pair.left_length]
            closer = tex[pair.right + len(r"\right") : pair.right + pair.right_length]
            replace[pair.left] = (pair.left_length, rf"\{size}l{opener}")
            replace[pair.right] = (pair.right_length, rf"\{size}r{closer}")
    cuts = {p.position for p in chosen}
    pieces, current, i = [], "", 0
    while i < len(tex):
        if i in cuts:
            pieces.append(current.strip())
            current = ""
        if i in replace:
            length, text = replace[i]
            current += text
            i += length
            continue
        current += tex[i]
        i += 1
    pieces.append(current.strip())
    return pieces
