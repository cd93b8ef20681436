"""Binary hinge loss (the linear SVM): z = w.x, L = max(0, 1 - t z) with labels t in {-1, 1}."""

import sympy as sp

from derive.model import Model, Stage
from derive.models import CATALOGUE

j, jp = sp.symbols("j j'", integer=True, positive=True)
D = sp.Symbol("D", integer=True, positive=True)
w, x = sp.IndexedBase("w"), sp.IndexedBase("x")
z, t, L = sp.symbols("z t L")

MODEL = Model(
    name="hinge",
    title=CATALOGUE["hinge"],
    summary="Binary classification with labels $-1$ and $1$, a linear score and the hinge loss.",
    stages=(
        Stage(z, sp.Sum(w[jp] * x[jp], (jp, 1, D)), "linear score"),
        Stage(L, sp.Max(0, 1 - t * z), "hinge loss, margin 1"),
    ),
    chain=(L, z, w[j]),
    index_bounds={j: D, jp: D},
    domains={"t": (-1.0, 1.0)},
    targets=(-1.0, 1.0),
    notes=(
        "At the kink (a margin $t z$ of exactly 1) the hinge has no derivative. As for the "
        "multiclass SVM, we use the subgradient that is 0 there: the indicator of a strictly "
        "positive $1 - t z$, printed with a bold 1.",
    ),
)
