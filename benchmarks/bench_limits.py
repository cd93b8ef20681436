"""Cost of `derive check` against the size of the input: time and peak memory per step.

    python3 benchmarks/bench_limits.py [--sizes 250 1000 4000 8000] [--megabyte]

Each document is a chain of N true equalities; each is checked by `derive check` in a fresh
process (CPU time, wall time and the peak resident memory of the largest process, worker
included). Linear growth means a constant time per step. ``--megabyte`` also checks a 1 MB
file of valid math under the default limits and counts the steps with a verdict and those
not checked.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINES = (
    "x^2 + 2x + 1 + {k} - {k}",
    "(x + 1)^2 + {k} - {k}",
    "\\frac{{(x + 1)^3}}{{x + 1}} + {k} - {k}",
)


def chain(n: int) -> str:
    """A display chain of n true equalities about (x + 1)^2."""
    rows = [LINES[k % len(LINES)].format(k=k) for k in range(n + 1)]
    return "$$\n\\begin{aligned}\n(x+1)^2 &= " + " \\\\\n&= ".join(rows) + "\n\\end{aligned}\n$$\n"


def megabyte() -> str:
    """About 1 MB of valid math: many short chains of true equalities, each with its text."""
    parts, size, k = [], 0, 0
    while size < 990_000:
        part = f"Step {k}:\n\n$$ (a+{k})^2 = a^2 + {2 * k} a + {k * k} = (a+{k})(a+{k}) $$\n\n"
        parts.append(part)
        size += len(part.encode())
        k += 1
    return "".join(parts)


def run(path: Path, *options: str) -> tuple[dict, float, float, float]:
    """The JSON report, wall seconds, CPU seconds and peak memory (MB) of one check."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "derive", "check", str(path), "--format", "json", *options],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    if done.returncode not in (0, 1):
        raise SystemExit(f"derive check failed on {path}: {done.stderr.strip()}")
    return json.loads(done.stdout), wall, cpu, after.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[250, 1000, 4000, 8000])
    parser.add_argument("--megabyte", action="store_true", help="also check a 1 MB file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        print(f"{'steps':>6} {'wall s':>8} {'CPU s':>8} {'ms/step':>8} {'peak MB':>8}  verdicts")
        for n in args.sizes:
            path = Path(folder) / f"chain{n}.md"
            path.write_text(chain(n))
            options = ("--document-time-limit", "3600")
            report, wall, cpu, peak = run(path, *options)
            summary = report["summary"]
            unknown = [s["detail"] for s in report["steps"] if s["verdict"] == "unknown"]
            print(
                f"{n:6d} {wall:8.1f} {cpu:8.1f} {cpu / n * 1000:8.2f} {peak:8.0f}  "
                + ", ".join(f"{v} {k}" for k, v in summary.items() if v)
                + (f" ({unknown[0]})" if unknown else "")
            )
        if args.megabyte:
            path = Path(folder) / "megabyte.md"
            path.write_text(megabyte())
            report, wall, cpu, peak = run(path)
            steps = report["steps"]
            skipped = sum(1 for s in steps if s["detail"].startswith("not checked"))
            print(
                f"1 MB file ({path.stat().st_size} bytes): {len(steps)} steps, "
                f"{len(steps) - skipped} with a verdict, {skipped} not checked (document time "
                f"limit); {wall:.1f} s wall, {cpu:.1f} s CPU, peak {peak:.0f} MB"
            )


if __name__ == "__main__":
    main()
