"""Hostile documents: deep nesting, long chains, power bombs, control characters, huge files.

Every case must end with a result for every step (a verdict, or unknown with its reason),
never an exception or an internal error. Property tests are derandomised in CI (conftest);
the large cases are marked slow and run with ``pytest -m slow``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from derive.checking import check, format_text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_limits import chain, megabyte  # noqa: E402

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
VERDICTS = {"proved", "verified", "refuted", "unknown"}


def accounted(text: str, steps: int | None = None) -> list:
    """Check text; every step has a verdict and a reason, nothing failed inside."""
    report = check(text)
    for step in report.steps:
        assert step.verdict in VERDICTS
        assert step.detail
        assert "internal error" not in step.detail
    if steps is not None:
        assert len(report.steps) == steps
    json.dumps(report.to_dict())
    format_text(report)
    return list(report.steps)


OPENERS = st.sampled_from(
    [("{", "}"), ("(", ")"), ("\\left(", "\\right)"), ("\\frac{1}{", "}"), ("-", ""), ("e^{", "}")]
)


@FUZZ
@given(OPENERS, st.integers(1, 2500))
def test_deep_nesting(pair: tuple[str, str], depth: int) -> None:
    opener, closer = pair
    steps = accounted(f"$$ x = {opener * depth}x{closer * depth} $$\n", steps=1)
    assert steps[0].line == 1


ROWS = st.sampled_from(["(x+1)^2", "x^2 + 2x + 1", "(x+1)(x+1)", "\\frac{(x+1)^3}{x+1}"])


@FUZZ
@given(st.lists(ROWS, min_size=2, max_size=200))
def test_long_chains_of_true_steps_are_all_proved(rows: list[str]) -> None:
    text = "$$\n\\begin{aligned}\n" + " \\\\\n&= ".join(rows) + "\n\\end{aligned}\n$$\n"
    steps = accounted(text, steps=len(rows) - 1)
    assert {s.verdict for s in steps} <= {"proved", "verified"}


BASES = st.sampled_from(["x", "9", "(x+1)", "(a+b+c+d+f+1)", "e", "2"])
EXPONENTS = st.one_of(
    st.integers(0, 10**7).map(str),
    st.sampled_from(["{9^{9}}", "{9^{9^{9}}}", "{x^{x^{x}}}", "{10^{100}}", "{-10^{6}}"]),
)


@FUZZ
@given(st.lists(st.tuples(BASES, EXPONENTS), min_size=1, max_size=4))
def test_power_bombs_in_definitions_and_claims(powers: list[tuple[str, str]]) -> None:
    names = "pqrs"
    lines = []
    previous = "x"
    for name, (base, exponent) in zip(names, powers, strict=False):
        lines.append(f"Let ${name} = {base}^{{{exponent}}} + {previous}$.\n")
        previous = name
    lines.append(f"$$ {previous} = {previous} + 1 - 1 = {previous}^{{2}} / {previous} $$\n")
    accounted("\n".join(lines), steps=2)


CONTROL = st.sampled_from(["\x01", "\x7f", "\x1b", "\x1b[31m", "\x00", "\u200b", "\ud800", "\x0c"])


@FUZZ
@given(st.lists(st.one_of(CONTROL, st.sampled_from(["$$", "x", "=", "+", "\n", "y", "{", "}"]))))
def test_control_characters(parts: list[str]) -> None:
    accounted("".join(parts))


def test_control_characters_inside_a_claim_are_kept_as_written() -> None:
    steps = accounted("$$ a\x01 + b = b + a\x1b $$\n", steps=1)
    assert steps[0].lhs == "a\x01 + b"


@pytest.mark.slow
@pytest.mark.parametrize("size", [4000, 8000])
def test_long_chains_are_checked_to_the_end(size: int) -> None:
    steps = accounted(chain(size), steps=size + 1)
    assert {s.verdict for s in steps} == {"proved"}


@pytest.mark.slow
def test_a_megabyte_of_valid_math_has_every_step_accounted_for(tmp_path) -> None:
    path = tmp_path / "megabyte.md"
    path.write_text(megabyte())
    out = subprocess.run(
        [sys.executable, "-m", "derive", "check", str(path), "--format", "json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=1200,
    )
    assert out.returncode in (0, 1), out.stderr
    steps = json.loads(out.stdout)["steps"]
    assert len(steps) == path.read_text().count("$$")  # two equalities per block
    for step in steps:
        checked = step["verdict"] in ("proved", "verified")
        assert checked or step["detail"].startswith("not checked: the document's time limit")


def test_the_text_report_sends_no_control_character_to_a_terminal(tmp_path) -> None:
    path = tmp_path / "esc.md"
    path.write_text("$$ a\x1b[31m + b = b + a\x07 $$\n")
    out = subprocess.run(
        [sys.executable, "-m", "derive", "check", str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert out.returncode == 0 and "a\\x1b[31m + b" in out.stdout
    assert not any(c in out.stdout for c in "\x1b\x07")
