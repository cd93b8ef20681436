"""Hostile input: huge powers, deep nesting, garbage, binary data; fuzzing of the front end."""

from __future__ import annotations

import random
import string
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from derive.checking import MAX_FILE_BYTES, check

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))


def timed(text: str) -> tuple[float, list[str]]:
    started = time.monotonic()
    report = check(text)
    return time.monotonic() - started, [s.verdict for s in report.steps]


def test_huge_powers_are_refused_quickly() -> None:
    seconds, got = timed("$$9^{9^{9}} = 1$$\n$$2^{10^{6}} = x$$\n$$x^{100000} = y$$")
    assert got == ["unknown"] * 3 and seconds < 2


def test_deep_nesting_is_unknown_not_a_crash() -> None:
    for text in (
        "$$x = " + "{" * 3000 + "x" + "}" * 3000 + "$$",
        "$$x = " + "(" * 1500 + "x" + ")" * 1500 + "$$",
        "$$x = " + "-" * 3000 + "x$$",
    ):
        seconds, got = timed(text)
        assert got == ["unknown"] and seconds < 2


def test_a_megabyte_of_garbage_finishes_within_seconds() -> None:
    rng = random.Random(0)
    garbage = "".join(rng.choice(string.printable) for _ in range(MAX_FILE_BYTES - 10))
    seconds, _ = timed(garbage)
    assert seconds < 20


def test_binary_data_as_text_finishes_within_seconds() -> None:
    rng = random.Random(1)
    data = bytes(rng.randrange(256) for _ in range(200_000)).decode("latin-1")
    seconds, _ = timed(data)
    assert seconds < 10


def test_text_over_the_limit_is_one_unknown() -> None:
    report = check("x" * (MAX_FILE_BYTES + 1))
    assert [s.verdict for s in report.steps] == ["unknown"]
    assert "longer than" in report.steps[0].detail


@FUZZ
@given(st.text())
def test_arbitrary_text_never_raises(text: str) -> None:
    check(text)


ATOMS = [
    "x",
    "y",
    "z_k",
    "z_{k'}",
    "y_T",
    "t",
    "2",
    "0.5",
    "\\frac{",
    "}{",
    "}",
    "{",
    "(",
    ")",
    "[",
    "]",
    "^",
    "_",
    "+",
    "-",
    "\\cdot",
    "=",
    "&=",
    "\\\\",
    "\\sum_{k'}",
    "\\sum_{i=1}^N",
    "\\log",
    "\\exp",
    "e^{",
    "\\partial",
    "\\frac{\\partial}{\\partial x}",
    "\\frac{d}{dx}",
    "\\left(",
    "\\right)",
    "\\sigma",
    "\\tanh^2",
    "\\text{a}",
    "\\Rightarrow",
    "|",
    "\\|",
    "w^T",
    "x^{(i)}",
    "\\mathcal{L}_{CE}",
    "'",
    "\\sqrt",
    "\\max(",
    ",",
    "\\begin{aligned}",
    "\\end{aligned}",
    "$",
    "$$",
    "\n",
    " ",
    "\\delta_{kT}",
    "9^{9^{9}}",
    "\\dots",
    "\\quad",
    "ty",
    "k = T",
    "t_T = 1",
]
soup = st.lists(st.sampled_from(ATOMS), max_size=30).map("".join)
documents = st.lists(soup, min_size=1, max_size=3).map(
    lambda parts: "\n\n".join(
        f"$$ {p} $$" if n % 2 == 0 else f"Let ${p}$." for n, p in enumerate(parts)
    )
)


@FUZZ
@given(documents)
def test_latex_soup_never_raises_nor_fails_inside(text: str) -> None:
    for step in check(text).steps:
        assert "internal error" not in step.detail
        assert "not understood (" not in step.detail


leaves = st.sampled_from(["x", "y", "t", "z_k", "z_T", "w_j", "x_j", "2", "0.5", "\\alpha", "e"])


def _grow(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "\\cdot", " "]), inner).map(" ".join),
        inner.map(lambda a: f"({a})"),
        st.tuples(inner, inner).map(lambda p: f"\\frac{{{p[0]}}}{{{p[1]}}}"),
        st.tuples(inner, st.sampled_from(["2", "{-1}", "{1/2}", "{(i)}"])).map(
            lambda p: f"{{{p[0]}}}^{p[1]}"
        ),
        st.tuples(st.sampled_from(["\\log", "\\exp", "\\tanh", "\\sigma"]), inner).map(
            lambda p: f"{p[0]}({p[1]})"
        ),
        st.tuples(st.sampled_from(["x", "z", "w_j", "(1-y)"]), inner).map(
            lambda p: f"\\frac{{\\partial {p[1]}}}{{\\partial {p[0]}}}"
        ),
        inner.map(lambda a: f"\\sum_{{k'}} {{{a}}}"),
    )


formulas = st.recursive(leaves, _grow, max_leaves=6)
derivations = st.tuples(
    st.lists(st.tuples(st.sampled_from(["y", "z", "y_k"]), formulas), max_size=2),
    st.lists(formulas, min_size=2, max_size=3),
).map(
    lambda d: "\n\n".join([f"Let ${a} = {b}$." for a, b in d[0]] + ["$$" + " = ".join(d[1]) + "$$"])
)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(derivations)
def test_well_formed_derivations_get_a_verdict_without_failing_inside(text: str) -> None:
    for step in check(text).steps:
        assert "internal error" not in step.detail
        assert "not understood (" not in step.detail
        if step.verdict == "refuted":  # the point (empty when both sides are constants)
            assert step.counterexample or "the left side is" in step.detail
