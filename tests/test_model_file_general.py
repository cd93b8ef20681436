"""Model files as course notes write them: absolute values, stages used twice, constants,
penalties and several parameters. Each through the command line and against finite
differences."""

import json
import re
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import derive
from derive.errors import InputError
from derive.model_file import ModelFileError, read_model
from derive.numeric.gradcheck import numerical_gradient, relative_error
from tests.test_cli import run

ROOT = Path(__file__).resolve().parents[1]


def show_json(tmp_path: Path, text: str, name: str = "model.md") -> dict:
    """``derive show --model FILE --format json`` as a subprocess, parsed."""
    (tmp_path / name).write_text(text)
    out = run("show", "--model", name, "--format", "json", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert all(s["verification"]["method"] in ("symbolic", "numeric") for s in data["steps"])
    return data


def result_of(data: dict) -> sp.Expr:
    return sp.sympify(data["result"]["rhs"])  # derive's own output, not user text


def file_text(*lines: str) -> str:
    return "\n".join(["# A model", *lines]) + "\n"


def check_callables(model, w, X, t, reference, **keywords) -> None:
    """Loss against a NumPy reference; gradient against finite differences of the loss."""
    loss, grad = derive.loss_function(model), derive.gradient_function(model)
    value, gradient = derive.value_and_grad_function(model)(w, X, t, **keywords)
    assert loss(w, X, t, **keywords) == pytest.approx(reference, rel=1e-12)
    assert value == pytest.approx(reference, rel=1e-12)
    fd = numerical_gradient(lambda p: loss(p, X, t, **keywords), w)
    assert relative_error(grad(w, X, t, **keywords), fd) < 1e-6
    assert relative_error(gradient, fd) < 1e-6


def data(seed: int = 0, n: int = 30, d: int = 4):
    rng = np.random.default_rng(seed)
    return rng.normal(size=d) / 2, rng.normal(size=(n, d)), rng.normal(size=n)


# --- 1. absolute values ----------------------------------------------------------------------

ABS_FORMS = [
    r"|z - t|",
    r"\lvert z - t \rvert",
    r"\left| z - t \right|",
    r"\left\lvert t - z \right\rvert",
]


@pytest.mark.parametrize("form", ABS_FORMS)
def test_absolute_error_derives_to_the_sign_of_the_residual(tmp_path, form):
    d = show_json(tmp_path, file_text("$$z = w^T x$$", f"$$L = {form}$$", "Parameter: $w$"))
    z, t, x_j = sp.symbols("z t x_j")
    assert sp.simplify(result_of(d) - sp.sign(z - t) * x_j) == 0
    assert any("sign(0) = 0" in note for note in d["notes"])


def test_absolute_error_callables_and_the_subgradient_zero_at_the_kink():
    model = read_model(file_text("$$z = w^T x$$", "$$L = |z - t|$$", "Parameter: $w$"))
    w, X, t = data(1)
    check_callables(model, w, X, t, np.mean(np.abs(X @ w - t)))
    # every residual exactly 0: the subgradient 0 at the kink, as the hinge's
    assert np.array_equal(derive.gradient_function(model)(w, X, X @ w), np.zeros(4))


def test_absolute_value_inside_a_chain():
    text = file_text(
        "$$z = w^T x$$",
        r"$$y = \tanh(z)$$",
        r"$$L = \frac{1}{2}|y - t|^2 + |y|$$",
        "Parameter: $w$",
    )
    model = read_model(text)
    w, X, t = data(2)
    y = np.tanh(X @ w)
    check_callables(model, w, X, t, np.mean((y - t) ** 2 / 2 + np.abs(y)))


# --- 2. a stage used by a later stage that is not the next ----------------------------------


def test_poisson_as_written_inlines_mu_and_keeps_it_as_a_definition(tmp_path):
    text = file_text("$$z = w^T x$$", r"$$\mu = e^{z}$$", r"$$L = \mu - t z$$", "Parameter: $w$")
    d = show_json(tmp_path, text)
    mu, t, x_j = sp.symbols("mu t x_j")
    assert sp.expand(result_of(d) - (mu - t) * x_j) == 0
    assert any("mu is substituted into L" in note for note in d["notes"])
    model = read_model(text)
    assert [str(s.symbol) for s in model.stages] == ["z", "mu", "L"]
    assert [str(v) for v in model.chain] == ["L", "z", "w[j]"]
    w, X, _ = data(3)
    counts = np.random.default_rng(3).poisson(1.0, 30).astype(float)
    check_callables(model, w, X, counts, np.mean(np.exp(X @ w) - counts * (X @ w)))


@pytest.mark.parametrize(
    ("stages", "reference"),
    [
        (
            [r"$$y = \tanh(z)$$", r"$$L = \frac{1}{2}(y - t)^2 + \frac{1}{2} z^2$$"],
            lambda z, t: (np.tanh(z) - t) ** 2 / 2 + z**2 / 2,
        ),
        (
            [r"$$a = \tanh(z)$$", r"$$b = a^2$$", r"$$c = b + a$$", r"$$L = (c - t)^2$$"],
            lambda z, t: (np.tanh(z) ** 2 + np.tanh(z) - t) ** 2,
        ),
        (
            [r"$$a = \tanh(z)$$", r"$$b = \sigma(z)$$", r"$$L = (a + b - t)^2$$"],
            lambda z, t: (np.tanh(z) + 1 / (1 + np.exp(-z)) - t) ** 2,
        ),
        (
            [r"$$u = z^2$$", r"$$v = u + z$$", r"$$L = (v + u - t)^2$$"],
            lambda z, t: (2 * z**2 + z - t) ** 2,
        ),
    ],
)
def test_stages_used_twice_give_the_gradient_of_the_whole_loss(stages, reference):
    model = read_model(file_text("$$z = w^T x$$", *stages, "Parameter: $w$"))
    w, X, t = data(4)
    check_callables(model, w, X, t, np.mean(reference(X @ w, t)))
    derivation = derive.derivation(model)
    assert all(s.verification.method in ("symbolic", "numeric") for s in derivation.steps)


def test_a_multiclass_stage_using_two_stages_still_says_so():
    text = file_text(
        "$$z_k = w_k^T x$$",
        r"$$y = \operatorname{softmax}(z)$$",
        r"$$L = -\sum_k t_k \log y_k + \sum_k z_k^2$$",
        "Parameter: $w$",
        "Assume: $t$ is one-hot",
    )
    with pytest.raises(ModelFileError, match=r"^f.md:4: L uses y and z: with K classes"):
        read_model(text, source="f.md")


def test_the_real_absolute_value_rule_and_its_round_trip_through_the_cache_codec():
    from derive.calculus import AbsRule, NoRule, differentiate
    from derive.codec import decode, encode
    from derive.functions import Abs

    z, t = sp.symbols("z t")
    rule = differentiate(Abs(sp.tanh(z) - t), z)  # checked against sympy.diff inside
    assert any(isinstance(r, AbsRule) for r in rule.walk())
    assert sp.simplify(rule.eval() - sp.sign(sp.tanh(z) - t) * (1 - sp.tanh(z) ** 2)) == 0
    assert isinstance(differentiate(sp.Abs(z), z, check=False), NoRule)  # complex-aware
    expr = Abs(z - t) + sp.sign(z)
    assert decode(json.loads(json.dumps(encode(expr)))) == expr


# --- 3. constants: a bias, Greek letters, their ranges -------------------------------------


def test_a_bias_in_the_score_is_a_keyword_with_default_zero(tmp_path):
    text = file_text("$$z = w^T x + b$$", r"$$L = \frac{1}{2}(z - t)^2$$", "Parameter: $w$")
    d = show_json(tmp_path, text)
    z, t, x_j = sp.symbols("z t x_j")
    assert sp.expand(result_of(d) - (z - t) * x_j) == 0
    assert any("b (keyword b, default 0)" in note for note in d["notes"])
    model = read_model(text)
    ((h,),) = [model.hyperparameters]
    assert (h.keyword, h.default) == ("b", 0.0)
    w, X, t = data(5)
    check_callables(model, w, X, t, np.mean((X @ w + 0.7 - t) ** 2 / 2), b=0.7)
    check_callables(model, w, X, t, np.mean((X @ w - t) ** 2 / 2))  # the default b = 0


def test_greek_constants_with_a_stated_range(tmp_path):
    text = file_text(
        "$$z = w^T x + b$$",
        "$$r = z - t$$",
        r"$$L = \delta^2 \left(\sqrt{1 + (r / \delta)^2} - 1\right)$$",
        "Parameter: $w$",
        r"Assume: $\delta > 0$",
    )
    d = show_json(tmp_path, text)
    r, delta, x_j = sp.symbols("r delta x_j")
    assert sp.simplify(result_of(d) - r / sp.sqrt(1 + r**2 / delta**2) * x_j) == 0
    model = read_model(text)
    assert [h.keyword for h in model.hyperparameters] == ["b", "delta"]
    assert model.domains["delta"][0] > 0  # the verifier samples delta > 0 only
    w, X, t = data(6)
    residual = X @ w - 0.2 - t
    reference = np.mean(0.5**2 * (np.sqrt(1 + (residual / 0.5) ** 2) - 1))
    check_callables(model, w, X, t, reference, b=-0.2, delta=0.5)
    with pytest.raises(ValueError, match="delta must be finite and in \\(0, inf\\)"):
        derive.loss_function(model)(w, X, t, delta=0.0)


@pytest.mark.parametrize(
    ("assume", "default", "good", "bad"),
    [
        ("", 1.0, -0.3, None),
        (r"Assume: $\lambda \ge 0$", 1.0, 0.0, -0.1),
        (r"Assume: $\lambda \in (0, 1)$", 0.5, 0.25, 1.0),
        (r"Assume: $\lambda < 0$", -1.0, -0.25, 0.0),
    ],
)
def test_lambda_is_the_keyword_lam_and_its_range_decides_the_default(assume, default, good, bad):
    text = file_text(
        "$$z = w^T x$$",
        r"$$y = \tanh(z)$$",
        r"$$L = \frac{1}{2}(y - t)^2 + \frac{\lambda}{2} z^2$$",
        "Parameter: $w$",
        assume,
    )
    model = read_model(text)
    ((h,),) = [model.hyperparameters]
    assert (h.keyword, h.default) == ("lam", default)
    w, X, t = data(7)
    z = X @ w
    reference = np.mean((np.tanh(z) - t) ** 2 / 2 + good / 2 * z**2)
    check_callables(model, w, X, t, reference, lam=good)
    if bad is not None:
        with pytest.raises(ValueError, match="lam must be finite and in"):
            derive.gradient_function(model)(w, X, t, lam=bad)


@pytest.mark.parametrize(
    ("lines", "line", "message"),
    [
        (["$$z = w^T x$$", "$$L = (z - t)^2 + c$$"], 3, "c is used but never defined"),
        (["$$z = w^T x$$", r"$$L = (z - t)^2 + \alpha z$$"], 3, "alpha is the step size"),
        (["$$z = w^T x + b_1$$", "$$L = (z - t)^2$$"], 2, "only constants (a bias b)"),
        (["$$z = w^T x$$", "$$L = (z - t)^2$$", r"Assume: $\delta$ big"], 5, "assumption"),
    ],
)
def test_names_that_are_not_constants_name_their_line(lines, line, message):
    text = file_text(*lines[:2], "Parameter: $w$", *lines[2:])
    with pytest.raises(ModelFileError, match=f"^f.md:{line}: .*{re.escape(message)}"):
        read_model(text, source="f.md")


# --- 4. a penalty in the cost ----------------------------------------------------------------

RIDGE = file_text(
    "$$z = w^T x$$",
    r"$$L = \frac{1}{2}(z - t)^2$$",
    "Parameter: $w$",
    r"Penalty: $\frac{\lambda}{2} \|w\|^2$",
    r"Assume: $\lambda \ge 0$",
)


@pytest.mark.parametrize(
    "line",
    [
        r"Penalty: $\frac{\lambda}{2} \|w\|^2$",
        r"Regularizer: $\frac{\lambda}{2} \lVert w \rVert_2^2$",
        r"Regularization: $\frac{\lambda}{2} w^T w$",
        r"**Regulariser:** $\frac{\lambda}{2} \sum_j w_j^2$",
    ],
)
def test_a_penalty_line_sets_the_regularizer_of_the_cost(line):
    text = RIDGE.replace(r"Penalty: $\frac{\lambda}{2} \|w\|^2$", line)
    model = read_model(text)
    w = sp.IndexedBase("w")
    jp, lam = sp.Symbol("j'", integer=True, positive=True), sp.Symbol("lambda")
    features = sp.Symbol("D", integer=True, positive=True)
    assert model.regularizer == lam / 2 * sp.Sum(w[jp] ** 2, (jp, 1, features))
    assert [h.keyword for h in model.hyperparameters] == ["lam"]


def test_ridge_cost_gradient_and_update_carry_the_penalty(tmp_path):
    d = show_json(tmp_path, RIDGE)
    z, t, x_j = sp.symbols("z t x_j")
    assert sp.expand(result_of(d) - (z - t) * x_j) == 0  # the per-example gradient: no penalty
    update = d["update_rule"]
    assert "lambda" in json.dumps(update)
    assert any("penalty belongs to the cost" in note for note in d["notes"])
    model = read_model(RIDGE)
    w, X, t = data(8)
    reference = np.mean((X @ w - t) ** 2) / 2 + 0.3 / 2 * w @ w
    check_callables(model, w, X, t, reference, lam=0.3)
    gradient = derive.gradient_function(model)(w, X, t, lam=0.3)
    assert relative_error(gradient, X.T @ (X @ w - t) / 30 + 0.3 * w) < 1e-12
    with pytest.raises(ValueError, match="lam"):
        derive.loss_function(model)(w, X, t, lam=-1.0)


@pytest.mark.parametrize(
    ("penalty", "message"),
    [
        (r"Penalty: $\lambda \sum_j |w_j|$", "is not a multiple of w[j]"),
        (r"Penalty: $\lambda \|w\|_1$", "an L1 penalty is not read"),
        (r"Penalty: $\lambda \sum_j x_j^2$", "does not use the parameter"),
        (r"Penalty: $c \|w\|^2$", "the penalty uses c"),
        (r"Penalty: $\lambda w_1^2$", "sums over the entries of w"),
        (r"Penalty: $\lambda (\|w\|^2$", "cannot read the penalty"),
    ],
)
def test_penalties_that_are_not_read_name_their_line(tmp_path, penalty, message):
    text = file_text("$$z = w^T x$$", r"$$L = (z - t)^2$$", "Parameter: $w$", penalty)
    (tmp_path / "p.md").write_text(text)
    out = run("show", "--model", "p.md", cwd=tmp_path)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    (single,) = out.stderr.strip().splitlines()
    assert single.startswith("derive: p.md:5: ") and message in single, single


def test_a_nonnegative_target_is_checked_by_the_callables():
    model = derive.load_model(ROOT / "examples" / "poisson-regression.md")
    assert model.nonnegative_targets and [h.keyword for h in model.hyperparameters] == ["b"]
    w, X, _ = data(9)
    counts = np.random.default_rng(9).poisson(2.0, 30).astype(float)
    reference = np.mean(np.exp(X @ w + 0.1) - counts * (X @ w + 0.1))
    check_callables(model, w, X, counts, reference, b=0.1)
    with pytest.raises(ValueError):
        derive.loss_function(model)(w, X, -counts - 1.0)


# --- the examples ----------------------------------------------------------------------------

MODEL_FILES = sorted(
    p for p in (ROOT / "examples").glob("*.md") if re.search(r"^Parameter:", p.read_text(), re.M)
)


def test_the_examples_include_the_new_model_files():
    names = {p.name for p in MODEL_FILES}
    assert {"poisson-regression.md", "ridge-regression.md", "absolute-error.md"} <= names


@pytest.mark.parametrize("path", MODEL_FILES, ids=[p.name for p in MODEL_FILES])
def test_every_example_model_file_derives_and_its_gradient_is_the_finite_difference(path):
    model = derive.load_model(path)
    d = derive.derivation(model)
    assert all(s.verification.method in ("symbolic", "numeric") for s in d.steps)
    rng = np.random.default_rng(10)
    X = rng.normal(size=(25, 4))
    if model.label is not None:
        params, target = rng.normal(size=(3, 4)) / 2, rng.integers(0, 3, 25)
    else:
        params = rng.normal(size=4) / 2
        if model.targets is not None:
            target = rng.choice(np.array(model.targets), 25)
        elif model.nonnegative_targets:
            target = rng.poisson(1.0, 25).astype(float)
        else:
            target = rng.normal(size=25)
    loss, grad = derive.loss_function(model), derive.gradient_function(model)
    fd = numerical_gradient(lambda p: loss(p, X, target), params)
    assert relative_error(grad(params, X, target), fd) < 1e-6


@pytest.mark.parametrize(
    "penalty",
    [
        r"Penalty: $\frac{\lambda}{2} \|w\|^2$",
        r"Regularizer: $\frac{\lambda}{2} \lVert w \rVert_F^2$",
    ],
)
def test_a_penalty_on_k_rows_gives_the_builtin_l2_softmax(penalty):
    text = file_text(
        r"$$z_k = w_k^T x$$",
        r"$$y = \operatorname{softmax}(z)$$",
        r"$$L = -\sum_k t_k \log y_k$$",
        "Parameter: $w$",
        penalty,
        "Assume: $t$ is one-hot",
        r"Assume: $\lambda \ge 0$",
    )
    model = read_model(text)
    rng = np.random.default_rng(11)
    W, X, labels = rng.normal(size=(3, 5)), rng.normal(size=(20, 5)), rng.integers(0, 3, 20)
    a, ga = derive.value_and_grad_function(model)(W, X, labels, lam=0.3)
    b, gb = derive.value_and_grad_function("softmax_l2")(W, X, labels, lam=0.3)
    assert a == pytest.approx(b, rel=1e-12) and relative_error(ga, gb) < 1e-12
    d = derive.derivation(model)
    assert all(s.verification.method in ("symbolic", "numeric") for s in d.steps)


# --- 5. several parameters -------------------------------------------------------------------

SOFTMAX_BIAS = [
    r"$$z_k = w_k^T x + b_k$$",
    r"$$y = \operatorname{softmax}(z)$$",
    r"$$L = -\sum_k t_k \log y_k$$",
]


def softmax_bias_reference(W, b, X, labels):
    """Mean cross-entropy of softmax(X W^T + b) and its gradients, written by hand."""
    s = X @ W.T + b
    s -= s.max(axis=1, keepdims=True)
    p = np.exp(s) / np.exp(s).sum(axis=1, keepdims=True)
    n = len(labels)
    value = -np.mean(np.log(p[np.arange(n), labels]))
    p[np.arange(n), labels] -= 1
    return value, p.T @ X / n, p.mean(axis=0)


@pytest.mark.parametrize(
    "line", ["Parameter: $w$, $b$", "Parameter: $b$, $w$", "Parameter: $w, b$"]
)
def test_weights_and_bias_give_both_gradients(tmp_path, line):
    text = file_text(*SOFTMAX_BIAS, line, "Assume: $t$ is one-hot")
    d = show_json(tmp_path, text)
    assert [g["parameter"] for g in d["gradients"]] == ["w_kj", "b_k"]
    y_k, t_k, x_j = sp.symbols("y_k t_k x_j")
    results = [sp.sympify(g["result"]["rhs"]) for g in d["gradients"]]
    assert sp.expand(results[0] - (y_k - t_k) * x_j) == 0
    assert sp.expand(results[1] - (y_k - t_k)) == 0
    model = read_model(text)
    assert [str(c[-1]) for c in (model.chain, *model.chains)] == ["w[k, j]", "b[k]"]
    rng = np.random.default_rng(12)
    W, b = rng.normal(size=(3, 4)), rng.normal(size=3)
    X, labels = rng.normal(size=(25, 4)), rng.integers(0, 3, 25)
    value, grads = derive.value_and_grad_function(model)({"w": W, "b": b}, X, labels)
    ref_value, ref_w, ref_b = softmax_bias_reference(W, b, X, labels)
    assert value == pytest.approx(ref_value, rel=1e-12)
    assert relative_error(grads["w"], ref_w) < 1e-12 and relative_error(grads["b"], ref_b) < 1e-12
    loss = derive.loss_function(model)
    fd = numerical_gradient(lambda p: loss({"w": W, "b": p}, X, labels), b)
    assert relative_error(grads["b"], fd) < 1e-7


@pytest.mark.parametrize(
    ("lines", "line", "message"),
    [
        (["$$z = w^T x + b$$", "$$L = (z - t)^2$$", "Parameter: $w$, $b$"], 4, "with K classes"),
        (["$$z = w^T x + b$$", "$$L = (z - t)^2$$", "Parameter: $w$, $w$"], 4, "named twice"),
        ([*SOFTMAX_BIAS, "Parameter: $w$, $v$"], 5, "one multiplies the input"),
        (
            [*SOFTMAX_BIAS[:2], r"$$L = -\sum_k t_k \log y_k + b_1$$", "Parameter: $w$, $b$"],
            4,
            "used in the score z only",
        ),
        (
            [*SOFTMAX_BIAS, "Parameter: $w$, $b$", r"Penalty: $\frac{\lambda}{2} \|w\|^2$"],
            5,
            "no constants and no penalty",
        ),
    ],
)
def test_several_parameters_that_are_not_read_name_their_line(lines, line, message):
    text = file_text(*lines, "Assume: $t$ is one-hot")
    with pytest.raises(ModelFileError, match=f"^f.md:{line}: .*{re.escape(message)}"):
        read_model(text, source="f.md")


def test_the_report_agreement_row_of_weights_and_bias():
    from derive.numeric.agreement import agreement

    model = read_model(file_text(*SOFTMAX_BIAS, "Parameter: $w$, $b$", "Assume: $t$ is one-hot"))
    row = agreement(model)
    assert row["model"] == model.name and row["K"] == 4 and row["err_reference"] is None
    assert row["err_finite_difference"] < 1e-6


# --- any combination of model-file lines ---------------------------------------------------

FORMULAS = [
    r"z = w^T x",
    r"z_k = w_k^T x",
    r"y = \tanh(z)",
    r"y = \operatorname{softmax}(z)",
    r"L = (y - t)^2",
    r"L = -\sum_k t_k \log y_k",
    r"y = \sigma(z",
    r"= =",
    r"L",
    r"\frac{",
    r"z = w",
    r"y_k = y_k",
    r"L = y + z",
    r"w = z",
    r"t = z",
    r"L = 9^{9^{9}}",
    r"y = z!",
    r"L = y_T",
]
LINES = [f"$${f}$$" for f in FORMULAS] + [
    "Parameter: $w$",
    "Parameter: $w_k$",
    "Parameter: $$",
    "Parameter: $w$ and $b$",
    "Assume: $t$ is one-hot",
    r"Assume: $t \in \{0, 1\}$",
    "Assume: $x$",
    "# Title",
    "```",
]

NEW_LINES = [
    "$$z = w^T x$$",
    "$$z = w^T x + b$$",
    "$$z_k = w_k^T x + b_k$$",
    r"$$y = \tanh(z)$$",
    r"$$\mu = e^{z}$$",
    r"$$L = |y - t|$$",
    r"$$L = \mu - t z$$",
    r"$$L = \frac{1}{2}(y - t)^2 + \frac{\lambda}{2} z^2$$",
    r"$$L = \max(0, |z - t| - \epsilon)$$",
    r"$$L = (z - t)^2 + \alpha$$",
    r"$$L = -\sum_k t_k \log y_k$$",
    r"$$y = \operatorname{softmax}(z)$$",
    "Parameter: $w$",
    "Parameter: $w$, $b$",
    "Parameter: $w, b, c$",
    r"Penalty: $\frac{\lambda}{2} \|w\|^2$",
    r"Regularizer: $\lambda \sum_j |w_j|$",
    r"Assume: $\lambda \in (0, 1)$",
    r"Assume: $\delta > 0$",
    r"Assume: $t \ge 0$",
    "Assume: $t$ is one-hot",
]


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.sampled_from(LINES + NEW_LINES), max_size=6))
def test_any_file_is_a_model_or_one_line_naming_the_file(lines):
    try:
        model = read_model("\n".join(lines), source="f.md")
    except InputError as error:
        message = str(error)
        assert "\n" not in message and message.startswith("f.md")
    else:
        assert model.chain[0] == model.stages[-1].symbol
        assert all(h.keyword.isidentifier() for h in model.hyperparameters)
