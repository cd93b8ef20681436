"""L2-regularised softmax regression: cross-entropy per example, (lambda/2)||W||^2 in the cost."""

import sympy as sp

from derive.model import Hyperparameter, Model, Rewrite, Stage
from derive.models import CATALOGUE
from derive.steps import Definition

k, kp, T, j, jp = sp.symbols("k k' T j j'", integer=True, positive=True)
K, D = sp.symbols("K D", integer=True, positive=True)
W, x, z, y, t = (sp.IndexedBase(name) for name in ("W", "x", "z", "y", "t"))
L = sp.Symbol("L")
lam = sp.Symbol("lambda", positive=True)
total = sp.Sum(sp.exp(z[kp]), (kp, 1, K))
a = sp.Wild("a")

MODEL = Model(
    name="softmax_l2",
    title=CATALOGUE["softmax_l2"],
    summary=r"Softmax regression whose cost adds the penalty $(\lambda/2) \|W\|^2$ to the mean "
    "loss.",
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
    domains={"lambda": (0.01, 2.0)},
    regularizer=lam / 2 * sp.Sum(sp.Sum(W[kp, jp] ** 2, (jp, 1, D)), (kp, 1, K)),
    hyperparameters=(Hyperparameter(lam, "lam", 0.01, "the weight of the L2 penalty"),),
    notes=(
        "The penalty belongs to the cost J, not to the loss of one example: the per-example "
        r"gradient is that of softmax regression, and the cost's gradient adds $\lambda W$.",
    ),
)
