"""Softmax and SVM trained on real data: real properties on a small, fast configuration."""

from __future__ import annotations

import json
from functools import cache

import numpy as np
import pytest

import derive
from derive.experiments import Settings, calibration, findings, metrics, run_experiments
from derive.experiments.cache import cache_key, cached_experiments
from derive.experiments.datasets import load, prepare, stratified_splits
from derive.experiments.training import objective_function, train

SMALL = Settings(datasets=("iris",), splits=2, grid=(1e-2, 1e-1), folds=2)


@cache
def small_results() -> dict:
    """One run of the small configuration, shared by the tests (and by tests/test_pdf.py)."""
    return run_experiments(SMALL)


def test_both_classifiers_beat_chance_by_far():
    result = small_results()["results"]["iris"]
    assert result["K"] == 3 and result["N"] == 150
    for loss in ("softmax", "svm"):
        for split in result["losses"][loss]["splits"]:
            assert split["accuracy"] >= 1 / 3 + 0.5
            assert split["lambda"] in SMALL.grid


def test_results_are_deterministic_and_timings_kept_apart():
    first, second = small_results(), run_experiments(SMALL)
    assert json.dumps(first["results"], sort_keys=True) == json.dumps(
        second["results"], sort_keys=True
    )
    assert "seconds" not in json.dumps(first["results"])
    assert first["timings"]["total_seconds"] > 0
    assert first["settings"] == SMALL.to_dict()


def test_softmax_optimum_matches_scikit_learn():
    for split in small_results()["results"]["iris"]["losses"]["softmax"]["splits"]:
        check = split["sklearn"]
        assert check["objective_relative_difference"] <= 1e-6
        assert abs(check["accuracy"] - split["accuracy"]) <= 0.005


def test_linear_svc_variants_are_reported():
    for split in small_results()["results"]["iris"]["losses"]["svm"]["splits"]:
        assert set(split["linear_svc"]) == {"ovr_squared_hinge", "ovr_hinge", "crammer_singer"}
        assert all(0.0 <= value <= 1.0 for value in split["linear_svc"].values())


def test_calibration_figures_are_in_range_and_bins_count_every_example():
    result = small_results()["results"]["iris"]
    for loss in ("softmax", "svm"):
        entry = result["losses"][loss]
        for split in entry["splits"]:
            assert 0.0 <= split["ece"] <= 1.0
        bins = entry["summary"]["reliability"]
        assert sum(b["count"] for b in bins) == sum(len(s["test_correct"]) for s in entry["splits"])


def test_expected_calibration_error_by_hand():
    confidence = np.array([0.95, 0.95, 0.55, 0.55])
    correct = np.array([1, 1, 1, 0])
    # bin [0.9, 1.0): accuracy 1, confidence 0.95; bin [0.5, 0.6): accuracy 0.5, confidence 0.55
    assert calibration.expected_calibration_error(confidence, correct) == pytest.approx(
        0.5 * 0.05 + 0.5 * 0.05
    )


def test_hinge_satisfied_share_agrees_with_the_derived_loss_per_example():
    """Recomputed independently: an example whose derived hinge loss is exactly 0."""
    data = load("iris")
    train_rows, _ = stratified_splits(data.y, 2, SMALL.test_size, SMALL.seed)[0]
    X, _ = prepare(data.X[train_rows], data.X[train_rows])
    y = data.y[train_rows]
    recorded = small_results()["results"]["iris"]["losses"]["svm"]["splits"][0]
    fit = train("svm", X, y, 3, recorded["lambda"])
    loss = derive.loss_function("svm")
    zero = [loss(fit.W, X[i : i + 1], y[i : i + 1]) == 0.0 for i in range(len(y))]
    assert metrics.hinge_satisfied_share(X @ fit.W.T, y) == pytest.approx(np.mean(zero))
    assert recorded["hinge_satisfied"] == pytest.approx(np.mean(zero))
    assert 0.0 < np.mean(zero) < 1.0


def test_objective_gradient_matches_finite_differences():
    rng = np.random.default_rng(0)
    X = np.hstack([rng.normal(size=(12, 3)), np.ones((12, 1))])
    y = rng.integers(0, 3, 12)
    fun = objective_function("softmax", X, y, 3, 0.3)
    w = rng.normal(size=12)
    value, grad = fun(w)
    steps = np.eye(12) * 1e-6
    numeric = np.array([(fun(w + e)[0] - fun(w - e)[0]) / 2e-6 for e in steps])
    assert np.allclose(grad, numeric, atol=1e-7)


def test_findings_are_computed_from_the_results():
    data = small_results()
    found = findings.findings(data)
    result = data["results"]["iris"]["losses"]
    gap = 100 * abs(
        result["softmax"]["summary"]["accuracy"]["mean"]
        - result["svm"]["summary"]["accuracy"]["mean"]
    )
    assert found["largest_gap"] == pytest.approx(gap)
    assert found["sklearn_objective"] <= 1e-6
    text = findings.format_text(data)
    assert f"differ by at most {gap:.2f} points" in text


def test_cache_reads_what_it_wrote(tmp_path, monkeypatch):
    import derive.experiments.cache as cache_module

    monkeypatch.setattr(cache_module, "run_experiments", lambda settings, progress: small_results())
    first = cached_experiments(SMALL, directory=tmp_path)
    (entry,) = tmp_path.glob("experiments-*.json")
    monkeypatch.setattr(cache_module, "run_experiments", lambda *a: pytest.fail("not cached"))
    assert cached_experiments(SMALL, directory=tmp_path) == first
    assert cache_key(SMALL) in entry.name
    assert cache_key(Settings(datasets=("wine",), splits=2)) != cache_key(SMALL)
