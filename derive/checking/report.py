"""Format check reports: one document as plain text (one entry per step, details under refuted
ones); a batch of documents as text (a line per file and a total), one JSON document or CSV."""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

from derive.checking.results import VERDICTS, CheckReport, StepResult
from derive.safe_text import printable

if TYPE_CHECKING:
    from derive.checking.batch import FileResult

CSV_HEADER = ("file", "line", "block", "step", "verdict", "detail")

WIDTH = 100


def format_text(report: CheckReport) -> str:
    """The report as text: each step with its line and verdict, then a summary line."""
    out = [f"{report.file}: {len(report.steps)} steps checked"]
    if report.definitions:
        out.append("definitions used:")
        out.extend(f"  line {d.line}: {_shorten(d.text, WIDTH - 12)}" for d in report.definitions)
    for step in report.steps:
        out.extend(_step(step))
    counts = report.summary
    out.append("summary: " + ", ".join(f"{counts[v]} {v}" for v in counts))
    return "\n".join(out) + "\n"


def _step(step: StepResult) -> list[str]:
    verdict = step.verdict.upper() if step.verdict == "refuted" else step.verdict
    case = f"  [case {step.case}]" if step.case else ""
    lines = [f"line {step.line} (block {step.block}, step {step.step}): {verdict}{case}"]
    if step.verdict != "refuted":
        lines.append(f"    {_shorten(step.lhs, 40)} = {_shorten(step.rhs, WIDTH - 50)}")
        lines.append(f"    {step.detail}")
        return lines
    lines.append(f"    {_shorten(step.lhs, WIDTH - 4)}")
    lines.append(f"  = {' '.join(step.rhs.split())}")
    if step.counterexample:
        point = ", ".join(f"{_name(k)} = {_value(v)}" for k, v in step.counterexample)
        lines.append(f"    counterexample: {point}")
    lines.extend(f"    {part}" for part in step.detail.split("; "))
    if step.correction:
        lines.append(f"    correction: = {step.correction}")
    return lines


def _name(key: str) -> str:
    """z[1] -> z_1, example(y, 2) -> y^(2)."""
    match = re.fullmatch(r"example\((.+), (\w+)\)", key)
    if match:
        return f"{_name(match.group(1))}^({match.group(2)})"
    return re.sub(r"\[(.+?)\]", r"_\1", key)


def _value(value: float) -> str:
    return str(value) if isinstance(value, int) else f"{value:.6g}"


def _shorten(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


def batch_summary(results: Sequence[FileResult]) -> dict[str, int]:
    """Files, files not read, steps, and steps with each verdict, over a batch."""
    counts = {"files": len(results), "not_read": 0, "steps": 0} | dict.fromkeys(VERDICTS, 0)
    for result in results:
        if result.report is None:
            counts["not_read"] += 1
            continue
        counts["steps"] += len(result.report.steps)
        for verdict, count in result.report.summary.items():
            counts[verdict] += count
    return counts


def batch_dict(results: Sequence[FileResult]) -> dict[str, Any]:
    """``{"files": [each file's report, or {"file", "error"}], "summary": {...}}``."""
    files = [
        r.report.to_dict() if r.report is not None else {"file": r.file, "error": r.error}
        for r in results
    ]
    return {"files": files, "summary": batch_summary(results)}


def format_batch_text(results: Sequence[FileResult]) -> str:
    """A line per file (its counts and the lines of its refuted steps) and a total."""
    out = []
    for result in results:
        if result.report is None:
            out.append(f"{result.file}: not checked: {result.error}")
            continue
        report = result.report
        refuted = sorted({s.line for s in report.refuted})
        lines = "line" if len(refuted) == 1 else "lines"
        where = f" (refuted: {lines} {', '.join(map(str, refuted))})" if refuted else ""
        out.append(
            f"{report.file}: {_many(len(report.steps), 'step')}, {_counts(report.summary)}{where}"
        )
    total = batch_summary(results)
    unread = f", {total['not_read']} not read" if total["not_read"] else ""
    out.append(
        f"total: {_many(total['files'], 'file')}{unread}, {_many(total['steps'], 'step')}, "
        f"{_counts(total)}"
    )
    return "\n".join(out) + "\n"


def _many(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{counts[v]} {v}" for v in VERDICTS)


def write_csv(results: Sequence[FileResult], stream: TextIO) -> None:
    """One row per step (file, line, block, step, verdict, detail) under a header; a file that
    could not be read is one row with verdict ``error`` and the reason."""
    writer = csv.writer(stream)
    writer.writerow(CSV_HEADER)
    for result in results:
        if result.report is None:
            writer.writerow(
                (printable(result.file), "", "", "", "error", printable(result.error or ""))
            )
            continue
        for s in result.report.steps:
            row = (result.report.file, s.line, s.block, s.step, s.verdict, s.detail)
            writer.writerow(tuple(printable(str(cell)) for cell in row))
