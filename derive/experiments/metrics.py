"""What a trained linear classifier is judged by: accuracy, margins, hinge-satisfied examples."""

from __future__ import annotations

import numpy as np

from derive.numeric.reference import log_softmax


def scores(W: np.ndarray, X: np.ndarray) -> np.ndarray:
    return X @ W.T


def accuracy(W: np.ndarray, X: np.ndarray, y: np.ndarray) -> float:
    """The share of examples whose highest score is the label's."""
    return float(np.mean(np.argmax(scores(W, X), axis=1) == y))


def margins(S: np.ndarray, y: np.ndarray) -> np.ndarray:
    """s_y - max_{j != y} s_j for each row: positive when the label wins, >= 1 when the hinge
    of margin 1 is satisfied against every other class."""
    rows = np.arange(len(y))
    others = S.copy()
    others[rows, y] = -np.inf
    return S[rows, y] - others.max(axis=1)


def hinge_satisfied_share(S: np.ndarray, y: np.ndarray) -> float:
    """The share of examples at zero hinge loss, hence zero subgradient: every margin >= 1."""
    return float(np.mean(margins(S, y) >= 1.0))


def zero_softmax_loss_share(S: np.ndarray, y: np.ndarray) -> float:
    """The share of examples whose softmax loss -log p_y is exactly zero (computed stably)."""
    loss = -log_softmax(S)[np.arange(len(y)), y]
    return float(np.mean(loss == 0.0))
