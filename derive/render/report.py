"""Build the PDF report: derive, check, draw, render the templates, compile.

``build_report`` gathers plain data from the rest of derive (derivations, the SVM-versus-
softmax table, the numeric agreement of the gradients, the check of a hand-written
derivation), lays it out, renders ``templates/report.tex`` and compiles it with
:mod:`derive.render.pdf`. Cheap checks of the user's input come first, so a bad path or
name fails in a moment rather than after the slow work.
"""

from __future__ import annotations

import datetime
import math
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path
from typing import TYPE_CHECKING, Any

from derive.errors import DeriveError, InputError
from derive.render.layout import NOTE_FRACTION, layout_derivation
from derive.render.mathsafe import safe_math
from derive.render.pdf import compile_pdf
from derive.render.templates import TEMPLATE_DIR, render
from derive.render.view import NO_COUNTS, DerivationView
from derive.safe_text import is_control, printable

DEFAULT_NAMES = ("logistic", "softmax", "svm")  # the assignment's models: first by default
DEFAULT_TITLE = "Gradient derivations, step by step and machine-checked"
DEFAULT_CHECK = TEMPLATE_DIR.parent / "examples" / "int305-assignment1.md"
FIGURE = "loss-vs-margin.pdf"
COMPARED = ("svm", "softmax")
MAX_TITLE = 300  # characters; a longer title would not fit a title page (and TeX is slow on it)

Progress = Callable[[str], None]

if TYPE_CHECKING:
    from derive.model import Model


@contextmanager
def timed(progress: Progress, label: str) -> Iterator[None]:
    """Report ``label ... 0.4 s`` once the enclosed work is done."""
    start = time.perf_counter()
    yield
    progress(f"{label} ... {time.perf_counter() - start:.1f} s")


def check_output(output: Path) -> Path:
    """The output path, made absolute, once it is known that a PDF can be written there."""
    output = Path(output).expanduser().absolute()
    if output.suffix.lower() != ".pdf":
        raise InputError(f"the report must be a .pdf file, got {output}")
    if output.is_dir():
        raise InputError(f"{output} is a directory: give the path of the PDF to write")
    for sibling in (output.with_suffix(".tex"), output.with_suffix(".log")):
        if sibling.is_dir():
            raise InputError(
                f"cannot write the report to {output}: {sibling.name} beside it is a directory"
            )
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        handle, probe = tempfile.mkstemp(dir=output.parent, prefix=".derive-probe-")
        os.close(handle)
        os.unlink(probe)
    except OSError as error:
        reason = error.strerror or str(error)
        raise InputError(f"cannot write the report to {output}: {reason}") from error
    return output


def check_title(title: str | None) -> str:
    """The title to print; too long, or holding control characters, is an InputError."""
    if title is None:
        return DEFAULT_TITLE
    if len(title) > MAX_TITLE:
        raise InputError(
            f"the title is too long ({len(title)} characters; the limit is {MAX_TITLE})"
        )
    bad = next((c for c in title if is_control(c) and c not in "\t\n"), None)
    if bad is not None:
        raise InputError(f"the title holds a control character (U+{ord(bad):04X}): remove it")
    return title


def check_names(names: Sequence[str] | None) -> list[str]:
    """The built-in derivations to include, in order, each once (by default every built-in,
    the assignment's three first); an unknown name is an InputError naming the choices."""
    if names is None:
        return list(dict.fromkeys([*DEFAULT_NAMES, *_known_names()]))
    if isinstance(names, str):
        names = [names]
    chosen = list(dict.fromkeys(str(n).strip().lower() for n in names))
    known = _known_names()
    if not chosen or not all(chosen):
        raise InputError("no derivation named: choose from " + ", ".join(known))
    unknown = [name for name in chosen if name not in known]
    if unknown:
        raise InputError(f"unknown derivation {unknown[0]!r}: choose from {', '.join(known)}")
    return chosen


def _known_names() -> list[str]:
    """The names derive can derive (the built-in ones before the engine is importable)."""
    try:
        from derive import derivations
    except ImportError:
        return list(DEFAULT_NAMES)
    return list(derivations())


def derive_all(names: Sequence[str | Model], progress: Progress) -> list[Any]:
    """The Derivation of each built-in name or Model; an unknown name is an InputError."""
    from derive import derivation

    found = []
    for name in names:
        with timed(progress, f"deriving {printable(_label(name))}"):
            try:
                found.append(derivation(name))
            except DeriveError:
                raise
            except LookupError as error:
                raise InputError(
                    f"unknown derivation {name!r}: choose from {', '.join(_known_names())}"
                ) from error
    return found


def _label(which: str | Model) -> str:
    return which if isinstance(which, str) else which.name


def agreement_rows(names: Sequence[str | Model], progress: Progress) -> list[dict[str, Any]] | None:
    """Rows of the numeric agreement table (model, N, D, K and the two largest errors)."""
    try:
        from derive.numeric.agreement import agreement_table
    except ImportError:
        progress("numeric agreement: derive.numeric.agreement is not available, table left out")
        return None
    with timed(progress, "numeric checks"):
        rows = agreement_table(list(names))
    return [row.to_dict() if hasattr(row, "to_dict") else dict(row) for row in rows]


def _format_value(value: object) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def _as_text(value: object) -> str:
    """A check-report field as one line of text (mappings become ``a = 1, b = 2``)."""
    if value is None:
        return ""
    if isinstance(value, Mapping):
        if {"lhs", "rhs"} <= value.keys():
            return f"{value['lhs']} = {value['rhs']}"
        return ", ".join(f"{k} = {_format_value(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(_as_text(v) for v in value)
    return printable(_format_value(value))


Typeset = Mapping[tuple[int, int, int], tuple[str, str]]


def check_view(report: Mapping[str, Any], typeset: Typeset | None = None) -> dict[str, Any]:
    """A check report (``CheckReport.to_dict()``) with every field as text, for the template.

    ``typeset`` maps (line, block, step) to the two sides as LaTeX that derive printed from
    what it parsed (never the user's own source); a step found there is shown as math (its
    wrong side marked when it is refuted), and so is its correction when derive wrote it.
    Counterexample values become table cells, each name as math when it is a plain name and
    each value as math when it is a finite number (else both as escaped text).
    """
    fields = ("line", "block", "step", "lhs", "rhs", "verdict", "detail")
    steps = []
    for step in report.get("steps", []):
        row: dict[str, Any] = {key: _as_text(step.get(key)) for key in fields}
        row["counterexample"] = _as_text(step.get("counterexample"))
        row["correction"] = _as_text(step.get("correction"))
        sides = (typeset or {}).get((step.get("line"), step.get("block"), step.get("step")))
        lhs, rhs = (safe_math(side) for side in sides) if sides else (None, None)
        row["typeset"] = f"{lhs} = {rhs}" if lhs and rhs else None
        row["typeset_lhs"], row["typeset_rhs"] = (lhs, rhs) if row["typeset"] else (None, None)
        own = row["correction"] and row["correction"] != row["lhs"]  # not the user's line back
        row["typeset_correction"] = safe_math(row["correction"]) if lhs and own else None
        # "inherited": this line is right, the left side (the line before) was the slip
        row["wrong_side"] = "lhs" if step.get("diagnosis") == "inherited" else "rhs"
        row["counterexample_cells"] = _point_cells(step.get("counterexample"))
        steps.append(row)
    summary = report.get("summary") or {}
    return {
        "heading": _as_text(report.get("heading") or "Checking a hand-written derivation"),
        "file": _as_text(report.get("file")),
        "steps": steps,
        "refuted": [s for s in steps if s["verdict"] == "refuted"],
        "summary": [(str(k).replace("_", " "), _as_text(v)) for k, v in summary.items()],
    }


def _point_cells(point: object) -> list[dict[str, str | None]]:
    """Each name and value of a counterexample: the name as math when it is plain, else text."""
    if not isinstance(point, Mapping):
        return []
    return [
        {
            "math": _variable_math(str(name)),
            "name": _as_text(name),
            "number": _as_text(value) if _is_number(value) else None,
            "value": _as_text(value),
        }
        for name, value in point.items()
    ]


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


GREEK = frozenset(
    "alpha beta gamma delta Delta epsilon varepsilon eta theta lambda mu pi rho sigma tau phi "
    "varphi omega".split()
)
_EXAMPLE = re.compile(r"example\((.+), (\w+)\)")
_ENTRY = re.compile(r"([A-Za-z]\w*)\[(\w+(?:, \w+)*)\]")
_NAME = re.compile(r"([A-Za-z]+)(?:_(\w+))?")


def _variable_math(name: str) -> str | None:
    """``z[1]`` as ``z_{1}``, ``example(y, 2)`` as ``y^{(2)}``, ``theta`` as ``\\theta``;
    None for a name that is not one of these (shown as text instead)."""
    if match := _EXAMPLE.fullmatch(name):
        base = _variable_math(match[1])
        return base and safe_math(f"{{{base}}}^{{({match[2]})}}")
    if match := _ENTRY.fullmatch(name):
        base = _variable_math(match[1])
        return base and safe_math(f"{base}_{{{match[2].replace(' ', '')}}}")
    if match := _NAME.fullmatch(name):
        base = match[1]
        if base in GREEK:
            base = "\\" + base
        elif len(base) > 1:
            base = rf"\mathrm{{{base}}}"
        return safe_math(f"{base}_{{{match[2]}}}" if match[2] else base)
    return None


def check_report(check_file: Path | None, progress: Progress) -> dict[str, Any] | None:
    """The check of a hand-written derivation: the given file, else the shipped example."""
    path = Path(check_file) if check_file is not None else DEFAULT_CHECK
    if check_file is None and not path.exists():
        return None
    if not path.is_file():
        raise InputError(f"cannot read {printable(str(path))}: no such file")
    from derive.checking import check_file as check

    with timed(progress, f"checking {printable(path.name)}"):
        data = check(path).to_dict()
        typeset = reprinted(path, {(s["line"], s["block"], s["step"]) for s in data["steps"]})
    data["file"] = _shown(path)
    if check_file is None:
        data["heading"] = "The founding assignment, checked"
    return check_view(data, typeset)


def reprinted(path: Path, wanted: set[tuple[int, int, int]]) -> dict[tuple[int, int, int], tuple]:
    """The sides of the wanted steps as derive parsed and prints them (empty when the
    document cannot be read again, e.g. with a stand-in checker)."""
    if not wanted:
        return {}
    try:
        from derive.checking.interpret import read_document
        from derive.checking.render import latex
    except ImportError:
        return {}
    document = read_document(path.read_text(encoding="utf-8"), str(path))
    found = {}
    for claim in document.claims:
        key = (claim.line, claim.block, claim.step)
        if key in wanted and claim.lhs.expr is not None and claim.rhs.expr is not None:
            found[key] = (latex(claim.lhs.expr), latex(claim.rhs.expr))
    return found


def _shown(path: Path) -> str:
    """The path as a reader would write it: relative to the current folder when inside it."""
    relative = os.path.relpath(path.resolve())
    return str(path) if relative.startswith("..") else relative


def comparison(views: Sequence[DerivationView]) -> dict[str, Any]:
    """Data of the SVM-versus-softmax section: the table, the losses, summary numbers."""
    from derive.table import comparison_table

    rows = [row.to_dict() for row in comparison_table()]
    for row in rows:
        row["scores"] = [f"{s:g}" for s in row["scores"]]
    least_hinge = min(row["svm"] for row in rows)
    example = max((r for r in rows if r["svm"] == least_hinge), key=lambda r: r["softmax"])
    return {
        "rows": rows,
        "losses": [{"title": v.title, "tex": v.loss} for v in views if v.name in COMPARED],
        "figure": FIGURE,
        "ln10": math.log(10),
        "zero_hinge": sum(1 for row in rows if row["svm"] == 0),
        "smallest_softmax": min(row["softmax"] for row in rows),
        "example": example,
    }


def experiment_results(progress: Progress) -> dict[str, Any]:
    """Softmax and SVM trained on real data (derive.experiments), from the cache when there."""
    from derive.experiments.cache import cached_experiments

    with timed(progress, "experiments"):
        return cached_experiments(progress=progress)


@dataclass(frozen=True)
class Group:
    """A run of derivations of one kind, listed under its title in the contents."""

    title: str
    phrase: str
    derivations: tuple[DerivationView, ...]


GROUPS = {
    "assignment": ("The assignment's models", "the assignment's models"),
    "course": ("More losses of a first course", "more losses of a first course"),
    "network": ("Neural networks", "neural networks"),
    "file": ("Your models", "models declared in files"),
}
NETWORK = ("The two-layer network", "the two-layer network")


def _kind(view: DerivationView, from_file: bool) -> str:
    if from_file:
        return "file"
    if view.name in DEFAULT_NAMES:
        return "assignment"
    return "network" if view.gradients else "course"


def group_views(views: Sequence[DerivationView], files: int = 0) -> list[Group]:
    """The derivations in runs of one kind, in their order (the last ``files`` views come
    from model files): the assignment's models, more losses, networks, your models."""
    kinds = [_kind(v, n >= len(views) - files) for n, v in enumerate(views)]
    groups = []
    for kind, run in groupby(zip(kinds, views, strict=True), key=lambda pair: pair[0]):
        members = tuple(view for _, view in run)
        title, phrase = GROUPS[kind]
        if kind == "network" and [v.name for v in members] == ["two-layer"]:
            title, phrase = NETWORK
        groups.append(Group(title, phrase, members))
    return groups


def report_context(
    views: Sequence[DerivationView],
    title: str,
    agreement: list[dict[str, Any]] | None = None,
    compare: dict[str, Any] | None = None,
    check: dict[str, Any] | None = None,
    date: str | None = None,
    experiments: dict[str, Any] | None = None,
    files: int = 0,
) -> dict[str, Any]:
    """Everything templates/report.tex needs (the last ``files`` views come from model
    files)."""
    counts = sum((v.counts for v in views), NO_COUNTS)
    today = datetime.date.today()
    groups = group_views(views, files)
    return {
        "title": title,
        "date": date or f"{today.day} {today:%B %Y}",
        "derivations": list(views),
        "groups": groups if len(groups) > 1 else [],
        "counts": counts,
        "agreement": agreement,
        "comparison": compare,
        "check": check,
        "experiments": experiments,
        "note_width": NOTE_FRACTION,
    }


def render_report(context: Mapping[str, Any]) -> str:
    """The LaTeX source of the report."""
    return render("report.tex", **context)


def build_report(
    output: Path,
    names: Sequence[str] | None = None,
    title: str | None = None,
    check_file: Path | None = None,
    progress: Progress = print,
    experiments: bool = True,
    models: Sequence[Model] = (),
) -> Path:
    """Build the PDF report of the named built-in derivations, then of ``models`` (your own,
    e.g. read by :func:`derive.load_model`), at ``output`` (a .pdf) and return it.

    The .tex is written beside the PDF before compiling, so it exists even when TeX is
    missing (then a BuildError says how to install it). A failed build leaves any earlier
    PDF untouched. ``experiments`` adds the section that trains both classifiers on real
    data (when the report has both the softmax and the SVM derivation).
    """
    chosen = check_names(names)
    title = check_title(title)
    if check_file is not None and not Path(check_file).is_file():
        raise InputError(f"cannot read {printable(str(check_file))}: no such file")
    output = check_output(output)
    derivations = derive_all([*chosen, *models], progress)
    views = [layout_derivation(d) for d in derivations]
    agreement = agreement_rows([*chosen, *models], progress)
    check = check_report(check_file, progress)
    compare, files = None, {}
    if any(name in COMPARED for name in chosen):
        from derive.render.figure_cache import cached_figures
        from derive.render.figures import loss_vs_margin

        with timed(progress, "figures"):
            compare = comparison(views)
            files.update(cached_figures(FIGURE, None, lambda: {FIGURE: loss_vs_margin()}))
    measured = None
    if experiments and all(name in chosen for name in COMPARED):
        from derive.render.experiments import experiment_figures, experiment_view

        data = experiment_results(progress)
        with timed(progress, "experiment figures"):
            measured = experiment_view(data)
            files.update(cached_figures("experiments", data, lambda: experiment_figures(data)))
    context = report_context(
        views, title, agreement, compare, check, experiments=measured, files=len(models)
    )
    source = render_report(context)
    with timed(progress, f"compiling {printable(output.name)}"):
        compile_pdf(source, output, files)
    return output
