"""Numbers from expressions: compile a SymPy expression once, then evaluate it at concrete sizes.

:func:`compile_expr` turns an expression into a tree of small Python closures. A :class:`Run`
evaluates it with one backend (:mod:`derive.verify.backends`): NumPy arrays holding every sample
point at once, exact rationals, or mpmath at a chosen precision. Sums, products, Kronecker
deltas, Heaviside steps, Max/Min, Piecewise and matrix products are evaluated directly at the
sizes the run binds; nothing is substituted symbolically. A defined name (y = sigma(z)) is
evaluated through its definition when the run uses definitions; every other name is a *leaf*
whose values the run's caller supplies.

To support another SymPy function, add it to ``FUNCTIONS`` in :mod:`derive.verify.backends`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.matrices.expressions.matexpr import MatrixElement

from derive.context import Context
from derive.functions import example
from derive.verify.backends import FUNCTIONS, Backend, NotNumeric
from derive.verify.budget import MAX_TERMS_EVALUATED, TooCostly

Env = Mapping[sp.Symbol, int]
Node = Callable[["Run", Env, "int | None"], Any]
LeafKey = tuple[str, tuple[int, ...], "int | None"]


class Loose(NotNumeric):
    """An index or a size was left without a value."""


def leaf_name(key: LeafKey) -> str:
    """How a leaf is shown in a counterexample: y, x[2], example(y, 3)."""
    name, indices, ex = key
    text = f"{name}[{', '.join(map(str, indices))}]" if indices else name
    return text if ex is None else f"example({text}, {ex})"


# --- compiling --------------------------------------------------------------------------


@dataclass
class Compiler:
    """Compiles the expressions of one context; shares the work between equal subexpressions."""

    context: Context
    index_like: frozenset[sp.Symbol] = frozenset()
    memo: dict[sp.Basic, Node] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.index_like = frozenset(self.context.index_bounds) | frozenset(self.context.bounds)

    def __call__(self, expr: sp.Basic) -> Node:
        node = self.memo.get(expr)
        if node is None:
            node = self._compile(expr)
            self.memo[expr] = node
        return node

    def _compile(self, expr: sp.Basic) -> Node:
        if isinstance(expr, sp.MatrixExpr):
            raise NotNumeric(f"the matrix {expr} is used whole; only its entries are numbers")
        for cls in type(expr).__mro__:
            handler = HANDLERS.get(cls)
            if handler is not None:
                return handler(self, expr)
        if isinstance(expr, sp.Function) and type(expr).__name__ in FUNCTIONS:
            return _function(self, expr)
        raise NotNumeric(f"cannot evaluate {_describe(expr)} numerically")


def _describe(expr: sp.Basic) -> str:
    if isinstance(expr, sp.Derivative):
        return f"the derivative {expr}"
    if isinstance(expr, AppliedUndef):
        return f"the undefined function {type(expr).__name__}"
    return f"{type(expr).__name__} ({expr})"


def _number(c: Compiler, expr: sp.Number) -> Node:
    if expr.is_Integer and abs(int(expr)) < 2**53:
        value = int(expr)
        return lambda run, env, ex: value
    return lambda run, env, ex: run.backend.const(expr)


def _symbol(c: Compiler, expr: sp.Symbol) -> Node:
    index_like = expr in c.index_like
    name = expr.name

    def symbol(run: Run, env: Env, ex: int | None):
        value = env.get(expr)
        if value is not None:
            return value
        value = run.globals.get(expr)
        if value is not None:
            return value
        if index_like:
            raise Loose(f"index {expr} was left without a value")
        return run.leaf((name, (), ex), expr)

    return symbol


def _indexed(c: Compiler, expr: sp.Indexed) -> Node:
    name = str(expr.base.label)
    indices = [c(i) for i in expr.indices]

    def indexed(run: Run, env: Env, ex: int | None):
        at = tuple([_integer(f(run, env, ex)) for f in indices])
        return run.leaf((name, at, ex), expr)

    return indexed


def _integer(value: Any) -> int:
    if isinstance(value, int):
        return value
    raise NotNumeric(f"an index took the non-integer value {value!r}")


def _example(c: Compiler, expr: example) -> Node:
    inner_expr, i_expr = expr.args
    i = c(i_expr)
    if isinstance(inner_expr, sp.Symbol) and inner_expr in c.index_like:
        label = inner_expr  # a per-example index, such as the label of example i

        def per_example_index(run: Run, env: Env, ex: int | None):
            if label in env:
                return env[label]
            return run.label(label, _integer(i(run, env, ex)))

        return per_example_index
    inner = c(inner_expr)
    return lambda run, env, ex: inner(run, env, _integer(i(run, env, ex)))


def _add(c: Compiler, expr: sp.Add) -> Node:
    terms = [c(a) for a in expr.args]

    def add(run: Run, env: Env, ex: int | None):
        total = terms[0](run, env, ex)
        for f in terms[1:]:
            total = total + f(run, env, ex)
        return total

    return add


def _mul(c: Compiler, expr: sp.Mul) -> Node:
    factors = [c(a) for a in expr.args]

    def mul(run: Run, env: Env, ex: int | None):
        total = factors[0](run, env, ex)
        for f in factors[1:]:
            total = total * f(run, env, ex)
        return total

    return mul


def _pow(c: Compiler, expr: sp.Pow) -> Node:
    base, exponent = c(expr.base), c(expr.exp)
    return lambda run, env, ex: run.backend.pow(base(run, env, ex), exponent(run, env, ex))


def _function(c: Compiler, expr: sp.Function) -> Node:
    name = type(expr).__name__
    args = [c(a) for a in expr.args]
    return lambda run, env, ex: run.backend.call(name, [f(run, env, ex) for f in args])


def _extremum(c: Compiler, expr: sp.Basic) -> Node:
    largest = isinstance(expr, sp.Max)
    args = [c(a) for a in expr.args]
    return lambda run, env, ex: run.backend.extremum([f(run, env, ex) for f in args], largest)


def _heaviside(c: Compiler, expr: sp.Heaviside) -> Node:
    u = c(expr.args[0])
    at_zero = c(expr.args[1]) if len(expr.args) > 1 else c(sp.S.Half)
    return lambda run, env, ex: run.backend.heaviside(u(run, env, ex), at_zero(run, env, ex))


def _delta(c: Compiler, expr: sp.KroneckerDelta) -> Node:
    a, b = (c(x) for x in expr.args[:2])

    def delta(run: Run, env: Env, ex: int | None):
        left, right = a(run, env, ex), b(run, env, ex)
        if isinstance(left, int) and isinstance(right, int):
            return int(left == right)
        return run.backend.select([run.backend.compare("==", left, right)], [1], 0)

    return delta


RELATIONS = {
    sp.Equality: "==",
    sp.Unequality: "!=",
    sp.StrictLessThan: "<",
    sp.LessThan: "<=",
    sp.StrictGreaterThan: ">",
    sp.GreaterThan: ">=",
}


def _relation(c: Compiler, expr: sp.Rel) -> Node:
    op = RELATIONS[type(expr)]
    a, b = c(expr.lhs), c(expr.rhs)
    return lambda run, env, ex: run.backend.compare(op, a(run, env, ex), b(run, env, ex))


def _logic(c: Compiler, expr: sp.Basic) -> Node:
    op = {sp.And: "and", sp.Or: "or", sp.Not: "not"}[type(expr)]
    args = [c(a) for a in expr.args]
    return lambda run, env, ex: run.backend.logic(op, [f(run, env, ex) for f in args])


def _truth(c: Compiler, expr: sp.Basic) -> Node:
    value = bool(expr)
    return lambda run, env, ex: value


def _piecewise(c: Compiler, expr: sp.Piecewise) -> Node:
    pieces = [(c(e), c(cond)) for e, cond in expr.args]

    def piecewise(run: Run, env: Env, ex: int | None):
        conditions = [cond(run, env, ex) for _, cond in pieces]
        values = [value(run, env, ex) for value, _ in pieces]
        return run.backend.select(conditions, values, run.backend.nan)

    return piecewise


def _big_operator(c: Compiler, expr: sp.Basic) -> Node:
    """Sum or Product over integer ranges, limits listed innermost first (SymPy's order)."""
    is_sum = isinstance(expr, sp.Sum)
    body = c(expr.function)
    limits = [(index, c(low), c(high)) for index, low, high in expr.limits]

    def over(run: Run, env: Env, ex: int | None, level: int):
        if level < 0:
            return body(run, env, ex)
        index, low, high = limits[level]
        a, b = _integer(low(run, env, ex)), _integer(high(run, env, ex))
        flipped = b < a - 1  # Karr's convention, as SymPy: the range b+1 .. a-1, inverted
        if flipped:
            a, b = b + 1, a - 1
        run.spend(b - a + 1)
        total: Any = 0 if is_sum else 1
        inner = dict(env)
        for v in range(a, b + 1):
            inner[index] = v
            value = over(run, inner, ex, level - 1)
            total = total + value if is_sum else total * value
        if not flipped:
            return total
        return -total if is_sum else run.backend.pow(total, -1)

    return lambda run, env, ex: over(run, env, ex, len(limits) - 1)


def _unevaluated(c: Compiler, expr: sp.UnevaluatedExpr) -> Node:
    return c(expr.args[0])


# --- matrices ---------------------------------------------------------------------------
# A matrix is evaluated lazily, entry by entry: entry (i, j) of A B costs one row of A and one
# column of B, so an entry of (1/N) G^T X never computes the rest of G.


@dataclass(frozen=True)
class Matrix:
    """The shape of a matrix at concrete sizes, and how to get entry (row, column), 0-based."""

    rows: int
    cols: int
    entry: Callable[[int, int], Any]


MatrixNode = Callable[["Run", Env, "int | None"], Matrix]
# the 1-based row and column of an entry: plain positive symbols, so that building an entry
# (a Heaviside or a delta of them) asks SymPy nothing costly about them
ROW, COLUMN = (sp.Dummy(name, integer=True, positive=True) for name in ("row", "column"))


def _matrix(c: Compiler, expr: sp.MatrixExpr) -> MatrixNode:
    if isinstance(expr, sp.MatrixSymbol):
        return _matrix_symbol(c, expr)
    if isinstance(expr, sp.Transpose):
        inner = _matrix(c, expr.args[0])

        def transpose(run: Run, env: Env, ex: int | None) -> Matrix:
            m = inner(run, env, ex)
            return Matrix(m.cols, m.rows, lambda i, j: m.entry(j, i))

        return transpose
    if isinstance(expr, sp.MatMul):
        scalars = [c(a) for a in expr.args if not getattr(a, "is_Matrix", False)]
        factors = [_matrix(c, a) for a in expr.args if getattr(a, "is_Matrix", False)]

        def matmul(run: Run, env: Env, ex: int | None) -> Matrix:
            product = factors[0](run, env, ex)
            for f in factors[1:]:
                product = _product(run, product, f(run, env, ex))
            if not scalars:
                return product
            scale = scalars[0](run, env, ex)
            for s in scalars[1:]:
                scale = scale * s(run, env, ex)
            m = product
            return Matrix(m.rows, m.cols, lambda i, j: scale * m.entry(i, j))

        return matmul
    if isinstance(expr, sp.MatAdd):
        parts = [_matrix(c, a) for a in expr.args]

        def matadd(run: Run, env: Env, ex: int | None) -> Matrix:
            ms = [f(run, env, ex) for f in parts]
            if len({(m.rows, m.cols) for m in ms}) != 1:
                raise NotNumeric("matrix sizes do not match")

            def entry(i: int, j: int):
                total = ms[0].entry(i, j)
                for m in ms[1:]:
                    total = total + m.entry(i, j)
                return total

            return Matrix(ms[0].rows, ms[0].cols, entry)

        return matadd
    if isinstance(expr, sp.MatrixBase):
        entries = [[c(expr[r, q]) for q in range(expr.cols)] for r in range(expr.rows)]
        return lambda run, env, ex: Matrix(
            expr.rows, expr.cols, lambda i, j: entries[i][j](run, env, ex)
        )
    raise NotNumeric(f"cannot evaluate the matrix expression {type(expr).__name__} numerically")


def _matrix_symbol(c: Compiler, expr: sp.MatrixSymbol) -> MatrixNode:
    """A matrix whose entries the context defines (G_ik = dL/dz_k of example i)."""
    build = c.context.matrices.get(expr.name)
    if build is None:
        raise NotNumeric(f"no entries known for matrix {expr.name}")
    entry = c(build(ROW, COLUMN))
    rows, cols = c(expr.shape[0]), c(expr.shape[1])

    def symbol(run: Run, env: Env, ex: int | None) -> Matrix:
        m, n = _integer(rows(run, env, ex)), _integer(cols(run, env, ex))
        return Matrix(m, n, lambda i, j: entry(run, {**env, ROW: i + 1, COLUMN: j + 1}, ex))

    return symbol


def _product(run: Run, a: Matrix, b: Matrix) -> Matrix:
    if a.cols != b.rows:
        raise NotNumeric("matrix sizes do not match")

    def entry(i: int, j: int):
        run.spend(a.cols)
        total = a.entry(i, 0) * b.entry(0, j)
        for k in range(1, a.cols):
            total = total + a.entry(i, k) * b.entry(k, j)
        return total

    return Matrix(a.rows, b.cols, entry)


def _matrix_element(c: Compiler, expr: MatrixElement) -> Node:
    parent = _matrix(c, expr.parent)
    i, j = c(expr.i), c(expr.j)

    def element(run: Run, env: Env, ex: int | None):
        r, q = _integer(i(run, env, ex)), _integer(j(run, env, ex))
        matrix = parent(run, env, ex)
        if not (0 <= r < matrix.rows and 0 <= q < matrix.cols):
            raise NotNumeric(f"entry ({r + 1}, {q + 1}) is outside the matrix")
        return matrix.entry(r, q)

    return element


HANDLERS: dict[type, Callable[[Compiler, Any], Node]] = {
    sp.Number: _number,
    sp.NumberSymbol: lambda c, e: lambda run, env, ex: run.backend.const(e),
    sp.Symbol: _symbol,
    sp.Indexed: _indexed,
    example: _example,
    sp.Add: _add,
    sp.Mul: _mul,
    sp.Pow: _pow,
    sp.Max: _extremum,
    sp.Min: _extremum,
    sp.Heaviside: _heaviside,
    sp.KroneckerDelta: _delta,
    sp.Piecewise: _piecewise,
    sp.Sum: _big_operator,
    sp.Product: _big_operator,
    sp.UnevaluatedExpr: _unevaluated,
    MatrixElement: _matrix_element,
    sp.And: _logic,
    sp.Or: _logic,
    sp.Not: _logic,
    sp.logic.boolalg.BooleanTrue: _truth,
    sp.logic.boolalg.BooleanFalse: _truth,
    **{cls: _relation for cls in RELATIONS},
    sp.Derivative: lambda c, e: _refuse(e),
    sp.Integral: lambda c, e: _refuse(e),
    AppliedUndef: lambda c, e: _refuse(e),
}


def _refuse(expr: sp.Basic) -> Node:
    raise NotNumeric(f"cannot evaluate {_describe(expr)} numerically")


# --- running ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Definitions:
    """Compiled definitions by family name: y -> ((), rhs); y_k -> ((k,), rhs); p_1 -> ((1,), rhs).

    A family may have several: concrete indices (p_1, p_2) must match, symbolic ones bind.
    """

    table: Mapping[str, tuple[tuple[tuple[sp.Expr, ...], Node], ...]]

    @classmethod
    def of(cls, context: Context, compiler: Compiler) -> Definitions:
        table: dict[str, list] = {}
        for d in context.definitions:
            if isinstance(d.lhs, sp.Indexed):
                indices = tuple(d.lhs.indices)
                if all(isinstance(i, (sp.Symbol, sp.Integer)) for i in indices):
                    table.setdefault(str(d.lhs.base.label), []).append((indices, compiler(d.rhs)))
            elif isinstance(d.lhs, sp.Symbol):
                table.setdefault(d.lhs.name, []).append(((), compiler(d.rhs)))
        return cls({name: tuple(found) for name, found in table.items()})

    def find(self, name: str, at: tuple[int, ...]) -> tuple[dict[sp.Symbol, int], Node] | None:
        """The definition that covers name[at], with the values its own indices take."""
        for pattern, rhs in self.table.get(name, ()):
            if len(pattern) != len(at):
                continue
            bound: dict[sp.Symbol, int] = {}
            for index, value in zip(pattern, at, strict=True):
                if isinstance(index, sp.Integer):
                    if int(index) != value:
                        break
                elif bound.setdefault(index, value) != value:
                    break
            else:
                return bound, rhs
        return None


@dataclass
class Run:
    """One evaluation: a backend, the values of free leaves and indices, and the definitions.

    ``leaves`` gives the value of a free leaf by its key; ``labels`` the index value of a
    per-example label; ``definitions`` (None: defined names are free leaves) evaluates y by its
    definition, once per key; ``spent`` counts terms, against a fixed budget, not a clock.
    """

    backend: Backend
    globals: Mapping[sp.Symbol, int]
    leaves: Callable[[LeafKey], Any]
    labels: Callable[[sp.Symbol, int], int]
    shared: frozenset[str]
    definitions: Definitions | None = None
    used: dict[LeafKey, None] = field(default_factory=dict)
    memo: dict[LeafKey, Any] = field(default_factory=dict)
    spent: int = 0
    depth: int = 0

    def spend(self, terms: int) -> None:
        self.spent += max(terms, 0)
        if self.spent > MAX_TERMS_EVALUATED:
            raise TooCostly(f"more than {MAX_TERMS_EVALUATED} terms to evaluate")

    def label(self, index: sp.Symbol, ex: int) -> int:
        return self.labels(index, ex)

    def leaf(self, key: LeafKey, expr: sp.Expr):
        name, indices, ex = key
        if name in self.shared:
            key = (name, indices, None)
        if key in self.memo:
            return self.memo[key]
        found = self.definitions.find(name, indices) if self.definitions is not None else None
        if found is not None:
            if self.depth > 64:
                raise NotNumeric(f"the definitions of {name} refer to each other without end")
            bound, rhs = found
            self.depth += 1
            try:
                value = rhs(self, bound, key[2])
            finally:
                self.depth -= 1
        else:
            self.used[key] = None
            value = self.backend.leaf(self.leaves(key))
        self.memo[key] = value
        return value


def evaluate(node: Node, run: Run) -> Any:
    """The value of a compiled expression in a run (globals bind sizes and free indices)."""
    return node(run, {}, None)
