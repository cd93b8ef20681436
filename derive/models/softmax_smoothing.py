"""Softmax regression with label smoothing: the targets q_k = (1 - eps) delta_kT + eps / K."""

import sympy as sp

from derive.model import Hyperparameter, Model, Rewrite, Stage
from derive.models import CATALOGUE
from derive.steps import Definition

k, kp, kpp, T, j, jp = sp.symbols("k k' k'' T j j'", integer=True, positive=True)
K, D = sp.symbols("K D", integer=True, positive=True)
W, x, z, y, q = (sp.IndexedBase(name) for name in ("W", "x", "z", "y", "q"))
L = sp.Symbol("L")
eps = sp.Symbol("epsilon", positive=True)
total = sp.Sum(sp.exp(z[kpp]), (kpp, 1, K))
a = sp.Wild("a")

MODEL = Model(
    name="softmax_smoothing",
    title=CATALOGUE["softmax_smoothing"],
    summary="K-class softmax regression trained on smoothed targets: the correct class gets "
    r"$1 - \epsilon + \epsilon/K$, every other class $\epsilon/K$.",
    stages=(
        Stage(z[k], sp.Sum(W[k, jp] * x[jp], (jp, 1, D)), "linear scores"),
        Stage(y[k], sp.exp(z[k]) / total, "softmax activation"),
        Stage(
            L,
            sp.log(total) - sp.Sum(q[kp] * z[kp], (kp, 1, K)),
            "cross-entropy with the smoothed targets",
        ),
    ),
    chain=(L, z[k], W[k, j]),
    assumptions=(
        Definition(
            q[k],
            (1 - eps) * sp.KroneckerDelta(k, T) + eps / K,
            r"smoothed targets: $1 - \epsilon$ on the correct class $T$, "
            "spread evenly over all $K$",
        ),
    ),
    rewrites=(Rewrite(sp.exp(z[a]), y[a] * total, "e^{z_a} = y_a sum_k'' e^{z_k''}"),),
    label=T,
    index_bounds={k: K, kp: K, kpp: K, T: K, j: D, jp: D},
    domains={"epsilon": (0.0, 0.5)},
    hyperparameters=(
        Hyperparameter(eps, "epsilon", 0.1, "the share of the target spread evenly", high=1.0),
    ),
    notes=(
        r"The cross-entropy $-\sum_k q_k \log y_k$ with "
        r"$\log y_k = z_k - \log \sum_{k''} e^{z_{k''}}$ is "
        r"$\log \sum_{k''} e^{z_{k''}} - \sum_k q_k z_k$, because the smoothed targets sum to 1: "
        r"$(1 - \epsilon) + K \epsilon / K$.",
    ),
)
