"""Benchmark: deriving and verifying each model, and the derived gradients against NumPy.

Run with `make bench` (or `python benchmarks/bench_derive.py`). Prints medians; the targets
are all three derivations under 2 s in total and the gradient callables within 1.2x of
hand-written NumPy on N = 100000, D = 50, K = 10.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import derive  # noqa: E402
from derive.engine import derive_model  # noqa: E402
from derive.models import MODELS  # noqa: E402


def median_time(func, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def hand_logistic(w, X, t):
    z = X @ w
    y = np.where(
        z >= 0, 1 / (1 + np.exp(-np.abs(z))), np.exp(-np.abs(z)) / (1 + np.exp(-np.abs(z)))
    )
    return X.T @ (y - t) / X.shape[0]


def hand_softmax(W, X, labels):
    S = X @ W.T
    P = np.exp(S - S.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    P[np.arange(len(labels)), labels] -= 1.0
    return P.T @ X / X.shape[0]


def hand_svm(W, X, labels):
    S = X @ W.T
    rows = np.arange(len(labels))
    active = (S - S[rows, labels][:, None] + 1.0 > 0).astype(float)
    active[rows, labels] = 0.0
    active[rows, labels] = -active.sum(axis=1)
    return active.T @ X / X.shape[0]


HAND = {"logistic": hand_logistic, "softmax": hand_softmax, "svm": hand_svm}


def main() -> None:
    print("deriving and verifying (median of 3, fresh each time):")
    total = 0.0
    for name, model in MODELS.items():
        seconds = median_time(lambda model=model: derive_model(model), 3)
        total += seconds
        print(f"  {name:9} {seconds:6.2f} s")
    print(f"  {'total':9} {total:6.2f} s   (target < 2 s)")

    n, d, k = 100_000, 50, 10
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, d))
    print(f"\ngradient callables, N = {n}, D = {d}, K = {k} (median of 7):")
    for name in MODELS:
        if name == "logistic":
            args = (rng.normal(size=d), X, rng.integers(0, 2, n).astype(float))
        else:
            args = (rng.normal(size=(k, d)), X, rng.integers(0, k, n))
        ours = derive.gradient_function(name)
        assert np.allclose(ours(*args), HAND[name](*args))
        t_ours = median_time(lambda ours=ours, args=args: ours(*args), 7)
        t_hand = median_time(lambda name=name, args=args: HAND[name](*args), 7)
        print(
            f"  {name:9} derived {t_ours * 1e3:7.1f} ms   hand-written {t_hand * 1e3:7.1f} ms"
            f"   ratio {t_ours / t_hand:4.2f}   (target <= 1.2)"
        )


if __name__ == "__main__":
    main()
