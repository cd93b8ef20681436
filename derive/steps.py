"""Plain data passed between layers: verifications, steps, sections, derivations.

These objects hold SymPy expressions and English text only; turning them into text,
LaTeX or JSON is the job of :mod:`derive.printing`, :mod:`derive.serialize` and
:mod:`derive.render`. All of them are frozen: a derivation, once verified, cannot change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import sympy as sp

if TYPE_CHECKING:
    from derive.model import Model


@dataclass(frozen=True)
class Verification:
    """How an equality was confirmed: a symbolic proof, or a numeric check at random points."""

    method: Literal["symbolic", "numeric"]
    detail: str
    points: int = 0
    sizes: tuple[int, ...] = ()
    max_error: float | None = None

    def describe(self) -> str:
        """One line for people: 'proved symbolically (cancel)' or the numeric check made."""
        if self.method == "symbolic":
            return f"proved symbolically ({self.detail})"
        text = f"checked numerically at {self.points} random points"
        if self.sizes:
            text += " with sizes " + ", ".join(str(s) for s in self.sizes)
        if self.detail:
            text += f", {self.detail}"
        if self.max_error is not None:
            text += f"; largest float64 relative difference {self.max_error:.1e}"
        return text

    def short(self) -> str:
        """A few characters for a margin mark: 'symbolic' or 'numeric, 24 pts'."""
        return "symbolic" if self.method == "symbolic" else f"numeric, {self.points} pts"


@dataclass(frozen=True)
class Case:
    """The condition under which a step holds, e.g. k = T, as a SymPy relation."""

    condition: sp.Basic
    text: str

    @property
    def holds_everywhere(self) -> bool:
        return self.condition is sp.true


@dataclass(frozen=True)
class Step:
    """One verified equality lhs = rhs, with the rule that produced it and why it holds."""

    lhs: sp.Expr
    rhs: sp.Expr
    rule: str
    justification: str
    verification: Verification
    case: Case | None = None
    substeps: tuple[Step, ...] = ()


@dataclass(frozen=True)
class Definition:
    """A definition the derivation starts from (a model stage, the cost, one-hot targets)."""

    lhs: sp.Expr
    rhs: sp.Expr
    description: str


@dataclass(frozen=True)
class Section:
    """A titled group of steps; consecutive steps whose lhs is the previous rhs form a chain.

    ``subject`` is what the section computes (dL/dy), shown after the title as a formula.
    """

    key: str
    title: str
    intro: str
    steps: tuple[Step, ...]
    subject: sp.Expr | None = None

    @property
    def heading(self) -> str:
        """The title in plain text, with the subject (a derivative) appended when there is one."""
        if self.subject is None:
            return self.title
        from derive.printing import text

        return f"{self.title} {text(self.subject)}"


@dataclass(frozen=True)
class UpdateRule:
    """Gradient descent: parameter <- step.lhs = step.rhs, with step verified."""

    parameter: sp.Expr
    step: Step


@dataclass(frozen=True)
class Gradient:
    """One parameter's gradient in a model with several: the per-example result, its matrix
    form (with the matrices it introduces) and its update rule.

    ``score`` is the variable the parameter enters through (s_k, h_m) and ``signal`` dL/dscore,
    from which the numeric gradient is built (G = the signal per example, grad = G^T U / N).
    """

    parameter: sp.Expr
    result: Step
    vector_form: Step
    update_rule: UpdateRule
    score: sp.Expr
    signal: sp.Expr
    vector_where: tuple[Definition, ...] = ()


@dataclass(frozen=True)
class Derivation:
    """A complete, verified gradient derivation of one model.

    ``score_gradient`` is dL/dz, the derivative of the loss by the linear score, from which
    the numeric gradient is built (G = dL/dz per example, grad = G^T X / N);
    ``vector_where`` defines the matrices the vector form introduces (G_ij = ...).
    ``gradients`` holds every parameter's gradient of a model with several parameters (a
    network), in the order derived; ``result``, ``vector_form`` and ``update_rule`` are then
    the first one's. It is empty for a model with one parameter.
    """

    name: str
    title: str
    summary: str
    model: Model
    definitions: tuple[Definition, ...]
    sections: tuple[Section, ...]
    result: Step
    vector_form: Step
    update_rule: UpdateRule
    score_gradient: sp.Expr = sp.S.One
    notes: tuple[str, ...] = field(default=())
    vector_where: tuple[Definition, ...] = field(default=())
    gradients: tuple[Gradient, ...] = field(default=())

    @property
    def steps(self) -> tuple[Step, ...]:
        """Every step of every section, in reading order."""
        return tuple(step for section in self.sections for step in section.steps)

    @property
    def per_parameter(self) -> tuple[Gradient, ...]:
        """Every parameter's gradient: ``gradients``, or the one of a one-parameter model."""
        if self.gradients:
            return self.gradients
        one = Gradient(
            self.update_rule.parameter,
            self.result,
            self.vector_form,
            self.update_rule,
            sp.S.One,
            self.score_gradient,
            self.vector_where,
        )
        return (one,)

    def section(self, key: str) -> Section:
        for section in self.sections:
            if section.key == key:
                return section
        raise KeyError(key)

    def to_dict(self) -> dict[str, Any]:
        from derive.serialize import derivation_to_dict

        return derivation_to_dict(self)

    def latex(self) -> str:
        """The derivation as a LaTeX fragment (amsmath), for reports and notebooks."""
        from derive.render.latex import derivation_fragment

        return derivation_fragment(self)

    def text(self) -> str:
        from derive.render.text import derivation_text

        return derivation_text(self)

    def _repr_latex_(self) -> str:
        from derive.render.latex import derivation_notebook

        return derivation_notebook(self)
