"""SymPy functions that carry their own derivative: the activations and helpers of our models.

Each class knows its derivative (``fdiff``) so that results stay in the stage symbols
(``sigma'(z) = sigma(z)(1 - sigma(z))``) instead of expanding into exponentials.
Printing lives in :mod:`derive.printing`; numeric versions in :mod:`derive.numeric.compile`.
"""

from __future__ import annotations

import sympy as sp


class sigmoid(sp.Function):  # noqa: N801 - lower case like SymPy's own functions
    """The logistic sigmoid 1 / (1 + e^{-z})."""

    nargs = 1

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        s = sigmoid(self.args[0])
        return s * (1 - s)

    def _eval_rewrite_as_exp(self, z, **kwargs) -> sp.Expr:
        return 1 / (1 + sp.exp(-z))

    def _eval_is_real(self):
        return self.args[0].is_real

    def _eval_is_positive(self):
        return self.args[0].is_real


class softplus(sp.Function):  # noqa: N801
    """log(1 + e^u), whose derivative is the sigmoid; evaluated stably as logaddexp(0, u)."""

    nargs = 1

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return sigmoid(self.args[0])

    def _eval_rewrite_as_log(self, u, **kwargs) -> sp.Expr:
        return sp.log(1 + sp.exp(u))


class example(sp.Function):  # noqa: N801
    """The value of a per-example quantity for training example i, printed y^{(i)}."""

    nargs = 2

    def _eval_is_real(self):
        return self.args[0].is_real


class Abs(sp.Abs):
    """|u| of a real u. SymPy's Abs treats an argument of unknown sign as complex and
    differentiates it with re and im; ours is the real absolute value, whose derivative is
    sign(u) (the subgradient 0 at the kink). Named Abs so that printers, NumPy and the
    verifier treat it as SymPy's."""

    def _eval_derivative(self, x: sp.Symbol) -> sp.Expr:
        return sp.Derivative(self.args[0], x, evaluate=True) * sp.sign(self.args[0])

    def _eval_power(self, exponent: sp.Expr) -> sp.Expr | None:
        if exponent.is_integer and exponent.is_even:
            return self.args[0] ** exponent
        return super()._eval_power(exponent)


def real_abs(expr: sp.Expr) -> sp.Expr:
    """Every absolute value in expr as the real one, :class:`Abs`."""
    return expr.replace(lambda e: type(e) is sp.Abs, lambda e: Abs(e.args[0]))


def indicator(u: sp.Expr) -> sp.Expr:
    """1[u > 0]: the Heaviside step with value 0 at the kink (the subgradient convention)."""
    return sp.Heaviside(u, 0)


def expand_functions(expr: sp.Expr) -> sp.Expr:
    """Rewrite our functions in elementary terms (exp, log), for proofs and numeric checks."""
    return expr.replace(sigmoid, lambda z: 1 / (1 + sp.exp(-z))).replace(
        softplus, lambda u: sp.log(1 + sp.exp(u))
    )


class grad(sp.Function):  # noqa: N801
    """The gradient of a scalar with respect to a whole matrix or vector, printed nabla_W J."""

    nargs = 2
