"""Tests of the finite-difference gradient and the relative-error measure used by every check."""

import numpy as np
import pytest

from derive.numeric.gradcheck import numerical_gradient, relative_error


def test_quadratic_form_on_a_vector() -> None:
    """x^T A x with a non-symmetric A has gradient (A + A^T) x."""
    rng = np.random.default_rng(0)
    A = rng.normal(size=(5, 5))
    x = rng.normal(size=5)
    grad = numerical_gradient(lambda v: float(v @ A @ v), x)
    assert relative_error(grad, (A + A.T) @ x) <= 1e-8


def test_quadratic_form_on_a_matrix() -> None:
    """sum_ij X_ij (A X)_ij = vec(X)^T (I kron A) vec(X): gradient (A + A^T) X keeps X's shape."""
    rng = np.random.default_rng(1)
    A = rng.normal(size=(4, 4))
    X = rng.normal(size=(4, 3))
    grad = numerical_gradient(lambda M: float(np.sum(M * (A @ M))), X)
    assert grad.shape == X.shape
    assert relative_error(grad, (A + A.T) @ X) <= 1e-8


def test_known_nonlinear_functions() -> None:
    """Gradients of sum(sin) and log-sum-exp on a 3-D array match their closed forms."""
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 3, 2))
    sines = numerical_gradient(lambda v: float(np.sum(np.sin(v))), x)
    assert relative_error(sines, np.cos(x)) < 1e-8
    softmax = np.exp(x) / np.exp(x).sum()
    lse = numerical_gradient(lambda v: float(np.log(np.sum(np.exp(v)))), x)
    assert relative_error(lse, softmax) < 1e-7


def test_scalar_and_integer_input() -> None:
    """A 0-d input gives a 0-d gradient; integer input is promoted to float64, not truncated."""
    assert numerical_gradient(lambda v: float(v**3), 2.0).shape == ()
    assert numerical_gradient(lambda v: float(v**3), 2.0) == pytest.approx(12.0, rel=1e-8)
    grad = numerical_gradient(lambda v: float(np.sum(v**2)), np.array([1, 2, 3]))
    assert grad.dtype == np.float64
    np.testing.assert_allclose(grad, [2.0, 4.0, 6.0], rtol=1e-8)


def test_does_not_mutate_input() -> None:
    """The caller's array is untouched, even when f itself mutates what it receives."""
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    before = x.copy()

    def greedy(v: np.ndarray) -> float:
        """A badly behaved f that scribbles on its argument after reading it."""
        value = float(np.sum(v**2))
        v[...] = 1e9
        return value

    grad = numerical_gradient(greedy, x)
    np.testing.assert_array_equal(x, before)
    np.testing.assert_allclose(grad, 2.0 * before, rtol=1e-8)


def test_rejects_bad_eps_and_non_scalar_f() -> None:
    """eps must be positive and finite; f must return a scalar."""
    for eps in (0.0, -1e-6, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="eps"):
            numerical_gradient(lambda v: float(np.sum(v)), np.ones(2), eps=eps)
    with pytest.raises(ValueError, match="scalar"):
        numerical_gradient(lambda v: v * 2.0, np.ones(2))


def test_relative_error_definition() -> None:
    """max|a-b| / max(max|a|, max|b|, tiny): symmetric, scale-free, 0 for equal and for zeros."""
    a = np.array([1.0, -4.0, 2.0])
    b = np.array([1.0, -3.0, 2.5])
    assert relative_error(a, b) == pytest.approx(1.0 / 4.0)
    assert relative_error(a, b) == relative_error(b, a)
    assert relative_error(1e-30 * a, 1e-30 * b) == pytest.approx(0.25)
    assert relative_error(a, a) == 0.0
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error(np.zeros(0), np.zeros(0)) == 0.0
    assert relative_error(a, -a) == 2.0
    assert np.isnan(relative_error([np.nan], [1.0]))
    with pytest.raises(ValueError, match="same shape"):
        relative_error(np.zeros(2), np.zeros(3))
