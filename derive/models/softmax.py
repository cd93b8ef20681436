"""Softmax regression: z_k = w_k.x, y = softmax(z), cross-entropy with one-hot targets (Q2)."""

import sympy as sp

from derive.model import Model, Rewrite, Stage
from derive.models import CATALOGUE
from derive.steps import Definition

k, kp, T, j, jp = sp.symbols("k k' T j j'", integer=True, positive=True)
K, D = sp.symbols("K D", integer=True, positive=True)
W, x, z, y, t = (sp.IndexedBase(name) for name in ("W", "x", "z", "y", "t"))
L = sp.Symbol("L")
total = sp.Sum(sp.exp(z[kp]), (kp, 1, K))
a = sp.Wild("a")

MODEL = Model(
    name="softmax",
    title=CATALOGUE["softmax"],
    summary="K-class classification with linear scores, the softmax and the cross-entropy loss.",
    stages=(
        Stage(z[k], sp.Sum(W[k, jp] * x[jp], (jp, 1, D)), "linear scores"),
        Stage(y[k], sp.exp(z[k]) / total, "softmax activation"),
        Stage(L, -sp.Sum(t[kp] * sp.log(y[kp]), (kp, 1, K)), "cross-entropy loss"),
    ),
    chain=(L, y[T], z[k], W[k, j]),
    assumptions=(
        Definition(
            t[k], sp.KroneckerDelta(k, T), "one-hot targets: only the correct class T has target 1"
        ),
    ),
    rewrites=(Rewrite(sp.exp(z[a]), y[a] * total, "e^{z_a} = y_a sum_k' e^{z_k'}"),),
    label=T,
    index_bounds={k: K, kp: K, T: K, j: D, jp: D},
    notes=(
        "The targets are one-hot: only the correct class T has target 1, so only the term of "
        "the correct class survives in the loss.",
    ),
)
