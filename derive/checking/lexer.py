"""Split LaTeX math into tokens, each remembering where it starts in the source file.

A token is one of: a command (``\\frac``, ``\\\\``, ``\\,``), a single letter, a run of digits
(with an optional decimal part), or one punctuation character (``{ } ( ) ^ _ + - = &`` ...).
Whitespace and ``%`` comments are dropped. The lexer never fails: characters it has no use for
become ``other`` tokens, and the parser decides what to do with them.
"""

from __future__ import annotations

from collections.abc import Callable
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
        """Whether this is one of the given commands (``\\frac``...)."""
        return self.kind == "command" and self.text in names

    def is_char(self, *chars: str) -> bool:
        """Whether this is one of the given punctuation characters."""
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
            if j + 1 < n and source[j] == "." and "0" <= source[j + 1] <= "9":
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
    """The argument of ``_`` or ``^`` at ``start`` (a {group} or one token), and its end."""
    if start >= len(tokens):
        return [], start
    if tokens[start].is_char("{"):
        end = group_end(tokens, start)
        inner = (
            tokens[start + 1 : end - 1] if tokens[end - 1].is_char("}") else tokens[start + 1 : end]
        )
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


def split_commas(tokens: list[Token]) -> list[list[Token]]:
    """Split a list at commas outside brackets (keeping an empty first part)."""
    return split_at(tokens, lambda t: t.is_char(","), keep_first=True)


def split_at(
    tokens: list[Token], separator: Callable[[Token], bool], keep_first: bool = False
) -> list[list[Token]]:
    """Split at separators outside braces; the separators themselves are dropped."""
    parts: list[list[Token]] = [[]]
    level = 0
    for t in tokens:
        if t.is_char("{", "(", "["):
            level += 1
        elif t.is_char("}", ")", "]"):
            level -= 1
        if level == 0 and separator(t):
            parts.append([])
        else:
            parts[-1].append(t)
    if not keep_first and not parts[0]:
        parts = parts[1:]
    return parts


def split_at_equals(tokens: list[Token]) -> list[list[Token]]:
    """``k=1`` -> ``[k], [1]``; a list without ``=`` stays whole."""
    for i, t in enumerate(tokens):
        if t.is_char("="):
            return [tokens[:i], tokens[i + 1 :]]
    return [tokens]


def argument_names(tokens: list[Token] | tuple[Token, ...]) -> list[str] | None:
    """The names of an argument list ``y, t`` or ``\\mathbf{w}, b``; None if it is not one."""
    names: list[str] = []
    for part in split_commas(list(tokens)):
        if len(part) == 1 and part[0].kind in ("letter", "command"):
            names.append(part[0].text.lstrip("\\"))
        elif (
            len(part) == 4
            and part[0].kind == "command"
            and part[1].is_char("{")
            and part[2].kind in ("letter", "command")
            and part[3].is_char("}")
        ):
            names.append(part[2].text.lstrip("\\"))
        else:
            return None
    return names
