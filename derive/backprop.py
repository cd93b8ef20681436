"""Backpropagation: the gradient of every parameter of a model with several, along its chain.

A network's chains share their upper part: the output layer's parameters enter through the
scores s_k, the hidden layer's through s_k, a_m and h_m. The derivative of the loss by each
variable on the way (its *signal*: dL/ds_k, dL/da_m, dL/dh_m) is derived once, in its own
section, and reused by every chain below it. Where the next variable lacks an index of the
current one (s_k, then a_m), the loss depends on it through every member of the family and
the multivariate chain rule sums over that index. Local derivatives come from rule trees and
every step passes through the engine's recorder (verified before it is kept), as for a model
with one parameter (:mod:`derive.engine`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import sympy as sp

from derive.engine import (
    EXAMPLE,
    N,
    _combine_section,
    _context,
    _definitions,
    _family,
    _local_section,
    _parameter_section,
    _product,
    _Recorder,
    _rule_trees,
    _update_rule,
    _vector_section,
)
from derive.matrix_form import matrix_form
from derive.model import Model
from derive.steps import Derivation, Gradient, Section

Link = tuple[sp.Expr, sp.Expr]


@dataclass
class _Network:
    """What the chains share while they are derived: local derivatives and signals."""

    model: Model
    rec: _Recorder
    sections: list[Section] = field(default_factory=list)
    locals: dict[Link, sp.Expr] = field(default_factory=dict)
    signals: dict[sp.Expr, sp.Expr] = field(default_factory=dict)

    def local(self, upper: sp.Expr, lower: sp.Expr) -> sp.Expr:
        """d upper / d lower, derived in its own section the first time it is needed."""
        link = (upper, lower)
        if link not in self.locals:
            rule = _rule_trees(replace(self.model, chain=link, chains=()))[link]
            section, value = _local_section(self.model, self.rec, upper, lower, rule)
            self.sections.append(section)
            self.locals[link] = value
        return self.locals[link]


def summed_indices(model: Model, upper: sp.Expr, lower: sp.Expr) -> tuple[sp.Symbol, ...]:
    """The indices of upper that lower lacks (k for s_k then a_m): the chain rule sums them.

    The label (T) is fixed for an example, never summed.
    """
    below = set(getattr(lower, "indices", ()))
    return tuple(
        i
        for i in getattr(upper, "indices", ())
        if i not in below and i != model.label and i in model.index_bounds
    )


def _limits(model: Model, indices) -> list[tuple]:
    return [(i, 1, model.index_bounds[i]) for i in indices]


def chain_product(model: Model, chain: tuple[sp.Expr, ...]) -> sp.Expr:
    """dL/dP as the product of the local derivatives along chain, summed where a link sums."""
    product = None
    for upper, lower in zip(chain, chain[1:], strict=False):
        factor = sp.Derivative(upper, lower)
        product = factor if product is None else _product([product, factor])
        summed = summed_indices(model, upper, lower)
        if summed:
            product = sp.Sum(product, *_limits(model, summed))
    return product


def _overview(net: _Network, chains) -> Section:
    for chain in chains:
        summed = any(
            summed_indices(net.model, u, v) for u, v in zip(chain, chain[1:], strict=False)
        )
        net.rec.add(
            sp.Derivative(chain[0], chain[-1]),
            chain_product(net.model, chain),
            "multivariate chain rule" if summed else "chain rule",
            "the loss depends on the parameter through the stages in between"
            + (", on a hidden unit through every class score" if summed else ""),
        )
    names = ", then ".join(stage.name for stage in net.model.stages)
    return Section(
        "overview",
        "The chain rule",
        f"The loss is computed in stages: {names}. Each parameter has its chain.",
        net.rec.take(),
    )


def _backprop_section(net: _Network, upper: sp.Expr, lower: sp.Expr) -> sp.Expr:
    """dL/d lower from the known dL/d upper: one link of backpropagation, in its own section."""
    model, rec = net.model, net.rec
    loss = model.loss
    summed = summed_indices(model, upper, lower)
    limits = _limits(model, summed)

    def around(expr: sp.Expr) -> sp.Expr:
        return sp.Sum(expr, *limits) if limits else expr

    lhs = sp.Derivative(loss, lower)
    if summed:
        over = ", ".join(f"{i} = 1..{model.index_bounds[i]}" for i in summed)
        rule = "multivariate chain rule"
        why = (
            "the loss depends on this variable through every variable of the family above "
            f"({over}): one path each, summed"
        )
    else:
        rule, why = "chain rule", "the loss depends on this variable only through the one above"
    pair = _product([sp.Derivative(loss, upper), sp.Derivative(upper, lower)])
    rec.add(lhs, around(pair), rule, why)
    signal, local = net.signals[upper], net.local(upper, lower)
    inserted = _product([signal, local])
    rec.chain(around(inserted), "substitute", "insert the results above")
    product = sp.Mul(signal, local)
    if set(sp.Mul.make_args(product)) == set(inserted.args):
        rec.chain(around(product), "rearrange", "the same product, its factors in the usual order")
    else:
        rec.chain(around(product), "simplify", "multiply out the factors")
    value = rec.steps[-1].rhs
    net.signals[lower] = value
    net.sections.append(Section(f"d_{loss}_d_{lower}", "Backpropagation", "", rec.take(), lhs))
    return value


def _signal(net: _Network, path: tuple[sp.Expr, ...]) -> sp.Expr:
    """dL/dv for v the last of path (L, ..., v), reusing the signals derived before."""
    model = net.model
    target = path[-1]
    if target in net.signals:
        return net.signals[target]
    links = list(zip(path, path[1:], strict=False))
    known = max((n for n, v in enumerate(path) if v in net.signals), default=0)
    if known == 0 and not any(summed_indices(model, u, v) for u, v in links):
        locals_ = {link: net.local(*link) for link in links}
        if len(path) == 2:
            value = locals_[links[0]]
        else:
            section, value = _combine_section(model, net.rec, path, locals_)
            net.sections.append(section)
        net.signals[target] = value
        return value
    if known == 0:
        net.signals[path[1]] = net.local(path[0], path[1])
        known = 1
    for upper, lower in links[known:]:
        net.local(upper, lower)
    for upper, lower in links[known:]:
        _backprop_section(net, upper, lower)
    return net.signals[target]


def _gradient(net: _Network, chain: tuple[sp.Expr, ...]) -> Gradient:
    model, rec = net.model, net.rec
    score, parameter = chain[-2], chain[-1]
    signal = _signal(net, chain[:-1])
    local = net.local(score, parameter)
    section, result = _parameter_section(model, rec, score, parameter, signal, local)
    net.sections.append(replace(section, key=f"gradient_{_family(parameter)}"))
    form = matrix_form(rec.context, result, parameter, score, signal, EXAMPLE, N)
    vector_step = _vector_section(rec, form)
    update = _update_rule(rec, parameter, result)
    return Gradient(parameter, result, vector_step, update, score, signal, form.where)


def derive_network(model: Model) -> Derivation:
    """Derive and verify the gradient of the loss by every parameter of ``model``."""
    net = _Network(model, _Recorder(_context(model), []))
    chains = (model.chain, *model.chains)
    net.sections.append(_overview(net, chains))
    gradients = tuple(_gradient(net, chain) for chain in chains)
    first = gradients[0]
    return Derivation(
        name=model.name,
        title=model.title,
        summary=model.summary,
        model=model,
        definitions=_definitions(model),
        sections=tuple(net.sections),
        result=first.result,
        vector_form=first.vector_form,
        vector_where=first.vector_where,
        update_rule=first.update_rule,
        score_gradient=first.signal,
        notes=model.notes,
        gradients=gradients,
    )
