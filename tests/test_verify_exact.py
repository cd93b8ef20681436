"""A verdict goes beyond rounding: no false identity is verified, no true one refuted by noise."""

from __future__ import annotations

import mpmath
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import derive
from derive.context import Context
from derive.verify import compare, numeric_check
from derive.verify.budget import expansion_terms, within_budget
from derive.verify.precision import _judge

x, y, z = sp.symbols("x y z")
PLAIN = Context()


def test_a_difference_that_is_a_nonzero_constant_is_refuted_symbolically():
    big = sp.Integer(10) ** 20
    outcome = compare(big * x, big * x + 1, PLAIN)
    assert outcome.status == "refuted"
    assert "differ by -1" in outcome.reason
    assert outcome.counterexample


def test_a_high_power_identity_plus_one_is_refuted():
    left = (x + y + z) ** 300 * (x - y + z) ** 300
    right = ((x + z) ** 2 - y**2) ** 300 + 1
    assert not within_budget(left - right, "cancel")  # beyond what a proof may expand
    assert compare(left, right, PLAIN).status == "refuted"


def test_a_difference_below_float_rounding_is_still_seen():
    # float64 cannot tell these apart (relative difference 1e-30); exact arithmetic can
    power = ((x + z) ** 2 - y**2) ** 300
    left = (x + y + z) ** 300 * (x - y + z) ** 300
    outcome = numeric_check(left, power * (1 + sp.Rational(1, 10**30)), PLAIN)
    assert outcome.status == "refuted"
    assert "exact rational arithmetic" in outcome.reason


def test_catastrophic_cancellation_in_float_does_not_refute_a_true_identity():
    # float64 loses every digit of x^2 next to 10^40; exact arithmetic confirms the identity
    big = sp.Integer(10) ** 20
    heavy = (y + z + 1) ** 300
    left = ((x + big) ** 2 - big**2 - 2 * big * x) * heavy
    outcome = compare(left, x**2 * heavy, PLAIN)
    assert outcome.status == "verified", outcome.reason
    assert "confirmed in exact rational arithmetic" in outcome.verification.detail


def test_transcendental_sides_are_confirmed_at_raised_precision():
    # beyond the proof budget, so the numeric check decides; exp and log need mpmath
    heavy = (y + z + 1) ** 300
    left = sp.log(sp.exp(x) + 1) * heavy
    right = (x + sp.log(1 + sp.exp(-x))) * heavy
    outcome = compare(left, right, PLAIN)
    assert outcome.status == "verified", outcome.reason
    assert "digit arithmetic" in outcome.verification.detail
    wrong = compare(left, (x + sp.log(1 + sp.exp(-x)) + sp.Rational(1, 10**25)) * heavy, PLAIN)
    assert wrong.status == "refuted"


def test_rounding_shrinks_with_precision_and_a_real_difference_holds_still():
    ten = mpmath.mpf(10)
    rounding = [(p, ten ** (-p), mpmath.mpf(1)) for p in (30, 60, 120)]
    assert _judge(rounding) == "agree"
    real = [(p, ten**-40, mpmath.mpf(1)) for p in (60, 120)]
    assert _judge(real) == "differ"
    # a difference hidden below 30 digits, then seen: neither verdict yet
    hidden = [(30, mpmath.mpf(0), mpmath.mpf(1)), (60, ten**-40, mpmath.mpf(1))]
    assert _judge(hidden) == "unresolved"


def test_expansion_estimate_counts_monomials():
    assert expansion_terms((x + y) ** 2) == 3
    assert expansion_terms((x + y + z) ** 300) > 4000
    assert expansion_terms(sp.exp((x + y) ** 2) * (x + 1)) <= 10


@pytest.mark.parametrize(
    ("text", "verdict"),
    [
        ("$$10^{20} x = 10^{20} x + 1$$", "refuted"),
        ("$$(x+y+z)^{300}(x-y+z)^{300} = ((x+z)^2-y^2)^{300} + 1$$", "refuted"),
        ("$$(x+y+z)^{300}(x-y+z)^{300} = ((x+z)^2-y^2)^{300}$$", "verified"),
        ("$$\\frac{10^{-20} x}{10^{-20}} = x$$", "proved"),
    ],
)
def test_the_checker_never_verifies_a_false_identity(text: str, verdict: str):
    (step,) = derive.check(text).steps
    assert step.verdict == verdict, step.detail


def test_concrete_subscript_definitions_define_only_their_member():
    p, zs = sp.IndexedBase("p"), sp.IndexedBase("z")
    total = sp.exp(zs[1]) + sp.exp(zs[2])
    context = Context(
        definitions=(
            derive.Definition(p[1], sp.exp(zs[1]) / total, "p_1"),
            derive.Definition(p[2], sp.exp(zs[2]) / total, "p_2"),
        )
    )
    assert compare(p[1] + p[2], sp.Integer(1), context).ok
    assert compare(p[1], 1 / (1 + sp.exp(zs[2] - zs[1])), context).ok
    assert compare(p[1], p[2], context).status == "refuted"
    # numerically too: the compiled check reads p_1 and p_2 through their own definitions
    assert numeric_check(p[1] + p[2], sp.Integer(1), context).status == "verified"
    assert numeric_check(p[1] + p[2], sp.Integer(2), context).status == "refuted"


coefficients = st.integers(-30, 30).map(lambda k: sp.Integer(10) ** k)
powers = st.integers(1, 6)


@st.composite
def polynomials(draw) -> tuple[sp.Expr, sp.Expr]:
    """A product of a few sums with huge and tiny coefficients, and the same product multiplied
    out; sometimes times a high power that puts it beyond the proof budget, where only the
    numeric check can decide (and float64 loses every digit to cancellation)."""
    factors = []
    for _ in range(draw(st.integers(1, 3))):
        a, b, c = (draw(coefficients) for _ in range(3))
        factors.append((a * x + b * y + c) ** draw(powers))
    small = sp.Mul(*factors)
    big = (x + y + z + 1) ** draw(st.integers(200, 300)) if draw(st.booleans()) else sp.S.One
    return small * big, sp.expand(small) * big


@settings(max_examples=15, deadline=None)
@given(polynomials())
def test_a_true_identity_is_never_refuted(pair: tuple[sp.Expr, sp.Expr]):
    outcome = compare(*pair, PLAIN)
    assert outcome.status in ("proved", "verified"), outcome


@settings(max_examples=15, deadline=None)
@given(polynomials(), st.integers(-40, 10))
def test_a_false_identity_is_never_verified(pair: tuple[sp.Expr, sp.Expr], k: int):
    # 10^k y more, however small next to the rest, is never "equal"
    left, right = pair
    outcome = compare(left, right + sp.Integer(10) ** k * y, PLAIN)
    assert outcome.status == "refuted", outcome


def test_values_beyond_float64_are_decided_by_exact_arithmetic():
    # about 1e390 at every sample point: float64 overflows, exact arithmetic does not
    huge = sp.Integer(10) ** 30
    small = (huge * x + huge * y + huge) ** 6 * (huge * x + y + 1) ** 6
    big = (x + y + z + 1) ** 300
    outcome = compare(small * big, sp.expand(small) * big, PLAIN)
    assert outcome.status == "verified", outcome
    assert outcome.verification.max_error is None  # no float64 point was usable
    wrong = compare(small * big, sp.expand(small) * big + y / huge, PLAIN)
    assert wrong.status == "refuted"


def test_a_side_that_is_not_real_at_a_point_refutes_nothing():
    # log(x^2) = 2 log(x) holds where both are defined (x > 0), and nowhere else is it judged
    outcome = compare(sp.log(x**2), 2 * sp.log(x), PLAIN)
    assert outcome.status != "refuted", outcome
