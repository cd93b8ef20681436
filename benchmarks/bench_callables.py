"""Benchmark: the derived loss, gradient and value-and-gradient callables beside hand-written NumPy.

Run with `python benchmarks/bench_callables.py [--quick]`. BLAS runs on one thread (set
before NumPy loads, and again with threadpoolctl) so that the figures are stable on a shared
machine. Each repetition times ours and the hand-written function back to back on the same
inputs (paired), rotating which goes first; the table gives the median time of each and
the median of the per-repetition ratios (derive / the column before). Targets (issue 9): a
call at N=32, D=10, K=3 costs at most 1.5x hand-written NumPy, and the loss at most 1.1x at
N=1e5 and 1e6.

When JAX imports (it is no dependency of the project: install it beside it to compare), a
``jax.jit`` column is added, in float64 on one thread: the loss written with jax.numpy as the
NumPy one, its gradient and value-and-gradient from ``jax.grad`` and ``jax.value_and_grad``,
each jitted, inputs already on the device. It is paired with ours in repetitions of its own:
a JAX dispatch between two small NumPy calls evicts their caches and skews that pair.
"""

from __future__ import annotations

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"
os.environ["XLA_FLAGS"] = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"

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


def _jax_functions():
    """name -> (loss, gradient, value_and_grad) jitted with JAX in float64, or None."""
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)

    def logistic(w, X, t):
        z = X @ w
        return jnp.mean(jnp.logaddexp(0.0, z) - t * z)

    def softmax(W, X, labels):
        S = X @ W.T
        picked = jnp.take_along_axis(S, labels[:, None], axis=1)[:, 0]
        return jnp.mean(jax.nn.logsumexp(S, axis=1) - picked)

    def svm(W, X, labels):
        S = X @ W.T
        rows = jnp.arange(labels.shape[0])
        M = S - S[rows, labels][:, None] + 1.0
        return jnp.maximum(M.at[rows, labels].set(0.0), 0.0).sum() / X.shape[0]

    def ready(func):
        jitted = jax.jit(func)
        return lambda *args: jax.block_until_ready(jitted(*args))

    return {
        name: (ready(f), ready(jax.grad(f)), ready(jax.value_and_grad(f)))
        for name, f in (("logistic", logistic), ("softmax", softmax), ("svm", svm))
    }


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


def paired(calls: list[tuple], repeat: int) -> tuple[list[float], list[float]]:
    """calls: (function, arguments) pairs, ours first, each timed in every repetition in a
    rotating order. The median seconds of each, and the medians over the repetitions of
    ours / each other one."""
    for func, args in calls:
        func(*args)  # warm up (and compile)
    times: list[list[float]] = [[] for _ in calls]
    for i in range(repeat):
        order = list(range(len(calls)))
        order = order[i % len(order) :] + order[: i % len(order)]
        for j in order:
            func, args = calls[j]
            start = time.perf_counter()
            func(*args)
            times[j].append(time.perf_counter() - start)
    medians = [statistics.median(t) for t in times]
    ratios = [statistics.median(a / b for a, b in zip(times[0], t, strict=True)) for t in times]
    return medians, ratios[1:]


def _time(seconds: float) -> str:
    return f"{seconds * 1e6:9.1f} us" if seconds < 1e-3 else f"{seconds * 1e3:9.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only N=32 and N=1e5")
    options = parser.parse_args()
    from threadpoolctl import threadpool_limits

    sizes = SIZES[:2] if options.quick else SIZES
    kinds = ("loss", "gradient", "value_and_grad")
    jitted = _jax_functions()
    if jitted:
        import jax

        jax_array = jax.device_put
    with threadpool_limits(limits=1):
        print(
            f"{'model':9} {'callable':15} {'N':>8} {'D':>4} {'K':>3}"
            f" {'derive':>12} {'NumPy':>12} {'ratio':>6}"
            + (f" {'jax.jit':>12} {'ratio':>6}" if jitted else "  (no JAX: its column skipped)")
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
                on_device = tuple(jax_array(a) for a in args) if jitted else None
                for i, (kind, mine, hand) in enumerate(zip(kinds, ours, HAND[name], strict=True)):
                    times, ratios = paired([(mine, args), (hand, args)], repeat)
                    shown_k = "" if name == "logistic" else str(k)
                    row = (
                        f"{name:9} {kind:15} {n:>8} {d:>4} {shown_k:>3}"
                        f" {_time(times[0])} {_time(times[1])} {ratios[0]:6.2f}"
                    )
                    if jitted:
                        times, ratios = paired([(mine, args), (jitted[name][i], on_device)], repeat)
                        row += f" {_time(times[1])} {ratios[0]:6.2f}"
                    print(row, flush=True)


if __name__ == "__main__":
    main()
