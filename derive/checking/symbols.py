"""The names a hand-written derivation uses, and the SymPy objects they stand for.

One place decides what a letter means, so that every formula of a document agrees:
a letter written as a subscript anywhere (``z_k``, ``\\sum_{k'}``) is an *index* (an integer
ranging 1..K), a letter written as the upper limit of a sum (``\\sum_{i=1}^N``) is a *size*,
every other letter is a real variable, and a subscripted letter is a member of an indexed family
(``z_k`` and ``z_{k'}`` are both members of ``z``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import sympy as sp

from derive.functions import sigmoid, softplus

DEFAULT_SIZE = "K"
DOT_INDEX = "iota"  # the summation index of a dot product w^T x (printed \iota)
SOFTMAX_INDEX = "j_softmax"  # the summation index of softmax(z)_k
VECTOR_INDEX = "m_vector"  # the index of a definition y = softmax(z), read as y_m = ...
ELIDED_INDEX = "j_elided"  # the summation index of e^{z_1} + ... + e^{z_K}

GREEK = frozenset(
    "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu "
    "xi rho varrho sigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Sigma "
    "Upsilon Phi Psi Omega ell".split()
)

# Functions known by name. Each maps a list of arguments to a SymPy expression.
FUNCTIONS: dict[str, Callable[..., sp.Expr]] = {
    "log": sp.log,
    "ln": sp.log,
    "exp": sp.exp,
    "tanh": sp.tanh,
    "sinh": sp.sinh,
    "cosh": sp.cosh,
    "sin": sp.sin,
    "cos": sp.cos,
    "tan": sp.tan,
    "sigma": sigmoid,
    "sigmoid": sigmoid,
    "softplus": softplus,
    "relu": lambda u: sp.Max(0, u),
    "sign": sp.sign,
    "sgn": sp.sign,
    "max": sp.Max,
    "min": sp.Min,
}
VARIADIC = frozenset({"max", "min"})
# Command names that are functions only when applied (``\sigma(z)``); alone they are symbols.
SYMBOL_OR_FUNCTION = frozenset({"sigma"})


@dataclass(frozen=True)
class Vocabulary:
    """What the letters of one document are: indices with their bounds, sizes, argument lists.

    ``index_bounds`` maps an index name to the name of its size (``"k" -> "K"``, ``"i" -> "N"``);
    ``function_like`` maps a name defined with an argument list (``L(y, t)``) to its arguments.
    ``euler`` says whether the letter e is Euler's number (it is not where e is defined).
    """

    index_bounds: dict[str, str] = field(default_factory=dict)
    sizes: frozenset[str] = frozenset({DEFAULT_SIZE})
    function_like: dict[str, tuple[str, ...]] = field(default_factory=dict)
    euler: bool = True  # e is Euler's number, unless the document defines e = ...
    fixed: dict[str, int] = field(default_factory=dict)  # sizes the text fixes: K = 3
    examples: frozenset[str] = frozenset()  # indices of training examples: i in y^{(i)}

    def is_index(self, name: str) -> bool:
        """Whether a letter is an index (written as a subscript somewhere)."""
        return name in self.index_bounds

    def bound_of(self, name: str) -> sp.Expr:
        """The size an index runs up to (K unless a sum says otherwise; a number if fixed)."""
        return self.size(self.index_bounds.get(name, DEFAULT_SIZE))

    def size(self, name: str) -> sp.Expr:
        """A size: its symbol, or its number where the text fixes it (K = 3)."""
        return sp.Integer(self.fixed[name]) if name in self.fixed else size_symbol(name)

    def symbol(self, name: str) -> sp.Expr:
        """The symbol a letter stands for where it is not a subscript."""
        if name in self.sizes:
            return self.size(name)
        if name in self.index_bounds:
            return index_symbol(name)
        return plain_symbol(name)

    def index_bounds_symbols(self) -> dict[sp.Symbol, sp.Symbol]:
        """Index symbol -> size symbol, for the verifier's context."""
        return {index_symbol(n): self.size(b) for n, b in self.index_bounds.items()}


def plain_symbol(name: str) -> sp.Symbol:
    """A real variable: y, t, alpha, L_CE."""
    return sp.Symbol(name, real=True)


def index_symbol(name: str) -> sp.Symbol:
    """An index ranging over 1..size: k, T, k'."""
    return sp.Symbol(name, integer=True)


def size_symbol(name: str) -> sp.Symbol:
    """A number of things, the upper bound of an index: K, N."""
    return sp.Symbol(name, integer=True, positive=True)


def family(name: str) -> sp.IndexedBase:
    """An indexed family: z for z_k, z_T, z_{k'}."""
    return sp.IndexedBase(name, real=True)


def bare_symbols(expr: sp.Basic) -> set[sp.Symbol]:
    """Symbols used on their own, not as the name of an indexed family (z in z + z_k)."""
    found: set[sp.Symbol] = set()
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, sp.Indexed):
            stack.extend(node.indices)
        elif isinstance(node, sp.IndexedBase):
            continue
        elif isinstance(node, sp.Symbol):
            found.add(node)
        else:
            stack.extend(node.args)
    return found


def real_bare_symbols(expr: sp.Basic) -> set[sp.Symbol]:
    """The bare symbols that are variables (not indices or sizes)."""
    return {s for s in bare_symbols(expr) if not s.is_integer}


def family_names(expr: sp.Basic) -> set[str]:
    """Names of the indexed families an expression uses."""
    return {str(i.base.label) for i in expr.atoms(sp.Indexed)}
