"""The verifier: proves what is true, refutes what is false with a point, never guesses."""

import math

import pytest
import sympy as sp

from derive.context import Context
from derive.errors import VerificationError
from derive.functions import sigmoid
from derive.steps import Case, Definition
from derive.verify import compare, numeric_check, verify_step

z, y, t, L = sp.symbols("z y t L")
k, kp, T = sp.symbols("k k' T", integer=True, positive=True)
K = sp.Symbol("K", integer=True, positive=True)
zs, ys = sp.IndexedBase("z"), sp.IndexedBase("y")

LOGISTIC = Context(
    definitions=(
        Definition(y, sigmoid(z), ""),
        Definition(L, -t * sp.log(y) - (1 - t) * sp.log(1 - y), ""),
    ),
    domains={"t": (0.0, 1.0), "y": (0.01, 0.99)},
)
SOFTMAX = Context(
    definitions=(Definition(ys[k], sp.exp(zs[k]) / sp.Sum(sp.exp(zs[kp]), (kp, 1, K)), ""),),
    index_bounds={k: K, kp: K, T: K},
)


def test_proves_a_derivative_through_definitions():
    outcome = compare(sp.Derivative(L, z), y - t, LOGISTIC)
    assert outcome.status == "proved"
    assert outcome.verification.method == "symbolic"


def test_refutes_with_a_concrete_counterexample():
    outcome = compare(sp.Derivative(L, y), -t / y + (1 + t) / (1 - y), LOGISTIC)
    assert outcome.status == "refuted"
    point = {sp.Symbol(name): value for name, value in outcome.counterexample.items()}
    at = {y: 1 / (1 + sp.exp(-z))}
    lhs = (-t / y + (1 - t) / (1 - y)).subs(at).subs(point)
    rhs = (-t / y + (1 + t) / (1 - y)).subs(at).subs(point)
    assert math.isfinite(float(lhs)) and math.isfinite(float(rhs))
    assert abs(float(lhs - rhs)) > 1e-6


def test_indexed_softmax_derivative_with_both_cases():
    lhs = sp.Derivative(ys[T], zs[k])
    assert compare(lhs, ys[T] * (sp.KroneckerDelta(T, k) - ys[k]), SOFTMAX).ok
    equal = Case(sp.Eq(k, T), "k = T")
    other = Case(sp.Ne(k, T), "k != T")
    assert compare(sp.Derivative(ys[k], zs[k]), ys[k] * (1 - ys[k]), SOFTMAX).ok
    assert compare(lhs, -ys[T] * ys[k], SOFTMAX, case=other).ok
    # the assignment's slip: dy_T/dz_k = dy_k/dz_k holds only when k = T
    assert compare(lhs, sp.Derivative(ys[k], zs[k]), SOFTMAX, case=equal).ok
    assert compare(lhs, sp.Derivative(ys[k], zs[k]), SOFTMAX).status == "refuted"


def test_numeric_check_reports_points_and_sizes():
    outcome = numeric_check(
        sp.Sum(zs[kp], (kp, 1, K)) ** 2,
        sp.Sum(zs[kp], (kp, 1, K)) * sp.Sum(zs[k], (k, 1, K)),
        SOFTMAX,
    )
    assert outcome.status == "verified"
    assert outcome.verification.points >= 8
    assert outcome.verification.sizes == (2, 3)


def test_a_failed_verification_is_an_error():
    with pytest.raises(VerificationError, match="failed verification"):
        verify_step(sp.Derivative(y, z), y * (1 + y), LOGISTIC)


def test_nowhere_finite_is_unknown_not_refuted():
    outcome = compare(sp.log(-1 - y**2), sp.log(-2 - y**2), LOGISTIC)
    assert outcome.status in ("unknown", "refuted")
    if outcome.status == "refuted":
        pytest.fail("refuted without a point where both sides are finite")


def test_a_wrong_factor_in_an_indexed_chain_is_refuted():
    # every index, also those only inside a derivative's variable, gets a concrete value
    import derive
    from derive.engine import _context
    from derive.models import softmax as s

    context = _context(derive.model("softmax"))
    chain = sp.Mul(
        sp.Derivative(s.L, s.y[s.T]),
        sp.Derivative(s.y[s.T], s.z[s.k]),
        sp.Derivative(s.z[s.k], s.W[s.k, s.j]),
        evaluate=False,
    )
    lhs = sp.Derivative(s.L, s.W[s.k, s.j])
    assert compare(lhs, chain, context).ok
    assert compare(lhs, 2 * chain, context).status == "refuted"
    assert compare(lhs, chain.xreplace({s.j: s.k}), context).status == "refuted"


def test_substitution_leaves_the_variables_of_inserted_derivatives_alone():
    from derive.verify import substitute_once

    x, q = sp.symbols("x q")
    defs = (
        Definition(y, sp.Sum(x, (kp, 1, K)), ""),
        Definition(zs[k], sp.Derivative(x, y) / sp.Derivative(1 - y, y), ""),
    )
    once = substitute_once(zs[k] + y * q, defs)  # used to fail: d/dy became d/d(sum)
    assert once.has(sp.Derivative(x, y)) and once.has(sp.Sum)
