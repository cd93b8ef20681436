"""Read one side of an equation, written in LaTeX, into a SymPy expression (recursive descent).

The user's text is never evaluated: every SymPy object is built directly from tokens.
Grammar, loosest binding first::

    expression := term (("+" | "-") term)*
    term       := signed (("\\cdot" | "\\times" | "*" | "/") signed | factor)*
                  (juxtaposition multiplies)
    signed     := ("-" | "+") signed | factor
    factor     := primary ("^" script)*
    primary    := number | name | group | \\frac | \\sqrt | \\sum | \\prod | function | |x| | ...

What a letter means (index, size, variable, family member) is decided by
:mod:`derive.checking.symbols`. Derivatives (``\\frac{\\partial f}{\\partial x}``,
``\\frac{d}{dx} f``) become unevaluated ``sympy.Derivative`` objects. Anything not understood
raises :class:`ParseError` with a short reason; huge powers and deep nesting are refused.
To support a new function, add it to ``symbols.FUNCTIONS``.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from derive.checking.build import (
    MAX_ORDER,
    ParseError,
    apply_function,
    derivative,
    dot,
    norm,
    number,
    power,
    softmax_entry,
)
from derive.checking.lexer import Token, argument_names, index_names, split_at, split_at_equals
from derive.checking.normalize import clean
from derive.checking.symbols import (
    DEFAULT_SIZE,
    ELIDED_INDEX,
    FUNCTIONS,
    GREEK,
    SYMBOL_OR_FUNCTION,
    VARIADIC,
    Vocabulary,
    family,
    index_symbol,
    plain_symbol,
)
from derive.functions import example

__all__ = ["ParseError", "parse_tokens"]

MAX_DEPTH = 40
MAX_TOKENS = 4000

FONTS = frozenset(
    r"\mathcal \mathbf \boldsymbol \bm \mathit \mathsf \mathbb \mathscr \mathfrak \vec".split()
)
ACCENTS = frozenset(r"\hat \bar \tilde \widehat \widetilde \overline \dot \ddot".split())
MULTIPLY = frozenset({r"\cdot", r"\times", "*"})
DIVIDE = frozenset({"/", r"\div"})
ELLIPSES = frozenset(r"\dots \cdots \ldots \vdots \ddots \dotsb \dotsc".split())
NOT_A_FACTOR = frozenset(
    r"\right \cdot \times \div \\ \end \begin \Rightarrow \rightarrow \leftarrow \to \gets "
    r"\implies \iff \leq \geq \le \ge \neq \ne \approx \equiv \propto \sim \coloneqq".split()
) | {"&"}
OPEN = {"(": ")", "[": "]"}
OPENING = {")": "(", "]": "["}
INDICATOR_FONTS = frozenset(r"\mathbb \mathbf \mathds \mathbbm \boldsymbol \bm".split())
CONDITIONS = {
    "=": "=",
    r"\neq": "!=",
    r"\ne": "!=",
    "<": "<",
    ">": ">",
    r"\le": "<=",
    r"\leq": "<=",
    r"\ge": ">=",
    r"\geq": ">=",
}


@dataclass(frozen=True)
class _Transposed:
    """``w^T``: waits for the factor it multiplies, to form the dot product."""

    name: str
    row: sp.Expr | None = None  # w_k^T: row k of the matrix w


@dataclass(frozen=True)
class _DerivativeOperator:
    """``\\frac{\\partial}{\\partial x}``: waits for the expression it applies to."""

    variables: tuple[tuple[sp.Expr, int], ...]


def parse_tokens(tokens: list[Token], vocabulary: Vocabulary) -> sp.Expr:
    """Parse a whole token list as one expression (raises ParseError)."""
    if len(tokens) > MAX_TOKENS:
        raise ParseError(f"an expression longer than {MAX_TOKENS} tokens")
    try:
        value = _Parser(clean(tokens), vocabulary, 0).parse()
    except RecursionError:
        raise ParseError("too deeply nested") from None
    if value.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        raise ParseError("a division by zero")
    return value


class _Parser:
    def __init__(self, tokens: list[Token], vocabulary: Vocabulary, depth: int) -> None:
        self.tokens = tokens
        self.pos = 0
        self.vocab = vocabulary
        self.depth = depth
        self.in_abs = 0

    # --- token access -----------------------------------------------------------------

    def peek(self, ahead: int = 0) -> Token | None:
        i = self.pos + ahead
        return self.tokens[i] if i < len(self.tokens) else None

    def next(self) -> Token:
        tok = self.peek()
        if tok is None:
            raise ParseError("the expression ends too early")
        self.pos += 1
        return tok

    def at(self, *texts: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.kind in ("char", "command") and tok.text in texts

    def expect(self, text: str) -> None:
        tok = self.peek()
        if tok is None or tok.text != text:
            found = "the end" if tok is None else repr(tok.text)
            raise ParseError(f"expected {text!r}, found {found}")
        self.pos += 1

    def group_tokens(self) -> list[Token]:
        """The tokens inside {...} at the current position (an unclosed group runs to the end)."""
        self.expect("{")
        start, level = self.pos, 1
        while self.pos < len(self.tokens):
            t = self.tokens[self.pos]
            if t.is_char("{"):
                level += 1
            elif t.is_char("}"):
                level -= 1
                if level == 0:
                    self.pos += 1
                    return self.tokens[start : self.pos - 1]
            self.pos += 1
        return self.tokens[start:]

    def argument_tokens(self) -> list[Token]:
        """A TeX argument: a {group}, or a single token (one digit of a number)."""
        tok = self.peek()
        if tok is None:
            raise ParseError("a command is missing its argument")
        if tok.is_char("{"):
            return self.group_tokens()
        if tok.kind == "number" and len(tok.text) > 1:
            self.tokens[self.pos] = Token("number", tok.text[1:], tok.offset + 1)
            return [Token("number", tok.text[0], tok.offset)]
        self.pos += 1
        return [tok]

    def sub(self, tokens: list[Token]) -> sp.Expr:
        if not tokens:
            raise ParseError("an empty group")
        return _Parser(tokens, self.vocab, self.depth + 1).parse()

    # --- grammar ----------------------------------------------------------------------

    def parse(self) -> sp.Expr:
        if self.depth > MAX_DEPTH:
            raise ParseError("too deeply nested")
        if not self.tokens:
            raise ParseError("an empty expression")
        value = self.expression()
        if self.pos < len(self.tokens):
            raise ParseError(f"unexpected {self.tokens[self.pos].text!r}")
        return value

    def expression(self) -> sp.Expr:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ParseError("too deeply nested")
        terms: list[tuple[int, sp.Expr | None]] = [(1, self.term_or_dots())]
        while self.at("+", "-"):
            op = self.next().text
            terms.append((1 if op == "+" else -1, self.term_or_dots()))
        self.depth -= 1
        if any(term is None for _, term in terms):
            return elided_sum(terms, self.vocab)
        return sp.Add(*(sign * term for sign, term in terms))

    def term_or_dots(self) -> sp.Expr | None:
        """A term, or None for elided terms (``\\dots`` between two + signs)."""
        tok = self.peek()
        if tok is not None and tok.kind == "command" and tok.text in ELLIPSES:
            after = self.peek(1)
            if after is None or after.is_char("+", "-", ")", "]"):
                self.pos += 1
                return None
        return self.term()

    def term(self) -> sp.Expr:
        value = self.signed()
        while True:
            tok = self.peek()
            if tok is None:
                break
            if tok.text in MULTIPLY and tok.kind in ("char", "command"):
                self.pos += 1
                value = value * self.signed()
            elif tok.text in DIVIDE and tok.kind in ("char", "command"):
                self.pos += 1
                value = value / self.signed()
            elif self.starts_factor(tok):
                value = value * self.full_factor()
            else:
                break
        return value

    def signed(self) -> sp.Expr:
        if self.at("-"):
            self.pos += 1
            return -self.signed()
        if self.at("+"):
            self.pos += 1
            return self.signed()
        return self.full_factor()

    def starts_factor(self, tok: Token) -> bool:
        if tok.kind in ("letter", "number"):
            return True
        if tok.kind == "command":
            return tok.text not in NOT_A_FACTOR
        if tok.kind == "char":
            return tok.text in "([{" or (tok.text == "|" and not self.in_abs)
        return False

    def full_factor(self) -> sp.Expr:
        """A factor, completed: w^T takes the next factor (dot product), d/dx its operand."""
        value = self.factor()
        if isinstance(value, _Transposed):
            if self.at(*MULTIPLY):
                self.pos += 1
            tok = self.peek()
            if tok is None or not self.starts_factor(tok):
                raise ParseError(f"{value.name}^T is not multiplied by anything")
            right = self.factor()
            if isinstance(right, sp.Symbol) and len(str(right)) == 1 and str(right).isupper():
                raise ParseError(f"a matrix product ({value.name}^T {right} ...) is not understood")
            return dot(value.name, right, value.row, self.vocab.size(DEFAULT_SIZE))
        if isinstance(value, _DerivativeOperator):
            tok = self.peek()
            if tok is None or not self.starts_factor(tok):
                raise ParseError("a derivative operator with nothing to differentiate")
            return derivative(self.implicit_run(), value.variables)
        return value

    def implicit_run(self) -> sp.Expr:
        value = self.full_factor()
        while (tok := self.peek()) is not None and self.starts_factor(tok):
            value = value * self.full_factor()
        return value

    def factor(self) -> sp.Expr | _Transposed | _DerivativeOperator:
        value = self.primary()
        while self.at("^") and isinstance(value, sp.Expr):
            self.pos += 1
            script = self.argument_tokens()
            if [t.text if t.kind == "char" else t.kind for t in script] == ["(", "letter", ")"]:
                raise ParseError("a per-example mark ^{(i)} on an expression")
            value = power(value, self.sub(script))
        if self.at("_") and isinstance(value, sp.Expr):
            raise ParseError("a subscript on an expression")
        return value

    def primary(self) -> sp.Expr | _Transposed | _DerivativeOperator:
        tok = self.next()
        if tok.kind == "number":
            return number(tok.text)
        if tok.kind == "letter":
            return self.name(tok.text)
        if tok.kind == "char":
            if tok.text in OPEN:
                return self.delimited(OPEN[tok.text])
            if tok.text == "{":
                self.pos -= 1
                return self.sub(self.group_tokens())
            if tok.text == "|":
                self.in_abs += 1
                value = self.expression()
                self.expect("|")
                self.in_abs -= 1
                return sp.Abs(value)
            raise ParseError(f"unexpected {tok.text!r}")
        if tok.kind == "command":
            return self.command(tok)
        raise ParseError(f"unexpected character {tok.text!r}")

    def delimited(self, close: str) -> sp.Expr:
        if close == "]" and self.at("["):  # [[k = y_i]] (written [\![ ... ]\!])
            self.pos += 1
            value = self.condition(self.until("]"))
            self.expect("]")
            return value
        if close == "]" and _has_relation(self.until_matching("[", "]")):
            return self.condition(self.until("]"))  # an Iverson bracket [k = y_i]
        value = self.expression()
        if self.at(","):
            raise ParseError("a list where an expression was expected")
        self.expect(close)
        return value

    def softmax(self) -> sp.Expr:
        """softmax(z)_k is e^{z_k} / sum_j e^{z_j}; softmax(z) alone is the whole vector, kept
        as softmax(z) (a definition y = softmax(z) defines every y_k)."""
        self.expect("(")
        tok = self.next()
        if tok.kind != "letter" and not (tok.kind == "command" and tok.text[1:] in GREEK):
            raise ParseError("softmax of something other than a vector name")
        self.expect(")")
        vector = tok.text.lstrip("\\")
        if not self.at("_"):
            return sp.Function("softmax", real=True)(plain_symbol(vector))
        self.pos += 1
        index = _index_of(self.argument_tokens())
        if index is None:
            raise ParseError("the entry of a softmax is not understood")
        return softmax_entry(family(vector), index, self.vocab.size(DEFAULT_SIZE))

    # --- indicators -------------------------------------------------------------------

    def until(self, close: str) -> list[Token]:
        """The tokens up to the matching ``close`` at this level, which is consumed."""
        inner = self.until_matching(OPENING[close], close)
        self.pos += len(inner)
        self.expect(close)
        return inner

    def until_matching(self, opening: str, close: str) -> list[Token]:
        level = 0
        for i in range(self.pos, len(self.tokens)):
            t = self.tokens[i]
            if t.is_char(opening, "{"):
                level += 1
            elif t.is_char(close, "}"):
                if level == 0:
                    return self.tokens[self.pos : i]
                level -= 1
        raise ParseError(f"{opening} without its {close}")

    def indicator(self) -> sp.Expr:
        """1(k = y_i), 1{x > 0}, 1_{k = y_i}: the indicator of a condition."""
        if self.at("_"):
            self.pos += 1
            return self.condition(self.argument_tokens())
        if self.at("(", "["):
            close = ")" if self.next().text == "(" else "]"
            return self.condition(self.until(close))
        raise ParseError("an indicator without its condition")

    def condition(self, tokens: list[Token]) -> sp.Expr:
        """1 where the condition holds, 0 elsewhere: k = j is delta_kj, x > 0 a step."""
        parts = split_at(tokens, lambda t: t.text in CONDITIONS and t.kind in ("char", "command"))
        relations = [t.text for t in tokens if t.text in CONDITIONS and t.kind != "letter"]
        if len(parts) != 2 or len(relations) != 1:
            raise ParseError("an indicator whose condition is not one comparison")
        a, b = self.sub(parts[0]), self.sub(parts[1])
        relation = CONDITIONS[relations[0]]
        if relation in ("=", "!="):
            if not (a.is_integer and b.is_integer):
                raise ParseError("an indicator of an equality between real numbers")
            delta = sp.KroneckerDelta(a, b)
            return delta if relation == "=" else 1 - delta
        if relation in (">", ">="):
            return sp.Heaviside(a - b, 0 if relation == ">" else 1)
        return sp.Heaviside(b - a, 0 if relation == "<" else 1)

    # --- commands ---------------------------------------------------------------------

    def command(self, tok: Token) -> sp.Expr | _Transposed | _DerivativeOperator:
        name = tok.text[1:]
        if tok.text == r"\frac":
            return self.fraction()
        if tok.text == r"\sqrt":
            return self.square_root()
        if tok.text == r"\left":
            return self.left_right()
        if tok.text in (r"\sum", r"\prod"):
            return self.big_operator(sp.Sum if tok.text == r"\sum" else sp.Product)
        if tok.text == r"\|":
            value = self.name_only()
            self.expect(r"\|")
            if self.at("_"):
                self.pos += 1
                self.argument_tokens()
            return norm(value, self.vocab.size(DEFAULT_SIZE))
        if name in SYMBOL_OR_FUNCTION:
            return self.function(name) if self.applied() else self.name(name)
        if name in FUNCTIONS:
            return self.function(name)
        if tok.text in (r"\operatorname", r"\mathrm") and self.at("{"):
            word = "".join(t.text for t in self.group_tokens())
            if word.lower() in FUNCTIONS:
                return self.function(word.lower())
            if word == "softmax" and word not in self.vocab.function_like:
                return self.softmax()
            if word.isalpha() and (word in self.vocab.function_like or not self.at("(")):
                return self.name(word)
            if word.isalpha():  # \operatorname marks a function: never a product
                raise ParseError(f"unknown function {word!r} (not defined above)")
            raise ParseError(f"unknown function {word!r}")
        if name == "delta" and self.at("_"):
            return self.kronecker_delta()
        if name == "pi":
            return sp.pi
        if name in GREEK:
            return self.name(name)
        if tok.text in INDICATOR_FONTS and self.at("{") and _is_one(self.peek(1), self.peek(2)):
            self.pos += 3
            return self.indicator()
        if tok.text == r"\mathbb":
            raise ParseError(r"\mathbb (an expectation or a set?) is not understood")
        if tok.text in FONTS and self.at("{"):
            return self.name(self.letter_in_group())
        if tok.text in ACCENTS and self.at("{"):
            inner = self.letter_in_group()
            return self.name(f"{tok.text}{{{inner}}}")
        if tok.text in ACCENTS and self.peek() is not None and self.peek().kind == "letter":
            return self.name(f"{tok.text}{{{self.next().text}}}")  # \hat y is \hat{y}
        if tok.text in ELLIPSES:
            raise ParseError(f"elided terms ({tok.text}) are not understood")
        if tok.text in (r"\partial", r"\nabla") and self.at("_"):
            self.pos += 1  # \partial_x u, \nabla_w L: the derivative by x, by w
            return _DerivativeOperator(self.variables([self.argument_tokens()]))
        if tok.text == r"\partial":
            raise ParseError(r"\partial outside a derivative fraction")
        if tok.text == r"\infty":
            raise ParseError(r"\infty is not understood")
        raise ParseError(f"unknown command {tok.text}")

    def letter_in_group(self) -> str:
        inner = self.group_tokens()
        if len(inner) == 1 and inner[0].kind == "letter":
            return inner[0].text
        if len(inner) == 1 and inner[0].kind == "command" and inner[0].text[1:] in GREEK:
            return inner[0].text[1:]
        raise ParseError("a font command around something other than one letter")

    def applied(self) -> bool:
        """Whether a name like \\sigma is followed by its argument: (, \\left, ' or ^...(."""
        ahead = 0
        while (tok := self.peek(ahead)) is not None and tok.is_char("'"):
            ahead += 1
        tok = self.peek(ahead)
        return tok is not None and (tok.is_char("(", "[") or tok.is_command(r"\left"))

    def name_only(self) -> sp.Expr:
        tok = self.next()
        if tok.kind == "letter":
            value = self.name(tok.text)
        elif tok.kind == "command" and tok.text in FONTS and self.at("{"):
            value = self.name(self.letter_in_group())
        elif tok.kind == "command" and tok.text[1:] in GREEK:
            value = self.name(tok.text[1:])
        else:
            raise ParseError("a norm of something other than a vector name")
        if not isinstance(value, sp.Symbol):
            raise ParseError("a norm of something other than a vector name")
        return value

    # --- names: letters with subscripts and superscripts ------------------------------

    def name(self, base: str) -> sp.Expr | _Transposed:
        """A letter with its primes, subscript and superscript: y', z_k, x_j^{(i)}, w^T, e^{...}."""
        sub = sup = None
        primes = 0
        while True:
            if self.at("_") and sub is None:
                self.pos += 1
                sub = self.argument_tokens()
            elif self.at("^") and sup is None:
                self.pos += 1
                sup = self.argument_tokens()
            elif self.at("'") or self.peek() is not None and self.peek().is_command(r"\prime"):
                self.pos += 1
                primes += 1
            else:
                break
        if primes > MAX_ORDER:
            raise ParseError(f"a derivative of order {primes}")
        if primes and base in self.vocab.function_like and self.at("("):
            if self.argument_list(base):
                arguments = self.vocab.function_like[base]
                if len(arguments) != 1:
                    raise ParseError(f"{base}' of a function of several arguments")
                name = plain_symbol(base)
                return sp.Derivative(name, (self.vocab.symbol(arguments[0]), primes))
            return self.application(base + "'" * primes)
        if base == "e" and sub is None and self.vocab.euler:
            return sp.exp(self.sub(sup)) if sup is not None else sp.E
        base += "'" * primes
        named = f"{base}_{sub[0].text}" if sub is not None and len(sub) == 1 else ""
        if named.rstrip("'") in self.vocab.function_like and sup is None and self.at("("):
            return self.check_application(named)  # f_w(x): a function named with a subscript
        value = self.subscripted(base, sub)
        if sup is not None:
            value = self.superscripted(base, value, sup, plain=sub is None)
        if isinstance(value, sp.Symbol) and self.at("("):
            return self.check_application(str(value))
        return value

    def check_application(self, name: str) -> sp.Expr:
        """After ``name(``: skip an argument list, apply a defined function, refuse the unknown.

        ``y(1-y)`` is a product; ``L(y, t)`` is L with its arguments; ``g(\\theta^T x)`` for g
        defined as g(z) is g applied (an undefined function g(...) that the reader expands by
        the definition); ``f(x)`` for an f never defined reads as an unknown function.
        """
        symbol = plain_symbol(name)
        if self.argument_list(name):
            return symbol
        if name.rstrip("'") in self.vocab.function_like:
            return self.application(name)
        if _single_name(self.tokens[self.pos + 1 : self.pos + 5]):
            raise ParseError(
                f"{name}(...) reads as an unknown function (for a product write "
                f"{name} \\cdot (...))"
            )
        return symbol

    def application(self, name: str) -> sp.Expr:
        """g(u) for a function defined as g(z) = ...: kept as g(u) until the reader expands it."""
        arguments = self.vocab.function_like[name.rstrip("'")]
        self.expect("(")
        args = [self.expression()]
        while self.at(","):
            self.pos += 1
            args.append(self.expression())
        self.expect(")")
        if len(args) != len(arguments):
            raise ParseError(
                f"{name} applied to {len(args)} arguments, defined with {len(arguments)}"
            )
        return sp.Function(name, real=True)(*args)

    def subscripted(self, base: str, sub: list[Token] | None) -> sp.Expr:
        """z_k (family member), x_1, L_{CE} (a longer name), or plain y."""
        if sub is None:
            return self.vocab.symbol(base)
        if (
            len(sub) == 1
            and sub[0].kind == "letter"
            and self.vocab.is_index(f"{base}_{sub[0].text}")
        ):
            return index_symbol(f"{base}_{sub[0].text}")  # y_i, the class of example i
        names = index_names(sub)
        if names is not None and len(names) == 2 and all(map(self.vocab.is_index, names)):
            return family(base)[index_symbol(names[0]), index_symbol(names[1])]  # x_{nj}
        index = _index_of(sub)
        if index is None and _label_index(sub) and self.vocab.is_index(_label_index(sub)):
            index = index_symbol(_label_index(sub))
        if index is not None:
            return family(base)[index]
        if all(t.kind == "letter" or _is_greek([t]) for t in sub) or _text_group(sub):
            suffix = "".join(
                t.text.lstrip("\\") for t in sub if t.kind in ("letter", "number", "command")
            )
            if sub[0].kind == "command" and _text_group(sub):
                suffix = "".join(t.text for t in sub[2:-1])
            return plain_symbol(f"{base}_{suffix}")
        raise ParseError(f"the subscript of {base} is not understood")

    def superscripted(
        self, base: str, value: sp.Expr, sup: list[Token], plain: bool
    ) -> sp.Expr | _Transposed:
        texts = [t.text for t in sup]
        if texts in (["T"], [r"\top"], [r"\intercal"]) or texts[:1] == [r"\mathsf"]:
            if plain and len(base) == 1 and base.isupper():
                # X^T v is a vector (a matrix product), not the number sum_i X_i v_i
                raise ParseError(f"a matrix product ({base}^T ...) is not understood")
            if plain:
                return _Transposed(base)
            if isinstance(value, sp.Indexed) and len(value.indices) == 1:
                return _Transposed(base, value.indices[0])
            raise ParseError("a transpose of a family member")
        if len(sup) == 3 and texts[0] == "(" and sup[1].kind == "letter" and texts[2] == ")":
            return example(value, index_symbol(sup[1].text))
        if texts in (["'"], [r"\prime"]) and plain:
            return plain_symbol(f"{base}'")
        return power(value, self.sub(sup))

    def argument_list(self, name: str) -> bool:
        """Skip ``(y, t)`` after a name defined with that argument list: L(y, t) is just L."""
        level, end = 0, None
        for i in range(self.pos, len(self.tokens)):
            t = self.tokens[i]
            if t.is_char("(", "[", "{"):
                level += 1
            elif t.is_char(")", "]", "}"):
                level -= 1
                if level == 0:
                    end = i
                    break
        if end is None:
            return False
        names = argument_names(self.tokens[self.pos + 1 : end])
        known = self.vocab.function_like.get(name)
        if names is None or not (len(names) >= 2 or known == tuple(names)):
            return False
        self.pos = end + 1
        return True

    def kronecker_delta(self) -> sp.Expr:
        self.expect("_")
        sub = [t for t in self.argument_tokens() if not t.is_char(",")]
        names = index_names(sub)
        if names is not None and len(names) == 2:
            return sp.KroneckerDelta(index_symbol(names[0]), index_symbol(names[1]))
        index = _index_of(sub)
        if index is None:
            raise ParseError(r"the subscript of \delta is not understood")
        return family("delta")[index]

    # --- fractions and derivatives ----------------------------------------------------

    def fraction(self) -> sp.Expr | _DerivativeOperator:
        numerator = self.argument_tokens()
        denominator = self.argument_tokens()
        derivative = self.derivative(numerator, denominator)
        if derivative is not None:
            return derivative
        return self.sub(numerator) / self.sub(denominator)

    def derivative(
        self, num: list[Token], den: list[Token]
    ) -> sp.Expr | _DerivativeOperator | None:
        if num and num[0].is_command(r"\partial"):
            if not den or not den[0].is_command(r"\partial"):
                raise ParseError(r"a derivative whose denominator has no \partial")
            order, rest = self.order(num[1:])
            variables = self.variables(split_at(den, lambda t: t.is_command(r"\partial")))
        elif (
            num
            and _is_d(num[0])
            and len(den) > 1
            and _is_d(den[0])
            and not den[1].is_char("_", "^", "'")
            and not (len(num) > 1 and num[1].is_char("_"))
        ):
            order, rest = self.order(num[1:])
            variables = self.variables([den[1:]])
        else:
            return None
        if order != sum(n for _, n in variables):
            raise ParseError("the orders of the derivative do not match")
        if not rest:
            return _DerivativeOperator(variables)
        named = rest[0].text[1:] if len(rest) == 1 and rest[0].kind == "command" else ""
        if named in SYMBOL_OR_FUNCTION and len(variables) == 1 and variables[0][1] == 1:
            variable = variables[0][0]  # d\sigma/dz: the derivative of \sigma(z)
            if isinstance(variable, sp.Symbol):
                return derivative(apply_function(named, [variable], 0), variables)
        return derivative(self.sub(rest), variables)

    def order(self, tokens: list[Token]) -> tuple[int, list[Token]]:
        """The order written after d or \\partial in a numerator, and what follows it."""
        if tokens and tokens[0].is_char("^"):
            inner = _Parser(tokens[1:], self.vocab, self.depth + 1)
            exponent = inner.argument_tokens()
            if len(exponent) != 1 or exponent[0].kind != "number":
                raise ParseError("the order of a derivative is not a number")
            if int(exponent[0].text) > MAX_ORDER:
                raise ParseError(f"a derivative of order {exponent[0].text}")
            return int(exponent[0].text), inner.tokens[inner.pos :]
        return 1, tokens

    def variables(self, chunks: list[list[Token]]) -> tuple[tuple[sp.Expr, int], ...]:
        """The variables of a derivative's denominator, each with its order (x^2 -> (x, 2))."""
        out = []
        for chunk in chunks:
            value = self.sub(chunk)
            base, exponent = value.as_base_exp() if isinstance(value, sp.Pow) else (value, 1)
            if isinstance(base, (sp.Symbol, sp.Indexed)) and isinstance(exponent, sp.Integer):
                out.append((base, int(exponent)))
            else:
                out.append((value, 1))
        if not out:
            raise ParseError("a derivative with no variable")
        return tuple(out)

    def square_root(self) -> sp.Expr:
        degree = None
        if self.at("["):
            self.pos += 1
            start = self.pos
            while not self.at("]"):
                self.next()
            degree = self.sub(self.tokens[start : self.pos])
            self.pos += 1
        radicand = self.sub(self.argument_tokens())
        return sp.sqrt(radicand) if degree is None else power(radicand, 1 / degree)

    def left_right(self) -> sp.Expr:
        opening = self.next()
        if opening.text == r"\|":
            value = self.name_only()
        else:
            if opening.text == "|":
                self.in_abs += 1
            value = self.expression()
            if opening.text == "|":
                self.in_abs -= 1
        if self.at(","):
            raise ParseError("a list where an expression was expected")
        self.expect(r"\right")
        closing = self.next()
        if opening.text == "." or closing.text == "." and self.at("_", "^"):
            raise ParseError(r"\left. ... \right| (an evaluation bar) is not understood")
        if opening.text == "|":
            return sp.Abs(value)
        if opening.text == r"\|":
            return norm(value, self.vocab.size(DEFAULT_SIZE))
        if opening.text not in ("(", "[") and not opening.is_command(r"\langle"):
            raise ParseError(f"unexpected delimiter {opening.text!r}")
        return value

    # --- sums and functions -----------------------------------------------------------

    def big_operator(self, kind: type) -> sp.Expr:
        """\\sum_{k=1}^{K} f, \\sum_{k'} f (range 1..K), or a product."""
        sub = sup = None
        while self.at("_", "^"):
            which = self.next().text
            tokens = self.argument_tokens()
            if which == "_":
                sub = tokens
            else:
                sup = tokens
        if sub is None:
            raise ParseError("a sum without an index")
        excluded = None
        for n, t in enumerate(sub):
            if t.is_command(r"\neq", r"\ne"):
                sub, excluded = sub[:n], self.sub(sub[n + 1 :])
                break
        parts = split_at_equals(sub)
        names = index_names(parts[0])
        if names is None or len(names) != 1:
            raise ParseError("the index of a sum is not understood")
        index = index_symbol(names[0])
        lower = self.sub(parts[1]) if len(parts) == 2 else sp.Integer(1)
        upper = self.sub(sup) if sup is not None else self.vocab.bound_of(names[0])
        body = self.summand()
        over_examples = self.examples_up_to(upper)
        if over_examples is not None and isinstance(body, sp.Symbol) and index not in body.atoms():
            # (1/N) sum_{i=1}^N L: the loss of each example, L^{(i)}
            index, body = over_examples, example(body, over_examples)
        if any(index in s.variables for s in body.atoms(sp.Sum, sp.Product)):
            raise ParseError(f"nested sums over the same index {index}")
        if excluded is None:
            return kind(body, (index, lower, upper))
        if kind is not sp.Sum or not excluded.is_integer:
            raise ParseError("a sum that leaves out something other than one index")
        return sp.Sum(body, (index, lower, upper)) - body.xreplace({index: excluded})

    def examples_up_to(self, upper: sp.Expr) -> sp.Symbol | None:
        """The index of training examples whose sums run up to ``upper`` (i for N), if any."""
        for name in sorted(self.vocab.examples):
            if self.vocab.bound_of(name) == upper:
                return index_symbol(name)
        return None

    def summand(self) -> sp.Expr:
        """What a sum adds up: the factors after it, up to + or - or another sum."""
        value = self.full_factor()
        while (tok := self.peek()) is not None:
            follows = self.peek(1)
            if self.starts_factor(tok) and not tok.is_command(r"\sum", r"\prod"):
                value = value * self.full_factor()
            elif (
                tok.text in MULTIPLY
                and follows is not None
                and not follows.is_command(r"\sum", r"\prod")
            ):
                self.pos += 1
                value = value * self.signed()
            else:
                break
        return value

    def function(self, name: str) -> sp.Expr:
        """A known function with its power, base or primes: \\tanh^2(z), \\log_2 x, \\sigma'(z)."""
        exponent = base = None
        primes = 0
        while True:
            if self.at("^") and exponent is None:
                self.pos += 1
                exponent = self.sub(self.argument_tokens())
                if exponent.is_negative:
                    raise ParseError(f"\\{name}^{{{exponent}}} (an inverse?) is not understood")
            elif self.at("_") and name == "log" and base is None:
                self.pos += 1
                base = self.sub(self.argument_tokens())
            elif self.at("'") or self.peek() is not None and self.peek().is_command(r"\prime"):
                self.pos += 1
                primes += 1
            else:
                break
        args = self.function_arguments()
        if len(args) != 1 and name not in VARIADIC:
            raise ParseError(f"\\{name} takes one argument")
        value = apply_function(name, args, primes)
        if base is not None:
            value = value / sp.log(base)
        return power(value, exponent) if exponent is not None else value

    def function_arguments(self) -> list[sp.Expr]:
        tok = self.peek()
        if tok is None:
            raise ParseError("a function without an argument")
        if tok.is_char("(", "[") or tok.is_command(r"\left"):
            self.pos += 1
            if tok.is_command(r"\left"):
                opening = self.next()
                if not opening.is_char("(", "["):
                    self.pos -= 2
                    return [self.argument()]
            args = [self.expression()]
            while self.at(","):
                self.pos += 1
                args.append(self.expression())
            if tok.is_command(r"\left"):
                self.expect(r"\right")
                self.next()
            else:
                self.expect(")" if tok.text == "(" else "]")
            return args
        return [self.argument()]

    def argument(self) -> sp.Expr:
        """The argument of \\log y_T written without parentheses: simple factors side by side."""
        value = self.full_factor()
        while (tok := self.peek()) is not None and (
            tok.kind in ("letter", "number") or tok.kind == "command" and tok.text[1:] in GREEK
        ):
            value = value * self.full_factor()
        return value


# --- elided sums -------------------------------------------------------------------------


def elided_sum(terms: list[tuple[int, sp.Expr | None]], vocabulary: Vocabulary) -> sp.Expr:
    """``e^{z_1} + e^{z_2} + \\dots + e^{z_K}``: the sum whose first and last terms are written.

    The first term must contain a family member with a number as index (z_1); the terms written
    before the dots must follow it one by one, and every other written term must be the same
    formula at another index (z_k, z_K). A last index that is an index letter (z_n) is the last
    member: the sum runs up to that index's size.
    """
    signs = {sign for sign, _ in terms}
    written = [term for _, term in terms if term is not None]
    if terms[0][1] is None or terms[-1][1] is None or len(signs) != 1 or len(written) < 2:
        raise ParseError("elided terms (\\dots) whose first and last terms are not written")
    if signs != {1}:
        raise ParseError("elided terms (\\dots) in a difference")
    first, last = written[0], written[-1]
    j = index_symbol(ELIDED_INDEX)
    for member in sorted(first.atoms(sp.Indexed), key=str):
        if len(member.indices) != 1 or not member.indices[0].is_Integer:
            continue
        start = member.indices[0]
        template = first.xreplace(
            {m: m.base[j] for m in first.atoms(sp.Indexed) if m.indices == (start,)}
        )
        end = _index_matching(template, j, last)
        if end is None:
            continue
        if end.is_Symbol and end.is_integer and not end.is_positive:
            end = vocabulary.bound_of(str(end))  # z_n as the last term: n is the last index
        indices = [_index_matching(template, j, t) for t in written]
        if any(i is None for i in indices):
            continue
        leading = next((n for n, (_, t) in enumerate(terms) if t is None), len(terms))
        if any(indices[n] != start + n for n in range(leading)):
            continue
        return sp.Sum(template, (j, start, end))
    raise ParseError("elided terms (\\dots) whose pattern the first and last terms do not fix")


def _index_matching(template: sp.Expr, j: sp.Symbol, term: sp.Expr) -> sp.Expr | None:
    """The index at which the template is the term (z_K for e^{z_j} and e^{z_K}), if any."""
    for member in term.atoms(sp.Indexed):
        if len(member.indices) == 1 and template.xreplace({j: member.indices[0]}) == term:
            return member.indices[0]
    return None


# --- helpers on token lists -------------------------------------------------------------


def _is_one(*tokens: Token | None) -> bool:
    """``1}`` after a font command's brace: the indicator 1."""
    one, close = tokens
    return one is not None and one.text == "1" and close is not None and close.is_char("}")


def _has_relation(tokens: list[Token]) -> bool:
    return any(t.text in CONDITIONS and t.kind in ("char", "command") for t in tokens)


def _is_d(tok: Token) -> bool:
    return tok.kind == "letter" and tok.text == "d"


def _is_greek(tokens: list[Token]) -> bool:
    return len(tokens) == 1 and tokens[0].kind == "command" and tokens[0].text[1:] in GREEK


def _single_name(tokens: list[Token]) -> bool:
    """Whether tokens start with one name in parentheses: ``(z)``, ``(z_k)``, ``(\\theta)``."""
    if len(tokens) < 2 or not (tokens[0].kind == "letter" or _is_greek(tokens[:1])):
        return False
    if tokens[1].is_char(")"):
        return True
    return len(tokens) >= 4 and tokens[1].is_char("_") and tokens[3].is_char(")")


def _text_group(tokens: list[Token]) -> bool:
    """``\\text{CE}``, ``\\mathrm{CE}`` as a subscript: a name suffix."""
    return (
        len(tokens) >= 3
        and tokens[0].kind == "command"
        and tokens[0].text in (r"\text", r"\mathrm", r"\textrm", r"\mathit")
        and all(t.kind in ("letter", "number") for t in tokens[2:-1])
    )


def _label_index(tokens: list[Token]) -> str:
    """``y_i`` as a subscript (f_{y_i}): the name of the index it stands for, else ''."""
    if (
        len(tokens) == 3
        and tokens[0].kind == "letter"
        and tokens[1].is_char("_")
        and tokens[2].kind == "letter"
    ):
        return f"{tokens[0].text}_{tokens[2].text}"
    return ""


def _index_of(tokens: list[Token]) -> sp.Expr | None:
    """The index of a family member: a letter (k, k'), a number, or a letter plus/minus a number."""
    names = index_names(tokens)
    if names is not None and len(names) == 1:
        return index_symbol(names[0])
    if len(tokens) == 1 and tokens[0].kind == "number" and tokens[0].text.isdigit():
        return number(tokens[0].text)
    if (
        len(tokens) == 3
        and tokens[0].kind == "letter"
        and tokens[1].is_char("+", "-")
        and tokens[2].kind == "number"
        and tokens[2].text.isdigit()
    ):
        step = number(tokens[2].text)
        return index_symbol(tokens[0].text) + (step if tokens[1].text == "+" else -step)
    return None
