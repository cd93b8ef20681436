"""Logistic regression: z = w.x, y = sigma(z), cross-entropy loss (assignment, question 1)."""

import sympy as sp

from derive.functions import sigmoid
from derive.model import Model, Stage
from derive.models import CATALOGUE

j, jp = sp.symbols("j j'", integer=True, positive=True)
D = sp.Symbol("D", integer=True, positive=True)
w, x = sp.IndexedBase("w"), sp.IndexedBase("x")
z, y, t, L = sp.symbols("z y t L")

MODEL = Model(
    name="logistic",
    title=CATALOGUE["logistic"],
    summary="Binary classification with a linear score, the sigmoid and the cross-entropy loss.",
    stages=(
        Stage(z, sp.Sum(w[jp] * x[jp], (jp, 1, D)), "linear score"),
        Stage(y, sigmoid(z), "sigmoid activation"),
        Stage(L, -t * sp.log(y) - (1 - t) * sp.log(1 - y), "cross-entropy loss"),
    ),
    chain=(L, y, z, w[j]),
    index_bounds={j: D, jp: D},
    domains={"t": (0.0, 1.0), "y": (0.01, 0.99)},
    targets=(0.0, 1.0),
)
