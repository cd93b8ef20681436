"""Unify the many spellings of LaTeX math before parsing: drop spacing, rename synonyms.

``\\dfrac`` is ``\\frac``, ``\\lvert`` is ``|``, ``\\{`` is a parenthesis, ``\\mathrm{d}`` is the
letter d, and ``\\,``, ``\\quad``, ``\\big`` and their kind disappear.
"""

from __future__ import annotations

from derive.checking.lexer import Token

SKIPPED = frozenset(
    r"\, \; \: \! \  \quad \qquad \displaystyle \textstyle \scriptstyle \limits \nolimits "
    r"\nonumber \notag \big \Big \bigg \Bigg \bigl \bigr \Bigl \Bigr \biggl \biggr \Biggl \Biggr "
    r"\mathstrut \strut \middle".split()
) | {"\\ "}
RENAMED = {
    r"\dfrac": r"\frac",
    r"\tfrac": r"\frac",
    r"\cfrac": r"\frac",
    r"\lvert": "|",
    r"\rvert": "|",
    r"\vert": "|",
    r"\lVert": r"\|",
    r"\rVert": r"\|",
    r"\Vert": r"\|",
    r"\lbrack": "[",
    r"\rbrack": "]",
    r"\{": "(",
    r"\}": ")",
    r"\lbrace": "(",
    r"\rbrace": ")",
    r"\ast": "*",
    r"\lparen": "(",
    r"\rparen": ")",
}
LETTER_WRAPPERS = frozenset({r"\mathrm", r"\mathit", r"\text", r"\operatorname", r"\textrm"})


def clean(tokens: list[Token]) -> list[Token]:
    """Drop spacing and sizing commands, unify synonyms, and turn \\mathrm{d} into the letter d."""
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        t = tokens[i]
        if t.kind == "command" and t.text in SKIPPED or t.is_char("~"):
            i += 1
            continue
        if t.kind == "command" and t.text in RENAMED:
            new = RENAMED[t.text]
            kind = "command" if new.startswith("\\") else "char"
            out.append(Token(kind, new, t.offset))
            i += 1
            continue
        if (
            t.kind == "command"
            and t.text in LETTER_WRAPPERS
            and i + 3 < len(tokens)
            and tokens[i + 1].is_char("{")
            and tokens[i + 2].kind == "letter"
            and tokens[i + 3].is_char("}")
        ):
            out.append(Token("letter", tokens[i + 2].text, tokens[i + 2].offset))
            i += 4
            continue
        out.append(t)
        i += 1
    return out
