"""The same problems solved by scikit-learn, for a second opinion on our optimum.

Regularisation mapped exactly: scikit-learn minimises C sum_i L_i + ||W||^2 / 2 (intercepts
unpenalised by LogisticRegression), we minimise (1/N) sum_i L_i + (lambda/2) ||W||^2; dividing
theirs by C N gives ours with lambda = 1 / (C N), so C = 1 / (lambda N). With two classes
LogisticRegression fits one weight vector w, our softmax two: at the optimum W = (-w/2, w/2),
whose penalty is lambda ||w||^2 / 4, so there C = 2 / (lambda N).

LinearSVC is not the same loss as ours (sum over j != y of the hinge, Weston-Watkins): with
``multi_class="ovr"`` it fits K binary SVMs (one class against the rest), with
``multi_class="crammer_singer"`` it takes the hinge of the largest wrong score only, and by
default the hinge is squared; it also penalises the intercept. Only accuracies are compared.
"""

from __future__ import annotations

import warnings

import numpy as np


def _plain(X: np.ndarray) -> np.ndarray:
    """The features without the constant-1 column (scikit-learn fits its own intercept)."""
    return X[:, :-1]


def logistic_regression(X: np.ndarray, y: np.ndarray, K: int, lam: float) -> np.ndarray:
    """scikit-learn's multinomial logistic regression at our lambda, as our W (K, D+1)."""
    from sklearn.linear_model import LogisticRegression

    N = X.shape[0]
    C = (2.0 if K == 2 else 1.0) / (lam * N)
    model = LogisticRegression(C=C, tol=1e-12, max_iter=20000)
    model.fit(_plain(X), y)
    W = np.hstack([model.coef_, model.intercept_[:, None]])
    return np.vstack([-W / 2, W / 2]) if K == 2 else W


def linear_svc_accuracies(
    X: np.ndarray, y: np.ndarray, X_test: np.ndarray, y_test: np.ndarray, lam: float
) -> dict[str, float]:
    """Test accuracy of LinearSVC's variants at C = 1 / (lambda N)."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.svm import LinearSVC

    C = 1.0 / (lam * X.shape[0])
    variants = {
        "ovr_squared_hinge": {"loss": "squared_hinge", "multi_class": "ovr"},
        "ovr_hinge": {"loss": "hinge", "multi_class": "ovr"},
        "crammer_singer": {"multi_class": "crammer_singer"},
    }
    found = {}
    for name, options in variants.items():
        model = LinearSVC(C=C, max_iter=20000, random_state=0, **options)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            warnings.simplefilter("ignore", FutureWarning)
            model.fit(_plain(X), y)
        found[name] = float(np.mean(model.predict(_plain(X_test)) == y_test))
    return found
