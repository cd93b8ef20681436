"""The Python API: list, derive and compile the built-in derivations (and your own models).

Derivations are cached on disk (:mod:`derive.cache`) and in the process; ``use_cache=False``
derives and verifies again. SymPy is imported only when a derivation is built or read.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING

from derive import cache as disk
from derive.errors import InputError
from derive.models import CATALOGUE, builtin

if TYPE_CHECKING:
    from derive.model import Model
    from derive.steps import Derivation

FORMATS = ("text", "json", "latex")


def derivations() -> list[str]:
    """The names of the built-in derivations."""
    return list(CATALOGUE)


def model(name: str) -> Model:
    """The built-in model called ``name``; InputError names the choices for an unknown one."""
    try:
        return builtin(name)
    except KeyError:
        raise InputError(
            f"unknown derivation {name!r}; choose one of: {', '.join(CATALOGUE)}"
        ) from None


def _builtin_key(name: str) -> str:
    if name not in CATALOGUE:
        model(name)  # the error that names the choices
    return disk.key("builtin", name)


def _model_key(user_model: Model) -> str:
    import sympy as sp

    return disk.key("model", sp.srepr(user_model.content()))


def _derive_cached(user_model: Model, entry_key: str, use_cache: bool) -> Derivation:
    from derive.codec import CodecError, derivation_from_json, derivation_to_json
    from derive.engine import derive_model

    if use_cache:
        stored = disk.load(entry_key, "derivation")
        if stored is not None:
            try:
                return derivation_from_json(stored, user_model)
            except CodecError:
                pass  # not sound: derive again and overwrite it
    result = derive_model(user_model)
    try:
        disk.store(entry_key, "derivation", derivation_to_json(result))
    except CodecError:
        pass  # an expression the cache cannot hold: the derivation is still good
    return result


@cache
def _builtin_derivation(name: str, use_cache: bool) -> Derivation:
    return _derive_cached(model(name), _builtin_key(name), use_cache)


def derivation(name: str, *, use_cache: bool = True) -> Derivation:
    """The verified derivation of a built-in model (from the cache when it holds it)."""
    return _builtin_derivation(name, use_cache)


def derive(user_model: Model, *, use_cache: bool = True) -> Derivation:
    """Derive and verify the gradient of a model you declare yourself."""
    return _derive_cached(user_model, _model_key(user_model), use_cache)


def rendered(name: str, form: str, *, use_cache: bool = True) -> str:
    """A built-in derivation printed as text, JSON or LaTeX; a cached copy needs no SymPy."""
    if form not in FORMATS:
        raise InputError(f"unknown format {form!r}; choose one of: {', '.join(FORMATS)}")
    entry_key = _builtin_key(name)
    if use_cache:
        stored = disk.load(entry_key, f"show-{form}")
        if isinstance(stored, str):
            return stored
    d = derivation(name, use_cache=use_cache)
    if form == "json":
        import json

        text = json.dumps(d.to_dict(), indent=2)
    else:
        text = d.latex() if form == "latex" else d.text()
    disk.store(entry_key, f"show-{form}", text)
    return text


def gradient_function(name: str) -> Callable:
    """NumPy gradient of the mean loss, built from the derived result.

    logistic: (w, X, t) -> (D,); softmax and svm: (W, X, labels) -> (K, D).
    """
    from derive.numeric.callables import build

    return build(derivation(name), "gradient")


def loss_function(name: str) -> Callable:
    """NumPy mean loss with the same signature as :func:`gradient_function`."""
    from derive.numeric.callables import build

    return build(derivation(name), "loss")


def value_and_grad_function(name: str) -> Callable:
    """NumPy (mean loss, gradient) in one pass, the signature of :func:`gradient_function`:
    what optimisers call (``scipy.optimize.minimize(..., jac=True)``)."""
    from derive.numeric.callables import build

    return build(derivation(name), "both")
