"""The rule-based differentiator: right answers, the right rules, and an explicit 'no rule'."""

import pytest
import sympy as sp

from derive.algebra import settle
from derive.calculus import (
    AddRule,
    ChainRule,
    ConstantMultipleRule,
    ExponentialRule,
    FunctionRule,
    HingeRule,
    IndexSumRule,
    NoRule,
    ProductRule,
    QuotientRule,
    differentiate,
)
from derive.errors import NoRuleError
from derive.functions import sigmoid, softplus

x, y, t, a = sp.symbols("x y t a")
k, kp, T = sp.symbols("k k' T", integer=True, positive=True)
K = sp.Symbol("K", integer=True, positive=True)
z = sp.IndexedBase("z")

CASES = [
    (-t * sp.log(y) - (1 - t) * sp.log(1 - y), y, AddRule),
    (1 / (1 + sp.exp(-x)), x, ChainRule),
    (sigmoid(x), x, FunctionRule),
    (sigmoid(2 * x + 1), x, ChainRule),
    (softplus(-x), x, ChainRule),
    (sp.tanh(x) ** 2, x, ChainRule),
    (x * sp.exp(x), x, ProductRule),
    (sp.sin(x) / (1 + x**2), x, QuotientRule),
    (3 * sp.log(x), x, ConstantMultipleRule),
    (sp.Max(0, x - 1), x, ChainRule),
    (sp.Max(0, x), x, HingeRule),
    (sp.sqrt(1 + x**2), x, ChainRule),
    (2**x, x, ExponentialRule),
    (2 ** (x**2), x, ChainRule),
    (sp.exp(z[T]) / sp.Sum(sp.exp(z[kp]), (kp, 1, K)), z[k], QuotientRule),
    (sp.Sum(z[kp] ** 2, (kp, 1, K)), z[k], IndexSumRule),
]


@pytest.mark.parametrize(("expr", "var", "top"), CASES, ids=[str(c[0]) for c in CASES])
def test_rule_tree_agrees_with_sympy(expr, var, top):
    rule = differentiate(expr, var)
    assert isinstance(rule, top)
    ours = settle(rule.eval())
    theirs = settle(sp.diff(expr, var))
    assert sp.simplify(ours - theirs) == 0


def test_expand_shows_one_level_at_a_time():
    rule = differentiate(-t * sp.log(y) - (1 - t) * sp.log(1 - y), y)
    first = rule.expand()
    assert first.has(sp.Derivative)
    assert set(first.atoms(sp.Derivative)) == {child.lhs for child in rule.children()}


def test_sigmoid_derivative_stays_in_terms_of_sigmoid():
    assert differentiate(sigmoid(x), x).eval() == sigmoid(x) * (1 - sigmoid(x))


def test_hinge_uses_the_indicator_with_zero_at_the_kink():
    value = differentiate(sp.Max(0, x), x).eval()
    assert value.subs(x, 0) == 0
    assert value.subs(x, sp.Rational(1, 2)) == 1


@pytest.mark.parametrize("expr", [x**x, sp.Function("f")(x), sp.Abs(x) ** x])
def test_expression_without_rule_gives_explicit_no_rule(expr):
    rule = differentiate(expr, x)
    assert any(isinstance(r, NoRule) for r in rule.walk())
    with pytest.raises(NoRuleError, match="no differentiation rule"):
        rule.eval()
