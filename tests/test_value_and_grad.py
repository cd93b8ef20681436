"""value_and_grad_function: one pass gives the loss and the gradient of the separate callables,
the NumPy reference and finite differences; blocks of rows and odd inputs change nothing."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import derive
from derive.models import builtin
from derive.numeric.agreement import REFERENCE, problem_for
from derive.numeric.compiled import ROWS_PER_BLOCK
from derive.numeric.gradcheck import numerical_gradient, relative_error

NAMES = [name for name in derive.derivations() if not builtin(name).chains]  # one parameter
BINARY = [name for name in NAMES if builtin(name).label is None]
KINKED = {"svm", "hinge"}  # subgradients: checked against the reference, not differences
# a target each model refuses, and the message that says so (linear and Huber take any real)
WRONG_TARGET = {
    "logistic": (-1.0, "the targets 0 or 1"),
    "logistic_l2": (-1.0, "the targets 0 or 1"),
    "hinge": (0.0, "the targets -1 or 1"),
    "poisson": (-1.0, "counts >= 0"),
}


def _narrow_dtype(name: str):
    """A narrower dtype that holds the model's targets exactly (real targets: big-endian)."""
    if name not in BINARY:
        return np.int32
    model = builtin(name)
    return np.float32 if model.targets or model.nonnegative_targets else ">f8"


def problem(name, rng, n, d=4, k=3, scale=1.0):
    params, X, target = problem_for(name, rng, n, d, k)
    return params * scale, X, target


@pytest.mark.parametrize("name", NAMES)
def test_value_and_grad_is_the_loss_and_the_gradient(name):
    rng = np.random.default_rng(11)
    both = derive.value_and_grad_function(name)
    loss, grad = derive.loss_function(name), derive.gradient_function(name)
    ref_loss, ref_grad = REFERENCE[name]
    params, X, target = problem(name, rng, n=40)
    value, g = both(params, X, target)
    assert isinstance(value, float) and g.shape == params.shape
    assert value == pytest.approx(loss(params, X, target), rel=1e-14)
    assert np.allclose(g, grad(params, X, target), rtol=1e-13, atol=0)
    assert relative_error(value, ref_loss(params, X, target)) <= 1e-12
    assert relative_error(g, ref_grad(params, X, target)) <= 1e-12
    if name not in KINKED:  # a hinge has kinks; its subgradient is checked against the reference
        fd = numerical_gradient(lambda p: both(p, X, target)[0], params)
        assert relative_error(g, fd) <= 1e-6


@pytest.mark.parametrize("name", NAMES)
def test_many_blocks_agree_with_the_reference(name):
    """More rows than one block: the per-block sums add up to the whole mean."""
    rng = np.random.default_rng(5)
    params, X, target = problem(name, rng, n=2 * ROWS_PER_BLOCK + 17, d=3, k=4)
    ref_loss, ref_grad = REFERENCE[name]
    for call in (derive.value_and_grad_function(name),):
        value, g = call(params, X, target)
        assert relative_error(value, ref_loss(params, X, target)) <= 1e-12
        assert relative_error(g, ref_grad(params, X, target)) <= 1e-12
    assert (
        relative_error(derive.loss_function(name)(params, X, target), ref_loss(params, X, target))
        <= 1e-12
    )


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=20, deadline=None)
@given(
    n=st.integers(1, 9),
    d=st.integers(1, 4),
    k=st.integers(2, 5),
    seed=st.integers(0, 10**6),
    scale=st.sampled_from([1e-3, 1.0, 30.0, 1e4]),
)
def test_property_agrees_with_reference_at_any_scale(name, n, d, k, seed, scale):
    if name == "poisson":  # e^z overflows beyond z = 709, and the loss with it
        scale = min(scale, 30.0)
    params, X, target = problem(name, np.random.default_rng(seed), n, d, k, scale)
    ref_loss, ref_grad = REFERENCE[name]
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        value, g = derive.value_and_grad_function(name)(params, X, target)
    assert relative_error(value, ref_loss(params, X, target)) <= 1e-8
    assert relative_error(g, ref_grad(params, X, target)) <= 1e-8


@pytest.mark.parametrize("name", NAMES)
def test_inputs_are_validated_and_never_changed(name):
    rng = np.random.default_rng(2)
    params, X, target = problem(name, rng, n=6)
    copies = [a.copy() for a in (params, X, target)]
    both = derive.value_and_grad_function(name)
    value, g = both(params.tolist(), X.tolist(), target.tolist())  # lists are converted
    assert relative_error(g, both(params, X, target)[1]) == 0
    for before, after in zip(copies, (params, X, target), strict=True):
        assert np.array_equal(before, after)
    bad = X.copy()
    bad[1, 2] = np.inf
    with pytest.raises(ValueError, match="finite"):
        both(params, bad, target)
    if builtin(name).label is not None:
        wrong_value, message = -1, "labels must lie"
    elif name in WRONG_TARGET:
        wrong_value, message = WRONG_TARGET[name]
    else:
        return  # any real target is one
    wrong = target.copy()
    wrong[0] = wrong_value
    with pytest.raises(ValueError, match=message):
        both(params, X, wrong)


def test_the_softmax_loss_keeps_its_relative_precision_when_tiny():
    """Scores (10, -100, -100): the loss is 2e-48, not the 0 of a naive log."""
    value, _ = derive.value_and_grad_function("softmax")(
        np.eye(3), np.array([[10.0, -100.0, -100.0]]), np.array([0])
    )
    assert value == pytest.approx(2 * np.exp(-110.0), rel=1e-12)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("where", ["params", "X"])
def test_infinite_input_is_an_error_even_where_the_loss_would_stay_finite(name, where):
    """An inf score can give a zero hinge or softplus: the callables still refuse it."""
    rng = np.random.default_rng(4)
    params, X, target = problem(name, rng, n=5, d=3)
    if where == "X":
        X[0, 0] = np.inf
    else:
        params.flat[0] = np.inf
    for build in (
        derive.loss_function,
        derive.gradient_function,
        derive.value_and_grad_function,
    ):
        with pytest.raises(ValueError, match="finite"):
            build(name)(params, X, target)


BUILDERS = [derive.loss_function, derive.gradient_function, derive.value_and_grad_function]


def error(got, expected) -> float:
    """Relative error of a loss, a gradient or a (loss, gradient) pair."""
    if isinstance(got, tuple):
        return max(error(a, b) for a, b in zip(got, expected, strict=True))
    return relative_error(got, expected)


@pytest.mark.parametrize("build", BUILDERS)
@pytest.mark.parametrize(
    "bad", [0.5, -1.0, 2.0, 1e-300, 5e-324, 1.0 + 2.0**-52, 1.0 - 2.0**-53, np.inf, np.nan]
)
def test_binary_targets_other_than_0_and_1_are_refused(build, bad):
    """The one-pass check t (t - 1) != 0 also catches targets next to 0 or 1 and inf/nan."""
    rng = np.random.default_rng(6)
    w, X, t = problem("logistic", rng, n=7)
    t[3] = bad
    with pytest.raises(ValueError, match="the targets 0 or 1|t must be finite"):
        build("logistic")(w, X, t)


@pytest.mark.parametrize("build", BUILDERS)
def test_negative_zero_is_a_target_of_zero(build):
    rng = np.random.default_rng(6)
    w, X, t = problem("logistic", rng, n=7)
    t[t == 0] = -0.0
    call = build("logistic")
    expected = call(w, X, np.abs(t))
    assert error(call(w, X, t), expected) == 0


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("build", BUILDERS)
def test_equal_arrays_give_equal_results_whatever_their_layout(name, build):
    """Lists, Fortran order, strided views, other dtypes and byte orders leave the fast path
    and are converted; the result is that of plain float64 (intp label) arrays."""
    rng = np.random.default_rng(8)
    params, X, target = problem(name, rng, n=9, d=4, k=3)
    call = build(name)
    expected = call(params, X, target)
    wide = np.zeros((9, 8))
    wide[:, ::2] = X
    variants = [
        (params.tolist(), X.tolist(), target.tolist()),
        (params, np.asfortranarray(X), target),
        (params, wide[:, ::2], target),
        (np.asfortranarray(params), X[::-1][::-1], target),
        (params[::-1][::-1].T.copy().T, np.ascontiguousarray(X.T).T, target),
        (params, X.astype(">f8"), target),
        (params, X, target.astype(_narrow_dtype(name))),
    ]
    for args in variants:
        assert error(call(*args), expected) <= 1e-15


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("build", BUILDERS)
def test_shapes_the_fast_check_could_confuse_are_refused(name, build):
    """Shapes whose concatenation still matches, empty axes, labels outside [0, K)."""
    rng = np.random.default_rng(9)
    params, X, target = problem(name, rng, n=4, d=3, k=3)
    call = build(name)
    if name in BINARY:
        wrong = [
            (params, X[0], np.asarray(target[0])),  # X one row, t a 0-d array: () + (D,)
            (params[:, None], X, target),
            (params, X, target[:, None]),
            (params[:0], X[:, :0], target),
            (params, X[:0], target[:0]),
        ]
    else:
        wrong = [
            (params, X, target[:, None]),
            (params[0], X, target),
            (params[:0], X, target),
            (params, X[:0], target[:0]),
            (params, X, np.concatenate([[3], target[1:]])),  # label K
            (params, X, np.concatenate([[-1], target[1:]])),
        ]
    for args in wrong:
        with pytest.raises(ValueError, match="shape|empty|lie in|axes"):
            call(*args)


@pytest.mark.parametrize("name", ["logistic", "svm", "hinge"])
@pytest.mark.parametrize("build", BUILDERS)
def test_infinite_scores_are_an_error_where_their_gradient_signal_is_zero(build, name):
    """Example 0 scored +inf for its own class and -inf for the others: its loss and its
    gradient signal are exactly 0, yet the input is refused (inf * 0 is nan in the check)."""
    rng = np.random.default_rng(12)
    params, X, target = problem(name, rng, n=5, d=3)
    X[0] = [np.inf, 0.0, 0.0]
    target[0] = 0 if name == "svm" else 1.0
    if name != "svm":
        params[0] = 1.0
    else:
        params[:, 0] = [1.0, -1.0, -1.0]
    with pytest.raises(ValueError, match="finite"):
        build(name)(params, X, target)
