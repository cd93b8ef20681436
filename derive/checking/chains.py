"""Cut a math fragment into chains of equalities: ``A &= B \\\\ &= C`` is the chain A = B = C.

A row that starts with a relation continues the chain of the row before; a row that starts with
an expression begins a new one (``a &= b \\\\ c &= d`` is two chains); a row that starts with
``+`` or ``-`` continues the expression of the row before. A wide space (``\\quad``,
``\\qquad``) separates equations like a row break. Relations other than ``=``
(``\\Rightarrow``, ``\\leftarrow``, ``\\le``...) end a chain: what follows is a new claim.
Prose (``\\text{Because: }``) before a row's formula is a label and is dropped; after it, it
ends the row. Wrappers such as
``\\begin{aligned}`` are dropped; other environments (``cases``, ``matrix``) are kept whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from derive.checking.lexer import Token, group_end, tokenize

TRANSPARENT = frozenset(
    "aligned align split gathered gather equation multline flalign alignat alignedat "
    "eqnarray".split()
)
EQUALS = "="
DEFINES = ":="
RELATIONS = {
    "=": EQUALS,
    r"\coloneqq": DEFINES,
    r"\triangleq": DEFINES,
    r"\doteq": DEFINES,
    r"\eqqcolon": DEFINES,
    "<": "<",
    ">": ">",
    r"\le": "<=",
    r"\leq": "<=",
    r"\leqslant": "<=",
    r"\ge": ">=",
    r"\geq": ">=",
    r"\geqslant": ">=",
    r"\ne": "!=",
    r"\neq": "!=",
    r"\approx": "~",
    r"\sim": "~",
    r"\simeq": "~",
    r"\propto": "~",
    r"\equiv": "==",
    r"\Rightarrow": "=>",
    r"\implies": "=>",
    r"\Longrightarrow": "=>",
    r"\rightarrow": "->",
    r"\to": "->",
    r"\leftarrow": "<-",
    r"\gets": "<-",
    r"\Leftarrow": "<=",
    r"\iff": "<=>",
    r"\Leftrightarrow": "<=>",
    r"\longrightarrow": "->",
    r"\longleftarrow": "<-",
    r"\mapsto": "->",
    r"\therefore": "=>",
    r"\because": "=>",
}
PROSE = frozenset(r"\text \textbf \textit \textrm \mbox \intertext \textnormal \emph".split())
DROPPED_WITH_ARGUMENT = frozenset(r"\tag \label \eqref \ref \hspace \vspace".split())
ROW_BREAKS = frozenset({"\\\\", r"\cr", r"\newline"})
WIDE_SPACES = frozenset({r"\quad", r"\qquad"})  # A = B \qquad C = D: two equations
SPACING = frozenset(r" \, \; \: \! \displaystyle \nonumber \notag".split()) | {"\\ "}
CONTINUATION = frozenset({"+", "-", r"\cdot", r"\times"})
CONDITION = "if"  # marks a row whose prose states a condition
CONDITION_WORDS = re.compile(
    r"\b(if|when|whenever|unless|provided|assuming|otherwise|only|for|where)\b", re.IGNORECASE
)


@dataclass(frozen=True)
class Piece:
    """One side of a relation: its tokens, its source text and the file offset where it starts."""

    tokens: tuple[Token, ...]
    source: str
    offset: int
    conditional: bool = False  # prose after it states a condition ("if y = 1")


@dataclass(frozen=True)
class Chain:
    """Pieces joined by equalities (relations[i] joins pieces[i] and pieces[i + 1])."""

    pieces: tuple[Piece, ...]
    relations: tuple[str, ...]
    continues: bool = False  # "$$= B$$": the chain goes on from the display before


@dataclass(frozen=True)
class Relation:
    """Two pieces joined by any relation, for reading conditions such as ``k \\neq T``."""

    left: Piece
    relation: str
    right: Piece


def chains(text: str, offset: int, document: str) -> tuple[list[Chain], list[Relation]]:
    """The chains of equalities in a fragment, and every pair of pieces joined by a relation."""
    rows = _rows(_unwrap(tokenize(text, offset)))
    builder = _Builder(document)
    for row in rows:
        builder.row(row)
    builder.close()
    return builder.chains, builder.relations


def _unwrap(tokens: list[Token]) -> list[Token]:
    """Drop \\begin{aligned}...\\end{aligned} wrappers (and an [t] position argument)."""
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        t = tokens[i]
        if t.is_command(r"\begin", r"\end") and i + 1 < len(tokens) and tokens[i + 1].is_char("{"):
            j = i + 2
            name = ""
            while j < len(tokens) and not tokens[j].is_char("}"):
                name += tokens[j].text
                j += 1
            if name.rstrip("*") in TRANSPARENT:
                i = j + 1
                if t.text == r"\begin":
                    i = _skip_optional(tokens, i)
                    if name.startswith("alignat") and i < len(tokens) and tokens[i].is_char("{"):
                        i = group_end(tokens, i)
                continue
        out.append(t)
        i += 1
    return out


def _skip_optional(tokens: list[Token], i: int) -> int:
    if i < len(tokens) and tokens[i].is_char("["):
        while i < len(tokens) and not tokens[i].is_char("]"):
            i += 1
        return i + 1
    return i


def _opens(t: Token) -> bool:
    return t.is_char("(", "[") or t.is_command(r"\{", r"\lbrace")


def _closes(t: Token) -> bool:
    return t.is_char(")", "]") or t.is_command(r"\}", r"\rbrace")


def _unclosed(tokens: list[Token]) -> set[int]:
    """Top-level brackets that no closing bracket in their row matches (a stray [)."""
    level, open_at, unclosed = 0, [], set()
    for i, t in enumerate(tokens):
        if t.is_char("{") or t.is_command(r"\left", r"\begin"):
            level += 1
        elif t.is_char("}") or t.is_command(r"\right", r"\end"):
            level = max(level - 1, 0)
        elif level == 0 and _opens(t):
            open_at.append(i)
        elif level == 0 and _closes(t) and open_at:
            open_at.pop()
        elif level == 0 and t.kind == "command" and (t.text in ROW_BREAKS or t.text in WIDE_SPACES):
            unclosed.update(open_at)
            open_at = []
    return unclosed | set(open_at)


def _rows(tokens: list[Token]) -> list[list[Token | str]]:
    """Rows of tokens at the top level, with relations replaced by their names (strings)."""
    rows: list[list[Token | str]] = [[]]
    level = 0
    brackets = 0  # open ( [ \{ in this row: a relation inside is a condition, 1(y_i = k)
    stray = _unclosed(tokens)  # a bracket never closed hides no relation
    i = 0
    while i < len(tokens):
        t = tokens[i]
        row = rows[-1]
        if t.is_char("{") or t.is_command(r"\left", r"\begin"):
            level += 1
        elif t.is_char("}") or t.is_command(r"\right", r"\end"):
            level = max(level - 1, 0)
        if level == 0 and _opens(t) and i not in stray:
            brackets += 1
        elif level == 0 and _closes(t):
            brackets = max(brackets - 1, 0)
        if level > 0 or t.is_char("}") or t.is_command(r"\right", r"\end"):
            row.append(t)
        elif t.kind == "command" and (t.text in ROW_BREAKS or t.text in WIDE_SPACES):
            brackets = 0
            rows.append([])
            i = _skip_optional(tokens, i + 1)
            continue
        elif t.is_char("&", "~") or t.kind == "command" and t.text in SPACING:
            pass
        elif t.kind == "command" and t.text in DROPPED_WITH_ARGUMENT:
            i = group_end(tokens, i + 1)
            continue
        elif t.kind == "command" and t.text in PROSE:
            end = group_end(tokens, i + 1)
            if any(isinstance(x, Token) for x in row):
                # prose after the formula: a comment; the rest of the row is dropped, but
                # "... \text{if } y = 1" says the line holds only under a condition
                words = "".join(x.text if x.kind == "letter" else " " for x in tokens[i:end])
                if CONDITION_WORDS.search(words):
                    row.append(CONDITION)
                while end < len(tokens) and not (
                    tokens[end].kind == "command" and tokens[end].text in ROW_BREAKS | WIDE_SPACES
                ):
                    end += 1
            i = end
            continue
        elif t.is_char(":") and i + 1 < len(tokens) and tokens[i + 1].is_char("="):
            row.append(DEFINES)
            i += 2
            continue
        elif t.kind in ("char", "command") and t.text in RELATIONS and not brackets:
            row.append(RELATIONS[t.text])
        else:
            row.append(t)
        i += 1
    return [r for r in rows if r]


class _Builder:
    def __init__(self, document: str) -> None:
        self.document = document
        self.chains: list[Chain] = []
        self.relations: list[Relation] = []
        self.pieces: list[Piece] = []
        self.joins: list[str] = []
        self.started = False  # whether anything was read yet
        self.continues = False

    def close(self) -> None:
        if len(self.pieces) > 1 or self.continues and self.pieces:
            self.chains.append(Chain(tuple(self.pieces), tuple(self.joins), self.continues))
        self.pieces, self.joins = [], []
        self.continues = False

    def piece(self, tokens: list[Token]) -> Piece | None:
        while tokens and tokens[-1].is_char(",", ".", ";"):
            tokens = tokens[:-1]
        if not tokens:
            return None
        start, last = tokens[0].offset, tokens[-1]
        source = self.document[start : last.offset + len(last.text)].strip()
        return Piece(tuple(tokens), source, start)

    def row(self, row: list[Token | str]) -> None:
        conditional = CONDITION in row
        self.add_row([x for x in row if x != CONDITION])
        if conditional and self.pieces:
            self.pieces[-1] = replace(self.pieces[-1], conditional=True)

    def add_row(self, row: list[Token | str]) -> None:
        parts: list[list[Token]] = [[]]
        joins: list[str] = []
        for x in row:
            if isinstance(x, str):
                joins.append(x)
                parts.append([])
            else:
                parts[-1].append(x)
        first = parts[0]
        if first and self.pieces and not joins and first[0].text in CONTINUATION:
            self.extend_last(first)
            return
        if first:
            self.close()
            self.start(first)
        for join, tokens in zip(joins, parts[1:], strict=True):
            self.join(join, tokens)

    def start(self, tokens: list[Token]) -> None:
        self.started = True
        piece = self.piece(tokens)
        self.pieces = [piece] if piece else []
        self.joins = []

    def extend_last(self, tokens: list[Token]) -> None:
        last = self.pieces[-1]
        merged = self.piece(list(last.tokens) + tokens)
        if merged is not None:
            self.pieces[-1] = merged

    def join(self, relation: str, tokens: list[Token]) -> None:
        piece = self.piece(tokens)
        if not self.started and not self.pieces and relation == EQUALS and piece is not None:
            self.started, self.continues, self.pieces = True, True, [piece]
            return
        self.started = True
        if self.pieces and piece is not None:
            self.relations.append(Relation(self.pieces[-1], relation, piece))
        if relation in (EQUALS, DEFINES) and self.pieces and piece is not None:
            self.pieces.append(piece)
            self.joins.append(relation)
            return
        self.close()
        if piece is not None:
            self.pieces = [piece]
