"""`derive check` on many files, run as a grader runs it: a subprocess, its output, exit code."""

import contextlib
import csv
import io
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from derive.checking.batch import documents
from derive.errors import InputError
from tests.test_check_limits import chain
from tests.test_cli import ROOT, run

RIGHT = "# Right\n\n$$\\log(a^3) = 3 \\log a$$\n\n$$(x+1)^2 = x^2 + 2x + 1$$\n"
WRONG = "# Wrong\n\n$$\\log(a + b) = \\log a + \\log b$$\n"
COMMA = "# A detail with a comma\n\nLet $y = x^2$.\n\n$$y + 1 = x^2 + 1$$\n"


def write(folder: Path, files: dict[str, str | bytes]) -> list[Path]:
    paths = []
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        paths.append(path)
    return paths


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_several_files_one_line_each_and_a_total(tmp_path):
    write(tmp_path, {"right.md": RIGHT, "wrong.md": WRONG})
    out = run("check", "wrong.md", "right.md", cwd=tmp_path)
    assert out.returncode == 1, out.stderr
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("wrong.md: 1 step, 0 proved, 0 verified, 1 refuted")
    assert lines[0].endswith("(refuted: line 3)")
    assert lines[1].startswith("right.md: 2 steps,") and "0 refuted" in lines[1]
    assert lines[2].startswith("total: 2 files, 3 steps,") and "1 refuted" in lines[2]


def test_a_directory_is_its_md_and_tex_files_recursively_in_sorted_order(tmp_path):
    write(
        tmp_path,
        {
            "notes/b.md": RIGHT,
            "notes/a.tex": "\\begin{equation}(x+1)^2 = x^2 + 2x + 1\\end{equation}\n",
            "notes/sub/c.md": RIGHT,
            "notes/readme.txt": WRONG,
            "notes/.hidden/d.md": WRONG,
        },
    )
    out = run("check", "notes", "--format", "json", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert [f["file"] for f in data["files"]] == ["notes/a.tex", "notes/b.md", "notes/sub/c.md"]
    summary = data["summary"]
    assert summary["files"] == 3 and summary["not_read"] == 0
    for verdict in ("proved", "verified", "refuted", "unknown"):
        assert summary[verdict] == sum(f["summary"][verdict] for f in data["files"])
    assert summary["steps"] == sum(len(f["steps"]) for f in data["files"]) == 5


def test_csv_has_one_row_per_step_and_an_unreadable_file_does_not_stop_the_rest(tmp_path):
    write(
        tmp_path,
        {
            'we"ird, name.md': COMMA,
            "binary.md": b"\x00\x01 not text",
            "wrong.tex": "\\[ \\log(a + b) = \\log a + \\log b \\]\n",
        },
    )
    out = run(
        "check", 'we"ird, name.md', "binary.md", "missing.md", "wrong.tex", "--format", "csv",
        cwd=tmp_path,
    )  # fmt: skip
    assert out.returncode == 1, out.stderr
    assert out.stdout.splitlines()[0] == "file,line,block,step,verdict,detail"
    table = rows(out.stdout)
    assert [(r["file"], r["verdict"]) for r in table] == [
        ('we"ird, name.md', "proved"),
        ("binary.md", "error"),
        ("missing.md", "error"),
        ("wrong.tex", "refuted"),
    ]
    assert "," in table[0]["detail"] and table[0]["line"] == "5"  # quoted, read back whole
    assert "binary" in table[1]["detail"] and table[1]["line"] == ""
    assert "cannot read missing.md" in table[2]["detail"]
    assert table[3]["line"] == "1" and table[3]["block"] == "1" and table[3]["step"] == "1"


def test_the_order_is_that_of_the_files_and_the_output_is_the_same_every_run(tmp_path):
    long = "# Long\n\n" + "".join(
        f"$$(x+{n})^2 = x^2 + {2 * n}x + {n * n}$$\n\n" for n in range(12)
    )
    names = [f"{n}.md" for n in range(5)]
    write(tmp_path, {"0.md": long} | {name: RIGHT for name in names[1:]})
    first = run("check", *names, "--format", "csv", cwd=tmp_path)
    again = run("check", *names, "--format", "csv", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stdout == again.stdout
    assert list(dict.fromkeys(r["file"] for r in rows(first.stdout))) == names
    backwards = run("check", *reversed(names), "--format", "json", cwd=tmp_path)
    assert [f["file"] for f in json.loads(backwards.stdout)["files"]] == names[::-1]


def test_one_file_keeps_the_single_report(tmp_path):
    write(tmp_path, {"right.md": RIGHT})
    out = run("check", "right.md", "--format", "json", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert set(json.loads(out.stdout)) == {"file", "steps", "summary"}
    text = run("check", "right.md", cwd=tmp_path).stdout
    assert text.startswith("right.md: 2 steps checked\n") and "summary: " in text


@pytest.mark.parametrize(
    "args",
    [
        ("check",),
        ("check", "empty"),
        ("check", "right.md", "empty"),
        ("check", "right.md", "--format", "xml"),
        ("check", "right.md", "--no-such-option"),
    ],
)
def test_bad_usage_is_one_line_and_exit_2(args, tmp_path):
    write(tmp_path, {"right.md": RIGHT, "empty/notes.txt": "no maths here"})
    out = run(*args, cwd=tmp_path)
    assert out.returncode == 2
    assert out.stdout == "" and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and out.stderr.startswith("derive: ")


def test_an_empty_directory_names_itself(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="empty holds no .md or .tex file"):
        documents([tmp_path / "empty"])


def test_a_file_named_twice_is_checked_once(tmp_path):
    right, wrong = write(tmp_path, {"right.md": RIGHT, "wrong.md": WRONG})
    assert documents([right, tmp_path, wrong]) == [right, wrong]


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(n) for n in path.read_text().split()] if path.exists() else []


def test_sigterm_stops_the_batch_and_every_process_it_started(tmp_path) -> None:
    files = write(tmp_path, {"a.md": chain(3000), "b.md": chain(3000)})
    process = subprocess.Popen(
        [sys.executable, "-m", "derive", "check", *map(str, files)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    started: set[int] = set()
    deadline = time.monotonic() + 120
    while process.poll() is None and time.monotonic() < deadline:
        drivers = _children(process.pid)
        workers = [w for d in drivers for w in _children(d)]
        started |= set(drivers) | set(workers)
        if workers:
            break
        time.sleep(0.05)
    assert workers, "derive check started no worker"
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 128 + signal.SIGTERM
    assert err.strip() == "derive: stopped by SIGTERM" and out == ""
    assert not _still_running(started)


def _still_running(pids: set[int]) -> list[str]:
    """The processes of ``pids`` still alive, with their state; a child killed because its
    parent died may need a moment to be reaped by init."""
    for _ in range(100):
        alive = []
        for pid in pids:
            with contextlib.suppress(OSError):
                status = Path(f"/proc/{pid}/status").read_text().splitlines()
                alive.append(f"{pid}: " + ", ".join(status[:3] + status[6:7]))
        if not alive:
            break
        time.sleep(0.05)
    return alive


def test_the_readme_batch_command_runs_as_written() -> None:
    assert "derive check examples/ --format csv\n" in (ROOT / "README.md").read_text()
    out = run("check", "examples/", "--format", "csv")
    assert out.returncode == 1, out.stderr  # the shipped examples have refuted steps
    table = rows(out.stdout)
    shown = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "examples").glob("*.md"))
    files = list(dict.fromkeys(r["file"] for r in table))  # model files have no step: no row
    assert files == [name for name in shown if name in files]
    assert {"examples/int305-assignment1.md", "examples/softmax_derivation.md"} <= set(files)
    assert {r["verdict"] for r in table} <= {"proved", "verified", "refuted", "unknown"}


def test_forked_drivers_give_what_one_by_one_gives(tmp_path) -> None:
    from derive.checking.batch import check_files

    paths = write(tmp_path, {"a.md": RIGHT, "b.md": WRONG, "c.md": b"\x00", "d.md": COMMA})
    assert check_files(paths, jobs=2) == check_files(paths, jobs=1)


def test_a_driver_that_dies_is_an_error_row_and_the_rest_go_on(tmp_path, monkeypatch) -> None:
    import os
    import threading

    from derive.checking import batch

    if threading.active_count() > 1:  # the files would be checked in this process
        pytest.skip("drivers are forked only from a single-threaded caller")
    real = batch.check_file

    def dies_on_b(path, limits):
        if Path(path).name == "b.md":
            os.kill(os.getpid(), signal.SIGKILL)
        return real(path, limits=limits)

    monkeypatch.setattr(batch, "check_file", dies_on_b)
    paths = write(tmp_path, {"a.md": RIGHT, "b.md": RIGHT, "c.md": WRONG})
    found = batch.check_files(paths, jobs=2)
    assert [r.error for r in found] == [None, "the check stopped (signal 9)", None]
    assert [len(r.report.steps) for r in (found[0], found[2])] == [2, 1]
