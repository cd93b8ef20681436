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


# --- held-out part, second batch (written after the first changes; measured once) ------------


def heldout_gd_update_linear() -> Steps:
    w0, w1, x, y, eta = r("w0 w1 x y eta")
    f = w0 + w1 * x
    loss = (f - y) ** 2
    return Steps(
        [
            (d(loss, w0), 2 * (f - y)),
            (d(loss, w1), 2 * (f - y) * x),
            (2 * (f - y) * x, 2 * (w0 + w1 * x - y) * x),
            (w1 - eta * d(loss, w1), w1 - 2 * eta * (w0 + w1 * x - y) * x),
            (d(loss, w0), f - y),
        ]
    )


def heldout_tanh_via_sigmoid() -> Steps:
    (x,) = r("x")
    s = sigmoid
    two = 2 * s(2 * x) - 1
    return Steps(
        [
            (sp.tanh(x), (exp(x) - exp(-x)) / (exp(x) + exp(-x))),
            ((exp(x) - exp(-x)) / (exp(x) + exp(-x)), (1 - exp(-2 * x)) / (1 + exp(-2 * x))),
            ((1 - exp(-2 * x)) / (1 + exp(-2 * x)), two),
            (d(two, x), 4 * s(2 * x) * (1 - s(2 * x))),
            (4 * s(2 * x) * (1 - s(2 * x)), 1 - sp.tanh(x) ** 2),
            (d(sp.tanh(x), x), 2 * s(2 * x) * (1 - s(2 * x))),
        ]
    )


def heldout_poisson_nll() -> Steps:
    theta, x, y = r("theta x y")
    lam = exp(theta * x)
    loss = lam - y * log(lam)
    return Steps(
        [
            (loss, exp(theta * x) - y * theta * x),
            (d(loss, theta), (exp(theta * x) - y) * x),
            ((exp(theta * x) - y) * x, (lam - y) * x),
            (d(loss, theta, 2), lam * x**2),
            (d(loss, theta), lam - y),
        ]
    )


def heldout_softmax_jacobian_student() -> Steps:
    a = vec("a")
    total = sum(exp(v) for v in a)
    s = [exp(v) / total for v in a]
    i, j = 0, 0  # the case i = j
    p, q = 0, 2  # the case i != j
    return Steps(
        [
            (d(s[i], a[j]), (exp(a[i]) * total - exp(a[i]) * exp(a[j])) / total**2),
            ((exp(a[i]) * total - exp(a[i]) * exp(a[j])) / total**2, s[i] - s[i] * s[j]),
            (s[i] - s[i] * s[j], s[i] * (1 - s[j])),
            (d(s[p], a[q]), -exp(a[p]) * exp(a[q]) / total**2),
            (-exp(a[p]) * exp(a[q]) / total**2, -s[p] * s[q]),
            (d(s[p], a[q]), s[p] * (1 - s[q])),
        ]
    )


def heldout_focal_gamma_zero() -> Steps:
    p, y = r("p y")
    loss = -y * log(p) - (1 - y) * log(1 - p)
    return Steps(
        [
            (d(loss, p), -y / p + (1 - y) / (1 - p)),
            (-y / p + (1 - y) / (1 - p), (p - y) / (p * (1 - p))),
            (y**2, y),
            (d(loss, p), (y - p) / (p * (1 - p))),
        ],
        {p: PROB, y: [0, 1]},
    )


def heldout_ridge_closed_form() -> Steps:
    w, lam = r("w lambda")
    xs, ys = vec("x", N), vec("y", N)
    cost = sum((w * a - b) ** 2 for a, b in zip(xs, ys, strict=True)) / 2 + lam / 2 * w**2
    grad = sum((w * a - b) * a for a, b in zip(xs, ys, strict=True)) + lam * w
    return Steps(
        [
            (d(cost, w), grad),
            (
                grad,
                w * (sum(a**2 for a in xs) + lam) - sum(a * b for a, b in zip(xs, ys, strict=True)),
            ),
            (d(cost, w, 2), sum(a**2 for a in xs) + lam),
            (d(cost, w), grad + lam * w),
        ]
    )


def heldout_logit_inverse() -> Steps:
    z, p = r("z p")
    logit = lambda u: log(u / (1 - u))  # noqa: E731
    return Steps(
        [
            (logit(sigmoid(z)), z),
            (d(logit(p), p), 1 / p + 1 / (1 - p)),
            (1 / p + 1 / (1 - p), 1 / (p * (1 - p))),
            (d(logit(p), p), 1 / p - 1 / (1 - p)),
        ],
        {p: PROB},
    )


def heldout_mae_subgradient() -> Steps:
    w, x, y = r("w x y")
    yhat = w * x
    loss = sp.Abs(yhat - y)
    return Steps(
        [
            (d(loss, w), sp.sign(yhat - y) * x),
            (sp.Abs(yhat - y) ** 2, (yhat - y) ** 2),
            (d(loss, w), sp.sign(yhat - y)),
        ]
    )


# --- held-out part, third batch (written last; measured once) --------------------------------


def heldout_ng_logistic_batch() -> Steps:
    alpha = sp.Symbol("alpha", real=True)
    th = vec("theta")
    xs = _examples("x")
    ys = list(r(" ".join(f"y{i}" for i in range(N))))
    h = [sigmoid(dot(th, xs[i])) for i in range(N)]
    cost = -sum(ys[i] * log(h[i]) + (1 - ys[i]) * log(1 - h[i]) for i in range(N)) / N
    j = 1
    grad = sum((h[i] - ys[i]) * xs[i][j] for i in range(N)) / N
    return Steps(
        [
            (d(cost, th[j]), grad),
            (th[j] - alpha * d(cost, th[j]), th[j] - alpha * grad),
            (d(cost, th[j]), -grad),
        ],
        {y: PROB for y in ys},
    )


def heldout_bishop_sum_of_squares() -> Steps:
    w = vec("w")
    xs = _examples("x")
    ts = list(r(" ".join(f"t{n}" for n in range(N))))
    ys = [dot(w, xs[n]) for n in range(N)]
    e = sum((ys[n] - ts[n]) ** 2 for n in range(N)) / 2
    j = 1
    grad = sum((ys[n] - ts[n]) * xs[n][j] for n in range(N))
    return Steps([(d(e, w[j]), grad), (d(e, w[j]), -grad)])


def heldout_goodfellow_softplus() -> Steps:
    (x,) = r("x")
    zeta = lambda u: log(1 + exp(u))  # noqa: E731
    return Steps(
        [
            (log(sigmoid(x)), -zeta(-x)),
            (d(zeta(x), x), sigmoid(x)),
            (1 - sigmoid(x), sigmoid(-x)),
            (zeta(x) - zeta(-x), x),
            (log(sigmoid(x)), zeta(-x)),
        ]
    )


def heldout_student_sigmoid_quotient() -> Steps:
    (z,) = r("z")
    s = sigmoid(z)
    q = (0 * (1 + exp(-z)) - 1 * (-exp(-z))) / (1 + exp(-z)) ** 2
    f = exp(-z) / (1 + exp(-z)) ** 2
    return Steps(
        [
            (d(s, z), q),
            (q, f),
            (f, 1 / (1 + exp(-z)) - 1 / (1 + exp(-z)) ** 2),
            (1 / (1 + exp(-z)) - 1 / (1 + exp(-z)) ** 2, s - s**2),
            (d(s, z), s + s**2),
        ]
    )


def heldout_cross_entropy_three_way() -> Steps:
    o = vec("o", 3)
    total = sum(exp(v) for v in o)
    q = [exp(v) / total for v in o]
    ell = -log(q[1])
    return Steps(
        [
            (ell, -o[1] + log(exp(o[0]) + exp(o[1]) + exp(o[2]))),
            (d(ell, o[1]), q[1] - 1),
            (d(ell, o[0]), q[0]),
            (d(ell, o[0]) + d(ell, o[1]) + d(ell, o[2]), 0),
            (d(ell, o[2]), q[2] - 1),
        ]
    )


def heldout_exp_family_bernoulli() -> Steps:
    (eta,) = r("eta")
    a = log(1 + exp(eta))
    mu = exp(eta) / (1 + exp(eta))
    return Steps(
        [
            (d(a, eta), mu),
            (d(a, eta, 2), mu * (1 - mu)),
            (eta, log(mu / (1 - mu))),
            (d(a, eta, 2), mu**2),
        ]
    )


def heldout_leaky_relu() -> Steps:
    x, a = r("x a")
    f = sp.Max(a * x, x)
    g = sp.Max(0, x) - a * sp.Max(0, -x)
    return Steps(
        [
            (f, g),
            (d(sp.Max(0, x), x), sp.Heaviside(x, 0)),
            (d(g, x), sp.Heaviside(x, 0) + a * sp.Heaviside(-x, 0)),
            (f, sp.Max(0, x) + a * sp.Max(0, -x)),
        ],
        {a: (0.05, 0.95)},
    )


def heldout_weight_decay_update() -> Steps:
    w, x, t, alpha, eps = r("w x t alpha epsilon")
    cost = (w * x - t) ** 2 / 2 + alpha / 2 * w**2
    grad = d(cost, w)
    return Steps(
        [
            (grad, (w * x - t) * x + alpha * w),
            (w - eps * grad, (1 - eps * alpha) * w - eps * (w * x - t) * x),
            (w - eps * grad, (1 - eps * alpha) * w + eps * (w * x - t) * x),
        ]
    )


# --- held-out part, fourth batch (written last of all; measured once, not tuned on) ----------


def heldout_softmax_temperature() -> Steps:
    (tau,) = r("tau")
    z = vec("z")
    total = sum(exp(v / tau) for v in z)
    p = [exp(v / tau) / total for v in z]
    i = 1
    return Steps(
        [
            (log(p[i]), z[i] / tau - log(total)),
            (d(log(p[i]), z[i]), (1 - p[i]) / tau),
            (d(log(p[i]), z[i]), (1 - p[i]) / tau**2),
        ],
        {tau: (0.05, 2.0)},
    )


def heldout_negative_sampling() -> Steps:
    u, v = vec("u"), vec("v")
    s = dot(u, v)
    o = log(sigmoid(s))
    j = 1
    sp_ = d(sigmoid(sp.Symbol("q", real=True)), sp.Symbol("q", real=True)).subs(
        sp.Symbol("q", real=True), s
    )
    return Steps(
        [
            (d(o, u[j]), sp_ / sigmoid(s) * v[j]),
            (sp_ / sigmoid(s) * v[j], (1 - sigmoid(s)) * v[j]),
            (d(o, v[j]), (1 - sigmoid(s)) * u[j]),
            (d(o, u[j]), sigmoid(s) * v[j]),
        ]
    )


def heldout_l1_penalty() -> Steps:
    (lam,) = r("lambda")
    w = vec("w")
    penalty = lam * sum(sp.Abs(v) for v in w)
    j = 1
    return Steps(
        [
            (d(penalty, w[j]), lam * sp.sign(w[j])),
            (sp.sign(w[j]) * w[j], sp.Abs(w[j])),
            (d(penalty, w[j]), lam * w[j]),
        ],
        {lam: (0.05, 2.0)},
    )


def heldout_log_odds() -> Steps:
    w, x = vec("w"), vec("x")
    s = dot(w, x)
    p = 1 / (1 + exp(-s))
    j = 1
    return Steps(
        [
            (p / (1 - p), exp(s)),
            (log(p / (1 - p)), s),
            (d(log(p / (1 - p)), w[j]), x[j]),
            (p / (1 - p), exp(-s)),
        ]
    )


def heldout_student_ce_chain() -> Steps:
    w, x, b, y, u = r("w x b y u")
    z = w * x + b
    yhat = sigmoid(z)
    loss = -(y * log(yhat) + (1 - y) * log(1 - yhat))
    loss_u = -(y * log(u) + (1 - y) * log(1 - u))
    return Steps(
        [
            (d(loss_u, u), -y / u + (1 - y) / (1 - u)),
            (d(sigmoid(u), u), sigmoid(u) * (1 - sigmoid(u))),
            (d(loss, b), yhat - y),  # dL/dz = dL/db since z = w x + b
            (d(loss, w), (yhat - y) * x),
            (d(loss, b), yhat - y),
            (d(loss, w), yhat - y),
        ],
        {y: PROB},
    )


def heldout_gaussian_nll() -> Steps:
    x, mu, s = r("x mu s")
    ell = (x - mu) ** 2 / (2 * s**2) + log(s) + log(2 * sp.pi) / 2
    return Steps(
        [
            (d(ell, mu), -(x - mu) / s**2),
            (d(ell, s), -((x - mu) ** 2) / s**3 + 1 / s),
            (d(ell, s), -((x - mu) ** 2) / s**3 + log(s)),
        ],
        {s: (0.05, 2.0)},
    )


def heldout_matrix_gradient() -> Steps:
    x = sp.Matrix(3, 3, lambda a, b: sp.Symbol(f"X{a}{b}", real=True))
    w = sp.Matrix(vec("w"))
    y = sp.Matrix(vec("y"))
    residual = x * w - y
    cost = (residual.T * residual)[0] / 2
    grad = sp.Matrix([d(cost, v) for v in w])
    return Steps(
        [
            (grad, x.T * residual),
            (grad, x.T * x * w - x.T * y),
            (grad, x * residual),
        ]
    )


# --- notation part (used while developing the checker) ---------------------------------------


def notation_sigmoid_prime() -> Steps:
    (x,) = r("x")
    s = sigmoid
    return Steps(
        [
            (d(s(x), x), exp(-x) / (1 + exp(-x)) ** 2),
            (exp(-x) / (1 + exp(-x)) ** 2, s(x) * (1 - s(x))),
            (d(s(x), x), s(x) * s(-x)),
            (1 - s(x), s(-x)),
            (d(s(x), x), s(x) ** 2),
        ]
    )


def notation_quotient_rule_fprime() -> Steps:
    (x,) = r("x")
    f = (x**2 + 1) / exp(x)
    fp = d(f, x)
    return Steps(
        [
            (fp, (2 * x * exp(x) - (x**2 + 1) * exp(x)) / exp(x) ** 2),
            ((2 * x * exp(x) - (x**2 + 1) * exp(x)) / exp(x) ** 2, (2 * x - x**2 - 1) / exp(x)),
            ((2 * x - x**2 - 1) / exp(x), -((x - 1) ** 2) / exp(x)),
            (fp.subs(x, 2), -exp(-2)),
            (fp.subs(x, 0), 1),
        ]
    )


def notation_partial_subscript() -> Steps:
    x, y = r("x y")
    u = x**2 * y + sp.sin(y)
    return Steps(
        [
            (d(u, x), 2 * x * y),
            (d(u, y), x**2 + sp.cos(y)),
            (d(d(u, y), x), 2 * x),
            (d(u, y), x**2 - sp.cos(y)),
        ]
    )


def notation_nabla_linear() -> Steps:
    (b, y) = r("b y")
    w, x = vec("w"), vec("x")
    yhat = dot(w, x) + b
    loss = (yhat - y) ** 2 / 2
    j = 1
    return Steps(
        [
            (d(loss, b), yhat - y),
            (d(loss, w[j]), (yhat - y) * x[j]),
            ((yhat - y) * x[j], (dot(w, x) + b - y) * x[j]),
            (d(loss, w[j]), (yhat - y) * w[j]),
        ]
    )


def notation_dot_norm() -> Steps:
    (lam,) = r("lambda")
    w, x = vec("w"), vec("x")
    sq = sum(v**2 for v in w)
    j = 1
    return Steps(
        [
            (d(sq, w[j]), 2 * w[j]),
            (d(lam / 2 * sq, w[j]), lam * w[j]),
            (d(dot(w, x), w[j]), x[j]),
            (d(sq, w[j]), w[j]),
        ]
    )


def notation_softmax_three_classes() -> Steps:
    z = vec("z", 3)
    total = sum(exp(v) for v in z)
    y = [exp(v) / total for v in z]
    return Steps(
        [
            (y[0] + y[1] + y[2], 1),
            (sum(y), 1),
            (d(y[0], z[0]), y[0] * (1 - y[0])),
            (d(y[0], z[2]), -y[0] * y[2]),
            (d(y[0], z[2]), y[0] * y[2]),
        ]
    )


def notation_logsumexp_shift() -> Steps:
    (c,) = r("c")
    z = vec("z")
    lse = log(sum(exp(v) for v in z))
    k = 1
    return Steps(
        [
            (log(sum(exp(v - c) for v in z)), lse - c),
            (d(lse, z[k]), exp(z[k]) / sum(exp(v) for v in z)),
            (log(sum(exp(v - c) for v in z)), lse + c),
        ]
    )


def notation_softplus_grad() -> Steps:
    (x,) = r("x")
    s = lambda u: log(1 + exp(u))  # noqa: E731
    return Steps(
        [
            (d(s(x), x), exp(x) / (1 + exp(x))),
            (exp(x) / (1 + exp(x)), sigmoid(x)),
            (s(x), x + s(-x)),
            (d(s(x), x), sigmoid(-x)),
        ]
    )


def notation_hinge_subgradient() -> Steps:
    (y,) = r("y")
    w, x = vec("w"), vec("x")
    m = y * dot(w, x)
    loss = sp.Max(0, 1 - m)
    j = 1
    return Steps(
        [
            (d(loss, w[j]), -sp.Heaviside(1 - m, 0) * y * x[j]),
            (y**2 * x[j], x[j]),
            (d(loss, w[j]), -sp.Heaviside(1 - m, 0) * x[j]),
        ],
        {y: [-1, 1]},
    )


def _examples(name: str) -> list[list[sp.Symbol]]:
    return [vec(f"{name}{i}_") for i in range(N)]


def notation_mse_vector() -> Steps:
    w = vec("w")
    xs = _examples("x")
    ts = list(r(" ".join(f"t{i}" for i in range(N))))
    yhat = [dot(w, xs[i]) for i in range(N)]
    cost = sum((yhat[i] - ts[i]) ** 2 for i in range(N)) / (2 * N)
    j = 1
    grad = sum((yhat[i] - ts[i]) * xs[i][j] for i in range(N))
    return Steps(
        [
            (d(cost, w[j]), grad / N),
            (d(cost, w[j]), grad / N),
            (d(cost, w[j]), grad / (2 * N)),
        ]
    )


def notation_cross_entropy_examples() -> Steps:
    w = vec("w")
    xs = _examples("x")
    ts = list(r(" ".join(f"t{i}" for i in range(N))))
    ys = [sigmoid(dot(w, xs[i])) for i in range(N)]
    cost = -sum(ts[i] * log(ys[i]) + (1 - ts[i]) * log(1 - ys[i]) for i in range(N)) / N
    j = 1
    return Steps(
        [
            (d(cost, w[j]), sum((ys[i] - ts[i]) * xs[i][j] for i in range(N)) / N),
            (d(cost, w[j]), sum((ts[i] - ys[i]) * xs[i][j] for i in range(N)) / N),
        ],
        {t: PROB for t in ts},
    )


def notation_kl_bernoulli_student() -> Steps:
    p, q = r("p q")
    kl = p * log(p / q) + (1 - p) * log((1 - p) / (1 - q))
    return Steps(
        [
            (d(kl, p), log(p / q) - log((1 - p) / (1 - q))),
            (log(p / q) - log((1 - p) / (1 - q)), log(p * (1 - q) / (q * (1 - p)))),
            (d(kl, q, 2), p / q**2 + (1 - p) / (1 - q) ** 2),
            (d(kl, p), log(p * (1 - q) / (q * (1 - p))) + 1),
        ],
        {p: PROB, q: PROB},
    )


def notation_tanh_backprop() -> Steps:
    w, x, b, t, u = r("w x b t u")
    a = w * x + b
    h = sp.tanh(a)
    e = (h - t) ** 2 / 2
    return Steps(
        [
            (d((u - t) ** 2 / 2, u), u - t),
            (d(sp.tanh(u), u), 1 - sp.tanh(u) ** 2),
            (1 - sp.tanh(u) ** 2, 1 - sp.tanh(u) ** 2),
            (d(e, w), (h - t) * (1 - h**2) * x),
            (d(e, b), (h - t) * (1 - h**2)),
            (d(sp.tanh(u), u), 1 - sp.tanh(u)),
        ]
    )


def notation_two_layer_relu() -> Steps:
    w1, w2, x, t = r("w1 w2 x t")
    a = w1 * x
    h = sp.Max(0, a)
    o = w2 * h
    loss = (o - t) ** 2 / 2
    return Steps(
        [
            (d(loss, w2), (o - t) * h),
            (d(loss, w1), (o - t) * w2 * sp.Heaviside(a, 0) * x),
            (d(loss, w1), (o - t) * w2 * x),
        ]
    )


def notation_softmax_ce_indicator() -> Steps:
    s = vec("s")
    yi = 1
    total = sum(exp(v) for v in s)
    p = [exp(v) / total for v in s]
    loss = -log(p[yi - 1])
    grads = [d(loss, v) for v in s]
    ind = [1 if j == yi else 0 for j in range(1, D + 1)]
    return Steps(
        [
            (sp.Matrix(grads), sp.Matrix([p[j] - ind[j] for j in range(D)])),
            (sum(grads), 0),
            (sp.Matrix(grads), sp.Matrix([p[j] - ind[j] for j in range(D)])),
            (sp.Matrix(grads), sp.Matrix([p[j] + ind[j] for j in range(D)])),
        ]
    )


def notation_svm_loss() -> Steps:
    s = vec("s")
    yi, j = 1, 2  # a wrong class j != y_i
    loss = sum(sp.Max(0, s[k] - s[yi - 1] + 1) for k in range(D) if k != yi - 1)
    wrong = [sp.Heaviside(s[k] - s[yi - 1] + 1, 0) for k in range(D) if k != yi - 1]
    return Steps(
        [
            (d(loss, s[j - 1]), sp.Heaviside(s[j - 1] - s[yi - 1] + 1, 0)),
            (d(loss, s[yi - 1]), -sum(wrong)),
            (d(loss, s[yi - 1]), sum(wrong)),
        ]
    )


def notation_elided_sum() -> Steps:
    z = vec("z", 4)
    total = sum(exp(v) for v in z)
    k = 2
    return Steps(
        [
            (total, sum(exp(v) for v in z)),
            (d(total, z[1]), exp(z[1])),
            (d(total, z[k]), exp(z[k])),
            (d(total, z[1]), total),
        ]
    )


def notation_huber_cases() -> Steps:
    rr, delta = r("r delta")
    h = rr**2 / 2
    g = delta * sp.Abs(rr) - delta**2 / 2
    return Steps(
        [
            (d(h, rr), rr),
            (delta**2 / sp.Abs(delta), delta),
            (g - h, -((sp.Abs(rr) - delta) ** 2) / 2),
            (g - h, (sp.Abs(rr) - delta) ** 2 / 2),
        ],
        {delta: (0.05, 2.0)},
    )


def notation_bce_logits_grad() -> Steps:
    z, t = r("z t")
    ell = log(1 + exp(z)) - t * z
    return Steps(
        [
            (d(ell, z), exp(z) / (1 + exp(z)) - t),
            (exp(z) / (1 + exp(z)) - t, sigmoid(z) - t),
            (d(ell, z, 2), sigmoid(z) * (1 - sigmoid(z))),
            (ell, -t * log(sigmoid(z)) - (1 - t) * log(1 - sigmoid(z))),
            (d(ell, z), sigmoid(z) + t),
        ],
        {t: PROB},
    )


def notation_l2_logistic_cs229() -> Steps:
    y, lam = r("y lambda")
    th, x = vec("theta"), vec("x")
    h = sigmoid(dot(th, x))
    cost = -y * log(h) - (1 - y) * log(1 - h) + lam / 2 * sum(v**2 for v in th)
    j = 1
    return Steps(
        [
            (d(cost, th[j]), (h - y) * x[j] + lam * th[j]),
            (d(cost, th[j]), (h - y) * x[j] + 2 * lam * th[j]),
        ],
        {y: PROB},
    )


def notation_two_class_sigmoid() -> Steps:
    a1, a2 = r("a1 a2")
    q1 = exp(a1) / (exp(a1) + exp(a2))
    q2 = exp(a2) / (exp(a1) + exp(a2))
    ell = -log(q1)
    return Steps(
        [
            (q2, 1 - q1),
            (ell, log(1 + exp(a2 - a1))),
            (d(ell, a1), q1 - 1),
            (d(ell, a2), q2),
            (d(ell, a2), q1),
        ]
    )


def notation_where_clause() -> Steps:
    a, b, x, t = r("a b x t")
    f = sp.tanh(a * x + b)
    e = (f - t) ** 2 / 2
    return Steps(
        [
            (d(e, a), (f - t) * (1 - f**2) * x),
            (d(e, b), (f - t) * (1 - f**2)),
            (d(e, a), (f - t) * x),
        ]
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
    "heldout/gd_update_linear.md": heldout_gd_update_linear,
    "heldout/tanh_via_sigmoid.tex": heldout_tanh_via_sigmoid,
    "heldout/poisson_nll.md": heldout_poisson_nll,
    "heldout/softmax_jacobian_student.md": heldout_softmax_jacobian_student,
    "heldout/focal_gamma_zero.md": heldout_focal_gamma_zero,
    "heldout/ridge_closed_form.md": heldout_ridge_closed_form,
    "heldout/logit_inverse.md": heldout_logit_inverse,
    "heldout/mae_subgradient.md": heldout_mae_subgradient,
    "heldout/ng_logistic_batch.md": heldout_ng_logistic_batch,
    "heldout/bishop_sum_of_squares.tex": heldout_bishop_sum_of_squares,
    "heldout/goodfellow_softplus.md": heldout_goodfellow_softplus,
    "heldout/student_sigmoid_quotient.md": heldout_student_sigmoid_quotient,
    "heldout/cross_entropy_three_way.md": heldout_cross_entropy_three_way,
    "heldout/exp_family_bernoulli.md": heldout_exp_family_bernoulli,
    "heldout/leaky_relu.md": heldout_leaky_relu,
    "heldout/weight_decay_update.md": heldout_weight_decay_update,
    "heldout/softmax_temperature.md": heldout_softmax_temperature,
    "heldout/negative_sampling.md": heldout_negative_sampling,
    "heldout/l1_penalty.md": heldout_l1_penalty,
    "heldout/log_odds.md": heldout_log_odds,
    "heldout/student_ce_chain.md": heldout_student_ce_chain,
    "heldout/gaussian_nll.tex": heldout_gaussian_nll,
    "heldout/matrix_gradient.md": heldout_matrix_gradient,
    "notation/sigmoid_prime.md": notation_sigmoid_prime,
    "notation/quotient_rule_fprime.md": notation_quotient_rule_fprime,
    "notation/partial_subscript.md": notation_partial_subscript,
    "notation/nabla_linear.md": notation_nabla_linear,
    "notation/dot_norm.md": notation_dot_norm,
    "notation/softmax_three_classes.md": notation_softmax_three_classes,
    "notation/logsumexp_shift.md": notation_logsumexp_shift,
    "notation/softplus_grad.tex": notation_softplus_grad,
    "notation/hinge_subgradient.md": notation_hinge_subgradient,
    "notation/mse_vector.md": notation_mse_vector,
    "notation/cross_entropy_examples.md": notation_cross_entropy_examples,
    "notation/kl_bernoulli_student.md": notation_kl_bernoulli_student,
    "notation/tanh_backprop.tex": notation_tanh_backprop,
    "notation/two_layer_relu.md": notation_two_layer_relu,
    "notation/softmax_ce_indicator.md": notation_softmax_ce_indicator,
    "notation/svm_loss.md": notation_svm_loss,
    "notation/elided_sum.md": notation_elided_sum,
    "notation/huber_cases.md": notation_huber_cases,
    "notation/bce_logits_grad.md": notation_bce_logits_grad,
    "notation/l2_logistic_cs229.md": notation_l2_logistic_cs229,
    "notation/two_class_sigmoid.tex": notation_two_class_sigmoid,
    "notation/where_clause.md": notation_where_clause,
}


def labels_of(name: str) -> list[str]:
    """The label of every step of one corpus file, computed here."""
    steps = CORPUS[name]()
    return [label(pair, steps, seed=n) for n, pair in enumerate(steps.pairs)]


if __name__ == "__main__":
    for name in CORPUS:
        print(name, ", ".join(labels_of(name)))
