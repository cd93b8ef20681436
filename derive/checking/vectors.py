"""Read a formula that uses a vector whole (y for the softmax vector y_k) entry by entry.

Where a section writes y_k, a bare y in a step is the whole vector. Two readings make such a
step checkable with scalars:

- the chain rule through a vector, ``dL/dy * dy/dz_k``, is the sum over the entries of y of
  ``dL/dy_j * dy_j/dz_k`` (a gradient times a column of the Jacobian);
- what is left is read at one entry: ``dL/dy`` is ``dL/dy_e``, ``dy/dz_k`` is ``dy_e/dz_k`` and a
  bare ``y`` is ``y_e``, for an index e ranging over the entries. The step then holds for every
  entry exactly when the vector equation holds.

A step whose one side is a vector and the other a number is not checked (see
:func:`shape_mismatch`).
"""

from __future__ import annotations

import sympy as sp

from derive.checking.symbols import family, index_symbol, real_bare_symbols

ENTRY_INDEX = "e_entry"  # the entry a vector equation is read at
CHAIN_INDEX = "j_chain"  # the summation index of the chain rule through a vector
ENTRY = index_symbol(ENTRY_INDEX)


def vector_names(exprs: list[sp.Expr], families: frozenset[str], plain: frozenset[str]) -> set:
    """The bare symbols that stand for a whole vector: used bare, written with an index in this
    section (``families``), and not defined as a plain name (``plain``)."""
    found = set()
    for expr in exprs:
        symbols = real_bare_symbols(expr)
        for d in expr.atoms(sp.Derivative):
            symbols |= {v for v in d.variables if isinstance(v, sp.Symbol)}
        found |= {s for s in symbols if str(s) in families and str(s) not in plain}
    return found


def entrywise(expr: sp.Expr, vectors: set, size: sp.Expr) -> sp.Expr:
    """The expression with the chain rule through each vector summed, then read at one entry."""
    if not vectors:
        return expr
    expr = expr.replace(lambda e: isinstance(e, sp.Mul), lambda e: _contract(e, vectors, size))
    member = {v: family(str(v))[ENTRY] for v in vectors}

    def at_entry(d: sp.Derivative) -> sp.Expr:
        variables = [(member.get(v, v), n) for v, n in d.variable_count]
        return sp.Derivative(_bare(d.expr, member), *variables)

    expr = expr.replace(lambda e: isinstance(e, sp.Derivative), at_entry)
    return _bare(expr, member)


def _bare(expr: sp.Expr, table: dict) -> sp.Expr:
    """xreplace of bare symbols only: the y in y_k (the family's label) stays."""
    shield = {e: sp.Dummy() for e in expr.atoms(sp.Indexed, sp.Derivative)}
    inner = expr.xreplace(shield).xreplace(table)
    return inner.xreplace({v: k for k, v in shield.items()})


def _contract(product: sp.Mul, vectors: set, size: sp.Expr) -> sp.Expr:
    """dL/dy * dy/dv -> sum_j dL/dy_j * dy_j/dv, for every such pair of factors."""
    factors = list(product.args)
    for y in vectors:
        outer = next((f for f in factors if _by(f) == y), None)
        inner = next((f for f in factors if isinstance(f, sp.Derivative) and f.expr == y), None)
        if outer is None or inner is None:
            continue
        factors.remove(outer)
        factors.remove(inner)
        j = index_symbol(CHAIN_INDEX)
        entry = family(str(y))[j]
        term = sp.Derivative(outer.expr, entry) * sp.Derivative(entry, *inner.variable_count)
        factors.append(sp.Sum(term, (j, 1, size)))
    return sp.Mul(*factors)


def _by(factor: sp.Expr) -> sp.Expr | None:
    """The variable of a first derivative by one variable."""
    if isinstance(factor, sp.Derivative) and factor.variable_count[0][1] == 1:
        if len(factor.variable_count) == 1:
            return factor.variable_count[0][0]
    return None


def shape_mismatch(left: sp.Expr, right: sp.Expr) -> bool:
    """Whether one side is read at a vector entry and the other is a number."""
    return left.has(ENTRY) != right.has(ENTRY)
