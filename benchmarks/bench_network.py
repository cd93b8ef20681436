"""Benchmark: the two-layer network's derived callables beside a hand-written NumPy pass.

    python3 benchmarks/bench_network.py [--repeat N]

At N=1e4, D=100, H=100, K=10 (issue 10), with BLAS on one thread (set before NumPy loads,
and again with threadpoolctl): the derived gradient, loss and value-and-gradient callables
and the same computation written by hand (forward pass, then the backward pass as in
CS231n: dscores, dW2, db2, dhidden masked by the ReLU, dW1, db1). Each repetition times
ours and the hand-written one back to back on the same inputs, rotating which goes first;
the table gives the median of each and the median of the per-repetition ratios. Target:
the gradient within 1.2x of the hand-written pass. Then the derivation's cold time: derived
and verified in a fresh process with the cache off, imports excluded (as in
``bench_verify.py``), median over fresh processes; target < 1 s.
"""

from __future__ import annotations

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import derive  # noqa: E402

N, D, H, K = 10_000, 100, 100, 10

_COLD = """
import json, time
import derive
from derive.api import derivation
import sympy  # imported before the clock starts: the derivation alone is timed
from derive import engine, backprop
started = time.perf_counter()
derivation("two-layer", use_cache=False)
print(json.dumps(time.perf_counter() - started))
"""


def _forward(W1, b1, W2, b2, X):
    h = X @ W1.T
    h += b1
    a = np.maximum(h, 0.0)
    s = a @ W2.T
    s += b2
    s -= s.max(axis=1, keepdims=True)
    e = np.exp(s)
    total = e.sum(axis=1, keepdims=True)
    return h, a, s, e, total


def hand_loss(params, X, labels):
    _, _, s, _, total = _forward(*params, X)
    return float(np.mean(np.log(total[:, 0]) - s[np.arange(X.shape[0]), labels]))


def hand_grad(params, X, labels):
    W1, b1, W2, b2 = params
    n = X.shape[0]
    h, a, _, dscores, total = _forward(W1, b1, W2, b2, X)
    dscores /= total
    dscores[np.arange(n), labels] -= 1.0
    dscores /= n
    dW2 = dscores.T @ a
    db2 = dscores.sum(axis=0)
    dhidden = dscores @ W2
    dhidden[h <= 0.0] = 0.0
    return dhidden.T @ X, dhidden.sum(axis=0), dW2, db2


def hand_value_and_grad(params, X, labels):
    W1, b1, W2, b2 = params
    n = X.shape[0]
    h, a, s, dscores, total = _forward(W1, b1, W2, b2, X)
    rows = np.arange(n)
    value = float(np.mean(np.log(total[:, 0]) - s[rows, labels]))
    dscores /= total
    dscores[rows, labels] -= 1.0
    dscores /= n
    dW2 = dscores.T @ a
    db2 = dscores.sum(axis=0)
    dhidden = dscores @ W2
    dhidden[h <= 0.0] = 0.0
    return value, (dhidden.T @ X, dhidden.sum(axis=0), dW2, db2)


def problem(seed: int = 0):
    rng = np.random.default_rng(seed)
    params = (
        rng.normal(size=(H, D)) / np.sqrt(D),
        rng.normal(size=H) * 0.1,
        rng.normal(size=(K, H)) / np.sqrt(H),
        rng.normal(size=K) * 0.1,
    )
    return params, rng.normal(size=(N, D)), rng.integers(0, K, N)


def paired(calls: list[tuple], repeat: int) -> tuple[list[float], float]:
    """(function, arguments) pairs, ours first, timed in every repetition in a rotating order:
    the median seconds of each and the median of the per-repetition ratios ours / theirs."""
    for func, args in calls:
        func(*args)  # warm up (and generate)
    times: list[list[float]] = [[] for _ in calls]
    for i in range(repeat):
        order = [i % 2, 1 - i % 2]
        for j in order:
            func, args = calls[j]
            start = time.perf_counter()
            func(*args)
            times[j].append(time.perf_counter() - start)
    ratio = statistics.median(a / b for a, b in zip(times[0], times[1], strict=True))
    return [statistics.median(t) for t in times], ratio


def cold_seconds(repeat: int) -> list[float]:
    """The derivation alone, cache off, each in a fresh process with an empty cache."""
    seconds = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as empty:
            env = {**os.environ, "DERIVE_CACHE_DIR": empty, "PYTHONPATH": str(ROOT)}
            done = subprocess.run(
                [sys.executable, "-c", _COLD], env=env, check=True, capture_output=True, text=True
            )
            seconds.append(json.loads(done.stdout))
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=31, help="timed calls of each callable")
    parser.add_argument("--cold", type=int, default=3, help="fresh processes for the cold time")
    options = parser.parse_args()
    from threadpoolctl import threadpool_limits

    params, X, labels = problem()
    ours = {
        "gradient": derive.gradient_function("two-layer"),
        "loss": derive.loss_function("two-layer"),
        "value_and_grad": derive.value_and_grad_function("two-layer"),
    }
    hand = {"gradient": hand_grad, "loss": hand_loss, "value_and_grad": hand_value_and_grad}
    value, grads = ours["value_and_grad"](params, X, labels)
    hand_value, hand_grads = hand_value_and_grad(params, X, labels)
    error = max(
        float(np.max(np.abs(g - r)) / np.max(np.abs(r)))
        for g, r in zip(grads, hand_grads, strict=True)
    )
    assert abs(value - hand_value) <= 1e-12 * abs(hand_value) and error <= 1e-12, error
    with threadpool_limits(limits=1):
        print(f"two-layer network, N={N}, D={D}, H={H}, K={K}, BLAS on one thread")
        print(f"{'callable':15} {'derive':>10} {'NumPy':>10} {'ratio':>6}")
        for kind in ("gradient", "loss", "value_and_grad"):
            times, ratio = paired(
                [(ours[kind], (params, X, labels)), (hand[kind], (params, X, labels))],
                options.repeat,
            )
            print(
                f"{kind:15} {times[0] * 1e3:7.2f} ms {times[1] * 1e3:7.2f} ms {ratio:6.2f}",
                flush=True,
            )
    cold = cold_seconds(options.cold)
    print(
        f"derive and verify two-layer, cold (fresh process, cache off, imports excluded): "
        f"{statistics.median(cold):.2f} s median of {len(cold)} (target < 1 s)"
    )


if __name__ == "__main__":
    main()
