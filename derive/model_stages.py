"""Turn the equations of a model file into a :class:`~derive.model.Model`.

The stages form one chain: the loss uses one stage, which uses one stage, ... down to the
linear score, the only stage that uses the parameter (a scalar stage that uses several stages
gets all but the earliest substituted, so that it uses one). With a vector parameter w the stages
are numbers (z = w^T x, y = tanh z, L = ...) and the target t is a number; with a parameter
of K rows (z_k = w_k^T x) the stages below the loss are families over the classes, the target
is one-hot (``Assume: $t$ is one-hot``, t_k = delta_kT for the correct class T), and the loss
may use the scores directly or one family of them at the correct class (y_T of the softmax).
Names never defined are constants (:mod:`derive.model_constants`); a penalty goes to the cost;
biases added to K scores may be further parameters (``Parameter: $w$, $b$``). Each rule is
checked on the equations as read; a violation is a :class:`ModelFileError` at the line of the
stage concerned.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import sympy as sp
from sympy.core.function import AppliedUndef

from derive.algebra import sift
from derive.checking.build import softmax_entry
from derive.checking.sampling import infer_domains
from derive.checking.symbols import (
    DEFAULT_SIZE,
    GREEK,
    SOFTMAX_INDEX,
    Vocabulary,
    family,
    family_names,
    real_bare_symbols,
)
from derive.errors import InputError
from derive.functions import real_abs
from derive.model import Model, Rewrite, Stage
from derive.model_constants import LEARNING_RATE, Range, hyperparameter, usable
from derive.steps import Definition

TARGET = "t"  # the target of an example: the one name besides the input a file need not define
FEATURES = sp.Symbol("D", integer=True, positive=True)  # entries of the input x
# the parameter entry w_j of the gradient: j, else the first of these names the file leaves free
ENTRY_NAMES = ("j", "d", "l", "m")
FEATURE = sp.Symbol("j'", integer=True, positive=True)  # the summation index of w^T x
LABEL = sp.Symbol("T", integer=True, positive=True)  # the correct class of a one-hot target
CLASS = sp.Symbol("k", integer=True)  # the entry of y = softmax(z), as the parser's indices
ACTIVATIONS = {
    "tanh": "tanh activation",
    "sigmoid": "sigmoid activation",
    "exp": "exponential",
    "log": "logarithm",
    "softplus": "softplus",
    "Max": "maximum",
}

ABS_NOTE = (
    "The absolute value |u| has no derivative at u = 0. As for the hinge, we use the "
    "subgradient that is 0 there: d|u|/du = sign(u), with sign(0) = 0."
)

PENALTY_NOTE = (
    "The penalty belongs to the cost J = mean loss + penalty, not to the loss of one example: "
    "the per-example gradient does not change, and the cost's gradient adds the penalty's."
)
PENALTY = sp.Symbol("R")  # what the penalty's formula is called while it is checked


class ModelFileError(InputError):
    """A model file that cannot be read as a model; the message starts with ``file:line:``."""


Fail = Callable[[int | None, str], ModelFileError]


@dataclass(frozen=True)
class Equation:
    """One stage as read: its line in the file and its two sides."""

    line: int
    lhs: sp.Expr
    rhs: sp.Expr

    @property
    def key(self) -> str:
        """The name it defines: y for y, y for y_k."""
        return _name(self.lhs)


@dataclass(frozen=True)
class Assumptions:
    """What ``Assume:`` lines state: the target's two values, sampling domains by name, and
    the one-hot target (its name and line)."""

    targets: tuple[float, float] | None = None
    domains: dict[str, tuple[float, float]] = field(default_factory=dict)
    one_hot: tuple[str, int] | None = None
    ranges: dict[str, Range] = field(default_factory=dict)  # of constants: \\delta > 0


def build_model(
    equations: list[Equation],
    parameter: str | list[str],
    parameter_line: int,
    assumed: Assumptions,
    vocabulary: Vocabulary,
    *,
    fail: Fail,
    name: str,
    title: str,
    summary: str,
    penalty: tuple[int, sp.Expr] | None = None,
) -> Model:
    """The model of the equations, in order, the last defining the loss (see module doc);
    ``penalty`` (its line and formula) is added to the cost, not to the loss. Several
    parameters: the weights of the score and biases added to it (z_k = w_k^T x + b_k)."""
    builder = _Builder(equations, parameter, parameter_line, assumed, vocabulary, fail, penalty)
    return builder.model(name, title, summary)


class _Builder:
    def __init__(
        self, equations, parameter, parameter_line, assumed, vocabulary, fail, penalty=None
    ) -> None:
        real = [Equation(e.line, e.lhs, real_abs(e.rhs)) for e in equations]
        self.equations = [self.softmax_stage(e, vocabulary) for e in real]
        self.parameter_line = parameter_line
        self.fail = fail
        names = [parameter] if isinstance(parameter, str) else list(parameter)
        self.parameter, self.extras = self.split_parameters(names)
        self.assumed = assumed
        self.vocabulary = vocabulary
        self.penalty_at = penalty

    def split_parameters(self, names: list[str]) -> tuple[str, tuple[str, ...]]:
        """The weights (used in w^T x) and the biases (added to the score) among the names."""
        if len(names) == 1:
            return names[0], ()
        score = next((e for e in self.equations if any(_uses(e.rhs, n) for n in names)), None)
        added = (
            {_name(a) for a in sp.Add.make_args(score.rhs) if isinstance(a, sp.Symbol | sp.Indexed)}
            if score is not None
            else set()
        )
        weights = [n for n in names if n not in added]
        if len(weights) != 1:
            raise self.fail(
                self.parameter_line,
                "with several parameters, one multiplies the input in the score and the others "
                "are added to it: z_k = w_k^T x + b_k with `Parameter: $w$, $b$`",
            )
        return weights[0], tuple(n for n in names if n != weights[0])

    def check_extras(self, score: Equation, multiclass: bool, equations, penalty, constants):
        """Biases as parameters: K classes, added to the score only, no constants or penalty
        (the gradients of several parameters come from backpropagation, which has neither)."""
        if not self.extras:
            return
        names = " and ".join(self.extras)
        if not multiclass:
            raise self.fail(
                self.parameter_line,
                f"several parameters are read with K classes (z_k = w_k^T x + b_k); with one "
                f"score, leave {names} out of `Parameter:` and it is a constant (a keyword "
                "argument of the callables)",
            )
        if penalty is not None or constants:
            raise self.fail(
                self.parameter_line,
                "a model file with several parameters has no constants and no penalty yet",
            )
        (row,) = score.lhs.indices
        for extra in self.extras:
            terms = [a for a in sp.Add.make_args(score.rhs) if _uses(a, extra)]
            if terms != [family(extra)[row]]:
                raise self.fail(
                    score.line,
                    f"the parameter {extra} is added to the score as {extra}_{row}",
                )
            for e in equations:
                if e is not score and _uses(e.rhs, extra):
                    raise self.fail(
                        e.line, f"the parameter {extra} is used in the score {score.key} only"
                    )

    def model(self, name: str, title: str, summary: str) -> Model:
        if not any(_uses(e.rhs, self.parameter) for e in self.equations):
            raise self.fail(
                self.parameter_line,
                f"the loss does not depend on the parameter {self.parameter}: no stage uses it",
            )
        self.check_definitions()
        equations = [self.with_dot_products(e) for e in self.equations]
        used = {str(i) for e in equations for i in _indices(e.lhs) | _indices(e.rhs)}
        self.entry = sp.Symbol(
            next((n for n in ENTRY_NAMES if n not in used), "j_w"), integer=True, positive=True
        )
        free = {str(i) for e in equations for i in _indices(e.lhs)}
        free |= {self.entry.name, LABEL.name}
        equations = [self.fresh_sums(e, free, free | used) for e in equations]
        chain = self.chain(equations)
        score = chain[-1]
        multiclass = isinstance(score.lhs, sp.Indexed)
        self.check_score(score, multiclass)
        penalty = self.penalty(multiclass, score)
        scanned = equations + ([penalty] if penalty is not None else [])
        constants = self.constants(scanned, score)
        self.check_extras(score, multiclass, equations, penalty, constants)
        if not multiclass and self.assumed.one_hot is not None:
            raise self.fail(
                self.assumed.one_hot[1],
                f"one-hot targets need a score per class: {score.key}_k = {self.parameter}_k^T x",
            )
        assumptions = self.one_hot(chain) if multiclass else ()
        path = self.path(chain, assumptions)
        chains = tuple((*path[:-1], family(extra)[score.lhs.indices[0]]) for extra in self.extras)
        stages = [
            self.stage(e, e is score, e is chain[0], multiclass)
            for e in sorted([*chain, *self.inlined], key=lambda e: self.position[e.key])
        ]
        domains = {**infer_domains([s.expr for s in stages]), **self.assumed.domains}
        targets = self.assumed.targets
        if targets is not None and set(targets) <= {0.0, 1.0}:
            domains.setdefault(TARGET, (0.0, 1.0))
        plain = _Plain(
            stages,
            assumptions,
            [*path, *(v for c in chains for v in c), *([penalty.rhs] if penalty else [])],
        )
        stages = [Stage(plain(s.symbol), plain(s.expr), s.name) for s in stages]
        path = tuple(plain(v) for v in path)
        self.check_rules(stages, path, chain)
        regularizer = None if penalty is None else plain(penalty.rhs)
        if regularizer is not None:
            self.check_penalty_rule(regularizer, path[-1], penalty.line)
        hyperparameters = tuple(
            hyperparameter(c, self.assumed.ranges.get(c), bias) for c, bias in constants.items()
        )
        return Model(
            name=name,
            title=title,
            summary=f"{summary}: {', then '.join(s.name for s in stages)}.",
            stages=tuple(stages),
            chain=path,
            assumptions=tuple(
                Definition(plain(d.lhs), plain(d.rhs), d.description) for d in assumptions
            ),
            rewrites=tuple(r for s in stages if (r := _softmax_rewrite(s)) is not None),
            label=LABEL if multiclass else None,
            index_bounds=plain.bounds(self.vocabulary, score, self.entry),
            domains=dict(sorted(domains.items())),
            notes=(
                *self.inline_notes,
                *_constants_note(hyperparameters),
                *([PENALTY_NOTE] if penalty is not None else []),
                *([ABS_NOTE] if any(s.expr.has(sp.Abs) for s in stages) else []),
                *(d.description for d in assumptions),
            ),
            targets=None if multiclass else targets,
            nonnegative_targets=not multiclass and self.nonnegative_target(),
            hyperparameters=hyperparameters,
            regularizer=regularizer,
            chains=tuple(tuple(plain(v) for v in c) for c in chains),
        )

    # -- the equations as written ---------------------------------------------------------------

    def softmax_stage(self, e: Equation, vocabulary: Vocabulary) -> Equation:
        """``y = \\operatorname{softmax}(z)`` is the family y_k = e^{z_k} / sum_j e^{z_j}."""
        rhs = e.rhs
        if isinstance(e.lhs, sp.Symbol) and isinstance(rhs, AppliedUndef):
            if str(rhs.func) == "softmax" and len(rhs.args) == 1:
                (scores,) = rhs.args
                if isinstance(scores, sp.Symbol):
                    size = vocabulary.size(DEFAULT_SIZE)
                    entry = softmax_entry(family(str(scores)), CLASS, size)
                    (made_up,) = [s for s in entry.atoms(sp.Symbol) if s.name == SOFTMAX_INDEX]
                    entry = entry.xreplace({made_up: sp.Symbol(f"{CLASS}'", integer=True)})
                    return Equation(e.line, family(str(e.lhs))[CLASS], entry)
        return e

    def check_definitions(self) -> None:
        """Each stage defines a new name from names defined above it: no cycle, nothing
        used before it is defined, nothing undefined but the input and the target."""
        defined: dict[str, Equation] = {}
        for e in self.equations:
            if not _definable(e.lhs):
                raise self.fail(
                    e.line, "the left side of a stage is one name (z, y, L) or a family (z_k)"
                )
            if e.key in (self.parameter, *self.extras):
                raise self.fail(e.line, f"{e.key} is the parameter and cannot be a stage")
            if e.key in defined:
                first = defined[e.key].line
                raise self.fail(e.line, f"{e.key} is defined twice (first on line {first})")
            defined[e.key] = e
        for position, e in enumerate(self.equations):
            for used in sorted(_names_used(e.rhs)):
                if used == e.key:
                    raise self.fail(e.line, f"a cycle: {e.key} is defined in terms of itself")
                later = defined.get(used)
                if later is None or self.equations.index(later) < position:
                    continue
                if e.key in _reached(later, defined):
                    raise self.fail(
                        e.line,
                        f"a cycle between stages: {e.key} uses {used} (line {later.line}), "
                        f"which uses {e.key}",
                    )
                raise self.fail(
                    e.line, f"{used} is used before it is defined (on line {later.line})"
                )
        inputs = {
            n for e in self.equations if _uses(e.rhs, self.parameter) for n in _names_used(e.rhs)
        }
        for e in self.equations:
            bare = {str(s) for s in real_bare_symbols(e.rhs)}
            for used in sorted(_names_used(e.rhs) - set(defined) - inputs - {TARGET}):
                if used in bare and used in GREEK:
                    self.check_constant(used, e.line)
                    continue
                raise self.fail(e.line, _undefined(used))

    def matrix_penalty(self, expr: sp.Expr, score: Equation) -> tuple[sp.Expr, tuple]:
        """A penalty on the K rows of w as a double sum over the rows and the features: the
        norm ``\\|w\\|^2`` (read as a sum over one index) or a double sum written out, the sum
        over the rows taking a fresh index (the score's k is the gradient's). Returns it with
        (that index, the number of classes)."""
        (row,) = score.lhs.indices
        classes = self.vocabulary.bound_of(str(row))
        names = {str(i) for e in self.equations for i in _indices(e.rhs) | _indices(e.lhs)}
        name = f"{row}'"
        while name in names:
            name += "'"
        fresh = sp.Symbol(name, integer=True)
        w = family(self.parameter)

        def norm(total: sp.Sum) -> sp.Expr:
            (index, _, _), function = total.limits[0], total.function
            entries = [i for i in function.atoms(sp.Indexed) if i.base == w]
            if len(total.limits) != 1 or not entries:
                return total
            if all(i.indices == (index,) for i in entries):  # the norm: w read as one list
                inner = function.xreplace({i: w[fresh, FEATURE] for i in entries})
                return sp.Sum(sp.Sum(inner, (FEATURE, 1, FEATURES)), (fresh, 1, classes))
            if all(len(i.indices) == 2 and i.indices[0] == index for i in entries):
                return sp.Sum(function.xreplace({index: fresh}), (fresh, 1, classes))
            return total

        return expr.replace(lambda n: isinstance(n, sp.Sum), norm), (fresh, classes)

    def penalty(self, multiclass: bool, score: Equation) -> Equation | None:
        """The penalty as a sum over the D features of the parameter's entries, or None."""
        if self.penalty_at is None:
            return None
        line, expr = self.penalty_at
        expr = real_abs(expr)
        w = self.parameter
        if w not in family_names(expr):
            raise self.fail(
                line,
                f"the penalty does not use the parameter: write it in {w}, such as "
                f"\\frac{{\\lambda}}{{2}} \\|{w}\\|^2 or \\lambda \\sum_j |{w}_j|",
            )
        others = (family_names(expr) - {w}) | {
            str(s) for s in real_bare_symbols(expr) if str(s) not in GREEK
        }
        if others:
            raise self.fail(
                line,
                f"the penalty uses {' and '.join(sorted(others))}: it is written in the "
                f"parameter {w} and constants (Greek letters such as \\lambda)",
            )
        rows = ()
        if multiclass:
            expr, rows = self.matrix_penalty(expr, score)
        expr = expr.replace(lambda n: isinstance(n, sp.Sum), self.feature_sum)
        entries = [i for i in expr.atoms(sp.Indexed) if _name(i) == w]
        free = {i for i in expr.free_symbols if i.is_integer} - {FEATURES, *rows[1:]}
        if any(i.indices != (*rows[:1], FEATURE) for i in entries) or free:
            raise self.fail(
                line,
                f"the penalty sums over the entries of {w}: write \\|{w}\\|^2, "
                f"\\sum_j {w}_j^2 or \\sum_j |{w}_j|",
            )
        return Equation(line, PENALTY, expr)

    def check_penalty_rule(self, regularizer: sp.Expr, entry: sp.Expr, line: int) -> None:
        """The penalty has a rule, and its gradient is c w (the vector form writes c W)."""
        from derive.calculus import NoRule, differentiate

        rule = differentiate(regularizer, entry, check=False)
        missing = [r for r in rule.walk() if isinstance(r, NoRule)]
        if missing:
            raise self.fail(
                line,
                f"no differentiation rule covers the derivative of {missing[0].expr} "
                f"by {missing[0].var} (in the penalty)",
            )
        derivative = sift(rule.eval(), frozenset(entry.indices))
        if sp.simplify(derivative / entry).has(entry.base):
            raise self.fail(
                line,
                f"the penalty's gradient {derivative} is not a multiple of {entry}: penalties "
                f"such as \\frac{{\\lambda}}{{2}} \\|{entry.base}\\|^2 are read",
            )

    def nonnegative_target(self) -> bool:
        """``Assume: $t \\ge 0$`` (counts, as for Poisson regression): the callables check it."""
        stated = self.assumed.ranges.get(TARGET)
        return stated is not None and stated.low >= 0 and stated.high == float("inf")

    def check_constant(self, name: str, line: int) -> None:
        if not usable(name):
            raise self.fail(
                line,
                f"{name} cannot be a constant: {LEARNING_RATE} is the step size of the update "
                "rule; call the constant otherwise"
                if name == LEARNING_RATE
                else f"{name} cannot be a keyword argument: call the constant otherwise",
            )

    def constants(self, equations: list[Equation], score: Equation) -> dict[str, bool]:
        """The constants in order of first use, each with whether it is a bias (a name added to
        the score); every other name the file does not define is an error at its line."""
        defined = {e.key for e in equations}
        offset = _offset(score.rhs)
        bias = {str(s) for s in real_bare_symbols(offset)}
        found: dict[str, bool] = {}
        for e in equations:
            for name in sorted(str(s) for s in real_bare_symbols(e.rhs)):
                if name in defined or name == TARGET or name in found:
                    continue
                if name not in bias and name not in GREEK:
                    raise self.fail(e.line, _undefined(name))
                self.check_constant(name, e.line)
                found[name] = name in bias
        return found

    def with_dot_products(self, e: Equation) -> Equation:
        """``w \\cdot x`` (read as a product) is the dot product w^T x; every sum over the
        entries of the parameter runs over the D features, with the index j'."""
        rhs = e.rhs.replace(lambda n: isinstance(n, sp.Mul), self.dot)
        if sp.Symbol(self.parameter, real=True) in real_bare_symbols(rhs):
            raise self.fail(
                e.line,
                f"the parameter {self.parameter} is a vector: use it in a linear score "
                f"{self.parameter}^T x (or {self.parameter} \\cdot x)",
            )
        rhs = rhs.replace(lambda n: isinstance(n, sp.Sum), self.feature_sum)
        return Equation(e.line, e.lhs, rhs)

    def fresh_sums(self, e: Equation, free: set[str], taken: set[str]) -> Equation:
        """A sum over an index that is free elsewhere (the k of z_k) gets a fresh one (k'),
        so that differentiating by z_k does not capture it."""
        rhs = e.rhs.replace(
            lambda n: isinstance(n, sp.Sum) and str(n.limits[0][0]) in free,
            lambda n: _renamed(n, taken),
        )
        return Equation(e.line, e.lhs, rhs)

    def dot(self, product: sp.Mul) -> sp.Expr:
        """w x (or w_k x) with x a bare name: sum_j' w_j' x_j' (or sum_j' w_{k,j'} x_j')."""
        mine = [a for a in product.args if _name(a) == self.parameter]
        others = [
            a
            for a in product.args
            if isinstance(a, sp.Symbol) and not a.is_integer and a not in mine
        ]
        if len(mine) != 1 or len(others) != 1:
            return product
        (w,), (x,) = mine, others
        if isinstance(w, sp.Indexed) and len(w.indices) != 1:
            return product
        rows = w.indices if isinstance(w, sp.Indexed) else ()
        entry = family(self.parameter)[(*rows, FEATURE)]
        rest = sp.Mul(*(a for a in product.args if a is not w and a is not x))
        return rest * sp.Sum(entry * family(str(x))[FEATURE], (FEATURE, 1, FEATURES))

    def feature_sum(self, total: sp.Sum) -> sp.Expr:
        if len(total.limits) != 1:
            return total
        index = total.limits[0][0]
        entries = [
            i
            for i in total.function.atoms(sp.Indexed)
            if _name(i) == self.parameter and i.indices[-1] == index
        ]
        if not entries:
            return total
        return sp.Sum(total.function.xreplace({index: FEATURE}), (FEATURE, 1, FEATURES))

    # -- the chain --------------------------------------------------------------------------------

    def chain(self, equations: list[Equation]) -> list[Equation]:
        """The stages from the loss down to the score, each using the one below it only.

        A stage that uses several stages (L = mu - t z with mu = e^z) gets the definitions of
        all but the earliest of them substituted (L = e^z - t z), until it uses one: the chain
        rule then follows one path, and the substituted stages stay definitions of the model
        (``self.inlined``), named in a note.
        """
        by_key = {e.key: e for e in equations}
        self.position = {e.key: n for n, e in enumerate(equations)}
        self.inlined: list[Equation] = []
        self.inline_notes: list[str] = []
        current = loss = equations[-1]
        chain = [current]
        while not _uses(current.rhs, self.parameter):
            below = sorted(_names_used(current.rhs) & set(by_key), key=self.position.__getitem__)
            if not below:
                raise self.fail(
                    current.line,
                    f"the loss does not depend on the parameter {self.parameter}"
                    if current is loss
                    else f"{current.key} does not depend on the parameter {self.parameter}, "
                    "so neither does the loss",
                )
            if len(below) > 1:
                current = self.inline(current, [by_key[k] for k in below[1:]], below[0])
                chain[-1] = current
                continue
            current = by_key[below[0]]
            chain.append(current)
        if _names_used(current.rhs) & set(by_key):
            raise self.fail(
                current.line,
                f"the score {current.key} uses the parameter and another stage: the parameter "
                "enters through a linear score such as z = w^T x",
            )
        kept = {e.key for e in chain} | {e.key for e in self.inlined}
        for e in equations:
            if e.key not in kept:
                raise self.fail(e.line, f"the loss does not use {e.key}")
        if isinstance(loss.lhs, sp.Indexed):
            raise self.fail(loss.line, "the loss is one number: L = ..., not a family")
        return chain

    def inline(self, stage: Equation, others: list[Equation], kept: str) -> Equation:
        """The stage with the definitions of ``others`` substituted (scalar stages only)."""
        if any(isinstance(e.lhs, sp.Indexed) for e in (stage, *others)):
            names = " and ".join(sorted([kept, *(e.key for e in others)]))
            raise self.fail(
                stage.line,
                f"{stage.key} uses {names}: with K classes the stages of a model file form one "
                "chain, each using the stage before it",
            )
        rhs = stage.rhs
        for e in others:
            rhs = rhs.xreplace({e.lhs: e.rhs})
            if e.key not in {i.key for i in self.inlined}:
                self.inlined.append(e)
        names = " and ".join(e.key for e in others)
        self.inline_notes.append(
            f"{stage.key} uses {kept} and {names}: the definition of {names} is substituted "
            f"into {stage.key}, so that the chain rule follows one path through {kept}."
        )
        return Equation(stage.line, stage.lhs, rhs)

    def check_score(self, score: Equation, multiclass: bool) -> None:
        """The score is w^T x (z_k = w_k^T x with K classes); the stages between it and the
        loss are numbers with a number score, families with a family of scores."""
        rows = score.lhs.indices if multiclass else ()
        w = family(self.parameter)
        offset = _offset(score.rhs)
        rhs = score.rhs - offset
        biases = {family(b)[rows] for b in self.extras} if rows else set()
        if offset.atoms(sp.Indexed) - biases or offset.has(sp.Sum):
            raise self.fail(
                score.line,
                f"the score {_shown(score.lhs)} adds to {self.parameter}^T x only constants "
                "(a bias b), not a family or a sum",
            )
        linear = (
            isinstance(rhs, sp.Sum)
            and rhs.limits == ((FEATURE, 1, FEATURES),)
            and isinstance(rhs.function, sp.Mul)
            and len(rhs.function.args) == 2
            and w[(*rows, FEATURE)] in rhs.function.args
            and any(
                isinstance(a, sp.Indexed) and a.indices == (FEATURE,) and a.base != w
                for a in rhs.function.args
            )
        )
        if not linear:
            w = self.parameter
            forms = (
                f"{w}_{rows[0]}^T x (or {w}_{rows[0]} \\cdot x)"
                if rows
                else f"{w}^T x (or {w} \\cdot x, \\sum_j {w}_j x_j)"
            )
            raise self.fail(
                score.line,
                f"the score {_shown(score.lhs)} must be linear in the parameter: "
                f"{_shown(score.lhs)} = {forms}",
            )
        for e in self.equations[:-1]:
            if isinstance(e.lhs, sp.Indexed) != multiclass:
                raise self.fail(
                    e.line,
                    f"{e.key} is one number but the scores {score.key} are a family over the "
                    f"classes: write {e.key}_k = ..."
                    if multiclass
                    else f"{_shown(e.lhs)} is a family over the classes but the score "
                    f"{score.key} is one number",
                )

    def one_hot(self, chain: list[Equation]) -> tuple[Definition, ...]:
        """t_k = delta_kT: a multiclass model's targets are one-hot (and say so)."""
        loss = chain[0]
        if self.assumed.one_hot is None or TARGET not in family_names(loss.rhs):
            raise self.fail(
                loss.line,
                f"a model with K scores needs one-hot targets: write {TARGET}_k in the loss and "
                f"a line `Assume: ${TARGET}$ is one-hot`",
            )
        name, line = self.assumed.one_hot
        if name != TARGET:
            raise self.fail(line, f"only the target {TARGET} can be one-hot")
        return (
            Definition(
                family(TARGET)[CLASS],
                sp.KroneckerDelta(CLASS, LABEL),
                "one-hot targets: only the correct class T has target 1",
            ),
        )

    def path(self, chain: list[Equation], assumptions) -> tuple[sp.Expr, ...]:
        """The chain of variables, from the loss to the parameter entry."""
        score = chain[-1]
        if not isinstance(score.lhs, sp.Indexed):
            variables = [e.lhs for e in chain]
            return (*variables, family(self.parameter)[self.entry])
        if len(chain) > 3:
            raise self.fail(
                chain[1].line,
                "between the loss and the scores, a model file with K classes has at most one "
                f"stage (such as the softmax), not {len(chain) - 2}",
            )
        (row,) = score.lhs.indices
        variables = [chain[0].lhs]
        if len(chain) == 3:
            middle = chain[1]
            one_hot = {d.lhs.base: d for d in assumptions}
            loss = chain[0].rhs.replace(
                lambda n: isinstance(n, sp.Indexed) and n.base in one_hot,
                lambda n: sp.KroneckerDelta(n.indices[0], LABEL),
            )
            members = {m for m in sift(loss).atoms(sp.Indexed) if _name(m) == middle.key}
            if members != {family(middle.key)[LABEL]}:
                raise self.fail(
                    chain[0].line,
                    f"with one-hot targets the loss must use {middle.key} at the correct class "
                    f"only ({middle.key}_T), as the cross-entropy does",
                )
            variables.append(family(middle.key)[LABEL])
        variables.append(score.lhs)
        return (*variables, family(self.parameter)[row, self.entry])

    def stage(self, e: Equation, is_score: bool, is_loss: bool, multiclass: bool) -> Stage:
        if is_loss:
            name = "the loss"
        elif is_score:
            name = "linear scores" if multiclass else "linear score"
        elif _softmax_parts(e.lhs, e.rhs) is not None:
            name = "softmax activation"
        else:
            func = getattr(e.rhs, "func", None)
            name = ACTIVATIONS.get(getattr(func, "__name__", ""), f"stage {e.key}")
        return Stage(e.lhs, e.rhs, name)

    def check_rules(self, stages, path, chain: list[Equation]) -> None:
        """Every local derivative of the chain has a differentiation rule (else the engine
        would stop with NoRuleError, without the line)."""
        from derive.calculus import NoRule, differentiate

        by_name = {_name(s.symbol): s for s in stages}
        for upper, lower, equation in zip(path, path[1:], chain, strict=False):
            stage = by_name[_name(upper)]
            expr = stage.expr
            if isinstance(upper, sp.Indexed):
                expr = expr.xreplace(dict(zip(stage.symbol.indices, upper.indices, strict=True)))
            rule = differentiate(expr, lower, check=False)
            missing = [r for r in rule.walk() if isinstance(r, NoRule)]
            if missing:
                raise self.fail(
                    equation.line,
                    f"no differentiation rule covers the derivative of {missing[0].expr} "
                    f"by {missing[0].var} (in d{upper}/d{lower})",
                )


class _Plain:
    """The parser's symbols (real=True, integer=True) as the built-in models write them."""

    def __init__(self, stages: list[Stage], assumptions, path: list) -> None:
        exprs = [x for s in stages for x in (s.symbol, s.expr)]
        exprs += [x for d in assumptions for x in (d.lhs, d.rhs)] + list(path)
        table: dict[sp.Basic, sp.Basic] = {}
        for expr in exprs:
            for base in expr.atoms(sp.IndexedBase):
                table[base] = sp.IndexedBase(str(base.label))
            for s in expr.atoms(sp.Symbol):
                if s.is_integer and not s.is_positive:
                    table[s] = sp.Symbol(s.name, integer=True, positive=True)
                elif not s.is_integer:
                    table[s] = sp.Symbol(s.name)
        self.table = table
        self.indices = {v for v in table.values() if isinstance(v, sp.Symbol) and v.is_integer} | {
            s for x in exprs for s in x.atoms(sp.Symbol) if s.is_integer and s.is_positive
        }

    def __call__(self, expr: sp.Expr) -> sp.Expr:
        return expr.xreplace(self.table)

    def bounds(
        self, vocabulary: Vocabulary, score: Equation, entry: sp.Symbol
    ) -> dict[sp.Symbol, sp.Expr]:
        """Every index with the size it runs up to: features to D, classes to K."""
        classes = (
            vocabulary.bound_of(str(score.lhs.indices[0]))
            if isinstance(score.lhs, sp.Indexed)
            else None
        )
        found: dict[sp.Symbol, sp.Expr] = {}
        for index in sorted(self.indices, key=str):
            if index in (FEATURE, entry):
                found[index] = FEATURES
            elif index == LABEL:
                found[index] = classes
            elif index.name not in vocabulary.sizes and index != FEATURES:
                found[index] = vocabulary.bound_of(index.name)
        return {k: v for k, v in found.items() if v is not None}


def _undefined(name: str) -> str:
    return (
        f"{name} is used but never defined: define it in a display equation above (a file "
        f"need not define the input x of the score, the target {TARGET}, a bias added to the "
        "score, and constants written as Greek letters such as \\lambda)"
    )


def _offset(score: sp.Expr) -> sp.Expr:
    """The terms of a score besides its sum over the features: the bias b of w^T x + b."""
    return sp.Add(*(a for a in sp.Add.make_args(score) if not a.has(sp.Sum)))


def _constants_note(hyperparameters) -> list[str]:
    if not hyperparameters:
        return []
    each = [f"{h.symbol} (keyword {h.keyword}, default {h.default:g})" for h in hyperparameters]
    names = " and ".join([", ".join(each[:-1]), each[-1]] if len(each) > 1 else each)
    one = len(hyperparameters) == 1
    return [
        f"The constant{'' if one else 's'} {names} {'is' if one else 'are'} the same for every "
        "example; the callables take "
        f"{'it as a keyword argument' if one else 'them as keyword arguments'}."
    ]


def _softmax_parts(lhs: sp.Expr, rhs: sp.Expr):
    """(scores family, denominator) when lhs_k = e^{z_k} / sum_j e^{z_j}, else None."""
    if not isinstance(lhs, sp.Indexed) or len(lhs.indices) != 1:
        return None
    numerator, denominator = rhs.as_numer_denom()
    if not (isinstance(numerator, sp.exp) and isinstance(denominator, sp.Sum)):
        return None
    inner = numerator.args[0]
    if not isinstance(inner, sp.Indexed) or inner.indices != lhs.indices:
        return None
    (index, _, _), function = denominator.limits[0], denominator.function
    if function != sp.exp(inner.base[index]):
        return None
    return inner.base, denominator


def _softmax_rewrite(stage: Stage) -> Rewrite | None:
    """e^{z_a} = y_a sum_j e^{z_j}, so that derivatives come back in the softmax y."""
    parts = _softmax_parts(stage.symbol, stage.expr)
    if parts is None:
        return None
    scores, total = parts
    a = sp.Wild("a")
    y = stage.symbol.base
    return Rewrite(sp.exp(scores[a]), y[a] * total, f"e^{{z_a}} = {y}_a sum e^{{z}}")


def _indices(expr: sp.Expr) -> set[sp.Symbol]:
    """The index symbols of an expression, free or summed."""
    return {s for s in expr.atoms(sp.Symbol) if s.is_integer}


def _renamed(total: sp.Sum, taken: set[str]) -> sp.Sum:
    """The sum over a fresh index: k -> k' (or k'', ...), a name used nowhere else."""
    index = total.limits[0][0]
    name = f"{index.name}'"
    while name in taken:
        name += "'"
    taken.add(name)
    fresh = sp.Symbol(name, integer=True)
    return sp.Sum(total.function.xreplace({index: fresh}), (fresh, *total.limits[0][1:]))


def _definable(lhs: sp.Expr) -> bool:
    if isinstance(lhs, sp.Symbol):
        return not lhs.is_integer
    return (
        isinstance(lhs, sp.Indexed)
        and len(lhs.indices) == 1
        and isinstance(lhs.indices[0], sp.Symbol)
        and bool(lhs.indices[0].is_integer)
    )


def _name(expr: sp.Expr) -> str:
    return str(expr.base.label) if isinstance(expr, sp.Indexed) else str(expr)


def _shown(expr: sp.Expr) -> str:
    return f"{expr.base.label}_{expr.indices[0]}" if isinstance(expr, sp.Indexed) else str(expr)


def _names_used(expr: sp.Expr) -> set[str]:
    return {str(s) for s in real_bare_symbols(expr)} | family_names(expr)


def _uses(expr: sp.Expr, name: str) -> bool:
    return name in _names_used(expr)


def _reached(start: Equation, defined: dict[str, Equation]) -> set[str]:
    """The stage names a stage uses, directly or through other stages."""
    seen: set[str] = set()
    todo = [start]
    while todo:
        e = todo.pop()
        for used in _names_used(e.rhs):
            if used in defined and used not in seen:
                seen.add(used)
                todo.append(defined[used])
    return seen
