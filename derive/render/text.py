"""A derivation as plain text for a terminal: every step with its rule, case and check."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterator

from derive.printing import text
from derive.render.layout import chains_of
from derive.steps import Derivation, Step

INDENT = "  "
WIDTH = 88
_IN_TEXT = {
    r"\|": "||",
    r"\leq": "<=",
    r"\geq": ">=",
    r"\cdot": "*",
    r"\ldots": "...",
    r"\partial ": "d",
}
_SCRIPT = re.compile(r"([_^])\{(\w+)\}")  # h_{m} reads h_m in a terminal
_COMMAND = re.compile(r"\\(?:mathcal|mathrm|mathbf)\{(\w+)\}|\\([A-Za-z]+)")


def plain(prose: str) -> str:
    """Prose with its inline math (``$\\lambda w$``) as a terminal shows it (``lambda w``)."""

    def formula(match: re.Match[str]) -> str:
        math = match[1]
        for command, shown in _IN_TEXT.items():
            math = math.replace(command, shown)
        return _SCRIPT.sub(r"\1\2", _COMMAND.sub(lambda m: m[1] or m[2], math))

    return re.sub(r"\$([^$]+)\$", formula, prose)


def _wrapped(prefix: str, body: str) -> list[str]:
    return textwrap.wrap(body, WIDTH, initial_indent=prefix, subsequent_indent=" " * len(prefix))


def _step_notes(step: Step, indent: str) -> list[str]:
    """The rule, why it holds, and how it was checked, under the step's line."""
    why = f"{step.rule}: {plain(step.justification)}" if step.justification else step.rule
    lines = _wrapped(f"{indent}    by ", why)
    lines += _wrapped(f"{indent}    ", step.verification.describe())
    return lines


def _chain_lines(steps: list[Step], indent: str) -> Iterator[str]:
    """``lhs = rhs_1``, then ``= rhs_2`` under the equals sign, each with its notes."""
    lhs = text(steps[0].lhs)
    pad = " " * len(lhs)
    for position, step in enumerate(steps):
        yield f"{indent}{lhs if position == 0 else pad} = {text(step.rhs)}"
        yield from _step_notes(step, indent)
        for sub in chains_of(step.substeps):
            yield f"{indent}    where"
            yield from _chain_lines(sub, indent + "      ")


def _case_label(step: Step) -> str:
    case = step.case
    if case is None or case.holds_everywhere:
        return ""
    condition = text(case.condition)
    return condition if case.text == condition else f"{condition} ({plain(case.text)})"


def derivation_text(derivation: Derivation) -> str:
    """The whole derivation as plain text, one step per line with its notes under it."""
    out = [derivation.title, "=" * len(derivation.title)]
    out += textwrap.wrap(plain(derivation.summary), WIDTH)
    out += ["", "Definitions"]
    out += [
        f"{INDENT}{text(d.lhs)} = {text(d.rhs)}    ({plain(d.description)})"
        for d in derivation.definitions
    ]
    for number, section in enumerate(derivation.sections, start=1):
        out += ["", f"{number}. {section.heading}"]
        out += _wrapped(INDENT, plain(section.intro)) if section.intro else []
        case = ""
        for chain in chains_of(section.steps):
            label = _case_label(chain[0])
            if label and label != case:
                out.append(f"{INDENT}Case {label}:")
            case = label
            indent = INDENT * (2 if label else 1)
            out.extend(_chain_lines(chain, indent))
    gradients = derivation.per_parameter
    several = len(gradients) > 1
    out += ["", "Results" if several else "Result"]
    for g in gradients:
        out.append(f"{INDENT}{text(g.result.lhs)} = {text(g.result.rhs)}")
        out += _step_notes(g.result, INDENT)
    out += ["", "Matrix form" if several else "Vector form"]
    defined: set = set()  # a matrix defined for an earlier gradient is not defined again
    for g in gradients:
        out.append(f"{INDENT}{text(g.vector_form.lhs)} = {text(g.vector_form.rhs)}")
        for where in (w for w in g.vector_where if w not in defined):
            defined.add(where)
            out.append(
                f"{INDENT}where {text(where.lhs)} = {text(where.rhs)}  ({plain(where.description)})"
            )
        out += _step_notes(g.vector_form, INDENT)
    out += ["", "Gradient descent"]
    for g in gradients:
        update = g.update_rule
        for chain in chains_of(update.step.substeps):  # dJ/dw, when the cost has a penalty
            out.extend(_chain_lines(chain, INDENT))
        out.append(f"{INDENT}{text(update.parameter)} <- {text(update.step.lhs)}")
        out.append(f"{INDENT}{' ' * len(text(update.parameter))}  = {text(update.step.rhs)}")
        out += _step_notes(update.step, INDENT)
    for note in derivation.notes:
        out += [""] + _wrapped("Note: ", plain(note))
    return "\n".join(out) + "\n"
