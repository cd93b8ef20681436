"""Split LaTeX math into tokens, each remembering where it starts in the source file.

A token is one of: a command (``\\frac``, ``\\\\``, ``\\,``), a single letter, a run of digits
(with an optional decimal part), or one punctuation character (``{ } ( ) ^ _ + - = &`` ...).
Whitespace and ``%`` comments are dropped. The lexer never fails: characters it has no use for
become ``other`` tokens, and the parser decides what to do with them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["command", "letter", "number", "char", "other"]

PUNCTUATION = set("{}()[]^_+-*/=&<>|,.:;!'~")


@dataclass(frozen=True)
class Token:
    """One token: its kind, its text as written, and its offset in the source file."""

    kind: Kind
    text: str
    offset: int

    def is_command(self, *names: str) -> bool:
        return self.kind == "command" and self.text in names

    def is_char(self, *chars: str) -> bool:
        return self.kind == "char" and self.text in chars


def tokenize(source: str, offset: int = 0) -> list[Token]:
    """Tokens of ``source``; ``offset`` is where ``source`` starts in the file."""
    tokens: list[Token] = []
    i, n = 0, len(source)
    while i < n:
        c = source[i]
        start = offset + i
        if c.isspace():
            i += 1
        elif c == "%":
            while i < n and source[i] != "\n":
                i += 1
        elif c == "\\":
            j = i + 1
            if j < n and source[j].isascii() and source[j].isalpha():
                while j < n and source[j].isascii() and source[j].isalpha():
                    j += 1
            elif j < n:
                j += 1
            tokens.append(Token("command", source[i:j], start))
            i = j
        elif c.isascii() and c.isdigit():
            j = i
            while j < n and source[j].isascii() and source[j].isdigit():
                j += 1
            if j + 1 < n and source[j] == "." and source[j + 1].isascii() and source[j + 1].isdigit():
                j += 1
                while j < n and source[j].isascii() and source[j].isdigit():
                    j += 1
            tokens.append(Token("number", source[i:j], start))
            i = j
        elif c.isascii() and c.isalpha():
            tokens.append(Token("letter", c, start))
            i += 1
        elif c in PUNCTUATION:
            tokens.append(Token("char", c, start))
            i += 1
        else:
            tokens.append(Token("other", c, start))
            i += 1
    return tokens


def group_end(tokens: list[Token] | tuple[Token, ...], start: int) -> int:
    """The index just after the {group} that opens at ``start`` (the end, if it never closes)."""
    level = 0
    for i in range(start, len(tokens)):
        if tokens[i].is_char("{"):
            level += 1
        elif tokens[i].is_char("}"):
            level -= 1
            if level == 0:
                return i + 1
    return len(tokens)


def script_at(tokens: list[Token] | tuple[Token, ...], start: int) -> tuple[list[Token], int]:
    """The argument of ``_`` or ``^`` at ``start``: a {group}'s content or one token; and the end."""
    if start >= len(tokens):
        return [], start
    if tokens[start].is_char("{"):
        end = group_end(tokens, start)
        inner = tokens[start + 1:end - 1] if tokens[end - 1].is_char("}") else tokens[start + 1:end]
        return list(inner), end
    return [tokens[start]], start + 1


def index_names(tokens: list[Token] | tuple[Token, ...]) -> list[str] | None:
    """Index names in a subscript: ``k``, ``k'``, ``kT`` (two); None if it is not only indices."""
    names: list[str] = []
    for t in tokens:
        if t.kind == "letter":
            names.append(t.text)
        elif (t.is_char("'") or t.is_command(r"\prime")) and names:
            names[-1] += "'"
        else:
            return None
    return names or None
