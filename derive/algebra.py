"""Small algebra moves the engine records as steps: summing out Kronecker deltas, rewriting
in stage symbols, distributing, expanding, collecting. Each returns a new expression and
leaves the verification to :mod:`derive.verify`."""

from __future__ import annotations

import sympy as sp


def _delta_on(expr: sp.Expr, index: sp.Symbol) -> sp.KroneckerDelta | None:
    """A Kronecker delta factor of expr that ties ``index`` to something else."""
    for factor in sp.Mul.make_args(expr):
        if (
            isinstance(factor, sp.KroneckerDelta)
            and index in factor.args
            and factor.args[0] != factor.args[1]
        ):
            return factor
    return None


def _distribute_deltas(summand: sp.Expr, index: sp.Symbol, prefer: frozenset) -> list[sp.Expr]:
    """Multiply out only the sums that hold a delta on the index; keep the rest as written.

    With ``prefer``, only deltas tying the index to one of those symbols count, so that a
    restriction such as (1 - delta_{k y}) stays inside the sum.
    """

    def ties(term: sp.Expr) -> bool:
        delta = _delta_on(term, index)
        return delta is not None and (not prefer or bool(set(delta.args) & prefer))

    terms = [sp.S.One]
    for factor in sp.Mul.make_args(summand):
        if isinstance(factor, sp.Add) and any(ties(a) for a in factor.args):
            terms = [t * a for t in terms for a in factor.args]
        else:
            terms = [t * factor for t in terms]
    return terms


def sift(expr: sp.Expr, prefer: frozenset = frozenset()) -> sp.Expr:
    """Sum out Kronecker deltas: sum_k f(k) delta_kj = f(j) (the sifting property).

    Terms without a delta on the index stay in a sum, with the factors that do not depend on
    the index pulled out. SymPy's own delta summation recurses forever on some hinge sums.
    """

    def collapse(s: sp.Sum) -> sp.Expr:
        if len(s.limits) != 1:  # a double sum: the innermost index first, then the rest
            inner = collapse(sp.Sum(s.function, s.limits[0]))
            if isinstance(inner, sp.Sum) and inner.limits[0] == s.limits[0]:
                return s
            return collapse(sp.Sum(inner, *s.limits[1:]))
        index = s.limits[0][0]
        if not any(index in d.args for d in s.function.atoms(sp.KroneckerDelta)):
            return s
        total = sp.S.Zero
        for term in _distribute_deltas(s.function, index, prefer):
            delta = _delta_on(term, index)
            if delta is not None:
                (other,) = [a for a in delta.args if a != index]
                total += (term / delta).xreplace({index: other})
            else:
                outside, inside = term.as_independent(index, as_Add=False)
                total += outside * sp.Sum(inside, *s.limits)
        return total

    return expr.replace(lambda e: isinstance(e, sp.Sum), collapse)


def settle(expr: sp.Expr) -> sp.Expr:
    """Evaluate what is left unevaluated (derivatives, deltas) without SymPy's Sum.doit.

    SymPy differentiates max(0, u) to Heaviside(u) with H(0) = 1/2; we use the subgradient
    1[u > 0] (H(0) = 0) throughout, so every one-argument Heaviside is given that value.
    """
    expr = expr.replace(lambda e: isinstance(e, sp.Derivative), lambda e: e.doit())
    expr = expr.replace(
        lambda e: isinstance(e, sp.Heaviside) and e.args[1:] != (0,),
        lambda e: sp.Heaviside(e.args[0], 0),
    )
    return sift(expr)


def protect_sums(expr: sp.Expr) -> tuple[sp.Expr, dict]:
    """Replace each sum by a placeholder so a rewrite cannot reach inside it."""
    table = {s: sp.Dummy("S") for s in expr.atoms(sp.Sum)}
    return expr.xreplace(table), {v: k for k, v in table.items()}


def rewrite(expr: sp.Expr, pattern: sp.Expr, result: sp.Expr) -> sp.Expr:
    """Replace ``pattern`` (with Wilds) by ``result`` everywhere outside sums."""
    shielded, restore = protect_sums(expr)
    return shielded.replace(pattern, result).xreplace(restore)


def reverse_definitions(expr: sp.Expr, definitions) -> sp.Expr:
    """Write an expression back in defined symbols: sigma(z) -> y, delta_kT -> t_k."""
    for d in definitions:
        if isinstance(d.lhs, sp.Indexed):
            wilds = {i: sp.Wild(f"w_{i}") for i in d.lhs.indices}
            pattern = d.rhs.xreplace(wilds)
            target = d.lhs.xreplace(wilds)
            expr = rewrite(expr, pattern, target)
            if isinstance(d.rhs, sp.KroneckerDelta):  # the delta is symmetric
                flipped = sp.KroneckerDelta(*reversed(d.rhs.args), evaluate=False).xreplace(wilds)
                expr = rewrite(expr, flipped, target)
        elif not d.rhs.is_Atom:
            expr = rewrite(expr, d.rhs, d.lhs)
    return expr


def forward_constants(expr: sp.Expr, definitions) -> sp.Expr:
    """Substitute definitions only where they evaluate to a number (one-hot: t_T = 1)."""

    def value(e):
        for d in definitions:
            if isinstance(d.lhs, sp.Indexed) and isinstance(e, sp.Indexed) and e.base == d.lhs.base:
                v = d.rhs.xreplace(dict(zip(d.lhs.indices, e.indices, strict=True)))
                if v.is_number:
                    return v
        return e

    return expr.replace(lambda e: isinstance(e, sp.Indexed), value)


def tidy_signs(expr: sp.Expr) -> sp.Expr:
    """Move a leading minus into a numerator sum: -(t - 1)/(1 - y) -> (1 - t)/(1 - y)."""
    terms = []
    for term in sp.Add.make_args(expr):
        numerator, denominator = sp.fraction(term)
        factors = sp.Mul.make_args(numerator)
        if len(factors) == 2 and factors[0] == -1 and isinstance(factors[1], sp.Add):
            numerator = -factors[1]
        terms.append(numerator / denominator)
    return sp.Add(*terms)
