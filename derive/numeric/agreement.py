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


def random_problem(
    binary: bool, rng: np.random.Generator, n: int, d: int, k: int, targets=(0.0, 1.0)
):
    """Random parameters, inputs and targets of the right shapes (t among ``targets``, any
    real number when they are None, or labels)."""
    X = rng.normal(size=(n, d))
    if binary:
        if targets is None:
            t = rng.normal(size=n)
        else:
            t = np.asarray(targets, dtype=float)[rng.integers(0, len(targets), n)]
        return rng.normal(size=d), X, t
    return rng.normal(size=(k, d)), X, rng.integers(0, k, n)


def agreement(name, n: int = 50, d: int = 5, k: int = 4, seed: int = 0) -> dict[str, Any]:
    """Largest relative error of the derived gradient against NumPy and finite differences,
    for a built-in's name or a Model (which has no NumPy reference)."""
    from derive.api import derivation, gradient_function, loss_function

    rng = np.random.default_rng(seed)
    model = derivation(name).model
    binary = model.label is None
    loss, grad = loss_function(name), gradient_function(name)
    targets = (0.0, 1.0) if isinstance(name, str) else model.targets
    params, X, target = random_problem(binary, rng, n, d, k, targets)
    g = grad(params, X, target)
    row: dict[str, Any] = {"model": model.name, "N": n, "D": d, "K": None if binary else k}
    reference = REFERENCE.get(name) if isinstance(name, str) else None
    row["err_reference"] = relative_error(g, reference[1](params, X, target)) if reference else None
    fd = numerical_gradient(lambda p: loss(p, X, target), params)
    row["err_finite_difference"] = relative_error(g, fd)
    return row


def agreement_table(names: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """One row per derivation, in the given order (all built-in ones by default)."""
    from derive.api import derivations

    return [agreement(name) for name in (names or derivations())]
