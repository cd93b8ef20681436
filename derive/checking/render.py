"""Write SymPy expressions back as LaTeX the way derivations do: z_k, \\sigma(z), y^{(i)}."""

from __future__ import annotations

import sympy as sp
from sympy.printing.latex import LatexPrinter

from derive.functions import example, sigmoid, softplus


class _Printer(LatexPrinter):
    def _print_Indexed(self, expr: sp.Indexed) -> str:
        indices = ",".join(self._print(i) for i in expr.indices)
        return f"{self._print(expr.base.label)}_{{{indices}}}"

    def _print_sigmoid(self, expr: sigmoid, exp: str | None = None) -> str:
        text = rf"\sigma\left({self._print(expr.args[0])}\right)"
        return f"{text}^{{{exp}}}" if exp else text

    def _print_softplus(self, expr: softplus, exp: str | None = None) -> str:
        text = rf"\operatorname{{softplus}}\left({self._print(expr.args[0])}\right)"
        return f"{text}^{{{exp}}}" if exp else text

    def _print_example(self, expr: example, exp: str | None = None) -> str:
        text = f"{self._print(expr.args[0])}^{{({self._print(expr.args[1])})}}"
        return f"\\left({text}\\right)^{{{exp}}}" if exp else text


def latex(expr: sp.Expr) -> str:
    """LaTeX for an expression, with our notation for families, the sigmoid and examples."""
    return _Printer().doprint(expr)
