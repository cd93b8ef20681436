"""Independent NumPy reference for the losses and gradients that derive derives symbolically.

Nothing here uses SymPy: these functions are the second opinion that lambdified symbolic
results are checked against, so they are written by hand in numerically stable forms
(sign-split sigmoid, ``logaddexp``, max-shifted log-sum-exp with ``log1p``), work on whole
batches and compute in float64.

Shapes: ``w`` (D,), ``W`` (K, D), ``X`` (N, D), ``t`` (N,) with values in {0, 1} (logistic),
{-1, 1} (hinge), counts >= 0 (Poisson) or any real (linear, Huber),
``labels`` (N,) integers in [0, K). Scores are ``z = X @ w`` and ``S = X @ W.T`` (N, K).
Every loss is the mean over the N examples, and every gradient is that of the mean.

Underflow to zero (``exp(-1e4) == 0``) is the correctly rounded float64 answer, so it is
silenced inside these functions; overflow never happens because no ``exp`` here receives a
positive argument, except Poisson's mean e^z, which overflows exactly when the loss does.
"""

from typing import Literal

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IndexArray = npt.NDArray[np.intp]

__all__ = [
    "hinge_grad",
    "hinge_loss",
    "huber_grad",
    "huber_loss",
    "linear_grad",
    "linear_loss",
    "log_softmax",
    "logistic_l2_grad",
    "logistic_l2_loss",
    "logistic_grad",
    "logistic_loss",
    "onehot",
    "poisson_grad",
    "poisson_loss",
    "sigmoid",
    "softmax",
    "smoothed_softmax_grad",
    "smoothed_softmax_loss",
    "softmax_grad",
    "softmax_l2_grad",
    "softmax_l2_loss",
    "softmax_loss",
    "softmax_loss_from_scores",
    "svm_grad",
    "svm_loss",
    "svm_loss_from_scores",
]

Role = Literal["real", "labels"]
Dims = tuple[tuple[str, int | None], ...]


def _checked(
    name: str,
    value: npt.ArrayLike,
    dims: Dims | None = None,
    *,
    role: Role = "real",
    num_classes: int | None = None,
    min_ndim: int = 0,
    finite: bool = True,
    values: tuple[float, ...] | None = None,
) -> npt.NDArray[np.float64] | IndexArray:
    """Return ``value`` as a float64 (or intp label) array, or raise ValueError saying what's wrong.

    ``dims`` names each axis and, where known, its required size, e.g. ``(("N", None), ("D", 4))``;
    every named axis must be non-empty; ``values``, when given, are the only values allowed.
    This is the single validation routine of the module.
    """
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} is not a numeric array: {exc}") from exc
    if role == "labels":
        if array.dtype.kind not in "iu":
            raise ValueError(f"{name} must hold integer class labels, got dtype {array.dtype}")
    elif array.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold real numbers, got dtype {array.dtype}")

    if array.ndim < min_ndim:
        raise ValueError(f"{name} must have at least {min_ndim} axes, got shape {array.shape}")
    if min_ndim and array.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {array.shape}")
    if dims is not None:
        symbols = [symbol for symbol, _ in dims]
        wanted = "(" + ", ".join(symbols) + ("," if len(symbols) == 1 else "") + ")"
        known = ", ".join(f"{symbol} = {size}" for symbol, size in dims if size is not None)
        detail = f" with {known}" if known else ""
        # zip is safe: the ndim test runs first, so lengths match whenever zip is reached.
        if array.ndim != len(dims) or any(
            size is not None and actual != size
            for (_, size), actual in zip(dims, array.shape, strict=False)
        ):
            raise ValueError(f"{name} must have shape {wanted}{detail}, got shape {array.shape}")
        if any(actual == 0 for actual in array.shape):
            raise ValueError(f"{name} must not be empty, got shape {array.shape}")

    if role == "labels":
        low, high = (int(array.min()), int(array.max())) if array.size else (0, 0)
        if num_classes is not None and (low < 0 or high >= num_classes):
            raise ValueError(
                f"{name} must lie in [0, {num_classes}), got values from {low} to {high}"
            )
        return array.astype(np.intp)

    result = array.astype(np.float64, copy=False)
    # a finite sum proves every entry finite in one cheap pass; only overflow needs the full test
    if finite and not np.isfinite(result.sum()) and not np.all(np.isfinite(result)):
        raise ValueError(f"{name} must be finite (no nan or inf)")
    if values is not None and not np.all(np.isin(result, values)):
        allowed = " or ".join(f"{v:g}" for v in values)
        raise ValueError(f"{name} must hold the targets {allowed}, got {np.unique(result)[:5]}")
    return result


def binary_problem(
    w: npt.ArrayLike,
    X: npt.ArrayLike,
    t: npt.ArrayLike,
    finite: bool = True,
    targets: tuple[float, ...] | None = (0.0, 1.0),
    nonnegative: bool = False,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Validate the (w, X, t) triple of a model with one score so that the shapes agree.

    ``targets`` are the values t may take (logistic regression's 0 and 1 by default; None:
    any finite number); ``nonnegative``: t must be >= 0 (counts).

    ``finite=False`` skips the pass over X that rules out nan and inf (for callers that
    check their result instead and validate again only when it is not finite).
    """
    w = _checked("w", w, (("D", None),))
    X = _checked("X", X, (("N", None), ("D", w.shape[0])), finite=finite)
    t = _checked("t", t, (("N", X.shape[0]),), values=targets)
    if nonnegative and t.min() < 0.0:
        raise ValueError(f"t must hold counts >= 0, got {t.min():g}")
    return w, X, t


def multiclass_problem(
    W: npt.ArrayLike, X: npt.ArrayLike, labels: npt.ArrayLike, finite: bool = True
) -> tuple[FloatArray, FloatArray, IndexArray]:
    """Validate the (W, X, labels) triple of a K-class linear classifier so the shapes agree.

    ``finite`` as in :func:`binary_problem`.
    """
    W = _checked("W", W, (("K", None), ("D", None)))
    X = _checked("X", X, (("N", None), ("D", W.shape[1])), finite=finite)
    labels = _checked("labels", labels, (("N", X.shape[0]),), role="labels", num_classes=W.shape[0])
    return W, X, labels


def _scores_problem(S: npt.ArrayLike, labels: npt.ArrayLike) -> tuple[FloatArray, IndexArray]:
    """Validate a score matrix and its labels, for the losses defined directly on scores."""
    S = _checked("S", S, (("N", None), ("K", None)))
    labels = _checked("labels", labels, (("N", S.shape[0]),), role="labels", num_classes=S.shape[1])
    return S, labels


def _checked_margin(margin: float) -> float:
    """Validate the hinge margin: a finite number that is not negative."""
    value = float(_checked("margin", margin, ()))
    if value < 0.0:
        raise ValueError(f"margin must be >= 0, got {value}")
    return value


# --------------------------------------------------------------------------- sigmoid / logistic


def _sigmoid(z: FloatArray) -> FloatArray:
    """Sigmoid from exp(-|z|) only, so that no exponential can overflow."""
    with np.errstate(under="ignore"):
        e = np.exp(-np.abs(z))  # in [0, 1]
        return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid(z: npt.ArrayLike) -> FloatArray:
    """Logistic sigmoid 1 / (1 + exp(-z)) of any array, without overflow even for |z| >= 1e4."""
    return _sigmoid(_checked("z", z, finite=False))


def logistic_loss(w: npt.ArrayLike, X: npt.ArrayLike, t: npt.ArrayLike) -> float:
    """Mean binary cross-entropy of logits X @ w, via logaddexp so large |z| stays finite."""
    w, X, t = binary_problem(w, X, t)
    z = X @ w
    with np.errstate(under="ignore"):
        per_example = t * np.logaddexp(0.0, -z) + (1.0 - t) * np.logaddexp(0.0, z)
    return float(np.mean(per_example))


def logistic_grad(w: npt.ArrayLike, X: npt.ArrayLike, t: npt.ArrayLike) -> FloatArray:
    """Gradient X.T @ (sigmoid(X @ w) - t) / N of the mean logistic loss, shape (D,)."""
    w, X, t = binary_problem(w, X, t)
    return X.T @ (_sigmoid(X @ w) - t) / X.shape[0]


# --------------------------------------------------------------------------- softmax


def onehot(labels: npt.ArrayLike, K: int) -> FloatArray:
    """One-hot float matrix (N, K) of integer labels, the targets Y of the softmax gradient."""
    if isinstance(K, bool) or not isinstance(K, int | np.integer) or K < 1:
        raise ValueError(f"K must be a positive integer, got {K!r}")
    labels = _checked("labels", labels, (("N", None),), role="labels", num_classes=int(K))
    result = np.zeros((labels.shape[0], int(K)))
    result[np.arange(labels.shape[0]), labels] = 1.0
    return result


def _softmax(Z: FloatArray) -> FloatArray:
    """Softmax along the last axis after subtracting the row maximum."""
    with np.errstate(under="ignore"):
        e = np.exp(Z - Z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _log_softmax(Z: FloatArray) -> FloatArray:
    """Log-softmax along the last axis, accurate to full relative precision at the row maximum.

    log p_j = (z_j - m) - log1p(r) with m the row maximum and r the sum of exp(z_i - m) over all
    entries but one maximal one (that entry contributes exactly 1). Writing log(1 + r) as log1p(r)
    keeps losses like -log p = 2e-48 instead of rounding 1 + r to 1 and returning 0.
    """
    top = np.argmax(Z, axis=-1)[..., np.newaxis]
    shifted = Z - np.take_along_axis(Z, top, axis=-1)
    with np.errstate(under="ignore"):
        rest = np.exp(shifted)
    np.put_along_axis(rest, top, 0.0, axis=-1)
    return shifted - np.log1p(rest.sum(axis=-1, keepdims=True))


def softmax(Z: npt.ArrayLike) -> FloatArray:
    """Row-wise (last-axis) softmax, max-shifted so that no exponential overflows."""
    return _softmax(_checked("Z", Z, min_ndim=1))


def log_softmax(Z: npt.ArrayLike) -> FloatArray:
    """Row-wise (last-axis) log-softmax, relatively exact even when p is within 1e-48 of 1."""
    return _log_softmax(_checked("Z", Z, min_ndim=1))


def _softmax_loss(S: FloatArray, labels: IndexArray) -> float:
    """Mean of -log p_y over the rows of a validated score matrix."""
    picked = np.take_along_axis(_log_softmax(S), labels[:, np.newaxis], axis=1)
    return float(-np.mean(picked))


def softmax_loss_from_scores(S: npt.ArrayLike, labels: npt.ArrayLike) -> float:
    """Mean softmax cross-entropy of a score matrix S (N, K), for tables of given scores."""
    return _softmax_loss(*_scores_problem(S, labels))


def softmax_loss(W: npt.ArrayLike, X: npt.ArrayLike, labels: npt.ArrayLike) -> float:
    """Mean softmax cross-entropy of scores S = X @ W.T, computed with a stable log-sum-exp."""
    W, X, labels = multiclass_problem(W, X, labels)
    return _softmax_loss(X @ W.T, labels)


def softmax_grad(W: npt.ArrayLike, X: npt.ArrayLike, labels: npt.ArrayLike) -> FloatArray:
    """Gradient (P - onehot(labels)).T @ X / N of the mean softmax loss w.r.t. W, shape (K, D)."""
    W, X, labels = multiclass_problem(W, X, labels)
    residual = _softmax(X @ W.T)
    residual[np.arange(X.shape[0]), labels] -= 1.0
    return residual.T @ X / X.shape[0]


# --------------------------------------------------------------------------- multiclass hinge


def _hinge_margins(S: FloatArray, labels: IndexArray, margin: float) -> FloatArray:
    """Matrix of s_j - s_y + margin, with the correct-class entries set to 0 so they never count."""
    rows = np.arange(S.shape[0])
    margins = S - S[rows, labels][:, np.newaxis] + margin
    margins[rows, labels] = 0.0
    return margins


def _svm_loss(S: FloatArray, labels: IndexArray, margin: float) -> float:
    """Mean over rows of sum_{j != y} max(0, s_j - s_y + margin) for validated inputs."""
    return float(np.mean(np.maximum(_hinge_margins(S, labels, margin), 0.0).sum(axis=1)))


def svm_loss_from_scores(S: npt.ArrayLike, labels: npt.ArrayLike, margin: float = 1.0) -> float:
    """Mean multiclass hinge loss of a score matrix S (N, K), for tables of given scores."""
    S, labels = _scores_problem(S, labels)
    return _svm_loss(S, labels, _checked_margin(margin))


def svm_loss(
    W: npt.ArrayLike, X: npt.ArrayLike, labels: npt.ArrayLike, margin: float = 1.0
) -> float:
    """Mean multiclass hinge loss sum_{j != y} max(0, s_j - s_y + margin) of S = X @ W.T."""
    W, X, labels = multiclass_problem(W, X, labels)
    return _svm_loss(X @ W.T, labels, _checked_margin(margin))


def svm_grad(
    W: npt.ArrayLike, X: npt.ArrayLike, labels: npt.ArrayLike, margin: float = 1.0
) -> FloatArray:
    """Subgradient of the mean hinge loss w.r.t. W, (K, D), taking 0 at every kink.

    Convention: class j != y is active when s_j - s_y + margin > 0 strictly (the indicator,
    i.e. Heaviside with H(0) = 0); active rows get +x, row y gets -(number of active j) * x.
    """
    W, X, labels = multiclass_problem(W, X, labels)
    margin = _checked_margin(margin)
    rows = np.arange(X.shape[0])
    active = (_hinge_margins(X @ W.T, labels, margin) > 0.0).astype(np.float64)
    active[rows, labels] = -active.sum(axis=1)
    return active.T @ X / X.shape[0]


# --------------------------------------------------------------------------- regression


def linear_loss(w: npt.ArrayLike, X: npt.ArrayLike, t: npt.ArrayLike) -> float:
    """Mean halved squared error (X @ w - t)^2 / 2 of a linear prediction, any real t."""
    w, X, t = binary_problem(w, X, t, targets=None)
    return float(np.mean(np.square(X @ w - t)) / 2.0)


def linear_grad(w: npt.ArrayLike, X: npt.ArrayLike, t: npt.ArrayLike) -> FloatArray:
    """Gradient X.T @ (X @ w - t) / N of the mean halved squared error, shape (D,)."""
    w, X, t = binary_problem(w, X, t, targets=None)
    return X.T @ (X @ w - t) / X.shape[0]


def _checked_positive(name: str, value: float, low_open: bool = True) -> float:
    """A finite hyperparameter > 0 (or >= 0 when not ``low_open``)."""
    number = float(_checked(name, value, ()))
    if number < 0.0 or (low_open and number == 0.0):
        raise ValueError(f"{name} must be {'>' if low_open else '>='} 0, got {number}")
    return number


def huber_loss(w: npt.ArrayLike, X: npt.ArrayLike, t: npt.ArrayLike, delta: float = 1.0) -> float:
    """Mean Huber loss of r = X @ w - t: r^2 / 2 where |r| <= delta, delta (|r| - delta / 2)
    beyond."""
    w, X, t = binary_problem(w, X, t, targets=None)
    delta = _checked_positive("delta", delta)
    size = np.abs(X @ w - t)
    small = size <= delta
    # the quadratic piece is only evaluated where it is used, so it never overflows
    per_example = np.where(small, 0.5 * np.square(np.where(small, size, 0.0)), 0.0)
    per_example += np.where(small, 0.0, delta * (size - delta / 2.0))
    return float(np.mean(per_example))


def huber_grad(
    w: npt.ArrayLike, X: npt.ArrayLike, t: npt.ArrayLike, delta: float = 1.0
) -> FloatArray:
    """Gradient X.T @ clip(X @ w - t, -delta, delta) / N of the mean Huber loss, shape (D,)."""
    w, X, t = binary_problem(w, X, t, targets=None)
    delta = _checked_positive("delta", delta)
    return X.T @ np.clip(X @ w - t, -delta, delta) / X.shape[0]


def poisson_loss(w: npt.ArrayLike, X: npt.ArrayLike, t: npt.ArrayLike) -> float:
    """Mean Poisson negative log-likelihood exp(z) - t z with z = X @ w, counts t >= 0
    (the term log t!, which does not depend on w, is left out)."""
    w, X, t = binary_problem(w, X, t, targets=None, nonnegative=True)
    z = X @ w
    with np.errstate(over="ignore"):  # exp(z) beyond 1.8e308 is inf, as the loss is
        return float(np.mean(np.exp(z) - t * z))


def poisson_grad(w: npt.ArrayLike, X: npt.ArrayLike, t: npt.ArrayLike) -> FloatArray:
    """Gradient X.T @ (exp(X @ w) - t) / N of the mean Poisson loss, shape (D,)."""
    w, X, t = binary_problem(w, X, t, targets=None, nonnegative=True)
    with np.errstate(over="ignore"):
        return X.T @ (np.exp(X @ w) - t) / X.shape[0]


# --------------------------------------------------------------------------- binary hinge


def hinge_loss(w: npt.ArrayLike, X: npt.ArrayLike, t: npt.ArrayLike) -> float:
    """Mean binary hinge loss max(0, 1 - t z) of z = X @ w, labels t in {-1, 1}."""
    w, X, t = binary_problem(w, X, t, targets=(-1.0, 1.0))
    return float(np.mean(np.maximum(0.0, 1.0 - t * (X @ w))))


def hinge_grad(w: npt.ArrayLike, X: npt.ArrayLike, t: npt.ArrayLike) -> FloatArray:
    """Subgradient of the mean binary hinge loss, -X.T @ (t * 1[1 - t z > 0]) / N, shape (D,);
    0 at the kink t z = 1, as :func:`svm_grad`."""
    w, X, t = binary_problem(w, X, t, targets=(-1.0, 1.0))
    active = (1.0 - t * (X @ w) > 0.0).astype(np.float64)
    return -(X.T @ (t * active)) / X.shape[0]


# --------------------------------------------------------------------------- L2 penalties


def logistic_l2_loss(
    w: npt.ArrayLike, X: npt.ArrayLike, t: npt.ArrayLike, lam: float = 0.01
) -> float:
    """Mean logistic loss plus (lam / 2) ||w||^2."""
    lam = _checked_positive("lam", lam, low_open=False)
    w = _checked("w", w, (("D", None),))
    return logistic_loss(w, X, t) + 0.5 * lam * float(w @ w)


def logistic_l2_grad(
    w: npt.ArrayLike, X: npt.ArrayLike, t: npt.ArrayLike, lam: float = 0.01
) -> FloatArray:
    """Gradient of :func:`logistic_l2_loss`: the logistic gradient plus lam w."""
    lam = _checked_positive("lam", lam, low_open=False)
    w = _checked("w", w, (("D", None),))
    return logistic_grad(w, X, t) + lam * w


def softmax_l2_loss(
    W: npt.ArrayLike, X: npt.ArrayLike, labels: npt.ArrayLike, lam: float = 0.01
) -> float:
    """Mean softmax cross-entropy plus (lam / 2) ||W||^2 (squared Frobenius norm)."""
    lam = _checked_positive("lam", lam, low_open=False)
    W = _checked("W", W, (("K", None), ("D", None)))
    return softmax_loss(W, X, labels) + 0.5 * lam * float(np.sum(W * W))


def softmax_l2_grad(
    W: npt.ArrayLike, X: npt.ArrayLike, labels: npt.ArrayLike, lam: float = 0.01
) -> FloatArray:
    """Gradient of :func:`softmax_l2_loss`: the softmax gradient plus lam W."""
    lam = _checked_positive("lam", lam, low_open=False)
    W = _checked("W", W, (("K", None), ("D", None)))
    return softmax_grad(W, X, labels) + lam * W


# --------------------------------------------------------------------------- label smoothing


def _smoothed_targets(labels: IndexArray, K: int, epsilon: float) -> FloatArray:
    """Q = (1 - epsilon) onehot(labels) + epsilon / K."""
    if not 0.0 <= epsilon <= 1.0:
        raise ValueError(f"epsilon must be in [0, 1], got {epsilon}")
    return (1.0 - epsilon) * onehot(labels, K) + epsilon / K


def smoothed_softmax_loss(
    W: npt.ArrayLike, X: npt.ArrayLike, labels: npt.ArrayLike, epsilon: float = 0.1
) -> float:
    """Mean cross-entropy -sum_k q_k log p_k against the smoothed targets q."""
    W, X, labels = multiclass_problem(W, X, labels)
    epsilon = float(_checked("epsilon", epsilon, ()))
    Q = _smoothed_targets(labels, W.shape[0], epsilon)
    return float(-np.mean(np.sum(Q * _log_softmax(X @ W.T), axis=1)))


def smoothed_softmax_grad(
    W: npt.ArrayLike, X: npt.ArrayLike, labels: npt.ArrayLike, epsilon: float = 0.1
) -> FloatArray:
    """Gradient (P - Q).T @ X / N of :func:`smoothed_softmax_loss`, shape (K, D)."""
    W, X, labels = multiclass_problem(W, X, labels)
    epsilon = float(_checked("epsilon", epsilon, ()))
    Q = _smoothed_targets(labels, W.shape[0], epsilon)
    return (_softmax(X @ W.T) - Q).T @ X / X.shape[0]
