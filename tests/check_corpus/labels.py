"""The truth of every step of the notation corpus, written again in plain SymPy (not the checker).

Each corpus file in ``heldout/`` and ``notation/`` has a function here that returns its steps, in
the order the file writes them, as pairs of SymPy expressions built by hand from the text (vectors
and sums over examples at a concrete size), plus the domain each variable is drawn from. A step is
correct when both sides agree at many random in-domain points (at 30 digits), a slip when they
differ at one. ``tests/test_check_labels.py`` compares these labels with the ``expect:`` line of
each file, so the corpus expectations never come from the checker itself.

Run ``python tests/check_corpus/labels.py`` to print the label of every step.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

import sympy as sp
from sympy import exp, log, sqrt

D = 3  # size of vectors written whole (w^T x)
N = 3  # number of examples in sums over i
DEFAULT = (-2.0, 2.0)
PROB = (0.05, 0.95)


@dataclass
class Steps:
    """The steps of one file and the domain of each variable (an interval or a list of values)."""

    pairs: list[tuple[sp.Expr, sp.Expr]]
    domains: dict[sp.Symbol, tuple[float, float] | list] = field(default_factory=dict)
    condition: Callable[[dict], bool] | None = None  # a case the text argues under


def r(names: str) -> tuple[sp.Symbol, ...]:
    out = sp.symbols(names, real=True)
    return out if isinstance(out, tuple) else (out,)


def vec(name: str, n: int = D) -> list[sp.Symbol]:
    return list(sp.symbols(f"{name}1:{n + 1}", real=True))


def dot(a: list, b: list) -> sp.Expr:
    return sum(x * y for x, y in zip(a, b, strict=True))


def sigmoid(u: sp.Expr) -> sp.Expr:
    return 1 / (1 + exp(-u))


def d(expr: sp.Expr, var: sp.Symbol, n: int = 1) -> sp.Expr:
    return sp.diff(expr, var, n)


# --- held-out part (written before the checker was changed; nothing is tuned on it) --------


def heldout_cs229_logistic() -> Steps:
    z, y = r("z y")
    th, x = vec("theta"), vec("x")
    g = sigmoid
    s = dot(th, x)
    ell = y * log(g(s)) + (1 - y) * log(1 - g(s))
    j = 1  # theta_j, x_j for a representative j
    dl = d(ell, th[j])
    return Steps(
        [
            (d(g(z), z), d(g(z), z)),
            (d(g(z), z), exp(-z) / (1 + exp(-z)) ** 2),
            (exp(-z) / (1 + exp(-z)) ** 2, g(z) * (1 - g(z))),
            (g(z) * (1 - g(z)), g(z) * (1 - g(z))),
            (dl, (y / g(s) - (1 - y) / (1 - g(s))) * g(s) * (1 - g(s)) * x[j]),
            (
                (y / g(s) - (1 - y) / (1 - g(s))) * g(s) * (1 - g(s)) * x[j],
                (y * (1 - g(s)) - (1 - y) * g(s)) * x[j],
            ),
            ((y * (1 - g(s)) - (1 - y) * g(s)) * x[j], (y - g(s)) * x[j]),
            (dl, (g(s) - y) * x[j]),
        ],
        {y: PROB},
    )


def heldout_two_class_softmax() -> Steps:
    z1, z2 = r("z1 z2")
    p1 = exp(z1) / (exp(z1) + exp(z2))
    p2 = exp(z2) / (exp(z1) + exp(z2))
    return Steps(
        [
            (p1 + p2, 1),
            (p1, 1 / (1 + exp(z2 - z1))),
            (1 / (1 + exp(z2 - z1)), sigmoid(z1 - z2)),
            (d(p1, z1), p1 * p2),
            (d(p1, z2), p1 * p2),
        ]
    )


def heldout_huber() -> Steps:
    rr, delta = r("r delta")
    h = delta * (rr - delta / 2)
    return Steps(
        [
            (delta**2 / 2, delta * (delta - delta / 2)),
            (d(h, rr), delta),
            (sqrt(delta**2) / delta, 1),
            (d(h, delta), rr - delta),
            (rr - delta, rr - delta / 2),
        ],
        {delta: (0.05, 2.0)},
    )


def heldout_labels_pm_one() -> Steps:
    y = sp.Symbol("y", real=True)
    w, x = vec("w"), vec("x")
    s = dot(w, x)
    t = (1 + y) / 2
    f = log(1 + exp(-y * s))
    w1 = w[0]  # derivatives by s: s is linear in w1 with coefficient x1
    ds = d(f, w1) / x[0]
    return Steps(
        [
            (y**2, 1),
            (-t * log(sigmoid(s)) - (1 - t) * log(1 - sigmoid(s)), f),
            (ds, -y * exp(-y * s) / (1 + exp(-y * s))),
            (-y * exp(-y * s) / (1 + exp(-y * s)), -y * sigmoid(-y * s)),
            (ds, y * sigmoid(-y * s)),
        ],
        {y: [-1, 1]},
    )


def heldout_mse_examples() -> Steps:
    w, b = vec("w"), sp.Symbol("b", real=True)
    xs = [vec(f"x{i}_") for i in range(N)]
    ys = list(r(" ".join(f"y{i}" for i in range(N))))
    yhat = [dot(w, xs[i]) + b for i in range(N)]
    cost = sum((yhat[i] - ys[i]) ** 2 for i in range(N)) / (2 * N)
    j = 1
    grad_w = sum((yhat[i] - ys[i]) * xs[i][j] for i in range(N))
    return Steps(
        [
            (d(cost, b), sum(yhat[i] - ys[i] for i in range(N)) / N),
            (d(cost, w[j]), grad_w / N),
            (d(cost, w[j]), grad_w),
        ]
    )


def heldout_kl_bernoulli() -> Steps:
    p, q = r("p q")
    kl = p * log(p / q) + (1 - p) * log((1 - p) / (1 - q))
    return Steps(
        [
            (d(kl, q), -p / q + (1 - p) / (1 - q)),
            (-p / q + (1 - p) / (1 - q), (-p * (1 - q) + q * (1 - p)) / (q * (1 - q))),
            ((-p * (1 - q) + q * (1 - p)) / (q * (1 - q)), (q - p) / (q * (1 - q))),
            (p * log(p / p) + (1 - p) * log((1 - p) / (1 - p)), 0),
            (d(kl, q), (p - q) / (q * (1 - q))),
        ],
        {p: PROB, q: PROB},
    )


def heldout_softplus_lse() -> Steps:
    (x,) = r("x")
    z = vec("z")
    zeta = lambda u: log(1 + exp(u))  # noqa: E731
    lse = log(sum(exp(v) for v in z))
    return Steps(
        [
            (d(zeta(x), x), exp(x) / (1 + exp(x))),
            (exp(x) / (1 + exp(x)), 1 / (1 + exp(-x))),
            (zeta(x) - zeta(-x), x),
            (d(lse, z[1]), exp(z[1]) / (exp(z[0]) + exp(z[1]) + exp(z[2]))),
            (d(lse, z[1]), exp(z[1]) / (exp(z[0]) + exp(z[2]))),
        ]
    )


def heldout_bce_logits() -> Steps:
    x, t = r("x t")
    stable = sp.Max(x, 0) - x * t + log(1 + exp(-sp.Abs(x)))
    ce = -t * log(sigmoid(x)) - (1 - t) * log(1 - sigmoid(x))
    ce2 = -t * log(sigmoid(x)) - (1 - t) * log(exp(-x) / (1 + exp(-x)))
    return Steps(
        [
            (stable, ce),
            (d(ce2, x), sigmoid(x) - t),
            (stable, x - x * t + log(1 + exp(x))),
        ],
        {t: (0.0, 1.0)},
    )


def heldout_backprop_two_layer() -> Steps:
    x, y, w1, b1, w2, b2 = r("x y w1 b1 w2 b2")
    a = w1 * x + b1
    h = sp.tanh(a)
    yhat = w2 * h + b2
    loss = (yhat - y) ** 2 / 2
    (u,) = r("u")  # L as a function of yhat, and of a
    loss_a = (w2 * sp.tanh(u) + b2 - y) ** 2 / 2
    return Steps(
        [
            (d((u - y) ** 2 / 2, u), u - y),
            (d(loss, w2), (yhat - y) * h),
            (d(loss_a, u).subs(u, a), (yhat - y) * w2 * (1 - h**2)),
            (d(loss, w1), (yhat - y) * w2 * (1 - sp.tanh(a) ** 2) * x),
            (d(loss, b1), (yhat - y) * (1 - h**2)),
        ]
    )


def heldout_cs231n_softmax() -> Steps:
    f = vec("f")
    yi = 2  # the correct class (checked for each k below through the representative k's)
    total = sum(exp(v) for v in f)
    li = -log(exp(f[yi - 1]) / total)
    p = [exp(v) / total for v in f]
    k_same, k_other = yi, 1
    return Steps(
        [
            (li, -f[yi - 1] + log(total)),
            (
                sp.Matrix([d(li, f[k - 1]) for k in (k_same, k_other)]),
                sp.Matrix([p[k_same - 1] - 1, p[k_other - 1] - 0]),
            ),
            (d(li, f[k_other - 1]), p[k_other - 1] - 1),
        ]
    )


def heldout_l2_logistic() -> Steps:
    (t, lam) = r("t lambda")
    w, x = vec("w"), vec("x")
    z = dot(w, x)
    j = 1
    cost = -t * log(sigmoid(z)) - (1 - t) * log(1 - sigmoid(z)) + lam / 2 * sum(v**2 for v in w)
    return Steps(
        [
            (d(cost, w[j]), (sigmoid(z) - t) * x[j] + lam * w[j]),
            (d(cost, w[j], 2), sigmoid(z) * (1 - sigmoid(z)) * x[j] ** 2 + lam),
            (d(cost, w[j]), (sigmoid(z) - t) * x[j] + lam / 2 * w[j]),
        ],
        {t: PROB},
    )


# --- deciding a label ------------------------------------------------------------------------


def _value(expr: sp.Expr, point: dict) -> sp.Expr:
    return sp.N(sp.sympify(expr).xreplace(point), 30)


def label(pair: tuple[sp.Expr, sp.Expr], steps: Steps, seed: int = 0, points: int = 25) -> str:
    """``proved`` when both sides agree at every sampled point, ``refuted`` when they differ."""
    left, right = (sp.Matrix([e]) if not isinstance(e, sp.MatrixBase) else e for e in pair)
    symbols = sorted((left.free_symbols | right.free_symbols), key=str)
    rng = random.Random(seed)
    for _ in range(points):
        point = {}
        for s in symbols:
            dom = steps.domains.get(s, DEFAULT)
            if isinstance(dom, list):
                point[s] = sp.Integer(rng.choice(dom))
            else:
                point[s] = sp.Float(rng.uniform(*dom), 30)
        if steps.condition is not None and not steps.condition(point):
            continue
        for a, b in zip(left, right, strict=True):
            va, vb = _value(a, point), _value(b, point)
            if abs(complex(va - vb)) > 1e-12 * (1 + abs(complex(va))):
                return "refuted"
    return "proved"


CORPUS: dict[str, Callable[[], Steps]] = {
    "heldout/cs229_logistic.md": heldout_cs229_logistic,
    "heldout/two_class_softmax.md": heldout_two_class_softmax,
    "heldout/huber.md": heldout_huber,
    "heldout/labels_pm_one.md": heldout_labels_pm_one,
    "heldout/mse_examples.md": heldout_mse_examples,
    "heldout/kl_bernoulli.tex": heldout_kl_bernoulli,
    "heldout/softplus_lse.md": heldout_softplus_lse,
    "heldout/bce_logits.md": heldout_bce_logits,
    "heldout/backprop_two_layer.md": heldout_backprop_two_layer,
    "heldout/cs231n_softmax.md": heldout_cs231n_softmax,
    "heldout/l2_logistic.tex": heldout_l2_logistic,
}


def labels_of(name: str) -> list[str]:
    """The label of every step of one corpus file, computed here."""
    steps = CORPUS[name]()
    return [label(pair, steps, seed=n) for n, pair in enumerate(steps.pairs)]


if __name__ == "__main__":
    for name in CORPUS:
        print(name, ", ".join(labels_of(name)))
