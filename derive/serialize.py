"""Derivations as plain dictionaries (for JSON): expressions as text and LaTeX."""

from __future__ import annotations

from typing import Any

from derive.printing import latex, text
from derive.steps import Definition, Derivation, Gradient, Step, UpdateRule, Verification


def verification_to_dict(v: Verification) -> dict[str, Any]:
    data: dict[str, Any] = {"method": v.method, "detail": v.detail}
    if v.method == "numeric":
        data.update(points=v.points, sizes=list(v.sizes), max_error=v.max_error)
    return data


def _definition(x: Definition) -> dict[str, Any]:
    return {
        "lhs": text(x.lhs),
        "rhs": text(x.rhs),
        "latex": f"{latex(x.lhs)} = {latex(x.rhs)}",
        "description": x.description,
    }


def step_to_dict(step: Step) -> dict[str, Any]:
    return {
        "lhs": text(step.lhs),
        "rhs": text(step.rhs),
        "latex": f"{latex(step.lhs)} = {latex(step.rhs)}",
        "rule": step.rule,
        "justification": step.justification,
        "case": step.case.text if step.case is not None else None,
        "verification": verification_to_dict(step.verification),
        "substeps": [step_to_dict(s) for s in step.substeps],
    }


def _update(u: UpdateRule) -> dict[str, Any]:
    return {"parameter": text(u.parameter), **step_to_dict(u.step)}


def gradient_to_dict(g: Gradient) -> dict[str, Any]:
    """One parameter's gradient: result, matrix form (with its where) and update rule."""
    return {
        "parameter": text(g.parameter),
        "result": step_to_dict(g.result),
        "vector_form": step_to_dict(g.vector_form),
        "vector_where": [_definition(x) for x in g.vector_where],
        "update_rule": _update(g.update_rule),
    }


def derivation_to_dict(d: Derivation) -> dict[str, Any]:
    """Everything a program needs: the steps by section, the result, vector form and update
    (and ``gradients``, each parameter's, for a model with several)."""
    data = {
        "name": d.name,
        "title": d.title,
        "summary": d.summary,
        "definitions": [_definition(x) for x in d.definitions],
        "sections": [
            {"key": s.key, "title": s.title, "steps": [step_to_dict(x) for x in s.steps]}
            for s in d.sections
        ],
        "steps": [step_to_dict(x) for x in d.steps],
        "result": step_to_dict(d.result),
        "vector_form": step_to_dict(d.vector_form),
        "vector_where": [_definition(x) for x in d.vector_where],
        "update_rule": _update(d.update_rule),
        "notes": list(d.notes),
    }
    if d.gradients:
        data["gradients"] = [gradient_to_dict(g) for g in d.gradients]
    return data
