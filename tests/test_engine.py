"""The engine's derivations: the assignment's results, every step verified, nothing hard-coded."""

import pytest
import sympy as sp

import derive
from derive.engine import derive_model
from derive.errors import NoRuleError, VerificationError
from derive.model import Model, Rewrite, Stage
from derive.models import logistic, softmax, svm


def equal(a: sp.Expr, b: sp.Expr) -> bool:
    return sp.simplify(a - b) == 0


def last(section):
    return section.steps[-1].rhs


@pytest.fixture(scope="module", params=derive.derivations())
def any_derivation(request):
    return derive.derivation(request.param)


def test_every_step_is_verified_and_says_how(any_derivation):
    steps = list(any_derivation.steps) + [
        any_derivation.vector_form,
        any_derivation.update_rule.step,
    ]
    assert len(steps) >= 8
    for step in steps:
        v = step.verification
        assert v.method in ("symbolic", "numeric")
        if v.method == "numeric":
            assert v.points >= 4 and v.max_error is not None and v.max_error <= 1e-8
        assert step.rule and step.justification


def test_steps_chain_within_a_section(any_derivation):
    for section in any_derivation.sections:
        for before, after in zip(section.steps, section.steps[1:], strict=False):
            if after.case is None and before.case is None and after.rule != "result":
                assert after.lhs == before.rhs or isinstance(after.lhs, sp.Derivative)


def test_logistic_matches_the_assignment():
    d = derive.derivation("logistic")
    y, t, x, j = logistic.y, logistic.t, logistic.x, logistic.j
    dl_dy = d.section("d_L_d_y")
    assert equal(last(dl_dy), -t / y + (1 - t) / (1 - y))
    assert equal(last(d.section("d_y_d_z")), y * (1 - y))
    assert not last(d.section("d_y_d_z")).has(sp.exp)  # in the stage symbol, not expanded
    assert equal(d.result.rhs, (y - t) * x[j])
    rules = [s.rule for s in dl_dy.steps]
    assert "sum rule" in rules and "chain rule" in rules


def test_softmax_cases_come_from_the_kronecker_delta():
    d = derive.derivation("softmax")
    y, t, k, T = softmax.y, softmax.t, softmax.k, softmax.T
    local = d.section(f"d_{y[T]}_d_{softmax.z[k]}")
    cases = {s.case.text: s for s in local.steps if s.case is not None}
    assert set(cases) == {"k = T", "k != T"}
    assert equal(cases["k = T"].rhs, y[k] * (1 - y[k]))
    assert equal(cases["k != T"].rhs, -y[T] * y[k])
    assert any(s.rule == "quotient rule" for s in local.steps)
    assert equal(last(d.section(f"d_L_d_{y[T]}")), -1 / y[T])
    combined = d.section(f"d_L_d_{softmax.z[k]}")
    assert equal(combined.steps[-1].rhs, y[k] - t[k])
    assert equal(d.result.rhs, (y[k] - t[k]) * softmax.x[softmax.j])


def test_svm_subgradient_and_convention():
    d = derive.derivation("svm")
    s, j, c = svm.s, svm.j, svm.c
    local = d.section(f"d_L_d_{s[j]}")
    cases = {st.case.text: st for st in local.steps if st.case is not None}
    assert set(cases) == {"j = y_i", "j != y_i"}
    assert cases["j != y_i"].rhs == sp.Heaviside(s[j] - s[c] + 1, 0)
    same = cases["j = y_i"].rhs
    assert same.has(sp.Sum) and same.could_extract_minus_sign()
    assert any("kink" in note for note in d.notes)


def test_vector_form_and_update_rule(any_derivation):
    vf = any_derivation.vector_form
    assert isinstance(vf.rhs, sp.MatrixExpr)
    assert vf.verification.method == "numeric" and vf.substeps
    update = any_derivation.update_rule
    assert update.step.lhs.has(sp.Derivative) and update.step.rhs.has(sp.Sum)


def test_softmax_vector_form_is_y_minus_t():
    rhs = derive.derivation("softmax").vector_form.rhs
    names = {m.name for m in rhs.atoms(sp.MatrixSymbol)}
    assert names == {"Y", "T", "X"}


def tanh_regression() -> Model:
    j, jp = sp.symbols("j j'", integer=True, positive=True)
    D = sp.Symbol("D", integer=True, positive=True)
    w, x = sp.IndexedBase("w"), sp.IndexedBase("x")
    z, y, t, L = sp.symbols("z y t L")
    return Model(
        name="tanh-regression",
        title="Tanh regression",
        summary="squared error after tanh",
        stages=(
            Stage(z, sp.Sum(w[jp] * x[jp], (jp, 1, D)), "linear score"),
            Stage(y, sp.tanh(z), "tanh activation"),
            Stage(L, (y - t) ** 2 / 2, "squared error"),
        ),
        chain=(L, y, z, w[j]),
        rewrites=(Rewrite(sp.tanh(z), y, "y = tanh z"),),
        index_bounds={j: D, jp: D},
    )


def test_a_model_the_user_declares():
    model = tanh_regression()
    d = derive.derive(model)
    y, t = sp.symbols("y t")
    x, j = sp.IndexedBase("x"), sp.Symbol("j", integer=True, positive=True)
    assert equal(d.result.rhs, (y - t) * (1 - y**2) * x[j])


def test_a_stage_without_rule_fails_clearly():
    model = tanh_regression()
    z = sp.Symbol("z")
    f = sp.Function("f")
    broken = Model(
        **{
            **model.__dict__,
            "stages": (model.stages[0], Stage(sp.Symbol("y"), f(z), "unknown"), model.stages[2]),
        }
    )
    with pytest.raises(NoRuleError, match="no differentiation rule"):
        derive_model(broken)


def test_a_wrong_rewrite_is_caught_not_printed():
    model = tanh_regression()
    z, y = sp.symbols("z y")
    wrong = Model(
        **{
            **model.__dict__,
            "stages": (model.stages[0], Stage(y, sp.tanh(z), "tanh"), model.stages[2]),
            "rewrites": (Rewrite(sp.tanh(z) ** 2, 2 * y, "a wrong identity"),),
        }
    )
    with pytest.raises(VerificationError):
        derive_model(wrong)


def test_derivation_to_dict_and_latex(any_derivation):
    data = any_derivation.to_dict()
    assert data["name"] == any_derivation.name
    assert data["steps"] and all("verification" in s for s in data["steps"])
    assert "\\frac" in any_derivation.latex() or "\\partial" in any_derivation.latex()
    assert any_derivation._repr_latex_().startswith("$")
