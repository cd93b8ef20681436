"""Rendering derivations: layout, templates (strict), text, notebook LaTeX, report context.

The derivations here are built by hand with realistic expressions (the engine is tested
elsewhere); tests/test_pdf.py imports them to compile a real report.
"""

from __future__ import annotations

import jinja2
import pytest
import sympy as sp

from derive.errors import BuildError, InputError
from derive.functions import example, indicator, sigmoid
from derive.model import Model, Stage
from derive.render import (
    derivation_fragment,
    derivation_notebook,
    derivation_text,
    layout,
    report,
    templates,
)
from derive.render.breaking import break_points
from derive.render.measure import width_em
from derive.steps import (
    Case,
    Definition,
    Derivation,
    Section,
    Step,
    UpdateRule,
    Verification,
)

SYMBOLIC = Verification("symbolic", "cancel")
NUMERIC = Verification("numeric", "K = 2, 3, 4", points=24, sizes=(2, 3, 4), max_error=3e-16)

L, J, alpha = sp.symbols("L J alpha")
N, K, D = sp.symbols("N K D", integer=True, positive=True)
i, j, k, kp, T = sp.symbols("i j k k' T", integer=True, positive=True)
y_, t_, z_ = sp.symbols("y t z")
x, w, W, y, z, t, s = (sp.IndexedBase(n) for n in ("x", "w", "W", "y", "z", "t", "s"))
yi = sp.Symbol("y_i", integer=True, positive=True)


def step(lhs, rhs, rule, why="", verification=SYMBOLIC, case=None, substeps=()) -> Step:
    return Step(lhs, rhs, rule, why, verification, case, tuple(substeps))


def d(f, v) -> sp.Derivative:
    return sp.Derivative(f, v)


def logistic_derivation() -> Derivation:
    """Q1: logistic regression, dL/dw_j = (y - t) x_j."""
    score = sp.Sum(w[j] * x[j], (j, 1, D))
    loss = -t_ * sp.log(y_) - (1 - t_) * sp.log(1 - y_)
    model = Model(
        name="logistic",
        title="Logistic regression",
        summary="Binary classification.",
        stages=(
            Stage(z_, score, "linear score"),
            Stage(y_, sigmoid(z_), "sigmoid activation"),
            Stage(L, loss, "cross-entropy loss"),
        ),
        chain=(L, y_, z_, w[j]),
    )
    dl_dy = (
        step(
            d(L, y_),
            sp.Add(d(-t_ * sp.log(y_), y_), d(-(1 - t_) * sp.log(1 - y_), y_), evaluate=False),
            "sum rule",
            "the derivative of a sum is the sum of the derivatives",
        ),
        step(
            sp.Add(d(-t_ * sp.log(y_), y_), d(-(1 - t_) * sp.log(1 - y_), y_), evaluate=False),
            -t_ / y_ + (1 - t_) / (1 - y_),
            "log rule",
            "d log u / du = 1/u, and the chain rule for log(1 - y)",
        ),
    )
    dy_dz = (
        step(d(y_, z_), d(sigmoid(z_), z_), "definition", "y = sigma(z)"),
        step(d(sigmoid(z_), z_), sigmoid(z_) * (1 - sigmoid(z_)), "sigmoid derivative"),
        step(sigmoid(z_) * (1 - sigmoid(z_)), y_ * (1 - y_), "substitution", "sigma(z) = y"),
        step(d(z_, w[j]), x[j], "linear score", "only the j-th term of the sum depends on w_j"),
    )
    product = sp.Mul(-t_ / y_ + (1 - t_) / (1 - y_), y_ * (1 - y_), x[j], evaluate=False)
    chain_steps = (
        step(
            d(L, w[j]),
            sp.Mul(d(L, y_), d(y_, z_), d(z_, w[j]), evaluate=False),
            "chain rule",
            "L depends on w_j only through y and z",
        ),
        step(
            sp.Mul(d(L, y_), d(y_, z_), d(z_, w[j]), evaluate=False),
            product,
            "substitution",
            "the three local derivatives",
        ),
        step(
            product,
            sp.Mul(sp.Add(-t_ * (1 - y_), (1 - t_) * y_, evaluate=False), x[j], evaluate=False),
            "expand",
            verification=NUMERIC,
        ),
        step(
            sp.Mul(sp.Add(-t_ * (1 - y_), (1 - t_) * y_, evaluate=False), x[j], evaluate=False),
            (y_ - t_) * x[j],
            "simplify",
        ),
    )
    result = step(d(L, w[j]), (y_ - t_) * x[j], "chain rule")
    Xm = sp.MatrixSymbol("X", N, D)
    ym, tm = sp.MatrixSymbol("y", N, 1), sp.MatrixSymbol("t", N, 1)
    wm = sp.MatrixSymbol("w", D, 1)
    vector = step(d(J, wm), sp.MatMul(1 / N, sp.Transpose(Xm), ym - tm), "vector form")
    update = UpdateRule(
        w[j],
        step(
            w[j] - alpha * d(J, w[j]),
            w[j]
            - alpha / N * sp.Sum((example(y_, i) - example(t_, i)) * example(x[j], i), (i, 1, N)),
            "gradient descent",
            "J is the mean of the per-example losses",
        ),
    )
    return Derivation(
        name="logistic",
        title="Logistic regression",
        summary="The gradient of the cross-entropy loss of a logistic model, stage by stage.",
        model=model,
        definitions=model.definitions(),
        sections=(
            Section("dl_dy", "The loss with respect to the output", "", dl_dy),
            Section("local", "The activation and the score", "Two local derivatives.", dy_dz),
            Section("chain", "Putting the chain together", "", chain_steps),
        ),
        result=result,
        vector_form=vector,
        update_rule=update,
        notes=("The averaged cost J has the averaged gradient.",),
    )


def softmax_derivation() -> Derivation:
    """Q2: softmax regression with the two cases k = T and k != T."""
    total = sp.Sum(sp.exp(z[kp]), (kp, 1, K))
    model = Model(
        name="softmax",
        title="Softmax regression",
        summary="K classes.",
        stages=(
            Stage(z[k], sp.Sum(W[k, j] * x[j], (j, 1, D)), "linear scores"),
            Stage(y[k], sp.exp(z[k]) / total, "softmax"),
            Stage(L, -sp.log(y[T]), "cross-entropy loss with correct class T"),
        ),
        chain=(L, y[T], z[k], W[k, j]),
    )
    same, other = Case(sp.Eq(k, T), "k = T"), Case(sp.Ne(k, T), "a wrong class")
    quotient = step(
        d(y[T], z[k]),
        d(sp.exp(z[T]) / total, z[k]),
        "definition",
        "y_T is the softmax of z at T",
    )
    long_numerator = (
        sp.KroneckerDelta(k, T) * sp.exp(z[T]) * total - sp.exp(z[T]) * sp.exp(z[k])
    ) / total**2
    expanded = sp.Add(
        sp.exp(z[T]) * sp.exp(z[1]) / total**2,
        sp.exp(z[T]) * sp.exp(z[2]) / total**2,
        -sp.exp(z[T]) * sp.exp(z[k]) / total**2,
        sp.exp(z[T]) * sp.exp(z[3]) / total**2,
        -sp.exp(z[T]) * sp.exp(z[4]) / total**2,
        sp.exp(z[T]) * sp.exp(z[5]) / total**2,
        evaluate=False,
    )
    cases = (
        step(d(L, y[T]), -1 / y[T], "log rule", "L = -log y_T"),
        quotient,
        step(
            d(sp.exp(z[T]) / total, z[k]),
            long_numerator,
            "quotient rule",
            substeps=[
                step(
                    d(total, z[k]), sp.exp(z[k]), "sum rule", "only the term k' = k depends on z_k"
                )
            ],
        ),
        step(d(y[T], z[k]), y[k] * (1 - y[k]), "simplify", case=same),
        step(
            d(L, z[k]),
            sp.Mul(-1 / y[k], y[k] * (1 - y[k]), evaluate=False),
            "chain rule",
            case=same,
        ),
        step(sp.Mul(-1 / y[k], y[k] * (1 - y[k]), evaluate=False), y[k] - 1, "cancel", case=same),
        step(d(y[T], z[k]), -y[T] * y[k], "simplify", case=other),
        step(
            d(L, z[k]),
            sp.Mul(-1 / y[T], -y[T] * y[k], evaluate=False),
            "chain rule",
            case=other,
            verification=NUMERIC,
        ),
        step(sp.Mul(-1 / y[T], -y[T] * y[k], evaluate=False), y[k], "cancel", case=other),
    )
    long_section = (
        step(d(L, z[k]), expanded, "expand", "a deliberately long sum", verification=NUMERIC),
        step(expanded, y[k] - sp.KroneckerDelta(k, T), "collect", "one-hot: t_k = delta_kT"),
    )
    result = step(d(L, W[k, j]), (y[k] - t[k]) * x[j], "chain rule")
    Ym, Tm = sp.MatrixSymbol("Y", N, K), sp.MatrixSymbol("T", N, K)
    Xm, Wm = sp.MatrixSymbol("X", N, D), sp.MatrixSymbol("W", K, D)
    vector = step(d(J, Wm), sp.MatMul(1 / N, sp.Transpose(Ym - Tm), Xm), "vector form")
    update = UpdateRule(
        W[k, j],
        step(
            W[k, j] - alpha * d(J, W[k, j]),
            W[k, j]
            - alpha
            / N
            * sp.Sum((example(y[k], i) - example(t[k], i)) * example(x[j], i), (i, 1, N)),
            "gradient descent",
        ),
    )
    return Derivation(
        name="softmax",
        title="Softmax regression",
        summary="The gradient of the softmax cross-entropy loss, with its two cases.",
        model=model,
        definitions=model.definitions()
        + (Definition(t[k], sp.KroneckerDelta(k, T), "one-hot targets"),),
        sections=(
            Section("cases", "The softmax by cases", "Two cases: k = T and k != T.", cases),
            Section("long", "A long expansion", "", long_section),
        ),
        result=result,
        vector_form=vector,
        update_rule=update,
    )


def svm_derivation() -> Derivation:
    """Q3's multiclass SVM (hinge) loss: an indicator of a positive margin."""
    loss = sp.Sum(sp.Max(0, s[j] - s[yi] + 1), (j, 1, K)) - 1
    model = Model(
        name="svm",
        title="Multiclass SVM",
        summary="Hinge loss.",
        stages=(
            Stage(s[j], sp.Sum(W[j, k] * x[k], (k, 1, D)), "class scores"),
            Stage(L, loss, "multiclass hinge loss"),
        ),
        chain=(L, s[j], W[j, k]),
    )
    wrong = Case(sp.Ne(j, yi), "j is a wrong class")
    steps = (
        step(d(L, s[j]), d(sp.Max(0, s[j] - s[yi] + 1), s[j]), "sum rule", case=wrong),
        step(
            d(sp.Max(0, s[j] - s[yi] + 1), s[j]),
            indicator(s[j] - s[yi] + 1),
            "hinge",
            "the subgradient 0 at the kink",
            case=wrong,
        ),
    )
    result = step(d(L, W[j, k]), indicator(s[j] - s[yi] + 1) * x[k], "chain rule", case=wrong)
    vector = step(d(L, W[j, k]), indicator(s[j] - s[yi] + 1) * x[k], "vector form")
    update = UpdateRule(
        W[j, k],
        step(
            W[j, k] - alpha * d(J, W[j, k]),
            W[j, k] - alpha / N * sp.Sum(example(indicator(s[j] - s[yi] + 1) * x[k], i), (i, 1, N)),
            "gradient descent",
        ),
    )
    return Derivation(
        name="svm",
        title="Multiclass SVM loss",
        summary="The subgradient of the hinge loss.",
        model=model,
        definitions=model.definitions(),
        sections=(Section("hinge", "The hinge", "", steps),),
        result=result,
        vector_form=vector,
        update_rule=update,
    )


DERIVATIONS = {
    "logistic": logistic_derivation,
    "softmax": softmax_derivation,
    "svm": svm_derivation,
}


def fake_derivation(name: str) -> Derivation:
    """Stands in for derive.derivation while the engine is being written."""
    if name not in DERIVATIONS:
        raise InputError(f"unknown derivation {name!r}")
    return DERIVATIONS[name]()


AGREEMENT = [
    {
        "model": "logistic",
        "N": 50,
        "D": 7,
        "K": None,
        "err_reference": 1.1e-16,
        "err_finite_difference": 2.4e-10,
    },
    {
        "model": "softmax",
        "N": 50,
        "D": 7,
        "K": 4,
        "err_reference": 2.2e-16,
        "err_finite_difference": 3.1e-10,
    },
]

CHECK = {
    "file": "examples/softmax_derivation.md",
    "steps": [
        {
            "line": 12,
            "block": 1,
            "step": 1,
            "lhs": r"\frac{\partial L}{\partial y_T}",
            "rhs": r"-\frac{1}{y_T}",
            "verdict": "proved",
            "detail": "cancel",
        },
        {
            "line": 40,
            "block": 4,
            "step": 2,
            "lhs": r"\frac{\partial y_T}{\partial z_k}",
            "rhs": r"\frac{0 - e^{z_T} e^{z_k}}{(\sum_{k'} e^{z_{k'}})^2 - e^{z_T} e^{z_k}}",
            "verdict": "refuted",
            "detail": "the two sides differ",
            "counterexample": {"z_1": 0.5, "z_2": -1.25, "K": 2},
            "correction": r"\frac{0 - e^{z_T} e^{z_k}}{(\sum_{k'} e^{z_{k'}})^2}",
        },
    ],
    "summary": {"proved": 1, "refuted": 1},
}


# --- layout -------------------------------------------------------------------------------


def test_consecutive_steps_form_one_chain():
    chains = layout.chains_of(logistic_derivation().section("chain").steps)
    assert [len(c) for c in chains] == [4]


def test_separate_equalities_start_new_chains():
    chains = layout.chains_of(logistic_derivation().section("local").steps)
    assert [len(c) for c in chains] == [3, 1]


def test_cases_are_grouped_and_summarised():
    view = layout.layout_section(softmax_derivation().section("cases"))
    assert [b.condition for b in view.blocks] == ["", "k = T", r"k \neq T"]
    assert view.blocks[2].description == "a wrong class"
    assert view.blocks[1].description == ""  # the text only repeats the condition
    assert view.summary is not None
    assert view.summary.lhs == r"\frac{\partial \mathcal{L}}{\partial z_{k}}"
    assert view.summary.rows == (("y_{k} - 1", "k = T"), ("y_{k}", r"k \neq T"))


def test_substeps_follow_their_chain_after_where():
    view = layout.layout_section(softmax_derivation().section("cases"))
    rows = view.blocks[0].display.lines
    where = [n for n, row in enumerate(rows) if row.intertext == "where"]
    assert len(where) == 1 and rows[where[0] + 1].rhs == "e^{z_{k}}"


def test_chains_in_one_display_are_separated_by_a_gap():
    rows = layout.layout_section(logistic_derivation().section("local")).blocks[0].display.lines
    assert [row.gap for row in rows] == [False, False, True, False]


def test_long_sums_are_broken_to_fit():
    display = layout.layout_section(softmax_derivation().section("long")).blocks[0].display
    room = layout.TEXT_WIDTH_EM / (layout.SMALL if display.small else 1)
    assert len(display.lines) > 2
    assert all(width_em(f"{line.lhs} = {line.rhs}") <= room for line in display.lines)
    continuation = [line for line in display.lines if not line.relation]
    assert continuation and all(line.rhs.startswith(layout.CONTINUATION) for line in continuation)


def test_counts_distinct_steps_and_their_checks():
    counts = layout.count_verifications(logistic_derivation())
    assert counts.numeric == 1 and counts.fewest_points == counts.most_points == 24
    assert counts.steps == counts.symbolic + counts.numeric
    assert counts.steps == 10 + 3  # the section steps, the result, vector form and update


def test_chain_rule_overview_from_the_model_path():
    gradient, product, path = layout.chain_rule(logistic_derivation().model.chain)
    assert gradient == r"\frac{\partial \mathcal{L}}{\partial w_{j}}"
    assert product.count(r"\cdot") == 2
    assert path == r"w_{j} \to z \to y \to \mathcal{L}"


# --- templates ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (r"\input{/etc/passwd}", r"\textbackslash{}input\{/etc/passwd\}"),
        ("50% a_b #1 $x$ & ~ ^", r"50\% a\_b \#1 \$x\$ \& \textasciitilde{} \textasciicircum{}"),
        ("two\n\nparagraphs", "two paragraphs"),
        ("naïve – café", "naïve -- café"),
        ("\u4e2d", "?"),
    ],
)
def test_tex_filter_makes_text_literal(text, expected):
    assert templates.tex_escape(text) == expected


def test_code_filter_allows_breaks_and_keeps_double_hyphens():
    out = templates.code_escape("a--b=c")
    assert r"-{}\allowbreak{}-{}\allowbreak{}" in out and r"=\allowbreak{}" in out


def test_environment_is_strict():
    env = templates.environment()
    assert env.undefined is jinja2.StrictUndefined
    assert env.variable_start_string == r"\VAR{" and env.block_start_string == r"\BLOCK{"
    with pytest.raises(jinja2.UndefinedError):
        env.from_string(r"\VAR{missing}").render()


def test_missing_variable_is_a_build_error_with_template_and_line():
    with pytest.raises(BuildError, match=r"templates/derivation\.tex:\d+"):
        templates.render("derivation.tex", heading="section", note_width=0.3)


def test_broken_template_is_a_build_error(tmp_path, monkeypatch):
    (tmp_path / "broken.tex").write_text("line one\n\\BLOCK{for x in}\n")
    monkeypatch.setattr(templates, "TEMPLATE_DIR", tmp_path)
    templates.environment.cache_clear()
    try:
        with pytest.raises(BuildError, match=r"broken\.tex:2"):
            templates.render("broken.tex")
    finally:
        templates.environment.cache_clear()


def test_missing_template_folder_is_explained(tmp_path, monkeypatch):
    monkeypatch.setattr(templates, "TEMPLATE_DIR", tmp_path / "nowhere")
    templates.environment.cache_clear()
    try:
        with pytest.raises(BuildError, match="templates not found"):
            templates.environment()
    finally:
        templates.environment.cache_clear()


# --- fragments ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(DERIVATIONS))
def test_fragment_has_every_part(name):
    tex = derivation_fragment(DERIVATIONS[name]())
    assert tex.startswith(r"\section{")
    assert r"\boxed{" in tex and r"\leftarrow" in tex and r"\begin{flalign*}" in tex
    assert "\n\n" not in tex.split(r"\begin{flalign*}")[1].split(r"\end{flalign*}")[0]
    assert r"\VAR" not in tex and r"\BLOCK" not in tex


def test_fragment_shows_chain_cases_and_marks():
    tex = derivation_fragment(softmax_derivation())
    assert r"\textbf{Case $k = T$}" in tex and r"\begin{cases}" in tex
    assert r"\checkmark\,symbolic" in tex and r"numeric, 24 pts" in tex
    assert r"\frac{\partial \mathcal{L}}{\partial W_{k j}} = " in tex  # the chain rule overview


def test_logistic_chain_is_aligned_once():
    tex = derivation_fragment(logistic_derivation())
    chain = tex.split("Putting the chain together")[1].split(r"\end{flalign*}")[0]
    assert chain.count(r"\frac{\partial \mathcal{L}}{\partial w_{j}} &=") == 1
    assert chain.count("&=") == 4


def test_notebook_is_plain_math():
    tex = derivation_notebook(logistic_derivation())
    assert tex.startswith(r"$$\begin{aligned}") and tex.endswith(r"\end{aligned}$$")
    assert r"\boxed{\frac{\partial \mathcal{L}}{\partial w_{j}} = \left(y - t\right) x_{j}}" in tex
    assert "\\parbox" not in tex and "\\checkmark" not in tex and "\n\n" not in tex


def test_text_lists_each_step_with_rule_case_and_check():
    out = derivation_text(softmax_derivation())
    assert "dL/dy_T = -1/y_T" in out
    assert "Case k = T:" in out and "Case k != T (a wrong class):" in out
    assert "by quotient rule" in out and "checked numerically at 24 random points" in out
    assert "W_kj <- W_kj - alpha * dJ/dW_kj" in out


# --- report context -----------------------------------------------------------------------


def test_report_renders_every_section_strictly():
    views = [layout.layout_derivation(f()) for f in DERIVATIONS.values()]
    context = report.report_context(
        views,
        "A title",
        AGREEMENT,
        report.comparison(views),
        report.check_view(CHECK),
        date="1 January 2025",
    )
    tex = report.render_report(context)
    assert r"\tableofcontents" in tex and "generated by derive" in tex
    assert r"Numerical verification" in tex and r"\num{2.4e-10}" in tex
    assert r"\num{0.5514}" in tex and r"\num{3.378e-48}" in tex and r"\num{0.2395}" in tex
    assert "local optim" not in tex
    assert r"$z_{1}$ & $z_{2}$ & $K$ \\" in tex and r"$0.5$ & $-1.25$ & $2$ \\" in tex
    assert r"\frac{0 - e^{z_T}" not in tex  # user LaTeX is never pasted raw


def test_refuted_steps_are_typeset_from_reprinted_math_only():
    key = (40, 4, 2)
    printed = (r"\frac{\partial}{\partial z_{k}} y_{T}", r"y_{k} \left(1 - y_{k}\right)")
    view = report.check_view(CHECK, {key: printed})
    (step,) = view["refuted"]
    assert step["typeset"] == f"{printed[0]} = {printed[1]}"
    tex = report.render_report(report.report_context([], "T", check=view, date="1 January 2025"))
    framed = rf"{printed[0]} = \wrongside{{{printed[1]}}}"  # the wrong side framed
    assert r"\adjustbox{max width=0.8\linewidth}{$\displaystyle " + framed + "$}" in tex
    assert "\\item[Written]" not in tex  # the user's source is not needed any more
    hostile = report.check_view(CHECK, {key: (r"\input{/etc/passwd}", "x")})
    assert hostile["refuted"][0]["typeset"] is None
    assert report.check_view(CHECK)["refuted"][0]["typeset"] is None


@pytest.mark.parametrize(
    "text",
    [r"\input{/etc/passwd}", "^^5cinput", r"\frac{a}{b", r"\left( a", "a % b", "a $ b", "x\\y"],
)
def test_mathsafe_refuses_anything_but_plain_math(text):
    from derive.render.mathsafe import safe_math

    assert safe_math(text) is None


def test_mathsafe_keeps_plain_math():
    from derive.render.mathsafe import safe_math

    formula = r"- \frac{e^{z_{T}} e^{z_{k}}}{\left(\sum_{k'=1}^{K} e^{z_{k'}}\right)^{2}}"
    assert safe_math(formula) == formula


def test_a_step_after_the_slip_frames_its_left_side():
    key = (40, 4, 2)
    inherited = {**CHECK, "steps": [{**CHECK["steps"][1], "diagnosis": "inherited"}]}
    view = report.check_view(inherited, {key: ("a", "b")})
    tex = report.render_report(report.report_context([], "T", check=view, date="1 January 2025"))
    assert r"\wrongside{a} = b$" in tex


def test_counterexample_names_are_math_only_when_plain_and_values_only_when_numbers():
    point = {"z[1]": 0.5, "example(x[2], 3)": -1, "theta": 2.0, r"\input{x}": 1, "w": "1e400"}
    step = {**CHECK["steps"][1], "counterexample": point}
    view = report.check_view({**CHECK, "steps": [step]})
    cells = view["refuted"][0]["counterexample_cells"]
    assert [c["math"] for c in cells] == ["z_{1}", "{x_{2}}^{(3)}", r"\theta", None, "w"]
    assert [c["number"] for c in cells] == ["0.5", "-1", "2", "1", None]
    tex = report.render_report(report.report_context([], "T", check=view, date="1 January 2025"))
    assert r"\texttt{\textbackslash{}input\{x\}" in tex and r"\input{x}" not in tex
    assert r"\texttt{1e400}" in tex


def test_check_view_flattens_fields():
    view = report.check_view(CHECK)
    assert [s["verdict"] for s in view["refuted"]] == ["refuted"]
    assert view["summary"] == [("proved", "1"), ("refuted", "1")]
    assert view["steps"][0]["counterexample"] == ""


@pytest.mark.parametrize("bad", ["report.txt", "."])
def test_bad_output_paths_are_input_errors(bad, tmp_path):
    with pytest.raises(InputError):
        report.check_output(tmp_path / bad if bad != "." else tmp_path)


def test_unwritable_output_is_an_input_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(InputError, match="cannot write"):
        report.check_output(blocker / "sub" / "report.pdf")


def test_unknown_name_is_an_input_error(tmp_path, monkeypatch):
    import derive

    monkeypatch.setattr(derive, "derivation", fake_derivation, raising=False)
    with pytest.raises(InputError, match="nope"):
        report.build_report(tmp_path / "r.pdf", names=["logistic", "nope"], progress=lambda _: None)
    assert not (tmp_path / "r.pdf").exists()


def test_names_are_deduplicated_and_checked():
    assert report.check_names(None)[:3] == ["logistic", "softmax", "svm"]
    assert report.check_names(["SVM", "svm", "logistic"]) == ["svm", "logistic"]
    with pytest.raises(InputError):
        report.check_names([])


# --- breaking long lines ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tex", "depth", "pieces"),
    [
        ("a + b - c", 0, ["a", "+ b", "- c"]),
        (r"\frac{a + b}{c} \cdot d", 0, [r"\frac{a + b}{c}", r"\cdot d"]),
        (
            r"\max(0, u - 1) + \mathbf{1}[u - 1 > 0]",
            0,
            [r"\max(0, u - 1)", r"+ \mathbf{1}[u - 1 > 0]"],
        ),
        (r"\left(a - b\right) x", 0, [r"\left(a - b\right) x"]),
        (r"\left(a - b\right) x", 1, [r"\bigl(a", r"- b\bigr) x"]),
        (
            r"\left(\left(a - b\right) c + \sum_{k=1}^{K} d\right) x",
            1,
            [r"\Biggl(\left(a - b\right) c", r"+ \sum_{k=1}^{K} d\Biggr) x"],
        ),
    ],
)
def test_break_points(tex, depth, pieces):
    assert break_points(tex, depth) == pieces


def test_long_unbreakable_product_is_broken_inside_its_brackets():
    long_factor = sp.Add(*(sp.exp(z[n]) * sp.Sum(z[kp], (kp, 1, K)) for n in range(1, 9)))
    lines = layout._tex_lines(layout.latex(long_factor * x[j]), 25.0)
    assert lines is not None and len(lines) > 1
    assert lines[0].startswith(r"\Biggl(") and lines[-1].endswith(r"\Biggr) x_{j}")


def test_control_characters_are_escaped_not_looped_on():
    from derive.render.templates import tex_escape

    assert tex_escape("a\x01b\x7fc\x1b") == "a?b?c?"


@pytest.mark.parametrize(
    ("prose", "tex", "plain"),
    [
        (
            r"adds the penalty $(\lambda/2) \|w\|^2$ to 50% of the loss",
            r"adds the penalty $(\lambda/2) \|w\|^2$ to 50\% of the loss",
            "adds the penalty (lambda/2) ||w||^2 to 50% of the loss",
        ),
        (r"for $|r| \leq \delta$", r"for $|r| \leq \delta$", "for |r| <= delta"),
        (r"$\mathcal{L}$ is", r"$\mathcal{L}$ is", "L is"),
        (
            r"to $h_{m}$: $\partial \mathcal{L} / \partial h_{m}$",
            r"to $h_{m}$: $\partial \mathcal{L} / \partial h_{m}$",
            "to h_m: dL / dh_m",
        ),
        # unsafe or unbalanced math is text, printed literally
        (r"a $\input{x}$ b", r"a \$\textbackslash{}input\{x\}\$ b", r"a input{x} b"),
        ("costs $5", r"costs \$5", "costs $5"),
    ],
)
def test_prose_typesets_safe_inline_math_only(prose, tex, plain):
    from derive.render.text import plain as plain_text

    assert templates.prose_tex(prose) == tex
    assert plain_text(prose) == plain
