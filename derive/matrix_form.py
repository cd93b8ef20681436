"""The matrix form of one parameter's batch gradient in a model with several parameters.

For a parameter P_rc that enters through a score v_r (dL/dP_rc = g_r u_c, with g_r = dL/dv_r
and u_c the input of the layer), entry (r, c) of the mean gradient is (1/N) sum_i
g_r^(i) u_c^(i), which is entry (r, c) of (1/N) G^T U; for a bias P_r (dL/dP_r = g_r) it is
(1/N) G^T 1, with 1 the column of N ones. G is written with the model's families when it is
elementwise (Y - T), else it is a named matrix defined entry by entry. As for one parameter
(:mod:`derive.vector_form`), the engine checks the product entry by entry against the
derivative of the cost at concrete sizes; SymPy's MatrixSymbol derivatives are never used.
"""

from __future__ import annotations

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixElement

from derive.context import Context
from derive.errors import DeriveError
from derive.functions import example, grad
from derive.printing import latex
from derive.steps import Definition, Step
from derive.vector_form import VectorForm, _elementwise
from derive.verify import per_example

ERROR_MATRIX = "Delta"
"""The name of a layer's error matrix when it is not elementwise in the model's families."""
ONES = "1"


def _family(expr: sp.Indexed) -> str:
    return str(expr.base.label)


def _layer_input(result: Step, column: sp.Symbol) -> sp.Indexed:
    """u_c in dL/dP_rc = g_r u_c: the per-example factor that carries the column index."""
    found = [
        f for f in sp.Mul.make_args(result.rhs) if isinstance(f, sp.Indexed) and column in f.indices
    ]
    if not found:
        raise DeriveError(f"the gradient {result.rhs} is not of the form g * u: no matrix form")
    return found[0]


def _error_matrix(signal: sp.Expr, row: sp.Symbol, n, size, context: Context, i: sp.Symbol, score):
    """G as a matrix expression (Y - T), or a named matrix with its entries defined."""
    found = _elementwise(signal, row, n, size, context)
    if found is not None:
        matrix, entries = found
        return matrix, entries, ()
    name = ERROR_MATRIX
    entries = {name: lambda r, c: per_example(signal.xreplace({row: c}), r, context)}
    where = (
        Definition(
            sp.IndexedBase(name)[i, row],
            per_example(signal, i, context),
            f"the error backpropagated to ${latex(score)}$: "
            rf"$\partial \mathcal{{L}} / \partial {latex(score)}$ for example $i$",
        ),
    )
    return sp.MatrixSymbol(name, n, size), entries, where


def matrix_form(
    context: Context,
    result: Step,
    parameter: sp.Indexed,
    score: sp.Expr,
    signal: sp.Expr,
    i: sp.Symbol,
    n: sp.Expr,
) -> VectorForm:
    """grad_P J = (1/N) G^T U for a weight matrix, (1/N) G^T 1 for a bias vector."""
    if not isinstance(parameter, sp.Indexed) or len(parameter.indices) not in (1, 2):
        raise DeriveError(f"no matrix form for the parameter {parameter}: index it as P_r or P_rc")
    row = parameter.indices[0]
    rows = context.index_bounds[row]
    g, matrices, where = _error_matrix(signal, row, n, rows, context, i, score)
    matrices = dict(matrices)
    if len(parameter.indices) == 2:
        column = parameter.indices[1]
        columns = context.index_bounds[column]
        u = _layer_input(result, column)
        name = _family(u).upper()
        right = sp.MatrixSymbol(name, n, columns)
        matrices[name] = lambda r, c, base=u.base: example(base[c], r)
        matrix = sp.MatMul(1 / n, sp.Transpose(g), right)
        entry = MatrixElement(matrix, row - 1, column - 1)
        explanation = "the mean over the examples of the per-example gradients, a matrix product"
    else:
        columns = sp.S.One
        right = sp.MatrixSymbol(ONES, n, 1)
        matrices[ONES] = lambda r, c: sp.S.One
        matrix = sp.MatMul(1 / n, sp.Transpose(g), right)
        entry = MatrixElement(matrix, row - 1, 0)
        explanation = (
            "the mean over the examples of the per-example gradients: the errors summed over "
            "the examples, a product with a column of ones"
        )
    weights = sp.MatrixSymbol(_family(parameter), rows, columns)
    cost = sp.Symbol("J")
    return VectorForm(
        gradient=grad(cost, weights),
        matrix=matrix,
        derivative=sp.Derivative(cost, parameter),
        entry=entry,
        explanation=explanation,
        matrices=matrices,
        where=where,
    )
