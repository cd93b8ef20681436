"""A derivation as LaTeX: the full fragment for reports, and a compact one for notebooks."""

from __future__ import annotations

from dataclasses import dataclass

from derive.printing import latex
from derive.render.layout import (
    NOTE_FRACTION,
    chain_rule,
    chains_of,
    layout_derivation,
    states_chain_rule,
)
from derive.render.templates import render
from derive.steps import Definition, Derivation


@dataclass(frozen=True)
class KeyResult:
    """One line of the notebook summary: lhs = rhs, under a condition if it has one."""

    lhs: str
    rhs: str
    condition: str = ""


def derivation_fragment(derivation: Derivation, heading: str = "section") -> str:
    """The derivation as a LaTeX fragment for a document that loads amsmath, amssymb,
    mathtools and xcolor; ``heading`` is the sectioning command of its title."""
    view = layout_derivation(derivation)
    return render("derivation.tex", d=view, heading=heading, note_width=NOTE_FRACTION)


def key_results(derivation: Derivation) -> list[KeyResult]:
    """Where each section's chains end (first left side = last right side), each once, without
    the final results, which are shown boxed."""
    finals = {KeyResult(latex(g.result.lhs), latex(g.result.rhs)) for g in derivation.per_parameter}
    results: dict[KeyResult, None] = {}
    for section in derivation.sections:
        for chain in chains_of(section.steps):
            case = chain[0].case
            condition = "" if case is None or case.holds_everywhere else latex(case.condition)
            results.setdefault(KeyResult(latex(chain[0].lhs), latex(chain[-1].rhs), condition))
    return [r for r in results if r not in finals]


def derivation_notebook(derivation: Derivation) -> str:
    """A compact ``$$\\begin{aligned}...$$`` of the key results, with no custom macros, for
    Jupyter's ``_repr_latex_`` (MathJax)."""
    gradient, product, _ = chain_rule(derivation.model.chain)
    if states_chain_rule(derivation) or derivation.gradients:
        gradient = product = ""
    shown: set[Definition] = set()
    where = []  # the matrices each matrix form introduces (G, Delta), each defined once
    for g in derivation.per_parameter:
        new = [d for d in g.vector_where if d not in shown]
        shown.update(new)
        where.append([(latex(d.lhs), latex(d.rhs)) for d in new])
    return render(
        "notebook.tex",
        title=derivation.title,
        definitions=[(latex(d.lhs), latex(d.rhs)) for d in derivation.definitions],
        gradient=gradient,
        product=product,
        results=key_results(derivation),
        gradients=[
            (
                (latex(g.result.lhs), latex(g.result.rhs)),
                (latex(g.vector_form.lhs), latex(g.vector_form.rhs)),
                (
                    latex(g.update_rule.parameter),
                    latex(g.update_rule.step.lhs),
                    latex(g.update_rule.step.rhs),
                ),
                defined,
            )
            for g, defined in zip(derivation.per_parameter, where, strict=True)
        ],
    ).strip()
