"""The lambdified gradients agree with the NumPy reference and with finite differences."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import derive
from derive.models import builtin
from derive.numeric.agreement import REFERENCE, agreement_table, problem_for
from derive.numeric.gradcheck import numerical_gradient, relative_error

NAMES = [name for name in derive.derivations() if not builtin(name).chains]  # one parameter
# e^z overflows float64 beyond z = 709: the Poisson loss itself is then infinite
FINITE_AT_ANY_SCALE = [name for name in NAMES if name != "poisson"]


def problem(name: str, rng: np.random.Generator, n: int, d: int, k: int, scale: float = 1.0):
    params, X, target = problem_for(name, rng, n, d, k)
    return params * scale, X, target


def away_from_kinks(name, params, X, target) -> bool:
    if name == "hinge":
        return np.min(np.abs(1.0 - target * (X @ params))) > 1e-3
    if name != "svm":
        return True
    S = X @ params.T
    margins = S - S[np.arange(len(target)), target][:, None] + 1.0
    margins[np.arange(len(target)), target] = 1.0
    return np.min(np.abs(margins)) > 1e-3


@pytest.mark.parametrize("name", NAMES)
def test_agrees_with_reference_and_finite_differences(name):
    rng = np.random.default_rng(7)
    loss, grad = derive.loss_function(name), derive.gradient_function(name)
    ref_loss, ref_grad = REFERENCE[name]
    checked = 0
    while checked < 5:
        params, X, target = problem(name, rng, n=9, d=4, k=3)
        if not away_from_kinks(name, params, X, target):
            continue
        g = grad(params, X, target)
        assert g.shape == params.shape
        assert relative_error(loss(params, X, target), ref_loss(params, X, target)) <= 1e-8
        assert relative_error(g, ref_grad(params, X, target)) <= 1e-8
        fd = numerical_gradient(lambda p: loss(p, X, target), params)  # noqa: B023
        assert relative_error(g, fd) <= 1e-6
        checked += 1


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(1, 12),
    d=st.integers(1, 5),
    k=st.integers(2, 5),
    seed=st.integers(0, 10**6),
    scale=st.sampled_from([1e-3, 1.0, 30.0]),
)
def test_property_shapes_and_values(name, n, d, k, seed, scale):
    rng = np.random.default_rng(seed)
    params, X, target = problem(name, rng, n, d, k, scale)
    ref_loss, ref_grad = REFERENCE[name]
    g = derive.gradient_function(name)(params, X, target)
    assert g.shape == params.shape
    assert relative_error(g, ref_grad(params, X, target)) <= 1e-8
    value = derive.loss_function(name)(params, X, target)
    assert relative_error(value, ref_loss(params, X, target)) <= 1e-8


@pytest.mark.parametrize("name", FINITE_AT_ANY_SCALE)
def test_huge_scores_stay_finite_and_accurate(name):
    rng = np.random.default_rng(3)
    params, X, target = problem(name, rng, n=20, d=3, k=4)
    params = params / np.max(np.abs(X @ params.T)) * 1e4
    ref_loss, ref_grad = REFERENCE[name]
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        value = derive.loss_function(name)(params, X, target)
        g = derive.gradient_function(name)(params, X, target)
    assert np.isfinite(value) and np.all(np.isfinite(g))
    assert relative_error(value, ref_loss(params, X, target)) <= 1e-8
    assert relative_error(g, ref_grad(params, X, target)) <= 1e-8


def test_bad_shapes_are_a_clear_error():
    grad = derive.gradient_function("softmax")
    with pytest.raises(ValueError, match="shape"):
        grad(np.zeros((3, 4)), np.zeros((5, 2)), np.zeros(5, dtype=int))


def test_a_declared_model_compiles_too():
    from derive.numeric.compiled import gradient_function, loss_function
    from tests.test_engine import tanh_regression

    model = tanh_regression()
    d = derive.derive(model)
    loss, grad = loss_function(model), gradient_function(model, d.score_gradient)
    rng = np.random.default_rng(1)
    w, X, t = rng.normal(size=3), rng.normal(size=(6, 3)), rng.integers(0, 2, 6).astype(float)
    fd = numerical_gradient(lambda p: loss(p, X, t), w)
    assert relative_error(grad(w, X, t), fd) <= 1e-6
    assert np.isclose(loss(w, X, t), np.mean((np.tanh(X @ w) - t) ** 2 / 2))


def test_agreement_table_for_the_report():
    rows = agreement_table()
    assert [r["model"] for r in rows] == derive.derivations()
    for row in rows:
        assert row["err_reference"] <= 1e-8 and row["err_finite_difference"] <= 1e-6


def test_derived_losses_reproduce_the_assignment_table():
    from derive.table import ASSIGNMENT_SCORES, comparison_table

    eye = np.eye(3)  # W = I makes the scores S = X W^T equal to X
    for row, scores in zip(comparison_table(), ASSIGNMENT_SCORES, strict=True):
        X, labels = np.array([scores], dtype=float), np.array([0])
        assert derive.loss_function("svm")(eye, X, labels) == row.svm == 0
        softmax = derive.loss_function("softmax")(eye, X, labels)
        assert softmax > 0 and relative_error(softmax, row.softmax) <= 1e-9


@pytest.mark.parametrize("name", NAMES)
def test_non_finite_input_is_a_clear_error(name):
    rng = np.random.default_rng(0)
    params, X, target = problem(name, rng, n=5, d=3, k=3)
    X[2, 1] = np.nan
    with pytest.raises(ValueError, match="finite"):
        derive.gradient_function(name)(params, X, target)
