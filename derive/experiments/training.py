"""Fitting W by L-BFGS-B on the derived loss plus an L2 penalty, the intercept unpenalised.

The objective is  J(W) = (1/N) sum_i L(W; x_i, y_i) + (lambda / 2) ||W without its last
column||^2, the last feature being the constant 1 of :func:`derive.experiments.datasets.prepare`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import cache

import numpy as np

# the final fit is solved tightly (its objective is compared with scikit-learn's to 1e-6);
# the many cross-validation fits only rank the lambdas, and stop sooner
FINAL = {"maxiter": 1000, "ftol": 1e-13, "gtol": 1e-9}
SCREENING = {"maxiter": 300, "ftol": 1e-9, "gtol": 1e-6}


@dataclass
class Fit:
    """A trained weight matrix (K, D+1) and how the optimiser got there."""

    W: np.ndarray
    objective: float
    iterations: int
    evaluations: int
    converged: bool
    message: str
    seconds: float
    curve: list[float] = field(default_factory=list)


def objective_function(loss: str, X: np.ndarray, y: np.ndarray, K: int, lam: float):
    """flat W -> (J, dJ/dW flat), from derive's value-and-gradient callable."""
    value_and_grad = _value_and_grad(loss)
    D = X.shape[1]
    mask = np.ones((K, D))
    mask[:, -1] = 0.0  # the intercepts are not penalised

    def fun(flat: np.ndarray) -> tuple[float, np.ndarray]:
        W = flat.reshape(K, D)
        value, grad = value_and_grad(W, X, y)
        penalised = W * mask
        value += 0.5 * lam * float(np.sum(penalised * penalised))
        return value, (grad + lam * penalised).ravel()

    return fun


@cache
def _value_and_grad(loss: str):
    import derive

    return derive.value_and_grad_function(loss)


def train(
    loss: str, X: np.ndarray, y: np.ndarray, K: int, lam: float, options: dict = FINAL
) -> Fit:
    """Minimise J from W = 0 with L-BFGS-B, fed one value-and-gradient function."""
    from scipy.optimize import minimize

    fun = objective_function(loss, X, y, K, lam)
    curve: list[float] = [fun(np.zeros(K * X.shape[1]))[0]]

    def record(intermediate_result) -> None:  # SciPy passes the state by this name
        curve.append(float(intermediate_result.fun))

    start = time.perf_counter()
    result = minimize(
        fun,
        np.zeros(K * X.shape[1]),
        jac=True,
        method="L-BFGS-B",
        callback=record,
        options=options,
    )
    seconds = time.perf_counter() - start
    return Fit(
        W=result.x.reshape(K, X.shape[1]),
        objective=float(result.fun),
        iterations=int(result.nit),
        evaluations=int(result.nfev),
        converged=bool(result.success),
        message=str(result.message),
        seconds=seconds,
        curve=curve,
    )


def choose_lambda(
    loss: str, X: np.ndarray, y: np.ndarray, K: int, grid: tuple[float, ...], folds: int, seed: int
) -> tuple[float, list[float]]:
    """The lambda of the grid with the best mean validation accuracy in stratified k-fold
    cross-validation on the training part (ties go to the larger lambda), and every mean."""
    from sklearn.model_selection import StratifiedKFold

    from derive.experiments.metrics import accuracy

    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    parts = list(splitter.split(X, y))
    means = []
    for lam in grid:
        scores = [
            accuracy(train(loss, X[fit], y[fit], K, lam, SCREENING).W, X[held], y[held])
            for fit, held in parts
        ]
        means.append(float(np.mean(scores)))
    best = max(range(len(grid)), key=lambda i: (means[i], grid[i]))
    return grid[best], means
