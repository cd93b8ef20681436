"""The verifier's own chain rule (one stage at a time) against differentiating the loss written
out in full, on every built-in model: the same derivative, confirmed beyond rounding."""

import pytest
import sympy as sp

from derive.engine import _context
from derive.models import CATALOGUE, builtin
from derive.models.two_layer import W1, L, a, d, h, k, m, s
from derive.verify import compare, numeric_check
from derive.verify.substitute import differentiate_expanded, through_parent


def _pairs(model):
    """Every (upper, lower) pair of variables along the model's chains, upper first."""
    seen = []
    for chain in (model.chain, *model.chains):
        for n, upper in enumerate(chain):
            for lower in chain[n + 1 :]:
                if (upper, lower) not in seen:
                    seen.append((upper, lower))
    return seen


@pytest.mark.parametrize("name", list(CATALOGUE))
def test_chain_rule_through_stages_agrees_with_the_written_out_loss(name):
    model = builtin(name)
    context = _context(model)
    used = 0
    for upper, lower in _pairs(model):
        d = sp.Derivative(upper, lower)
        by_stages = through_parent(d, context)
        if by_stages is None:
            continue
        used += 1
        written_out = differentiate_expanded(d, context)
        outcome = numeric_check(by_stages, written_out, context)
        assert outcome.status == "verified", (d, by_stages, written_out, outcome.reason)
    assert used > 0  # every built-in has a parameter that enters through one stage


def test_a_wrong_chain_is_told_apart():
    """Checked against the stages, a chain that misses the sum over k is refuted."""
    context = _context(builtin("two-layer"))
    assert through_parent(sp.Derivative(L, W1[m, d]), context) is not None
    wrong = (
        sp.Derivative(L, s[k])
        * sp.Derivative(s[k], a[m])
        * sp.Derivative(a[m], h[m])
        * sp.Derivative(h[m], W1[m, d])
    )
    assert compare(sp.Derivative(L, W1[m, d]), wrong, context).status == "refuted"


@pytest.mark.parametrize("name", ["logistic", "softmax", "two-layer"])
def test_the_cost_is_not_differentiated_through_one_example_stage(name):
    """J is a mean over examples: z^(i) differs per example, so no single stage carries W."""
    model = builtin(name)
    context = _context(model)
    chain = model.chain
    assert through_parent(sp.Derivative(sp.Symbol("J"), chain[-1]), context) is None
