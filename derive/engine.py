"""The derivation engine: compose a model's stages with the chain rule, then simplify.

Given a :class:`~derive.model.Model`, the engine builds every section of a
:class:`~derive.steps.Derivation`: the chain-rule overview, each local derivative level by
level from its rule tree, the product simplified in small recorded algebra steps, the case
split that Kronecker deltas imply, the parameter gradient, its vector form and the update rule.
Every step passes through :func:`derive.verify.verify_step` before it is recorded.
Nothing here knows a particular model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import sympy as sp

from derive import algebra
from derive.calculus import NoRule, Rule, differentiate
from derive.context import Context
from derive.errors import NoRuleError
from derive.functions import example
from derive.model import Model
from derive.steps import Case, Definition, Derivation, Section, Step, UpdateRule
from derive.vector_form import VectorForm, vector_form
from derive.verify import apply_case, per_example, verify_step

EXAMPLE = sp.Symbol("i", integer=True, positive=True)
N = sp.Symbol("N", integer=True, positive=True)
ALPHA = sp.Symbol("alpha", positive=True)
COST = sp.Symbol("J")


@dataclass
class _Recorder:
    """Collects verified steps: each new step's equality is checked before it is kept."""

    context: Context
    steps: list[Step]

    def add(
        self,
        lhs,
        rhs,
        rule: str,
        why: str,
        case: Case | None = None,
        substeps: tuple[Step, ...] = (),
    ) -> Step:
        verification = verify_step(lhs, rhs, self.context, case, what=f"{rule} step")
        step = Step(lhs, rhs, rule, why, verification, case, substeps)
        self.steps.append(step)
        if case is None and _is_named_derivative(lhs) and not rhs.has(sp.MatrixSymbol):
            self.context = replace(self.context, facts={**self.context.facts, lhs: rhs})
        return step

    def take(self) -> tuple[Step, ...]:
        """The steps recorded since the last take(): one section's worth."""
        steps, self.steps = tuple(self.steps), []
        return steps

    def chain(self, rhs, rule: str, why: str) -> Step | None:
        """Continue the current chain from the last right-hand side, if rhs is new."""
        last = self.steps[-1].rhs
        if rhs == last:
            return None
        return self.add(last, rhs, rule, why)


def _is_named_derivative(expr: sp.Expr) -> bool:
    """dL/dy, dy_T/dz_k: a derivative of a stage symbol, which later steps may reuse."""
    return isinstance(expr, sp.Derivative) and isinstance(expr.expr, (sp.Symbol, sp.Indexed))


def derive_model(model: Model) -> Derivation:
    """Derive, simplify and verify the gradient of ``model``'s loss by its parameter (by each
    of its parameters, backpropagating, when it has several: :mod:`derive.backprop`)."""
    if model.chains:
        from derive.backprop import derive_network

        return derive_network(model)
    rec = _Recorder(_context(model), [])
    chain = model.chain
    rules = _rule_trees(model)
    sections = [_overview(model, rec)]
    local_results: dict[tuple, sp.Expr] = {}
    for upper, lower in zip(chain, chain[1:], strict=False):
        section, value = _local_section(model, rec, upper, lower, rules[(upper, lower)])
        sections.append(section)
        local_results[(upper, lower)] = value

    score, parameter = chain[-2], chain[-1]
    if len(chain) > 3:
        section, signal = _combine_section(model, rec, chain[:-1], local_results)
        sections.append(section)
    elif len(chain) == 3:
        signal = local_results[(chain[0], chain[1])]
    else:
        signal = sp.S.One
    section, result = _parameter_section(
        model, rec, score, parameter, signal, local_results[(score, parameter)]
    )
    sections.append(section)

    form = vector_form(model, rec.context, result, signal, EXAMPLE, N)
    vector_step = _vector_section(rec, form)
    update = _update_rule(rec, parameter, result, model.regularizer)
    return Derivation(
        name=model.name,
        title=model.title,
        summary=model.summary,
        model=model,
        definitions=_definitions(model),
        sections=tuple(sections),
        result=result,
        vector_form=vector_step,
        vector_where=form.where,
        update_rule=update,
        score_gradient=signal,
        notes=model.notes,
    )


def _cost_definition(model: Model) -> Definition:
    """J = the mean loss over the examples, plus the model's penalty on the parameter if any."""
    mean = sp.Sum(example(model.loss, EXAMPLE), (EXAMPLE, 1, N)) / N
    if model.regularizer is None:
        return Definition(COST, mean, "the cost: the mean loss over the N training examples")
    return Definition(
        COST,
        sp.Add(mean, model.regularizer, evaluate=False),
        "the cost: the mean loss over the N training examples plus the penalty on the "
        "parameter, which no single example's loss contains",
    )


def _definitions(model: Model) -> tuple[Definition, ...]:
    return model.definitions() + (_cost_definition(model),)


def _context(model: Model) -> Context:
    bounds = dict(model.index_bounds)
    bounds[EXAMPLE] = N
    parameter_names = {str(_family(chain[-1])) for chain in (model.chain, *model.chains)}
    return Context(
        definitions=_definitions(model),
        index_bounds=bounds,
        domains=model.domains,
        shared=frozenset(
            parameter_names | {"alpha"} | {str(h.symbol) for h in model.hyperparameters}
        ),
    )


def _family(expr: sp.Expr) -> sp.Expr:
    return expr.base.label if isinstance(expr, sp.Indexed) else expr


def _stage_expr(model: Model, symbol: sp.Expr) -> sp.Expr:
    for stage in model.stages:
        if stage.symbol == symbol:
            return stage.expr
        if (
            isinstance(stage.symbol, sp.Indexed)
            and isinstance(symbol, sp.Indexed)
            and stage.symbol.base == symbol.base
        ):
            return stage.expr.xreplace(dict(zip(stage.symbol.indices, symbol.indices, strict=True)))
    raise NoRuleError(f"the model {model.name!r} does not define {symbol}")


def _product(factors) -> sp.Expr:
    return sp.Mul(*factors, evaluate=False)


def _overview(model: Model, rec: _Recorder) -> Section:
    chain = model.chain
    rec.add(
        sp.Derivative(chain[0], chain[-1]),
        _product(sp.Derivative(a, b) for a, b in zip(chain, chain[1:], strict=False)),
        "chain rule",
        "the loss depends on the parameter only through the stages in between",
    )
    names = ", then ".join(stage.name for stage in model.stages)
    return Section(
        "overview", "The chain rule", f"The loss is computed in stages: {names}.", rec.take()
    )


def _expand_levels(
    rec: _Recorder, rule: Rule, around: Callable[[sp.Expr], sp.Expr] = lambda e: e
) -> sp.Expr:
    """Record the derivative level by level: each step applies the next layer of rules.

    ``around`` places the derivative in the line shown (the mean gradient + dR/dw); returns
    the derivative once no rule is left to apply.
    """
    table = {r.lhs: r for r in rule.walk()}
    current = rule.lhs
    for _ in range(50):
        pending = [d for d in current.atoms(sp.Derivative) if d in table]
        if not pending:
            break
        applied = [table[d] for d in sorted(pending, key=sp.default_sort_key)]
        current = current.xreplace({r.lhs: r.expand() for r in applied})
        names = _unique(r.name for r in applied)
        whys = _unique(r.why for r in applied)
        rec.chain(around(current), ", ".join(names), "; ".join(whys))
    return current


def _unique(items) -> list[str]:
    return list(dict.fromkeys(items))


def _tidy(rec: _Recorder, model: Model, variable: sp.Expr) -> sp.Expr:
    """Sift deltas, write in stage symbols, simplify, use one-hot constants: each one step."""
    expr = rec.steps[-1].rhs
    sifted = algebra.sift(expr, frozenset(getattr(variable, "indices", ())))
    if sifted != expr:
        rec.chain(
            sifted,
            "sifting property",
            "a sum over an index of terms with a Kronecker delta keeps the one term "
            "where the indices agree",
        )
    expr = sifted
    staged = expr
    for rw in model.rewrites:
        staged = algebra.rewrite(staged, rw.pattern, rw.result)
    staged = algebra.reverse_definitions(staged, tuple(s.definition() for s in model.stages))
    if staged != expr:
        rec.chain(staged, "stage symbols", "write the result in the stage symbols")
    simplified = _simplify(staged)
    tidy = algebra.tidy_signs(staged)
    if 2 * sp.count_ops(simplified) > sp.count_ops(tidy):
        simplified = tidy  # not a real simplification: keep the sum of simple terms
    rec.chain(simplified, "simplify", "cancel common factors and collect terms")
    constants = algebra.forward_constants(simplified, model.assumptions)
    if constants != simplified:
        rec.chain(_simplify(constants), "assumption", _assumption_text(model))
    return rec.steps[-1].rhs


def _assumption_text(model: Model) -> str:
    return "; ".join(d.description for d in model.assumptions) or "by assumption"


def _simplify(expr: sp.Expr) -> sp.Expr:
    shielded, restore = algebra.protect_sums(expr)
    simplified = sp.factor(sp.cancel(shielded)).xreplace(restore)
    return simplified if sp.count_ops(simplified) <= sp.count_ops(expr) else expr


def _rule_trees(model: Model) -> dict[tuple, Rule]:
    """The rule tree of every local derivative, before anything is verified or shown."""
    trees = {}
    for upper, lower in zip(model.chain, model.chain[1:], strict=False):
        rule = differentiate(_stage_expr(model, upper), lower)
        missing = [r for r in rule.walk() if isinstance(r, NoRule)]
        if missing:
            raise NoRuleError(
                f"no differentiation rule covers d/d{missing[0].var} of {missing[0].expr} "
                f"(needed for d{upper}/d{lower} in model {model.name!r})"
            )
        trees[(upper, lower)] = rule
    return trees


def _local_section(
    model: Model, rec: _Recorder, upper, lower, rule: Rule
) -> tuple[Section, sp.Expr]:
    rec.add(
        sp.Derivative(upper, lower),
        rule.lhs,
        "definition",
        "substitute the definition of the stage",
    )
    _expand_levels(rec, rule)
    value = _tidy(rec, model, lower)
    _cases(rec, sp.Derivative(upper, lower), value)
    return Section(
        f"d_{upper}_d_{lower}", "The local derivative", "", rec.take(), sp.Derivative(upper, lower)
    ), value


def _cases(rec: _Recorder, lhs: sp.Expr, value: sp.Expr) -> None:
    """Split on the first Kronecker delta between two index symbols: a = b and a != b."""
    deltas = [
        d
        for d in sp.ordered(value.atoms(sp.KroneckerDelta))
        if all(a in rec.context.index_bounds for a in d.args)
    ]
    if not deltas:
        return
    a, b = deltas[0].args
    ours = {i for v in lhs.variables for i in getattr(v, "indices", ())}
    if b in ours and a not in ours:
        a, b = b, a
    equal = Case(sp.Eq(a, b), f"{a} = {b}")
    other = Case(sp.Ne(a, b), f"{a} != {b}")
    for case in (equal, other):
        rhs = _simplify(apply_case(value, case))
        rec.add(
            apply_case(lhs, case),
            rhs,
            "case",
            f"when {a} = {b} the Kronecker delta is 1"
            if case is equal
            else f"when {a} differs from {b} the Kronecker delta is 0",
            case,
        )


def _combine_section(model, rec: _Recorder, chain, local_results) -> tuple[Section, sp.Expr]:
    top, bottom = chain[0], chain[-1]
    links = list(zip(chain, chain[1:], strict=False))
    rec.add(
        sp.Derivative(top, bottom),
        _product(sp.Derivative(a, b) for a, b in links),
        "chain rule",
        "the loss depends on this variable only through the stages between",
    )
    rec.chain(
        _product(local_results[link] for link in links),
        "substitute",
        "insert the local derivatives found above",
    )
    _distribute(rec)
    value = _tidy(rec, model, bottom)
    _cases(rec, sp.Derivative(top, bottom), value)
    unified = _simplify(algebra.reverse_definitions(value, model.assumptions))
    if unified != value:
        rec.add(
            sp.Derivative(top, bottom),
            unified,
            "assumption",
            f"both cases in one formula: {_assumption_text(model)}",
        )
        value = unified
    return Section(
        f"d_{top}_d_{bottom}",
        "Combining the local derivatives",
        "",
        rec.take(),
        sp.Derivative(top, bottom),
    ), value


def _distribute(rec: _Recorder) -> None:
    """Multiply a sum factor into the rest of the product, then expand each term, as by hand."""
    expr = rec.steps[-1].rhs
    factors = sp.Mul.make_args(expr)
    sums = [f for f in factors if isinstance(f, sp.Add)]
    if not sums:
        return
    first = sums[0]
    rest = sp.Mul(*(f for f in factors if f is not first))
    terms = [sp.factor(sp.cancel(term * rest)) for term in first.args]
    distributed = sp.Add(*terms, evaluate=False)
    rec.chain(distributed, "distribute", "multiply each term of the sum by the other factors")
    expanded = sp.Add(*(a for t in terms for a in sp.Add.make_args(sp.expand(t))), evaluate=False)
    if len(expanded.args) > len(terms):
        rec.chain(expanded, "expand", "multiply out the brackets")


def _parameter_section(
    model, rec: _Recorder, score, parameter, signal, local
) -> tuple[Section, Step]:
    loss = model.loss
    if score == loss:
        result = rec.add(sp.Derivative(loss, parameter), local, "result", "the local derivative")
    else:
        rec.add(
            sp.Derivative(loss, parameter),
            _product([sp.Derivative(loss, score), sp.Derivative(score, parameter)]),
            "chain rule",
            "the loss depends on the parameter only through the score",
        )
        rec.chain(_product([signal, local]), "substitute", "insert the two results above")
        final = sp.Mul(signal, local)
        if local == 1:  # a bias: its gradient is the signal itself
            rec.chain(final, "simplify", "a factor 1 changes nothing")
        result = rec.add(
            sp.Derivative(loss, parameter), final, "result", "the gradient for one training example"
        )
        rec.steps.pop()  # shown as the derivation's result, not again in the section
    return Section(
        "gradient", "The gradient", "", rec.take(), sp.Derivative(loss, parameter)
    ), result


def _vector_section(rec: _Recorder, form: VectorForm) -> Step:
    rec.context = replace(rec.context, matrices={**rec.context.matrices, **form.matrices})
    entry = rec.add(
        form.derivative, form.entry, "vector form", "the matrix product, entry by entry"
    )
    rec.take()
    verification = entry.verification
    return Step(
        form.gradient, form.matrix, "vector form", form.explanation, verification, substeps=(entry,)
    )


def _update_rule(
    rec: _Recorder, parameter, result: Step, regularizer: sp.Expr | None = None
) -> UpdateRule:
    """w <- w - alpha dJ/dw; with a penalty R in the cost, dJ/dw (the mean of the per-example
    gradients plus dR/dw, derived by the rules and verified step by step) is its substeps."""
    mean = sp.Sum(per_example(result.rhs, EXAMPLE, rec.context), (EXAMPLE, 1, N))
    lhs = parameter - ALPHA * sp.Derivative(COST, parameter)
    substeps: tuple[Step, ...] = ()
    why = "the gradient of the mean loss is the mean of the per-example gradients"
    if regularizer is None:
        rhs = parameter - ALPHA / N * mean
    else:
        penalty = _penalty_gradient(rec, parameter, mean / N, regularizer)
        substeps = rec.take()
        rhs = parameter - ALPHA * sp.Add(mean / N, penalty, evaluate=False)
        why += ", plus the gradient of the penalty"
    step = rec.add(lhs, rhs, "gradient descent", why, substeps=substeps)
    rec.take()
    return UpdateRule(parameter, step)


def _penalty_gradient(rec: _Recorder, parameter, mean: sp.Expr, regularizer: sp.Expr) -> sp.Expr:
    """Record dJ/dw = mean gradient + dR/dw, then dR/dw level by level from its rule tree."""
    rule = differentiate(regularizer, parameter)
    if any(isinstance(r, NoRule) for r in rule.walk()):
        raise NoRuleError(f"no differentiation rule covers d/d{parameter} of {regularizer}")
    rec.add(
        sp.Derivative(COST, parameter),
        sp.Add(mean, rule.lhs, evaluate=False),
        "sum rule",
        "the derivative of the cost is the mean of the per-example gradients plus the "
        "derivative of the penalty",
    )
    current = _expand_levels(rec, rule, lambda e: sp.Add(mean, e, evaluate=False))
    penalty = _simplify(algebra.sift(current, frozenset(parameter.indices)))
    rec.chain(
        sp.Add(mean, penalty, evaluate=False),
        "sifting property",
        "a sum over an index of terms with a Kronecker delta keeps the one term where the "
        "indices agree",
    )
    return penalty
