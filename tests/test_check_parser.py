"""LaTeX -> SymPy: golden cases, what is refused, and the safety limits."""

from __future__ import annotations

import pytest
import sympy as sp

from derive.checking.lexer import tokenize
from derive.checking.parser import ParseError, parse_tokens
from derive.checking.symbols import Vocabulary, family, index_symbol, plain_symbol, size_symbol
from derive.functions import example, sigmoid, softplus

VOCAB = Vocabulary(
    index_bounds={"k": "K", "T": "K", "k'": "K", "j": "K", "i": "N"},
    sizes=frozenset({"K", "N"}),
    function_like={"L": ("y",)},
)
x, y, t, z, w, alpha = (plain_symbol(n) for n in "x y t z w alpha".split())
k, T, kp, j, i = (index_symbol(n) for n in ("k", "T", "k'", "j", "i"))
K, N = size_symbol("K"), size_symbol("N")
zf, yf, wf, xf = family("z"), family("y"), family("w"), family("x")
S = sp.Sum(sp.exp(zf[kp]), (kp, 1, K))
iota = index_symbol("iota")


def parse(text: str) -> sp.Expr:
    return parse_tokens(tokenize(text), VOCAB)


GOLDEN = [
    (r"\frac{1}{1+e^{-z}}", 1 / (1 + sp.exp(-z))),
    (r"-t \log(y) - (1-t) \ln(1-y)", -t * sp.log(y) - (1 - t) * sp.log(1 - y)),
    (r"ty", t * y),
    (r"y(1-y)", y * (1 - y)),
    (r"2x(1+x)", 2 * x * (1 + x)),
    (r"\left(-t \cdot \frac{1}{y}\right) \times 2", -2 * t / y),
    (r"[-t(1-y) + (1-t) y] x_j", (-t * (1 - y) + (1 - t) * y) * xf[j]),
    (r"\tanh^2(z)", sp.tanh(z) ** 2),
    (r"\sigma(z)(1 - \sigma(z))", sigmoid(z) * (1 - sigmoid(z))),
    (r"\sigma'(z)", sigmoid(z) * (1 - sigmoid(z))),
    (r"\sigma^2", plain_symbol("sigma") ** 2),
    (r"\operatorname{softplus}(x)", softplus(x)),
    (r"\exp(-z^2/2)", sp.exp(-(z**2) / 2)),
    (r"\max(0, 1 - ty)", sp.Max(0, 1 - t * y)),
    (r"\log y_T", sp.log(yf[T])),
    (r"\sqrt{x^2 + 1}", sp.sqrt(x**2 + 1)),
    (r"\frac12 x", x / 2),
    (r"0.5 x", x / 2),
    (r"x^10", sp.S.Zero),  # as TeX reads it: x^1 times 0
    (r"\frac{e^{z_k}}{\sum_{k'} e^{z_{k'}}}", sp.exp(zf[k]) / S),
    (r"\sum_{i=1}^N (y^{(i)} - t^{(i)})", sp.Sum(example(y, i) - example(t, i), (i, 1, N))),
    (r"x_j^{(i)}", example(xf[j], i)),
    (r"\mathcal{L}_{CE}", plain_symbol("L_CE")),
    (r"\mathcal{L}_{CE}(y, t)", plain_symbol("L_CE")),
    (r"L(y)", plain_symbol("L")),
    (r"w^T x", sp.Sum(wf[iota] * xf[iota], (iota, 1, K))),
    (r"\delta_{kT}", sp.KroneckerDelta(k, T)),
    (r"|x|", sp.Abs(x)),
    (r"\frac{\partial y}{\partial z}", sp.Derivative(y, z)),
    (r"\frac{\partial \mathcal{L}_{CE}}{\partial w_j}", sp.Derivative(plain_symbol("L_CE"), wf[j])),
    (r"\frac{\partial [-t \log(y)]}{\partial y}", sp.Derivative(-t * sp.log(y), y)),
    (r"\frac{\partial (w_j x_j)}{\partial w_j}", sp.Derivative(wf[j] * xf[j], wf[j])),
    (r"\frac{\partial}{\partial x} x^2 y", sp.Derivative(x**2 * y, x)),
    (r"\frac{d}{dx} \left( x^2 \right)", sp.Derivative(x**2, x)),
    (r"\frac{dy}{dx}", sp.Derivative(y, x)),
    (r"\frac{d^2 y}{dx^2}", sp.Derivative(y, (x, 2))),
    (
        r"\frac{\partial \log(1-y)}{\partial (1-y)}",
        sp.Derivative(sp.log(1 - y), y) / sp.Derivative(1 - y, y),
    ),
    (r"\mathbb{1}(k = T)", sp.KroneckerDelta(k, T)),
    (r"\mathbf{1}\{k \neq T\}", 1 - sp.KroneckerDelta(k, T)),
    (r"[\![k = T]\!]", sp.KroneckerDelta(k, T)),
    (r"[k = T]", sp.KroneckerDelta(k, T)),
    (r"\mathbb{1}(x > 0)", sp.Heaviside(x, 0)),
    (
        r"e^{z_1} + e^{z_2} + \dots + e^{z_K}",
        sp.Sum(sp.exp(zf[index_symbol("j_elided")]), (index_symbol("j_elided"), 1, K)),
    ),
    (r"\partial_x (x^2 y)", sp.Derivative(x**2 * y, x)),
    (r"\nabla_w L", sp.Derivative(plain_symbol("L"), w)),
    (r"\hat y", plain_symbol(r"\hat{y}")),
    (r"\operatorname{sign}(x)", sp.sign(x)),
    (r"\sum_{j \neq T} x_j", sp.Sum(xf[j], (j, 1, K)) - xf[T]),
    (r"w_k^T x", sp.Sum(wf[k, iota] * xf[iota], (iota, 1, K))),
]


@pytest.mark.parametrize(("latex", "expected"), GOLDEN, ids=[g[0] for g in GOLDEN])
def test_golden(latex: str, expected: sp.Expr) -> None:
    assert parse(latex) == expected


@pytest.mark.parametrize(
    ("latex", "reason"),
    [
        (r"\frac{\partial (1-y)}{y}", r"no \partial"),
        (r"x_1 + x_3 + \dots + x_K", "pattern"),
        (r"x_1 + \dots + y", "pattern"),
        (r"\operatorname{foo}(x)", "unknown function"),
        (r"\mathbb{1}(x = y)", "equality between real numbers"),
        (r"\dots + x_K", "first and last"),
        (r"9^{9^{9}}", "too large"),
        (r"x^{100000}", "too large"),
        (r"\frac{1}{0}", "division by zero"),
        (r"\text{hello}", "unknown command"),
        (r"\foo x", "unknown command"),
        (r"(x, y)", "list"),
        (r"\frac{\partial y}{\partial k}", "index"),
        (r"x +", "ends too early"),
        (r"\sum_{k} \sum_{k} z_k", "same index"),
    ],
)
def test_refused_with_a_reason(latex: str, reason: str) -> None:
    with pytest.raises(ParseError, match=reason.replace("\\", "\\\\")):
        parse(latex)


@pytest.mark.parametrize(
    "latex",
    [
        "{" * 500 + "x" + "}" * 500,
        "(" * 500 + "x" + ")" * 500,
        "-" * 2000 + "x",
        r"\sqrt{" * 300 + "x" + "}" * 300,
        "x + " * 3000 + "x",
    ],
)
def test_deep_or_long_input_is_refused_not_crashed(latex: str) -> None:
    with pytest.raises(ParseError):
        parse(latex)


def test_unclosed_group_is_closed_at_the_end() -> None:
    """The assignment writes \\frac{e^{z_k}}{\\sum_{k'} e^{z_{k'}} with a brace missing."""
    assert parse(r"\frac{e^{z_k}}{\sum_{k'} e^{z_{k'}}") == sp.exp(zf[k]) / S


def test_index_letters_are_integers_and_members_share_a_family() -> None:
    a, b = parse("z_k"), parse("z_{k'}")
    assert a.base == b.base == zf
    assert a.indices[0].is_integer and b.indices[0].is_integer
