"""Rule-based differentiation: d(expr, var) returns the derivative *and* the rules that give it.

In the manner of SymPy's ``manualintegrate``: one small frozen dataclass per rule, sub-rules
as fields, ``eval()`` composing them. :func:`differentiate` picks the rule for an expression
(dispatched on its type) and checks the tree's result against ``sympy.diff``.

Adding a rule: write a dataclass deriving from :class:`Rule` with ``name``, ``children()``,
``eval()`` and ``expand()`` (the expression one level down, with each child left as an
unevaluated derivative so the engine can show the derivation level by level), then return it
from the matching ``_rule_for`` branch. An expression no rule covers yields :class:`NoRule`;
evaluating a tree that contains one raises :class:`~derive.errors.NoRuleError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import singledispatch
from typing import ClassVar

import sympy as sp

from derive.algebra import settle
from derive.errors import NoRuleError
from derive.functions import Abs, indicator

# --- the rules ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """A derivative d(expr)/d(var) and how it is obtained."""

    expr: sp.Expr
    var: sp.Expr
    name: ClassVar[str] = "rule"
    why: ClassVar[str] = ""

    def children(self) -> tuple[Rule, ...]:
        return ()

    def eval(self) -> sp.Expr:
        raise NotImplementedError

    def expand(self) -> sp.Expr:
        """The derivative one level down: children stay unevaluated derivatives."""
        return self.eval()

    @property
    def lhs(self) -> sp.Expr:
        return sp.Derivative(self.expr, self.var)

    def walk(self):
        yield self
        for child in self.children():
            yield from child.walk()


def pending(rule: Rule) -> sp.Expr:
    """The unevaluated derivative a rule stands for, to be expanded at a later level."""
    return rule.eval() if isinstance(rule, LEAF_RULES) else rule.lhs


@dataclass(frozen=True)
class ConstantRule(Rule):
    name = "constant rule"
    why = "does not depend on the variable, so its derivative is 0"

    def eval(self) -> sp.Expr:
        return sp.S.Zero


@dataclass(frozen=True)
class VariableRule(Rule):
    name = "identity"
    why = "the derivative of a variable with respect to itself is 1"

    def eval(self) -> sp.Expr:
        return sp.S.One


@dataclass(frozen=True)
class IndexedRule(Rule):
    name = "Kronecker delta"
    why = "components of a vector are independent: the derivative is a Kronecker delta"

    def eval(self) -> sp.Expr:
        pairs = zip(self.expr.indices, self.var.indices, strict=True)
        return sp.Mul(*(sp.KroneckerDelta(a, b) for a, b in pairs))


@dataclass(frozen=True)
class LinearRule(Rule):
    coefficient: sp.Expr = sp.S.One
    name = "linear term"
    why = "the expression is linear in the variable: its derivative is the coefficient"

    def eval(self) -> sp.Expr:
        return self.coefficient


@dataclass(frozen=True)
class AddRule(Rule):
    terms: tuple[Rule, ...] = ()
    name = "sum rule"
    why = "the derivative of a sum is the sum of the derivatives"

    def children(self):
        return self.terms

    def eval(self):
        return sp.Add(*(t.eval() for t in self.terms))

    def expand(self):
        return sp.Add(*(pending(t) for t in self.terms))


@dataclass(frozen=True)
class ConstantMultipleRule(Rule):
    constant: sp.Expr = sp.S.One
    inner: Rule | None = None
    name = "constant multiple"
    why = "a constant factor stays in front of the derivative"

    def children(self):
        return (self.inner,)

    def eval(self):
        return self.constant * self.inner.eval()

    def expand(self):
        return self.constant * pending(self.inner)


@dataclass(frozen=True)
class ProductRule(Rule):
    factors: tuple[sp.Expr, ...] = ()
    rules: tuple[Rule, ...] = ()
    name = "product rule"
    why = "differentiate each factor in turn, keeping the others"

    def children(self):
        return self.rules

    def _combine(self, derivatives):
        terms = []
        for n, d in enumerate(derivatives):
            others = [f for m, f in enumerate(self.factors) if m != n]
            terms.append(sp.Mul(d, *others))
        return sp.Add(*terms)

    def eval(self):
        return self._combine([r.eval() for r in self.rules])

    def expand(self):
        return self._combine([pending(r) for r in self.rules])


@dataclass(frozen=True)
class QuotientRule(Rule):
    numerator: sp.Expr = sp.S.One
    denominator: sp.Expr = sp.S.One
    numerator_rule: Rule | None = None
    denominator_rule: Rule | None = None
    name = "quotient rule"
    why = (
        "the numerator's derivative times the denominator, minus the numerator times the "
        "denominator's derivative, over the denominator squared"
    )

    def children(self):
        return (self.numerator_rule, self.denominator_rule)

    def _combine(self, df, dg):
        top = sp.Add(sp.Mul(df, self.denominator), -sp.Mul(self.numerator, dg))
        return sp.Mul(top, sp.Pow(self.denominator, -2))

    def eval(self):
        return self._combine(self.numerator_rule.eval(), self.denominator_rule.eval())

    def expand(self):
        return self._combine(pending(self.numerator_rule), pending(self.denominator_rule))


@dataclass(frozen=True)
class PowerRule(Rule):
    exponent: sp.Expr = sp.S.One
    name = "power rule"
    why = "bring the exponent down and lower it by one"

    def eval(self):
        return self.exponent * self.var ** (self.exponent - 1)


@dataclass(frozen=True)
class ExponentialRule(Rule):
    base: sp.Expr = sp.E
    name = "exponential rule"
    why = "the exponential is its own derivative"

    def eval(self):
        return self.expr * (sp.S.One if self.base == sp.E else sp.log(self.base))


@dataclass(frozen=True)
class LogRule(Rule):
    name = "logarithm rule"
    why = "the derivative of the logarithm is the reciprocal"

    def eval(self):
        return 1 / self.var


@dataclass(frozen=True)
class FunctionRule(Rule):
    """A function that knows its own derivative (sigmoid, tanh, softplus, ...)."""

    name = "known derivative"

    @property
    def why(self) -> str:  # type: ignore[override]
        return f"the derivative of {self.expr.func.__name__} is known"

    def eval(self):
        return self.expr.fdiff(1)


@dataclass(frozen=True)
class HingeRule(Rule):
    name = "hinge subgradient"
    why = "the hinge has slope 1 where its argument is positive and 0 elsewhere (0 at the kink)"

    def eval(self):
        return indicator(self.var)


@dataclass(frozen=True)
class AbsRule(Rule):
    name = "absolute value subgradient"
    why = (
        "the absolute value has slope -1 where its argument is negative and 1 where it is "
        "positive: its sign (0 at the kink)"
    )

    def eval(self):
        return sp.sign(self.var)


@dataclass(frozen=True)
class ChainRule(Rule):
    inner: sp.Expr = sp.S.Zero
    outer_rule: Rule | None = None
    inner_rule: Rule | None = None
    name = "chain rule"
    why = "the outer derivative at the inner function, times the inner derivative"

    def children(self):
        return (self.outer_rule, self.inner_rule)

    def outer_value(self) -> sp.Expr:
        return self.outer_rule.eval().xreplace({self.outer_rule.var: self.inner})

    def eval(self):
        return self.outer_value() * self.inner_rule.eval()

    def expand(self):
        return sp.Mul(self.outer_value(), pending(self.inner_rule), evaluate=False)


@dataclass(frozen=True)
class IndexSumRule(Rule):
    inner: Rule | None = None
    limits: tuple = ()
    name = "sum over an index"
    why = "differentiate each term of the sum"

    def children(self):
        return (self.inner,)

    def eval(self):
        return sp.Sum(self.inner.eval(), *self.limits)

    def expand(self):
        return sp.Sum(pending(self.inner), *self.limits)


@dataclass(frozen=True)
class PiecewiseRule(Rule):
    pieces: tuple[tuple[Rule, sp.Expr], ...] = ()
    name = "piecewise rule"
    why = (
        "differentiate each piece on its own interval; the pieces join with equal slopes, so "
        "the derivative is continuous at the boundaries"
    )

    def children(self):
        return tuple(rule for rule, _ in self.pieces)

    def eval(self):
        return sp.Piecewise(*((rule.eval(), cond) for rule, cond in self.pieces))

    def expand(self):
        return sp.Piecewise(*((pending(rule), cond) for rule, cond in self.pieces))


@dataclass(frozen=True)
class NoRule(Rule):
    name = "no rule"
    why = "no differentiation rule covers this expression"

    def eval(self):
        raise NoRuleError(f"no differentiation rule covers d/d{self.var} of {self.expr}")


LEAF_RULES = (
    ConstantRule,
    VariableRule,
    IndexedRule,
    LinearRule,
    PowerRule,
    ExponentialRule,
    LogRule,
    FunctionRule,
    HingeRule,
    AbsRule,
)


# --- choosing a rule ---------------------------------------------------------------------


def depends_on(expr: sp.Expr, var: sp.Expr) -> bool:
    """Whether expr can depend on var (for indexed var: on any member of its family)."""
    if isinstance(var, sp.Indexed):
        return any(i.base == var.base for i in expr.atoms(sp.Indexed))
    return expr.has(var)


def differentiate(expr: sp.Expr, var: sp.Expr, check: bool = True) -> Rule:
    """The rule tree of d(expr)/d(var); with ``check``, its result is compared with sympy.diff."""
    rule = _rule_for(expr, var)
    if check and not any(isinstance(r, NoRule) for r in rule.walk()):
        _check_against_sympy(rule)
    return rule


def _check_against_sympy(rule: Rule) -> None:
    ours = settle(rule.eval())
    theirs = settle(sp.diff(rule.expr, rule.var))
    if sp.simplify(sp.expand(ours - theirs)) != 0:
        raise NoRuleError(
            f"the rule tree for d/d{rule.var} of {rule.expr} gave {ours}, SymPy gives {theirs}"
        )


def _rule_for(expr: sp.Expr, var: sp.Expr) -> Rule:
    if expr == var:
        return VariableRule(expr, var)
    if not depends_on(expr, var):
        return ConstantRule(expr, var)
    if isinstance(expr, sp.Indexed) and isinstance(var, sp.Indexed):
        return IndexedRule(expr, var)
    if isinstance(var, sp.Symbol) and expr.is_polynomial(var) and sp.degree(expr, var) == 1:
        coefficient = sp.expand(expr).coeff(var)
        if not depends_on(coefficient, var):
            return LinearRule(expr, var, coefficient)
    return _dispatch(expr, var)


@singledispatch
def _dispatch(expr: sp.Expr, var: sp.Expr) -> Rule:
    if isinstance(expr, sp.Function) and len(expr.args) == 1 and _has_fdiff(expr):
        return _through_chain(expr, var, expr.args[0], lambda u: FunctionRule(expr.func(u), u))
    return NoRule(expr, var)


def _has_fdiff(expr: sp.Function) -> bool:
    try:
        u = sp.Dummy("u")
        derivative = expr.func(u).fdiff(1)
    except (sp.core.function.ArgumentIndexError, NotImplementedError, TypeError):
        return False
    return not derivative.has(sp.Derivative, sp.Subs)


def _through_chain(expr: sp.Expr, var: sp.Expr, argument: sp.Expr, outer) -> Rule:
    """Apply the outer rule directly when its argument is var, else through the chain rule."""
    if argument == var:
        return outer(var)
    u = sp.Dummy("u")
    return ChainRule(expr, var, argument, outer(u), _rule_for(argument, var))


@_dispatch.register
def _(expr: sp.Add, var):
    return AddRule(expr, var, tuple(_rule_for(term, var) for term in expr.args))


@_dispatch.register
def _(expr: sp.Mul, var):
    constant, varying = expr.as_independent(var, as_Add=False)
    if isinstance(var, sp.Indexed):
        constant, varying = _split_indexed(expr, var)
    if constant != 1:
        return ConstantMultipleRule(expr, var, constant, _rule_for(varying, var))
    factors = sp.Mul.make_args(varying)
    below = [f for f in factors if f.is_Pow and f.exp.is_negative and f.exp.is_number]
    above = [f for f in factors if f not in below]
    if below and above:
        numerator = sp.Mul(*above)
        denominator = sp.Mul(*(sp.Pow(f.base, -f.exp) for f in below))
        return QuotientRule(
            expr,
            var,
            numerator,
            denominator,
            _rule_for(numerator, var),
            _rule_for(denominator, var),
        )
    return ProductRule(expr, var, factors, tuple(_rule_for(f, var) for f in factors))


def _split_indexed(expr: sp.Mul, var: sp.Indexed) -> tuple[sp.Expr, sp.Expr]:
    constant, varying = [], []
    for factor in expr.args:
        (varying if depends_on(factor, var) else constant).append(factor)
    return sp.Mul(*constant), sp.Mul(*varying)


@_dispatch.register
def _(expr: sp.Pow, var):
    base, exponent = expr.args
    if not depends_on(exponent, var):
        return _through_chain(expr, var, base, lambda u: PowerRule(u**exponent, u, exponent))
    if not depends_on(base, var):
        return _through_chain(expr, var, exponent, lambda u: ExponentialRule(base**u, u, base))
    return NoRule(expr, var)


@_dispatch.register
def _(expr: sp.exp, var):
    return _through_chain(expr, var, expr.args[0], lambda u: ExponentialRule(sp.exp(u), u))


@_dispatch.register
def _(expr: sp.log, var):
    if len(expr.args) != 1:
        return NoRule(expr, var)
    return _through_chain(expr, var, expr.args[0], lambda u: LogRule(sp.log(u), u))


@_dispatch.register
def _(expr: sp.Max, var):
    rest = [a for a in expr.args if a != 0]
    if len(expr.args) == 2 and len(rest) == 1:
        return _through_chain(expr, var, rest[0], lambda u: HingeRule(sp.Max(0, u), u))
    return NoRule(expr, var)


@_dispatch.register
def _(expr: sp.Abs, var):
    if not isinstance(expr, Abs):  # SymPy's |u| is complex-aware: d|u| is not sign(u) for it
        return NoRule(expr, var)
    return _through_chain(expr, var, expr.args[0], lambda u: AbsRule(Abs(u), u))


@_dispatch.register
def _(expr: sp.Piecewise, var):
    """Pieces whose conditions hold on intervals of var; the join must be smooth (checked: the
    tree's result is compared with sympy.diff, which also differentiates piece by piece)."""
    if not isinstance(var, sp.Symbol) or not _smooth_joins(expr, var):
        return NoRule(expr, var)
    return PiecewiseRule(expr, var, tuple((_rule_for(e, var), c) for e, c in expr.args))


def _smooth_joins(expr: sp.Piecewise, var: sp.Symbol) -> bool:
    """Whether each condition compares var with one constant edge, where the piece before
    and the piece after agree in value and in slope (a differentiable join)."""
    pieces = expr.args
    for (before, cond), (after, _) in zip(pieces, pieces[1:], strict=False):
        if not isinstance(cond, sp.core.relational.Relational):
            return False
        edge = sp.solve(cond.lhs - cond.rhs, var)
        if len(edge) != 1 or depends_on(edge[0], var):
            return False
        for order in (0, 1):
            gap = sp.diff(before, var, order) - sp.diff(after, var, order)
            if sp.simplify(gap.subs(var, edge[0])) != 0:
                return False
    return True


@_dispatch.register
def _(expr: sp.Sum, var):
    if any(depends_on(limit, var) for lim in expr.limits for limit in lim[1:]):
        return NoRule(expr, var)
    return IndexSumRule(expr, var, _rule_for(expr.function, var), expr.limits)
