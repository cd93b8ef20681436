"""Typeset a user's formula only when it is plain math that cannot run anything or break the
build: an allow-list of commands, balanced braces and \\left/\\right, no catcode tricks.
Anything else is shown as escaped source text instead."""

from __future__ import annotations

import re

ALLOWED = frozenset(
    """
    frac dfrac tfrac partial left right sum prod cdot times log ln exp sigma delta Delta
    alpha beta gamma epsilon varepsilon eta theta lambda mu pi rho tau phi varphi omega
    mathcal mathbf mathrm boldsymbol operatorname neq ne leq geq le ge dots ldots cdots
    quad qquad infty top prime sqrt max min
    """.split()
)
_COMMAND = re.compile(r"\\([A-Za-z]+|.)")
_FORBIDDEN = re.compile(r"[#%&$~\x00-\x1f\x7f]|\^\^|\\\\")
MAX_LENGTH = 400


def safe_math(text: str | None) -> str | None:
    """The formula itself when it is safe to place in math mode, else None."""
    if not text or len(text) > MAX_LENGTH or _FORBIDDEN.search(text):
        return None
    if not all(c.isascii() and (c.isprintable() or c == " ") for c in text):
        return None
    commands = _COMMAND.findall(text)
    if any(c not in ALLOWED and c not in ",;! {}()[]|" for c in commands):
        return None
    depth = 0
    for char in _COMMAND.sub("", text):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return None
    if depth or commands.count("left") != commands.count("right"):
        return None
    return text
