"""A real report of several kinds of derivation, read back with pdftotext: the contents grouped
by kind in the order asked for, Huber's pieces as intervals, the network's four gradients.

One report is compiled for the whole module (a few seconds); the rest reads LaTeX only.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

import derive
from derive.render import layout, pdf, report
from derive.render.latex import derivation_notebook

ROOT = Path(__file__).resolve().parents[1]
TANH = ROOT / "examples" / "tanh-regression.md"
ORDER = ["huber", "two-layer", "logistic"]  # --only order: kept, each run of a kind a group


def pdf_pages(path: Path, first: int, last: int | None = None) -> str:
    """The text of pages first..last (to the end when last is None), whitespace collapsed."""
    command = ["pdftotext", "-f", str(first)]
    command += ["-l", str(last)] if last else []
    out = subprocess.run([*command, str(path), "-"], capture_output=True, text=True, check=True)
    return " ".join(out.stdout.split())


@pytest.fixture(scope="module")
def grouped(tmp_path_factory):
    if not (pdf.tex_available() and shutil.which("pdftotext")):
        pytest.skip("TeX is not installed")
    out = tmp_path_factory.mktemp("groups") / "groups.pdf"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(report, "check_report", lambda *_: None)  # the checker has tests of its own
        report.build_report(
            out, names=ORDER, models=[derive.load_model(TANH)], progress=lambda _: None
        )
    return out


def test_contents_group_the_derivations_by_kind_in_the_order_asked(grouped):
    contents = pdf_pages(grouped, 1, 1)
    expected = [
        "1 Introduction",
        "More losses of a first course",
        "2 Huber regression",
        "The two-layer network",
        "3 Two-layer neural network",
        "The assignment’s models",
        "4 Logistic regression",
        "Your models",
        "5 Tanh regression",
        "Checks and comparisons",
        "6 Numerical verification",
    ]
    positions = [contents.replace("'", "’").find(entry) for entry in expected]
    assert -1 not in positions, dict(zip(expected, positions, strict=True))
    assert positions == sorted(positions)
    body = pdf_pages(grouped, 2)
    assert "derives the gradients of 4 models, grouped in the contents by kind" in body
    assert "more losses of a first course (section 2)" in body


def test_huber_pieces_are_printed_as_intervals(grouped):
    text = pdf_pages(grouped, 2)
    for condition in ("if r < −δ", "if −δ ≤ r ≤ δ", "if r > δ"):
        assert condition in text, condition
    assert "otherwise" not in text.split("Two-layer neural network")[0]


def test_network_shows_its_four_gradients_matrix_forms_and_updates(grouped):
    text = pdf_pages(grouped, 2)
    results = text.split("by each parameter:")[1].split("Matrix form")[0]
    for parameter in ("∂Wkm", "∂bk", "∂Wmd", "∂bm"):
        assert parameter in results, parameter
    assert results.count("symbolic") == 1  # one box, one note for the four results
    forms = text.split("Matrix form")[1].split("Gradient descent")[0]
    for form in ("∇W (2) J", "∇b(2) J", "∇W (1) J", "∇b(1) J"):
        assert form in forms, form
    assert "where ∆im" in forms  # Delta is defined where it is introduced
    updates = text.split("moves every parameter against the gradient of the cost:")[1]
    assert updates.split("•")[0].count("←") == 4


def test_network_layout_joins_results_matrix_forms_and_updates():
    view = layout.layout_derivation(derive.derivation("two-layer"))
    assert view.results is not None and len(view.results.rows) == 4
    assert view.matrix_forms is not None and view.matrix_forms.legend
    assert [line.lhs for line in view.matrix_forms.lines if line.lhs][-1] == r"\Delta_{i m}"
    assert view.updates is not None
    assert sum(line.relation == r"\leftarrow" for line in view.updates.lines) == 4
    one = layout.layout_derivation(derive.derivation("logistic"))
    assert one.results is None and one.matrix_forms is None and one.updates is None


@pytest.mark.parametrize(("name", "matrix"), [("two-layer", r"\Delta"), ("svm", "G")])
def test_notebook_defines_the_matrices_of_the_matrix_forms(name, matrix):
    tex = derivation_notebook(derive.derivation(name))
    used = tex.index(rf"{matrix}^{{\top}}")
    defined = tex.index(r"\text{where} \\" + "\n" + rf"{matrix}_{{i")
    assert used < defined
    assert tex.count(rf"{matrix}_{{i") == 1  # defined once, where it first appears


def test_group_views_keeps_the_order_and_names_each_run():
    views = [layout.layout_derivation(derive.derivation(n)) for n in ("linear", "svm", "logistic")]
    groups = report.group_views(views, files=1)
    assert [(g.title, [v.name for v in g.derivations]) for g in groups] == [
        ("More losses of a first course", ["linear"]),
        ("The assignment's models", ["svm"]),
        ("Your models", ["logistic"]),
    ]
    context = report.report_context(views[1:2], "T", date="1 January 2025")
    assert context["groups"] == []  # one kind: no group headings
    tex = report.render_report(report.report_context(views, "T", date="1 January 2025", files=1))
    assert r"\derivegroup{More losses of a first course}" in tex
    assert r"\derivegroup{Your models}" in tex and r"\derivegroup{Checks" not in tex
