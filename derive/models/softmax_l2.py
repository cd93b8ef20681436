"""L2-regularised softmax regression: cross-entropy per example, (lambda/2)||W||^2 in the cost.

The stages are softmax regression's own (:mod:`derive.models.softmax`); only the cost differs.
"""

from dataclasses import replace

import sympy as sp

from derive.model import Hyperparameter
from derive.models import CATALOGUE
from derive.models.softmax import MODEL as SOFTMAX
from derive.models.softmax import D, K, W, jp, kp

lam = sp.Symbol("lambda", positive=True)

MODEL = replace(
    SOFTMAX,
    name="softmax_l2",
    title=CATALOGUE["softmax_l2"],
    summary=r"Softmax regression whose cost adds the penalty $(\lambda/2) \|W\|^2$ to the mean "
    "loss.",
    domains={**SOFTMAX.domains, "lambda": (0.01, 2.0)},
    regularizer=lam / 2 * sp.Sum(sp.Sum(W[kp, jp] ** 2, (jp, 1, D)), (kp, 1, K)),
    hyperparameters=(Hyperparameter(lam, "lam", 0.01, "the weight of the L2 penalty"),),
    notes=(
        *SOFTMAX.notes,
        "The penalty belongs to the cost J, not to the loss of one example: the per-example "
        r"gradient is that of softmax regression, and the cost's gradient adds $\lambda W$.",
    ),
)
