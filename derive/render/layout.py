"""Turn a Derivation into display-ready pieces: chains of equalities, case blocks, notes.

Everything mathematical is printed here (through :mod:`derive.printing`); the templates
only place the resulting strings. A chain is a run of steps where each step's left side is
the previous step's right side, shown as ``lhs = rhs_1 = rhs_2``. Lines too wide for the
page are broken at the terms of a sum (or the factors of a product), then set in ``\\small``,
and as a last resort the notes leave the margin for a lettered legend under the chain.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from itertools import groupby

import sympy as sp

from derive.printing import latex, text
from derive.render.breaking import break_points
from derive.render.measure import BINARY, width_em
from derive.render.templates import tex_escape
from derive.render.view import (
    Aligned,
    CaseBlock,
    CaseSummary,
    Counts,
    DerivationView,
    Display,
    GradientView,
    Line,
    Note,
    Results,
    SectionView,
)
from derive.steps import Definition, Derivation, Section, Step, UpdateRule, Verification

TEXT_WIDTH_EM = 39.0
"""The report's \\linewidth in em (A4, 2.5 cm margins, 11 pt), a little under the true 41."""
NOTE_FRACTION = 0.3
"""Width of the note column beside equations, as a fraction of \\linewidth."""
SMALL = 0.9
"""Size of \\small relative to the body font."""
CONTINUATION = r"\quad {} "
MAX_BREAK_DEPTH = 3
"""How many nested brackets a long line may be broken inside."""
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def note_for(step: Step) -> Note:
    """The note of a verified step."""
    v: Verification = step.verification
    return Note(step.rule, step.justification, v.short(), v.method, v.describe())


def _pack(pieces: Sequence[str], first_room: float, room: float) -> list[str] | None:
    """Greedily join pieces into lines of the given widths; None when one piece cannot fit."""
    lines: list[str] = []
    current = ""
    for piece in pieces:
        candidate = f"{current} {piece}" if current else piece
        limit = first_room if not lines else room
        if width_em(candidate) <= limit:
            current = candidate
            continue
        if not current:
            return None
        lines.append(current)
        current = piece
        if width_em(current) > room:
            return None
    lines.append(current)
    return lines


def _rhs_lines(rhs: sp.Expr, room: float) -> list[str] | None:
    """A right-hand side as one or more display lines fitting ``room`` em."""
    return _tex_lines(latex(rhs), room)


def _tex_lines(tex: str, room: float) -> list[str] | None:
    """Display math broken into lines of at most ``room`` em: first at the top level, then
    ever deeper inside brackets; None when even that leaves a piece too wide."""
    if width_em(tex) <= room:
        return [tex]
    for depth in range(MAX_BREAK_DEPTH + 1):
        packed = _pack(break_points(tex, depth), room, room - width_em(CONTINUATION))
        if packed is not None:
            return packed
    return None


@dataclass
class _Mode:
    """How a display is being laid out: the room for equations, and how notes are placed."""

    room: float
    legend: bool
    labels: int = 0

    def label(self) -> str:
        if not self.legend:
            return ""
        self.labels += 1
        return LETTERS[(self.labels - 1) % len(LETTERS)]


def _chain_rows(steps: Sequence[Step], mode: _Mode, lhs: str | None = None) -> list[Line] | None:
    """The rows of one chain, or None if it does not fit the mode's room."""
    lhs = latex(steps[0].lhs) if lhs is None else lhs
    room = mode.room - width_em(lhs) - BINARY
    rows: list[Line] = []
    for position, step in enumerate(steps):
        broken = _rhs_lines(step.rhs, room)
        if broken is None:
            return None
        first = lhs if position == 0 else ""
        rows.append(Line(first, "=", broken[0], note_for(step), mode.label()))
        rows.extend(Line(rhs=CONTINUATION + more) for more in broken[1:])
    return rows


def _rows(steps: Sequence[Step], mode: _Mode) -> list[Line] | None:
    """All chains of the steps, each followed by its side derivations, with gaps between."""
    rows: list[Line] = []
    for chain in chains_of(steps):
        if rows:
            rows[-1] = replace(rows[-1], gap=True)
        chain_rows = _chain_rows(chain, mode)
        if chain_rows is None:
            return None
        rows.extend(chain_rows)
        for step in chain:
            for sub in chains_of(step.substeps):
                sub_rows = _chain_rows(sub, mode)
                if sub_rows is None:
                    return None
                rows.append(Line(intertext="where"))
                rows.extend(sub_rows)
    return rows


def _beside_room() -> float:
    return TEXT_WIDTH_EM * (1 - NOTE_FRACTION) - 2.0


def layout_steps(steps: Sequence[Step]) -> Aligned:
    """Lay out chains of steps: notes beside if they fit, else smaller, else in a legend."""
    below = TEXT_WIDTH_EM - 3.0
    attempts = ((_beside_room(), False, False), (_beside_room() / SMALL, False, True))
    attempts += ((below, True, False), (below / SMALL, True, True))
    for room, legend, small in attempts:
        rows = _rows(steps, _Mode(room, legend))
        if rows is not None:
            return Aligned(tuple(rows), small=small, legend=legend)
    mode = _Mode(float("inf"), legend=True)
    return Aligned(tuple(_rows(steps, mode) or ()), small=True, legend=True)


def chains_of(steps: Iterable[Step]) -> list[list[Step]]:
    """Split steps into chains: a step continues the chain when its lhs is the previous rhs."""
    chains: list[list[Step]] = []
    for step in steps:
        if chains and chains[-1][-1].rhs == step.lhs:
            chains[-1].append(step)
        else:
            chains.append([step])
    return chains


def _case_key(step: Step) -> sp.Basic | None:
    if step.case is None or step.case.holds_everywhere:
        return None
    return step.case.condition


def _case_summary(blocks: Sequence[tuple[sp.Basic, list[Step]]]) -> CaseSummary | None:
    """``lhs = {...}`` for the last left side whose chain appears under every case."""
    if len(blocks) < 2:
        return None
    ends = []
    for _, steps in blocks:
        ends.append({chain[0].lhs: chain[-1].rhs for chain in chains_of(steps)})
    common = [lhs for lhs in ends[0] if all(lhs in e for e in ends[1:])]
    if not common:
        return None
    lhs = common[-1]
    rows = tuple(
        (latex(e[lhs]), latex(condition)) for (condition, _), e in zip(blocks, ends, strict=True)
    )
    return CaseSummary(latex(lhs), rows)


def layout_section(section: Section) -> SectionView:
    """A section grouped into case blocks, with a cases summary when the cases share a lhs."""
    blocks: list[CaseBlock] = []
    cased: list[tuple[sp.Basic, list[Step]]] = []
    for key, group in groupby(section.steps, key=_case_key):
        steps = list(group)
        case = steps[0].case
        condition = "" if key is None else latex(key)
        description = ""
        if case is not None and not case.holds_everywhere and case.text != text(key):
            description = case.text
        blocks.append(CaseBlock(condition, description, layout_steps(steps)))
        if key is not None:
            cased.append((key, steps))
    return SectionView(
        section.key, section_heading(section), section.intro, tuple(blocks), _case_summary(cased)
    )


def section_heading(section: Section) -> str:
    """The section title as LaTeX: escaped words, then the subject as a formula."""
    heading = tex_escape(section.title)
    if section.subject is not None:
        pdf = tex_escape(text(section.subject))
        heading += f" \\texorpdfstring{{${latex(section.subject)}$}}{{{pdf}}}"
    return heading


def layout_definitions(definitions: Sequence[Definition]) -> Aligned:
    """Definitions as aligned rows with their descriptions beside them; long ones broken."""
    lines: list[Line] = []
    small = False
    for d in definitions:
        lhs = latex(d.lhs)
        room = _beside_room() - width_em(lhs) - BINARY
        broken = _rhs_lines(d.rhs, room) or [latex(d.rhs)]
        small = small or any(width_em(piece) > room for piece in broken)
        lines.append(Line(lhs, "=", broken[0], Note("", d.description)))
        lines.extend(Line(rhs=CONTINUATION + more) for more in broken[1:])
    return Aligned(tuple(lines), small=small)


def chain_rule(chain: Sequence[sp.Expr]) -> tuple[str, str, str]:
    """For a path (L, y, z, w): dL/dw, the chain-rule product, and the path as w -> z -> y -> L."""
    if len(chain) < 2:
        return "", "", ""
    factors = [sp.Derivative(a, b) for a, b in zip(chain, chain[1:], strict=False)]
    product = factors[0] if len(factors) == 1 else sp.Mul(*factors, evaluate=False)
    path = r" \to ".join(latex(v) for v in reversed(chain))
    return latex(sp.Derivative(chain[0], chain[-1])), latex(product), path


def _display(step: Step, boxed: bool) -> Display:
    """An equation with its note beside it, or under it, smaller, or broken, as it needs."""
    lhs, rhs = latex(step.lhs), latex(step.rhs)
    frame = 1.0 if boxed else 0.0
    below = TEXT_WIDTH_EM - 3.0
    attempts = ((_beside_room(), False, False), (_beside_room() / SMALL, True, False))
    attempts += ((below, False, True), (below / SMALL, True, True))
    for room, small, note_below in attempts:
        lines = _tex_lines(rhs, room - width_em(lhs) - BINARY - frame)
        if lines is not None:
            lines[1:] = [CONTINUATION + line for line in lines[1:]]
            return Display(lhs, tuple(lines), note_for(step), boxed, small, note_below)
    return Display(lhs, (rhs,), note_for(step), boxed, small=True, note_below=True)


def layout_update(derivation: Derivation) -> Aligned:
    """``parameter <- w - alpha dJ/dw = ...`` as an aligned display of two or more rows,
    after the derivation of dJ/dw when the update has one (a penalty in the cost)."""
    return _layout_rule(derivation.update_rule)


def _layout_rule(rule: UpdateRule) -> Aligned:
    """One update rule, after the derivation of dJ/dw when it has one."""
    mode = _Mode(_beside_room(), legend=False)
    before: list[Line] = []
    for chain in chains_of(rule.step.substeps):
        rows = _chain_rows(chain, mode) or [
            Line(latex(step.lhs) if n == 0 else "", "=", latex(step.rhs), note_for(step))
            for n, step in enumerate(chain)
        ]
        before.extend(rows)
    if before:
        before[-1] = replace(before[-1], gap=True)
    first = Line(latex(rule.parameter), r"\leftarrow", latex(rule.step.lhs))
    rest = _chain_rows([rule.step], mode, lhs="")
    if rest is None:
        rest = [Line("", "=", latex(rule.step.rhs), note_for(rule.step))]
    return Aligned((*before, first, *rest), small=len(rest) > 1 or bool(before))


def _all_steps(derivation: Derivation) -> list[Step]:
    """Every distinct step shown, substeps included, each once."""
    seen: dict[Step, None] = {}

    def visit(step: Step) -> None:
        seen.setdefault(step, None)
        for sub in step.substeps:
            visit(sub)

    for step in derivation.steps:
        visit(step)
    for gradient in derivation.per_parameter:
        for step in (gradient.result, gradient.vector_form, gradient.update_rule.step):
            visit(step)
    return list(seen)


def count_verifications(derivation: Derivation) -> Counts:
    """How many distinct steps were proved symbolically and how many checked numerically."""
    steps = _all_steps(derivation)
    numeric = [s.verification.points for s in steps if s.verification.method == "numeric"]
    return Counts(
        steps=len(steps),
        symbolic=len(steps) - len(numeric),
        numeric=len(numeric),
        fewest_points=min(numeric, default=0),
        most_points=max(numeric, default=0),
    )


def loss_definition(derivation: Derivation) -> str:
    """The definition of the model's loss as LaTeX (``L = ...``), or '' if it has none."""
    loss = derivation.model.loss
    for d in derivation.definitions:
        if d.lhs == loss:
            return f"{latex(d.lhs)} = {latex(d.rhs)}"
    return ""


def states_chain_rule(derivation: Derivation) -> bool:
    """True when a section already shows dL/dw as a product of derivatives."""
    chain = derivation.model.chain
    gradient = sp.Derivative(chain[0], chain[-1])
    return any(
        step.lhs == gradient
        and isinstance(step.rhs, sp.Mul)
        and all(isinstance(f, sp.Derivative) for f in step.rhs.args)
        for step in derivation.steps
    )


def layout_gradients(derivation: Derivation) -> tuple[GradientView, ...]:
    """Each parameter's result, matrix form and update of a model with several parameters;
    a matrix defined for an earlier gradient (Delta) is not defined again."""
    views, defined = [], set()
    for g in derivation.gradients:
        where = tuple(d for d in g.vector_where if d not in defined)
        defined.update(where)
        views.append(
            GradientView(
                result=_display(g.result, boxed=True),
                vector_form=_display(g.vector_form, boxed=False),
                vector_where=layout_definitions(where),
                update=_layout_rule(g.update_rule),
            )
        )
    return tuple(views)


def joint_results(views: Sequence[GradientView]) -> Results | None:
    """The boxed results of several parameters as one box, when they share their note and
    each fits beside it (else None: each is shown in its own box)."""
    displays = [g.result for g in views]
    shown = {replace(d.note, detail="") for d in displays}  # the detail is not printed
    if len(displays) < 2 or len(shown) > 1:
        return None
    if any(d.note_below for d in displays):
        return None
    rows = tuple((d.lhs, d.lines) for d in displays)
    return Results(rows, displays[0].note, small=any(d.small for d in displays))


def joint_matrix_forms(derivation: Derivation) -> Aligned | None:
    """The matrix forms of several parameters as one aligned display, the matrices they
    introduce after a "where", the notes in a lettered legend underneath."""
    if len(derivation.gradients) < 2:
        return None
    mode = _Mode(TEXT_WIDTH_EM - 3.0, legend=True)
    lines: list[Line] = []
    defined: list[Definition] = []
    for g in derivation.gradients:
        rows = _chain_rows([g.vector_form], mode)
        if rows is None:
            return None
        lines.extend(rows)
        lines[-1] = replace(lines[-1], gap=True)
        defined.extend(d for d in g.vector_where if d not in defined)
    if defined:
        lines.append(Line(intertext="where"))
    for d in defined:
        rhs = _rhs_lines(d.rhs, mode.room - width_em(latex(d.lhs)) - BINARY) or [latex(d.rhs)]
        lines.append(Line(latex(d.lhs), "=", rhs[0], Note("", d.description), mode.label()))
        lines.extend(Line(rhs=CONTINUATION + more) for more in rhs[1:])
    return Aligned(tuple(lines), legend=True)


def joint_updates(views: Sequence[GradientView]) -> Aligned | None:
    """The update rules of several parameters as one aligned display, a gap between them."""
    if len(views) < 2:
        return None
    lines: list[Line] = []
    for g in views:
        lines.extend(g.update.lines)
        lines[-1] = replace(lines[-1], gap=True)
    lines[-1] = replace(lines[-1], gap=False)
    return Aligned(tuple(lines), small=any(g.update.small for g in views))


def layout_derivation(derivation: Derivation) -> DerivationView:
    """The whole derivation, laid out (the chain-rule overview only if no section shows it;
    a model with several parameters states each chain in its first section)."""
    gradient, product, path = chain_rule(derivation.model.chain)
    if states_chain_rule(derivation):
        gradient = product = ""
    if derivation.gradients:
        gradient = product = path = ""
    gradients = layout_gradients(derivation)
    return DerivationView(
        name=derivation.name,
        title=derivation.title,
        summary=derivation.summary,
        definitions=layout_definitions(derivation.definitions),
        gradient=gradient,
        chain_rule=product,
        path=path,
        sections=tuple(layout_section(s) for s in derivation.sections),
        result=_display(derivation.result, boxed=True),
        vector_form=_display(derivation.vector_form, boxed=False),
        vector_where=layout_definitions(derivation.vector_where),
        update=layout_update(derivation),
        notes=derivation.notes,
        counts=count_verifications(derivation),
        loss=loss_definition(derivation),
        gradients=gradients,
        results=joint_results(gradients),
        matrix_forms=joint_matrix_forms(derivation),
        updates=joint_updates(gradients),
    )
