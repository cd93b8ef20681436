"""How closely the derived gradients agree with the NumPy reference and finite differences.

Computed at build time for the report's numeric-verification table.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from derive.numeric import reference as ref
from derive.numeric.gradcheck import numerical_gradient, relative_error

if TYPE_CHECKING:
    from derive.model import Model

REFERENCE = {
    "logistic": (ref.logistic_loss, ref.logistic_grad),
    "softmax": (ref.softmax_loss, ref.softmax_grad),
    "svm": (ref.svm_loss, ref.svm_grad),
    "linear": (ref.linear_loss, ref.linear_grad),
    "hinge": (ref.hinge_loss, ref.hinge_grad),
    "logistic_l2": (ref.logistic_l2_loss, ref.logistic_l2_grad),
    "softmax_l2": (ref.softmax_l2_loss, ref.softmax_l2_grad),
    "huber": (ref.huber_loss, ref.huber_grad),
    "poisson": (ref.poisson_loss, ref.poisson_grad),
    "softmax_smoothing": (ref.smoothed_softmax_loss, ref.smoothed_softmax_grad),
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


def problem_for(model: str | Model, rng: np.random.Generator, n: int, d: int, k: int):
    """Random parameters, inputs and targets of ``model`` (or the built-in of that name): its
    declared targets (0/1, -1/1), counts for a model of counts, real targets for a
    regression, or labels."""
    if isinstance(model, str):
        from derive.models import builtin

        model = builtin(model)
    binary = model.label is None
    params, X, target = random_problem(binary, rng, n, d, k)
    if binary and model.targets is not None:
        target = rng.choice(np.asarray(model.targets, dtype=float), n)
    elif binary and model.nonnegative_targets:
        target = rng.poisson(2.0, n).astype(float)
    elif binary:
        target = 2.0 * rng.normal(size=n)
    return params, X, target


def agreement(
    name: str | Model, n: int = 50, d: int = 5, k: int = 4, seed: int = 0
) -> dict[str, Any]:
    """Largest relative error of the derived gradient against NumPy and finite differences,
    for a built-in's name or a Model (which has no NumPy reference)."""
    from derive.api import derivation, gradient_function, loss_function

    rng = np.random.default_rng(seed)
    model = derivation(name).model
    binary = model.label is None
    if derivation(name).gradients:
        if not isinstance(name, str):  # a model file's weights and biases: no NumPy reference
            return _several_agreement(name, rng, n, d, k)
        return _network_agreement(name, rng, n, d, k)
    loss, grad = loss_function(name), gradient_function(name)
    params, X, target = problem_for(model, rng, n, d, k)
    g = grad(params, X, target)
    row: dict[str, Any] = {"model": model.name, "N": n, "D": d, "K": None if binary else k}
    reference = REFERENCE.get(name) if isinstance(name, str) else None
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


def _several_agreement(model: Model, rng: np.random.Generator, n: int, d: int, k: int):
    """The row of a model with several parameters of one layer (z_k = w_k^T x + b_k): its
    gradients, given as a dict by name, against finite differences."""
    from derive.api import gradient_function, loss_function

    sizes = {"D": d, "K": k}
    params = {}
    for chain in (model.chain, *model.chains):
        entry = chain[-1]
        shape = tuple(sizes[str(model.index_bounds[i])] for i in entry.indices)
        params[str(entry.base.label)] = rng.normal(size=shape)
    X, labels = rng.normal(size=(n, d)), rng.integers(0, k, n)
    loss, grads = loss_function(model), gradient_function(model)(params, X, labels)
    fds = [
        relative_error(
            grads[key],
            numerical_gradient(lambda p, key=key: loss({**params, key: p}, X, labels), v),
        )
        for key, v in params.items()
    ]
    row: dict[str, Any] = {"model": model.name, "N": n, "D": d, "K": k}
    return {**row, "err_reference": None, "err_finite_difference": max(fds)}


def agreement_table(names: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """One row per derivation, in the given order (all built-in ones by default)."""
    from derive.api import derivations

    return [agreement(name) for name in (names or derivations())]
