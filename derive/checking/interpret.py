"""Read a document top to bottom: which equations are definitions, which case is argued, which
equalities are claims to check.

A *definition* is an equation ``name = expr`` whose name is not yet defined in this section:
``y = \\frac{1}{1+e^{-z}}``, ``y_k = ...`` (a family y[m]), ``\\mathcal{L}(y, t) = ...``. The
first equality of a displayed chain ``L = A = B`` whose left side is a new name is a definition
too (checking ``L = A`` would only compare an unknown with a formula). ``t_T = 1`` for an index T
declares the one-hot vector t_m = delta_{mT}. An inline ``k = T`` or ``k \\neq T`` between two
indices states the case argued until the next case, definition or heading. Every other equality
of displayed math is a *claim*; inline math only defines and states cases.

Also read as definitions: ``p_1 = ...`` (the name p_1), ``g(z) = ...`` (a function applied
wherever g is written with another argument), ``\\hat{y}^{(i)} = ...`` (the same formula for
every example), ``y = \\operatorname{softmax}(z)``, and a second displayed formula for a name
that contradicts the first. A definition that is seen but not read, an inline equation on vectors
that constrains names (``\\sum_j y_j = 1``) and a condition in words after a line
(``\\text{if } y = 1``) make the steps that depend on them impossible to refute (see
:attr:`Claim.doubt`). A plan stated before its parts are defined is checked with the definitions
the section gives further on; vectors written whole are read entry by entry (:mod:`.vectors`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import sympy as sp
from sympy.core.function import AppliedUndef

from derive.checking.build import softmax_entry
from derive.checking.chains import DEFINES, Chain, Piece, Relation, chains
from derive.checking.extract import Fragment, LineIndex, SectionBreak, extract, is_latex
from derive.checking.lexer import Token
from derive.checking.parser import ParseError, parse_tokens
from derive.checking.sampling import (
    choice_of,
    infer_domains,
    make_context,
    shared_names,
    stated_domains,
)
from derive.checking.scope import (
    Key,
    Knowledge,
    Scope,
    doubt,
    families_reached,
    key_of,
    keys_used,
    obstacle,
    reach,
)
from derive.checking.symbols import (
    DEFAULT_SIZE,
    DOT_INDEX,
    ELIDED_INDEX,
    GREEK,
    SOFTMAX_INDEX,
    VECTOR_INDEX,
    Vocabulary,
    family,
    family_names,
    index_symbol,
    plain_symbol,
    real_bare_symbols,
)
from derive.checking.vectors import ENTRY_INDEX, entrywise, vector_names
from derive.checking.vocabulary import learn_vocabulary
from derive.functions import example
from derive.steps import Case
from derive.verify import SYMPY_FAILURES, compare

MAX_PRIMES = 4
ONE_HOT_INDEX = index_symbol("m_1hot")  # the index of a one-hot definition t_m = delta_{mT}

# A fragment (or heading) with the chains and relations cut from it.
Entry = tuple[Fragment | SectionBreak, list[Chain], list[Relation]]


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
        """The left side of this claim."""
        return self.chain[self.position]

    @property
    def rhs(self) -> Side:
        """The right side of this claim."""
        return self.chain[self.position + 1]

    def problem(self, i: int, j: int) -> str:
        """Why sides i and j of the chain cannot be compared (empty if they can)."""
        for n, side in ((i, self.chain[i]), (j, self.chain[j])):
            if side.expr is None:
                which = "left" if n == i else "right"
                return f"could not read the {which} side: {side.error}"
        return obstacle(self.chain[i].expr, self.chain[j].expr, self.scope)

    @property
    def doubt(self) -> str:
        """Why a refutation of this claim would not be sound (empty if it would be)."""
        if self.lhs.piece.conditional or self.rhs.piece.conditional:
            return "the line holds under a condition written after it in words, which is not read"
        return doubt(self.lhs.expr, self.rhs.expr, self.scope)


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
    shared: frozenset[str]  # names that are the same for every training example


def read_document(text: str, source: str = "<text>") -> Document:
    """Find the claims and definitions of a Markdown or LaTeX document."""
    items = extract(text, is_latex(text, source))
    lines = LineIndex(text)
    cut: list[Entry] = []
    for item in items:
        if isinstance(item, Fragment):
            found, relations = chains(item.text, item.offset, text)
            cut.append((item, found, relations))
        else:
            cut.append((item, [], []))
    vocabulary = learn_vocabulary(
        (p.tokens for _, found, _ in cut for c in found for p in c.pieces),
        (c.pieces[0].tokens for _, found, _ in cut for c in found if not c.continues),
        text,
    )
    # indices the reader makes up are indices like the others (per-example expansion in the
    # verifier wraps every symbol it does not know as an index, even a summation index)
    made_up = (
        str(ONE_HOT_INDEX),
        DOT_INDEX,
        ELIDED_INDEX,
        ENTRY_INDEX,
        SOFTMAX_INDEX,
        VECTOR_INDEX,
    )
    bounds = {**dict.fromkeys(made_up, DEFAULT_SIZE), **vocabulary.index_bounds}
    bounds |= {_bound_name(n): b for n, b in bounds.items()}
    vocabulary = dataclasses.replace(vocabulary, index_bounds=bounds)
    parsed = _parse_all(cut, vocabulary)
    parsed = _name_concrete_members(cut, parsed)
    exprs = [s.expr for s in parsed.values() if s.expr is not None]
    stated = stated_domains(item.text for item in items if isinstance(item, Fragment))
    domains = {**infer_domains(exprs), **stated.intervals}
    reader = _Reader(lines, vocabulary, parsed, domains)
    for name, values in stated.choices.items():
        reader.knowledge.define(
            plain_symbol(name), choice_of(name, values), f"{name} in {{{values[0]}, {values[1]}}}"
        )
    reader.read(cut)
    return Document(
        tuple(reader.claims), tuple(reader.notes), vocabulary, domains, shared_names(exprs)
    )


def _parse_all(cut: list[Entry], vocabulary: Vocabulary) -> dict[int, Side]:
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
    except (
        ValueError,
        TypeError,
        AttributeError,
        IndexError,
        KeyError,
        ZeroDivisionError,
        NotImplementedError,
        OverflowError,
        RecursionError,
    ) as exc:
        # SymPy refused to build something (e.g. a malformed Sum): not understood.
        return Side(piece, None, f"not understood ({type(exc).__name__})")


def _name_concrete_members(cut: list[Entry], parsed: dict[int, Side]) -> dict[int, Side]:
    """``p_1 = ...`` defines the name p_1: read p_1 as that plain name in the whole document.

    Only for families never defined with a letter index (``p_k = ...`` defines them all).
    """
    concrete: dict[sp.Indexed, sp.Symbol] = {}
    general: set[str] = set()
    for _, found, _ in cut:
        for chain in found:
            if chain.continues:
                continue
            target = parsed[chain.pieces[0].offset].expr
            if not isinstance(target, sp.Indexed) or chain.relations[0] not in ("=", DEFINES):
                continue
            if all(i.is_Integer for i in target.indices):
                label = "_".join(str(i) for i in target.indices)
                concrete[target] = plain_symbol(f"{target.base.label}_{label}")
            else:
                general.add(str(target.base.label))
    table = {k: v for k, v in concrete.items() if str(k.base.label) not in general}
    if not table:
        return parsed
    # a member written with a letter (p_k) is none of the named ones: not connected to them
    partial = {str(k.base.label) for k in table}
    renamed = {}
    for offset, side in parsed.items():
        expr = side.expr.xreplace(table) if side.expr is not None else None
        error = side.error
        if expr is not None and family_names(expr) & partial:
            (name, *_) = sorted(family_names(expr) & partial)
            named = (str(v) for k, v in table.items() if str(k.base.label) == name)
            members = ", ".join(sorted(named))
            error = f"{name} is defined member by member ({members}) and used with another index"
            expr = None
        renamed[offset] = Side(side.piece, expr, error)
    return renamed


def _name_of(tokens: tuple[Token, ...]) -> str | None:
    """The name a left side that could not be read starts with (h in h_\\theta(x)), if any."""
    if not tokens:
        return None
    first = tokens[0]
    if first.kind == "letter":
        name = first.text
    elif first.kind == "command" and first.text[1:] in GREEK:
        name = first.text[1:]
    elif first.kind == "command" and len(tokens) > 3 and tokens[1].is_char("{"):
        name = tokens[2].text.lstrip("\\")
        tokens = tokens[3:]
    else:
        return None
    rest = tokens[1:]
    if rest and not rest[0].is_char("_", "(", "^", "'", "}"):
        return None
    return name


class _Reader:
    """Walks the fragments in order, keeping the definitions and the case."""

    def __init__(
        self,
        lines: LineIndex,
        vocabulary: Vocabulary,
        parsed: dict[int, Side],
        domains: dict[str, tuple[float, float]],
    ) -> None:
        self.lines = lines
        self.vocab = vocabulary
        self.parsed = parsed
        self.domains = domains
        self.knowledge = Knowledge()
        self.case: Case | None = None
        self.claims: list[Claim] = []
        self.notes: list[DefinitionNote] = []

    def read(self, cut: list[Entry]) -> None:
        for number, section in enumerate(_sections(cut)):
            self.knowledge.enter_section(number, self.families(section))
            self.case = None
            self.displayed: set[Key] = set()  # names defined by a displayed formula here
            self.last_side: Side | None = None  # the last line of the last displayed chain
            first = len(self.claims)
            for fragment, found, relations in section:
                self.fragment(fragment, found, relations)
            self.look_ahead(first)

    def look_ahead(self, first: int) -> None:
        """A plan stated before its parts are defined ("by the chain rule, dL/dw = ..." at the
        top of a section) is checked with the definitions the section gives further on."""
        final = self.knowledge.scope(None)
        for n in range(first, len(self.claims)):
            claim = self.claims[n]
            if "not defined above" not in claim.problem(claim.position, claim.position + 1):
                continue
            scope = claim.scope
            later = tuple(
                k.definition for key, k in self.knowledge.known.items() if key not in scope.defined
            )
            merged = dataclasses.replace(
                scope,
                definitions=scope.definitions + later,
                defined=scope.defined | final.defined,
            )
            chain = self.entrywise(claim.chain)  # vectors are known by now
            self.claims[n] = dataclasses.replace(claim, scope=merged, chain=chain)

    def families(self, section: list[Entry]) -> frozenset[str]:
        """Names used as indexed families anywhere in a section (y in y_k): vectors there."""
        names: set[str] = set()
        for _, found, _ in section:
            for piece in (p for c in found for p in c.pieces):
                expr = self.parsed[piece.offset].expr
                if expr is not None:
                    names |= family_names(expr)
        return frozenset(names)

    def fragment(self, fragment: Fragment, found: list[Chain], relations: list[Relation]) -> None:
        for relation in relations:
            case = self.case_of(relation)
            if case is not None:
                self.case = case
        step = 0
        for chain in found:
            sides = tuple(self.applied(self.parsed[p.offset]) for p in chain.pieces)
            start = 0
            if chain.continues:
                if self.last_side is None or not fragment.block:
                    continue
                sides = (self.last_side, *sides)
            elif self.try_define(sides, chain.relations[0], fragment.block, len(sides) == 2):
                start = 1
            elif not fragment.block:
                self.constraint(sides)
            if not fragment.block:
                continue
            sides = self.entrywise(sides)
            self.last_side = sides[-1]
            # once per chain, not per claim: a long chain must cost linear time and memory
            lines = tuple(self.lines.line(s.piece.offset) for s in sides)
            scope = self.knowledge.scope(self.case)
            for position in range(start, len(sides) - 1):
                step += 1
                self.claims.append(
                    Claim(
                        line=lines[position + 1],
                        block=fragment.block,
                        step=step,
                        chain=sides,
                        position=position,
                        scope=scope,
                        lines=lines,
                    )
                )

    def case_of(self, relation: Relation) -> Case | None:
        """``k = T`` or ``k \\neq T`` between two indices: the case argued from here on."""
        if relation.relation not in ("=", "!="):
            return None
        left = self.parsed.get(relation.left.offset)
        right = self.parsed.get(relation.right.offset)
        if left is None or right is None or left.expr is None or right.expr is None:
            return None
        a, b = left.expr, right.expr
        if not all(
            isinstance(x, sp.Symbol) and x.is_integer and self.vocab.is_index(str(x))
            for x in (a, b)
        ):
            return None
        text = (
            f"{relation.left.source} {'=' if relation.relation == '=' else '!='} "
            f"{relation.right.source}"
        )
        return Case(sp.Eq(a, b) if relation.relation == "=" else sp.Ne(a, b), text)

    def try_define(self, sides: tuple[Side, ...], relation: str, block: int, single: bool) -> bool:
        """Record sides[0] = sides[1] as a definition if it is one; report whether it was."""
        target, value = sides[0].expr, sides[1].expr
        if isinstance(target, example) and value is not None:
            target, value = _one_example(target, value)
        if isinstance(target, sp.Symbol) and isinstance(value, AppliedUndef):
            if str(value.func) == "softmax":  # y = softmax(z): every y_m
                (scores,) = value.args
                target = family(str(target))[index_symbol(VECTOR_INDEX)]
                value = softmax_entry(
                    family(str(scores)), index_symbol(VECTOR_INDEX), self.vocab.size(DEFAULT_SIZE)
                )
        if target is None:
            name = _name_of(sides[0].piece.tokens) if single or not block else None
            if name is not None:
                self.knowledge.skip(name, f"line {self.line_of(sides[0])}: {sides[0].error}")
            return False
        if not _definable(target):
            looks_defined = sides[0].piece.tokens[-1:] and sides[0].piece.tokens[-1].is_char(")")
            name = _name_of(sides[0].piece.tokens) if looks_defined and value is not None else None
            if name is not None and (single or not block) and not target.is_integer:
                self.knowledge.skip(name, f"line {self.line_of(sides[0])}: not read as a name")
            return False
        key = key_of(target)
        displayed_again = single and block and key in self.displayed and value is not None
        if displayed_again and self.contradicts(key, target, value):
            pass  # "The formula of the SVM loss is $$L_i = ...$$" after another formula for L_i
        elif self.knowledge.defined_here(key) and relation != DEFINES:
            if single and not block and value is not None:
                self.check_restatement(key, target, value, sides)
            return False
        if not single and key in self.knowledge.scope(None).defined:
            return False
        if value is None:
            self.knowledge.skip(key[1], f"line {self.line_of(sides[1])}: {sides[1].error}")
            return False
        if not block and self.is_point(target, value):
            return False
        if (
            target in real_bare_symbols(value)
            or isinstance(target, sp.Indexed)
            and key[1] in family_names(value)
        ):
            return False
        if isinstance(target, sp.Symbol) and target in real_bare_symbols(
            reach(value, self.knowledge.scope(None).definitions)
        ):
            return False  # eta = ln(mu / (1 - mu)) with mu defined from eta: a claim
        if single and block:
            self.displayed.add(key)
        line = self.lines.line(sides[0].piece.offset)
        if isinstance(target, sp.Indexed) and value == 1 and len(target.indices) == 1:
            lhs = target.base[ONE_HOT_INDEX]
            rhs = sp.KroneckerDelta(ONE_HOT_INDEX, target.indices[0])
            self.knowledge.define(
                lhs, rhs, f"one-hot: {sides[0].piece.source} = 1", line, written=target
            )
        else:
            arguments = self.vocab.function_like.get(str(target), ())
            value = _own_summation_indices(value)
            self.knowledge.define(target, value, sides[0].piece.source, line, arguments=arguments)
            if arguments:
                self.apply_in_definitions(str(target))
        self.case = None
        self.notes.append(
            DefinitionNote(line, block, f"{sides[0].piece.source} = {sides[1].piece.source}")
        )
        return True

    def entrywise(self, sides: tuple[Side, ...]) -> tuple[Side, ...]:
        """The sides of a chain with vectors used whole read entry by entry (see vectors.py)."""
        exprs = [s.expr for s in sides if s.expr is not None]
        plain = frozenset(name for kind, name in self.knowledge.known if kind == "plain")
        definitions = self.knowledge.scope(None).definitions
        used = {n for e in exprs for n in families_reached(e, definitions)}
        vectors = vector_names(exprs, self.knowledge.families & used, plain)
        if not vectors:
            return sides
        size = self.vocab.size(DEFAULT_SIZE)
        return tuple(
            Side(s.piece, entrywise(s.expr, vectors, size), s.error) if s.expr is not None else s
            for s in sides
        )

    def apply_in_definitions(self, name: str) -> None:
        """``h(x) = g(w x)`` where ``g(u) = ...`` is defined after it: apply g in h now."""
        for key, known in list(self.knowledge.known.items()):
            rhs = known.definition.rhs
            calls = {str(c.func).rstrip("'") for c in rhs.atoms(AppliedUndef)}
            if name not in calls:
                continue
            side = self.applied(Side(Piece((), "", 0), rhs))
            definition = dataclasses.replace(known.definition, rhs=side.expr)
            self.knowledge.known[key] = dataclasses.replace(known, definition=definition)

    def applied(self, side: Side) -> Side:
        """The side with each defined function applied to its argument: g(u) is g's formula at u,
        g'(u) its derivative at u (a function not defined above stays applied); y' for y defined
        in one variable x is dy/dx."""
        if side.expr is not None:
            side = Side(side.piece, self.primed(side.expr), side.error)
        if side.expr is None or not side.expr.has(AppliedUndef):
            return side

        def expand(call: AppliedUndef) -> sp.Expr:
            name = str(call.func)
            base = name.rstrip("'")
            arguments = self.vocab.function_like.get(base)
            known = self.knowledge.known.get(("plain", base))
            if arguments is None or known is None or len(arguments) != len(call.args):
                return call
            variables = [self.vocab.symbol(a) for a in arguments]
            formula = known.definition.rhs
            if len(name) > len(base):
                formula = sp.diff(formula, variables[0], len(name) - len(base))
            members = {}
            for variable, value in zip(variables, call.args, strict=True):
                entries = {m for m in formula.atoms(sp.Indexed) if m.base.label == variable}
                if not entries or value == variable:
                    continue
                # h(x) = g(theta^T x) applied to x^{(i)} or to z: the vector's entries follow
                if isinstance(value, example) and value.args[0] == variable:
                    members |= {m: example(m, value.args[1]) for m in entries}
                elif isinstance(value, sp.Symbol) and not value.is_integer:
                    members |= {m: family(str(value))[m.indices] for m in entries}
                else:
                    return call  # a vector argument given as a formula: not applied
            shield = {m: sp.Dummy() for m in formula.atoms(sp.Indexed)}
            bare = formula.xreplace(shield).xreplace(dict(zip(variables, call.args, strict=True)))
            return bare.xreplace({v: members.get(m, m) for m, v in shield.items()})

        expr = side.expr.replace(lambda e: isinstance(e, AppliedUndef), expand)
        return Side(side.piece, expr, side.error)

    def primed(self, expr: sp.Expr) -> sp.Expr:
        table = {}
        for symbol in real_bare_symbols(expr):
            name = str(symbol)
            base = name.rstrip("'")
            known = self.knowledge.known.get(("plain", base))
            if base == name or known is None:
                continue
            variables = real_bare_symbols(reach(known.definition.rhs, self.scope_definitions()))
            if len(variables) == 1 and len(name) - len(base) <= MAX_PRIMES:
                (x,) = variables
                table[symbol] = sp.Derivative(plain_symbol(base), (x, len(name) - len(base)))
        return expr.xreplace(table) if table else expr

    def scope_definitions(self) -> tuple:
        return self.knowledge.scope(None).definitions

    def constraint(self, sides: tuple[Side, ...]) -> None:
        """An inline equation on vectors that defines nothing and is not an identity
        (``$\\sum_j y_j = 1$``) constrains the names it uses: a counterexample that ignores it
        proves nothing, so no step on them is refuted."""
        exprs = [s.expr for s in sides if s.expr is not None]
        if len(exprs) != len(sides) or any(isinstance(e, sp.Symbol) for e in exprs[:1]):
            return  # not read, or a name set to a value (a definition or a point)
        if all(isinstance(e, sp.Symbol) and e.is_integer for e in exprs):
            return  # a case: k = T
        if isinstance(exprs[0], (sp.Indexed, sp.Derivative, sp.Function, example)):
            return  # t_T = 1 (one-hot), a derivative stated in passing, \\sigma(z) = ...
        if not any(e.has(sp.Sum, sp.Indexed) for e in exprs):
            return  # an equation between scalars in passing ("at the optimum s^2 = ...")
        context = make_context(self.knowledge.scope(None).definitions, self.vocab, self.domains)
        try:
            if compare(exprs[0], exprs[-1], context, self.case).ok:
                return  # an identity (||w||^2 = w^T w) constrains nothing
        except SYMPY_FAILURES:
            pass
        text = " = ".join(s.piece.source for s in sides)
        for expr in exprs:
            for name in {n for _, n in keys_used(expr)}:
                self.knowledge.skip(name, f"line {self.line_of(sides[0])}: {text} is a constraint")

    def line_of(self, side: Side) -> int:
        return self.lines.line(side.piece.offset)

    def is_point(self, target: sp.Expr, value: sp.Expr) -> bool:
        """``at $q = p$``: a name already used by a definition set to another name is a point."""
        if not isinstance(value, (sp.Symbol, sp.Indexed)) or value.is_integer:
            return False
        return any(
            target in real_bare_symbols(k.definition.rhs) or target in k.definition.rhs.atoms()
            for k in self.knowledge.known.values()
        )

    def contradicts(self, key: Key, target: sp.Expr, value: sp.Expr) -> bool:
        """Whether a displayed formula for a name defined by a displayed formula gives it
        another value: a second definition (the SVM loss after the softmax loss), not a step."""
        if value.has(sp.Derivative) or not isinstance(target, (sp.Symbol, sp.Indexed)):
            return False
        old = self.knowledge.known[key].definition
        if isinstance(target, sp.Indexed):
            if len(old.lhs.indices) != len(target.indices):
                return False
            old_rhs = old.rhs.xreplace(dict(zip(old.lhs.indices, target.indices, strict=True)))
        else:
            old_rhs = old.rhs
        context = make_context(self.knowledge.scope(None).definitions, self.vocab, self.domains)
        try:
            return compare(old_rhs, value, context, self.case).status == "refuted"
        except SYMPY_FAILURES:
            return False

    def check_restatement(
        self, key: Key, target: sp.Expr, value: sp.Expr, sides: tuple[Side, ...]
    ) -> None:
        """An inline ``y = ...`` of a name defined in this section: a restatement, or a clash.

        A clash (the two definitions differ) leaves the name undefined: checking later steps
        against either meaning could refute what the author meant. A statement about another
        member of a family (``t_k = 0`` after ``t_T = 1``) may hold in a case only: not checked.
        """
        known = self.knowledge.known[key]
        if isinstance(target, sp.Indexed) and target != known.written:
            return
        old = known.definition
        if isinstance(target, sp.Indexed):
            old_rhs = old.rhs.xreplace(dict(zip(old.lhs.indices, target.indices, strict=True)))
        else:
            old_rhs = old.rhs
        context = make_context(self.knowledge.scope(None).definitions, self.vocab, self.domains)
        try:
            outcome = compare(old_rhs, value, context, self.case)
        except SYMPY_FAILURES:
            return
        if outcome.status == "refuted":
            self.knowledge.forget(key)
            line = self.lines.line(sides[0].piece.offset)
            self.notes.append(
                DefinitionNote(
                    line,
                    0,
                    (
                        f"{sides[0].piece.source} = {sides[1].piece.source} contradicts the "
                        f"definition on line {known.line}: {sides[0].piece.source} is left "
                        "undefined"
                    ),
                )
            )


def _one_example(target: example, value: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
    """``\\hat{y}^{(i)} = w^T x^{(i)} + b`` defines \\hat{y} = w^T x + b for every example."""
    inner, i = target.args
    plain = value.replace(lambda e: isinstance(e, example) and e.args[1] == i, lambda e: e.args[0])
    if plain.has(example) or i in plain.free_symbols:
        return target, value
    return inner, plain


def _bound_name(index: str) -> str:
    return f"{index}_s"


def _own_summation_indices(value: sp.Expr) -> sp.Expr:
    """A definition's sums get indices of their own (j_s for j): substituted into a step about
    a_j, sum_j e^{a_j} must not capture the step's j."""

    def rename(total: sp.Sum) -> sp.Expr:
        if total.has(example):  # sums over examples stay as written (y^{(i)} is per example)
            return total
        table = {}
        limits = []
        for index, *ends in total.limits:
            if isinstance(index, sp.Symbol) and index.is_integer and not str(index).endswith("_s"):
                table[index] = index_symbol(_bound_name(str(index)))
            limits.append((table.get(index, index), *ends))
        return sp.Sum(total.function.xreplace(table), *limits)

    return value.replace(lambda e: isinstance(e, sp.Sum), rename)


def _definable(target: sp.Expr) -> bool:
    """A name that a definition can give a value: y, L_CE, or a family member y_k."""
    if isinstance(target, sp.Symbol):
        return not target.is_integer
    if isinstance(target, sp.Indexed):
        indices = target.indices
        return all(isinstance(i, sp.Symbol) and i.is_integer for i in indices) and len(
            set(indices)
        ) == len(indices)
    return False


def _sections(cut: list[Entry]) -> list[list[Entry]]:
    """The entries between headings."""
    sections: list[list[Entry]] = [[]]
    for entry in cut:
        if isinstance(entry[0], SectionBreak):
            sections.append([])
        else:
            sections[-1].append(entry)
    return sections
