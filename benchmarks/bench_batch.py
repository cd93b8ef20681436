"""Time `derive check DIR` on batches of 50, 100 and 200 files (copies of the test corpus).

    python3 benchmarks/bench_batch.py [--sizes 50 100 200]

Each batch is a temporary folder of N files cycled from ``tests/check_corpus`` and
``examples``, checked by the command line as a grader runs it (one worker per core). Prints,
for each N, the steps, the wall-clock seconds and the steps per second: the time should grow
with the steps, so steps per second should stay about the same from one size to the next.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted(
    p
    for folder in (ROOT / "tests" / "check_corpus", ROOT / "examples")
    for p in folder.rglob("*")
    if p.suffix in (".md", ".tex")
)


def build(folder: Path, count: int) -> None:
    """``count`` files in ``folder``, copies of the corpus in turn."""
    for n in range(count):
        source = SOURCES[n % len(SOURCES)]
        shutil.copyfile(source, folder / f"{n:04d}-{source.name}")


def measure(count: int) -> tuple[int, float]:
    """Steps checked and wall-clock seconds for a batch of ``count`` files."""
    with tempfile.TemporaryDirectory() as name:
        build(Path(name), count)
        command = [sys.executable, "-m", "derive", "check", name, "--format", "json"]
        started = time.perf_counter()
        out = subprocess.run(command, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - started
    if out.returncode not in (0, 1):
        raise SystemExit(f"derive check failed: {out.stderr.strip()}")
    summary = json.loads(out.stdout)["summary"]
    assert summary["files"] == count and not summary["not_read"], summary
    return summary["steps"], seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 100, 200])
    args = parser.parse_args()
    print(f"{len(SOURCES)} corpus files, {os.cpu_count()} cores")
    for count in args.sizes:
        steps, seconds = measure(count)
        print(
            f"{count:4d} files  {steps:5d} steps  {seconds:7.1f} s  "
            f"{steps / seconds:6.1f} steps/s  {seconds / count * 1000:6.0f} ms/file"
        )


if __name__ == "__main__":
    main()
