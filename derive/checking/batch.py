"""Check many documents at once, one per core, and give the results in the order of the files.

Each document is checked by a driver process forked from the caller, which runs the ordinary
:func:`derive.checking.check_file` (its own bounded workers, its own limits) and sends back the
report, or why the file could not be read. At most ``jobs`` drivers run at a time; the order of
the results is that of the files, whichever finishes first. A caller with other threads, or a
system without ``fork``, checks the files one after the other instead (same results).
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from multiprocessing import Pipe
from multiprocessing.connection import Connection, wait
from pathlib import Path

from derive.checking import check_file
from derive.checking.results import CheckReport
from derive.checking.workers import die_with_parent, held_signals, preload
from derive.errors import InputError
from derive.limits import Limits

SUFFIXES = (".md", ".tex")


@dataclass(frozen=True)
class FileResult:
    """One file of a batch: its report, or the reason it could not be checked."""

    file: str
    report: CheckReport | None = None
    error: str | None = None


def documents(paths: Iterable[Path]) -> list[Path]:
    """The files to check: each path given, a directory replaced by its ``.md`` and ``.tex``
    files (recursively, sorted, hidden folders skipped); a file named twice is checked once.

    InputError for a directory that holds no such file.
    """
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            inside = _inside(path)
            if not inside:
                raise InputError(f"{path} holds no .md or .tex file to check")
            found.extend(inside)
        else:
            found.append(path)
    return list(dict.fromkeys(found))


def _inside(folder: Path) -> list[Path]:
    out = []
    for root, folders, files in os.walk(folder):
        folders[:] = [name for name in folders if not name.startswith(".")]
        out.extend(
            Path(root, name)
            for name in files
            if not name.startswith(".") and name.lower().endswith(SUFFIXES)
        )
    return sorted(out, key=lambda p: p.relative_to(folder).parts)


def check_files(
    paths: Sequence[Path], limits: Limits | None = None, jobs: int | None = None
) -> list[FileResult]:
    """Check every file, ``jobs`` at a time (default: one per core); results in file order."""
    limits = limits or Limits()
    jobs = max(1, jobs or os.cpu_count() or 1)
    if jobs == 1 or len(paths) == 1 or threading.active_count() > 1 or not hasattr(os, "fork"):
        return [_check_one(path, limits) for path in paths]
    return _Batch(paths, limits, jobs).run()


def _check_one(path: Path, limits: Limits) -> FileResult:
    try:
        return FileResult(str(path), report=check_file(path, limits=limits))
    except InputError as exc:
        return FileResult(str(path), error=str(exc))


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


class _Batch:
    """The drivers of one batch, seen from the caller."""

    def __init__(self, paths: Sequence[Path], limits: Limits, jobs: int) -> None:
        self.paths, self.limits, self.jobs = paths, limits, jobs
        self.running: dict[Connection, tuple[int, int]] = {}  # reader -> (file index, pid)
        self.results: dict[int, FileResult] = {}

    def run(self) -> list[FileResult]:
        preload()  # imported once here, shared by every driver and its workers
        waiting = list(range(len(self.paths)))[::-1]
        try:
            while waiting or self.running:
                while waiting and len(self.running) < self.jobs:
                    self._start(waiting.pop())
                for reader in wait(list(self.running)):
                    self._finish(reader)  # type: ignore[arg-type]
        finally:
            self._stop_all()
        return [self.results[n] for n in range(len(self.paths))]

    def _start(self, index: int) -> None:
        reader, writer = Pipe(duplex=False)
        with held_signals():
            parent, pid = os.getpid(), os.fork()
            if pid == 0:  # the driver: never returns into the caller's code
                code = 1
                try:
                    reader.close()
                    for other in self.running:
                        other.close()
                    signal.signal(signal.SIGTERM, _interrupt)  # so that its workers are reaped
                    signal.signal(signal.SIGINT, _interrupt)
                    die_with_parent(parent)
                    writer.send(_check_one(self.paths[index], self.limits))
                    code = 0
                finally:
                    os._exit(code)
            writer.close()
            self.running[reader] = (index, pid)

    def _finish(self, reader: Connection) -> None:
        index, pid = self.running[reader]
        try:
            result = reader.recv()
        except (EOFError, OSError):
            result = None
        with held_signals():
            reader.close()
            code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
            del self.running[reader]
        if not isinstance(result, FileResult):
            why = f"signal {-code}" if code < 0 else f"exit code {code}"
            result = FileResult(str(self.paths[index]), error=f"the check stopped ({why})")
        self.results[index] = result

    def _stop_all(self) -> None:
        """Stop the drivers still running (each reaps its own workers), then reap them."""
        for reader, (_, pid) in self.running.items():
            reader.close()
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 5.0
        for _, pid in self.running.values():
            while not os.waitpid(pid, os.WNOHANG)[0]:
                if time.monotonic() > deadline:
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                    break
                time.sleep(0.01)
        self.running.clear()
