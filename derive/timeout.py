"""A wall-clock time limit for pure-Python work (SymPy), so no proof or parse can hang."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

REPEAT = 0.05


class TimeLimitExceeded(BaseException):
    """Raised inside the guarded block when its time runs out.

    A BaseException, like KeyboardInterrupt, so that library code which catches Exception
    (SymPy does, in places) cannot swallow it and run on unbounded.
    """


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Interrupt the block after ``seconds`` (SIGALRM; a no-op outside the main thread).

    An enclosing limit that expires sooner stays in charge.
    """
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable or seconds <= 0:
        yield
        return
    remaining, _ = signal.getitimer(signal.ITIMER_REAL)
    if 0 < remaining <= seconds:
        yield
        return

    def _expire(signum, frame):
        raise TimeLimitExceeded(f"time limit of {seconds:g} s exceeded")

    previous = signal.signal(signal.SIGALRM, _expire)
    started = time.monotonic()
    # the timer repeats until the block exits, in case one expiry is swallowed anyway
    signal.setitimer(signal.ITIMER_REAL, seconds, REPEAT)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if remaining > 0:
            signal.setitimer(
                signal.ITIMER_REAL, max(remaining - (time.monotonic() - started), 1e-3), REPEAT
            )
