"""On ``target="local"`` the notebook's lab clock is the endpoint's, read cheaply.

A simulated clock moves only when advanced: the notebook's own advances are seen at once,
another process's (a ``curl`` to the clock control API) within ``RECHECK_SECONDS``; on real
time ``clock.now()`` is this machine's clock, which is the endpoint's.
"""

from __future__ import annotations

import json
import time
import urllib.request

import pytest

from kinesis_lab import start_lab
from kinesis_lab.account.clockcontrol import EndpointClock
from kinesis_lab.core import clock

pytestmark = pytest.mark.slow


@pytest.fixture
def local_lab(endpoint):
    lab = start_lab(target="local", endpoint_url=endpoint["url"], quiet=True)
    yield lab
    lab.use_real_clock()
    lab.stop()


def curl_advance(url: str, seconds: float) -> float:
    """What another process does: POST to the clock control API (not through this lab)."""
    request = urllib.request.Request(
        f"{url}/_kinesis_lab/clock/advance",
        data=json.dumps({"seconds": seconds}).encode(),
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())["now"]


def test_the_notebooks_clock_is_the_endpoints(local_lab):
    assert isinstance(clock.get_clock(), EndpointClock)
    local_lab.use_simulated_clock()
    start = clock.now()
    assert clock.get_clock().simulated
    assert local_lab.advance(5) == start + 5
    assert clock.now() == start + 5  # our own advance: seen at once


def test_another_processs_advance_is_seen_within_the_recheck_time(local_lab, endpoint):
    local_lab.use_simulated_clock()
    start = clock.now()
    moved = curl_advance(endpoint["url"], 60)
    assert moved == start + 60
    time.sleep(EndpointClock.RECHECK_SECONDS)
    assert clock.now() == moved


def test_on_real_time_now_is_this_machines_clock(local_lab):
    local_lab.use_real_clock()
    assert not clock.get_clock().simulated
    assert abs(clock.now() - time.time()) < 0.05
