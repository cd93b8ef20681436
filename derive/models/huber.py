"""Huber regression: z = w.x, residual r = z - t, quadratic for |r| <= delta, linear beyond."""

import sympy as sp

from derive.model import Hyperparameter, Model, Stage
from derive.models import CATALOGUE

j, jp = sp.symbols("j j'", integer=True, positive=True)
D = sp.Symbol("D", integer=True, positive=True)
w, x = sp.IndexedBase("w"), sp.IndexedBase("x")
z, r, t, L = sp.symbols("z r t L")
delta = sp.Symbol("delta", positive=True)

MODEL = Model(
    name="huber",
    title=CATALOGUE["huber"],
    summary="Robust regression: the squared error for small residuals, the absolute error "
    r"beyond the threshold $\delta$.",
    stages=(
        Stage(z, sp.Sum(w[jp] * x[jp], (jp, 1, D)), "linear prediction"),
        Stage(r, z - t, "residual"),
        Stage(
            L,
            sp.Piecewise(
                (-delta * (r + delta / 2), r < -delta),
                (r**2 / 2, r <= delta),
                (delta * (r - delta / 2), True),
            ),
            "Huber loss",
        ),
    ),
    chain=(L, r, z, w[j]),
    index_bounds={j: D, jp: D},
    domains={"delta": (0.1, 3.0)},
    hyperparameters=(
        Hyperparameter(
            delta, "delta", 1.0, "the residual where the loss turns linear", low_open=True
        ),
    ),
    notes=(
        r"The Huber loss is $r^2/2$ for $|r| \leq \delta$ and $\delta (|r| - \delta/2)$ beyond; "
        "its pieces meet with equal values and slopes, so it is differentiable everywhere "
        r"and its derivative is the residual clipped to $[-\delta, \delta]$.",
    ),
)
