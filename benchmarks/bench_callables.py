"""Benchmark: the derived loss, gradient and value-and-gradient callables beside hand-written NumPy.

Run with `python benchmarks/bench_callables.py [--quick]`. BLAS runs on one thread (set
before NumPy loads, and again with threadpoolctl) so that the figures are stable on a shared
machine. Each repetition times ours and the hand-written function back to back on the same
inputs (paired), alternating which goes first; the table gives the median time of each and
the median of the per-pair ratios. Targets (issue 9): a call at N=32, D=10, K=3 costs at most
1.5x hand-written NumPy, and the loss at most 1.1x at N=1e5 and 1e6.
"""

from __future__ import annotations

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import derive  # noqa: E402

SIZES = ((32, 10, 3), (100_000, 100, 10), (1_000_000, 50, 10))


# ------------------------------------------------------------------ hand-written NumPy


def logistic_loss(w, X, t):
    z = X @ w
    return np.mean(np.logaddexp(0.0, z) - t * z)


def logistic_grad(w, X, t):
    y = np.exp(-np.logaddexp(0.0, -(X @ w)))
    return X.T @ (y - t) / X.shape[0]


def logistic_value_and_grad(w, X, t):
    z = X @ w
    y = np.exp(-np.logaddexp(0.0, -z))
    return np.mean(np.logaddexp(0.0, z) - t * z), X.T @ (y - t) / X.shape[0]


def softmax_loss(W, X, labels):
    S = X @ W.T
    S -= S.max(axis=1, keepdims=True)
    picked = S[np.arange(len(labels)), labels]
    return np.mean(np.log(np.exp(S).sum(axis=1)) - picked)


def softmax_grad(W, X, labels):
    S = X @ W.T
    P = np.exp(S - S.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    P[np.arange(len(labels)), labels] -= 1.0
    return P.T @ X / X.shape[0]


def softmax_value_and_grad(W, X, labels):
    S = X @ W.T
    S -= S.max(axis=1, keepdims=True)
    P = np.exp(S)
    total = P.sum(axis=1, keepdims=True)
    rows = np.arange(len(labels))
    value = np.mean(np.log(total[:, 0]) - S[rows, labels])
    P /= total
    P[rows, labels] -= 1.0
    return value, P.T @ X / X.shape[0]


def _margins(W, X, labels):
    S = X @ W.T
    rows = np.arange(len(labels))
    M = S - S[rows, labels][:, None] + 1.0
    M[rows, labels] = 0.0
    return M, rows


def svm_loss(W, X, labels):
    M, _ = _margins(W, X, labels)
    return np.maximum(M, 0.0).sum() / X.shape[0]


def svm_grad(W, X, labels):
    M, rows = _margins(W, X, labels)
    active = (M > 0).astype(float)
    active[rows, labels] = -active.sum(axis=1)
    return active.T @ X / X.shape[0]


def svm_value_and_grad(W, X, labels):
    M, rows = _margins(W, X, labels)
    value = np.maximum(M, 0.0).sum() / X.shape[0]
    active = (M > 0).astype(float)
    active[rows, labels] = -active.sum(axis=1)
    return value, active.T @ X / X.shape[0]


HAND = {
    "logistic": (logistic_loss, logistic_grad, logistic_value_and_grad),
    "softmax": (softmax_loss, softmax_grad, softmax_value_and_grad),
    "svm": (svm_loss, svm_grad, svm_value_and_grad),
}


def problem(name: str, n: int, d: int, k: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    if name == "logistic":
        return rng.normal(size=d) * 0.3, X, rng.integers(0, 2, n).astype(float)
    return rng.normal(size=(k, d)) * 0.3, X, rng.integers(0, k, n)


def paired(ours, hand, args, repeat: int) -> tuple[float, float, float]:
    """Median seconds of ours and of hand-written, and the median of the per-pair ratios."""
    ours(*args), hand(*args)  # warm up
    mine, theirs, ratios = [], [], []
    for i in range(repeat):
        pair = []
        for func in (ours, hand) if i % 2 == 0 else (hand, ours):
            start = time.perf_counter()
            func(*args)
            pair.append(time.perf_counter() - start)
        a, b = pair if i % 2 == 0 else pair[::-1]
        mine.append(a)
        theirs.append(b)
        ratios.append(a / b)
    return statistics.median(mine), statistics.median(theirs), statistics.median(ratios)


def _time(seconds: float) -> str:
    return f"{seconds * 1e6:9.1f} us" if seconds < 1e-3 else f"{seconds * 1e3:9.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only N=32 and N=1e5")
    options = parser.parse_args()
    from threadpoolctl import threadpool_limits

    sizes = SIZES[:2] if options.quick else SIZES
    kinds = ("loss", "gradient", "value_and_grad")
    with threadpool_limits(limits=1):
        print(
            f"{'model':9} {'callable':15} {'N':>8} {'D':>4} {'K':>3}"
            f" {'derive':>12} {'NumPy':>12} {'ratio':>6}"
        )
        for n, d, k in sizes:
            repeat = 2001 if n < 1000 else (41 if n <= 100_000 else 9)
            for name in ("logistic", "softmax", "svm"):
                args = problem(name, n, d, k)
                ours = (
                    derive.loss_function(name),
                    derive.gradient_function(name),
                    derive.value_and_grad_function(name),
                )
                for kind, mine, hand in zip(kinds, ours, HAND[name], strict=True):
                    a, b, ratio = paired(mine, hand, args, repeat)
                    shown_k = "" if name == "logistic" else str(k)
                    print(
                        f"{name:9} {kind:15} {n:>8} {d:>4} {shown_k:>3}"
                        f" {_time(a)} {_time(b)} {ratio:6.2f}",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
