"""`derive report` against hostile input: one line and exit 2 (or a PDF), never a traceback.

Control characters in the title or the checked file's name, huge titles, a directory where
the .tex or .log goes, a full disk, SIGTERM and SIGHUP in the middle of compiling.
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from derive import cli
from derive.errors import BuildError
from derive.render import pdf, report, templates

sys.path.insert(0, str(Path(__file__).parent))
from test_pdf import install_fakes  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "derive", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environment,
        timeout=300,
    )


def one_line(out: subprocess.CompletedProcess) -> str:
    assert out.returncode == 2, out.stderr
    assert "Traceback" not in out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("derive: ")
    return lines[0]


@pytest.mark.parametrize("char", ["\x01", "\x7f", "\x1b", "\u200b"])
def test_a_title_with_a_control_character_is_refused(tmp_path, char) -> None:
    line = one_line(run("report", "--output", "r.pdf", "--title", f"A{char}[31m", cwd=tmp_path))
    assert f"U+{ord(char):04X}" in line and char not in line
    assert not list(tmp_path.iterdir())


def test_a_title_over_the_limit_is_refused(tmp_path) -> None:
    title = "x" * (report.MAX_TITLE + 1)
    line = one_line(run("report", "--output", "r.pdf", "--title", title, cwd=tmp_path))
    assert "too long" in line and not list(tmp_path.iterdir())


def test_a_title_at_the_limit_is_accepted() -> None:
    assert report.check_title("x" * report.MAX_TITLE) == "x" * report.MAX_TITLE


@pytest.mark.parametrize("suffix", [".tex", ".log"])
def test_a_directory_where_a_sibling_goes_is_one_line(tmp_path, suffix) -> None:
    (tmp_path / f"r{suffix}").mkdir()
    line = one_line(run("report", "--output", "r.pdf", "--only", "logistic", cwd=tmp_path))
    assert f"r{suffix} beside it is a directory" in line


def test_a_directory_in_the_way_of_a_write_is_a_build_error(tmp_path) -> None:
    (tmp_path / "r.tex").mkdir()
    with pytest.raises(BuildError, match=r"cannot write .*r\.tex: a directory is in the way"):
        pdf.write_atomically(tmp_path / "r.tex", "x")


def _full_disk(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_a_full_disk_is_one_line_and_keeps_the_old_pdf(tmp_path, monkeypatch, capsys) -> None:
    example = install_fakes(monkeypatch, tmp_path)
    monkeypatch.setattr(pdf.os, "fsync", _full_disk)
    out = tmp_path / "r.pdf"
    out.write_bytes(b"%PDF-old")
    code = cli.main(["report", "--output", str(out), "--only", "logistic", "--check", str(example)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err[-1] == f"derive: cannot write {out.with_suffix('.tex')}: No space left on device"
    assert out.read_bytes() == b"%PDF-old"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_a_check_file_named_with_control_characters_is_shown_escaped(tmp_path, monkeypatch):
    install_fakes(monkeypatch, tmp_path)
    named = tmp_path / "a\x01b\x1b[31m\x7f.md"
    named.write_text("$$ a = b $$\n")
    messages: list[str] = []
    view = report.check_report(named, messages.append)
    assert view is not None and "\x01" not in view["file"] and "\\x01" in view["file"]
    assert "\\x1b[31m" in messages[0] and "\x1b" not in messages[0]
    assert "x01" in templates.tex_escape(view["file"])


FAKE_LATEXMK = """#!/bin/sh
sleep 600 &
echo $! > "$DERIVE_TEST_MARK"
wait
"""


def _dead(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_while_compiling_cleans_up_like_ctrl_c(tmp_path, signum) -> None:
    bin_dir, scratch = tmp_path / "bin", tmp_path / "tmp"
    bin_dir.mkdir()
    scratch.mkdir()
    for tool in ("latexmk", "pdflatex"):
        (bin_dir / tool).write_text(FAKE_LATEXMK)
        (bin_dir / tool).chmod(0o755)
    mark = tmp_path / "compiler.pid"
    check = tmp_path / "d.md"
    check.write_text("$$ a + b = b + a $$\n")
    out = tmp_path / "r.pdf"
    out.write_bytes(b"%PDF-old")
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "TMPDIR": str(scratch),
        "DERIVE_TEST_MARK": str(mark),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "derive", "report", "--output", str(out), "--only", "logistic"]
        + ["--check", str(check)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    deadline = time.monotonic() + 240
    while not (mark.exists() and mark.read_text().strip()) and process.poll() is None:
        assert time.monotonic() < deadline, "the compiler never started"
        time.sleep(0.05)
    assert [p.name for p in scratch.iterdir()][0].startswith("derive-tex-")
    process.send_signal(signum)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 128 + signum
    assert err.strip().splitlines()[-1] == f"derive: stopped by {signal.Signals(signum).name}"
    assert _dead(int(mark.read_text()))
    assert list(scratch.iterdir()) == []
    assert out.read_bytes() == b"%PDF-old"
