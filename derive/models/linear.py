"""Linear regression: z = w.x and the squared error (z - t)^2 / 2, any real target."""

import sympy as sp

from derive.model import Model, Stage
from derive.models import CATALOGUE

j, jp = sp.symbols("j j'", integer=True, positive=True)
D = sp.Symbol("D", integer=True, positive=True)
w, x = sp.IndexedBase("w"), sp.IndexedBase("x")
z, t, L = sp.symbols("z t L")

MODEL = Model(
    name="linear",
    title=CATALOGUE["linear"],
    summary="Regression with a linear prediction and the squared error, halved.",
    stages=(
        Stage(z, sp.Sum(w[jp] * x[jp], (jp, 1, D)), "linear prediction"),
        Stage(L, (z - t) ** 2 / 2, "squared error"),
    ),
    chain=(L, z, w[j]),
    index_bounds={j: D, jp: D},
)
