"""botocore's retry back-off and waiter polls wait on the lab clock.

Why: boto3 retries a throttled call (ProvisionedThroughputExceededException) after sleeping,
exactly as learner code written for AWS expects. On a simulated lab clock a real sleep would
not move lab time, so every retry would land in the same throttled second and fail. With
this shim the back-off advances the simulated clock instead (instantly), and on the real
clock it sleeps as usual — the retry behaves as it would against AWS either way. Waiters
(``get_waiter("stream_exists")``) sleep between polls the same way, so on a simulated clock a
waiter sees a stream through CREATING without real waiting (kinesis_lab.simulation.lifecycle).

On the real clock a waiter polls at most every ``WAITER_POLL_SECONDS`` (SIMULATION: the lab's
CREATING/UPDATING/DELETING last 1 s, AWS's last seconds to minutes, and botocore's Kinesis
waiters poll every 10 s against AWS). Without the cap every `stream_exists` after a create, a
reshard or an encryption change cost a learner, a quiz and the test suite 10 s of real waiting
for a 1 s transition. Retry back-off keeps its full sleep: that is what the limits meter.
"""

from __future__ import annotations

import time
import types

import botocore.endpoint
import botocore.waiter

from ..core import clock
from ..simulation.lifecycle import TRANSITION_SECONDS

# A waiter's longest real sleep between polls: just past a lab transition's length.
WAITER_POLL_SECONDS = TRANSITION_SECONDS + 0.05

_real_time_module = botocore.endpoint.time
_real_waiter_time_module = botocore.waiter.time


def _sleep_on_lab_clock(seconds: float) -> None:
    if clock.get_clock().simulated:
        clock.advance(max(0.0, seconds))
    else:
        time.sleep(seconds)


def _poll_on_lab_clock(seconds: float) -> None:
    """A waiter's pause: the whole delay on a simulated clock, at most one transition on the
    real clock (see the module docstring)."""
    if clock.get_clock().simulated:
        clock.advance(max(0.0, seconds))
    else:
        time.sleep(min(max(0.0, seconds), WAITER_POLL_SECONDS))


def _shim(sleep=_sleep_on_lab_clock) -> types.SimpleNamespace:
    namespace = types.SimpleNamespace(**vars(_real_time_module))
    namespace.sleep = sleep
    return namespace


def install() -> None:
    """Route botocore's retry and waiter sleeps through the lab clock (idempotent)."""
    if botocore.endpoint.time is _real_time_module:
        botocore.endpoint.time = _shim()
    if botocore.waiter.time is _real_waiter_time_module:
        botocore.waiter.time = _shim(_poll_on_lab_clock)


def uninstall() -> None:
    botocore.endpoint.time = _real_time_module
    botocore.waiter.time = _real_waiter_time_module


def is_installed() -> bool:
    return botocore.endpoint.time is not _real_time_module
