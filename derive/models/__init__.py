"""The built-in models, the assignment's three first; each is plain data for the engine, in a
module named after it.

``CATALOGUE`` names them with their titles without building them (no SymPy import), so that
`derive list` stays instant; :func:`builtin` imports the one asked for.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from derive.model import Model

CATALOGUE: dict[str, str] = {
    "logistic": "Logistic regression",
    "softmax": "Softmax regression",
    "svm": "Multiclass SVM (hinge) loss",
    "linear": "Linear regression (squared error)",
    "hinge": "Binary hinge loss (linear SVM)",
    "logistic_l2": "L2-regularised logistic regression",
    "softmax_l2": "L2-regularised softmax regression",
    "huber": "Huber regression",
    "poisson": "Poisson regression (log link)",
    "softmax_smoothing": "Softmax regression with label smoothing",
    "two-layer": "Two-layer neural network",
}


def builtin(name: str) -> Model:
    """The built-in model called ``name`` (KeyError for another name)."""
    if name not in CATALOGUE:
        raise KeyError(name)
    return import_module(f"derive.models.{name.replace('-', '_')}").MODEL


def __getattr__(name: str):
    if name == "MODELS":  # every built-in, built: {name: Model}
        return {n: builtin(n) for n in CATALOGUE}
    raise AttributeError(f"module 'derive.models' has no attribute {name!r}")
