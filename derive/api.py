"""The Python API: list, derive and compile the built-in derivations (and your own models)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from derive.engine import derive_model
from derive.errors import InputError
from derive.model import Model
from derive.models import MODELS
from derive.steps import Derivation


def derivations() -> list[str]:
    """The names of the built-in derivations."""
    return list(MODELS)


def model(name: str) -> Model:
    """The built-in model called ``name``; InputError names the choices for an unknown one."""
    try:
        return MODELS[name]
    except KeyError:
        raise InputError(
            f"unknown derivation {name!r}; choose one of: {', '.join(MODELS)}"
        ) from None


@cache
def derivation(name: str) -> Derivation:
    """The verified derivation of a built-in model (computed once per process)."""
    return derive_model(model(name))


def derive(user_model: Model) -> Derivation:
    """Derive and verify the gradient of a model you declare yourself."""
    return derive_model(user_model)


def gradient_function(name: str) -> Callable:
    """NumPy gradient of the mean loss, built from the derived result.

    logistic: (w, X, t) -> (D,); softmax and svm: (W, X, labels) -> (K, D).
    """
    from derive.numeric.compiled import gradient_function as build

    d = derivation(name)
    return build(d.model, d.score_gradient)


def loss_function(name: str) -> Callable:
    """NumPy mean loss with the same signature as :func:`gradient_function`."""
    from derive.numeric.compiled import loss_function as build

    return build(derivation(name).model)


def value_and_grad_function(name: str) -> Callable:
    """NumPy (mean loss, gradient) in one pass, the signature of :func:`gradient_function`:
    what optimisers call (``scipy.optimize.minimize(..., jac=True)``)."""
    from derive.numeric.compiled import value_and_grad_function as build

    d = derivation(name)
    return build(d.model, d.score_gradient)
