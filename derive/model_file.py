"""Read a model file (Markdown or LaTeX) into a :class:`~derive.model.Model`.

A model file declares a model the way a course writes it::

    # Tanh regression
    $$z = w^T x$$
    $$y = \\tanh(z)$$
    $$L = \\frac{1}{2}(y - t)^2$$
    Parameter: $w$

The display equations, in order, are the stages; the last one defines the per-example loss.
The line ``Parameter: $w$`` names the parameter, lines ``Assume: $t \\in \\{0, 1\\}$`` state
what the target takes, and a heading gives the title. The first stage that uses the
parameter is its linear score (``w^T x``, ``w \\cdot x`` and ``\\sum_j w_j x_j`` are the same);
every later stage uses the one before it, so the stages form one chain from the loss down to
the parameter. ``x`` (the input, D entries) and the target ``t`` are the names a file does not
define. The formulas are read by the parser of ``derive check`` (:mod:`derive.checking`):
nothing the file says is evaluated. Every problem is a :class:`ModelFileError` naming the line.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import sympy as sp

from derive.checking.chains import DEFINES, EQUALS, chains
from derive.checking.extract import Fragment, LineIndex, extract, is_latex
from derive.checking.lexer import Token
from derive.checking.parser import ParseError, parse_tokens
from derive.checking.sampling import infer_domains, stated_domains
from derive.checking.symbols import family_names, real_bare_symbols
from derive.checking.vocabulary import learn_vocabulary
from derive.errors import InputError
from derive.model import Model, Stage
from derive.safe_text import printable

TARGET = "t"  # the target of an example: the one name besides the input a file need not define
FEATURES = sp.Symbol("D", integer=True, positive=True)  # entries of the input x
ENTRY = sp.Symbol("j", integer=True, positive=True)  # the parameter entry w_j of the gradient
FEATURE = sp.Symbol("j'", integer=True, positive=True)  # the summation index of w^T x
MAX_TITLE = 120

_DIRECTIVE = re.compile(r"^[ \t>*_-]*(parameter|assume)s?[*_]*\s*:", re.IGNORECASE | re.MULTILINE)
_HEADING = re.compile(r"^ {0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
_LATEX_TITLE = re.compile(r"\\(?:title|section\*?)\{([^{}\n]+)\}")
_ONE_HOT = re.compile(r"one[- ]hot", re.IGNORECASE)
_ACTIVATIONS = {
    "tanh": "tanh activation",
    "sigmoid": "sigmoid activation",
    "exp": "exponential",
    "log": "logarithm",
    "softplus": "softplus",
    "Max": "maximum",
}


class ModelFileError(InputError):
    """A model file that cannot be read as a model; the message starts with ``file:line:``."""


@dataclass(frozen=True)
class _Equation:
    """One stage as written: its line, its two sides as read, and its source text."""

    line: int
    lhs: sp.Expr
    rhs: sp.Expr
    source: str

    @property
    def key(self) -> str:
        return _name(self.lhs)


def load_model(path: str | os.PathLike[str]) -> Model:
    """The model a Markdown or LaTeX model file declares (ModelFileError naming the line)."""
    from derive.checking import read_text

    text = read_text(path)
    return read_model(text, source=str(path), name=Path(path).stem)


def read_model(text: str, *, source: str = "<model>", name: str = "model") -> Model:
    """The model declared by the text of a model file; ``source`` names it in errors."""
    reader = _Reader(text, source)
    return reader.model(name)


class _Reader:
    def __init__(self, text: str, source: str) -> None:
        self.text = text
        self.source = printable(source)
        self.lines = LineIndex(text)
        self.fragments = [
            item for item in extract(text, is_latex(text, source)) if isinstance(item, Fragment)
        ]

    def fail(self, line: int | None, message: str) -> ModelFileError:
        where = f"{self.source}:{line}" if line else self.source
        return ModelFileError(f"{where}: {message}")

    def line_of(self, offset: int) -> int:
        return self.lines.line(offset)

    # -- reading ------------------------------------------------------------------------------

    def model(self, name: str) -> Model:
        displays = [f for f in self.fragments if f.block]
        if not displays:
            raise self.fail(
                None, "no display equations: a model file gives its stages as $$z = w^T x$$ ..."
            )
        pieces = [self.equation_pieces(f) for f in displays]
        directives = self.directives()
        parameter_tokens = directives.get("parameter")
        tokens = [p.tokens for pair in pieces for p in pair]
        if parameter_tokens is not None:
            tokens.append(parameter_tokens[1])
        vocabulary = learn_vocabulary(tokens, [pair[0].tokens for pair in pieces], self.text)
        equations = [
            _Equation(
                self.line_of(left.offset),
                self.parse(left, vocabulary),
                self.parse(right, vocabulary),
                f"{left.source} = {right.source}",
            )
            for left, right in pieces
        ]
        last = equations[-1].line
        if parameter_tokens is None:
            raise self.fail(last, "no parameter: add a line such as `Parameter: $w$` below it")
        line, found = parameter_tokens
        parameter = self.parse_name(found, vocabulary, line)
        targets, domains = self.assumptions(directives.get("assume", []))
        return _Builder(self, equations, parameter, line).model(name, targets, domains)

    def equation_pieces(self, fragment: Fragment):
        found, _ = chains(fragment.text, fragment.offset, self.text)
        line = self.line_of(fragment.offset)
        if (
            len(found) != 1
            or len(found[0].pieces) != 2
            or found[0].relations[0]
            not in (
                EQUALS,
                DEFINES,
            )
        ):
            raise self.fail(line, "a stage is one equation `name = formula`")
        return found[0].pieces

    def parse(self, piece, vocabulary) -> sp.Expr:
        try:
            return parse_tokens(list(piece.tokens), vocabulary)
        except ParseError as error:
            reason = str(error)
        except (ValueError, TypeError, AttributeError, IndexError, KeyError) as error:
            reason = f"not understood ({type(error).__name__})"
        raise self.fail(
            self.line_of(piece.offset), f"cannot read the formula `{piece.source}`: {reason}"
        )

    def parse_name(self, tokens: tuple[Token, ...], vocabulary, line: int) -> str:
        try:
            expr = parse_tokens(list(tokens), vocabulary)
        except ParseError:
            expr = None
        if not isinstance(expr, sp.Symbol) or expr.is_integer:
            raise self.fail(line, "the parameter is one name, such as `Parameter: $w$`")
        return str(expr)

    def directives(self) -> dict:
        """``parameter``: (line, tokens of its math); ``assume``: [(line, math, words)]."""
        from derive.checking.lexer import tokenize

        found: dict = {"assume": []}
        for match in _DIRECTIVE.finditer(self.text):
            line = self.line_of(match.start())
            end = self.text.find("\n", match.end())
            end = len(self.text) if end < 0 else end
            inline = [f for f in self.fragments if match.end() <= f.offset < end and not f.block]
            rest = self.text[match.end() : end]
            if not inline:
                raise self.fail(line, f"write the {match[1].lower()} in math: $...$")
            if match[1].lower() == "parameter":
                if "parameter" in found or len(inline) > 1:
                    raise self.fail(line, "a model file has one parameter")
                found["parameter"] = (line, tuple(tokenize(inline[0].text, inline[0].offset)))
            else:
                found["assume"].append((line, inline[0].text, rest))
        return found

    def assumptions(self, lines) -> tuple[tuple[float, ...] | None, dict]:
        """The target values and sampling domains that ``Assume:`` lines state."""
        targets = None
        domains: dict[str, tuple[float, float]] = {}
        for line, math, words in lines:
            if _ONE_HOT.search(words):
                raise self.fail(line, "one-hot targets need a multiclass model, not read yet")
            stated = stated_domains([math])
            if not stated.choices and not stated.intervals:
                raise self.fail(
                    line,
                    "cannot read the assumption: write `Assume: $t \\in \\{0, 1\\}$`, "
                    "`$t \\in \\{-1, 1\\}$` or `$t \\in (0, 1)$`",
                )
            for symbol, (a, b) in stated.choices.items():
                if symbol == TARGET:
                    targets = (float(a), float(b))
                domains[symbol] = (float(min(a, b)), float(max(a, b)))
            domains.update(stated.intervals)
        return targets, domains

    def title(self, default: str) -> str:
        match = _HEADING.search(self.text) or _LATEX_TITLE.search(self.text)
        title = printable(match[1].strip()) if match else default
        return title[:MAX_TITLE]


class _Builder:
    """From the equations as read to the model: the chain, the score, the symbols."""

    def __init__(self, reader: _Reader, equations: list[_Equation], parameter: str, line: int):
        self.reader = reader
        self.equations = equations
        self.parameter = parameter
        self.parameter_line = line

    def fail(self, line, message) -> ModelFileError:
        return self.reader.fail(line, message)

    def model(self, name: str, targets, stated_domains) -> Model:
        if not any(_uses_parameter(e.rhs, self.parameter) for e in self.equations):
            raise self.fail(
                self.parameter_line,
                f"the loss does not depend on the parameter {self.parameter}: no stage uses it",
            )
        defined = self.check_definitions()
        equations = [self.with_dot_products(e) for e in self.equations]
        chain = self.chain(equations, defined)
        score = chain[-1]
        self.check_score(score)
        stages = [self.stage(e, e is score, e is chain[0]) for e in reversed(chain)]
        exprs = [s.expr for s in stages]
        domains = {**infer_domains(exprs), **stated_domains}
        if targets is not None and set(targets) <= {0.0, 1.0}:
            domains.setdefault(TARGET, (0.0, 1.0))
        plain = _plain_symbols(stages)
        loss, parameter = plain(sp.Symbol(chain[0].key)), sp.IndexedBase(self.parameter)
        path = tuple(plain(sp.Symbol(e.key)) for e in chain) + (parameter[ENTRY],)
        built = tuple(Stage(plain(s.symbol), plain(s.expr), s.name) for s in stages)
        self.check_rules(built, path, chain)
        stage_names = ", then ".join(s.name for s in stages)
        return Model(
            name=name,
            title=self.reader.title(name),
            summary=f"Declared in the model file {Path(self.reader.source).name}: {stage_names}.",
            stages=built,
            chain=(loss, *path[1:]),
            index_bounds={ENTRY: FEATURES, FEATURE: FEATURES},
            domains={k: v for k, v in sorted(domains.items())},
            targets=targets,
        )

    def check_rules(self, stages: tuple[Stage, ...], path: tuple, chain: list[_Equation]) -> None:
        """Every local derivative of the chain has a differentiation rule (else the engine
        would stop with NoRuleError, without the line)."""
        from derive.calculus import NoRule, differentiate

        for stage, equation, lower in zip(reversed(stages), chain, path[1:], strict=True):
            missing = [
                r
                for r in differentiate(stage.expr, lower, check=False).walk()
                if isinstance(r, NoRule)
            ]
            if missing:
                raise self.fail(
                    equation.line,
                    f"no differentiation rule covers the derivative of {missing[0].expr} "
                    f"by {missing[0].var} (in d{stage.symbol}/d{lower})",
                )

    def check_definitions(self) -> dict[str, _Equation]:
        """Each stage defines a new plain name from names defined above it (no cycle)."""
        defined: dict[str, _Equation] = {}
        for e in self.equations:
            if not isinstance(e.lhs, sp.Symbol) or e.lhs.is_integer:
                raise self.fail(
                    e.line,
                    f"the left side of a stage is one name (z, y, L); {e.source!r} is not "
                    "read yet (vector stages need a multiclass model)",
                )
            if e.key == self.parameter:
                raise self.fail(e.line, f"{e.key} is the parameter and cannot be a stage")
            if e.key in defined:
                raise self.fail(
                    e.line, f"{e.key} is defined twice (first on line {defined[e.key].line})"
                )
            defined[e.key] = e
        for position, e in enumerate(self.equations):
            for used in sorted(_names_used(e.rhs)):
                if used == e.key:
                    raise self.fail(e.line, f"a cycle: {e.key} is defined in terms of itself")
                later = defined.get(used)
                if later is None or self.equations.index(later) < position:
                    continue
                if e.key in self.reaches(later, defined):
                    raise self.fail(
                        e.line,
                        f"a cycle between stages: {e.key} uses {used} (line {later.line}), "
                        f"which uses {e.key}",
                    )
                raise self.fail(
                    e.line, f"{used} is used before it is defined (on line {later.line})"
                )
        for e in self.equations:
            for used in sorted(_names_used(e.rhs) - set(defined) - {self.parameter, TARGET}):
                if not any(
                    _uses_parameter(o.rhs, self.parameter) and used in _names_used(o.rhs)
                    for o in self.equations
                ):
                    raise self.fail(
                        e.line,
                        f"{used} is used but never defined: define it in a display equation "
                        f"above, or it must be the input x of the score or the target {TARGET}",
                    )
        return defined

    def reaches(self, start: _Equation, defined: dict[str, _Equation]) -> set[str]:
        seen: set[str] = set()
        todo = [start]
        while todo:
            e = todo.pop()
            for used in _names_used(e.rhs):
                if used in defined and used not in seen:
                    seen.add(used)
                    todo.append(defined[used])
        return seen

    def with_dot_products(self, e: _Equation) -> _Equation:
        """``w \\cdot x`` (read as a product of two names) is the dot product w^T x; every
        sum over the entries of the parameter runs over the D features, with index j'."""
        w = sp.Symbol(self.parameter, real=True)
        rhs = e.rhs
        if w in real_bare_symbols(rhs):
            rhs = rhs.replace(lambda n: isinstance(n, sp.Mul) and w in n.args, self.dot)
            if w in real_bare_symbols(rhs):
                raise self.fail(
                    e.line,
                    f"the parameter {self.parameter} is a vector: use it in a linear score "
                    f"{self.parameter}^T x (or {self.parameter} \\cdot x)",
                )
        rhs = rhs.replace(lambda n: isinstance(n, sp.Sum), self.feature_sum)
        return _Equation(e.line, e.lhs, rhs, e.source)

    def dot(self, product: sp.Mul) -> sp.Expr:
        w = sp.Symbol(self.parameter, real=True)
        others = [
            a for a in product.args if isinstance(a, sp.Symbol) and a != w and not a.is_integer
        ]
        if len(others) != 1 or product.args.count(w) != 1:
            return product
        (x,) = others
        rest = sp.Mul(*(a for a in product.args if a not in (w, x)))
        entry = sp.IndexedBase(self.parameter, real=True)[FEATURE]
        return rest * sp.Sum(
            entry * sp.IndexedBase(str(x), real=True)[FEATURE], (FEATURE, 1, FEATURES)
        )

    def feature_sum(self, total: sp.Sum) -> sp.Expr:
        if len(total.limits) != 1:
            return total
        index, _, _ = total.limits[0]
        entries = [
            i
            for i in total.function.atoms(sp.Indexed)
            if str(i.base.label) == self.parameter and i.indices[-1] == index
        ]
        if not entries:
            return total
        return sp.Sum(total.function.xreplace({index: FEATURE}), (FEATURE, 1, FEATURES))

    def chain(self, equations: list[_Equation], defined: dict) -> list[_Equation]:
        """The stages from the loss down to the score, each using the one below it only."""
        by_key = {e.key: e for e in equations}
        current = equations[-1]
        chain = [current]
        while not _uses_parameter(current.rhs, self.parameter):
            below = sorted(_names_used(current.rhs) & set(by_key))
            if not below:
                raise self.fail(
                    current.line,
                    f"the loss does not depend on the parameter {self.parameter}"
                    if current is equations[-1]
                    else f"{current.key} does not depend on the parameter {self.parameter}, "
                    "so neither does the loss",
                )
            if len(below) > 1:
                raise self.fail(
                    current.line,
                    f"{current.key} uses {' and '.join(below)}: the stages of a model file form "
                    "one chain, each using the stage before it",
                )
            current = by_key[below[0]]
            chain.append(current)
        if _names_used(current.rhs) & set(by_key):
            raise self.fail(
                current.line,
                f"the score {current.key} uses the parameter and another stage: the parameter "
                "enters through a linear score such as z = w^T x",
            )
        for e in equations:
            if e not in chain:
                raise self.fail(e.line, f"the loss does not use {e.key}")
        return chain

    def check_score(self, score: _Equation) -> None:
        rhs = score.rhs
        ok = (
            isinstance(rhs, sp.Sum)
            and rhs.limits == ((FEATURE, 1, FEATURES),)
            and isinstance(rhs.function, sp.Mul)
            and len(rhs.function.args) == 2
            and all(
                isinstance(a, sp.Indexed) and a.indices == (FEATURE,) for a in rhs.function.args
            )
        )
        if not ok:
            raise self.fail(
                score.line,
                f"the score {score.key} must be linear in the parameter: "
                f"{score.key} = {self.parameter}^T x (or {self.parameter} \\cdot x, "
                f"\\sum_j {self.parameter}_j x_j)",
            )

    def stage(self, e: _Equation, is_score: bool, is_loss: bool) -> Stage:
        if is_loss:
            name = "the loss"
        elif is_score:
            name = "linear score"
        else:
            func = getattr(e.rhs, "func", None)
            name = _ACTIVATIONS.get(getattr(func, "__name__", ""), f"stage {e.key}")
        return Stage(e.lhs, e.rhs, name)


def _name(expr: sp.Expr) -> str:
    return str(expr.base.label) if isinstance(expr, sp.Indexed) else str(expr)


def _names_used(expr: sp.Expr) -> set[str]:
    return {str(s) for s in real_bare_symbols(expr)} | family_names(expr)


def _uses_parameter(expr: sp.Expr, parameter: str) -> bool:
    return parameter in _names_used(expr)


def _plain_symbols(stages: list[Stage]):
    """The parser's symbols (real=True, integer=True) as the built-in models write them."""
    table: dict[sp.Basic, sp.Basic] = {}
    for stage in stages:
        for expr in (stage.symbol, stage.expr):
            for s in expr.free_symbols | expr.atoms(sp.Symbol):
                if isinstance(s, sp.Symbol) and s not in (FEATURE, FEATURES, ENTRY):
                    table[s] = (
                        sp.Symbol(s.name, integer=True, positive=True)
                        if s.is_integer
                        else sp.Symbol(s.name)
                    )
            for base in expr.atoms(sp.IndexedBase):
                table[base] = sp.IndexedBase(str(base.label))

    def plain(expr: sp.Expr) -> sp.Expr:
        return expr.xreplace(table)

    return plain
