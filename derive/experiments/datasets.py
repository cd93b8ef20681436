"""The data sets that ship with scikit-learn (no download), their splits and preprocessing."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DATASETS = ("iris", "wine", "breast_cancer", "digits")
TITLES = {
    "iris": "Iris",
    "wine": "Wine",
    "breast_cancer": "Breast cancer",
    "digits": "Digits",
}


@dataclass(frozen=True)
class Dataset:
    """Features X (N, D), integer labels y (N,) in [0, K)."""

    name: str
    title: str
    X: np.ndarray
    y: np.ndarray

    @property
    def classes(self) -> int:
        return int(self.y.max()) + 1


def load(name: str) -> Dataset:
    """One of :data:`DATASETS`, loaded from the files scikit-learn installs."""
    from sklearn import datasets

    loader = getattr(datasets, f"load_{name}")
    X, y = loader(return_X_y=True)
    return Dataset(name, TITLES[name], np.asarray(X, dtype=float), np.asarray(y, dtype=np.intp))


def stratified_splits(
    y: np.ndarray, count: int, test_size: float, seed: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """``count`` stratified train/test index pairs, the same for a given seed."""
    from sklearn.model_selection import StratifiedShuffleSplit

    splitter = StratifiedShuffleSplit(n_splits=count, test_size=test_size, random_state=seed)
    return list(splitter.split(np.zeros((len(y), 1)), y))


def prepare(X_train: np.ndarray, X_test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Standardise with the training part's mean and spread (constant features keep a spread
    of 1), then append a constant-1 feature: its weights are the unpenalised intercepts."""
    mean = X_train.mean(axis=0)
    spread = X_train.std(axis=0)
    spread[spread == 0.0] = 1.0

    def scaled(X: np.ndarray) -> np.ndarray:
        return np.hstack([(X - mean) / spread, np.ones((X.shape[0], 1))])

    return scaled(X_train), scaled(X_test)
