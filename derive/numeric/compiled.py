"""NumPy callables built from a derivation: the derived result, printed as NumPy code.

Only the scalar part is printed (the loss in terms of the scores, the derivative of the
loss by the scores), as lambdify prints it, into one generated function per callable with
the validation and the finiteness check, so that a call on a small batch runs straight-line
code; NumPy does the matrix products (S = X W^T, grad = G^T X / N), which is as fast as
hand-written NumPy. Indexed expressions become whole arrays: z_k -> the (N, K)
score matrix, z_T -> the scores of the correct classes, delta_kT -> the one-hot matrix, a
sum over classes -> a row sum. Naive exp/log overflow at |z| ~ 50, so known unstable shapes
are rewritten into stable ones first (log sigma(u) = -softplus(-u), log sum exp -> max-shifted
log-sum-exp, e^u / sum e^v = e^(u - logsumexp v)); the tests check the result against the
independent reference in :mod:`derive.numeric.reference`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np
import sympy as sp
from scipy.special import expit
from sympy.printing.numpy import NumPyPrinter

from derive.algebra import sift
from derive.calculus import differentiate
from derive.functions import sigmoid, softplus
from derive.model import Model
from derive.numeric.reference import binary_problem, multiclass_problem
from derive.verify import substitute_all

rowsum = sp.Function("rowsum")
logsumexp = sp.Function("logsumexp")
hinge = sp.Function("hinge")
step = sp.Function("step")
softmax = sp.Function("softmax")
logsumexp_gap = sp.Function("logsumexp_gap")
sumall = sp.Function("sumall")
# the parameter array itself, in the penalty's value and gradient
PARAMS = sp.Symbol("params")
ONEHOT = sp.Symbol("onehot__")
# flat indices (row * K + label) of the correct classes, for functions that read or skip them:
# one-dimensional indexing costs a third of indexing by (rows, labels)
INDEX = sp.Symbol("index__")
# logsumexp_gap of the scores when computed together with their softmax
GAP = sp.Symbol("gap__")
# the targets of a binary model, checked to be 0 or 1 by the callables
BINARY_TARGET = sp.Symbol("t")
# rows evaluated at a time: (4096, K) temporaries fit in the CPU cache, whole arrays do not
ROWS_PER_BLOCK = 8192


# Row reductions through the ufuncs' own reduce: np.sum and np.max add microseconds of
# Python per call, which is what a call on a small batch costs in all.
_row_sum = np.add.reduce
_row_max = np.maximum.reduce


def _logsumexp(v: np.ndarray) -> np.ndarray:
    top = _row_max(v, axis=-1, keepdims=True)
    return top + np.log(_row_sum(np.exp(v - top), axis=-1, keepdims=True))


def _logsumexp_gap(v: np.ndarray, v_label: np.ndarray, index) -> np.ndarray:
    """log sum_k e^(v_k - v_T) for the labels T, exact also when the label scores highest.

    The label's own term is e^0 = 1, so the sum of the others, r, gives log1p(r): no row
    maximum is needed unless some e^(v_k - v_T) overflows; then the shifted form is used.
    """
    gap = v - v_label  # z_k - z_T
    gap.put(index, -np.inf)
    others = _row_sum(np.exp(gap, out=gap), axis=-1, keepdims=True)  # may overflow to inf
    if math.isfinite(others.sum()):
        return np.log1p(others)
    return _logsumexp_gap_shifted(v, v_label, index)


def _logsumexp_gap_shifted(v: np.ndarray, v_label: np.ndarray, index) -> np.ndarray:
    """:func:`_logsumexp_gap` for gaps whose exponential overflows: shifted by the row max."""
    gap = v - v_label  # z_k - z_T
    top = _row_max(gap, axis=-1, keepdims=True)  # >= 0; 0 when the label scores highest
    gap -= top
    gap.put(index, -np.inf)  # the label's own term is e^(-top), added exactly below
    others = _row_sum(np.exp(gap, out=gap), axis=-1, keepdims=True)
    return top + np.log1p(others + np.expm1(-top))


def _softmax_and_gap(v: np.ndarray, v_label: np.ndarray, index) -> tuple[np.ndarray, np.ndarray]:
    """softmax(v) and log sum_k e^(v_k - v_T) from one row maximum and one exponential.

    With m the row maximum and e = e^(v - m): the sum without the label's term is taken
    first (that entry set to 0), so a tiny loss log1p(others + e^(v_T - m) - 1) keeps its
    relative precision when the label scores highest, as in :func:`_logsumexp_gap`.
    """
    e = v - v_label
    e.put(index, -np.inf)
    np.exp(e, out=e)  # may overflow to inf
    others = _row_sum(e, axis=-1, keepdims=True)
    if math.isfinite(others.sum()):  # no e^(v_k - v_T) overflowed: shift by v_T itself
        e.put(index, 1.0)
        e /= 1.0 + others
        return e, np.log1p(others)
    top = _row_max(v, axis=-1, keepdims=True)
    e = np.exp(v - top)
    shift = v_label - top  # <= 0
    e.put(index, 0.0)
    others = _row_sum(e, axis=-1, keepdims=True)
    own = np.exp(shift)
    e.put(index, own[:, 0])
    e /= others + own
    return e, np.log1p(others + np.expm1(shift)) - shift


def _step(u: np.ndarray, value_at_zero: float) -> np.ndarray:
    """The Heaviside step; a comparison is about 15x faster than np.heaviside."""
    result = np.greater(u, 0.0).astype(float)
    if value_at_zero:
        result += value_at_zero * np.equal(u, 0.0)
    return result


def _softmax(v: np.ndarray) -> np.ndarray:
    e = np.exp(v - _row_max(v, axis=-1, keepdims=True))
    e /= _row_sum(e, axis=-1, keepdims=True)
    return e


# 0 and 1 as read-only arrays: binary ufuncs take it without converting a Python float per call
_ZERO = np.zeros(())
_ZERO.flags.writeable = False
_ONE = np.ones(())
_ONE.flags.writeable = False

# partial objects rather than lambdas: a call on a small batch pays no Python frame
NUMPY_FUNCTIONS = {
    "rowsum": partial(_row_sum, axis=-1, keepdims=True),
    "logsumexp": _logsumexp,
    "hinge": partial(np.maximum, _ZERO),
    "step": _step,
    "sigmoid": expit,  # one pass, 1 / (1 + e^-u) without overflow warnings
    "softplus": partial(np.logaddexp, _ZERO),
    "softmax": _softmax,
    "logsumexp_gap": _logsumexp_gap,
    "sumall": partial(np.add.reduce, axis=None),
}


def _array_symbol(base: sp.IndexedBase, at_label: bool) -> sp.Symbol:
    return sp.Symbol(f"{base.label}__{'label' if at_label else 'all'}")


def arrayify(expr: sp.Expr, label: sp.Symbol | None) -> sp.Expr:
    """Indexed scalars -> whole arrays: x_k -> x__all, x_T -> x__label, delta_kT -> onehot."""
    if isinstance(expr, sp.Sum):
        return rowsum(arrayify(expr.function, label))
    if isinstance(expr, sp.Indexed):
        return _array_symbol(expr.base, expr.indices == (label,))
    if isinstance(expr, sp.KroneckerDelta):
        if label not in expr.args:
            raise ValueError(f"cannot vectorise {expr}: no class label in it")
        return ONEHOT
    if isinstance(expr, sp.Heaviside):  # lambdify's default uses the slow np.select
        value_at_zero = expr.args[1] if len(expr.args) > 1 else sp.S.Half
        argument = arrayify(expr.args[0], label)
        if argument.is_number:
            return sp.Heaviside(argument, value_at_zero)
        return step(argument, value_at_zero)
    if isinstance(expr, sp.Max) and len(expr.args) == 2 and 0 in expr.args:
        (u,) = [a for a in expr.args if a != 0]
        return hinge(arrayify(u, label))
    if expr.args:
        return expr.func(*(arrayify(a, label) for a in expr.args))
    return expr


def _stabilize(expr: sp.Expr, zero_one_targets: bool = False) -> sp.Expr:
    """Rewrite overflow-prone shapes into stable ones (each an identity, checked by tests);
    ``zero_one_targets``: the target t is 0 or 1 (checked by the callables)."""
    u, v = sp.Wild("u"), sp.Wild("v")
    expr = sp.expand_log(expr, force=True)
    expr = expr.replace(sp.log(sigmoid(u)), -softplus(-u))
    expr = expr.replace(sp.log(1 - sigmoid(u)), -softplus(u))
    expr = expr.replace(sp.log(1 + sp.exp(u)), softplus(u))  # as a model file writes them
    expr = expr.replace(1 / (1 + sp.exp(u)), sigmoid(-u))
    expr = expr.replace(lambda e: isinstance(e, sp.Mul), _sigmoid_products)
    if zero_one_targets:
        expr = expr.replace(lambda e: isinstance(e, sp.Add), _one_softplus)
    expr = expr.replace(sp.log(rowsum(sp.exp(v))), logsumexp(v))
    expr = expr.replace(sp.exp(u) * rowsum(sp.exp(v)) ** -1, sp.exp(u - logsumexp(v)))
    expr = expr.replace(sp.exp(v - logsumexp(v)), softmax(v))
    return expr.replace(lambda e: isinstance(e, sp.Add), _gap)


def _sigmoid_products(product: sp.Mul) -> sp.Expr:
    """e^u sigma(-u) -> sigma(u): the same number, without e^u's overflow."""
    factors = list(product.args)
    for factor in factors:
        if isinstance(factor, sp.exp):
            partner = sigmoid(-factor.args[0])
            if partner in factors:
                rest = [f for f in factors if f is not factor and f != partner]
                return sp.Mul(sigmoid(factor.args[0]), *rest)
    return product


def _one_softplus(total: sp.Add) -> sp.Expr:
    """t softplus(-u) + (1 - t) softplus(u) -> softplus((1 - 2t) u): one logaddexp, exact.

    An identity for the binary targets t in {0, 1} that the callables accept (and check).
    """
    t = BINARY_TARGET
    terms = list(total.args)
    for term in terms:
        coefficient, rest = term.as_independent(softplus, as_Add=False)
        if coefficient == t and isinstance(rest, softplus):
            other = (1 - t) * softplus(-rest.args[0])
            if other in terms:
                left = [x for x in terms if x is not term and x != other]
                return sp.Add(softplus(-rest.args[0] * (1 - 2 * t)), *left)
    return total


def _gap(total: sp.Add) -> sp.Expr:
    """logsumexp(z) - z_T -> log sum_k e^(z_k - z_T), exact also when it is tiny (z_T largest)."""
    terms = list(total.args)
    for term in terms:
        if isinstance(term, logsumexp) and isinstance(term.args[0], sp.Symbol):
            name = term.args[0].name
            own = -sp.Symbol(name.replace("__all", "__label"))
            if name.endswith("__all") and own in terms:
                rest = [t for t in terms if t is not term and t != own]
                return sp.Add(logsumexp_gap(term.args[0], -own, INDEX), *rest)
    return total


@dataclass(frozen=True)
class _Family:
    """One activation stage as arrays: its name, its expression in the arrays it reads (None
    for the fused softmax of :func:`_softmax_and_gap`) and the names it reads."""

    name: str
    expr: sp.Expr | None
    args: tuple[str, ...]
    extra: str | None = None  # the fused function also returns a second value, read by this name


@dataclass(frozen=True)
class _Plan:
    """From the scores to the loss and/or the gradient signal, evaluating only what is read.

    ``parts`` are the terms of the per-example loss first (when wanted: the ``whole`` terms
    are arrays summed entirely, the ``rows`` terms one value per example), then the gradient
    signal G = dL/dscores, either whole or as (rest, b) with G = rest + onehot * b, b being
    added at the labels only (``split``).
    """

    families: tuple[_Family, ...]
    parts: tuple[sp.Expr, ...]
    wanted: frozenset[str]
    loss: bool
    gradient: bool
    split: bool
    whole: int = 0
    rows: int = 0
    constant: float = 0.0  # the per-example loss's constant term, added N times
    offset: sp.Expr = sp.S.Zero  # added to every score: a model file's bias b in w^T x + b


def _names(expr: sp.Expr | sp.Tuple) -> tuple[str, ...]:
    return tuple(sorted(s.name for s in expr.free_symbols))


def _stage_families(model: Model) -> list[tuple[sp.Expr, sp.Expr]]:
    """The stages strictly between the score and the loss, lowest first (the activations)."""
    score = model.chain[-2]
    between = []
    for stage in model.stages:
        if stage.symbol == model.loss:
            continue
        same = (
            isinstance(stage.symbol, sp.Indexed)
            and isinstance(score, sp.Indexed)
            and stage.symbol.base == score.base
        ) or stage.symbol == score
        if not same:
            between.append((stage.symbol, stage.expr))
    return between


def _family_name(symbol: sp.Expr) -> str:
    return str(symbol.base.label if isinstance(symbol, sp.Indexed) else symbol)


def _reads(args: tuple[str, ...]) -> set[str]:
    """The family names behind argument names (z__all and z__label are both family z)."""
    return {a.rsplit("__", 1)[0] if a.endswith(("__all", "__label")) else a for a in args}


def _plan(model: Model, loss: sp.Expr | None, signal: sp.Expr | None) -> _Plan:
    label = model.label
    zero_one = model.targets is not None and set(model.targets) <= {0.0, 1.0}
    stabilize = partial(_stabilize, zero_one_targets=zero_one)
    parts: list[sp.Expr] = []
    whole: list[sp.Expr] = []
    rows: list[sp.Expr] = []
    constant = 0.0
    if loss is not None:
        whole, rows = _loss_terms(
            stabilize(arrayify(sift(substitute_all(loss, model.assumptions)), label))
        )
        numbers = [term for term in rows if term.is_number]
        rows = [term for term in rows if not term.is_number]
        constant = float(sum(numbers, sp.S.Zero))
        parts.extend(whole + rows)
    split = False
    if signal is not None:
        final = stabilize(arrayify(sift(substitute_all(signal, model.assumptions)), label))
        rest, at_label = _split_onehot(final)
        split = at_label is not None
        parts.extend((rest, at_label) if split else (final,))
    stages = [
        (_family_name(symbol), stabilize(arrayify(sift(definition), label)))
        for symbol, definition in _stage_families(model)
    ]
    parts, fused = _fuse_softmax(parts, stages, _family_name(model.chain[-2]))
    compiled = []
    for name, expr in stages:
        if name == fused:
            args = tuple(a.name for a in _gap_args(_family_name(model.chain[-2])))
            compiled.append(_Family(name, None, args, GAP.name))
        else:
            compiled.append(_Family(name, expr, _names(expr)))
    # walk down from the final expression: a stage nothing reads is never evaluated
    final_args = _names(sp.Tuple(*parts))
    needed, wanted = _reads(final_args), set(final_args)
    families = []
    for family in reversed(compiled):
        if family.name in needed or family.extra in needed:
            families.append(family)
            needed |= _reads(family.args)
            wanted |= set(family.args)
    return _Plan(
        tuple(reversed(families)),
        tuple(parts),
        frozenset(wanted),
        loss is not None,
        signal is not None,
        split,
        len(whole),
        len(rows),
        constant,
        _score_offset(model),
    )


def _score_offset(model: Model) -> sp.Expr:
    """What the score adds to the linear w^T x (its terms without a sum): 0 for the built-ins,
    the bias b of a model file's z = w^T x + b."""
    score = model.chain[-2]
    base = score.base if isinstance(score, sp.Indexed) else score
    for stage in model.stages:
        symbol = stage.symbol.base if isinstance(stage.symbol, sp.Indexed) else stage.symbol
        if symbol == base:
            return sp.Add(*(a for a in sp.Add.make_args(stage.expr) if not a.has(sp.Sum)))
    return sp.S.Zero


def _gap_args(score: str) -> tuple[sp.Symbol, sp.Symbol, sp.Symbol]:
    """The arguments of logsumexp_gap of the scores: z__all, z__label, the label index."""
    return sp.Symbol(f"{score}__all"), sp.Symbol(f"{score}__label"), INDEX


def _fuse_softmax(
    parts: list[sp.Expr], stages: list[tuple[str, sp.Expr]], score: str
) -> tuple[list[sp.Expr], str | None]:
    """Loss and gradient of softmax together share one pass: when a stage is the softmax of
    the scores and the loss reads logsumexp_gap of the same scores, both come from
    :func:`_softmax_and_gap` (one row maximum, one exponential instead of two of each)."""
    gap = logsumexp_gap(*_gap_args(score))
    if not any(p.has(gap) for p in parts):
        return parts, None
    for name, expr in stages:
        if expr == softmax(sp.Symbol(f"{score}__all")):
            return [p.xreplace({gap: GAP}) for p in parts], name
    return parts, None


def _loss_terms(expr: sp.Expr) -> tuple[list[sp.Expr], list[sp.Expr]]:
    """The per-example loss as terms to sum: c * rowsum(u) becomes c * u, summed over the
    whole array at once (one reduction instead of a row sum and then a total); the other
    terms stay one value per example."""
    whole, rows = [], []
    for term in expr.args if isinstance(expr, sp.Add) else (expr,):
        factor, rest = term.as_independent(rowsum, as_Add=False)
        if isinstance(rest, rowsum) and factor.is_number and rest.args[0].free_symbols:
            whole.append(factor * rest.args[0])
        else:
            rows.append(term)
    return whole, rows


REDUCTIONS = (rowsum, logsumexp, logsumexp_gap, softmax)


def _at_label(expr: sp.Expr) -> sp.Expr:
    """An array expression read at the label only: x__all -> x__label outside row reductions."""
    if isinstance(expr, sp.Symbol) and expr.name.endswith("__all"):
        return sp.Symbol(expr.name.replace("__all", "__label"))
    if isinstance(expr, REDUCTIONS) or not expr.args:
        return expr
    result = expr.func(*(_at_label(a) for a in expr.args))
    if isinstance(result, step) and result.args[0].is_number:  # step(z_T - z_T + 1) = 1
        return sp.Heaviside(*result.args)
    return result


def _split_onehot(expr: sp.Expr) -> tuple[sp.Expr, sp.Expr | None]:
    """target = rest + onehot * b: compute rest everywhere and add b at the labels only.

    Multiplying whole arrays by a one-hot matrix costs several passes; adding b(label) at
    one entry per row costs almost nothing (y - onehot becomes y, then y[label] -= 1).
    """
    if ONEHOT not in expr.free_symbols:
        return expr, None
    expanded = sp.expand(expr.replace(lambda e: e.is_Pow and e.base == ONEHOT, lambda e: ONEHOT))
    parts = sp.collect(expanded, ONEHOT, evaluate=False)
    if set(parts) - {ONEHOT, sp.S.One} or ONEHOT not in parts:
        return expr, None
    rest, coefficient = parts.get(sp.S.One, sp.S.Zero), parts[ONEHOT]
    if ONEHOT in rest.free_symbols or ONEHOT in coefficient.free_symbols:
        return expr, None
    return rest, _at_label(coefficient)


def _loss_expression(model: Model) -> sp.Expr:
    """The loss written in the scores: stages substituted, one-hot targets summed out."""
    score = model.chain[-2]
    keep = frozenset({score.base if isinstance(score, sp.Indexed) else score})
    loss = next(s.expr for s in model.stages if s.symbol == model.loss)
    expr = sift(substitute_all(loss, model.assumptions))
    expr = substitute_all(expr, tuple(s.definition() for s in model.stages), keep)
    return sift(expr)


def _full(value, shape: tuple[int, ...]) -> np.ndarray:
    """The value as a contiguous array of the given shape (BLAS is slow on broadcast views)."""
    if type(value) is np.ndarray and value.shape == shape and value.dtype == np.float64:
        return value
    value = np.asarray(value, dtype=float)
    return value if value.shape == shape else np.ascontiguousarray(np.broadcast_to(value, shape))


def _loss_sum(value, rows: int) -> float:
    """The sum over the examples of a per-example loss (a scalar, (N,), (N, 1) or (N, K))."""
    if type(value) is not np.ndarray:
        value = np.asarray(value, dtype=float)
    if value.ndim == 2 and value.shape[1] != 1:
        value = value[:, 0]
    return float(value.sum()) if value.ndim else float(value) * rows


def _column(value):
    """Values to add at the labels, one per row: (N, 1) -> (N,); scalars and (N,) as they are."""
    return value[:, 0] if type(value) is np.ndarray and value.ndim == 2 else value


def _onehot(scores: np.ndarray, flat: np.ndarray) -> np.ndarray:
    onehot = np.zeros_like(scores)
    onehot.put(flat, 1.0)
    return onehot


def _add_at_labels(value: np.ndarray, flat: np.ndarray, extra) -> np.ndarray:
    """value with extra added at the labels; value is copied first unless it is ours to
    change (writable and contiguous, so that its flat view is the array itself)."""
    if not (value.flags.writeable and value.flags.c_contiguous):
        value = np.array(value, order="C")
    value.reshape(-1)[flat] += _column(extra)
    return value


class _Printer(NumPyPrinter):
    """NumPy source of array expressions, as lambdify prints them, except that a sum does not
    start with a minus sign when a term without one can go first: y - t is one pass, -t + y
    two. The other terms keep their order, which decides the rounding: s - s_T + 1 is exactly
    1 at the label, s + 1 - s_T need not be."""

    def _as_ordered_terms(self, expr, order=None):
        terms = super()._as_ordered_terms(expr, order=order)
        if terms and terms[0].could_extract_minus_sign():
            for i, term in enumerate(terms):
                if not term.could_extract_minus_sign():
                    return [term, *terms[:i], *terms[i + 1 :]]
        return terms


PRINTER = _Printer(
    {
        "fully_qualified_modules": False,
        "inline": True,
        "allow_unknown_functions": True,
        "user_functions": {name: name for name in NUMPY_FUNCTIONS},
    }
)


def _whole_array(expr: sp.Expr, binary: bool) -> bool:
    """Whether the NumPy value of an array expression has the scores' shape and float64 type
    (every array of a binary model does; a multiclass row reduction or label column does not)."""
    if binary:
        return bool(expr.free_symbols)
    if isinstance(expr, sp.Symbol):
        return expr.name.endswith("__all") or expr == ONEHOT
    if isinstance(expr, (rowsum, logsumexp, logsumexp_gap)):
        return False
    return any(_whole_array(a, binary) for a in expr.args)


def _reads_arrays(expr: sp.Expr) -> bool:
    """Whether a multiclass expression reads the arrays (not only numbers and constants)."""
    return any(
        s.name.endswith(("__all", "__label")) or s in (ONEHOT, GAP, INDEX)
        for s in expr.free_symbols
    )


def _at_labels_line(signal: sp.Expr, extra: sp.Expr, source: str) -> str:
    """g += onehot * extra, one entry per row. A whole-array signal is a new C-contiguous
    array of ours (computed elementwise from the scores, which matmul returns C-contiguous),
    so its flat view is itself, and an extra at the labels is a number or one column."""
    if _whole_array(signal, False) and not _whole_array(extra, False):
        column = f"({source})[:, 0]" if _reads_arrays(extra) else source
        return f"g.ravel()[flat] += {column}"
    return f"g = _add_at_labels(g, flat, {source})"


def _block_lines(
    plan: _Plan, score: str, binary: bool, constants: dict[str, str] | None = None
) -> list[str]:
    """Statements of one block of rows: scores, the stages needed, the final expressions, the
    backward product; they leave the summed loss in ``total``, the summed gradient in ``grad``
    (each None when not wanted) and the sum of the scores in ``check``. The expressions are
    printed inline (common parts once); variable names are numbered, never the model's."""
    names: dict[str, str] = {}
    shared = sp.numbered_symbols("c")

    def var(name: str) -> str:
        return names.setdefault(name, f"a{len(names)}")

    def _renamed(e: sp.Expr) -> sp.Expr:
        return e.xreplace({s: sp.Symbol(var(s.name)) for s in e.free_symbols})

    def printed(exprs: list[sp.Expr]) -> list[str]:
        """Source of the expressions, after the lines that compute their common parts."""
        renamed = [_renamed(e) for e in exprs]
        common, reduced = sp.cse(renamed, symbols=shared)
        lines.extend(f"{symbol} = {PRINTER.doprint(e)}" for symbol, e in common)
        return [PRINTER.doprint(e) for e in reduced]

    def whole_array(expr: sp.Expr, source: str) -> str:
        return source if _whole_array(expr, binary) else f"_full({source}, {scores}.shape)"

    wanted = plan.wanted
    lines: list[str] = []
    names.update(constants or {})  # hyperparameters by their keywords, K by the row length
    offset = f" + {PRINTER.doprint(_renamed(plan.offset))}" if plan.offset != 0 else ""
    if binary:
        scores = var(score)
        lines.append(f"{scores} = X @ params{offset}")
        names[BINARY_TARGET.name] = "target"
    else:
        scores = var(f"{score}__all")
        lines.append(f"{scores} = X @ params.T{offset}")
        lines.append(f"n, k = {scores}.shape")
        lines.append("flat = _arange(0, n * k, k) + target")
        if f"{score}__label" in wanted:
            lines.append(f"{var(score + '__label')} = {scores}.take(flat)[:, None]")
        if INDEX.name in wanted:
            lines.append(f"{var(INDEX.name)} = flat")
        if ONEHOT.name in wanted:
            lines.append(f"{var(ONEHOT.name)} = _onehot({scores}, flat)")
    if not plan.gradient:
        # finite exactly when the parameters and X are (0 * nan and 0 * inf are nan)
        lines.append(f"check = _sum_all({scores}, None)")
    for family in plan.families:
        whole = family.name if binary else f"{family.name}__all"
        if family.expr is None:
            call = f"_softmax_and_gap({', '.join(var(a) for a in family.args)})"
            lines.append(f"{var(whole)}, {var(family.extra)} = {call}")
        else:
            (source,) = printed([family.expr])
            lines.append(f"{var(whole)} = {whole_array(family.expr, source)}")
        if not binary and f"{family.name}__label" in wanted:
            lines.append(f"{var(family.name + '__label')} = {var(whole)}.take(flat)[:, None]")
    parts = printed(list(plan.parts))
    sums = [f"{plan.constant!r} * {scores}.shape[0]"] if plan.constant else []
    sums += [f"_sum_all({parts[i]}, None)" for i in range(plan.whole)]
    rows = slice(plan.whole, plan.whole + plan.rows)
    for expr, source in zip(plan.parts[rows], parts[rows], strict=True):
        one_per_row = binary or not _whole_array(expr, binary)  # (N,) or (N, 1)
        sums.append(f"_sum_all({source}, None)" if one_per_row else f"_loss_sum({source}, n)")
    lines.append("total = " + ((" + ".join(sums) or "0.0") if plan.loss else "None"))
    if plan.gradient:
        signal = plan.whole + plan.rows
        lines.append(f"g = {whole_array(plan.parts[signal], parts[signal])}")
        if plan.split:
            lines.append(_at_labels_line(plan.parts[signal], plan.parts[-1], parts[-1]))
        lines.append("grad = " + ("X.T @ g" if binary else "g.T @ X"))
        # as the sum of the scores, but cheaper: with g finite (it is for finite scores),
        # sum(scores * g) is not finite exactly when some score is not (inf * 0 is nan)
        lines.append(f"check = _vdot({scores}, g)")
    else:
        lines.append("grad = None")
    return lines


# The fast validation of (params, X, target): plain float64 arrays (int labels) of matching,
# non-empty shapes pass with a few attribute reads. The concatenated shapes also fix the
# numbers of axes once params and X have theirs. Negative labels become huge when read as
# unsigned, so one maximum checks both ends of the label range.
FAST_CHECK = {
    True: (
        "type(params) is _ndarray and type(X) is _ndarray and type(target) is _ndarray"
        " and params.dtype is X.dtype is target.dtype is _FLOAT"
        " and params.ndim == 1 and X.ndim == 2"
        " and target.shape + params.shape == X.shape and X.size"
    ),
    False: (
        "type(params) is _ndarray and type(X) is _ndarray and type(target) is _ndarray"
        " and params.dtype is X.dtype is _FLOAT and target.dtype is _INDEX"
        " and params.ndim == 2 and X.ndim == 2"
        " and target.shape + params.shape[1:] == X.shape and X.size and params.size"
        " and _max_of(target.view(_UINDEX)) < params.shape[0]"
    ),
}


@dataclass(frozen=True)
class _Extras:
    """What a model adds around the rows: keyword hyperparameters (keyword, default, the
    test that a float passes), the fast test of the targets, the penalty's value and
    gradient (NumPy source reading ``params`` and the keywords)."""

    keywords: tuple[tuple[str, float, str], ...] = ()
    target_test: str | None = None
    penalty: str | None = None
    penalty_gradient: str | None = None


def _callable_source(
    plan: _Plan,
    score: str,
    binary: bool,
    extras: _Extras = _Extras(),
    constants: dict[str, str] | None = None,
) -> str:
    """Python source of the whole callable: validation, one block inline when the batch fits
    (a call on a small batch runs straight-line code, without dictionaries, loops or nested
    calls), the finiteness check, the mean and the penalty."""
    body = _block_lines(plan, score, binary, constants)
    passed = "".join(f", {keyword}" for keyword, _, _ in extras.keywords)
    options = "".join(f", {keyword}={default!r}" for keyword, default, _ in extras.keywords)
    lines = [
        f"def block(params, X, target{passed}):",
        *(f"    {line}" for line in body),
        "    return total, grad, check",
        "",
        "",
        f"def call(params, X, target{', *' if options else ''}{options}):",
    ]
    for keyword, _, test in extras.keywords:  # a float in range passes with one comparison
        lines += [
            f"    if not (type({keyword}) is _float and {test}):",
            f"        {keyword} = _hyperparameter[{keyword!r}]({keyword})",
        ]
    lines += [
        f"    if not ({FAST_CHECK[binary]}):",
        "        params, X, target = _problem(params, X, target, finite=False)",
    ]
    if extras.target_test:
        lines += [
            f"    elif {extras.target_test}:",
            "        params, X, target = _problem(params, X, target, finite=False)",
        ]
    lines += [
        "    n = X.shape[0]",
        "    if n > _ROWS:",
        f"        total, grad, check = _blocks(block, params, X, target{passed})",
        "    else:",
        *(f"        {line}" for line in body),
        # a non-finite check sum means non-finite input: the full validation says which;
        # should finite entries overflow the sum, it finds nothing wrong and the result stands
        f"    if not _isfinite({'total + check' if plan.loss else 'check'}):",
        "        _problem(params, X, target)",
    ]
    if plan.gradient:
        lines.append("    grad /= n")
        if extras.penalty_gradient:
            lines.append(f"    grad += {extras.penalty_gradient}")
    value = "_float(total) / n"
    if extras.penalty:
        value += f" + {extras.penalty}"
    result = {
        (True, False): value,
        (False, True): "grad",
        (True, True): f"{value}, grad",
    }
    lines.append(f"    return {result[plan.loss, plan.gradient]}")
    return "\n".join(lines) + "\n"


def _blocks(block: Callable, params: np.ndarray, X: np.ndarray, target: np.ndarray, *extra):
    """The (summed loss, summed gradient, check sum) of a large batch, block by block of rows
    so that temporaries stay in the CPU cache."""
    n = X.shape[0]
    total, grad, check = block(params, X[:ROWS_PER_BLOCK], target[:ROWS_PER_BLOCK], *extra)
    for start in range(ROWS_PER_BLOCK, n, ROWS_PER_BLOCK):
        rows = slice(start, start + ROWS_PER_BLOCK)
        part, part_grad, part_check = block(params, X[rows], target[rows], *extra)
        check += part_check
        if total is not None:
            total += part
        if grad is not None:
            grad += part_grad
    return total, grad, check


def _constants(model: Model) -> dict[str, str]:
    """Source names of the model's constants: each hyperparameter is its keyword, and the
    number of classes K of a multiclass model is the row length k of the scores."""
    names = {str(h.symbol): h.keyword for h in model.hyperparameters}
    if model.label is not None and model.label in model.index_bounds:
        names[str(model.index_bounds[model.label])] = "k"
    return names


def _range_test(
    keyword: str, low: float, high: float, low_open: bool, high_open: bool = False
) -> str:
    """A comparison that a float in the allowed range passes and nan fails."""
    lower = "-_INF" if low == -math.inf else repr(low)
    upper = "_INF" if high == math.inf else repr(high)
    comparison = "<" if low_open or low == -math.inf else "<="
    upper_comparison = "<" if high_open or high == math.inf else "<="
    return f"{lower} {comparison} {keyword} {upper_comparison} {upper}"


def _target_test(model: Model) -> str | None:
    """A fast test that is true when some target is not one the model takes: (t - a)(t - b)
    is zero exactly at a and b, also next to them (no underflow); nan makes it true too."""
    if model.targets is not None:
        if tuple(model.targets) == (0.0, 1.0):
            return "_count_nonzero(target * (target - _ONE))"
        product = " * ".join(f"(target - {value!r})" for value in model.targets)
        return f"_count_nonzero({product})"
    if model.nonnegative_targets:
        return "not _min_of(target) >= 0.0"
    return None


def _penalty(model: Model) -> tuple[str | None, str | None]:
    """The penalty R(params) and its gradient c * params as NumPy source, from the model's
    regulariser and its derivative (the rule tree's, deltas summed out): sums over the
    parameter's indices become one sum over the whole array."""
    if model.regularizer is None:
        return None, None
    parameter = model.parameter
    base = parameter.base

    def arrays(expr: sp.Expr) -> sp.Expr:
        if isinstance(expr, sp.Sum):
            return sumall(arrays(expr.function))
        if isinstance(expr, sp.Indexed) and expr.base == base:
            return PARAMS
        return expr.func(*(arrays(a) for a in expr.args)) if expr.args else expr

    derivative = sift(
        differentiate(model.regularizer, parameter).eval(), frozenset(parameter.indices)
    )
    coefficient = sp.simplify(derivative / parameter)
    if coefficient.has(base):
        raise ValueError(f"the penalty's gradient {derivative} is not a multiple of {parameter}")
    keywords = {h.symbol: sp.Symbol(h.keyword) for h in model.hyperparameters}
    value = arrays(model.regularizer).xreplace(keywords)
    gradient = (coefficient * PARAMS).xreplace(keywords)
    return PRINTER.doprint(value), PRINTER.doprint(gradient)


def _extras(model: Model) -> _Extras:
    penalty, penalty_gradient = _penalty(model)
    keywords = tuple(
        (
            h.keyword,
            float(h.default),
            _range_test(h.keyword, h.low, h.high, h.low_open, h.high_open),
        )
        for h in model.hyperparameters
    )
    return _Extras(keywords, _target_test(model), penalty, penalty_gradient)


def _binary(model: Model) -> bool:
    return model.label is None


def _namespace(model: Model) -> dict:
    """The names the generated source reads: NumPy's and :data:`NUMPY_FUNCTIONS`, bound as
    lambdify binds them for the printed expressions, and ours, which start with _."""
    namespace = dict(sp.lambdify((), 0, modules=[NUMPY_FUNCTIONS, "numpy"]).__globals__)
    namespace.update(
        _ndarray=np.ndarray,
        _FLOAT=np.dtype(np.float64),
        _INDEX=np.dtype(np.intp),
        _UINDEX=np.dtype(np.uintp),
        _ROWS=ROWS_PER_BLOCK,
        _max_of=np.maximum.reduce,
        _count_nonzero=np.count_nonzero,
        _ONE=_ONE,
        _isfinite=math.isfinite,
        _float=float,
        _problem=(
            partial(binary_problem, targets=model.targets, nonnegative=model.nonnegative_targets)
            if _binary(model)
            else multiclass_problem
        ),
        _min_of=np.minimum.reduce,
        _INF=math.inf,
        _hyperparameter={h.keyword: h.checked for h in model.hyperparameters},
        _blocks=_blocks,
        _arange=np.arange,
        _full=_full,
        _loss_sum=_loss_sum,
        _vdot=np.vdot,
        _sum_all=np.add.reduce,  # with axis None; np.sum adds microseconds of Python
        _onehot=_onehot,
        _add_at_labels=_add_at_labels,
        _softmax_and_gap=_softmax_and_gap,
    )
    return namespace


def _callable(model: Model, loss: sp.Expr | None, signal: sp.Expr | None) -> Callable:
    """The generated callable of :func:`_callable_source`, with floating-point warnings off:
    exp(-1e4) = 0 is the rounded answer, an overflowing fast path falls back to a shifted
    one, and non-finite input is reported from the result."""
    binary = _binary(model)
    namespace = _namespace(model)
    source = _callable_source(
        _plan(model, loss, signal),
        _family_name(model.chain[-2]),
        binary,
        _extras(model),
        _constants(model),
    )
    exec(compile(source, "<derive callable>", "exec"), namespace)
    return np.errstate(under="ignore", invalid="ignore", over="ignore")(namespace["call"])


def _signature(model: Model) -> str:
    options = "".join(f", {h.keyword}={h.default!r}" for h in model.hyperparameters)
    options = f", *{options}" if options else ""
    return f"(w, X, t{options})" if _binary(model) else f"(W, X, labels{options})"


def loss_function(model: Model) -> Callable:
    """(w, X, t) -> mean loss, or (W, X, labels) -> mean loss, from the model's stages."""
    loss = _callable(model, _loss_expression(model), None)
    loss.__doc__ = f"Mean {model.title} loss over the examples {_signature(model)}."
    return loss


def gradient_function(model: Model, signal: sp.Expr) -> Callable:
    """The gradient of the mean loss: G = dL/dscores printed, then X^T G / N or G^T X / N."""
    gradient = _callable(model, None, signal)
    gradient.__doc__ = f"Gradient of the mean {model.title} loss {_signature(model)}."
    return gradient


def value_and_grad_function(model: Model, signal: sp.Expr) -> Callable:
    """(params, X, target) -> (mean loss, its gradient), both from one pass over the data:
    what an optimiser such as scipy.optimize.minimize(..., jac=True) calls."""
    both = _callable(model, _loss_expression(model), signal)
    both.__doc__ = f"Mean {model.title} loss and its gradient {_signature(model)}, in one pass."
    return both
