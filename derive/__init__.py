"""derive: machine-checked, step-by-step gradient derivations of machine-learning losses.

>>> import derive
>>> derive.derivations()
['logistic', 'softmax', 'svm']
>>> d = derive.derivation("logistic")      # every step proved or numerically checked
>>> grad = derive.gradient_function("logistic")   # NumPy, from the derived result
"""

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
from derive.model import Model, Rewrite, Stage
from derive.steps import Case, Definition, Derivation, Section, Step, Verification


def check(text: str, *, source: str = "<text>"):
    """Check a hand-written derivation (Markdown or LaTeX): a verdict for every step."""
    from derive.checking import check as run

    return run(text, source=source)


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
    "loss_function",
    "model",
    "value_and_grad_function",
]
__version__ = "0.1.0"
