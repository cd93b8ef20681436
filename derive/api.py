"""The Python API: list, derive and compile the built-in derivations (and your own models).

Every function that takes a built-in's name also takes a :class:`~derive.model.Model`: one
declared in Python or read from a model file by :func:`derive.model_file.load_model`.

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
        hint = (
            " (a model file is read with `derive show --model FILE` or derive.load_model)"
            if str(name).lower().endswith((".md", ".tex", ".markdown"))
            else ""
        )
        raise InputError(
            f"unknown derivation {name!r}; choose one of: {', '.join(CATALOGUE)}{hint}"
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


def derivation(which: str | Model, *, use_cache: bool = True) -> Derivation:
    """The verified derivation of a built-in model, by name, or of a Model (from the cache
    when it holds it)."""
    if isinstance(which, str):
        return _builtin_derivation(which, use_cache)
    return derive(_as_model(which), use_cache=use_cache)


def derive(user_model: Model, *, use_cache: bool = True) -> Derivation:
    """Derive and verify the gradient of a model you declare yourself."""
    return _derive_cached(user_model, _model_key(user_model), use_cache)


def _as_model(which: object) -> Model:
    from derive.model import Model

    if not isinstance(which, Model):
        raise TypeError(f"expected a built-in's name or a derive.Model, got {type(which).__name__}")
    return which


def rendered(which: str | Model, form: str, *, use_cache: bool = True) -> str:
    """A derivation printed as text, JSON or LaTeX; a built-in's cached copy needs no SymPy."""
    if form not in FORMATS:
        raise InputError(f"unknown format {form!r}; choose one of: {', '.join(FORMATS)}")
    entry_key = _builtin_key(which) if isinstance(which, str) else _model_key(_as_model(which))
    if use_cache:
        stored = disk.load(entry_key, f"show-{form}")
        if isinstance(stored, str):
            return stored
    d = derivation(which, use_cache=use_cache)
    if form == "json":
        import json

        text = json.dumps(d.to_dict(), indent=2)
    else:
        text = d.latex() if form == "latex" else d.text()
    disk.store(entry_key, f"show-{form}", text)
    return text


def gradient_function(which: str | Model) -> Callable:
    """NumPy gradient of the mean loss, built from the derived result of a built-in (by name)
    or a Model. logistic and one-score models: (w, X, t) -> (D,); softmax and svm:
    (W, X, labels) -> (K, D).
    """
    from derive.numeric.callables import build

    return build(derivation(which), "gradient")


def loss_function(which: str | Model) -> Callable:
    """NumPy mean loss with the same signature as :func:`gradient_function`."""
    from derive.numeric.callables import build

    return build(derivation(which), "loss")


def value_and_grad_function(which: str | Model) -> Callable:
    """NumPy (mean loss, gradient) in one pass, the signature of :func:`gradient_function`:
    what optimisers call (``scipy.optimize.minimize(..., jac=True)``)."""
    from derive.numeric.callables import build

    return build(derivation(which), "both")
