"""Time `derive check DIR` on batches of 50, 100 and 200 files (copies of the test corpus).

    python3 benchmarks/bench_batch.py [--sizes 50 100 200]

Each batch is a temporary folder of N files cycled from ``tests/check_corpus`` and
``examples``, checked by the command line as a grader runs it (one worker per core). Prints,
for each N, the steps, the wall-clock seconds, the steps per second, and the CPU time of every
process involved per step: the time should grow with the steps, so the last figure should stay
about the same from one size to the next (wall-clock figures vary with the machine's load).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
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


def measure(count: int) -> tuple[int, float, float]:
    """Steps checked, wall-clock seconds and CPU seconds (every process of the command, its
    drivers and workers included) for a batch of ``count`` files."""
    with tempfile.TemporaryDirectory() as name:
        build(Path(name), count)
        command = [sys.executable, "-m", "derive", "check", name, "--format", "json"]
        cpu = _children_cpu()
        started = time.perf_counter()
        out = subprocess.run(command, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - started
        cpu = _children_cpu() - cpu
    if out.returncode not in (0, 1):
        raise SystemExit(f"derive check failed: {out.stderr.strip()}")
    summary = json.loads(out.stdout)["summary"]
    assert summary["files"] == count and not summary["not_read"], summary
    return summary["steps"], seconds, cpu


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 100, 200])
    args = parser.parse_args()
    print(f"{len(SOURCES)} corpus files, {os.cpu_count()} cores")
    for count in args.sizes:
        steps, seconds, cpu = measure(count)
        print(
            f"{count:4d} files  {steps:5d} steps  {seconds:6.1f} s  {steps / seconds:5.1f} steps/s"
            f"  CPU {cpu:6.1f} s  {cpu / steps * 1000:5.1f} ms/step"
        )


if __name__ == "__main__":
    main()
