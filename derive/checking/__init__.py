"""``derive check``: verify a hand-written derivation (Markdown, LaTeX); point at the wrong line.

    report = check_file("assignment.md")
    print(format_text(report))          # or json.dumps(report.to_dict())

Pipeline: :mod:`.extract` finds the math, :mod:`.chains` cuts it into chains of equalities,
:mod:`.vocabulary` and :mod:`.parser` read LaTeX into SymPy (never evaluating the text),
:mod:`.interpret` tells definitions and cases from claims, :mod:`.checker` decides each claim
with :func:`derive.verify.compare`, and :mod:`.report` formats the result.

Limits: files over ``MAX_FILE_BYTES`` (1 MB) are refused; each equality has a time limit and
the whole document a time budget (see :mod:`.checker`); a step that runs out is ``unknown``.
"""

from __future__ import annotations

import os
from pathlib import Path

from derive.checking.checker import check_claims
from derive.checking.interpret import read_document
from derive.checking.report import format_text
from derive.checking.results import CheckReport, DefinitionEntry, StepResult
from derive.errors import InputError

__all__ = ["CheckReport", "StepResult", "check", "check_file", "format_text", "MAX_FILE_BYTES"]

MAX_FILE_BYTES = 1_000_000


def _not_checked(source: str, why: str) -> CheckReport:
    """A report of one unknown entry for a document that could not be checked at all."""
    entry = StepResult(
        line=1, block=0, step=0, lhs="", rhs="", verdict="unknown", detail=f"not checked: {why}"
    )
    return CheckReport(source, (entry,))


def check(text: str, *, source: str = "<text>") -> CheckReport:
    """Check every step of a derivation given as text; never raises on bad input."""
    if len(text) > MAX_FILE_BYTES:
        return _not_checked(source, f"the text is longer than {MAX_FILE_BYTES} characters")
    try:
        document = read_document(text, source)
        steps = check_claims(document)
    except Exception as exc:  # noqa: BLE001 - check() reports, it never raises on input
        return _not_checked(source, f"internal error ({type(exc).__name__}: {exc})")
    definitions = tuple(DefinitionEntry(d.line, d.source) for d in document.definitions)
    return CheckReport(source, tuple(steps), definitions)


def check_file(path: str | os.PathLike[str]) -> CheckReport:
    """Check a Markdown or LaTeX file; InputError if it is missing, unreadable, binary or > 1 MB."""
    file = Path(path)
    try:
        size = file.stat().st_size
    except OSError as exc:
        raise InputError(f"cannot read {file}: {exc.strerror or exc}") from None
    if not file.is_file():
        raise InputError(f"cannot read {file}: not a regular file")
    if size > MAX_FILE_BYTES:
        raise InputError(
            f"{file} is too large to check ({size} bytes; the limit is {MAX_FILE_BYTES})"
        )
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {file}: {exc.strerror or exc}") from None
    if b"\x00" in data:
        raise InputError(f"{file} is a binary file, not Markdown or LaTeX")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{file} is not UTF-8 text") from None
    return check(text, source=str(path))
