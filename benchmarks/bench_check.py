"""Time `derive check` per step on the assignment and the test corpus.

    python3 benchmarks/bench_check.py [--repeat N]

Prints, for each set of documents, the number of steps and the median, 90th and 99th percentile
and maximum time per step (proof or numeric check, diagnosis and correction included), and the
time spent reading (extracting and parsing) each set. The target is a median under 100 ms.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from derive.checking.checker import check_claims  # noqa: E402
from derive.checking.interpret import read_document  # noqa: E402

ASSIGNMENT = Path("/work/shared/assignment/int305-assignment1.md")
CORPUS = ROOT / "tests" / "check_corpus"
EXAMPLE = ROOT / "examples" / "softmax_derivation.md"


def measure(files: list[Path], repeat: int) -> tuple[list[float], float]:
    """Seconds per step over all files (each checked ``repeat`` times), and seconds reading."""
    per_step: list[float] = []
    reading = 0.0
    for _ in range(repeat):
        for path in files:
            text = path.read_text(encoding="utf-8")
            started = time.perf_counter()
            document = read_document(text, str(path))
            reading += time.perf_counter() - started
            check_claims(document, per_step)
    return per_step, reading / repeat


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def report(name: str, files: list[Path], repeat: int) -> list[float]:
    times, reading = measure(files, repeat)
    if not times:
        print(f"{name}: no steps")
        return times
    ms = [t * 1000 for t in times]
    print(
        f"{name:12s} {len(times) // repeat:4d} steps  median {statistics.median(ms):7.1f} ms  "
        f"p90 {percentile(ms, 0.9):7.1f} ms  p99 {percentile(ms, 0.99):7.1f} ms  "
        f"max {max(ms):7.1f} ms  reading {reading * 1000:6.0f} ms"
    )
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="how many times to check each file")
    args = parser.parse_args()
    corpus = sorted(p for p in CORPUS.iterdir() if p.suffix in (".md", ".tex"))
    everything: list[float] = []
    if ASSIGNMENT.exists():
        everything += report("assignment", [ASSIGNMENT], args.repeat)
    everything += report("corpus", corpus, args.repeat)
    everything += report("example", [EXAMPLE], args.repeat)
    median = statistics.median(everything) * 1000
    verdict = "under" if median < 100 else "OVER"
    print(f"all steps: median {median:.1f} ms per step ({verdict} the 100 ms target)")


if __name__ == "__main__":
    main()
