"""The lab clock: real time by default, or a simulated clock that labs and tests advance.

Why: Kinesis limits are "per second" and iterators expire "after 5 minutes". With a simulated
clock a lab can show a whole second of traffic, or five minutes passing, instantly and
identically on every run; tests can check exact edges (1,000 records in a second is fine,
1,001 is not). Every simulation reads time from :func:`now`, never from ``time`` directly.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone
from typing import Any

# 2026-01-15T09:00:00Z: a fixed, readable start for simulated runs.
DEFAULT_SIMULATED_START = 1_768_467_600.0


class RealClock:
    """Wall-clock time; ``advance`` sleeps, so code written for either clock works."""

    simulated = False

    def now(self) -> float:
        return time.time()

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("time only moves forward")
        time.sleep(seconds)
        return self.now()


class SimulatedClock:
    """A clock that only moves when told to: deterministic "per second" behaviour."""

    simulated = True

    def __init__(self, start: float = DEFAULT_SIMULATED_START) -> None:
        self._now = float(start)
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("time only moves forward")
        with self._lock:
            self._now += seconds
            return self._now

    def set(self, timestamp: float) -> None:
        with self._lock:
            if timestamp < self._now:
                raise ValueError("time only moves forward")
            self._now = float(timestamp)


_clock: RealClock | SimulatedClock = RealClock()


def get_clock() -> RealClock | SimulatedClock:
    return _clock


def use_simulated_clock(start: float = DEFAULT_SIMULATED_START) -> SimulatedClock:
    """Switch every simulation to a fresh simulated clock and return it."""
    global _clock
    _clock = SimulatedClock(start)
    return _clock


def use_real_clock() -> RealClock:
    global _clock
    _clock = RealClock()
    return _clock


def use_clock(lab_clock: Any) -> Any:
    """Make any object with ``simulated``, ``now()`` and ``advance()`` the lab clock — e.g. a
    local endpoint's clock, so a notebook on ``target="local"`` and the endpoint share one."""
    global _clock
    _clock = lab_clock
    return _clock


def now() -> float:
    """Seconds since the epoch, on the lab clock."""
    return _clock.now()


def now_datetime() -> datetime:
    """The lab clock as an aware UTC datetime (what AWS timestamps look like in boto3)."""
    return datetime.fromtimestamp(_clock.now(), tz=timezone.utc)


def advance(seconds: float) -> float:
    """Move the lab clock forward (sleeps on the real clock)."""
    return _clock.advance(seconds)
