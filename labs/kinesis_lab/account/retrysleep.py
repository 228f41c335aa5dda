"""botocore's retry back-off and waiter polls wait on the lab clock.

Why: boto3 retries a throttled call (ProvisionedThroughputExceededException) after sleeping,
exactly as learner code written for AWS expects. On a simulated lab clock a real sleep would
not move lab time, so every retry would land in the same throttled second and fail. With
this shim the back-off advances the simulated clock instead (instantly), and on the real
clock it sleeps as usual — the retry behaves as it would against AWS either way. Waiters
(``get_waiter("stream_exists")``) sleep between polls the same way, so on a simulated clock a
waiter sees a stream through CREATING without real waiting (kinesis_lab.simulation.lifecycle).
"""

from __future__ import annotations

import time
import types

import botocore.endpoint
import botocore.waiter

from ..core import clock

_real_time_module = botocore.endpoint.time
_real_waiter_time_module = botocore.waiter.time


def _sleep_on_lab_clock(seconds: float) -> None:
    if clock.get_clock().simulated:
        clock.advance(max(0.0, seconds))
    else:
        time.sleep(seconds)


def _shim() -> types.SimpleNamespace:
    namespace = types.SimpleNamespace(**vars(_real_time_module))
    namespace.sleep = _sleep_on_lab_clock
    return namespace


def install() -> None:
    """Route botocore's retry and waiter sleeps through the lab clock (idempotent)."""
    if botocore.endpoint.time is _real_time_module:
        botocore.endpoint.time = _shim()
    if botocore.waiter.time is _real_waiter_time_module:
        botocore.waiter.time = _shim()


def uninstall() -> None:
    botocore.endpoint.time = _real_time_module
    botocore.waiter.time = _real_waiter_time_module


def is_installed() -> bool:
    return botocore.endpoint.time is not _real_time_module
