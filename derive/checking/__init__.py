"""``derive check``: verify a hand-written derivation (Markdown, LaTeX); point at the wrong line.

    report = check_file("assignment.md")
    print(format_text(report))          # or json.dumps(report.to_dict())

Pipeline: :mod:`.extract` finds the math, :mod:`.chains` cuts it into chains of equalities,
:mod:`.vocabulary` and :mod:`.parser` read LaTeX into SymPy (never evaluating the text),
:mod:`.interpret` tells definitions and cases from claims, :mod:`.checker` decides each claim
with :func:`derive.verify.compare`, and :mod:`.report` formats the result.

Limits: files over ``MAX_FILE_BYTES`` (1 MB) are refused. A document is read and checked in
worker processes whose CPU time (per step and per document) and memory are bounded by the
operating system (:mod:`derive.limits`, :mod:`.workers`), whichever thread calls; a step that runs
out is ``unknown``, with a reason naming the limit, and the rest is still checked. Many files
are checked at once, one per core, by :func:`derive.checking.batch.check_files`.
"""

from __future__ import annotations

import os
from pathlib import Path

from derive.checking.report import format_text
from derive.checking.results import CheckReport, StepResult
from derive.checking.workers import check_in_workers, not_checked
from derive.errors import InputError
from derive.limits import Limits

__all__ = [
    "CheckReport",
    "Limits",
    "StepResult",
    "check",
    "check_file",
    "read_text",
    "format_text",
    "MAX_FILE_BYTES",
]

MAX_FILE_BYTES = 1_000_000


def check(text: str, *, source: str = "<text>", limits: Limits | None = None) -> CheckReport:
    """Check every step of a derivation given as text; never raises on bad input.

    The work runs in worker processes bounded by ``limits`` (generous defaults).
    """
    if len(text) > MAX_FILE_BYTES:
        return not_checked(source, f"the text is longer than {MAX_FILE_BYTES} characters")
    return check_in_workers(text, source, limits or Limits())


def check_file(path: str | os.PathLike[str], *, limits: Limits | None = None) -> CheckReport:
    """Check a Markdown or LaTeX file; InputError if it is missing, unreadable, binary or > 1 MB."""
    return check(read_text(path), source=str(path), limits=limits)


def read_text(path: str | os.PathLike[str]) -> str:
    """The text of a Markdown or LaTeX file; InputError if it is missing, unreadable, binary,
    not UTF-8 or over ``MAX_FILE_BYTES`` (what ``derive check`` and model files accept)."""
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
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{file} is not UTF-8 text") from None
