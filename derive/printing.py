"""The one place that turns SymPy expressions into LaTeX and into plain text.

Notation follows the assignment: ``L`` and ``J`` are calligraphic, indexed quantities are
subscripted (``y_{T}``, ``W_{k j}``), a per-example value is ``y^{(i)}``, derivatives are
always partial. Products keep their factor order when they were built unevaluated
(``Mul(a, b, evaluate=False)``), so a displayed middle step reads as it was written.

The indicator convention: ``Heaviside(u, 0)`` is printed ``1[u > 0]``, the indicator of a
strictly positive margin; its value 0 at the kink u = 0 is the subgradient derive uses for
the hinge. ``Heaviside(u, 1)`` is ``1[u >= 0]``; any other value at 0 keeps the name H.
"""

from __future__ import annotations

import re

import sympy as sp
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE, precedence_traditional
from sympy.printing.str import StrPrinter
from sympy.simplify.radsimp import fraction

from derive.functions import example, grad, sigmoid, softplus

__all__ = ["latex", "text"]

CALLIGRAPHIC = frozenset({"L", "J"})
"""Symbol names printed in calligraphic type: the loss and the cost."""

_LAYER = re.compile(r"([A-Za-z])(\d+)")
"""A family named for its layer (W1, b2): printed W^{(1)}, so that W1_km is not W_{1km}."""
_TALL = re.compile(r"\\frac|\\sum|\\left|\\begin|\\prod|\\dfrac")
_TOKEN = re.compile(r"^[A-Za-z0-9']+$")


def _is_unevaluated(expr: sp.Basic) -> bool:
    """True when expr was built with evaluate=False in an order SymPy would not choose."""
    try:
        return expr.func(*expr.args) != expr
    except (TypeError, ValueError):
        return True


def _leading_positive(terms: list[sp.Expr]) -> list[sp.Expr]:
    """Put the first positive term in front, so y - t is not printed as -t + y."""
    if not terms or not terms[0].could_extract_minus_sign():
        return terms
    for position, term in enumerate(terms):
        if not term.could_extract_minus_sign():
            return [term, *terms[:position], *terms[position + 1 :]]
    return terms


def _is_plain(expr: sp.Expr) -> bool:
    """A number, symbol, indexed or per-example value, or a power of one."""
    if expr.is_Pow:
        return _is_plain(expr.base)
    return bool(expr.is_Number or expr.is_Symbol or expr.is_Indexed or isinstance(expr, example))


def _reading_order(factors: list[sp.Expr]) -> list[sp.Expr]:
    """SymPy's order, except that a plain factor moves in front of a sum that contains it:
    y_k (1 - y_k) rather than (1 - y_k) y_k, while (y - t) x_j stays as it is."""
    sums = [f for f in factors if f.is_Add]
    leading = [f for f in factors if _is_plain(f) and any(s.has(f) for s in sums)]
    return leading + [f for f in factors if not any(f is g for g in leading)]


def _heaviside_value(expr: sp.Heaviside) -> sp.Expr | None:
    """The value Heaviside(u, H0) takes at 0, or None when it was left unspecified."""
    return expr.args[1] if len(expr.args) > 1 else None


def _delta_indices(expr: sp.KroneckerDelta) -> list[sp.Expr]:
    """The indices of a delta, the running (lower-case) one first: delta_{kT}, not delta_{Tk}."""
    return sorted(expr.args[:2], key=lambda a: (str(a)[:1].isupper(), str(a)))


def _oriented(relation: sp.Basic) -> sp.Basic:
    """The relation as a reader writes it: the variable on the left, unnegated.

    SymPy stores ``r < -delta`` as ``delta < -r`` and ``r <= delta`` as ``delta >= r``;
    among the four equivalent forms the one whose left side is neither negated nor known
    positive (a threshold) is printed.
    """
    if not isinstance(relation, sp.core.relational.Relational) or isinstance(
        relation, sp.Eq | sp.Ne
    ):
        return relation
    forms = [relation, relation.reversed, relation.reversedsign, relation.reversed.reversedsign]
    return min(
        forms,
        key=lambda r: (r.lhs.could_extract_minus_sign(), bool(r.lhs.is_positive), r.lhs.is_Number),
    )


_UPPER = {"<": "<", "<=": "<="}
_LOWER = {">": ">", ">=": ">="}
_NEGATED = {"<": ">=", "<=": ">", ">": "<=", ">=": "<"}


def _bound(condition: sp.Basic) -> tuple[sp.Expr, str, sp.Expr] | None:
    """``(x, op, threshold)`` of a condition ``x op threshold`` read as a reader writes it."""
    if not isinstance(condition, sp.core.relational.Relational) or isinstance(
        condition, sp.Eq | sp.Ne
    ):
        return None
    oriented = _oriented(condition)
    return oriented.lhs, oriented.rel_op, oriented.rhs


def piece_conditions(expr: sp.Piecewise) -> list[tuple[tuple[str, sp.Expr], ...]] | None:
    """Each piece's own condition, the earlier pieces excluded, as one or two bounds on the
    variable: ``r < -delta``, ``-delta <= r <= delta``, ``r > delta`` for SymPy's sequential
    ``r < -delta``, ``r <= delta``, otherwise. A bound is ``(op, threshold)`` with op as
    ``x op threshold`` reads. None when the pieces are not intervals of one variable in
    increasing (or decreasing) order; the Piecewise is then printed as SymPy orders it.
    """
    *cut, last = expr.args
    bounds = [_bound(condition) for _, condition in cut]
    if not bounds or last.cond is not sp.true or any(b is None for b in bounds):
        return None
    variable = bounds[0][0]
    ops = {op for _, op, _ in bounds}
    if any(b[0] != variable for b in bounds) or not (ops <= set(_UPPER) or ops <= set(_LOWER)):
        return None
    rising = ops <= set(_UPPER)
    for (_, _, a), (_, _, b) in zip(bounds, bounds[1:], strict=False):
        if not ((b - a) if rising else (a - b)).is_positive:
            return None
    pieces: list[tuple[tuple[str, sp.Expr], ...]] = []
    previous: tuple[str, sp.Expr] | None = None
    for _, op, threshold in bounds:
        own = (op, threshold)
        pieces.append((own,) if previous is None else (previous, own))
        previous = (_NEGATED[op], threshold)
    pieces.append((previous,))
    return pieces


_FLIPPED = {">": "<", ">=": "<=", "<": ">", "<=": ">="}
_LATEX_OPS = {"<": "<", "<=": r"\leq", ">": ">", ">=": r"\geq"}


def _interval(variable: str, bounds: tuple[tuple[str, str], ...], ops: dict[str, str]) -> str:
    """``x < b``, or ``a <= x <= b`` with the lower bound first, from printed bounds."""
    if len(bounds) == 1:
        op, threshold = bounds[0]
        return f"{variable} {ops[op]} {threshold}"
    lower, upper = sorted(bounds, key=lambda bound: bound[0] in _UPPER)
    first = lower[1]
    if ops is _LATEX_OPS and first.startswith("-"):
        first = f"{{{first}}}"  # after \text{if } a bare minus would be binary
    return f"{first} {ops[_FLIPPED[lower[0]]]} {variable} {ops[upper[0]]} {upper[1]}"


class DeriveLatexPrinter(LatexPrinter):
    """LaTeX in the notation of the report (see the module docstring)."""

    printmethod = "_derive_latex"

    def _wrap(self, inner: str) -> str:
        """Parentheses that grow only around tall content (fractions, sums)."""
        return rf"\left({inner}\right)" if _TALL.search(inner) else f"({inner})"

    def _with_exponent(self, tex: str, exp: str | None) -> str:
        return tex if exp is None else rf"\left({tex}\right)^{{{exp}}}"

    def _print_Relational(self, expr: sp.Basic) -> str:
        return super()._print_Relational(_oriented(expr))

    def _print_Piecewise(self, expr: sp.Piecewise) -> str:
        pieces = piece_conditions(expr)
        if pieces is None:
            return super()._print_Piecewise(expr)
        variable = self._print(_bound(expr.args[0].cond)[0])
        rows = []
        for (value, _), bounds in zip(expr.args, pieces, strict=True):
            printed = tuple((op, self._print(threshold)) for op, threshold in bounds)
            rows.append(
                rf"{self._print(value)} & \text{{if }} {_interval(variable, printed, _LATEX_OPS)}"
            )
        return r"\begin{cases} " + r" \\ ".join(rows) + r" \end{cases}"

    def _print_Symbol(self, expr: sp.Symbol, style: str = "plain") -> str:
        name, supers, subs = self._split_super_sub(expr.name)
        if name in CALLIGRAPHIC:
            name = rf"\mathcal{{{name}}}"
        if supers:
            name += "^{" + " ".join(supers) + "}"
        if subs:
            name += "_{" + " ".join(subs) + "}"
        return name

    def _layered(self, name: str) -> str | None:
        found = _LAYER.fullmatch(name)
        return None if found is None else f"{found[1]}^{{({found[2]})}}"

    def _print_MatrixSymbol(self, expr: sp.MatrixSymbol, style: str = "plain") -> str:
        return self._layered(expr.name) or self._print_Symbol(expr, style)

    def _print_Indexed(self, expr: sp.Indexed) -> str:
        indices = " ".join(self._print(i) for i in expr.indices)
        layered = self._layered(str(expr.base.label))
        if layered:  # W^{(1)}_{md}, stacked, and grouped so that a power or ^{(i)} can follow
            return f"{{{layered}_{{{indices}}}}}"
        base = self._print(expr.base)
        if "_" in base or "^" in base:
            base = "{" + base + "}"
        return f"{base}_{{{indices}}}"

    def _print_example(self, expr: example, exp: str | None = None) -> str:
        value, i = expr.args
        inner = self._print(value)
        if not isinstance(value, sp.Symbol | sp.Indexed):
            inner = rf"\left({inner}\right)"
        return self._with_exponent(f"{inner}^{{({self._print(i)})}}", exp)

    def _print_grad(self, expr: grad, exp: str | None = None) -> str:
        scalar, wrt = expr.args
        tex = rf"\nabla_{{{self._print(wrt)}}} {self._print(scalar)}"
        return tex if exp is None else rf"\left({tex}\right)^{{{exp}}}"

    def _print_sigmoid(self, expr: sigmoid, exp: str | None = None) -> str:
        name = r"\sigma" if exp is None else rf"\sigma^{{{exp}}}"
        return name + self._wrap(self._print(expr.args[0]))

    def _print_softplus(self, expr: softplus, exp: str | None = None) -> str:
        name = r"\operatorname{softplus}"
        if exp is not None:
            name += f"^{{{exp}}}"
        return name + self._wrap(self._print(expr.args[0]))

    def _print_log(self, expr: sp.log, exp: str | None = None) -> str:
        name = r"\log" if exp is None else rf"\log^{{{exp}}}"
        return name + self._wrap(self._print(expr.args[0]))

    def _print_Heaviside(self, expr: sp.Heaviside, exp: str | None = None) -> str:
        u = self._print(expr.args[0])
        at_zero = _heaviside_value(expr)
        if at_zero == 0:
            tex = rf"\mathbf{{1}}[{u} > 0]"
        elif at_zero == 1:
            tex = rf"\mathbf{{1}}[{u} \geq 0]"
        else:
            tex = "H" + self._wrap(u)
        return tex if exp is None else f"{tex}^{{{exp}}}"

    def _print_KroneckerDelta(self, expr: sp.KroneckerDelta, exp: str | None = None) -> str:
        indices = [self._print(i) for i in _delta_indices(expr)]
        glue = "" if all(len(i) == 1 for i in indices) else " "
        tex = rf"\delta_{{{glue.join(indices)}}}"
        return tex if exp is None else f"{tex}^{{{exp}}}"

    def _print_Max(self, expr: sp.Max, exp: str | None = None) -> str:
        return self._variadic(r"\max", expr, exp)

    def _print_Min(self, expr: sp.Min, exp: str | None = None) -> str:
        return self._variadic(r"\min", expr, exp)

    def _variadic(self, name: str, expr: sp.Expr, exp: str | None) -> str:
        args = sorted(expr.args, key=lambda a: (not a.is_Number, sp.default_sort_key(a)))
        tex = name + self._wrap(", ".join(self._print(a) for a in args))
        return tex if exp is None else f"{tex}^{{{exp}}}"

    def _print_Derivative(self, expr: sp.Derivative) -> str:
        order = sum(count for _, count in expr.variable_count)
        top = r"\partial" if order == 1 else rf"\partial^{{{order}}}"
        bottom = " ".join(
            rf"\partial {self._print(v)}" if n == 1 else rf"\partial {self._print(v)}^{{{n}}}"
            for v, n in expr.variable_count
        )
        f = expr.expr
        if isinstance(f, sp.Symbol | sp.Indexed | example):
            return rf"\frac{{{top} {self._print(f)}}}{{{bottom}}}"
        return rf"\frac{{{top}}}{{{bottom}}}\left[ {self._print(f)} \right]"

    def _print_Sum(self, expr: sp.Sum) -> str:
        head = "".join(
            rf"\sum_{{{self._print(v)}={self._print(a)}}}^{{{self._print(b)}}} "
            for v, a, b in reversed(expr.limits)
        )
        body = self._print(expr.function)
        if expr.function.is_Add:
            body = rf"\left({body}\right)"
        return head + body

    def _print_Transpose(self, expr: sp.Transpose) -> str:
        inner = self._print(expr.arg)
        if not isinstance(expr.arg, sp.MatrixSymbol):
            inner = rf"\left({inner}\right)"
        return inner + r"^{\top}"

    def _print_Add(self, expr: sp.Expr, order: str | None = None) -> str:
        return " ".join(self._signed_terms(expr, order))

    def _signed_terms(self, expr: sp.Expr, order: str | None = None) -> list[str]:
        """The terms of a sum, each after the first with its sign: ['y', '- t']."""
        terms = list(expr.args)
        if not _is_unevaluated(expr):
            terms = _leading_positive(self._as_ordered_terms(expr, order=order))
        pieces = []
        for position, term in enumerate(terms):
            sign = ""
            if position and term.could_extract_minus_sign():
                sign, term = "- ", -term
            elif position:
                sign = "+ "
            term_tex = self._print(term)
            if term.is_Add or term.is_Relational:
                term_tex = rf"\left({term_tex}\right)"
            pieces.append(sign + term_tex)
        return pieces

    def _print_Mul(self, expr: sp.Expr) -> str:
        if _is_unevaluated(expr) or sum(isinstance(a, sp.Derivative) for a in expr.args) >= 2:
            return " ".join(self._ordered_factors(expr))
        sign = ""
        if expr.could_extract_minus_sign():
            sign, expr = "- ", -expr
        numer, denom = fraction(expr, exact=True)
        factors = _reading_order(list(sp.Mul.make_args(numer)))
        if denom == 1:
            return sign + " ".join(self._factor_pieces(factors, cdot=False))
        heavy = [f for f in factors if isinstance(f, sp.Sum | sp.Derivative)]
        light = [f for f in factors if not isinstance(f, sp.Sum | sp.Derivative)]
        if len(light) == 1:
            top = self._print(light[0])
        else:
            top = " ".join(self._factor_pieces(light, cdot=False)) if light else "1"
        frac = rf"\frac{{{top}}}{{{self._print(denom)}}}"
        if heavy:
            return " ".join([sign + frac, *self._factor_pieces(heavy, cdot=False, first=False)])
        return sign + frac

    def _ordered_factors(self, expr: sp.Expr) -> list[str]:
        """The factors of a product kept in order, each after the first with its dot if any."""
        unevaluated = _is_unevaluated(expr)
        return self._factor_pieces(list(expr.args), cdot=unevaluated)

    def _factor_pieces(self, factors: list[sp.Expr], cdot: bool, first: bool = True) -> list[str]:
        """Factors in the given order; unevaluated products separate their factors by a dot."""
        sign = ""
        if factors and factors[0] == -1 and len(factors) > 1:
            sign, factors = "- ", factors[1:]
        pieces = []
        previous: sp.Expr | None = None
        for position, factor in enumerate(factors):
            term = self._print(factor)
            leading = first and position == 0
            if self._needs_mul_brackets(factor, first=leading, last=position == len(factors) - 1):
                term = rf"\left({term}\right)"
            elif not leading and term.startswith("-"):
                term = rf"\left({term}\right)"
            if previous is not None:
                dotted = (cdot and not previous.is_Number) or (
                    isinstance(previous, sp.Derivative) and isinstance(factor, sp.Derivative)
                )
                if dotted or (previous.is_Number and factor.is_Number):
                    term = r"\cdot " + term
            pieces.append(term)
            previous = factor
        if pieces:
            pieces[0] = sign + pieces[0]
        return pieces

    def _print_Pow(self, expr: sp.Pow) -> str:
        if expr.exp.is_Rational and expr.exp.is_negative and expr.base.is_commutative:
            return self._print_Mul(expr)
        return super()._print_Pow(expr)


class DeriveTextPrinter(StrPrinter):
    """Readable plain text for terminals: dL/dy_T, y_k*(1 - y_k), 1[u > 0], y^(i)."""

    printmethod = "_derive_text"

    def _print_Symbol(self, expr: sp.Symbol) -> str:
        return expr.name

    def _print_Piecewise(self, expr: sp.Piecewise) -> str:
        intervals = piece_conditions(expr)
        if intervals is not None:
            variable = self._print(_bound(expr.args[0].cond)[0])
            ops = {op: op for op in _FLIPPED}
            return (
                "{"
                + "; ".join(
                    f"{self._print(value)} if "
                    + _interval(variable, tuple((op, self._print(t)) for op, t in bounds), ops)
                    for (value, _), bounds in zip(expr.args, intervals, strict=True)
                )
                + "}"
            )
        pieces = [
            f"{self._print(value)} if {self._print(condition)}"
            if condition is not sp.true
            else f"{self._print(value)} otherwise"
            for value, condition in expr.args
        ]
        return "{" + "; ".join(pieces) + "}"

    def _print_Indexed(self, expr: sp.Indexed) -> str:
        base = self._print(expr.base)
        indices = [self._print(i) for i in expr.indices]
        if all(_TOKEN.match(i) for i in indices) and (
            len(indices) == 1 or all(len(i) == 1 for i in indices)
        ):
            return f"{base}_{''.join(indices)}"
        return f"{base}_{{{','.join(indices)}}}"

    def _print_IndexedBase(self, expr: sp.IndexedBase) -> str:
        return self._print(expr.label)

    def _print_example(self, expr: example) -> str:
        value, i = expr.args
        inner = self._print(value)
        if not isinstance(value, sp.Symbol | sp.Indexed):
            inner = f"({inner})"
        return f"{inner}^({self._print(i)})"

    def _print_grad(self, expr: grad) -> str:
        scalar, wrt = expr.args
        return f"grad_{self._print(wrt)} {self._print(scalar)}"

    def _print_sigmoid(self, expr: sigmoid) -> str:
        return f"sigma({self._print(expr.args[0])})"

    def _print_softplus(self, expr: softplus) -> str:
        return f"softplus({self._print(expr.args[0])})"

    def _print_Heaviside(self, expr: sp.Heaviside) -> str:
        u = self._print(expr.args[0])
        at_zero = _heaviside_value(expr)
        if at_zero == 0:
            return f"1[{u} > 0]"
        if at_zero == 1:
            return f"1[{u} >= 0]"
        return f"H({u})"

    def _print_KroneckerDelta(self, expr: sp.KroneckerDelta) -> str:
        indices = [self._print(i) for i in _delta_indices(expr)]
        glue = "" if all(len(i) == 1 for i in indices) else ","
        return f"delta_{glue.join(indices)}" if glue == "" else f"delta_{{{glue.join(indices)}}}"

    def _print_Max(self, expr: sp.Max) -> str:
        args = sorted(expr.args, key=lambda a: (not a.is_Number, sp.default_sort_key(a)))
        return "max(" + ", ".join(self._print(a) for a in args) + ")"

    def _print_Abs(self, expr: sp.Abs) -> str:
        return f"|{self._print(expr.args[0])}|"

    def _print_Derivative(self, expr: sp.Derivative) -> str:
        order = sum(count for _, count in expr.variable_count)
        top = "d" if order == 1 else f"d^{order}"
        bottom = "".join(
            f"d{self._print(v)}" if n == 1 else f"d{self._print(v)}^{n}"
            for v, n in expr.variable_count
        )
        f = expr.expr
        if isinstance(f, sp.Symbol | sp.Indexed | example):
            return f"{top}{self._print(f)}/{bottom}"
        return f"{top}/{bottom}[{self._print(f)}]"

    def _print_Sum(self, expr: sp.Sum) -> str:
        head = "".join(
            f"sum_{{{self._print(v)}={self._print(a)}}}^{{{self._print(b)}}} "
            for v, a, b in reversed(expr.limits)
        )
        body = self._print(expr.function)
        return head + (f"({body})" if expr.function.is_Add else body)

    def _print_Transpose(self, expr: sp.Transpose) -> str:
        inner = self._print(expr.arg)
        return (inner if isinstance(expr.arg, sp.MatrixSymbol) else f"({inner})") + "^T"

    def _print_Relational(self, expr: sp.Basic) -> str:
        expr = _oriented(expr)
        op = {"==": "=", "!=": "!="}.get(expr.rel_op, expr.rel_op)
        return f"{self._print(expr.lhs)} {op} {self._print(expr.rhs)}"

    def _print_Add(self, expr: sp.Expr, order: str | None = None) -> str:
        terms = list(expr.args)
        if not _is_unevaluated(expr):
            terms = _leading_positive(self._as_ordered_terms(expr, order=order))
        out = ""
        for position, term in enumerate(terms):
            if position and term.could_extract_minus_sign():
                out += " - "
                term = -term
            elif position:
                out += " + "
            piece = self._print(term)
            out += f"({piece})" if term.is_Add else piece
        return out

    def _print_Mul(self, expr: sp.Expr) -> str:
        if _is_unevaluated(expr) or sum(isinstance(a, sp.Derivative) for a in expr.args) >= 2:
            return self._product(list(expr.args))
        sign = ""
        if expr.could_extract_minus_sign():
            sign, expr = "-", -expr
        numer, denom = fraction(expr, exact=True)
        factors = _reading_order(list(sp.Mul.make_args(numer)))
        if denom == 1:
            return sign + self._product(factors)
        heavy = [f for f in factors if isinstance(f, sp.Sum | sp.Derivative)]
        light = [f for f in factors if not isinstance(f, sp.Sum | sp.Derivative)]
        top = self._product(light) if light else "1"
        bottom = self._print(denom)
        if not (denom.is_Atom or denom.is_Indexed or denom.is_Function or denom.is_Pow):
            bottom = f"({bottom})"
        quotient = f"{sign}{top}/{bottom}"
        return quotient + "".join("*" + self._product([f]) for f in heavy)

    def _product(self, factors: list[sp.Expr]) -> str:
        """Factors joined by '*' in order; ' * ' around derivatives so dL/dy * dy/dz reads."""
        out = ""
        if factors and factors[0] == -1 and len(factors) > 1:
            out, factors = "-", factors[1:]
        previous: sp.Expr | None = None
        for position, factor in enumerate(factors):
            piece = self._print(factor)
            later = position > 0
            fraction_after = later and "/" in piece and not isinstance(factor, sp.Derivative)
            if (
                precedence_traditional(factor) < PRECEDENCE["Mul"]
                or (later and piece.startswith("-"))
                or fraction_after
            ):
                piece = f"({piece})"
            if previous is not None:
                spaced = isinstance(previous, sp.Derivative) or isinstance(factor, sp.Derivative)
                out += " * " if spaced else "*"
            out += piece
            previous = factor
        return out

    def _print_Pow(self, expr: sp.Pow, rational: bool = False) -> str:
        if expr.exp.is_Rational and expr.exp.is_negative and expr.base.is_commutative:
            return self._print_Mul(expr)
        base = self._print(expr.base)
        bare = expr.base.is_Symbol or expr.base.is_Indexed or expr.base.is_Function
        if not (bare or (expr.base.is_Integer and expr.base >= 0)) or isinstance(
            expr.base, example
        ):
            base = f"({base})"
        exponent = self._print(expr.exp)
        if not (expr.exp.is_Symbol or (expr.exp.is_Integer and expr.exp >= 0)):
            exponent = f"({exponent})"
        return f"{base}^{exponent}"


def latex(expr: sp.Basic) -> str:
    """LaTeX math (no $ delimiters) for expr, in the report's notation."""
    return DeriveLatexPrinter().doprint(expr)


def text(expr: sp.Basic) -> str:
    """Plain text for expr, for terminals and logs."""
    return DeriveTextPrinter().doprint(expr)
