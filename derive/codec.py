"""Derivations as JSON and back, for the disk cache: nothing is evaluated while reading.

An expression is written as a tree ``[class name, arguments...]`` and rebuilt with
``evaluate=False`` from a fixed table of SymPy classes and our own functions, so that the
unevaluated middle steps (``(1/y) y (1 - y)``) come back exactly as they were. A name that is
not in the table, or anything malformed, raises :class:`CodecError`: a cache entry is data,
never code (no pickle, no eval, no sympify).
"""

from __future__ import annotations

from typing import Any

import sympy as sp
from sympy.core.symbol import Str
from sympy.functions.elementary.piecewise import ExprCondPair
from sympy.matrices.expressions.matexpr import MatrixElement

from derive import functions
from derive.steps import (
    Case,
    Definition,
    Derivation,
    Gradient,
    Section,
    Step,
    UpdateRule,
    Verification,
)


class CodecError(ValueError):
    """An expression or entry that cannot be written, or read back, faithfully."""


_CLASSES: dict[str, type] = {
    cls.__name__: cls
    for cls in (
        sp.Add,
        sp.Mul,
        sp.Pow,
        sp.exp,
        sp.log,
        sp.sin,
        sp.cos,
        sp.tan,
        sp.sinh,
        sp.cosh,
        sp.tanh,
        functions.Abs,  # the real |u|: every absolute value in a derivation
        sp.sign,
        sp.Max,
        sp.Min,
        sp.Heaviside,
        sp.KroneckerDelta,
        sp.Piecewise,
        ExprCondPair,
        sp.Sum,
        sp.Product,
        sp.Derivative,
        sp.Tuple,
        sp.Indexed,
        sp.IndexedBase,
        sp.Equality,
        sp.Unequality,
        sp.StrictLessThan,
        sp.LessThan,
        sp.StrictGreaterThan,
        sp.GreaterThan,
        sp.And,
        sp.Or,
        sp.Not,
        sp.MatrixSymbol,
        sp.MatMul,
        sp.MatAdd,
        sp.Transpose,
        MatrixElement,
        sp.UnevaluatedExpr,
        functions.sigmoid,
        functions.softplus,
        functions.example,
        functions.grad,
    )
}
_SINGLETONS = {
    "pi": sp.pi,
    "E": sp.E,
    "oo": sp.oo,
    "-oo": sp.S.NegativeInfinity,
    "zoo": sp.zoo,
    "nan": sp.nan,
    "I": sp.I,
    "true": sp.true,
    "false": sp.false,
}
_SINGLETON_NAMES = {v: k for k, v in _SINGLETONS.items()}


def encode(expr: sp.Basic) -> Any:
    """A JSON-ready tree of lists, strings and numbers that :func:`decode` turns back into expr."""
    if expr in _SINGLETON_NAMES and type(expr) is type(_SINGLETONS[_SINGLETON_NAMES[expr]]):
        return ["S", _SINGLETON_NAMES[expr]]
    if isinstance(expr, sp.Dummy):
        return ["Dummy", expr.name, expr.dummy_index, _assumptions(expr)]
    if isinstance(expr, sp.Symbol):
        return ["Symbol", expr.name, _assumptions(expr)]
    if isinstance(expr, sp.Integer):
        return ["Integer", str(int(expr))]
    if isinstance(expr, sp.Rational):
        return ["Rational", str(expr.p), str(expr.q)]
    if isinstance(expr, sp.Float):
        return ["Float", str(expr), expr._prec]
    if isinstance(expr, Str):
        return ["Str", expr.name]
    name = type(expr).__name__
    if _CLASSES.get(name) is not type(expr):
        raise CodecError(f"cannot store {name} ({expr})")
    return [name, *(encode(a) for a in expr.args)]


def _assumptions(symbol: sp.Symbol) -> dict[str, bool]:
    return {k: v for k, v in sorted(symbol._assumptions_orig.items()) if v is not None}


def decode(tree: Any) -> sp.Basic:
    """The expression a tree from :func:`encode` stands for; CodecError for anything else."""
    if not isinstance(tree, list) or not tree or not isinstance(tree[0], str):
        raise CodecError("malformed expression")
    head, rest = tree[0], tree[1:]
    try:
        if head == "S":
            return _SINGLETONS[rest[0]]
        if head == "Symbol":
            name, assumptions = rest
            return sp.Symbol(_text(name), **_flags(assumptions))
        if head == "Dummy":
            name, index, assumptions = rest
            return sp.Dummy(_text(name), dummy_index=int(index), **_flags(assumptions))
        if head == "Integer":
            return sp.Integer(int(_text(rest[0])))
        if head == "Rational":
            return sp.Rational(int(_text(rest[0])), int(_text(rest[1])))
        if head == "Str":
            return Str(_text(rest[0]))
        if head == "Float":
            return sp.Float(_text(rest[0]), precision=int(rest[1]))
    except (KeyError, TypeError, ValueError) as exc:
        raise CodecError(f"malformed {head}: {exc}") from None
    cls = _CLASSES.get(head)
    if cls is None:
        raise CodecError(f"unknown expression type {head!r}")
    args = [decode(a) for a in rest]
    try:
        try:
            rebuilt = cls(*args, evaluate=False)
        except TypeError:
            rebuilt = cls(*args)
    except Exception as exc:  # noqa: BLE001 - any failure to rebuild means a bad entry
        raise CodecError(f"cannot rebuild {head}: {exc}") from None
    if type(rebuilt) is not cls or list(rebuilt.args) != args:
        raise CodecError(f"{head} did not come back as it was written")
    return rebuilt


def _text(value: Any) -> str:
    if not isinstance(value, str) or len(value) > 10_000:
        raise CodecError("malformed text")
    return value


def _flags(assumptions: Any) -> dict[str, bool]:
    if not isinstance(assumptions, dict) or not all(
        isinstance(k, str) and isinstance(v, bool) for k, v in assumptions.items()
    ):
        raise CodecError("malformed assumptions")
    return assumptions


# --- derivations ------------------------------------------------------------------------


def _verification(v: Verification) -> dict[str, Any]:
    return {
        "method": v.method,
        "detail": v.detail,
        "points": v.points,
        "sizes": list(v.sizes),
        "max_error": v.max_error,
    }


def _step(s: Step) -> dict[str, Any]:
    return {
        "lhs": encode(s.lhs),
        "rhs": encode(s.rhs),
        "rule": s.rule,
        "justification": s.justification,
        "verification": _verification(s.verification),
        "case": None if s.case is None else [encode(s.case.condition), s.case.text],
        "substeps": [_step(x) for x in s.substeps],
    }


def _definition(d: Definition) -> list[Any]:
    return [encode(d.lhs), encode(d.rhs), d.description]


def _gradient(g: Gradient) -> dict[str, Any]:
    return {
        "parameter": encode(g.parameter),
        "result": _step(g.result),
        "vector_form": _step(g.vector_form),
        "update_rule": [encode(g.update_rule.parameter), _step(g.update_rule.step)],
        "score": encode(g.score),
        "signal": encode(g.signal),
        "vector_where": [_definition(x) for x in g.vector_where],
    }


def derivation_to_json(d: Derivation) -> dict[str, Any]:
    """Everything of a derivation but its model (the cache key stands for the model)."""
    return {
        "name": d.name,
        "title": d.title,
        "summary": d.summary,
        "definitions": [_definition(x) for x in d.definitions],
        "sections": [
            {
                "key": s.key,
                "title": s.title,
                "intro": s.intro,
                "steps": [_step(x) for x in s.steps],
                "subject": None if s.subject is None else encode(s.subject),
            }
            for s in d.sections
        ],
        "result": _step(d.result),
        "vector_form": _step(d.vector_form),
        "update_rule": [encode(d.update_rule.parameter), _step(d.update_rule.step)],
        "score_gradient": encode(d.score_gradient),
        "notes": list(d.notes),
        "vector_where": [_definition(x) for x in d.vector_where],
        "gradients": [_gradient(g) for g in d.gradients],
    }


def _read_verification(data: dict[str, Any]) -> Verification:
    return Verification(
        data["method"],
        data["detail"],
        int(data["points"]),
        tuple(int(s) for s in data["sizes"]),
        None if data["max_error"] is None else float(data["max_error"]),
    )


def _read_step(data: dict[str, Any]) -> Step:
    case = data["case"]
    return Step(
        decode(data["lhs"]),
        decode(data["rhs"]),
        str(data["rule"]),
        str(data["justification"]),
        _read_verification(data["verification"]),
        None if case is None else Case(decode(case[0]), str(case[1])),
        tuple(_read_step(x) for x in data["substeps"]),
    )


def _read_definition(data: list[Any]) -> Definition:
    lhs, rhs, description = data
    return Definition(decode(lhs), decode(rhs), str(description))


def _read_gradient(data: dict[str, Any]) -> Gradient:
    parameter, update_step = data["update_rule"]
    return Gradient(
        decode(data["parameter"]),
        _read_step(data["result"]),
        _read_step(data["vector_form"]),
        UpdateRule(decode(parameter), _read_step(update_step)),
        decode(data["score"]),
        decode(data["signal"]),
        tuple(_read_definition(x) for x in data["vector_where"]),
    )


def derivation_from_json(data: dict[str, Any], model: Any) -> Derivation:
    """Rebuild a derivation written by :func:`derivation_to_json`; CodecError if malformed."""
    try:
        parameter, update_step = data["update_rule"]
        return Derivation(
            name=str(data["name"]),
            title=str(data["title"]),
            summary=str(data["summary"]),
            model=model,
            definitions=tuple(_read_definition(x) for x in data["definitions"]),
            sections=tuple(
                Section(
                    str(s["key"]),
                    str(s["title"]),
                    str(s["intro"]),
                    tuple(_read_step(x) for x in s["steps"]),
                    None if s["subject"] is None else decode(s["subject"]),
                )
                for s in data["sections"]
            ),
            result=_read_step(data["result"]),
            vector_form=_read_step(data["vector_form"]),
            update_rule=UpdateRule(decode(parameter), _read_step(update_step)),
            score_gradient=decode(data["score_gradient"]),
            notes=tuple(str(n) for n in data["notes"]),
            vector_where=tuple(_read_definition(x) for x in data["vector_where"]),
            gradients=tuple(_read_gradient(g) for g in data["gradients"]),
        )
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        raise CodecError(f"malformed derivation: {exc}") from None
