"""derive: machine-checked, step-by-step gradient derivations of machine-learning losses.

>>> import derive
>>> derive.derivations()
['logistic', 'softmax', 'svm']
>>> d = derive.derivation("logistic")      # every step proved or numerically checked
>>> grad = derive.gradient_function("logistic")   # NumPy, from the derived result

Names are imported when first used, so ``import derive`` does not load SymPy.
"""

import sys
import types
from importlib import import_module
from typing import Any

from derive.api import (
    derivation,
    derivations,
    derive,
    gradient_function,
    loss_function,
    model,
    value_and_grad_function,
)
from derive.errors import DeriveError, InputError, NoRuleError, VerificationError

_LAZY = {
    "load_model": "derive.model_file",
    "Model": "derive.model",
    "Rewrite": "derive.model",
    "Stage": "derive.model",
    "Case": "derive.steps",
    "Definition": "derive.steps",
    "Derivation": "derive.steps",
    "Section": "derive.steps",
    "Step": "derive.steps",
    "Verification": "derive.steps",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'derive' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


class _Package(types.ModuleType):
    """Importing the submodule derive.model must not hide the function derive.model."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "model" and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def check(text: str, *, source: str = "<text>", limits=None):
    """Check a hand-written derivation (Markdown or LaTeX): a verdict for every step.

    ``limits`` (a :class:`derive.limits.Limits`) bounds the worker processes' time and memory.
    """
    from derive.checking import check as run

    return run(text, source=source, limits=limits)


__all__ = [
    "Case",
    "Definition",
    "Derivation",
    "DeriveError",
    "InputError",
    "Model",
    "NoRuleError",
    "Rewrite",
    "Section",
    "Stage",
    "Step",
    "Verification",
    "VerificationError",
    "check",
    "derivation",
    "derivations",
    "derive",
    "gradient_function",
    "load_model",
    "loss_function",
    "model",
    "value_and_grad_function",
]
__version__ = "0.1.0"
