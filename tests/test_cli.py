"""The command line, run as a user runs it: a subprocess, its output, its exit code."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "derive", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
    )


def test_list():
    out = run("list")
    assert out.returncode == 0
    names = [line.split()[0] for line in out.stdout.splitlines()]
    assert names == ["logistic", "softmax", "svm", "two-layer"]


def test_show_softmax_has_both_cases_and_the_result():
    out = run("show", "softmax")
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "k = T" in text and "k != T" in text
    assert "y_k - t_k" in text.replace("-t_k + y_k", "y_k - t_k")
    assert text.count("proved symbolically") + text.count("checked numerically") >= 10


def test_show_json_schema():
    out = run("show", "logistic", "--format", "json")
    data = json.loads(out.stdout)
    assert data["name"] == "logistic"
    step = data["steps"][0]
    assert {
        "lhs",
        "rhs",
        "latex",
        "rule",
        "justification",
        "case",
        "verification",
        "substeps",
    } <= set(step)
    assert step["verification"]["method"] in ("symbolic", "numeric")
    assert "result" in data


def test_show_latex():
    out = run("show", "svm", "--format", "latex")
    assert out.returncode == 0 and "\\mathbf{1}" in out.stdout


def test_table_json():
    out = run("table", "--format", "json")
    rows = json.loads(out.stdout)["rows"]
    assert [r["svm"] for r in rows] == [0, 0, 0]
    assert abs(rows[1]["softmax"] - 0.55144471393) < 1e-9
    assert rows[2]["softmax"] > 0 and rows[2]["softmax_log10"] == 0.0


@pytest.mark.parametrize(
    "args",
    [
        ("show", "nope"),
        ("show", "softmax", "--format", "pdf"),
        ("frobnicate",),
        ("table", "--bogus"),
        (),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args):
    out = run(*args)
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    assert out.stderr.startswith("derive: ")


@pytest.mark.parametrize(
    "args",
    [
        ("report", "--only", "nope"),
        ("report", "--output", "/proc/forbidden/derivations.pdf"),
        ("check", "/no/such/file.md"),
    ],
)
def test_report_and_check_bad_input(args, tmp_path):
    out = run(*args, cwd=tmp_path)
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    assert out.stderr.strip().splitlines()[-1].startswith("derive: ")
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_experiment_json_separates_results_from_timings():
    out = run("experiment", "--datasets", "iris", "--splits", "2", "--format", "json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert set(data) == {"settings", "results", "timings"}
    assert data["settings"]["splits"] == 2 and data["settings"]["datasets"] == ["iris"]
    softmax = data["results"]["iris"]["losses"]["softmax"]
    assert softmax["summary"]["accuracy"]["mean"] > 0.8
    assert softmax["summary"]["sklearn_objective_relative_difference"] <= 1e-6
    progress = [line for line in out.stderr.splitlines() if line.startswith("iris split")]
    assert len(progress) == 4  # one line per split and loss


@pytest.mark.parametrize(
    "args, message",
    [
        (("--datasets", "mnist"), "unknown data set 'mnist'"),
        (("--splits", "1"), "--splits must be between 2 and 50"),
        (("--format", "xml"), "invalid choice"),
    ],
)
def test_experiment_bad_input_is_one_line_and_exit_2(args, message):
    out = run("experiment", *args)
    assert out.returncode == 2
    assert message in out.stderr and len(out.stderr.strip().splitlines()) == 1
    assert out.stdout == ""
