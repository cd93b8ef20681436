"""Model files: read by the checker's parser, derived by the engine, used by every command."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

import derive
from derive.errors import InputError
from derive.model_file import ModelFileError, read_model
from derive.numeric.gradcheck import numerical_gradient, relative_error
from tests.test_cli import run

ROOT = Path(__file__).resolve().parents[1]
TANH = ROOT / "examples" / "tanh-regression.md"
HAS_TEX = bool(shutil.which("latexmk") and shutil.which("pdftotext"))


def model_text(score: str = "w^T x", *lines: str) -> str:
    stages = lines or (r"$$y = \tanh(z)$$", r"$$L = \frac{1}{2}(y - t)^2$$")
    return "\n".join(["# Tanh regression", f"$${'z = ' + score}$$", *stages, "Parameter: $w$"])


def tanh_reference(w, X, t):
    """Mean of (tanh(Xw) - t)^2 / 2 and its gradient, written by hand."""
    y = np.tanh(X @ w)
    return 0.5 * np.mean((y - t) ** 2), X.T @ ((y - t) * (1 - y**2)) / len(t)


# --- reading -------------------------------------------------------------------------------


def test_the_tanh_example_is_the_issue_file():
    assert TANH.read_text() == (
        "# Tanh regression\n$$z = w^T x$$\n$$y = \\tanh(z)$$\n"
        "$$L = \\frac{1}{2}(y - t)^2$$\nParameter: $w$\n"
    )


def test_tanh_model_reads_its_stages_chain_and_title():
    model = derive.load_model(TANH)
    assert isinstance(model, derive.Model)
    assert model.title == "Tanh regression" and model.name == "tanh-regression"
    assert [str(s.symbol) for s in model.stages] == ["z", "y", "L"]
    assert [str(v) for v in model.chain] == ["L", "y", "z", "w[j]"]
    assert model.targets is None  # t is any real number


@pytest.mark.parametrize("score", [r"w \cdot x", r"\sum_j w_j x_j", r"\sum_{j=1}^{D} w_j x_j"])
def test_three_ways_to_write_the_linear_score_are_one_model(score):
    base = read_model(model_text(), name="m")
    other = read_model(model_text(score), name="m")
    assert other.stages == base.stages and other.chain == base.chain


def test_tanh_result_is_y_minus_t_times_one_minus_y_squared_times_x():
    model = derive.load_model(TANH)
    d = derive.derivation(model)
    y, t = sp.symbols("y t")
    x_j = sp.IndexedBase("x")[sp.Symbol("j", integer=True, positive=True)]
    assert sp.expand(d.result.rhs - (y - t) * (1 - y**2) * x_j) == 0
    assert all(step.verification.method in ("symbolic", "numeric") for step in d.steps)


def test_assumptions_set_the_targets_the_callables_check():
    text = "\n".join(
        [
            "# Logistic, from a file",
            "$$z = w^T x$$",
            r"$$y = \sigma(z)$$",
            r"$$L = -t \log y - (1 - t) \log(1 - y)$$",
            "Parameter: $w$",
            r"Assume: $t \in \{0, 1\}$",
        ]
    )
    model = read_model(text, name="logistic-file")
    assert model.targets == (0.0, 1.0)
    rng = np.random.default_rng(3)
    w, X, t = rng.normal(size=4), rng.normal(size=(30, 4)), rng.integers(0, 2, 30).astype(float)
    mine, builtin = (
        derive.value_and_grad_function(model),
        derive.value_and_grad_function("logistic"),
    )
    (a, ga), (b, gb) = mine(w, X, t), builtin(w, X, t)
    assert a == pytest.approx(b, rel=1e-12) and relative_error(ga, gb) < 1e-12
    with pytest.raises(ValueError):
        mine(w, X, np.full(30, 0.5))


# --- callables -----------------------------------------------------------------------------


def test_tanh_callables_agree_with_numpy_and_finite_differences():
    model = derive.load_model(TANH)
    loss, grad = derive.loss_function(model), derive.gradient_function(model)
    both = derive.value_and_grad_function(model)
    rng = np.random.default_rng(0)
    w, X, t = rng.normal(size=6), rng.normal(size=(40, 6)), rng.normal(size=40)
    value, gradient = tanh_reference(w, X, t)
    assert loss(w, X, t) == pytest.approx(value, rel=1e-12)
    assert relative_error(grad(w, X, t), gradient) < 1e-12
    assert relative_error(grad(w, X, t), numerical_gradient(lambda p: loss(p, X, t), w)) < 1e-7
    both_value, both_gradient = both(w, X, t)
    assert both_value == pytest.approx(value, rel=1e-12)
    assert relative_error(both_gradient, gradient) < 1e-12


@pytest.mark.parametrize(
    ("stages", "assume", "targets"),
    [
        ([r"$$L = \max(0, 1 - t z)$$"], r"Assume: $t \in \{-1, 1\}$", (-1.0, 1.0)),
        ([r"$$L = \log(1 + e^{-t z})$$"], r"Assume: $t \in \{-1, 1\}$", (-1.0, 1.0)),
        ([r"$$\mu = e^{z}$$", r"$$L = \mu - t \log \mu$$"], "", None),
        ([r"$$y = z^3$$", r"$$u = y - t$$", r"$$L = u^2$$"], "", None),
    ],
)
def test_chains_of_scalar_stages_match_finite_differences(stages, assume, targets):
    text = "\n".join(["$$z = w^T x$$", *stages, "Parameter: $w$", assume])
    model = read_model(text, name="chain")
    assert model.targets == targets
    loss, grad = derive.loss_function(model), derive.gradient_function(model)
    rng = np.random.default_rng(1)
    w, X = rng.normal(size=5) / 3, rng.normal(size=(25, 5))
    t = rng.choice(targets, 25) if targets else rng.normal(size=25)
    fd = numerical_gradient(lambda p: loss(p, X, t), w)
    assert relative_error(grad(w, X, t), fd) < 1e-6


# --- the command line ----------------------------------------------------------------------


def test_show_model_text_json_and_latex():
    text = run("show", "--model", "examples/tanh-regression.md")
    assert text.returncode == 0, text.stderr
    assert "Tanh regression" in text.stdout and "1 - y^2" in text.stdout
    out = run("show", "--model", "examples/tanh-regression.md", "--format", "json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["title"] == "Tanh regression"
    assert data == derive.derivation(derive.load_model(TANH)).to_dict()
    y, t, x_j = sp.symbols("y t x_j")
    rhs = sp.sympify(data["result"]["rhs"])  # derive's own output, not user text
    assert sp.expand(rhs - (y - t) * (1 - y**2) * x_j) == 0
    assert all(s["verification"]["method"] in ("symbolic", "numeric") for s in data["steps"])
    latex = run("show", "--model", "examples/tanh-regression.md", "--format", "latex")
    assert latex.returncode == 0 and r"\tanh" in latex.stdout


BAD = [
    ("noparam", "$$z = w^T x$$\n$$y = \\tanh(z)$$\n$$L = (y - t)^2$$\n", 3, "no parameter"),
    (
        "unused",
        "$$z = w^T x$$\n$$L = (z - t)^2$$\nParameter: $\\theta$\n",
        3,
        "does not depend on the parameter theta",
    ),
    (
        "nodep",
        "$$z = w^T x$$\n$$y = \\tanh(z)$$\n$$L = t^2$$\nParameter: $w$\n",
        3,
        "the loss does not depend on the parameter w",
    ),
    (
        "cycle",
        "$$z = w^T x + y$$\n$$y = \\tanh(z)$$\n$$L = (y - t)^2$$\nParameter: $w$\n",
        1,
        "a cycle between stages",
    ),
    (
        "before",
        "$$y = \\tanh(z)$$\n$$z = w^T x$$\n$$L = (y - t)^2$$\nParameter: $w$\n",
        1,
        "z is used before it is defined (on line 2)",
    ),
    (
        "never",
        "$$z = w^T x$$\n$$y = \\tanh(z)$$\n$$L = (y - t)^2 + b$$\nParameter: $w$\n",
        3,
        "b is used but never defined",
    ),
    (
        "norule",
        "$$z = w^T x$$\n$$y = \\operatorname{sign}(z)$$\n$$L = (y - t)^2$$\nParameter: $w$\n",
        2,
        "no differentiation rule covers the derivative of sign(z)",
    ),
    (
        "unreadable",
        "$$z = w^T x$$\n$$y = \\tanh(z$$\n$$L = (y - t)^2$$\nParameter: $w$\n",
        2,
        "cannot read the formula `\\tanh(z`",
    ),
    ("empty", "", None, "no display equations"),
]


@pytest.mark.parametrize(("name", "text", "line", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_model_files_give_one_line_naming_the_line(tmp_path, name, text, line, message):
    path = tmp_path / f"{name}.md"
    path.write_text(text)
    out = run("show", "--model", path.name, cwd=tmp_path)
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    (single,) = out.stderr.strip().splitlines()
    where = f"{name}.md:{line}: " if line else f"{name}.md: "
    assert single.startswith(f"derive: {where}"), single
    assert message in single
    with pytest.raises(ModelFileError, match=re.escape(message)):
        derive.load_model(path)


def test_readme_error_example_is_what_derive_says():
    readme = (ROOT / "README.md").read_text()
    (example,) = re.findall(r"`(tanh\.md:\d+: [^`]+)`", readme)
    with pytest.raises(ModelFileError) as error:
        read_model(
            "# t\n$$y = \\tanh(z)$$\n$$z = w^T x$$\n$$L = (y - t)^2$$\nParameter: $w$\n",
            source="tanh.md",
        )
    assert str(error.value) == example


# --- the report ----------------------------------------------------------------------------


def test_report_only_with_an_unknown_name_names_the_choices(tmp_path):
    out = run("report", "--only", "logistic", "--only", "nope", "--output", "r.pdf", cwd=tmp_path)
    assert out.returncode == 2
    (line,) = out.stderr.strip().splitlines()
    assert "'nope'" in line and all(name in line for name in derive.derivations())
    assert not list(tmp_path.iterdir())


def test_report_with_a_bad_model_file_writes_nothing(tmp_path):
    (tmp_path / "bad.md").write_text("$$z = w^T x$$\n$$L = (z - t)^2$$\n")
    out = run(
        "report", "--only", "logistic", "--model", "bad.md", "--output", "r.pdf", cwd=tmp_path
    )
    assert out.returncode == 2
    (line,) = out.stderr.strip().splitlines()
    assert line.startswith("derive: bad.md:2: no parameter")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.md"]


def test_default_report_has_every_builtin_the_assignment_first():
    from derive.render.report import check_names

    names = check_names(None)
    assert names[:3] == ["logistic", "softmax", "svm"]
    assert sorted(names) == sorted(derive.derivations())


def pdf_text(path: Path) -> str:
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True)
    return out.stdout


@pytest.mark.skipif(not HAS_TEX, reason="TeX is not installed")
def test_report_only_and_models_choose_the_sections_in_order(tmp_path):
    hinge = tmp_path / "hinge.md"
    hinge.write_text(
        "# Binary hinge & margin\n$$z = w^T x$$\n$$L = \\max(0, 1 - t z)$$\n"
        "Parameter: $w$\nAssume: $t \\in \\{-1, 1\\}$\n"
    )
    out = run(
        "report",
        "--only",
        "svm",
        "--only",
        "logistic",
        "--model",
        str(TANH),
        "--model",
        str(hinge),
        "--output",
        str(tmp_path / "r.pdf"),
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    text = pdf_text(tmp_path / "r.pdf")
    contents = text[: text.index("This report derives")]
    titles = ["Multiclass SVM", "Logistic regression", "Tanh regression", "Binary hinge & margin"]
    positions = [contents.index(title) for title in titles]
    assert positions == sorted(positions)
    assert "Softmax regression" not in contents
    assert "2.1" not in contents  # four derivations: one line each in the contents
    assert "tanh-regression" in text and "hinge" in text  # their rows in the numeric table


@pytest.mark.skipif(not HAS_TEX, reason="TeX is not installed")
def test_readme_model_file_commands_run_as_written(tmp_path):
    """Every README command with --model, run in a copy of the examples folder."""
    readme = (ROOT / "README.md").read_text()
    commands = sorted(
        {line.split("#")[0].strip() for line in readme.splitlines() if "--model examples/" in line}
    )
    assert len(commands) >= 4
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    for command in commands:
        words = command.split()
        assert words[0] == ".venv/bin/derive"
        out = run(*words[1:], cwd=tmp_path)
        assert out.returncode == 0, (command, out.stderr)
    text = pdf_text(tmp_path / "reports" / "tanh.pdf")
    assert "Tanh regression" in text and "Logistic regression" in text


def test_missing_binary_and_non_utf8_files_are_input_errors(tmp_path):
    (tmp_path / "binary.md").write_bytes(b"$$z = w^T x$$\x00")
    (tmp_path / "latin.md").write_bytes("$$z = w^T x$$ \xe9".encode("latin-1"))
    for name in ("missing.md", "binary.md", "latin.md"):
        with pytest.raises(InputError, match=name):
            derive.load_model(tmp_path / name)


# --- K classes -----------------------------------------------------------------------------

SOFTMAX = ROOT / "examples" / "softmax-regression.md"


@pytest.mark.parametrize(
    "stages",
    [
        [r"$$z_k = w_k^T x$$", r"$$y = \operatorname{softmax}(z)$$"],
        [r"$$z_k = w_k \cdot x$$", r"$$y_k = \frac{e^{z_k}}{\sum_{k'} e^{z_{k'}}}$$"],
        [r"$$z_c = w_c^T x$$", r"$$y_c = \frac{e^{z_c}}{\sum_{k} e^{z_{k}}}$$"],
    ],
)
def test_softmax_files_give_the_builtin_softmax_callables(stages):
    text = "\n".join(
        [*stages, r"$$L = -\sum_k t_k \log y_k$$", "Parameter: $w$", "Assume: $t$ is one-hot"]
    )
    model = read_model(text, name="softmax-file")
    assert model.label is not None and len(model.parameter.indices) == 2
    rng = np.random.default_rng(5)
    W, X, labels = rng.normal(size=(4, 6)), rng.normal(size=(30, 6)), rng.integers(0, 4, 30)
    (a, ga) = derive.value_and_grad_function(model)(W, X, labels)
    (b, gb) = derive.value_and_grad_function("softmax")(W, X, labels)
    assert a == pytest.approx(b, rel=1e-12) and relative_error(ga, gb) < 1e-12


def test_softmax_example_file_and_a_loss_written_in_the_scores():
    d = derive.derivation(derive.load_model(SOFTMAX))
    assert d.model.title == "Softmax regression, from a model file"
    t, y = sp.IndexedBase("t"), sp.IndexedBase("y")
    k, j = (sp.Symbol(n, integer=True, positive=True) for n in "kj")
    assert sp.expand(d.result.rhs - (y[k] - t[k]) * sp.IndexedBase("x")[j]) == 0
    text = "\n".join(
        [
            r"$$z_k = w_k^T x$$",
            r"$$L = \log \sum_k e^{z_k} - \sum_k t_k z_k$$",
            "Parameter: $w$",
            "Assume: $t$ is one-hot",
        ]
    )
    model = read_model(text, name="lse")
    loss, grad = derive.loss_function(model), derive.gradient_function(model)
    rng = np.random.default_rng(6)
    W, X, labels = rng.normal(size=(3, 4)), rng.normal(size=(20, 4)), rng.integers(0, 3, 20)
    fd = numerical_gradient(lambda p: loss(p, X, labels), W)
    assert relative_error(grad(W, X, labels), fd) < 1e-7


@pytest.mark.parametrize(
    ("loss", "assume", "message"),
    [
        (r"$$L = -\sum_k t_k \log y_k$$", "", "needs one-hot targets"),
        (r"$$L = \sum_k (y_k - t_k)^2$$", "Assume: $t$ is one-hot", "at the correct class only"),
    ],
)
def test_multiclass_files_that_are_not_read_yet_say_so(loss, assume, message):
    text = "\n".join(
        [r"$$z_k = w_k^T x$$", r"$$y = \operatorname{softmax}(z)$$", loss, "Parameter: $w$", assume]
    )
    with pytest.raises(ModelFileError, match=f"^f.md:3: .*{message}"):
        read_model(text, source="f.md")


# --- any text ------------------------------------------------------------------------------


def test_a_latex_model_file(tmp_path):
    path = tmp_path / "poisson.tex"
    path.write_text(
        "\\documentclass{article}\n\\begin{document}\n\\section{Poisson regression}\n"
        "\\begin{equation}\nz = \\sum_{j=1}^{D} w_j x_j\n\\end{equation}\n"
        "\\[ \\mu = \\exp(z) \\]\n\\begin{equation*}\nL = \\mu - t \\log \\mu\n\\end{equation*}\n"
        "Parameter: $w$\n% Assume: $t \\in \\{0, 1\\}$\n\\end{document}\n"
    )
    model = derive.load_model(path)
    assert model.title == "Poisson regression" and model.targets is None
    loss, grad = derive.loss_function(model), derive.gradient_function(model)
    rng = np.random.default_rng(2)
    w, X, t = rng.normal(size=3) / 3, rng.normal(size=(15, 3)), rng.poisson(1.0, 15).astype(float)
    mu = np.exp(X @ w)
    assert loss(w, X, t) == pytest.approx(np.mean(mu - t * (X @ w)), rel=1e-12)
    assert relative_error(grad(w, X, t), X.T @ (mu - t) / 15) < 1e-12


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("$$z = 2 w^T x$$\n$$L = (z - t)^2$$\nParameter: $w$", 1, "must be linear"),
        ("$$z = w^T x$$\n$$L = (z - t)^2$$\nParameter: $w$\nAssume: $t$ is one-hot", 4, "one-hot"),
        ("$$z = w^T x$$\n$$L = (z - t)^2$$\nParameter: $w$\nAssume: $t$ is big", 4, "assumption"),
        ("$$z = w^T x$$\n$$z = w^T x$$\n$$L = (z - t)^2$$\nParameter: $w$", 2, "defined twice"),
        ("$$z = w^T x$$\n$$y = z$$\n$$L = (z - t)^2$$\nParameter: $w$", 2, "does not use y"),
        ("$$z = w^T x$$\n$$L = (z - t)^2 + w$$\nParameter: $w$", 2, "is a vector"),
    ],
)
def test_other_mistakes_name_their_line(text, line, message):
    with pytest.raises(ModelFileError, match=f"^f.md:{line}: .*{message}"):
        read_model(text, source="f.md")


def test_a_file_given_as_a_name_points_at_model_files():
    out = run("show", "examples/tanh-regression.md")
    assert out.returncode == 2
    (line,) = out.stderr.strip().splitlines()
    assert "--model FILE" in line
    with pytest.raises(InputError, match="load_model"):
        derive.derivation("examples/tanh-regression.md")
