"""Checking runs in worker processes: limits that name themselves, the rest still checked.

Steps that run out are made to run out for sure (a step that spins forever, a step that asks
for more memory than any machine has), so nothing here depends on the speed of the machine.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from derive.checking import Limits, check, checker, workers
from derive.checking.checker import check_claims
from derive.checking.interpret import read_document
from derive.limits import format_size, parse_size

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_limits import chain  # noqa: E402

EXAMPLE = ROOT / "examples" / "softmax_derivation.md"
THREE = "$$ (a+b)^2 = a^2 + 2ab + b^2 $$\n\n$$ x + x = 3x $$\n\n$$ \\log(e^{y}) = y $$\n"


def verdicts(report) -> list[str]:
    return [s.verdict for s in report.steps]


def no_children_left() -> bool:
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def misbehave_on(monkeypatch: pytest.MonkeyPatch, line: int, action) -> None:
    """Make the worker run ``action`` when it reaches the claim on ``line`` (forked workers
    inherit the patch)."""
    real = checker.check_claim

    def patched(claim, document, status):
        if claim.line == line:
            action()
        return real(claim, document, status)

    monkeypatch.setattr(workers, "check_claim", patched)


def spin() -> None:
    while True:
        pass


def test_ordinary_verdicts_are_those_of_an_unlimited_check() -> None:
    text = EXAMPLE.read_text()
    unlimited = check_claims(read_document(text, str(EXAMPLE)))
    assert check(text, source=str(EXAMPLE)).steps == tuple(unlimited)


def test_json_is_byte_identical_between_runs_and_limits() -> None:
    def run(*options: str) -> bytes:
        return subprocess.run(
            [sys.executable, "-m", "derive", "check", str(EXAMPLE), "--format", "json", *options],
            capture_output=True,
            cwd=ROOT,
            timeout=300,
        ).stdout

    first = run()
    assert json.loads(first)["summary"]["proved"] > 0
    assert run("--time-limit", "100", "--memory-limit", "4G") == first


def test_a_step_that_spins_is_unknown_for_time_and_the_rest_is_checked(monkeypatch) -> None:
    misbehave_on(monkeypatch, 3, spin)
    report = check(THREE, limits=Limits(step_seconds=0.5))
    assert verdicts(report) == ["proved", "unknown", "proved"]
    assert report.steps[1].detail == "ran out of time (0.5 s of CPU time per step)"
    assert no_children_left()


def test_a_step_that_exhausts_memory_is_unknown_for_memory(monkeypatch) -> None:
    misbehave_on(monkeypatch, 3, lambda: bytearray(1 << 40))
    report = check(THREE, limits=Limits(memory_bytes=parse_size("256M")))
    assert verdicts(report) == ["proved", "unknown", "proved"]
    assert report.steps[1].detail == "ran out of memory (256 MB per worker process)"


def test_a_worker_that_crashes_loses_only_its_step(monkeypatch) -> None:
    misbehave_on(monkeypatch, 3, lambda: os.kill(os.getpid(), signal.SIGSEGV))
    report = check(THREE)
    assert verdicts(report) == ["proved", "unknown", "proved"]
    assert "SIGSEGV" in report.steps[1].detail


def test_the_document_limit_leaves_the_rest_not_checked(monkeypatch) -> None:
    misbehave_on(monkeypatch, 3, spin)
    report = check(THREE, limits=Limits(step_seconds=60, document_seconds=1))
    assert verdicts(report) == ["proved", "unknown", "unknown"]
    for step in report.steps[1:]:
        assert step.detail == (
            "not checked: the document's time limit (1 s of CPU time per document) is used up"
        )


def test_a_refuted_step_keeps_its_verdict_when_its_diagnosis_runs_out(monkeypatch) -> None:
    monkeypatch.setattr(checker, "_diagnose", lambda *args: spin())
    report = check(THREE, limits=Limits(step_seconds=0.5))
    assert verdicts(report) == ["proved", "refuted", "proved"]
    assert report.steps[1].detail.endswith(
        "the diagnosis and correction ran out of time (0.5 s of CPU time per step)"
    )
    assert report.steps[1].counterexample


def test_reading_that_runs_out_of_memory_is_one_unknown(monkeypatch) -> None:
    def greedy(text, source):
        return bytearray(1 << 40)

    monkeypatch.setattr(workers, "read_document", greedy)
    report = check(THREE, limits=Limits(memory_bytes=parse_size("100M")))
    assert verdicts(report) == ["unknown"]
    assert report.steps[0].detail == (
        "not checked: reading the document ran out of memory (100 MB per worker process)"
    )


def test_reading_that_spins_is_one_unknown_for_time(monkeypatch) -> None:
    monkeypatch.setattr(workers, "read_document", lambda text, source: spin())
    report = check(THREE, limits=Limits(document_seconds=0.5))
    assert verdicts(report) == ["unknown"]
    assert report.steps[0].detail == (
        "not checked: reading the document ran out of time (0.5 s of CPU time per document)"
    )


def test_concurrent_checks_from_threads_get_the_same_verdicts() -> None:
    expected = verdicts(check(THREE))
    found: list[list[str]] = []
    threads = [
        threading.Thread(target=lambda: found.append(verdicts(check(THREE)))) for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert found == [expected] * 2


def test_limits_hold_in_a_thread_too() -> None:
    text = chain(3000)
    found = []
    thread = threading.Thread(
        target=lambda: found.append(check(text, limits=Limits(memory_bytes=1)))
    )
    thread.start()
    thread.join()
    assert [s.detail for s in found[0].steps] == [
        "not checked: reading the document ran out of memory (1 byte per worker process)"
    ]


def _verdicts_of(text: str) -> list[str]:
    return verdicts(check(text))


def test_concurrent_checks_from_processes_get_the_same_verdicts() -> None:
    with ProcessPoolExecutor(2) as pool:
        found = list(pool.map(_verdicts_of, [THREE] * 3))
    assert found == [["proved", "refuted", "proved"]] * 3


def test_sigterm_stops_derive_check_and_its_worker(tmp_path) -> None:
    document = tmp_path / "long.md"
    document.write_text(chain(3000))
    process = subprocess.Popen(
        [sys.executable, "-m", "derive", "check", str(document)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children")
    worker = ""
    deadline = time.monotonic() + 120
    while not worker and process.poll() is None and time.monotonic() < deadline:
        worker = children.read_text().strip() if children.exists() else ""
        time.sleep(0.05)
    assert worker, "derive check started no worker"
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 128 + signal.SIGTERM
    assert err.strip() == "derive: stopped by SIGTERM" and out == ""
    assert not Path(f"/proc/{worker.split()[0]}").exists()


@pytest.mark.parametrize(
    ("text", "size"), [("1G", 1 << 30), ("512M", 512 << 20), ("1.5gb", 3 << 29), ("300", 300)]
)
def test_sizes(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "G", "-1G", "1Q", "0"])
def test_bad_sizes(text: str) -> None:
    with pytest.raises(ValueError):
        parse_size(text)


def test_sizes_read_back() -> None:
    assert format_size(1 << 30) == "1 GB" and format_size(512 << 20) == "512 MB"


@pytest.mark.parametrize(
    "args",
    [
        ("--time-limit", "0"),
        ("--time-limit", "soon"),
        ("--memory-limit", "lots"),
        ("--document-time-limit", "-3"),
    ],
)
def test_bad_limits_are_one_line_and_exit_2(args) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "derive", "check", str(EXAMPLE), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.startswith("derive: argument") and len(out.stderr.splitlines()) == 1
