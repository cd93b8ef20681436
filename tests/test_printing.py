"""Golden tests of derive.printing: each expression with its exact LaTeX and plain text."""

from __future__ import annotations

import pytest
import sympy as sp

from derive.functions import example, grad, indicator, sigmoid, softplus
from derive.printing import latex, text

L, J, alpha = sp.symbols("L J alpha")
t_, y_, z_, u = sp.symbols("t y z u")
i, j, k, T, K, N = sp.symbols("i j k T K N")
kp = sp.Symbol("k'")
x, y, z, s, W = (sp.IndexedBase(n) for n in ("x", "y", "z", "s", "W"))
total = sp.Sum(sp.exp(z[kp]), (kp, 1, K))
Y, Tm, X = sp.MatrixSymbol("Y", N, K), sp.MatrixSymbol("T", N, K), sp.MatrixSymbol("X", N, 3)
threshold = sp.Symbol("delta", positive=True)
# SymPy stores these conditions as delta < -u and delta >= u
clipped = sp.Piecewise((-threshold, u < -threshold), (u, u <= threshold), (threshold, True))

LATEX = [
    (L, r"\mathcal{L}"),
    (J, r"\mathcal{J}"),
    (sp.Symbol("L_CE"), r"\mathcal{L}_{CE}"),
    (alpha, r"\alpha"),
    (kp, "k'"),
    (y[T], "y_{T}"),
    (W[k, j], "W_{k j}"),
    (z[kp], "z_{k'}"),
    (example(y[k], i), "y_{k}^{(i)}"),
    (example(y_, i), "y^{(i)}"),
    (example(y_ - t_, i), r"\left(y - t\right)^{(i)}"),
    (example(y[k], i) ** 2, r"\left(y_{k}^{(i)}\right)^{2}"),
    (sigmoid(z_), r"\sigma(z)"),
    (sigmoid(z_) ** 2, r"\sigma^{2}(z)"),
    (softplus(u), r"\operatorname{softplus}(u)"),
    (indicator(u), r"\mathbf{1}[u > 0]"),
    (indicator(s[j] - s[y_] + 1), r"\mathbf{1}[s_{j} - s_{y} + 1 > 0]"),
    (sp.Heaviside(u, 1), r"\mathbf{1}[u \geq 0]"),
    (sp.Derivative(L, y[T]), r"\frac{\partial \mathcal{L}}{\partial y_{T}}"),
    (sp.Derivative(L, y_, 2), r"\frac{\partial^{2} \mathcal{L}}{\partial y^{2}}"),
    (
        sp.Derivative(sp.exp(z[k]) / total, z[k]),
        r"\frac{\partial}{\partial z_{k}}"
        r"\left[ \frac{e^{z_{k}}}{\sum_{k'=1}^{K} e^{z_{k'}}} \right]",
    ),
    (sp.KroneckerDelta(k, T), r"\delta_{kT}"),
    (sp.KroneckerDelta(T, k), r"\delta_{kT}"),
    (total, r"\sum_{k'=1}^{K} e^{z_{k'}}"),
    (sp.Sum(y_ - t_, (i, 1, N)), r"\sum_{i=1}^{N} \left(y - t\right)"),
    (sp.Max(0, u), r"\max(0, u)"),
    (sp.Max(0, s[j] - s[y_] + 1), r"\max(0, s_{j} - s_{y} + 1)"),
    (sp.Transpose(X), r"X^{\top}"),
    (sp.MatMul(1 / N, sp.Transpose(Y - Tm), X), r"\frac{1}{N} \left(Y - T\right)^{\top} X"),
    (y_ - t_, "y - t"),
    (y[k] - 1, "y_{k} - 1"),
    (-t_ / y_ + (1 - t_) / (1 - y_), r"\frac{1 - t}{1 - y} - \frac{t}{y}"),
    (-t_ * sp.log(y_) - (1 - t_) * sp.log(1 - y_), r"- t \log(y) - \left(1 - t\right) \log(1 - y)"),
    (-1 / y[T], r"- \frac{1}{y_{T}}"),
    (y[k] * (1 - y[k]), r"y_{k} \left(1 - y_{k}\right)"),
    ((y_ - t_) * x[j], r"\left(y - t\right) x_{j}"),
    (-y[T] * y[k], "- y_{T} y_{k}"),
    (sp.exp(z[k]) / total, r"\frac{e^{z_{k}}}{\sum_{k'=1}^{K} e^{z_{k'}}}"),
    (
        sp.Mul(-1 / y[T], y[k] * (1 - y[k]), evaluate=False),
        r"- \frac{1}{y_{T}} \cdot y_{k} \left(1 - y_{k}\right)",
    ),
    (
        sp.Mul(sp.Derivative(L, y_), sp.Derivative(y_, z_), evaluate=False),
        r"\frac{\partial \mathcal{L}}{\partial y} \cdot \frac{\partial y}{\partial z}",
    ),
    (
        sp.Mul(-t_ / y_ + (1 - t_) / (1 - y_), y_ * (1 - y_), x[j], evaluate=False),
        r"\left(\frac{1 - t}{1 - y} - \frac{t}{y}\right) \cdot y \left(1 - y\right) \cdot x_{j}",
    ),
    (sp.Mul(-t_, 1 / y_, evaluate=False), r"- t \cdot \frac{1}{y}"),
    (alpha * sp.Derivative(J, W[k, j]), r"\alpha \frac{\partial \mathcal{J}}{\partial W_{k j}}"),
    (
        W[k, j] - alpha / N * sp.Sum((example(y[k], i) - example(t_, i)) * x[j], (i, 1, N)),
        r"W_{k j} - \frac{\alpha}{N} \sum_{i=1}^{N} \left(y_{k}^{(i)} - t^{(i)}\right) x_{j}",
    ),
    (sp.Eq(k, T), "k = T"),
    (sp.Ne(k, T), r"k \neq T"),
    (grad(J, sp.MatrixSymbol("W", K, N)), r"\nabla_{W} \mathcal{J}"),
    (
        clipped,
        r"\begin{cases} - \delta & \text{if } u < - \delta \\ u & \text{if } {- \delta} \leq u "
        r"\leq \delta \\ \delta & \text{if } u > \delta \end{cases}",
    ),
]

TEXT = [
    (L, "L"),
    (alpha, "alpha"),
    (kp, "k'"),
    (y[T], "y_T"),
    (W[k, j], "W_kj"),
    (s[sp.Symbol("y_i")], "s_{y_i}"),
    (example(y_, i), "y^(i)"),
    (example(y[k], i), "y_k^(i)"),
    (sigmoid(z_), "sigma(z)"),
    (indicator(s[j] - s[y_] + 1), "1[s_j - s_y + 1 > 0]"),
    (sp.Derivative(L, y[T]), "dL/dy_T"),
    (sp.Derivative(sp.exp(z_) + z_, z_), "d/dz[z + exp(z)]"),
    (-1 / y[T], "-1/y_T"),
    (y[k] * (1 - y[k]), "y_k*(1 - y_k)"),
    (y_ - t_, "y - t"),
    (total, "sum_{k'=1}^{K} exp(z_k')"),
    (sp.exp(z[k]) / total, "exp(z_k)/(sum_{k'=1}^{K} exp(z_k'))"),
    (sp.KroneckerDelta(k, T), "delta_kT"),
    (sp.Max(0, u), "max(0, u)"),
    (sp.Abs(y_ - t_), "|t - y|"),
    (sp.MatMul(1 / N, sp.Transpose(Y - Tm), X), "1/N*(Y - T)^T*X"),
    (
        sp.Mul(sp.Derivative(L, y[T]), sp.Derivative(y[T], z[k]), evaluate=False),
        "dL/dy_T * dy_T/dz_k",
    ),
    (sp.exp(-z_) / (1 + sp.exp(-z_)) ** 2, "exp(-z)/(1 + exp(-z))^2"),
    (sp.Ne(k, T), "k != T"),
    (grad(J, sp.MatrixSymbol("W", K, N)), "grad_W J"),
    (clipped, "{-delta if u < -delta; u if -delta <= u <= delta; delta if u > delta}"),
    # thresholds in no known order: printed as SymPy orders the pieces
    (
        sp.Piecewise((0, u < threshold), (1, u < 0), (2, True)),
        "{0 if u < delta; 1 if u < 0; 2 otherwise}",
    ),
]


@pytest.mark.parametrize(("expr", "expected"), LATEX, ids=[e for _, e in LATEX])
def test_latex(expr, expected):
    assert latex(expr) == expected


@pytest.mark.parametrize(("expr", "expected"), TEXT, ids=[e for _, e in TEXT])
def test_text(expr, expected):
    assert text(expr) == expected
