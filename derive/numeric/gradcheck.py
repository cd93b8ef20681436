"""Finite-difference gradients and a relative-error measure, to check analytic gradients."""

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

__all__ = ["numerical_gradient", "relative_error"]


def numerical_gradient(
    f: Callable[[FloatArray], float], x: npt.ArrayLike, eps: float = 1e-6
) -> FloatArray:
    """Central-difference gradient of a scalar function of an array of any shape, as a check.

    Each entry is (f(x + eps e_i) - f(x - eps e_i)) / h, where h is the distance between the two
    probe points as actually stored in float64 (not the nominal 2 eps), which removes the error of
    rounding x +- eps. f only ever sees fresh float64 copies; the caller's x is never modified.
    """
    step = float(eps)
    if not np.isfinite(step) or step <= 0.0:
        raise ValueError(f"eps must be a finite positive number, got {eps!r}")
    point = np.array(x, dtype=np.float64)  # np.array copies: the caller's array stays untouched
    grad = np.empty_like(point)
    for index in np.ndindex(point.shape):
        values = []
        probes = []
        for sign in (1.0, -1.0):
            probe = point.copy()
            probe[index] = point[index] + sign * step
            probes.append(probe[index])
            value = f(probe)
            if np.ndim(value) != 0:
                raise ValueError(f"f must return a scalar, got shape {np.shape(value)}")
            values.append(float(value))
        grad[index] = (values[0] - values[1]) / (probes[0] - probes[1])
    return grad


def relative_error(a: npt.ArrayLike, b: npt.ArrayLike) -> float:
    """Max-norm relative error of two same-shape arrays, the pass/fail figure of a gradient check.

    Defined as max|a - b| / max(max|a|, max|b|, tiny), with tiny the smallest normal float64: it
    is symmetric in a and b, invariant to scaling both, 0 exactly when a == b (also when both are
    zero, thanks to the floor), and at most 2. Empty arrays give 0; any nan gives nan.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    scale = max(float(np.max(np.abs(a))), float(np.max(np.abs(b))), np.finfo(np.float64).tiny)
    return float(np.max(np.abs(a - b))) / scale
