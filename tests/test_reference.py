"""NumPy reference tests: gradients vs finite differences, stability, high precision, errors."""

import warnings
from collections.abc import Callable
from fractions import Fraction

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from derive.numeric.gradcheck import numerical_gradient, relative_error
from derive.numeric.reference import (
    log_softmax,
    logistic_grad,
    logistic_loss,
    onehot,
    sigmoid,
    softmax,
    softmax_grad,
    softmax_loss,
    softmax_loss_from_scores,
    svm_grad,
    svm_loss,
    svm_loss_from_scores,
)

SHAPES = [(1, 1, 2), (5, 3, 3), (20, 6, 5), (50, 4, 10)]  # (N, D, K)
SEEDS = [0, 1, 2]
PROPERTY = settings(max_examples=40, deadline=None, database=None)
# Overflow, invalid and divide-by-zero fail a test; underflow stays allowed because Hypothesis
# draws subnormal inputs whose products correctly round to 0 (sigmoid's own test traps it too).
NO_OVERFLOW = {"over": "raise", "invalid": "raise", "divide": "raise", "under": "ignore"}


def random_problem(seed: int, N: int, D: int, K: int) -> tuple[np.ndarray, ...]:
    """Seeded W (K, D), w (D,), X (N, D), binary t and labels in [0, K)."""
    rng = np.random.default_rng(seed)
    return (
        rng.normal(size=(K, D)),
        rng.normal(size=D),
        rng.normal(size=(N, D)),
        rng.integers(0, 2, size=N),
        rng.integers(0, K, size=N),
    )


def hinge_margins(W: np.ndarray, X: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """All s_j - s_y + 1 for j != y, computed independently of the module under test."""
    S = X @ W.T
    rows = np.arange(len(labels))
    margins = S - S[rows, labels][:, None] + 1.0
    return margins[np.arange(S.shape[1])[None, :] != labels[:, None]]


# --------------------------------------------------------------------------- finite differences


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(("N", "D", "K"), SHAPES)
def test_logistic_grad_matches_finite_differences(seed: int, N: int, D: int, K: int) -> None:
    """Analytic logistic gradient within 1e-6 relative error of central differences."""
    _, w, X, t, _ = random_problem(seed, N, D, K)
    numeric = numerical_gradient(lambda v: logistic_loss(v, X, t), w)
    assert relative_error(logistic_grad(w, X, t), numeric) <= 1e-6


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(("N", "D", "K"), SHAPES)
def test_softmax_grad_matches_finite_differences(seed: int, N: int, D: int, K: int) -> None:
    """Analytic softmax gradient within 1e-6 relative error of central differences."""
    W, _, X, _, labels = random_problem(seed, N, D, K)
    numeric = numerical_gradient(lambda V: softmax_loss(V, X, labels), W)
    assert relative_error(softmax_grad(W, X, labels), numeric) <= 1e-6


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(("N", "D", "K"), SHAPES)
def test_svm_grad_matches_finite_differences_away_from_kinks(
    seed: int, N: int, D: int, K: int
) -> None:
    """Hinge subgradient within 1e-6 of central differences when no margin is within 1e-3 of 0."""
    rng = np.random.default_rng(seed)
    for _ in range(1000):
        W, _, X, _, labels = random_problem(int(rng.integers(2**32)), N, D, K)
        margins = hinge_margins(W, X, labels)
        if np.min(np.abs(margins)) > 1e-3 and np.any(margins > 0):
            break
    else:
        pytest.fail("could not draw hinge data away from the kinks")
    numeric = numerical_gradient(lambda V: svm_loss(V, X, labels), W)
    assert relative_error(svm_grad(W, X, labels), numeric) <= 1e-6


def test_svm_subgradient_is_zero_at_the_kink() -> None:
    """Convention: a margin exactly 0 is inactive (indicator of > 0), so loss and grad are 0."""
    W = np.eye(3)
    X = np.array([[1.0, 0.0, 0.0]])  # scores (1, 0, 0): s_j - s_y + 1 == 0 for j = 1, 2
    assert svm_loss(W, X, [0]) == 0.0
    np.testing.assert_array_equal(svm_grad(W, X, [0]), np.zeros((3, 3)))
    X_active = np.array([[1.0, 0.5, 0.0]])  # only class 1 is active now
    expected = np.zeros((3, 3))
    expected[1] = X_active[0]
    expected[0] = -X_active[0]
    np.testing.assert_array_equal(svm_grad(W, X_active, [0]), expected)


# --------------------------------------------------------------------------- hypothesis properties


@st.composite
def multiclass_problems(draw: st.DrawFn, bound: float = 2.0) -> tuple[np.ndarray, ...]:
    """W (K, D), X (N, D), labels (N,): N 1..20, D 1..6, K 2..6, entries in [-bound, bound]."""
    N, D, K = draw(st.integers(1, 20)), draw(st.integers(1, 6)), draw(st.integers(2, 6))
    values = st.floats(-bound, bound, allow_nan=False, allow_infinity=False)
    W = draw(arrays(np.float64, (K, D), elements=values))
    X = draw(arrays(np.float64, (N, D), elements=values))
    labels = draw(arrays(np.intp, (N,), elements=st.integers(0, K - 1)))
    return W, X, labels


@st.composite
def binary_problems(draw: st.DrawFn, bound: float = 2.0) -> tuple[np.ndarray, ...]:
    """w (D,), X (N, D), t (N,) in {0, 1} with N 1..20, D 1..6 and entries in [-bound, bound]."""
    N, D = draw(st.integers(1, 20)), draw(st.integers(1, 6))
    values = st.floats(-bound, bound, allow_nan=False, allow_infinity=False)
    w = draw(arrays(np.float64, (D,), elements=values))
    X = draw(arrays(np.float64, (N, D), elements=values))
    t = draw(arrays(np.int64, (N,), elements=st.integers(0, 1)))
    return w, X, t


@st.composite
def score_problems(draw: st.DrawFn, bound: float = 1e4) -> tuple[np.ndarray, np.ndarray]:
    """Score matrices S (N, K) with entries up to +-bound and labels, small enough for mpmath."""
    N, K = draw(st.integers(1, 5)), draw(st.integers(2, 6))
    values = st.floats(-bound, bound, allow_nan=False, allow_infinity=False)
    S = draw(arrays(np.float64, (N, K), elements=values))
    labels = draw(arrays(np.intp, (N,), elements=st.integers(0, K - 1)))
    return S, labels


def close_to_fd(analytic: np.ndarray, numeric: np.ndarray) -> bool:
    """1e-6 relative error, or 1e-7 absolute when the gradient is itself round-off small."""
    return relative_error(analytic, numeric) <= 1e-6 or np.max(np.abs(analytic - numeric)) <= 1e-7


@PROPERTY
@given(multiclass_problems())
def test_property_softmax_grad_matches_fd(problem: tuple[np.ndarray, ...]) -> None:
    """Softmax gradient agrees with finite differences for any shape and values."""
    W, X, labels = problem
    numeric = numerical_gradient(lambda V: softmax_loss(V, X, labels), W)
    assert close_to_fd(softmax_grad(W, X, labels), numeric)


@PROPERTY
@given(binary_problems())
def test_property_logistic_grad_matches_fd(problem: tuple[np.ndarray, ...]) -> None:
    """Logistic gradient agrees with finite differences for any shape and values."""
    w, X, t = problem
    numeric = numerical_gradient(lambda v: logistic_loss(v, X, t), w)
    assert close_to_fd(logistic_grad(w, X, t), numeric)


@PROPERTY
@given(binary_problems())
def test_property_two_class_softmax_is_logistic(problem: tuple[np.ndarray, ...]) -> None:
    """Softmax with W = [0; w] is logistic regression: same loss, grad rows -g and g."""
    w, X, t = problem
    W = np.vstack([np.zeros_like(w), w])
    assert softmax_loss(W, X, t) == pytest.approx(logistic_loss(w, X, t), rel=1e-12, abs=1e-300)
    g = logistic_grad(w, X, t)
    np.testing.assert_allclose(softmax_grad(W, X, t), np.vstack([-g, g]), rtol=1e-10, atol=1e-15)


@PROPERTY
@given(multiclass_problems(bound=100.0))
def test_property_losses_nonnegative_and_grads_balanced(problem: tuple[np.ndarray, ...]) -> None:
    """Losses are finite and >= 0, and softmax/SVM gradient rows sum to 0 over the classes."""
    W, X, labels = problem
    for loss, grad in ((softmax_loss, softmax_grad), (svm_loss, svm_grad)):
        value = loss(W, X, labels)
        G = grad(W, X, labels)
        assert np.isfinite(value) and value >= 0.0
        assert G.shape == W.shape and np.all(np.isfinite(G))
        scale = np.max(np.abs(X)) + 1.0
        np.testing.assert_allclose(G.sum(axis=0), 0.0, atol=1e-12 * scale * W.shape[0])
    assert svm_loss(W, X, labels, margin=0.0) <= svm_loss(W, X, labels, margin=1.0)


@PROPERTY
@given(score_problems())
def test_property_softmax_rows_sum_to_one(problem: tuple[np.ndarray, np.ndarray]) -> None:
    """Softmax rows are probabilities, and exp(log_softmax) is softmax, for scores up to 1e4."""
    S, _ = problem
    P = softmax(S)
    assert np.all((P >= 0.0) & (P <= 1.0))
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=0, atol=1e-14 * S.shape[1])
    logP = log_softmax(S)
    assert np.all(logP <= 0.0)
    np.testing.assert_allclose(np.exp(logP), P, rtol=1e-10, atol=1e-300)


def mp_softmax_loss(S: np.ndarray, labels: np.ndarray) -> float:
    """Mean of -ln p_y = ln(sum_j exp(s_j - s_y)), written as log1p so 50 digits suffice."""
    with mpmath.workdps(50):
        total = mpmath.mpf(0)
        for row, y in zip(S, labels, strict=True):
            s_y = mpmath.mpf(float(row[y]))
            rest = [mpmath.exp(mpmath.mpf(float(s)) - s_y) for j, s in enumerate(row) if j != y]
            total += mpmath.log1p(mpmath.fsum(rest))
        return float(total / len(labels))


def exact_svm_loss(S: np.ndarray, labels: np.ndarray, margin: float = 1.0) -> float:
    """Mean hinge loss in exact rational arithmetic (every float64 is a fraction)."""
    total = Fraction(0)
    for row, y in zip(S, labels, strict=True):
        for j, s in enumerate(row):
            if j != y:
                total += max(Fraction(0), Fraction(s) - Fraction(row[y]) + Fraction(margin))
    return float(total / len(labels))


@PROPERTY
@given(score_problems())
def test_property_large_scores_match_high_precision(problem: tuple[np.ndarray, np.ndarray]) -> None:
    """Scores up to 1e4: softmax and SVM losses agree with mpmath / exact arithmetic."""
    S, labels = problem
    with np.errstate(**NO_OVERFLOW):
        soft = softmax_loss_from_scores(S, labels)
        hinge = svm_loss_from_scores(S, labels)
    assert soft == pytest.approx(mp_softmax_loss(S, labels), rel=1e-10, abs=1e-300)
    # s_j - s_y + 1 can cancel, so the hinge error is absolute, relative to the score size
    assert hinge == pytest.approx(exact_svm_loss(S, labels), abs=1e-14 * (np.max(np.abs(S)) + 1))


@PROPERTY
@given(
    arrays(np.float64, st.integers(1, 20), elements=st.floats(-1e4, 1e4)),
    st.integers(0, 2**32 - 1),
)
def test_property_logistic_large_logits_match_mpmath(z: np.ndarray, seed: int) -> None:
    """Logits up to 1e4 (X = z, w = 1, so z is exact): loss matches mpmath, grad is finite."""
    t = np.random.default_rng(seed).integers(0, 2, size=z.shape[0])
    X, w = z[:, None], np.array([1.0])
    with np.errstate(**NO_OVERFLOW):
        loss = logistic_loss(w, X, t)
        grad = logistic_grad(w, X, t)
    with mpmath.workdps(50):
        terms = [mpmath.log1p(mpmath.exp(-zi if ti else zi)) for zi, ti in zip(z, t, strict=True)]
        expected = float(mpmath.fsum(terms) / len(terms))
    assert loss == pytest.approx(expected, rel=1e-12, abs=1e-300)
    assert np.all(np.isfinite(grad))


@PROPERTY
@given(multiclass_problems(bound=1e2))
def test_property_large_weights_give_finite_losses_and_grads(
    problem: tuple[np.ndarray, ...],
) -> None:
    """Entries up to 1e2 make scores up to 6e4: everything stays finite, with no FP warnings."""
    W, X, labels = problem
    with np.errstate(**NO_OVERFLOW):
        for fn in (softmax_loss, softmax_grad, svm_loss, svm_grad):
            assert np.all(np.isfinite(fn(W, X, labels)))
        assert np.all(np.isfinite(logistic_grad(W[0], X, labels % 2)))
        assert np.isfinite(logistic_loss(W[0], X, labels % 2))


# --------------------------------------------------------------------------- stability


def test_sigmoid_extremes_without_warnings() -> None:
    """sigmoid(+-1e4) is exactly 1 and 0, with every FP error and warning turned into a failure."""
    z = np.array([-1e300, -1e4, -745.0, -40.0, 0.0, 40.0, 1e4, 1e300])
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        y = sigmoid(z)
        assert sigmoid(-1e4) == 0.0
        assert sigmoid(1e4) == 1.0
        assert sigmoid(np.array([-np.inf, np.inf])).tolist() == [0.0, 1.0]
        logistic_loss([1.0], [[1e4], [-1e4]], [0, 1])
        softmax_loss_from_scores([[1e4, -1e4, 0.0]], [1])
    assert y[4] == 0.5 and np.all(np.diff(y) >= 0)


def test_sigmoid_matches_mpmath_and_is_symmetric() -> None:
    """sigmoid agrees with 50-digit mpmath to 1e-15 relative and satisfies s(-z) = 1 - s(z)."""
    z = np.array([-700.0, -100.0, -30.0, -1.5, -1e-8, 0.0, 1e-8, 2.0, 30.0, 700.0])
    with mpmath.workdps(50):
        expected = [float(1 / (1 + mpmath.exp(-mpmath.mpf(v)))) for v in z]
    np.testing.assert_allclose(sigmoid(z), expected, rtol=1e-15, atol=0)
    np.testing.assert_allclose(sigmoid(-z), 1.0 - sigmoid(z), rtol=0, atol=np.finfo(float).eps)


def test_tiny_softmax_loss_keeps_relative_precision() -> None:
    """-ln p for p = 1 - 2e^-110 is 3.3778e-48, not the 0 that log(sum(exp)) would give."""
    loss = softmax_loss_from_scores([[10.0, -100.0, -100.0]], [0])
    assert loss == pytest.approx(2 * np.exp(-110.0), rel=1e-14)
    assert log_softmax([10.0, -100.0, -100.0])[0] == pytest.approx(-2 * np.exp(-110.0), rel=1e-14)


def test_onehot() -> None:
    """onehot puts a single 1.0 per row at the label."""
    np.testing.assert_array_equal(onehot([2, 0, 1], 3), np.array([[0, 0, 1], [1, 0, 0], [0, 1, 0]]))
    assert onehot(np.array([1], dtype=np.uint8), 2).dtype == np.float64


# --------------------------------------------------------------------------- validation

W3, X3, L3 = np.ones((3, 2)), np.ones((4, 2)), np.array([0, 1, 2, 0])
BAD_CALLS: list[tuple[str, Callable[[], object], str]] = [
    ("X wrong width", lambda: softmax_loss(W3, np.ones((4, 3)), L3), r"X must have shape \(N, D\)"),
    ("labels length", lambda: softmax_grad(W3, X3, L3[:3]), r"labels must have shape \(N,\)"),
    ("labels range", lambda: svm_loss(W3, X3, [0, 1, 3, 0]), r"labels must lie in \[0, 3\)"),
    ("negative label", lambda: svm_grad(W3, X3, [0, -1, 2, 0]), r"\[0, 3\)"),
    ("float labels", lambda: softmax_loss(W3, X3, L3.astype(float)), "integer class labels"),
    ("W one-dim", lambda: svm_loss(np.ones(2), X3, L3), r"W must have shape \(K, D\)"),
    ("w two-dim", lambda: logistic_loss(np.ones((2, 1)), X3, [0, 1, 1, 0]), r"w must have shape"),
    ("t length", lambda: logistic_grad(np.ones(2), X3, [0, 1]), r"t must have shape \(N,\)"),
    ("t not binary", lambda: logistic_loss(np.ones(2), X3, [0, 1, 2, 0]), "the targets 0 or 1"),
    ("nan in X", lambda: softmax_loss(W3, np.full((4, 2), np.nan), L3), "finite"),
    ("complex", lambda: softmax(np.ones((2, 2), dtype=complex)), "real numbers"),
    ("strings", lambda: sigmoid(["a"]), "real numbers"),
    ("ragged", lambda: softmax([[1.0, 2.0], [3.0]]), "not a numeric array"),
    ("empty X", lambda: softmax_loss(W3, np.ones((0, 2)), np.zeros(0, int)), "must not be empty"),
    ("scalar Z", lambda: log_softmax(3.0), "at least 1 axes"),
    ("empty Z", lambda: softmax(np.ones((2, 0))), "must not be empty"),
    ("negative margin", lambda: svm_loss(W3, X3, L3, margin=-1.0), "margin must be >= 0"),
    ("bad K", lambda: onehot([0, 1], 0), "K must be a positive integer"),
    ("label >= K", lambda: onehot([0, 2], 2), r"\[0, 2\)"),
]


@pytest.mark.parametrize(("case", "call", "message"), BAD_CALLS, ids=[c[0] for c in BAD_CALLS])
def test_bad_inputs_raise_clear_value_errors(
    case: str, call: Callable[[], object], message: str
) -> None:
    """Wrong shapes, dtypes, values and label ranges raise ValueError naming the problem."""
    with pytest.raises(ValueError, match=message):
        call()


def test_shape_error_states_the_expected_sizes() -> None:
    """The shape message gives the known sizes and the shape actually received."""
    with pytest.raises(ValueError) as info:
        softmax_loss(W3, np.ones((4, 3)), L3)
    assert str(info.value) == "X must have shape (N, D) with D = 2, got shape (4, 3)"
