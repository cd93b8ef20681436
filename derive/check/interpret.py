"""Read a document top to bottom: which equations are definitions, which case is argued, which
equalities are claims to check.

A *definition* is an equation ``name = expr`` whose name is not yet defined in this section:
``y = \\frac{1}{1+e^{-z}}``, ``y_k = ...`` (a family y[m]), ``\\mathcal{L}(y, t) = ...``. The
first equality of a displayed chain ``L = A = B`` whose left side is a new name is a definition
too (checking ``L = A`` would only compare an unknown with a formula). ``t_T = 1`` for an index T
declares the one-hot vector t_m = delta_{mT}. An inline ``k = T`` or ``k \\neq T`` between two
indices states the case argued until the next case, definition or heading. Every other equality
of displayed math is a *claim*; inline math only defines and states cases.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from derive.check.chains import DEFINES, Chain, Piece, Relation, chains
from derive.check.extract import Fragment, LineIndex, SectionBreak, extract, is_latex
from derive.check.parser import ParseError, parse_tokens
from derive.check.scope import Knowledge, Scope, key_of, obstacle
from derive.check.symbols import Vocabulary, family_names, index_symbol, real_bare_symbols
from derive.check.vocabulary import learn_vocabulary
from derive.steps import Case

ONE_HOT_INDEX = index_symbol("m_1hot")  # the index of a one-hot definition t_m = delta_{mT}
POSITIVE = (0.05, 0.95)  # sampling interval of names inside a log, a root or a fractional power


@dataclass(frozen=True)
class Side:
    """One side of a claim as written, and as read (or why it could not be read)."""

    piece: Piece
    expr: sp.Expr | None
    error: str = ""


@dataclass(frozen=True)
class Claim:
    """One equality to check (``sides[position] = sides[position + 1]``), with what is known."""

    line: int
    block: int
    step: int
    chain: tuple[Side, ...]
    position: int
    scope: Scope
    lines: tuple[int, ...]  # the file line of each side of the chain

    @property
    def lhs(self) -> Side:
        return self.chain[self.position]

    @property
    def rhs(self) -> Side:
        return self.chain[self.position + 1]

    def problem(self, i: int, j: int) -> str:
        """Why sides i and j of the chain cannot be compared (empty if they can)."""
        for n, side in ((i, self.chain[i]), (j, self.chain[j])):
            if side.expr is None:
                which = "left" if n == i else "right"
                return f"could not read the {which} side: {side.error}"
        return obstacle(self.chain[i].expr, self.chain[j].expr, self.scope)


@dataclass(frozen=True)
class DefinitionNote:
    """A definition found in the document, for the report."""

    line: int
    block: int
    source: str


@dataclass(frozen=True)
class Document:
    """Everything read from one document: its claims, definitions, letters and domains."""

    claims: tuple[Claim, ...]
    definitions: tuple[DefinitionNote, ...]
    vocabulary: Vocabulary
    domains: dict[str, tuple[float, float]]


def read_document(text: str, source: str = "<text>") -> Document:
    """Find the claims and definitions of a Markdown or LaTeX document."""
    items = extract(text, is_latex(text, source))
    lines = LineIndex(text)
    cut: list[tuple[Fragment | SectionBreak, list[Chain], list[Relation]]] = []
    for item in items:
        if isinstance(item, Fragment):
            found, relations = chains(item.text, item.offset, text)
            cut.append((item, found, relations))
        else:
            cut.append((item, [], []))
    vocabulary = learn_vocabulary(
        (p.tokens for _, found, _ in cut for c in found for p in c.pieces),
        (c.pieces[0].tokens for _, found, _ in cut for c in found),
    )
    parsed = _parse_all(cut, vocabulary)
    reader = _Reader(lines, vocabulary, parsed)
    reader.read(cut)
    return Document(tuple(reader.claims), tuple(reader.notes), vocabulary,
                    infer_domains(s.expr for s in parsed.values() if s.expr is not None))


def _parse_all(cut, vocabulary: Vocabulary) -> dict[int, Side]:
    """Every piece of every chain and relation, parsed once (keyed by file offset)."""
    parsed: dict[int, Side] = {}
    for _, found, relations in cut:
        pieces = [p for c in found for p in c.pieces]
        pieces += [p for r in relations for p in (r.left, r.right)]
        for piece in pieces:
            if piece.offset not in parsed:
                parsed[piece.offset] = _parse(piece, vocabulary)
    return parsed


def _parse(piece: Piece, vocabulary: Vocabulary) -> Side:
    try:
        return Side(piece, parse_tokens(list(piece.tokens), vocabulary))
    except ParseError as exc:
        return Side(piece, None, str(exc))
    except (ValueError, TypeError, AttributeError, IndexError, KeyError, ZeroDivisionError,
            NotImplementedError, OverflowError, RecursionError) as exc:
        # SymPy refused to build something (e.g. a malformed Sum): not understood.
        return Side(piece, None, f"not understood ({type(exc).__name__})")


def infer_domains(exprs) -> dict[str, tuple[float, float]]:
    """Names used inside a log, a root or a fractional power are sampled in (0.05, 0.95)."""
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
    return {name: POSITIVE for name in names}


class _Reader:
    """Walks the fragments in order, keeping the definitions and the case."""

    def __init__(self, lines: LineIndex, vocabulary: Vocabulary, parsed: dict[int, Side]) -> None:
        self.lines = lines
        self.vocab = vocabulary
        self.parsed = parsed
        self.knowledge = Knowledge()
        self.case: Case | None = None
        self.claims: list[Claim] = []
        self.notes: list[DefinitionNote] = []

    def read(self, cut) -> None:
        sections = _sections(cut)
        for number, section in enumerate(sections):
            families: set[str] = set()
            for _, found, _ in section:
                for c in found:
                    for p in c.pieces:
                        expr = self.parsed[p.offset].expr
                        if expr is not None:
                            families |= family_names(expr)
            self.knowledge.enter_section(number, frozenset(families))
            self.case = None
            for fragment, found, relations in section:
                self.fragment(fragment, found, relations)

    def fragment(self, fragment: Fragment, found: list[Chain], relations: list[Relation]) -> None:
        for relation in relations:
            case = self.case_of(relation)
            if case is not None:
                self.case = case
        step = 0
        for chain in found:
            sides = tuple(self.parsed[p.offset] for p in chain.pieces)
            start = 0
            if self.try_define(sides, chain.relations[0], fragment.block, single=len(sides) == 2):
                start = 1
            if not fragment.block:
                continue
            for position in range(start, len(sides) - 1):
                step += 1
                self.claims.append(Claim(
                    line=self.lines.line(sides[position + 1].piece.offset),
                    block=fragment.block,
                    step=step,
                    chain=sides,
                    position=position,
                    scope=self.knowledge.scope(self.case),
                    lines=tuple(self.lines.line(s.piece.offset) for s in sides),
                ))

    def case_of(self, relation: Relation) -> Case | None:
        if relation.relation not in ("=", "!="):
            return None
        left = self.parsed.get(relation.left.offset)
        right = self.parsed.get(relation.right.offset)
        if left is None or right is None or left.expr is None or right.expr is None:
            return None
        a, b = left.expr, right.expr
        if not all(isinstance(x, sp.Symbol) and x.is_integer and self.vocab.is_index(str(x))
                   for x in (a, b)):
            return None
        text = f"{relation.left.source} {'=' if relation.relation == '=' else '!='} " \
               f"{relation.right.source}"
        return Case(sp.Eq(a, b) if relation.relation == "=" else sp.Ne(a, b), text)

    def try_define(self, sides: tuple[Side, ...], relation: str, block: int, single: bool) -> bool:
        """Record sides[0] = sides[1] as a definition if it is one; report whether it was."""
        target, value = sides[0].expr, sides[1].expr
        if target is None or not _definable(target):
            return False
        key = key_of(target)
        if self.knowledge.defined_here(key) and relation != DEFINES:
            return False
        if not single and key in self.knowledge.scope(None).defined:
            return False
        if value is None:
            return False
        if target in real_bare_symbols(value) or isinstance(target, sp.Indexed) and \
                key[1] in family_names(value):
            return False
        if isinstance(target, sp.Indexed) and value == 1 and len(target.indices) == 1:
            lhs = target.base[ONE_HOT_INDEX]
            rhs = sp.KroneckerDelta(ONE_HOT_INDEX, target.indices[0])
            self.knowledge.define(lhs, rhs, f"one-hot: {sides[0].piece.source} = 1")
        else:
            self.knowledge.define(target, value, sides[0].piece.source)
        self.case = None
        self.notes.append(DefinitionNote(self.lines.line(sides[0].piece.offset), block,
                                         f"{sides[0].piece.source} = {sides[1].piece.source}"))
        return True


def _definable(target: sp.Expr) -> bool:
    """A name that a definition can give a value: y, L_CE, or a family member y_k."""
    if isinstance(target, sp.Symbol):
        return not target.is_integer
    if isinstance(target, sp.Indexed):
        indices = target.indices
        return all(isinstance(i, sp.Symbol) and i.is_integer for i in indices) and len(
            set(indices)) == len(indices)
    return False


def _sections(cut) -> list[list]:
    sections: list[list] = [[]]
    for entry in cut:
        if isinstance(entry[0], SectionBreak):
            sections.append([])
        else:
            sections[-1].append(entry)
    return sections
