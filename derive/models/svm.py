"""Multiclass SVM: scores s_j = w_j.x and the hinge loss with margin 1 (assignment, Q3)."""

import sympy as sp

from derive.model import Model, Stage
from derive.models import CATALOGUE

j, k, c, d, dp = sp.symbols("j k y_i d d'", integer=True, positive=True)
K, D = sp.symbols("K D", integer=True, positive=True)
W, x, s = (sp.IndexedBase(name) for name in ("W", "x", "s"))
L = sp.Symbol("L")
hinge = sp.Max(0, s[k] - s[c] + 1)

MODEL = Model(
    name="svm",
    title=CATALOGUE["svm"],
    summary="K-class classification with linear scores and the multiclass hinge loss, margin 1.",
    stages=(
        Stage(s[j], sp.Sum(W[j, dp] * x[dp], (dp, 1, D)), "linear scores"),
        Stage(
            L,
            sp.Sum((1 - sp.KroneckerDelta(k, c)) * hinge, (k, 1, K)),
            "hinge loss, summed over the wrong classes",
        ),
    ),
    chain=(L, s[j], W[j, d]),
    label=c,
    index_bounds={j: K, k: K, c: K, d: D, dp: D},
    notes=(
        "At a kink (a margin of exactly 0) the hinge has no derivative. We use the subgradient "
        "that is 0 there: the indicator of a strictly positive margin, printed with a bold 1.",
    ),
)
