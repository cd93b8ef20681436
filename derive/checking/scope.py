"""What is known at one place in a document: definitions, the case being argued, vector names.

Definitions are kept per name. A name means one thing at a time: defining the family y_k drops
an earlier definition of a plain y (and every definition that used it), and the reverse. A new
section (a heading) may redefine a name; within a section the first definition stands: a later
displayed ``y = ...`` is a claim to check, a later inline one that contradicts it leaves y
undefined. On entering a section, definitions from earlier sections are dropped when the section
uses their names differently (y_k where y was a plain symbol). :func:`obstacle` says why a claim
cannot be checked with what is known: a vector used whole, an undefined name differentiated,
per-example quantities on one side only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from derive.checking.symbols import family_names, real_bare_symbols
from derive.checking.vectors import shape_mismatch
from derive.context import Context
from derive.functions import example
from derive.steps import Case, Definition
from derive.verify import substitute_all, substitute_once

Key = tuple[str, str]  # ("plain", "y") or ("family", "y")


def keys_used(expr: sp.Basic) -> frozenset[Key]:
    """The names an expression uses, as plain symbols and as families."""
    plain = {("plain", str(s)) for s in real_bare_symbols(expr)}
    return frozenset(plain | {("family", n) for n in family_names(expr)})


def key_of(target: sp.Expr) -> Key:
    """The name a definition target defines: ('family', 'y') for y_k."""
    if isinstance(target, sp.Indexed):
        return ("family", str(target.base.label))
    return ("plain", str(target))


def _opposite(key: Key) -> Key:
    return ("family" if key[0] == "plain" else "plain", key[1])


@dataclass(frozen=True)
class Known:
    """A recorded definition, the section it was made in, and the names its right side uses."""

    definition: Definition
    key: Key
    section: int
    uses: frozenset[Key]
    line: int = 0
    written: sp.Expr | None = None  # the target as written: t_T for the one-hot t_m = delta_mT


@dataclass(frozen=True)
class Scope:
    """A snapshot of what is known where a claim stands."""

    definitions: tuple[Definition, ...]
    defined: frozenset[Key]
    case: Case | None
    families: frozenset[str]  # names used as indexed families in this section
    skipped: tuple[tuple[str, str], ...] = ()  # (name, why) of definitions that were not read


@dataclass
class Knowledge:
    """The definitions recorded so far while reading a document top to bottom."""

    known: dict[Key, Known] = field(default_factory=dict)
    section: int = 0
    families: frozenset[str] = frozenset()
    skipped: dict[str, str] = field(default_factory=dict)  # name -> why its definition was not read

    def enter_section(self, section: int, families: frozenset[str]) -> None:
        """Start a section: drop earlier definitions of names it uses as families."""
        self.section, self.families = section, families
        clashing = {
            k
            for k, v in self.known.items()
            if k[0] == "plain"
            and k[1] in families
            # the arguments of L(y, t) count here: a section where y is a vector means another L
            or any(u[0] == "plain" and u[1] in families for u in keys_used(v.definition.rhs))
        }
        self._drop(clashing)

    def skip(self, name: str, why: str) -> None:
        """A definition of ``name`` was seen but not read: steps using the name are not decided."""
        if ("plain", name) not in self.known and ("family", name) not in self.known:
            self.skipped.setdefault(name, why)

    def defined_here(self, key: Key) -> bool:
        """Whether the name was defined in the current section."""
        known = self.known.get(key)
        return known is not None and known.section == self.section

    def define(
        self,
        target: sp.Expr,
        rhs: sp.Expr,
        description: str,
        line: int = 0,
        written: sp.Expr | None = None,
        arguments: tuple[str, ...] = (),
    ) -> Definition:
        """Record ``target = rhs``, dropping definitions that give its names another meaning.

        The ``arguments`` of a function definition (z in g(z) = ...) are placeholders, not uses.
        """
        key = key_of(target)
        uses = frozenset(k for k in keys_used(rhs) if k[1] not in arguments)
        conflicts = {_opposite(k) for k in uses | {key}}
        self._drop({k for k, v in self.known.items() if k in conflicts or v.uses & conflicts})
        self.known.pop(key, None)  # a redefinition: users of the name now use the new meaning
        self.skipped.pop(key[1], None)
        definition = Definition(target, rhs, description)
        self.known[key] = Known(
            definition, key, self.section, uses, line, written if written is not None else target
        )
        return definition

    def forget(self, key: Key) -> None:
        """Leave a name undefined (its definitions contradict each other)."""
        self.known.pop(key, None)

    def _drop(self, keys: set[Key]) -> None:
        """Drop these definitions and, transitively, every definition that uses them."""
        while keys:
            for k in keys:
                self.known.pop(k, None)
            keys = {k for k, v in self.known.items() if v.uses & keys}

    def scope(self, case: Case | None) -> Scope:
        """A snapshot of what is known now, for a claim argued under ``case``."""
        return Scope(
            tuple(v.definition for v in self.known.values()),
            frozenset(self.known),
            case,
            self.families,
            tuple(self.skipped.items()),
        )


def obstacle(left: sp.Expr, right: sp.Expr, scope: Scope) -> str:
    """Why an equality cannot be checked with what is known (empty if it can)."""
    if shape_mismatch(left, right):
        return "one side is a vector (read entry by entry) and the other side is a number"
    expanded = [reach(side, scope.definitions) for side in (left, right)]
    if any(side.has(sp.core.function.AppliedUndef) for side in expanded):
        (f, *_) = sorted(
            {str(a.func) for side in expanded for a in side.atoms(sp.core.function.AppliedUndef)}
        )
        return f"{f} is applied to an argument, but no definition of {f} was read"
    if expanded[0].has(example) != expanded[1].has(example):
        return (
            "per-example quantities such as y^{(i)} appear on one side only; "
            "they are not connected to the definitions"
        )
    variables = [
        v for d in (left.atoms(sp.Derivative) | right.atoms(sp.Derivative)) for v in d.variables
    ]
    bare = {str(s) for s in real_bare_symbols(left) | real_bare_symbols(right)}
    bare |= {str(v) for v in variables if isinstance(v, sp.Symbol) and not v.is_integer}
    used_as_family = families_reached(left, scope.definitions)
    used_as_family |= families_reached(right, scope.definitions)
    for name in sorted(bare):
        if name in used_as_family and ("plain", name) not in scope.defined:
            return (
                f"{name} is a vector here ({name}_k appears in this section); "
                f"a formula using {name} as a whole is not understood"
            )
    for d in sorted(left.atoms(sp.Derivative) | right.atoms(sp.Derivative), key=str):
        f = d.expr
        if isinstance(f, (sp.Symbol, sp.Indexed)) and f not in d.variables:
            if key_of(f) not in scope.defined:
                unread = dict(scope.skipped).get(key_of(f)[1])
                if unread:
                    return f"{_shown(f)} has a definition above that was not read ({unread})"
                return f"{_shown(f)} is not defined above, so its derivative is not known"
        reached = reach(f, scope.definitions)
        names = {v.base if isinstance(v, sp.Indexed) else v for v in d.variables}
        leaves = {a.base if isinstance(a, sp.Indexed) else a for a in _leaves(reached)}
        defined = any(key_of(v) in scope.defined for v in d.variables)
        per_example = reached.has(example)  # expanded by the verifier, example by example
        if leaves and not defined and not per_example and not names & leaves:
            shown = ", ".join(sorted(_shown(a) for a in _leaves(reached)))
            return (
                f"what is differentiated does not contain the variable; {shown} are not defined "
                "above, so how they depend on it is not known"
            )
    return ""


def _leaves(expr: sp.Expr) -> set[sp.Expr]:
    """The undefined variables an expression is made of: real symbols and family members."""
    members = {m for m in expr.atoms(sp.Indexed)}
    return real_bare_symbols(expr) | members


def doubt(left: sp.Expr, right: sp.Expr, scope: Scope) -> str:
    """Why a refutation of this equality could be wrong: it uses a name whose definition was seen
    but not read, so its counterexample may not respect that definition (empty if none)."""
    if not scope.skipped:
        return ""
    sides = [reach(side, scope.definitions) for side in (left, right)]
    used = {name for side in sides for _, name in keys_used(side)}
    used |= {str(a.func).rstrip("'") for side in sides for a in side.atoms(sp.Function)}
    for name, why in scope.skipped:
        if any(u == name or u.startswith(name + "_") for u in used):
            return f"{name} has a definition or constraint above that was not read ({why})"
    return ""


def families_reached(expr: sp.Expr, definitions: tuple[Definition, ...]) -> set[str]:
    """Names of the families an expression uses, directly or through any definition on the way
    (y for dL/dy with L = -sum_k t_k log y_k, even though y_k is defined in turn)."""
    found: set[str] = set()
    current = expr.replace(lambda e: isinstance(e, sp.Derivative), lambda e: e.expr)
    for _ in range(12):
        found |= family_names(current)
        new = substitute_once(current, definitions)
        if new == current:
            break
        current = new
    return found


def reach(
    expr: sp.Expr, definitions: tuple[Definition, ...], context: Context | None = None
) -> sp.Expr:
    """The expression with definitions substituted, derivatives replaced by what they differentiate
    (to see which names it depends on, not its value; with a context, y^{(i)} is expanded too)."""
    plain = expr.replace(lambda e: isinstance(e, sp.Derivative), lambda e: e.expr)
    return substitute_all(plain, definitions, context=context)


def _shown(expr: sp.Expr) -> str:
    if isinstance(expr, sp.Indexed):
        return f"{expr.base.label}_{','.join(str(i) for i in expr.indices)}"
    return str(expr)
