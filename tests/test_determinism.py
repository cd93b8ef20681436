"""Same input, same output, however busy the machine: verdicts are never decided by a clock.

Every built-in derivation and the checker on the assignment run as a user runs them (a fresh
process, no cache), once on their own and once beside two busy processes that load both
cores, each with another hash seed; the JSON must be byte-identical.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import derive

ROOT = Path(__file__).resolve().parents[1]
# every document of the examples and of the corpus, checked in one process, as JSON
CORPUS = (
    "import json, pathlib\n"
    "from derive.checking import check_file\n"
    "files = sorted(pathlib.Path('tests/check_corpus').rglob('*.[mt][de]*'))\n"
    "for path in [*sorted(pathlib.Path('examples').glob('*.md')), *files]:\n"
    "    print(json.dumps(check_file(path).to_dict(), sort_keys=True))\n"
)
COMMANDS = [
    *(
        ["-m", "derive", "show", name, "--format", "json", "--no-cache"]
        for name in derive.derivations()
    ),
    ["-m", "derive", "check", "examples/int305-assignment1.md", "--format", "json"],
    ["-c", CORPUS],
]


def run(args: list[str], seed: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": seed}
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=600,
    )


@contextmanager
def busy(count: int = 2) -> Iterator[None]:
    """Processes that keep every core busy until the block ends."""
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]
    try:
        yield
    finally:
        for p in spinners:
            p.kill()
        for p in spinners:
            p.wait()


@pytest.fixture(scope="module")
def idle() -> dict[str, subprocess.CompletedProcess]:
    return {" ".join(args): run(args, "1") for args in COMMANDS}


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a[2:4]) or "corpus")
def test_output_is_identical_under_load(args: list[str], idle) -> None:
    quiet = idle[" ".join(args)]
    assert quiet.returncode in (0, 1), quiet.stderr
    assert quiet.stdout.strip()
    with busy():
        loaded = run(args, "2")
    assert loaded.returncode == quiet.returncode, loaded.stderr
    assert loaded.stdout == quiet.stdout
