"""CS231n's two-layer network: affine, ReLU, affine, softmax cross-entropy with one-hot targets.

Four parameters, each with its chain from the loss: the output layer's (W2, b2) pass through
the scores like softmax regression; the hidden layer's (W1, b1) pass through every score s_k
(the multivariate chain rule sums over k), the ReLU and the hidden pre-activations.
"""

import sympy as sp

from derive.model import Model, Rewrite, Stage
from derive.models import CATALOGUE
from derive.steps import Definition

k, kp, T, m, mp, d, dp = sp.symbols("k k' T m m' d d'", integer=True, positive=True)
K, H, D = sp.symbols("K H D", integer=True, positive=True)
W1, b1, W2, b2 = (sp.IndexedBase(name) for name in ("W1", "b1", "W2", "b2"))
x, h, a, s, y, t = (sp.IndexedBase(name) for name in ("x", "h", "a", "s", "y", "t"))
L = sp.Symbol("L")
total = sp.Sum(sp.exp(s[kp]), (kp, 1, K))
u = sp.Wild("u")

MODEL = Model(
    name="two-layer",
    title=CATALOGUE["two-layer"],
    summary="K-class classification with one hidden layer of H rectified linear units "
    "(CS231n's two-layer net): affine, ReLU, affine, softmax and the cross-entropy loss.",
    stages=(
        Stage(h[m], sp.Sum(W1[m, dp] * x[dp], (dp, 1, D)) + b1[m], "hidden pre-activations"),
        Stage(a[m], sp.Max(0, h[m]), "ReLU activations"),
        Stage(s[k], sp.Sum(W2[k, mp] * a[mp], (mp, 1, H)) + b2[k], "class scores"),
        Stage(y[k], sp.exp(s[k]) / total, "softmax activation"),
        Stage(L, -sp.Sum(t[kp] * sp.log(y[kp]), (kp, 1, K)), "cross-entropy loss"),
    ),
    chain=(L, y[T], s[k], W2[k, m]),
    chains=(
        (L, y[T], s[k], b2[k]),
        (L, s[k], a[m], h[m], W1[m, d]),
        (L, s[k], a[m], h[m], b1[m]),
    ),
    assumptions=(
        Definition(
            t[k], sp.KroneckerDelta(k, T), "one-hot targets: only the correct class T has target 1"
        ),
    ),
    rewrites=(Rewrite(sp.exp(s[u]), y[u] * total, "e^{s_u} = y_u sum_k' e^{s_k'}"),),
    label=T,
    index_bounds={k: K, kp: K, T: K, m: H, mp: H, d: D, dp: D},
    notes=(
        "The targets are one-hot: only the correct class T has target 1.",
        "The loss depends on a hidden activation $a_m$ through every class score $s_k$, so its "
        "derivative is a sum over $k$ (the multivariate chain rule): backpropagation.",
        "At $h_m = 0$ the ReLU has no derivative. We use the subgradient that is 0 there: the "
        "indicator of a strictly positive pre-activation, printed with a bold 1.",
    ),
)
