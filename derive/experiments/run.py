"""The experiment: every data set, split and loss; plain data out, timings kept apart.

``run_experiments`` returns ``{"settings", "results", "timings"}``. ``results`` is
deterministic for given settings (seeded splits and folds, single-threaded BLAS, W = 0 to
start); ``timings`` holds the measured seconds, which vary from run to run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

from derive.experiments import calibration, crosscheck, metrics
from derive.experiments.datasets import DATASETS, load, prepare, stratified_splits
from derive.experiments.training import choose_lambda, objective_function, train

LOSSES = ("softmax", "svm")


@dataclass(frozen=True)
class Settings:
    """What decides the results; its hash keys the cache."""

    datasets: tuple[str, ...] = DATASETS
    splits: int = 5
    test_size: float = 0.3
    grid: tuple[float, ...] = (1e-3, 1e-2, 1e-1)
    folds: int = 3
    seed: int = 0
    crosscheck: bool = True

    def to_dict(self) -> dict:
        data = asdict(self)
        data["datasets"], data["grid"] = list(self.datasets), list(self.grid)
        return data


def _spread(values: list[float]) -> dict[str, float]:
    return {
        "mean": float(np.mean(values)),
        "std": float(np.std(values, ddof=1)) if len(values) > 1 else 0.0,
        "min": float(min(values)),
        "max": float(max(values)),
    }


def _margin_histogram(margins: np.ndarray) -> dict:
    edges = np.linspace(-2.0, 6.0, 33)
    counts, _ = np.histogram(np.clip(margins, edges[0], edges[-1]), bins=edges)
    return {"edges": edges.tolist(), "counts": counts.tolist()}


def _one_split(name, loss, K, X_train, y_train, X_test, y_test, settings, seed):
    """Choose lambda, train, measure one loss on one split: (results, seconds)."""
    start = time.perf_counter()
    lam, cv_means = choose_lambda(loss, X_train, y_train, K, settings.grid, settings.folds, seed)
    fit = train(loss, X_train, y_train, K, lam)
    S_train, S_test = metrics.scores(fit.W, X_train), metrics.scores(fit.W, X_test)
    confidence, predicted = calibration.confidences(S_test)
    correct = predicted == y_test
    result = {
        "lambda": lam,
        "cv_accuracy": cv_means,
        "accuracy": metrics.accuracy(fit.W, X_test, y_test),
        "train_accuracy": metrics.accuracy(fit.W, X_train, y_train),
        "objective": fit.objective,
        "iterations": fit.iterations,
        "evaluations": fit.evaluations,
        "converged": fit.converged,
        "hinge_satisfied": metrics.hinge_satisfied_share(S_train, y_train),
        "zero_softmax_loss": metrics.zero_softmax_loss_share(S_train, y_train),
        "ece": calibration.expected_calibration_error(confidence, correct),
        "curve": fit.curve,
        "train_margins": _margin_histogram(metrics.margins(S_train, y_train)),
        "median_margin": float(np.median(metrics.margins(S_train, y_train))),
        "test_confidence": confidence.tolist(),
        "test_correct": correct.astype(int).tolist(),
    }
    seconds = {"training": fit.seconds, "with_cv": time.perf_counter() - start}
    if loss == "softmax" and settings.crosscheck:
        W = crosscheck.logistic_regression(X_train, y_train, K, lam)
        ours = objective_function(loss, X_train, y_train, K, lam)
        theirs = ours(W.ravel())[0]
        result["sklearn"] = {
            "objective": theirs,
            "objective_relative_difference": abs(theirs - fit.objective) / abs(fit.objective),
            "accuracy": metrics.accuracy(W, X_test, y_test),
        }
    if loss == "svm" and settings.crosscheck:
        result["linear_svc"] = crosscheck.linear_svc_accuracies(
            X_train, y_train, X_test, y_test, lam
        )
    return result, seconds


def _summary(runs: list[dict]) -> dict:
    """Mean and spread over the splits of the figures the report tabulates."""
    keys = ("accuracy", "iterations", "hinge_satisfied", "zero_softmax_loss", "ece")
    summary = {key: _spread([r[key] for r in runs]) for key in keys}
    confidence = np.concatenate([r["test_confidence"] for r in runs])
    correct = np.concatenate([r["test_correct"] for r in runs])
    summary["reliability"] = calibration.reliability(confidence, correct)
    summary["pooled_ece"] = calibration.expected_calibration_error(confidence, correct)
    if "sklearn" in runs[0]:
        summary["sklearn_objective_relative_difference"] = max(
            r["sklearn"]["objective_relative_difference"] for r in runs
        )
        summary["sklearn_accuracy"] = _spread([r["sklearn"]["accuracy"] for r in runs])
    if "linear_svc" in runs[0]:
        summary["linear_svc"] = {
            key: _spread([r["linear_svc"][key] for r in runs]) for key in runs[0]["linear_svc"]
        }
    return summary


def run_experiments(
    settings: Settings | None = None, progress: Callable[[str], None] = lambda _: None
) -> dict:
    """Train and measure both losses on every data set and split of the settings."""
    # load every library with a thread pool (OpenMP in scikit-learn's losses) before the limit:
    # threadpoolctl limits only the pools already loaded, and an unlimited OpenMP pool left
    # spinning slows the next L-BFGS run twentyfold on two cores
    import scipy.optimize  # noqa: F401
    import sklearn.linear_model  # noqa: F401
    import sklearn.svm  # noqa: F401
    from threadpoolctl import threadpool_limits

    settings = settings or Settings()
    results, timings = {}, {}
    started = time.perf_counter()
    with threadpool_limits(limits=1):  # the same rounding, hence the same results, every run
        for name in settings.datasets:
            data = load(name)
            K = data.classes
            splits = stratified_splits(data.y, settings.splits, settings.test_size, settings.seed)
            runs: dict[str, list[dict]] = {loss: [] for loss in LOSSES}
            seconds: dict[str, list[dict]] = {loss: [] for loss in LOSSES}
            for index, (train_rows, test_rows) in enumerate(splits):
                X_train, X_test = prepare(data.X[train_rows], data.X[test_rows])
                y_train, y_test = data.y[train_rows], data.y[test_rows]
                for loss in LOSSES:
                    result, spent = _one_split(
                        name,
                        loss,
                        K,
                        X_train,
                        y_train,
                        X_test,
                        y_test,
                        settings,
                        settings.seed + index,
                    )
                    runs[loss].append(result)
                    seconds[loss].append(spent)
                    progress(
                        f"{name} split {index + 1}/{settings.splits} {loss}: lambda "
                        f"{result['lambda']:g}, test accuracy {result['accuracy']:.3f}, "
                        f"{result['iterations']} iterations, {spent['training']:.2f} s"
                    )
            results[name] = {
                "title": data.title,
                "N": int(data.X.shape[0]),
                "D": int(data.X.shape[1]),
                "K": K,
                "losses": {
                    loss: {"splits": runs[loss], "summary": _summary(runs[loss])} for loss in LOSSES
                },
            }
            timings[name] = {
                loss: {
                    "training_seconds": _spread([s["training"] for s in seconds[loss]]),
                    "with_cv_seconds": _spread([s["with_cv"] for s in seconds[loss]]),
                }
                for loss in LOSSES
            }
    timings["total_seconds"] = time.perf_counter() - started
    return {"settings": settings.to_dict(), "results": results, "timings": timings}
