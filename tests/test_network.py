"""The two-layer network: every gradient derived by backpropagation and verified, its matrix
forms and updates, its callables against a hand-written pass and finite differences."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

import derive
from derive.backprop import chain_product, summed_indices
from derive.codec import derivation_from_json, derivation_to_json
from derive.engine import ALPHA, COST, EXAMPLE, N
from derive.functions import example
from derive.models import two_layer as net
from derive.numeric.gradcheck import numerical_gradient, relative_error
from derive.numeric.reference_network import network_grad, network_loss
from derive.printing import text
from derive.verify import compare

NAMES = ("W1", "b1", "W2", "b2")
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def d():
    return derive.derivation("two-layer")


def equal(a, b) -> bool:
    return sp.simplify(a - b) == 0


def gradient_of(d, family):
    (g,) = (g for g in d.gradients if str(g.parameter.base.label) == family)
    return g


def test_four_gradients_every_step_verified(d):
    assert [str(g.parameter) for g in d.gradients] == ["W2[k, m]", "b2[k]", "W1[m, d]", "b1[m]"]
    steps = list(d.steps)
    for g in d.gradients:
        steps += [g.result, g.vector_form, g.update_rule.step, *g.vector_form.substeps]
    for step in steps:
        v = step.verification
        assert v.method in ("symbolic", "numeric") and step.rule and step.justification
        if v.method == "numeric":
            assert v.points >= 4 and v.max_error is not None and v.max_error <= 1e-8


def test_results_are_backpropagation(d):
    y, t, a, x, W2, h = net.y, net.t, net.a, net.x, net.W2, net.h
    k, m, dd, K = net.k, net.m, net.d, net.K
    output_error = y[k] - t[k]
    hidden_error = sp.Sum((y[k] - t[k]) * W2[k, m], (k, 1, K)) * sp.Heaviside(h[m], 0)
    assert equal(gradient_of(d, "W2").result.rhs, output_error * a[m])
    assert equal(gradient_of(d, "b2").result.rhs, output_error)
    assert equal(gradient_of(d, "W1").result.rhs, hidden_error * x[dd])
    assert equal(gradient_of(d, "b1").result.rhs, hidden_error)


def test_the_derived_results_hold_against_the_full_composition(d):
    """Each result equals the derivative of the loss with every stage substituted (numeric)."""
    context = d.model.context()
    for g in d.gradients:
        outcome = compare(sp.Derivative(net.L, g.parameter), g.result.rhs, context)
        assert outcome.ok, outcome.reason
        wrong = g.result.rhs * 2
        assert compare(sp.Derivative(net.L, g.parameter), wrong, context).status == "refuted"


def test_hidden_layer_sums_over_every_class_score(d):
    assert summed_indices(net.MODEL, net.s[net.k], net.a[net.m]) == (net.k,)
    assert summed_indices(net.MODEL, net.y[net.T], net.s[net.k]) == ()  # T is the label
    section = d.section("d_L_d_a[m]")
    first = section.steps[0]
    assert first.rule == "multivariate chain rule" and isinstance(first.rhs, sp.Sum)
    assert first.rhs.limits == ((net.k, 1, net.K),)
    product = chain_product(net.MODEL, net.MODEL.chains[1])
    (total,) = product.atoms(sp.Sum)
    assert total.limits == ((net.k, 1, net.K),)
    inside = {sp.Derivative(net.L, net.s[net.k]), sp.Derivative(net.s[net.k], net.a[net.m])}
    assert total.function.atoms(sp.Derivative) == inside
    assert len(product.atoms(sp.Derivative)) == 4


def test_output_error_is_derived_once_and_reused(d):
    keys = [s.key for s in d.sections]
    assert keys.count("d_L_d_s[k]") == 1 and len(keys) == len(set(keys))
    assert keys.index("d_L_d_s[k]") < keys.index("d_L_d_a[m]") < keys.index("d_L_d_h[m]")
    assert gradient_of(d, "W2").signal == gradient_of(d, "b2").signal
    assert gradient_of(d, "W1").signal == gradient_of(d, "b1").signal


def test_matrix_forms(d):
    forms = {str(g.parameter.base.label): text(g.vector_form.rhs) for g in d.gradients}
    assert forms == {
        "W2": "1/N*(Y - T)^T*A",
        "b2": "1/N*(Y - T)^T*1",
        "W1": "1/N*Delta^T*X",
        "b1": "1/N*Delta^T*1",
    }
    for g in d.gradients:
        assert g.vector_form.substeps[0].verification.method == "numeric"
    (where,) = gradient_of(d, "W1").vector_where
    assert where.rhs.has(sp.Heaviside) and where.rhs.has(sp.Sum)


def test_update_rules(d):
    for g in d.gradients:
        step = g.update_rule.step
        assert step.lhs == g.parameter - ALPHA * sp.Derivative(COST, g.parameter)
        (mean,) = (s for s in step.rhs.atoms(sp.Sum) if s.limits[0][0] == EXAMPLE)
        assert mean.limits == ((EXAMPLE, 1, N),) and mean.function.has(example)


def test_cache_codec_keeps_every_gradient(d):
    stored = derivation_from_json(json.loads(json.dumps(derivation_to_json(d))), d.model)
    assert stored.gradients == d.gradients
    assert stored.text() == d.text() and stored.latex() == d.latex()


def test_show_text_json_and_latex_have_all_four(d):
    data = d.to_dict()
    assert [g["parameter"] for g in data["gradients"]] == ["W2_km", "b2_k", "W1_md", "b1_m"]
    out = d.text()
    for name in ("dL/dW2_km", "dL/db2_k", "dL/dW1_md", "dL/db1_m", "grad_W1 J", "b1_m <-"):
        assert name in out
    tex = d.latex()
    for piece in (r"\nabla_{W^{(1)}}", r"\nabla_{b^{(2)}}", r"\Delta", r"{W^{(2)}_{k m}}"):
        assert piece in tex


# --- callables ---------------------------------------------------------------------------


def problem(rng, n=7, d=4, h=5, k=3, scale=1.0):
    params = (
        rng.normal(size=(h, d)) * scale,
        rng.normal(size=h),
        rng.normal(size=(k, h)) * scale,
        rng.normal(size=k),
    )
    return params, rng.normal(size=(n, d)), rng.integers(0, k, n)


def test_callables_match_the_hand_written_pass():
    rng = np.random.default_rng(3)
    params, X, labels = problem(rng, n=40)
    both = derive.value_and_grad_function("two-layer")
    value, grads = both(params, X, labels)
    assert isinstance(grads, tuple) and len(grads) == 4
    assert relative_error(value, network_loss(params, X, labels)) <= 1e-13
    assert derive.loss_function("two-layer")(params, X, labels) == pytest.approx(value, rel=1e-14)
    for ours, theirs, alone in zip(
        grads,
        network_grad(params, X, labels),
        derive.gradient_function("two-layer")(params, X, labels),
        strict=True,
    ):
        assert relative_error(ours, theirs) <= 1e-12
        assert np.array_equal(ours, alone)


@pytest.mark.parametrize("position", range(4))
def test_each_gradient_against_finite_differences(position):
    rng = np.random.default_rng(position)
    params, X, labels = problem(rng, n=11)
    loss = derive.loss_function("two-layer")
    grads = derive.gradient_function("two-layer")(params, X, labels)

    def moved(p):
        return loss(params[:position] + (p,) + params[position + 1 :], X, labels)

    assert relative_error(grads[position], numerical_gradient(moved, params[position])) <= 1e-6


def test_params_as_a_dict_come_back_as_a_dict():
    rng = np.random.default_rng(1)
    params, X, labels = problem(rng)
    as_dict = {name: p for name, p in zip(reversed(NAMES), reversed(params), strict=True)}
    grads = derive.gradient_function("two-layer")(as_dict, X, labels)
    assert list(grads) == list(as_dict)
    for name, g in zip(
        NAMES, derive.gradient_function("two-layer")(params, X, labels), strict=True
    ):
        assert np.array_equal(grads[name], g) and grads[name].shape == as_dict[name].shape


def test_large_scores_stay_finite():
    rng = np.random.default_rng(2)
    params, X, labels = problem(rng, n=20, scale=300.0)
    value, grads = derive.value_and_grad_function("two-layer")(params, X, labels)
    assert np.isfinite(value) and value > 10
    assert all(np.all(np.isfinite(g)) for g in grads)
    assert relative_error(value, network_loss(params, X, labels)) <= 1e-12


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda p, X, y: ({"W1": p[0]}, X, y), "keys"),
        (lambda p, X, y: (p[:3], X, y), "4 arrays"),
        (lambda p, X, y: ((p[0], p[1][:-1], p[2], p[3]), X, y), "b1 must have shape"),
        (lambda p, X, y: (p, X[:, :-1], y), "X must have shape"),
        (lambda p, X, y: (p, X, y + 10), "labels must lie in"),
        (lambda p, X, y: (p, X, y.astype(float)), "integer class labels"),
        (lambda p, X, y: (p, np.where(X > 0, np.nan, X), y), "finite"),
    ],
)
def test_bad_input_is_one_clear_error(change, message):
    rng = np.random.default_rng(4)
    params, X, labels = problem(rng)
    with pytest.raises(ValueError, match=message):
        derive.gradient_function("two-layer")(*change(params, X, labels))


# --- the command line and the PDF --------------------------------------------------------


def _run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "derive", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        timeout=600,
    )


def test_show_json_from_the_command_line(d):
    out = _run("show", "two-layer", "--format", "json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert [g["vector_form"]["rhs"] for g in data["gradients"]] == [
        "1/N*(Y - T)^T*A",
        "1/N*(Y - T)^T*1",
        "1/N*Delta^T*X",
        "1/N*Delta^T*1",
    ]
    assert data["result"] == data["gradients"][0]["result"]
    rules = {s["rule"] for s in data["steps"]}
    assert {"multivariate chain rule", "hinge subgradient", "sifting property"} <= rules


@pytest.mark.skipif(not (shutil.which("latexmk") and shutil.which("pdftotext")), reason="no TeX")
def test_report_section_shows_every_gradient(tmp_path, d):
    out = tmp_path / "network.pdf"
    run = _run("report", "--output", str(out), "--only", "two-layer")
    assert run.returncode == 0, run.stderr
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True).stdout
    flat = " ".join(text.split())
    for expected in ("Two-layer neural network", "Backpropagation", "Results", "Matrix form"):
        assert expected in flat
    assert flat.count("MULTIVARIATE CHAIN RULE") + flat.count("multivariate chain rule") >= 3
    assert flat.count("←") >= 4  # an update rule for each parameter
