"""Calibration of predicted probabilities: reliability bins and the expected calibration error.

The SVM gives scores, not probabilities; for comparison they are put through the softmax
(temperature 1), which is what a user of the scores as probabilities would get.
"""

from __future__ import annotations

import numpy as np

from derive.numeric.reference import softmax

BINS = 10


def confidences(S: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The top softmax probability of each row and the predicted class."""
    P = softmax(S)
    return P.max(axis=1), P.argmax(axis=1)


def reliability(confidence: np.ndarray, correct: np.ndarray, bins: int = BINS) -> list[dict]:
    """Equal-width confidence bins on [0, 1]: count, mean confidence and accuracy of each."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.searchsorted(edges, confidence, side="right") - 1, 0, bins - 1)
    rows = []
    for b in range(bins):
        inside = which == b
        count = int(inside.sum())
        rows.append(
            {
                "low": float(edges[b]),
                "high": float(edges[b + 1]),
                "count": count,
                "confidence": float(confidence[inside].mean()) if count else None,
                "accuracy": float(correct[inside].mean()) if count else None,
            }
        )
    return rows


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray, bins: int = BINS):
    """sum over bins of (share of examples) * |accuracy - mean confidence|, in [0, 1]."""
    total = len(confidence)
    return float(
        sum(
            row["count"] / total * abs(row["accuracy"] - row["confidence"])
            for row in reliability(confidence, correct, bins)
            if row["count"]
        )
    )
