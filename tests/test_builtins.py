"""The built-ins beyond the assignment: their derived results, the penalty in the cost and the
update, the hyperparameters of the callables, the targets each model takes."""

import numpy as np
import pytest
import sympy as sp

import derive
from derive.calculus import NoRule, PiecewiseRule, differentiate
from derive.models import hinge, huber, linear, logistic, poisson, softmax, softmax_smoothing
from derive.numeric import reference as ref
from derive.numeric.agreement import REFERENCE, problem_for
from derive.numeric.gradcheck import numerical_gradient, relative_error

NEW = ["linear", "hinge", "logistic_l2", "softmax_l2", "huber", "poisson", "softmax_smoothing"]


def equal(a: sp.Expr, b: sp.Expr) -> bool:
    return sp.simplify(a - b) == 0


def test_the_catalogue_keeps_the_assignment_first_and_has_the_new_ones():
    names = derive.derivations()
    assert names[:3] == ["logistic", "softmax", "svm"]
    assert names[3 : 3 + len(NEW)] == NEW and "two-layer" in names[3 + len(NEW) :]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("linear", (linear.z - linear.t) * linear.x[linear.j]),
        (
            "hinge",
            -hinge.t * sp.Heaviside(1 - hinge.t * hinge.z, 0) * hinge.x[hinge.j],
        ),
        ("logistic_l2", (logistic.y - logistic.t) * logistic.x[logistic.j]),
        (
            "softmax_l2",
            (softmax.y[softmax.k] - softmax.t[softmax.k]) * softmax.x[softmax.j],
        ),
        ("poisson", (poisson.mu - poisson.t) * poisson.x[poisson.j]),
        (
            "softmax_smoothing",
            (softmax_smoothing.y[softmax_smoothing.k] - softmax_smoothing.q[softmax_smoothing.k])
            * softmax_smoothing.x[softmax_smoothing.j],
        ),
    ],
)
def test_the_derived_result(name, expected):
    assert equal(derive.derivation(name).result.rhs, expected)


def test_huber_result_is_the_residual_clipped():
    result = derive.derivation("huber").result.rhs
    assert result.has(sp.Piecewise)
    r, delta, x, j = huber.r, huber.delta, huber.x, huber.j
    for value in (-3.0, -1.0, -0.2, 0.0, 0.7, 1.0, 2.5):
        at = result.subs({r: value, delta: 1.0, x[j]: 2.0})
        assert float(at) == pytest.approx(2.0 * np.clip(value, -1.0, 1.0))


@pytest.mark.parametrize("name", NEW)
def test_every_step_is_verified(name):
    d = derive.derivation(name)
    steps = [*d.steps, d.result, d.vector_form, d.update_rule.step, *d.update_rule.step.substeps]
    for step in steps:
        assert step.verification.method in ("symbolic", "numeric")


@pytest.mark.parametrize("name", ["logistic_l2", "softmax_l2"])
def test_the_penalty_is_in_the_cost_and_the_update_not_in_the_loss(name):
    d = derive.derivation(name)
    lam = sp.Symbol("lambda", positive=True)
    definitions = {str(defn.lhs): defn.rhs for defn in d.definitions}
    assert not definitions["L"].has(lam)
    assert definitions["J"].has(lam)
    parameter = d.model.parameter
    update = d.update_rule.step
    assert update.rhs.has(lam * parameter)
    assert d.vector_form.rhs.has(lam)
    chain = update.substeps
    assert chain[0].lhs == sp.Derivative(sp.Symbol("J"), parameter)
    assert chain[-1].rhs.has(lam * parameter) and not chain[-1].rhs.has(sp.KroneckerDelta)


def test_a_model_without_penalty_keeps_the_plain_update():
    update = derive.derivation("logistic").update_rule.step
    assert update.substeps == ()


def test_piecewise_rule_needs_a_smooth_join():
    r = sp.Symbol("r")
    smooth = differentiate(huber.MODEL.stages[-1].expr, huber.r)
    assert isinstance(smooth, PiecewiseRule)
    jump = differentiate(sp.Piecewise((0, r < 0), (1, True)), r)
    assert isinstance(jump, NoRule)
    kink = differentiate(sp.Piecewise((-r, r < 0), (r, True)), r)
    assert isinstance(kink, NoRule)


KEYWORDS = {
    "logistic_l2": ("lam", 0.7),
    "softmax_l2": ("lam", 0.7),
    "huber": ("delta", 0.3),
    "softmax_smoothing": ("epsilon", 0.25),
}


@pytest.mark.parametrize("name", list(KEYWORDS))
def test_hyperparameters_are_keywords_that_change_the_result(name):
    keyword, value = KEYWORDS[name]
    rng = np.random.default_rng(3)
    params, X, target = problem_for(name, rng, 12, 4, 3)
    ref_loss, ref_grad = REFERENCE[name]
    both = derive.value_and_grad_function(name)
    loss = derive.loss_function(name)
    default_value, default_grad = both(params, X, target)
    got_value, got_grad = both(params, X, target, **{keyword: value})
    assert relative_error(got_value, ref_loss(params, X, target, **{keyword: value})) <= 1e-12
    assert relative_error(got_grad, ref_grad(params, X, target, **{keyword: value})) <= 1e-12
    assert relative_error(default_value, got_value) > 1e-6
    fd = numerical_gradient(lambda p: loss(p, X, target, **{keyword: value}), params)
    assert relative_error(got_grad, fd) <= 1e-6
    assert derive.gradient_function(name)(params, X, target, **{keyword: 1}).shape == params.shape


@pytest.mark.parametrize(
    ("name", "keyword", "bad"),
    [
        ("logistic_l2", "lam", -0.1),
        ("softmax_l2", "lam", float("nan")),
        ("huber", "delta", 0.0),
        ("huber", "delta", float("inf")),
        ("softmax_smoothing", "epsilon", 1.5),
        ("softmax_smoothing", "epsilon", "x"),
    ],
)
def test_a_bad_hyperparameter_is_a_clear_error(name, keyword, bad):
    params, X, target = problem_for(name, np.random.default_rng(0), 5, 3, 3)
    with pytest.raises(ValueError, match=keyword):
        derive.loss_function(name)(params, X, target, **{keyword: bad})


def test_no_penalty_and_no_smoothing_give_the_plain_models():
    rng = np.random.default_rng(4)
    w, X, t = problem_for("logistic_l2", rng, 10, 3, 2)
    plain = derive.value_and_grad_function("logistic")(w, X, t)
    penalised = derive.value_and_grad_function("logistic_l2")(w, X, t, lam=0.0)
    assert penalised[0] == pytest.approx(plain[0], rel=1e-15)
    assert relative_error(penalised[1], plain[1]) == 0
    W, X, labels = problem_for("softmax_smoothing", rng, 10, 3, 4)
    plain = derive.value_and_grad_function("softmax")(W, X, labels)
    smoothed = derive.value_and_grad_function("softmax_smoothing")(W, X, labels, epsilon=0.0)
    assert smoothed[0] == pytest.approx(plain[0], rel=1e-12)
    assert relative_error(smoothed[1], plain[1]) <= 1e-14


@pytest.mark.parametrize(
    ("name", "bad", "message"),
    [
        ("hinge", 0.0, "the targets -1 or 1"),
        ("hinge", 0.5, "the targets -1 or 1"),
        ("hinge", 1.0 + 2.0**-52, "the targets -1 or 1"),
        ("poisson", -1.0, "counts >= 0"),
        ("poisson", -5e-324, "counts >= 0"),
        ("poisson", np.nan, "finite"),
    ],
)
def test_targets_the_model_does_not_take_are_refused(name, bad, message):
    params, X, target = problem_for(name, np.random.default_rng(5), 6, 3, 3)
    target[2] = bad
    for build in (derive.loss_function, derive.gradient_function, derive.value_and_grad_function):
        with pytest.raises(ValueError, match=message):
            build(name)(params, X, target)


def test_real_targets_are_any_finite_number():
    rng = np.random.default_rng(6)
    w, X, t = problem_for("linear", rng, 8, 3, 2)
    t[0] = -1e6
    for name in ("linear", "huber"):
        value = derive.loss_function(name)(w, X, t)
        assert relative_error(value, REFERENCE[name][0](w, X, t)) <= 1e-12


def test_huber_is_linear_for_huge_residuals_and_stays_finite():
    w, X = np.array([1.0]), np.array([[1e200], [-1e200], [0.5]])
    t = np.zeros(3)
    with np.errstate(over="raise", invalid="raise"):
        value, g = derive.value_and_grad_function("huber")(w, X, t)
    assert np.isfinite(value) and np.isfinite(g).all()
    assert relative_error(value, ref.huber_loss(w, X, t)) <= 1e-12
    assert relative_error(g, ref.huber_grad(w, X, t)) <= 1e-12


def test_poisson_at_large_scores_agrees_with_the_reference():
    rng = np.random.default_rng(7)
    w, X, t = problem_for("poisson", rng, 20, 3, 2)
    w = w / np.max(np.abs(X @ w)) * 700.0
    value, g = derive.value_and_grad_function("poisson")(w, X, t)
    assert np.isfinite(value)
    assert relative_error(value, ref.poisson_loss(w, X, t)) <= 1e-12
    assert relative_error(g, ref.poisson_grad(w, X, t)) <= 1e-12


def test_hinge_subgradient_is_zero_at_the_kink():
    w, X, t = np.array([1.0, 0.0]), np.array([[1.0, 2.0], [0.5, 1.0]]), np.array([1.0, 1.0])
    g = derive.gradient_function("hinge")(w, X, t)  # example 0 sits on the kink t z = 1
    assert np.array_equal(g, ref.hinge_grad(w, X, t))
    assert np.array_equal(g, -X[1] / 2)


@pytest.mark.parametrize("name", NEW)
def test_the_cache_gives_back_the_same_derivation(name):
    from derive.codec import derivation_from_json, derivation_to_json

    d = derive.derivation(name)
    again = derivation_from_json(derivation_to_json(d), d.model)
    assert again.to_dict() == d.to_dict()
    assert again.update_rule.step.substeps == d.update_rule.step.substeps


@pytest.mark.parametrize("name", NEW)
def test_each_reference_gradient_is_that_of_its_loss(name):
    """The NumPy references are a second opinion only if they are right: central differences."""
    ref_loss, ref_grad = REFERENCE[name]
    rng = np.random.default_rng(8)
    checked = 0
    while checked < 3:
        params, X, target = problem_for(name, rng, 11, 4, 3)
        if name == "hinge" and np.min(np.abs(1.0 - target * (X @ params))) <= 1e-3:
            continue
        fd = numerical_gradient(lambda p: ref_loss(p, X, target), params)  # noqa: B023
        assert relative_error(ref_grad(params, X, target), fd) <= 1e-6
        checked += 1
