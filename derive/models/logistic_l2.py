"""L2-regularised logistic regression: the logistic loss per example, (lambda/2)||w||^2 in J.

The stages are logistic regression's own (:mod:`derive.models.logistic`); only the cost differs.
"""

from dataclasses import replace

import sympy as sp

from derive.model import Hyperparameter
from derive.models import CATALOGUE
from derive.models.logistic import MODEL as LOGISTIC
from derive.models.logistic import D, jp, w

lam = sp.Symbol("lambda", positive=True)

MODEL = replace(
    LOGISTIC,
    name="logistic_l2",
    title=CATALOGUE["logistic_l2"],
    summary=r"Logistic regression whose cost adds the penalty $(\lambda/2) \|w\|^2$ to the mean "
    "loss.",
    domains={**LOGISTIC.domains, "lambda": (0.01, 2.0)},
    regularizer=lam / 2 * sp.Sum(w[jp] ** 2, (jp, 1, D)),
    hyperparameters=(Hyperparameter(lam, "lam", 0.01, "the weight of the L2 penalty"),),
    notes=(
        *LOGISTIC.notes,
        "The penalty belongs to the cost J, not to the loss of one example: the per-example "
        r"gradient is that of logistic regression, and the cost's gradient adds $\lambda w$.",
    ),
)
