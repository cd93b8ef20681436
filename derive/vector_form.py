"""The vector (matrix) form of a batch gradient, read off the scalar result.

For a linear score z_k = sum_j W_kj x_j the scalar result is dL/dW_kj = g_k x_j, with g_k
the derivative of the loss by the score. Averaged over N examples, entry (k, j) of the
gradient is (1/N) sum_i g_k^(i) x_j^(i), which is entry (k, j) of (1/N) G^T X. We never use
SymPy's MatrixSymbol derivatives (they silently return 0); the engine checks the matrix
product entry by entry against the derivative of the cost at concrete sizes.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixElement

from derive.context import Context
from derive.errors import DeriveError
from derive.functions import example, grad
from derive.model import Model
from derive.steps import Definition, Step
from derive.verify import per_example


@dataclass(frozen=True)
class VectorForm:
    """grad_W J = matrix, and the entry-wise equality that proves it."""

    gradient: sp.Expr
    matrix: sp.MatrixExpr
    derivative: sp.Expr
    entry: sp.Expr
    explanation: str
    matrices: dict
    where: tuple[Definition, ...] = ()


def _input_family(result: Step, parameter: sp.Indexed) -> sp.Indexed:
    inputs = [
        f
        for f in sp.Mul.make_args(result.rhs)
        if isinstance(f, sp.Indexed) and parameter.indices[-1] in f.indices
    ]
    if not inputs:
        raise DeriveError(f"the gradient {result.rhs} is not of the form g * x: no vector form")
    return inputs[0]


def _elementwise(signal: sp.Expr, class_index: sp.Symbol | None, rows, cols, context):
    """Write g as a matrix expression of per-example families (Y - T), if it is elementwise."""
    if signal.has(sp.Sum, sp.KroneckerDelta, sp.Heaviside, sp.Function):
        return None
    for term in sp.Add.make_args(sp.expand(signal)):
        _, rest = term.as_coeff_Mul()
        if not (rest.is_Symbol or isinstance(rest, sp.Indexed)):
            return None  # only a signed sum of families is a matrix expression (Y - T)
    families = {}
    for atom in signal.atoms(sp.Indexed):
        if atom.indices != (class_index,):
            return None
        families[atom] = atom.base
    plain = [
        s
        for s in signal.free_symbols
        if isinstance(s, sp.Symbol)
        and s.name not in context.shared
        and s not in {a.base.label for a in families}
        and s != class_index
    ]
    if class_index is not None and plain:
        return None
    replacements, entries = {}, {}
    for atom, base in families.items():
        name = str(base.label).upper()
        replacements[atom] = sp.MatrixSymbol(name, rows, cols)
        entries[name] = lambda r, c, base=base: example(base[c], r)
    for s in plain:
        replacements[s] = sp.MatrixSymbol(s.name, rows, cols)
        entries[s.name] = lambda r, c, s=s: example(s, r)
    try:
        matrix = signal.xreplace(replacements)
    except (TypeError, ValueError, NotImplementedError):
        return None
    if not isinstance(matrix, sp.MatrixExpr):
        return None
    return matrix, entries


def vector_form(
    model: Model, context: Context, result: Step, signal: sp.Expr, i: sp.Symbol, n: sp.Symbol
) -> VectorForm:
    """Derive grad_W J = (1/N) G^T X (or (1/N) X^T g for a single output) from the result."""
    parameter = model.parameter
    if not isinstance(parameter, sp.Indexed):
        raise DeriveError("the vector form needs an indexed parameter such as w_j or W_kj")
    x = _input_family(result, parameter)
    input_index = parameter.indices[-1]
    class_index = parameter.indices[0] if len(parameter.indices) == 2 else None
    d = context.index_bounds[input_index]
    k = context.index_bounds[class_index] if class_index is not None else sp.S.One
    X = sp.MatrixSymbol("X", n, d)
    matrices = {"X": lambda r, c: example(x.base[c], r)}
    found = _elementwise(signal, class_index, n, k, context)
    if found is not None:
        g, entries = found
        matrices.update(entries)
        where: tuple[Definition, ...] = ()
    else:
        g = sp.MatrixSymbol("G", n, k)
        matrices["G"] = lambda r, c: per_example(
            signal.xreplace({class_index: c}) if class_index is not None else signal, r, context
        )
        entry_of_g = (
            sp.IndexedBase("G")[i, class_index]
            if class_index is not None
            else sp.IndexedBase("g")[i]
        )
        where = (
            Definition(
                entry_of_g,
                per_example(signal, i, context),
                "the derivative of the loss of example i by its score",
            ),
        )
    if class_index is not None:
        matrix = sp.MatMul(1 / n, sp.Transpose(g), X)
        entry = MatrixElement(matrix, class_index - 1, input_index - 1)
    else:
        matrix = sp.MatMul(1 / n, sp.Transpose(X), g)
        entry = MatrixElement(matrix, input_index - 1, 0)
    weights = sp.MatrixSymbol(
        str(parameter.base.label),
        k if class_index is not None else d,
        d if class_index is not None else 1,
    )
    explanation = (
        "the mean over the examples of the per-example gradients, written as a matrix product"
    )
    if model.regularizer is not None:
        matrix = sp.MatAdd(matrix, _penalty_matrix(model, weights, matrices))
        entry = MatrixElement(matrix, *entry.indices)
        explanation += ", plus the gradient of the penalty"
    cost = sp.Symbol("J")
    return VectorForm(
        gradient=grad(cost, weights),
        matrix=matrix,
        derivative=sp.Derivative(cost, parameter),
        entry=entry,
        explanation=explanation,
        where=where,
        matrices=matrices,
    )


def _penalty_matrix(model: Model, weights: sp.MatrixSymbol, matrices: dict) -> sp.MatrixExpr:
    """dR/dW as a matrix: c W for a penalty whose derivative is c W_kj (the L2 penalty)."""
    from derive.algebra import sift
    from derive.calculus import differentiate

    parameter = model.parameter
    derivative = sift(
        differentiate(model.regularizer, parameter).eval(), frozenset(parameter.indices)
    )
    coefficient = sp.simplify(derivative / parameter)
    if coefficient.has(parameter.base):
        raise DeriveError(f"the penalty's gradient {derivative} is not a multiple of {parameter}")
    indices = parameter.indices
    matrices[weights.name] = (
        (lambda r, c: parameter.base[r, c])
        if len(indices) == 2
        else (lambda r, c: parameter.base[r])
    )
    return coefficient * weights
