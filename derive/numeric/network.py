"""NumPy callables of a model with several parameters (a network), built from its derivation.

The forward pass is printed from the model's stages and the backward pass from the derived
signals (dL/ds_k, dL/dh_m) and the matrix form of each gradient, into one generated function,
as :mod:`derive.numeric.compiled` does for a model with one parameter. Each derived expression
is printed for a whole batch at once: a per-example family v_k becomes an (N, K) array, a sum
over j of A_j P_jm (or P_mj A_j) a matrix product A @ P (or A @ P.T), a bias b_m a row that
broadcasts, Max(0, u) np.maximum, 1[u > 0] a comparison; a signal derived before is reused
(dL/dh_m contains dL/ds_k). The softmax and the cross-entropy of one-hot targets are computed
in their stable forms (max-shifted log-sum-exp). Each gradient is (1/N) G^T U, or the column
sums of G / N for a bias, as the verified matrix form says.

Signature: ``(params, X, labels)``, params a dict by parameter name or a tuple in the order
of the layers (for the two-layer network W1 (H, D), b1 (H,), W2 (K, H), b2 (K,)), X (N, D),
labels (N,) integers in [0, K); the gradient comes back in the structure params came in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from derive.errors import DeriveError
from derive.numeric.reference import _checked
from derive.steps import Derivation, Gradient

INPUT = "X"


def _softmax_lse(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """softmax(v) row by row and log sum exp(v), from one row maximum and one exponential."""
    top = np.maximum.reduce(v, axis=1, keepdims=True)
    e = np.exp(v - top)
    total = np.add.reduce(e, axis=1, keepdims=True)
    e /= total
    return e, top + np.log(total)


def _lse(v: np.ndarray) -> np.ndarray:
    top = np.maximum.reduce(v, axis=1, keepdims=True)
    return top + np.log(np.add.reduce(np.exp(v - top), axis=1, keepdims=True))


def _onehot(labels: np.ndarray, k: int) -> np.ndarray:
    out = np.zeros((labels.shape[0], k))
    out[np.arange(labels.shape[0]), labels] = 1.0
    return out


@dataclass
class _Printer:
    """Derived per-example expressions as NumPy source for a whole batch of rows."""

    parameters: dict[sp.IndexedBase, str]
    arrays: dict[sp.IndexedBase, str]
    known: dict[sp.Expr, str] = field(default_factory=dict)  # derived signals, by expression

    def __call__(self, expr: sp.Expr, free: sp.Symbol | None) -> str:
        """expr for every row and every value of the free index, as an (N, size) array."""
        for value, name in self.known.items():
            if expr == value:
                return name
        if expr.is_Number:
            return repr(float(expr))
        if isinstance(expr, sp.Indexed):
            return self._indexed(expr, free)
        if isinstance(expr, sp.Add):
            return self._sum(expr, free)
        if isinstance(expr, sp.Mul):
            return "(" + " * ".join(self(a, free) for a in expr.args) + ")"
        if isinstance(expr, sp.Sum):
            return self._contraction(expr, free)
        if isinstance(expr, sp.Heaviside) and expr.args[1:] == (sp.S.Zero,):
            return f"({self(expr.args[0], free)} > 0.0)"
        if isinstance(expr, sp.Max) and sp.S.Zero in expr.args and len(expr.args) == 2:
            (u,) = (a for a in expr.args if a != 0)
            return f"_maximum({self(u, free)}, 0.0)"
        raise DeriveError(f"no NumPy form for {expr} in a network callable")

    def _sum(self, expr: sp.Add, free) -> str:
        terms = sorted(expr.args, key=lambda a: a.could_extract_minus_sign())
        text = self(terms[0], free)
        for term in terms[1:]:
            if term.could_extract_minus_sign():
                text += f" - {self(-term, free)}"
            else:
                text += f" + {self(term, free)}"
        return f"({text})"

    def _indexed(self, expr: sp.Indexed, free) -> str:
        if expr.base in self.parameters and expr.indices == (free,):
            return self.parameters[expr.base]  # a bias: one row, broadcast over the examples
        if expr.base in self.arrays and expr.indices == (free,):
            return self.arrays[expr.base]
        raise DeriveError(f"no NumPy form for {expr} over the index {free}")

    def _contraction(self, expr: sp.Sum, free) -> str:
        """sum_j A_j P_{j,free} = A @ P;  sum_j P_{free,j} A_j = A @ P.T."""
        if len(expr.limits) != 1:
            raise DeriveError(f"no NumPy form for {expr}: one index at a time")
        j = expr.limits[0][0]
        weights = [
            f
            for f in sp.Mul.make_args(expr.function)
            if isinstance(f, sp.Indexed) and f.base in self.parameters and len(f.indices) == 2
        ]
        if len(weights) != 1:
            raise DeriveError(f"no NumPy form for {expr}: not a matrix product")
        (w,) = weights
        rest = sp.Mul(*(f for f in sp.Mul.make_args(expr.function) if f is not w))
        name = self.parameters[w.base]
        if w.indices == (j, free):
            return f"({self(rest, j)} @ {name})"
        if w.indices == (free, j):
            return f"({self(rest, j)} @ {name}.T)"
        raise DeriveError(f"no NumPy form for {expr}: indices {w.indices}")


def _is_softmax(expr: sp.Expr) -> sp.Indexed | None:
    """v_k when expr is e^{v_k} / sum_k' e^{v_k'}, else None."""
    numerator, denominator = expr.as_numer_denom()
    if not (isinstance(numerator, sp.exp) and isinstance(numerator.args[0], sp.Indexed)):
        return None
    v = numerator.args[0]
    if not (isinstance(denominator, sp.Sum) and isinstance(denominator.function, sp.exp)):
        return None
    inner = denominator.function.args[0]
    j = denominator.limits[0][0]
    if isinstance(inner, sp.Indexed) and inner.base == v.base and inner.indices == (j,):
        return v
    return None


def _is_cross_entropy(expr: sp.Expr, targets: sp.IndexedBase) -> sp.IndexedBase | None:
    """y when expr is -sum_k t_k log y_k with one-hot t, else None."""
    negated = -expr
    if not isinstance(negated, sp.Sum) or len(negated.limits) != 1:
        return None
    j = negated.limits[0][0]
    factors = sp.Mul.make_args(negated.function)
    logs = [f for f in factors if isinstance(f, sp.log) and isinstance(f.args[0], sp.Indexed)]
    if len(factors) == 2 and len(logs) == 1 and targets[j] in factors:
        y = logs[0].args[0]
        if y.indices == (j,):
            return y.base
    return None


def _name(base: sp.IndexedBase, prefix: str) -> str:
    name = f"{prefix}{base.label}"
    if not name.isidentifier():
        raise DeriveError(f"no NumPy name for {base.label}")
    return name


def _layer_order(derivation: Derivation) -> list[Gradient]:
    """The gradients in the order of the layers: by the first stage each parameter enters."""
    stages = derivation.model.stages

    def first_stage(g: Gradient) -> int:
        base = g.parameter.base
        return next(n for n, s in enumerate(stages) if s.expr.has(base))

    return sorted(derivation.gradients, key=first_stage)


def _one_hot_family(derivation: Derivation) -> sp.IndexedBase:
    model = derivation.model
    for d in model.assumptions:
        if isinstance(d.lhs, sp.Indexed) and d.rhs == sp.KroneckerDelta(
            d.lhs.indices[0], model.label
        ):
            return d.lhs.base
    raise DeriveError(f"the model {model.name!r} declares no one-hot targets")


def _input(model, known: set) -> tuple[sp.IndexedBase, str]:
    """The input family (x) and the bound of its index (D): indexed, but neither a stage, a
    parameter nor the targets."""
    found = {
        (a.base, str(model.index_bounds[a.indices[0]]))
        for stage in model.stages
        for a in stage.expr.atoms(sp.Indexed)
        if a.base not in known and len(a.indices) == 1
    }
    if len(found) != 1:
        raise DeriveError(f"the model {model.name!r} needs one input family for a callable")
    return found.pop()


@dataclass(frozen=True)
class Plan:
    """The generated source of a network callable and what its validation needs."""

    source: str
    names: tuple[str, ...]  # parameter names in layer order
    shapes: tuple[tuple[str, ...], ...]  # each parameter's axes, by the names of their bounds
    classes: str  # the bound of the class index (K)
    inputs: str  # the bound of the input index (D)


def _forward(model, printer: _Printer, gradient: bool) -> tuple[list[str], str, sp.IndexedBase]:
    """The stages before the loss as NumPy lines; the softmax as softmax and log-sum-exp."""
    lines: list[str] = []
    for stage in model.stages:
        if stage.symbol == model.loss:
            continue
        if not isinstance(stage.symbol, sp.Indexed) or len(stage.symbol.indices) != 1:
            raise DeriveError(f"no NumPy form for the stage {stage.symbol} of {model.name!r}")
        base, (free,) = stage.symbol.base, stage.symbol.indices
        name = _name(base, "v_")
        printer.arrays[base] = name
        scores = _is_softmax(stage.expr)
        if scores is None:
            lines.append(f"{name} = {printer(stage.expr, free)}")
            continue
        printed = printer(scores, scores.indices[0])
        lines.append(
            f"{name}, lse = _softmax_lse({printed})" if gradient else f"lse = _lse({printed})"
        )
        return lines, printed, base
    raise DeriveError(f"no NumPy form for the loss of {model.name!r}: softmax cross-entropy only")


def plan(derivation: Derivation, loss: bool, gradient: bool) -> Plan:
    """The source of ``call(params, X, labels)``: the mean loss, the gradients, or both."""
    model = derivation.model
    grads = _layer_order(derivation)
    parameters = {g.parameter.base: _name(g.parameter.base, "p_") for g in grads}
    targets = _one_hot_family(derivation)
    stages = {s.symbol.base for s in model.stages if isinstance(s.symbol, sp.Indexed)}
    x, inputs = _input(model, set(parameters) | stages | {targets})
    printer = _Printer(parameters, {x: INPUT})
    body, scores, probabilities = _forward(model, printer, gradient)
    loss_stage = next(s for s in model.stages if s.symbol == model.loss)
    if _is_cross_entropy(loss_stage.expr, targets) != probabilities:
        raise DeriveError(
            f"no NumPy form for the loss of {model.name!r}: softmax cross-entropy only"
        )
    classes = str(model.index_bounds[model.label])
    if loss:
        at_labels = f"{scores}.ravel()[_flat(labels, {classes}_)]"
        body.append(f"value = (_sum_all(lse, None) - _sum_all({at_labels})) / n")
    if gradient:
        body.append(f"t = _onehot(labels, {classes}_)")
        printer.arrays[targets] = "t"
        for g in derivation.gradients:  # in the order derived: a signal before those using it
            if g.signal not in printer.known:
                name = _name(g.score.base, "g_")
                body.append(f"{name} = {printer(g.signal, g.score.indices[0])}")
                printer.known[g.signal] = name
        for g in grads:
            signal, target = printer.known[g.signal], _name(g.parameter.base, "d_")
            if len(g.parameter.indices) == 1:
                body.append(f"{target} = _sum_rows({signal}) / n")
                continue
            column = g.parameter.indices[1]
            (u,) = (
                f
                for f in sp.Mul.make_args(g.result.rhs)
                if isinstance(f, sp.Indexed) and f.indices == (column,)
            )
            body.append(f"{target} = ({signal}.T @ {printer(u, column)}) / n")
    shapes = tuple(tuple(str(model.index_bounds[i]) for i in g.parameter.indices) for g in grads)
    sizes = sorted({s for shape in shapes for s in shape} | {classes, inputs})
    results = ["value"] if loss else []
    if gradient:
        results.append("back((" + ", ".join(_name(g.parameter.base, "d_") for g in grads) + ",))")
    unpacked = ", ".join(parameters[g.parameter.base] for g in grads)
    lines = [
        "def call(params, X, labels):",
        f"    ({unpacked},), X, labels, sizes, back = _problem(params, X, labels)",
        *(f"    {s}_ = sizes[{s!r}]" for s in sizes if any(f"{s}_" in line for line in body)),
        "    n = X.shape[0]",
        *(f"    {line}" for line in body),
        f"    return {', '.join(results)}",
    ]
    names = tuple(str(g.parameter.base.label) for g in grads)
    return Plan("\n".join(lines) + "\n", names, shapes, classes, inputs)


def _validator(p: Plan) -> Callable:
    """Checks (params, X, labels) against the plan's shapes; gives the arrays, the sizes and
    a function that puts the gradients back in the structure params came in."""

    def problem(params, X, labels):
        if isinstance(params, Mapping):
            if set(params) != set(p.names):
                wanted, got = ", ".join(p.names), ", ".join(map(str, params))
                raise ValueError(f"params must have the keys {wanted}, got {got}")
            values = [params[name] for name in p.names]
            keys = list(params)

            def back(grads):
                by_name = dict(zip(p.names, grads, strict=True))
                return {key: by_name[key] for key in keys}
        else:
            values = list(params)
            if len(values) != len(p.names):
                wanted = f"{len(p.names)} arrays ({', '.join(p.names)})"
                raise ValueError(f"params must hold {wanted}, got {len(values)}")
            back = list if isinstance(params, list) else tuple
        sizes: dict[str, int] = {}
        arrays = []
        for name, value, shape in zip(p.names, values, p.shapes, strict=True):
            array = _checked(name, value, tuple((s, sizes.get(s)) for s in shape))
            sizes.update(zip(shape, array.shape, strict=True))
            arrays.append(array)
        X = _checked(INPUT, X, (("N", None), (p.inputs, sizes.get(p.inputs))))
        sizes[p.inputs] = X.shape[1]
        labels = _checked(
            "labels", labels, (("N", X.shape[0]),), role="labels", num_classes=sizes[p.classes]
        )
        return arrays, X, labels, sizes, back

    return problem


def _flat(labels: np.ndarray, k: int) -> np.ndarray:
    """Flat indices (row * K + label) of the correct classes' scores."""
    return np.arange(labels.shape[0]) * k + labels


def network_function(derivation: Derivation, kind: str) -> Callable:
    """The loss, gradient or both ("loss", "gradient", "both") of a network's derivation."""
    p = plan(derivation, kind in ("loss", "both"), kind in ("gradient", "both"))
    namespace = {
        "_problem": _validator(p),
        "_softmax_lse": _softmax_lse,
        "_lse": _lse,
        "_onehot": _onehot,
        "_flat": _flat,
        "_maximum": np.maximum,
        "_sum_all": np.add.reduce,  # np.sum adds microseconds of Python per call
        "_sum_rows": lambda a: np.add.reduce(a, axis=0),
    }
    exec(compile(p.source, "<derive network callable>", "exec"), namespace)
    call = np.errstate(under="ignore")(namespace["call"])
    what = {
        "loss": "Mean loss",
        "gradient": "Gradients of the mean loss",
        "both": "Mean loss and its gradients",
    }
    call.__doc__ = (
        f"{what[kind]} of the {derivation.title} for (params, X, labels); params "
        f"{', '.join(p.names)} as a dict or a tuple in that order."
    )
    return call
