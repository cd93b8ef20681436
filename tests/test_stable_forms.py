"""Callables of a model written the way people write it stay finite for scores of any size:
log(1 + e^u), 1/(1 + e^u) and e^u/(1 + e^u) are computed in their stable forms."""

import numpy as np
import pytest

import derive
from derive.numeric.gradcheck import numerical_gradient, relative_error

LOGISTIC_SIGNS = """# Logistic loss with labels -1 and 1
$$z = w^T x$$
$$L = \\log(1 + e^{-t z})$$
Parameter: $w$
Assume: $t \\in \\{-1, 1\\}$
"""


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "logistic-signs.md"
    path.write_text(LOGISTIC_SIGNS)
    return derive.load_model(path)


def reference(w, X, t) -> float:
    return float(np.mean(np.logaddexp(0.0, -t * (X @ w))))


@pytest.mark.parametrize("scale", [1.0, 1e3, 1e6])
def test_loss_and_gradient_are_finite_and_right_at_any_scale(model, scale):
    rng = np.random.default_rng(3)
    X, t = rng.normal(size=(9, 3)), rng.choice([-1.0, 1.0], 9)
    w = scale * rng.normal(size=3)
    loss, grad = derive.loss_function(model), derive.gradient_function(model)
    assert loss(w, X, t) == pytest.approx(reference(w, X, t), rel=1e-12)
    g = grad(w, X, t)
    assert np.all(np.isfinite(g))
    # the gradient of the mean: -t x sigma(-t z), computed here from its definition
    expected = np.mean((-t / (1.0 + np.exp(np.minimum(t * (X @ w), 700))))[:, None] * X, axis=0)
    assert relative_error(g, expected) < 1e-12
    if scale == 1.0:
        assert relative_error(g, numerical_gradient(lambda p: reference(p, X, t), w)) < 1e-6


@pytest.mark.parametrize("name", ["logistic", "logistic_l2"])
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_the_sigmoid_of_a_huge_score_is_not_nan(name, sign):
    from derive.numeric.agreement import REFERENCE

    X, t = np.array([[0.12573022], [0.5]]), np.array([0.0, 1.0])
    w = np.array([sign * 6404.2265])
    value, g = derive.value_and_grad_function(name)(w, X, t)
    ref_loss, ref_grad = REFERENCE[name]
    assert value == pytest.approx(ref_loss(w, X, t), rel=1e-12)
    assert relative_error(g, ref_grad(w, X, t)) < 1e-12
