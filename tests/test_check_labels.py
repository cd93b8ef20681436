"""The expectations written in the notation corpus agree with an independent SymPy computation.

``tests/check_corpus/labels.py`` writes every step again in plain SymPy; this test never runs the
checker, so a wrong ``expect:`` line cannot be tuned to what the checker says.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

CORPUS = Path(__file__).parent / "check_corpus"
_spec = importlib.util.spec_from_file_location("corpus_labels", CORPUS / "labels.py")
labels = importlib.util.module_from_spec(_spec)
sys.modules["corpus_labels"] = labels  # dataclasses look their module up
_spec.loader.exec_module(labels)

NOTATION = sorted(
    p
    for sub in ("heldout", "notation")
    for p in (CORPUS / sub).glob("*")
    if p.suffix in (".md", ".tex")
)


def expectations(path: Path) -> list[str]:
    found = re.findall(r"expect:\s*([a-z ,]+)", path.read_text(encoding="utf-8"))
    return [v.strip() for line in found for v in line.split(",") if v.strip()]


def test_every_notation_file_has_its_labels() -> None:
    names = {str(p.relative_to(CORPUS)) for p in NOTATION}
    assert names == set(labels.CORPUS)


@pytest.mark.parametrize("path", NOTATION, ids=lambda p: str(p.relative_to(CORPUS)))
def test_expectations_match_an_independent_computation(path: Path) -> None:
    want = expectations(path)
    assert set(want) <= {"proved", "refuted"}
    assert want == labels.labels_of(str(path.relative_to(CORPUS)))
