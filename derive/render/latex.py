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
from derive.steps import Derivation


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
    the final result, which is shown boxed."""
    final = KeyResult(latex(derivation.result.lhs), latex(derivation.result.rhs))
    results: dict[KeyResult, None] = {}
    for section in derivation.sections:
        for chain in chains_of(section.steps):
            case = chain[0].case
            condition = "" if case is None or case.holds_everywhere else latex(case.condition)
            results.setdefault(KeyResult(latex(chain[0].lhs), latex(chain[-1].rhs), condition))
    return [r for r in results if r != final]


def derivation_notebook(derivation: Derivation) -> str:
    """A compact ``$$\\begin{aligned}...$$`` of the key results, with no custom macros, for
    Jupyter's ``_repr_latex_`` (MathJax)."""
    gradient, product, _ = chain_rule(derivation.model.chain)
    if states_chain_rule(derivation):
        gradient = product = ""
    return render(
        "notebook.tex",
        title=derivation.title,
        definitions=[(latex(d.lhs), latex(d.rhs)) for d in derivation.definitions],
        gradient=gradient,
        product=product,
        results=key_results(derivation),
        result=(latex(derivation.result.lhs), latex(derivation.result.rhs)),
        vector=(latex(derivation.vector_form.lhs), latex(derivation.vector_form.rhs)),
        update=(
            latex(derivation.update_rule.parameter),
            latex(derivation.update_rule.step.lhs),
            latex(derivation.update_rule.step.rhs),
        ),
    ).strip()
