"""`derive report` end to end: the real engine, checker and TeX, read back with pdftotext."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(
    not (shutil.which("latexmk") and shutil.which("pdftotext")), reason="TeX is not installed"
)


def seeded_cache(folder: Path) -> Path:
    """A cache holding the small experiment's results under the report's key: the report
    reads them instead of training for 20 s (training is tested in tests/test_experiments.py)."""
    from derive.experiments import Settings
    from derive.experiments.cache import cache_key

    sys.path.insert(0, str(Path(__file__).parent))
    from test_experiments import small_results

    folder.mkdir()
    (folder / f"experiments-{cache_key(Settings())}.json").write_text(json.dumps(small_results()))
    return folder


def test_report_command_builds_the_real_pdf(tmp_path):
    out = tmp_path / "out" / "derivations.pdf"
    cache = seeded_cache(tmp_path / "cache")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DERIVE_CACHE_DIR": str(cache)}
    run = subprocess.run(
        [sys.executable, "-m", "derive", "report", "--output", str(out), "--title", "Handout 50%"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr
    assert "compiling" in run.stderr and "deriving softmax" in run.stderr
    text = subprocess.run(
        ["pdftotext", str(out), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = " ".join(text.split())
    for expected in (
        "Handout 50%",
        "Logistic regression",
        "Softmax regression",
        "Multiclass SVM",
        "Case k = T",
        "Numerical verification",
        "0.5514",
        "3.378",
        "refuted",
        "symbolic",
        "Softmax versus SVM on real data",
        "The founding assignment, checked",
    ):
        assert expected in flat, expected
    assert "local optim" not in flat
    assert out.with_suffix(".tex").exists()
    assert "Overfull" not in out.with_suffix(".log").read_text(errors="replace")
