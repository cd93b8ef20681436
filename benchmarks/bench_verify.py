"""Benchmark: verification cold (each measurement in a fresh process) and warm, and the cache.

    python3 benchmarks/bench_verify.py [--repeat N]

Prints medians over N fresh processes (default 3) of:
- ``import derive`` and ``derive list`` as processes;
- derive-all cold: every built-in derived and verified in its own fresh process, cache off,
  the derivation alone (imports excluded), summed and per built-in, wall and CPU seconds (the
  CPU time is the steadier figure on a shared machine); target <= 1 s each;
- derive-all cached: the same, read from a filled cache;
- ``derive show softmax`` as a process, cache cold and cached; target <= 0.5 s cached;
- the numeric check: median over the numeric checks the built-ins make (after the symbolic
  proofs, mostly the vector forms), wall and CPU; target <= 5 ms;
- ``derive check`` per step on the assignment and the corpus (median), warm in one process.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
DERIVE = [PYTHON, "-m", "derive"]

_TIME_DERIVATION = """
import json, sys, time
import derive
from derive.api import derivation, derivations
import sympy  # imported before the clock starts: the derivation alone is timed
from derive import engine
names = derivations() if sys.argv[1] == "all" else [sys.argv[1]]
out = {}
for name in names:
    started, cpu = time.perf_counter(), time.process_time()
    derivation(name, use_cache=sys.argv[2] == "cache")
    out[name] = (time.perf_counter() - started, time.process_time() - cpu)
print(json.dumps(out))
"""

_NUMERIC_CHECKS = """
import json, pathlib, sys, time
import derive.verify.decide as decide
import derive.verify.numeric as numeric
from derive.api import derivation, derivations
from derive.checking.checker import check_claims
from derive.checking.interpret import read_document
times = {"built-ins": [], "check": []}
original = numeric.numeric_check
def timed(*args, **kwargs):
    started, cpu = time.perf_counter(), time.process_time()
    try:
        return original(*args, **kwargs)
    finally:
        times[where].append((time.perf_counter() - started, time.process_time() - cpu))
decide.numeric_check = timed
where = "built-ins"
for name in derivations():
    derivation(name, use_cache=False)
where = "check"
for path in sorted(pathlib.Path("tests/check_corpus").rglob("*.[mt][de]*")):
    check_claims(read_document(path.read_text(encoding="utf-8"), str(path)))  # in this process
print(json.dumps(times))
"""


def _env(cache: str) -> dict[str, str]:
    return {**os.environ, "DERIVE_CACHE_DIR": cache, "PYTHONPATH": str(ROOT)}


def _process_seconds(args: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(args, env=env, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
    return time.perf_counter() - started


def _python(code: str, env: dict[str, str], *argv: str):
    done = subprocess.run(
        [PYTHON, "-c", code, *argv], env=env, check=True, capture_output=True, text=True, cwd=ROOT
    )
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    repeat = parser.parse_args().repeat
    median = statistics.median

    with tempfile.TemporaryDirectory() as empty:
        env = _env(empty)
        print(f"fresh processes, median of {repeat}:")
        t = median(_process_seconds([PYTHON, "-c", "import derive"], env) for _ in range(repeat))
        print(f"  python -c 'import derive'        {t * 1e3:7.0f} ms")
        t = median(_process_seconds([*DERIVE, "list"], env) for _ in range(repeat))
        print(f"  derive list                      {t * 1e3:7.0f} ms")
        cold: dict[str, list[float]] = {}
        cold_cpu: dict[str, list[float]] = {}
        for _ in range(repeat):
            with tempfile.TemporaryDirectory() as fresh:
                for name in _python(_TIME_DERIVATION, _env(fresh), "all", "cache"):
                    seconds, cpu = _python(_TIME_DERIVATION, _env(fresh), name, "nocache")[name]
                    cold.setdefault(name, []).append(seconds)
                    cold_cpu.setdefault(name, []).append(cpu)
        total = sum(median(v) for v in cold.values())
        cpu_total = sum(median(v) for v in cold_cpu.values())
        print(
            f"  derive-all cold (each alone)     {total:7.2f} s   (summed over the built-ins; "
            f"CPU {cpu_total:.2f} s)"
        )
        for name, seconds in cold.items():
            print(
                f"    {name:<30} {median(seconds):7.2f} s   CPU {median(cold_cpu[name]):5.2f} s"
                "   (target <= 1 s each)"
            )
        with tempfile.TemporaryDirectory() as filled:
            _python(_TIME_DERIVATION, _env(filled), "all", "cache")
            cached = [
                sum(
                    wall
                    for wall, _ in _python(_TIME_DERIVATION, _env(filled), "all", "cache").values()
                )
                for _ in range(repeat)
            ]
            print(f"  derive-all cached                {median(cached):7.3f} s")
            show = [*DERIVE, "show", "softmax"]
            _process_seconds(show, _env(filled))  # the first show fills its entry
            t = median(_process_seconds(show, _env(filled)) for _ in range(repeat))
            print(f"  derive show softmax, cached      {t:7.2f} s   (target <= 0.5 s)")
        cold_show = []
        for _ in range(repeat):
            with tempfile.TemporaryDirectory() as fresh:
                cold_show.append(_process_seconds(show, _env(fresh)))
        print(f"  derive show softmax, cache empty {median(cold_show):7.2f} s")
        for where, checks in _python(_NUMERIC_CHECKS, env).items():
            wall, cpu = [w for w, _ in checks], [c for _, c in checks]
            print(
                f"  numeric check, {where} ({len(checks)})".ljust(35)
                + f"median {median(wall) * 1e3:5.1f} ms (CPU {median(cpu) * 1e3:4.1f} ms), "
                + f"max {max(wall) * 1e3:6.1f} ms   (target median <= 5 ms)"
            )

    sys.path.insert(0, str(ROOT))
    from benchmarks.bench_check import ASSIGNMENT, CORPUS, EXAMPLE, measure

    files = [ASSIGNMENT, EXAMPLE, *sorted(CORPUS.iterdir())]
    per_step, _ = measure([f for f in files if f.is_file()], 1)
    print(
        f"  derive check per step (warm, {len(per_step)} steps)  median "
        f"{median(per_step) * 1e3:5.1f} ms, max {max(per_step) * 1e3:6.0f} ms"
    )


if __name__ == "__main__":
    main()
