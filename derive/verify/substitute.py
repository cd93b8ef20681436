"""Definitions and derivatives: substitute what a step defines, evaluate what it differentiates.

A proof or a numeric check first turns every unevaluated derivative df/dv into its value
(:func:`evaluate_derivatives`), substituting the definitions that f passes through, one level
at a time (:func:`substitute_once`), and keeping the family of v whole. Verified derivatives
(``context.facts``) are reused instead of differentiating a whole composition again. Where v
enters f through a single stage u (W1 only through h), df/dv is found as the sum over u's
members of df/du du/dv (:func:`through_parent`): the chain rule applied by the verifier to the
definitions, so that the loss is never written out down to v (max(0, b1 + W1 x) inside the
softmax). Stages that cannot reach v are kept whole (:func:`independent_families`).
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

import sympy as sp

from derive.algebra import settle
from derive.context import Context
from derive.functions import example
from derive.steps import Case, Definition


def base_key(expr: sp.Basic) -> sp.Basic:
    """The family a variable belongs to: y_T and y_k are both members of y."""
    if isinstance(expr, sp.Indexed):
        return expr.base
    if isinstance(expr, example):
        return base_key(expr.args[0])
    return expr


def per_example(expr: sp.Expr, i: sp.Expr, context: Context) -> sp.Expr:
    """The value of expr for training example i: wrap each per-example variable in example()."""
    fixed = set(context.index_bounds) | context.bounds
    table = {}
    for ix in expr.atoms(sp.Indexed):
        if str(ix.base.label) not in context.shared:
            table[ix] = example(ix, i)
    labels = {ix.base.label for ix in expr.atoms(sp.Indexed)}
    for s in expr.free_symbols - labels - fixed:
        if (
            isinstance(s, sp.Symbol)
            and s.name not in context.shared
            and not any(s in ix.free_symbols for ix in table)
        ):
            table[s] = example(s, i)
    return expr.xreplace(table)


def _expand_examples(expr: sp.Expr, context: Context) -> sp.Expr:
    """example(L, i) with L defined: the definition, evaluated for example i."""

    def expand(e: example) -> sp.Expr:
        inner, i = e.args
        new = substitute_once(inner, context.definitions)
        return e if new == inner else per_example(new, i, context)

    return expr.replace(lambda e: isinstance(e, example), expand)


def rename_bound(expr: sp.Expr, taken: set) -> sp.Expr:
    """Rename summation indices that clash with ``taken`` (capture-avoiding substitution)."""

    def fresh(symbol: sp.Symbol) -> sp.Symbol:
        name = symbol.name
        while any(t.name == name for t in taken | expr.free_symbols):
            name += "'"
        return sp.Symbol(name, **symbol.assumptions0)

    def rename(e: sp.Sum) -> sp.Expr:
        index = e.limits[0][0]
        if index not in taken:
            return e
        new = fresh(index)
        return sp.Sum(e.function.xreplace({index: new}), (new, *e.limits[0][1:]), *e.limits[1:])

    return expr.replace(lambda e: isinstance(e, sp.Sum), rename)


def substitute_once(
    expr: sp.Expr,
    definitions: tuple[Definition, ...],
    keep: frozenset = frozenset(),
    context: Context | None = None,
) -> sp.Expr:
    """Replace each defined symbol (or indexed family member) by its definition, one level deep."""
    if context is not None and expr.has(example):
        expr = _expand_examples(expr, context)
    # derivatives are evaluated by evaluate_derivatives; examples were expanded above
    shield = {e: sp.Dummy("e") for e in expr.atoms(example, sp.Derivative)}
    expr, restore = expr.xreplace(shield), {v: k for k, v in shield.items()}
    plain = {}
    for d in definitions:
        if base_key(d.lhs) in keep:
            continue
        if isinstance(d.lhs, sp.Indexed):
            lhs = d.lhs

            def member(e, lhs=lhs):
                return isinstance(e, sp.Indexed) and _covers(lhs, e)

            def expand(e, lhs=lhs, rhs=d.rhs):
                fresh = rename_bound(rhs, set().union(*(i.free_symbols for i in e.indices)))
                return fresh.xreplace(_index_map(lhs, e))

            expr = expr.replace(member, expand)
        else:
            plain[d.lhs] = d.rhs
    if plain:  # derivatives the expansions just brought in are not this level's business
        inserted = {e: sp.Dummy("e") for e in expr.atoms(example, sp.Derivative)}
        expr = expr.xreplace(inserted).xreplace(plain)
        restore.update({v: k for k, v in inserted.items()})
    return expr.xreplace(restore)


def _covers(lhs: sp.Indexed, e: sp.Indexed) -> bool:
    """Whether the definition of lhs (y_k, or p_1 with a concrete index) defines member e."""
    if e.base != lhs.base or len(e.indices) != len(lhs.indices):
        return False
    mapping: dict[sp.Expr, sp.Expr] = {}
    for mine, theirs in zip(lhs.indices, e.indices, strict=True):
        if isinstance(mine, sp.Symbol):
            if mapping.setdefault(mine, theirs) != theirs:
                return False
        elif mine != theirs:
            return False
    return True


def _index_map(lhs: sp.Indexed, e: sp.Indexed) -> dict[sp.Expr, sp.Expr]:
    """The definition's own index symbols, mapped to the indices of the member e."""
    return {
        mine: theirs
        for mine, theirs in zip(lhs.indices, e.indices, strict=True)
        if isinstance(mine, sp.Symbol)
    }


def substitute_all(
    expr: sp.Expr,
    definitions: tuple[Definition, ...],
    keep: frozenset = frozenset(),
    depth: int = 12,
    context: Context | None = None,
) -> sp.Expr:
    """Substitute definitions until nothing defined is left (or ``depth`` rounds)."""
    for _ in range(depth):
        new = substitute_once(expr, definitions, keep, context)
        if new == expr:
            return expr
        expr = new
    return expr


_DIFFERENTIATED: dict[tuple, sp.Expr] = {}  # d/dv f with f expanded, by what it depends on
_MAX_DIFFERENTIATED = 4096


def evaluate_derivatives(expr: sp.Expr, context: Context, depth: int = 0) -> sp.Expr:
    """Replace every unevaluated derivative df/dv by its value, expanding f down to v.

    A verified derivative (a fact) is reused; otherwise f is expanded through its definitions,
    keeping the family of v whole (differentiating y_T by z_k must not expand z_T).
    """

    def value(d: sp.Derivative) -> sp.Expr:
        fact = lookup_fact(d, context)
        if fact is not None and depth < 8:
            return evaluate_derivatives(fact, context, depth + 1)
        through_examples = _mean_of_examples(d, context)
        if through_examples is not None:
            return through_examples
        return _differentiate(d, context)

    return expr.replace(lambda e: isinstance(e, sp.Derivative), value)


def _differentiate(
    d: sp.Derivative, context: Context, visiting: frozenset = frozenset()
) -> sp.Expr:
    """d/dv f with f's definitions substituted; remembered, since a derivation asks often."""
    key = (
        d,
        context.definitions,
        tuple(sorted(context.index_bounds.items(), key=str)),
        context.shared,
        tuple(sorted(visiting, key=str)),  # a cycle cut short gives another (equal) form
    )
    found = _DIFFERENTIATED.get(key)
    if found is None:
        found = through_parent(d, context, visiting)
        if found is None:
            found = differentiate_expanded(d, context)
        if len(_DIFFERENTIATED) >= _MAX_DIFFERENTIATED:
            _DIFFERENTIATED.clear()
        _DIFFERENTIATED[key] = found
    return found


def differentiate_expanded(d: sp.Derivative, context: Context) -> sp.Expr:
    """d/dv f with f written out down to v: every definition on the way substituted."""
    keep = frozenset(base_key(v) for v in d.variables)
    f = _expanded(d.expr, keep, context, set().union(*(v.free_symbols for v in d.variables)))
    return drop_index_ranges(settle(sp.diff(f, *d.variables)), context)


def _expanded(f: sp.Expr, keep: frozenset, context: Context, taken: set) -> sp.Expr:
    """f with every definition substituted except those of ``keep`` and of the stages that
    cannot reach them; summation indices named like one in ``taken`` renamed."""
    keep |= independent_families(context.definitions, keep)
    f = substitute_all(f, context.definitions, keep, context=context)
    # a summation index named like an index of v (k in sum_k t_k log y_k, v = z_k)
    return rename_bound(f, taken)


def through_parent(
    d: sp.Derivative, context: Context, visiting: frozenset = frozenset()
) -> sp.Expr | None:
    """df/dv = sum over u of df/du du/dv, when v enters f only through one stage u.

    The multivariate chain rule, applied by the verifier to the model's own definitions: f is
    expanded down to u only (one level above v, not down to v), df/du is found the same way,
    and du/dv is the derivative of u's definition. The sum over u's members (u_m', m' = 1..H)
    collapses by the sifting property. None when the rule does not apply.
    """
    if len(d.variables) != 1 or d.expr.has(example):
        return None
    (v,) = d.variables
    target = base_key(v)
    parents = [e for e in context.definitions if target in _mentions(e.rhs)]
    if len(parents) != 1:
        return None
    (parent,) = parents
    family_ = base_key(parent.lhs)
    if (
        family_ in visiting | {target}
        or sum(base_key(e.lhs) == family_ for e in context.definitions) != 1
    ):
        return None  # a cycle, or a family with several definitions (p_1, p_2)
    mentioned = _mentions(d.expr) & context_families(context)
    if mentioned <= {family_}:
        return None  # f is u itself, or defined by nothing: differentiate it directly
    f = _expanded(d.expr, frozenset({family_}), context, set())
    if target in _mentions(f) or family_ not in _mentions(f) or f.has(example):
        return None  # v enters f directly too, or not through u, or per example (u^(i))
    member, bounds = _fresh_member(parent.lhs, d, context)
    if member is None:
        return None
    inner_context = replace(context, index_bounds={**context.index_bounds, **bounds})
    visiting = visiting | {target}
    outer = _differentiate(sp.Derivative(d.expr, member), inner_context, visiting)
    inner = _differentiate(sp.Derivative(member, v), inner_context, visiting)
    product = outer * inner
    if bounds:
        product = sp.Sum(product, *((i, 1, b) for i, b in bounds.items()))
    return drop_index_ranges(settle(product), inner_context)


def context_families(context: Context) -> set[sp.Basic]:
    """The families the context defines."""
    return {base_key(e.lhs) for e in context.definitions}


def _fresh_member(lhs: sp.Expr, d: sp.Derivative, context: Context):
    """A member u_m of the family lhs defines, its indices new names (with their bounds)."""
    if not isinstance(lhs, sp.Indexed):
        return lhs, {}
    taken = {s.name for s in d.atoms(sp.Symbol)} | {
        s.name for e in context.definitions for s in e.rhs.atoms(sp.Symbol) | e.lhs.atoms(sp.Symbol)
    }
    indices, bounds = [], {}
    for index in lhs.indices:
        if not isinstance(index, sp.Symbol) or index not in context.index_bounds:
            return None, {}
        name = f"{index.name}_u"
        while name in taken:
            name += "'"
        taken.add(name)
        fresh = sp.Symbol(name, **index.assumptions0)
        indices.append(fresh)
        bounds[fresh] = context.index_bounds[index]
    return lhs.base[tuple(indices)], bounds


@lru_cache(maxsize=4096)
def _mentions(expr: sp.Basic) -> frozenset[sp.Basic]:
    """The families expr names directly: bases of its indexed symbols, and its plain symbols."""
    return frozenset({base_key(e) for e in expr.atoms(sp.Indexed)}) | {
        s for s in expr.atoms(sp.Symbol) if not isinstance(s, sp.Dummy)
    }


@lru_cache(maxsize=1024)
def independent_families(definitions: tuple[Definition, ...], targets: frozenset) -> frozenset:
    """The defined stages whose definitions never reach ``targets``, however far expanded.

    Their derivative by a member of a target is zero, so a derivative need not expand them:
    d/dW2 of the loss keeps the hidden layer a_m whole instead of writing out max(0, h_m).
    A definition in undefined symbols only (t_k = delta_kT) is still substituted: it is
    small, and its Kronecker deltas sum out.
    """
    direct: dict[sp.Basic, set[sp.Basic]] = {}
    for d in definitions:
        direct.setdefault(base_key(d.lhs), set()).update(_mentions(d.rhs))
    reaches: dict[sp.Basic, bool] = {}

    def reach(family: sp.Basic, seen: frozenset) -> bool:
        if family in targets:
            return True
        if family in reaches:
            return reaches[family]
        found = any(  # a cycle (never in a derivation) counts as reaching: expand it
            other in seen or reach(other, seen | {family})
            for other in direct.get(family, ())
            if other != family
        )
        reaches[family] = found
        return found

    return frozenset(
        f for f in direct if direct[f] & direct.keys() - {f} and not reach(f, frozenset())
    )


def _mean_of_examples(d: sp.Derivative, context: Context) -> sp.Expr | None:
    """d/dv of c * sum_i f^(i) is c * sum_i (df/dv)^(i) for a shared v, when df/dv is a fact.

    This is how the derivative of the cost reuses the verified per-example gradient instead
    of differentiating the whole composition again. A term of the cost outside the examples
    (a penalty on the parameter) is differentiated on its own.
    """
    if len(d.variables) != 1 or str(family(d.variables[0])) not in context.shared:
        return None
    (v,) = d.variables
    named = _mentions(d.expr)
    if not d.expr.has(example) and not any(
        base_key(e.lhs) in named and e.rhs.has(example) for e in context.definitions
    ):
        return None  # no mean over the examples here, nor one level down
    expanded = substitute_once(d.expr, context.definitions)
    if not expanded.has(example):
        return None
    total = sp.S.Zero
    for term in sp.Add.make_args(expanded):
        if not term.has(example):
            total += _differentiate(sp.Derivative(term, v), context)
            continue
        factor, rest = term.as_independent(sp.Sum, as_Add=False)
        if not isinstance(rest, sp.Sum) or len(rest.limits) != 1 or factor.has(v):
            return None
        i = rest.limits[0][0]
        inner = rest.function
        if not (isinstance(inner, example) and inner.args[1] == i):
            return None
        fact = lookup_fact(sp.Derivative(inner.args[0], v), context)
        if fact is None:
            return None
        total += factor * sp.Sum(per_example(fact, i, context), *rest.limits)
    return total


def lookup_fact(d: sp.Derivative, context: Context) -> sp.Expr | None:
    """A verified derivative that matches d, its symbolic indices renamed (w_j -> w_1)."""
    if d in context.facts:
        return context.facts[d]
    for known, value in context.facts.items():
        if known.expr != d.expr or len(known.variables) != 1 or len(d.variables) != 1:
            continue
        (a,), (b,) = known.variables, d.variables
        if (
            isinstance(a, sp.Indexed)
            and isinstance(b, sp.Indexed)
            and a.base == b.base
            and all(isinstance(i, sp.Symbol) for i in a.indices)
        ):
            return value.xreplace(dict(zip(a.indices, b.indices, strict=True)))
    return None


def family(expr: sp.Expr) -> sp.Basic:
    """The name of the family a variable belongs to: y for y_T, W for W_kj, z for z."""
    base = base_key(expr)
    return base.label if isinstance(base, sp.IndexedBase) else base


def drop_index_ranges(expr: sp.Expr, context: Context) -> sp.Expr:
    """Remove Piecewise guards that only say an index lies in its range (it always does here)."""
    index_like = set(context.index_bounds) | context.bounds

    def only_ranges(p: sp.Piecewise) -> bool:
        cond = p.args[0].cond
        return (
            cond is not sp.true and cond.free_symbols <= index_like and not cond.has(sp.Eq, sp.Ne)
        )

    return expr.replace(
        lambda e: isinstance(e, sp.Piecewise) and only_ranges(e), lambda e: e.args[0].expr
    )


def apply_case(expr: sp.Expr, case: Case | None) -> sp.Expr:
    """Specialise an expression to a case: k = T identifies the indices, k != T kills delta_kT."""
    if case is None or case.holds_everywhere:
        return expr
    cond = case.condition
    if isinstance(cond, sp.Eq) and all(isinstance(a, sp.Symbol) for a in cond.args):
        a, b = cond.args
        return expr.xreplace({b: a})
    if isinstance(cond, sp.Ne):
        a, b = cond.args
        return expr.replace(
            lambda e: isinstance(e, sp.KroneckerDelta) and set(e.args) == {a, b},
            lambda e: sp.S.Zero,
        )
    if isinstance(cond, (sp.StrictGreaterThan, sp.LessThan)):
        u = cond.lhs - cond.rhs
        value = sp.S.One if isinstance(cond, sp.StrictGreaterThan) else sp.S.Zero
        return expr.replace(
            lambda e: isinstance(e, sp.Heaviside) and sp.expand(e.args[0] - u) == 0,
            lambda e: value,
        )
    return expr
