"""How closely the derived gradients agree with the NumPy reference and finite differences.

Computed at build time for the report's numeric-verification table.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from derive.numeric import reference as ref
from derive.numeric.gradcheck import numerical_gradient, relative_error

REFERENCE = {
    "logistic": (ref.logistic_loss, ref.logistic_grad),
    "softmax": (ref.softmax_loss, ref.softmax_grad),
    "svm": (ref.svm_loss, ref.svm_grad),
}


def random_problem(binary: bool, rng: np.random.Generator, n: int, d: int, k: int):
    """Random parameters, inputs and targets of the right shapes (t in {0,1} or labels)."""
    X = rng.normal(size=(n, d))
    if binary:
        return rng.normal(size=d), X, rng.integers(0, 2, n).astype(float)
    return rng.normal(size=(k, d)), X, rng.integers(0, k, n)


def agreement(name: str, n: int = 50, d: int = 5, k: int = 4, seed: int = 0) -> dict[str, Any]:
    """Largest relative error of the derived gradient against NumPy and finite differences."""
    from derive.api import derivation, gradient_function, loss_function

    rng = np.random.default_rng(seed)
    if derivation(name).gradients:
        return _network_agreement(name, rng, n, d, k)
    binary = derivation(name).model.label is None
    loss, grad = loss_function(name), gradient_function(name)
    params, X, target = random_problem(binary, rng, n, d, k)
    g = grad(params, X, target)
    row: dict[str, Any] = {"model": name, "N": n, "D": d, "K": None if binary else k}
    reference = REFERENCE.get(name)
    row["err_reference"] = relative_error(g, reference[1](params, X, target)) if reference else None
    fd = numerical_gradient(lambda p: loss(p, X, target), params)
    row["err_finite_difference"] = relative_error(g, fd)
    return row


def _network_agreement(name: str, rng: np.random.Generator, n: int, d: int, k: int):
    """The same row for the two-layer network (H = d hidden units): the largest error of its
    four gradients."""
    from derive.api import gradient_function, loss_function
    from derive.numeric.reference_network import network_grad

    h = d
    params = (
        rng.normal(size=(h, d)),
        rng.normal(size=h),
        rng.normal(size=(k, h)),
        rng.normal(size=k),
    )
    X, labels = rng.normal(size=(n, d)), rng.integers(0, k, n)
    loss, grads = loss_function(name), gradient_function(name)(params, X, labels)
    reference = network_grad(params, X, labels)
    errors, fds = [], []
    for position, (g, r) in enumerate(zip(grads, reference, strict=True)):
        errors.append(relative_error(g, r))

        def moved(p, position=position):
            return loss(params[:position] + (p,) + params[position + 1 :], X, labels)

        fds.append(relative_error(g, numerical_gradient(moved, params[position])))
    row: dict[str, Any] = {"model": name, "N": n, "D": d, "K": k}
    return {**row, "err_reference": max(errors), "err_finite_difference": max(fds)}


def agreement_table(names: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """One row per derivation, in the given order (all built-in ones by default)."""
    from derive.api import derivations

    return [agreement(name) for name in (names or derivations())]
