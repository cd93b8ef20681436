"""L2-regularised logistic regression: the logistic loss per example, (lambda/2)||w||^2 in J."""

import sympy as sp

from derive.functions import sigmoid
from derive.model import Hyperparameter, Model, Stage
from derive.models import CATALOGUE

j, jp = sp.symbols("j j'", integer=True, positive=True)
D = sp.Symbol("D", integer=True, positive=True)
w, x = sp.IndexedBase("w"), sp.IndexedBase("x")
z, y, t, L = sp.symbols("z y t L")
lam = sp.Symbol("lambda", positive=True)

MODEL = Model(
    name="logistic_l2",
    title=CATALOGUE["logistic_l2"],
    summary=r"Logistic regression whose cost adds the penalty $(\lambda/2) \|w\|^2$ to the mean "
    "loss.",
    stages=(
        Stage(z, sp.Sum(w[jp] * x[jp], (jp, 1, D)), "linear score"),
        Stage(y, sigmoid(z), "sigmoid activation"),
        Stage(L, -t * sp.log(y) - (1 - t) * sp.log(1 - y), "cross-entropy loss"),
    ),
    chain=(L, y, z, w[j]),
    index_bounds={j: D, jp: D},
    domains={"t": (0.0, 1.0), "y": (0.01, 0.99), "lambda": (0.01, 2.0)},
    targets=(0.0, 1.0),
    regularizer=lam / 2 * sp.Sum(w[jp] ** 2, (jp, 1, D)),
    hyperparameters=(Hyperparameter(lam, "lam", 0.01, "the weight of the L2 penalty"),),
    notes=(
        "The penalty belongs to the cost J, not to the loss of one example: the per-example "
        r"gradient is that of logistic regression, and the cost's gradient adds $\lambda w$.",
    ),
)
