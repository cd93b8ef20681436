"""The time limit interrupts work even when library code catches Exception."""

import time

import pytest

from derive.timeout import TimeLimitExceeded, time_limit


def test_interrupts_a_loop_that_swallows_exceptions():
    started = time.monotonic()
    with pytest.raises(TimeLimitExceeded), time_limit(0.2):
        while time.monotonic() - started < 5:
            try:
                sum(range(10_000))
            except Exception:  # noqa: BLE001 - what careless library code does
                pass
    assert time.monotonic() - started < 1.0


def test_nested_limits_keep_the_outer_one():
    started = time.monotonic()
    with pytest.raises(TimeLimitExceeded), time_limit(0.2):
        try:
            with time_limit(0.05):
                time.sleep(1)
        except TimeLimitExceeded:
            pass
        time.sleep(1)
    assert time.monotonic() - started < 0.6


def test_no_limit_left_behind():
    with time_limit(0.1):
        pass
    time.sleep(0.2)  # an alarm left running would raise here


def busy(until: float) -> None:
    while time.monotonic() < until:
        pass


def test_an_alarm_swallowed_like_in_a_gc_callback_fires_again():
    started = time.monotonic()
    with pytest.raises(TimeLimitExceeded), time_limit(0.2):
        try:
            busy(started + 10)
        except TimeLimitExceeded:
            pass  # what Python does with an exception raised in a garbage-collector callback
        busy(started + 10)
    assert time.monotonic() - started < 2


def test_no_alarm_outlives_a_limit_that_fired():
    with pytest.raises(TimeLimitExceeded), time_limit(0.1):
        busy(time.monotonic() + 5)
    busy(time.monotonic() + 0.3)
