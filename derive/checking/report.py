"""Format a check report as plain text: one entry per step, details under refuted ones."""

from __future__ import annotations

import re

from derive.checking.results import CheckReport, StepResult

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
