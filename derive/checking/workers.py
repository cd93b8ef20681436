"""Check a document in worker processes whose time and memory are bounded by the system.

A worker reads the document (reading can blow up too: a power of a power in a definition),
then checks its claims in order and sends each result through a pipe as soon as it is known.
The operating system caps its address space (``RLIMIT_AS``: the program's own size plus the
memory limit) and its CPU time (``RLIMIT_CPU``: the document's allowance). The parent watches
the worker's CPU time per step and kills it when a step uses more than its allowance, or when
it sends nothing for ``WALL_FACTOR`` times that allowance in wall-clock time. When a worker
dies, the claim it was on becomes ``unknown`` with a reason naming the limit, and a fresh
worker checks the claims after it; once the document's CPU time is used up, the claims left
are reported as not checked. Every claim gets a result.

Workers are forked from the caller when it runs a single thread (a few milliseconds). A
multithreaded caller (a web server) gets fresh interpreters instead (about half a second
each, to import SymPy), because forking a process whose other threads may hold locks is not
safe, and multiprocessing's spawn and forkserver would run the caller's main script again.
"""

from __future__ import annotations

import contextlib
import ctypes
import faulthandler
import importlib
import multiprocessing
import os
import pickle
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from typing import Any

from derive.checking.checker import Status, check_claim, result_for
from derive.checking.interpret import read_document
from derive.checking.results import CheckReport, DefinitionEntry, StepResult
from derive.limits import Limits

WALL_FACTOR = 4.0  # wall-clock seconds a step may take per CPU second it is allowed
WALL_GRACE = 10.0  # plus this, for a machine that is busy or swapping
POLL_SECONDS = 0.2  # how often the parent looks at a silent worker's CPU time
MEMORY_EXIT = 86  # a worker's exit code after a MemoryError
# modules SymPy imports on first use: loaded once before forking, not in every worker
PRELOAD = ("sympy.physics.units", "sympy.codegen.ast")
SPAWNED = (
    "import pickle, sys; stream = sys.stdin.buffer; sys.path[:] = pickle.load(stream); "
    "from derive.checking.workers import serve_spawned; serve_spawned(stream)"
)
# the signals that stop a check: held while a child is forked and recorded
STOP_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM, signal.SIGHUP})
PR_SET_PDEATHSIG = 1  # Linux prctl: the signal a process gets when its parent dies


def check_in_workers(text: str, source: str, limits: Limits) -> CheckReport:
    """Check ``text`` in bounded worker processes; every claim gets a result."""
    return _Run(text, source, limits).report()


def not_checked(source: str, why: str) -> CheckReport:
    """A report of one unknown entry for a document that could not be checked at all."""
    entry = StepResult(
        line=1, block=0, step=0, lhs="", rhs="", verdict="unknown", detail=f"not checked: {why}"
    )
    return CheckReport(source, (entry,))


@dataclass
class _Death:
    """How a worker ended before finishing: on which claim (None: reading), and why."""

    claim: int | None
    cause: str  # "step", "document" (time), "memory", or a description of a crash
    cpu: float  # CPU seconds the worker used


class _Run:
    """One document: workers are started until every claim has a result."""

    def __init__(self, text: str, source: str, limits: Limits) -> None:
        self.text, self.source, self.limits = text, source, limits
        self.stubs: tuple[StepResult, ...] | None = None
        self.definitions: tuple[DefinitionEntry, ...] = ()
        self.results: dict[int, StepResult] = {}
        self.spent = 0.0

    def report(self) -> CheckReport:
        start = 0
        while self.stubs is None or start < len(self.stubs):
            death = self._attempt(start)
            if death is None:
                break
            self.spent += death.cpu
            if self.stubs is None:
                return not_checked(self.source, f"reading the document {self._reason(death)}")
            if death.claim is None or death.cause == "document":
                self._give_up(start if death.claim is None else death.claim)
                break
            self._record_death(death)
            start = death.claim + 1
            if self.spent >= self.limits.document_seconds:
                self._give_up(start)
                break
        steps = tuple(self.results.get(n, stub) for n, stub in enumerate(self.stubs or ()))
        return CheckReport(self.source, steps, self.definitions)

    def _attempt(self, start: int) -> _Death | None:
        """Run one worker from claim ``start``; None when it checked everything."""
        budget = self.limits.document_seconds - self.spent
        verdicts = tuple(self.results[n].verdict for n in range(start))
        args = (self.text, self.source, start, verdicts, self.limits, budget, self.stubs is None)
        claim, kind, used, allowed = None, "document", 0.0, budget
        worker = None
        try:
            with held_signals():  # a stop arriving now is raised below, with the worker known
                worker = _Worker.start(args)
            while True:
                message = worker.receive(used + allowed, WALL_FACTOR * allowed + WALL_GRACE)
                if message is None:
                    break
                tag = message[0]
                if tag == "read" and message[1] is not None:
                    self.stubs, self.definitions = message[1], message[2]
                elif tag == "begin":
                    _, claim, kind, used, allowed = message
                elif tag == "result":
                    self.results[message[1]] = message[2]
                elif tag == "done":
                    worker.stop(kill=False)
                    self.spent += message[1]
                    return None
        except BaseException:
            if worker is not None:
                worker.stop(kill=True)
            raise
        code, cpu = worker.stop(kill=worker.overran)
        if worker.overran:
            cause = kind
        elif code == -signal.SIGKILL and cpu >= budget - 1:  # the kernel's RLIMIT_CPU
            cause = "document"
        elif code in (MEMORY_EXIT, -signal.SIGKILL):  # the OOM killer sends SIGKILL too
            cause = "memory"
        else:
            cause = _describe_exit(code)
        return _Death(claim, cause, max(cpu, used))

    def _reason(self, death: _Death) -> str:
        limits = self.limits
        if death.cause == "step":
            return f"ran out of time ({limits.describe_step()})"
        if death.cause == "document":
            return f"ran out of time ({limits.describe_document()})"
        if death.cause == "memory":
            return f"ran out of memory ({limits.describe_memory()} per worker process)"
        return f"stopped the worker process ({death.cause})"

    def _record_death(self, death: _Death) -> None:
        """The claim a worker died on: unknown, or refuted without its diagnosis."""
        assert self.stubs is not None and death.claim is not None
        reason = self._reason(death)
        found = self.results.get(death.claim)
        if found is not None and found.verdict == "refuted":
            self.results[death.claim] = replace(
                found, detail=f"{found.detail}; the diagnosis and correction {reason}"
            )
        else:
            self.results[death.claim] = replace(self.stubs[death.claim], detail=reason)

    def _give_up(self, first: int) -> None:
        """Every claim from ``first`` on: not checked, the document's time is used up."""
        assert self.stubs is not None
        limit = self.limits.describe_document()
        for n in range(first, len(self.stubs)):
            found = self.results.get(n)
            if found is not None and found.verdict == "refuted":
                detail = f"{found.detail}; the diagnosis and correction ran out of time ({limit})"
                self.results[n] = replace(found, detail=detail)
            else:
                why = f"not checked: the document's time limit ({limit}) is used up"
                self.results[n] = replace(self.stubs[n], detail=why)


def _describe_exit(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


class _Worker:
    """A worker process seen from the parent: its pipe, its CPU time, how it ended."""

    def __init__(self, reader: Connection, pid: int, process: Any = None) -> None:
        self.reader, self.pid, self.process = reader, pid, process
        self.overran = False  # killed by the parent for using more than its allowance
        self.cpu = 0.0  # CPU seconds used, as last seen
        self.returned: tuple[int | None, float] | None = None  # exit code and CPU seconds

    @classmethod
    def start(cls, args: tuple) -> _Worker:
        """Fork (or spawn) a worker; call with the stop signals held (:func:`held_signals`)."""
        if threading.active_count() == 1 and hasattr(os, "fork"):
            reader, writer = multiprocessing.Pipe(duplex=False)
            preload()
            parent, pid = os.getpid(), os.fork()
            if pid == 0:  # the worker: never returns into the caller's code
                code = 1
                try:
                    reader.close()
                    die_with_parent(parent)
                    code = _serve(writer, *args)
                finally:
                    os._exit(code)
            writer.close()
            return cls(reader, pid)
        process = subprocess.Popen(
            [sys.executable, "-c", SPAWNED],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        reader = Connection(os.dup(process.stdout.fileno()), writable=False)  # type: ignore[union-attr]
        process.stdout.close()  # type: ignore[union-attr]
        try:
            with process.stdin as stream:  # type: ignore[union-attr]
                pickle.dump(sys.path, stream)
                pickle.dump(args, stream)
        except BrokenPipeError:
            pass  # it died at once: the parent sees its pipe close
        return cls(reader, process.pid, process)

    def receive(self, cpu_limit: float, wall_seconds: float) -> tuple | None:
        """The next message; None when the worker died, overran its CPU time or fell silent."""
        deadline = time.monotonic() + wall_seconds
        while not self.reader.poll(POLL_SECONDS):
            self.cpu = max(self.cpu, _cpu_of(self.pid))
            if self.cpu > cpu_limit or time.monotonic() > deadline:
                self.overran = True
                return None
        try:
            return self.reader.recv()
        except Exception:  # noqa: BLE001 - a worker that died mid-message sent nothing usable
            return None

    def stop(self, kill: bool) -> tuple[int | None, float]:
        """Reap the worker, killing it first if asked (or if it outlives its pipe by 5 s).

        Returns its exit code (negative: the signal that ended it) and its CPU seconds.
        """
        if self.returned is not None:
            return self.returned
        self.reader.close()
        if not kill:
            self._wait(timeout=5.0)
        if self.returned is None:
            os.kill(self.pid, signal.SIGKILL)
            self._wait(timeout=None)
        assert self.returned is not None
        if self.process is not None:
            self.process.returncode = self.returned[0]  # reaped here, not by Popen.wait
        return self.returned[0], max(self.cpu, self.returned[1])

    def _wait(self, timeout: float | None) -> None:
        """Reap the worker within ``timeout`` seconds (forever if None), if it exits."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.returned is None:
            pid, status, usage = os.wait4(self.pid, 0 if deadline is None else os.WNOHANG)
            if pid:
                cpu = usage.ru_utime + usage.ru_stime
                self.returned = (os.waitstatus_to_exitcode(status), cpu)
            elif time.monotonic() > deadline:  # type: ignore[operator]
                return
            else:
                time.sleep(0.005)


@contextlib.contextmanager
def held_signals() -> Iterator[None]:
    """Hold SIGINT, SIGTERM and SIGHUP until the block ends (they are delivered then).

    Around a fork and the line that records the child, so that a stop never lands between
    them and leaves a child nobody will stop. A forked child must call
    :func:`die_with_parent`, which lets its signals through again.
    """
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def die_with_parent(parent: int) -> None:
    """In a forked child: be killed when ``parent`` dies, however it dies; signals let through.

    Uses Linux's ``PR_SET_PDEATHSIG``; elsewhere the parent's clean-up is all there is.
    """
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # it died before the line above took effect
        os._exit(1)


def _cpu_of(pid: int) -> float:
    """CPU seconds a process has used (user and system), from /proc; 0 where there is none."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stream:
            fields = stream.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def preload() -> None:
    """Import what SymPy loads on first use, once, before forking workers (or drivers)."""
    for name in PRELOAD:
        importlib.import_module(name)


def serve_spawned(stream: Any) -> None:
    """The worker in a fresh interpreter: its arguments on stdin, its messages to stdout."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)  # held by the parent across exec
    args = pickle.load(stream)
    writer = Connection(os.dup(1), readable=False)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # nothing printed may corrupt the messages
    os._exit(_serve(writer, *args))


def _confine(limits: Limits, budget: float) -> None:
    """In the worker: the signals left to the parent, the memory and CPU limits set."""
    faulthandler.disable()  # a crash is reported by the parent, in one line
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides what an interrupt stops
    for number in (signal.SIGTERM, signal.SIGHUP, signal.SIGPIPE):
        signal.signal(number, signal.SIG_DFL)
    _lower(resource.RLIMIT_CORE, 0)
    _lower(resource.RLIMIT_AS, _address_space() + limits.memory_bytes)
    # the kernel kills the worker outright (SIGKILL, no core) at the document's CPU time
    _lower(resource.RLIMIT_CPU, int(_own_cpu() + budget) + 1)


def _lower(which: int, value: int) -> None:
    """Set a resource limit, never above one the caller already has."""
    for current in resource.getrlimit(which):
        if current != resource.RLIM_INFINITY:
            value = min(value, current)
    resource.setrlimit(which, (value, value))


def _address_space() -> int:
    """The bytes of address space this process has mapped (0 where /proc is missing)."""
    try:
        with open("/proc/self/statm", "rb") as stream:
            pages = int(stream.read().split()[0])
    except (OSError, IndexError, ValueError):
        return 0
    return pages * os.sysconf("SC_PAGE_SIZE")


def _serve(
    writer: Connection,
    text: str,
    source: str,
    start: int,
    verdicts: tuple[str, ...],
    limits: Limits,
    budget: float,
    send_stubs: bool,
) -> int:
    """The worker: read the document, check claims from ``start``, stream the results."""
    try:
        _confine(limits, budget)
        base = _own_cpu()
        document = read_document(text, source)
        claims = document.claims
        if send_stubs:
            stubs = tuple(result_for(c, "unknown", "") for c in claims)
            notes = tuple(DefinitionEntry(d.line, d.source) for d in document.definitions)
            writer.send(("read", stubs, notes))
        else:
            writer.send(("read", None, None))
        status: Status = {
            (id(c.chain), c.position): v for c, v in zip(claims, verdicts, strict=False)
        }
        for n in range(start, len(claims)):
            used = _own_cpu()  # the parent compares it with what /proc says
            if used - base + limits.step_seconds < budget:
                writer.send(("begin", n, "step", used, limits.step_seconds))
            else:
                writer.send(("begin", n, "document", used, budget - (used - base)))
            for result in check_claim(claims[n], document, status):
                writer.send(("result", n, result))
        writer.send(("done", _own_cpu()))
        return 0
    except MemoryError:
        return MEMORY_EXIT
