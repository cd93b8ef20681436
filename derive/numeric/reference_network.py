"""Independent NumPy reference for the two-layer network: forward and backward pass by hand.

Nothing here uses SymPy or the derivation: it is the second opinion the derived network
callables are checked against. Shapes: W1 (H, D), b1 (H,), W2 (K, H), b2 (K,), X (N, D),
labels (N,) integers in [0, K); h = X W1^T + b1, a = max(h, 0), s = a W2^T + b2, the mean
softmax cross-entropy of s, and its gradients (the ReLU's derivative taken as 0 at h = 0).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from derive.numeric.reference import log_softmax, softmax

FloatArray = npt.NDArray[np.float64]
Params = tuple[FloatArray, FloatArray, FloatArray, FloatArray]


def _forward(params: Params, X: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    W1, b1, W2, b2 = params
    h = X @ W1.T + b1
    a = np.maximum(h, 0.0)
    return h, a, a @ W2.T + b2


def network_loss(params: Params, X: npt.ArrayLike, labels: npt.ArrayLike) -> float:
    """The mean cross-entropy of the network's softmax over the N examples."""
    X, labels = np.asarray(X, dtype=float), np.asarray(labels)
    _, _, s = _forward(params, X)
    return float(-np.mean(log_softmax(s)[np.arange(len(labels)), labels]))


def network_grad(params: Params, X: npt.ArrayLike, labels: npt.ArrayLike) -> Params:
    """(dW1, db1, dW2, db2) of the mean loss, by backpropagation written out."""
    X, labels = np.asarray(X, dtype=float), np.asarray(labels)
    W1, b1, W2, b2 = params
    h, a, s = _forward(params, X)
    n = X.shape[0]
    dscores = softmax(s)
    dscores[np.arange(n), labels] -= 1.0
    dscores /= n
    dhidden = dscores @ W2
    dhidden[h <= 0.0] = 0.0
    return dhidden.T @ X, dhidden.sum(axis=0), dscores.T @ a, dscores.sum(axis=0)
