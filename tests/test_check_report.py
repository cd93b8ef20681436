"""The public API of derive.checking: report data, JSON shape, text format, file errors."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from derive.checking import MAX_FILE_BYTES, CheckReport, StepResult, check, check_file, format_text
from derive.errors import InputError

SLIPPED = (
    "Let $y = \\frac{1}{1+e^{-z}}$.\n\n"
    "$$\\frac{dy}{dz} = \\frac{e^{-z}}{(1+e^{-z})^2} = \\frac{1}{1+e^{-z}} \\cdot "
    "\\frac{e^{z}}{1+e^{-z}} = y(1-y)$$\n"
)


def test_to_dict_has_exactly_the_documented_shape() -> None:
    data = check(SLIPPED, source="slip.md").to_dict()
    assert set(data) == {"file", "steps", "summary"}
    assert data["file"] == "slip.md"
    assert data["summary"] == {"proved": 1, "verified": 0, "refuted": 2, "unknown": 0}
    required = {"line", "block", "step", "lhs", "rhs", "verdict", "detail"}
    for step in data["steps"]:
        assert required <= set(step)
    refuted = data["steps"][1]
    assert refuted["line"] == 3 and refuted["block"] == 1 and refuted["step"] == 2
    assert refuted["lhs"] == r"\frac{e^{-z}}{(1+e^{-z})^2}"
    assert refuted["rhs"] == r"\frac{1}{1+e^{-z}} \cdot \frac{e^{z}}{1+e^{-z}}"
    assert set(refuted["counterexample"]) == {"z"}
    assert refuted["diagnosis"] == "slip" and "correction" in refuted
    json.dumps(data)


def test_reports_are_frozen() -> None:
    report = check(SLIPPED)
    assert isinstance(report, CheckReport) and isinstance(report.steps[0], StepResult)
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.steps[0].verdict = "proved"  # type: ignore[misc]


def test_text_format() -> None:
    text = format_text(check(SLIPPED, source="slip.md"))
    assert text.startswith("slip.md: 3 steps checked")
    assert "line 3 (block 1, step 2): REFUTED" in text
    assert "counterexample: z = " in text
    assert "a slip in this line" in text
    assert "correction: = " in text
    assert text.rstrip().endswith("summary: 1 proved, 0 verified, 2 refuted, 0 unknown")


def test_check_file_reads_markdown_and_latex(tmp_path: Path) -> None:
    tex = tmp_path / "d.tex"
    tex.write_text("\\begin{equation} \\frac{d}{dx} x^2 = 2x \\end{equation}", encoding="utf-8")
    assert [s.verdict for s in check_file(tex).steps] == ["proved"]
    assert check_file(tex).file == str(tex)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read"),
        (b"\x00\x01binary\x00", "binary"),
        (b"\xff\xfe caf\xe9", "UTF-8"),
        (b"x" * (MAX_FILE_BYTES + 1), "too large"),
    ],
)
def test_check_file_refuses_bad_files(tmp_path: Path, content: bytes | None, message: str) -> None:
    path = tmp_path / "f.md"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputError, match=message) as error:
        check_file(path)
    assert "\n" not in str(error.value)


def test_check_file_refuses_a_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a regular file"):
        check_file(tmp_path)


def test_the_example_has_exactly_its_planted_slip() -> None:
    example = Path(__file__).parent.parent / "examples" / "softmax_derivation.md"
    report = check_file(example)
    assert [(s.line, s.diagnosis) for s in report.refuted] == [(40, "slip"), (41, "inherited")]
    assert report.refuted[0].correction
    assert all(s.verdict != "unknown" for s in report.steps)
