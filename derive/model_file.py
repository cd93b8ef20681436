"""Read a model file (Markdown or LaTeX) into a :class:`~derive.model.Model`.

A model file declares a model the way a course writes it::

    # Tanh regression
    $$z = w^T x$$
    $$y = \\tanh(z)$$
    $$L = \\frac{1}{2}(y - t)^2$$
    Parameter: $w$

The display equations, in order, are the stages; the last one defines the per-example loss.
The line ``Parameter: $w$`` names the parameter, lines such as ``Assume: $t \\in \\{0, 1\\}$``
or ``Assume: $t$ is one-hot`` state what the target takes, and a heading gives the title.
This module finds those pieces and reads every formula with the parser of ``derive check``
(:mod:`derive.checking`), so nothing the file says is evaluated;
:mod:`derive.model_stages` turns the equations into the model. Every problem is a
:class:`~derive.model_stages.ModelFileError` whose message starts with ``file:line:``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import sympy as sp

from derive.checking.chains import DEFINES, EQUALS, chains
from derive.checking.extract import Fragment, LineIndex, extract, is_latex
from derive.checking.lexer import tokenize
from derive.checking.parser import ParseError, parse_tokens
from derive.checking.sampling import stated_domains
from derive.checking.vocabulary import learn_vocabulary
from derive.model import Model
from derive.model_constants import read_range
from derive.model_stages import TARGET, Assumptions, Equation, ModelFileError, build_model
from derive.safe_text import printable

__all__ = ["ModelFileError", "load_model", "read_model"]

MAX_TITLE = 120
_DIRECTIVE = re.compile(
    r"^[ \t>*_-]*(parameter|assume|penalty|regulari[sz](?:er|ation))s?[*_]*\s*:",
    re.IGNORECASE | re.MULTILINE,
)
_L1_NORM = re.compile(r"\\(?:\||[lr]?Vert)\s*(?:\\right\s*\\\|)?\s*_\s*\{?\s*1")
_HEADING = re.compile(r"^ {0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
_LATEX_TITLE = re.compile(r"\\(?:title|section\*?)\{([^{}\n]+)\}")
_ONE_HOT = re.compile(r"\bone[- ]hot\b", re.IGNORECASE)
_SYNTAX_ERRORS = (ValueError, TypeError, AttributeError, IndexError, KeyError)


def _names_in(fragment: Fragment) -> list[tuple]:
    """The tokens of each name in ``$w$`` or ``$w, b$`` (split at the commas)."""
    pieces: list[list] = [[]]
    for token in tokenize(fragment.text, fragment.offset):
        if token.is_char(","):
            pieces.append([])
        else:
            pieces[-1].append(token)
    return [tuple(piece) for piece in pieces]


def load_model(path: str | os.PathLike[str]) -> Model:
    """The model a Markdown or LaTeX model file declares (ModelFileError naming the line)."""
    from derive.checking import read_text

    return read_model(read_text(path), source=str(path), name=Path(path).stem)


def read_model(text: str, *, source: str = "<model>", name: str = "model") -> Model:
    """The model declared by the text of a model file; ``source`` names it in errors."""
    return _Reader(text, source).model(name)


class _Reader:
    """The pieces of one model file: its stages, parameter, assumptions and title."""

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

    def model(self, name: str) -> Model:
        displays = [f for f in self.fragments if f.block]
        if not displays:
            raise self.fail(
                None, "no display equations: a model file gives its stages as $$z = w^T x$$ ..."
            )
        pairs = [self.equation_pieces(f) for f in displays]
        parameter_at, assume_lines, penalty_at = self.directives()
        tokens = [p.tokens for pair in pairs for p in pair]
        if parameter_at is not None:
            tokens.extend(parameter_at[1])
        if penalty_at is not None:
            tokens.append(penalty_at[1])
        vocabulary = learn_vocabulary(tokens, [pair[0].tokens for pair in pairs], self.text)
        equations = [
            Equation(
                self.lines.line(left.offset),
                self.parse(left, vocabulary),
                self.parse(right, vocabulary),
            )
            for left, right in pairs
        ]
        if parameter_at is None:
            raise self.fail(
                equations[-1].line, "no parameter: add a line such as `Parameter: $w$` below it"
            )
        line, found = parameter_at
        names = [self.parameter_name(piece, vocabulary, line) for piece in found]
        if len(set(names)) != len(names):
            raise self.fail(line, "a parameter is named twice")
        return build_model(
            equations,
            names,
            line,
            self.assumptions(assume_lines),
            vocabulary,
            penalty=None if penalty_at is None else self.penalty(penalty_at, vocabulary),
            fail=self.fail,
            name=name,
            title=self.title(name),
            summary=f"Declared in the model file {Path(self.source).name}",
        )

    def equation_pieces(self, fragment: Fragment):
        found, _ = chains(fragment.text, fragment.offset, self.text)
        single = len(found) == 1 and len(found[0].pieces) == 2
        if not single or found[0].relations[0] not in (EQUALS, DEFINES):
            raise self.fail(
                self.lines.line(fragment.offset), "a stage is one equation `name = formula`"
            )
        return found[0].pieces

    def parse(self, piece, vocabulary) -> sp.Expr:
        try:
            return parse_tokens(list(piece.tokens), vocabulary)
        except ParseError as error:
            reason = str(error)
        except _SYNTAX_ERRORS as error:  # SymPy refused to build something
            reason = f"not understood ({type(error).__name__})"
        raise self.fail(
            self.lines.line(piece.offset), f"cannot read the formula `{piece.source}`: {reason}"
        )

    def parameter_name(self, tokens, vocabulary, line: int) -> str:
        try:
            expr = parse_tokens(list(tokens), vocabulary)
        except (ParseError, *_SYNTAX_ERRORS):
            expr = None
        if not isinstance(expr, sp.Symbol) or expr.is_integer:
            raise self.fail(
                line, "a parameter is one name, such as `Parameter: $w$` (or `$w$, $b$`)"
            )
        return str(expr)

    def penalty(self, found, vocabulary) -> tuple[int, sp.Expr]:
        """The line and formula of the ``Penalty:`` (or ``Regularizer:``) line."""
        line, tokens, text = found
        if _L1_NORM.search(text):
            raise self.fail(
                line,
                "an L1 penalty is not read: its gradient is not a multiple of the parameter "
                "(penalties such as `\\frac{\\lambda}{2} \\|w\\|^2` are)",
            )
        try:
            return line, parse_tokens(list(tokens), vocabulary)
        except ParseError as error:
            reason = str(error)
        except _SYNTAX_ERRORS as error:
            reason = f"not understood ({type(error).__name__})"
        raise self.fail(line, f"cannot read the penalty `{printable(text)}`: {reason}")

    def directives(self):
        """The ``Parameter:`` line (its number and the tokens of its math, or None), the
        ``Assume:`` lines (number, math, the words after the math) and the ``Penalty:`` line
        (number, tokens, math; or None)."""
        parameter = None
        penalty = None
        assume = []
        for match in _DIRECTIVE.finditer(self.text):
            line = self.lines.line(match.start())
            end = self.text.find("\n", match.end())
            end = len(self.text) if end < 0 else end
            inline = [f for f in self.fragments if match.end() <= f.offset < end and not f.block]
            kind = match[1].lower()
            if not inline:
                continue  # in a code block or a comment, or not in math: not a directive
            if kind == "parameter":
                if parameter is not None:
                    raise self.fail(line, "a model file has one `Parameter:` line")
                parameter = (line, [piece for f in inline for piece in _names_in(f)])
            elif kind != "assume":
                if penalty is not None or len(inline) > 1:
                    raise self.fail(line, "a model file has one penalty, one formula")
                found = (line, tuple(tokenize(inline[0].text, inline[0].offset)), inline[0].text)
                penalty = found
            else:
                words = self.text[inline[0].offset + len(inline[0].text) + 1 : end]
                assume.append((line, inline[0].text, words))
        return parameter, assume, penalty

    def assumptions(self, lines) -> Assumptions:
        """The target values, one-hot targets and sampling domains that ``Assume:`` lines state."""
        targets = None
        one_hot = None
        domains: dict[str, tuple[float, float]] = {}
        ranges = {}
        for line, math, words in lines:
            if _ONE_HOT.search(words):
                name = math.strip().lstrip("\\").strip("{}")
                one_hot = (name, line)
                continue
            stated = stated_domains([math])
            ranged = read_range(math)
            if not stated.choices and not stated.intervals and ranged is None:
                raise self.fail(
                    line,
                    "cannot read the assumption: write `Assume: $t \\in \\{0, 1\\}$`, "
                    "`$t \\in \\{-1, 1\\}$`, `$t \\in (0, 1)$`, `$t$ is one-hot` or, for a "
                    "constant, `$\\delta > 0$`",
                )
            for symbol, (a, b) in stated.choices.items():
                if symbol == TARGET:
                    targets = (float(a), float(b))
                domains[symbol] = (float(min(a, b)), float(max(a, b)))
            domains.update(stated.intervals)
            if ranged is not None:
                name, allowed = ranged
                ranges[name] = allowed
                if name not in stated.intervals and name not in stated.choices:
                    domains[name] = allowed.sampled()
        return Assumptions(targets, domains, one_hot, ranges)

    def title(self, default: str) -> str:
        match = _HEADING.search(self.text) or _LATEX_TITLE.search(self.text)
        return (printable(match[1].strip()) if match else default)[:MAX_TITLE]
