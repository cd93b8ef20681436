"""The NumPy callables of a derivation (loss, gradient, or both in one pass), by kind of model.

One entry point for the API, whatever the model: a model with one linear score and one
parameter gets the generated code of :mod:`derive.numeric.compiled`, a model with several
parameters (a network) that of :mod:`derive.numeric.network`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from derive.steps import Derivation

Kind = Literal["loss", "gradient", "both"]


def build(derivation: Derivation, kind: Kind) -> Callable:
    """The callable of ``kind`` for ``derivation``: its mean loss, its gradient, or both."""
    if derivation.gradients:
        from derive.numeric.network import network_function

        return network_function(derivation, kind)
    from derive.numeric import compiled

    model = derivation.model
    if kind == "loss":
        return compiled.loss_function(model)
    if kind == "gradient":
        return compiled.gradient_function(model, derivation.score_gradient)
    return compiled.value_and_grad_function(model, derivation.score_gradient)
