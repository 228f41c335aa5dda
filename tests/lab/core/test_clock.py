"""The lab clock: simulated time moves only when told to; real time is wall-clock time."""

import time

import pytest

from kinesis_lab.core import clock


@pytest.fixture(autouse=True)
def back_to_real_time():
    yield
    clock.use_real_clock()


def test_default_clock_is_real_time():
    clock.use_real_clock()
    assert not clock.get_clock().simulated
    assert abs(clock.now() - time.time()) < 1


def test_simulated_clock_stands_still_until_advanced():
    simulated = clock.use_simulated_clock(start=1000.0)
    assert clock.now() == 1000.0
    time.sleep(0.01)
    assert clock.now() == 1000.0
    assert clock.advance(299.5) == 1299.5
    assert simulated.now() == 1299.5


def test_default_simulated_start_is_2026_01_15_0900_utc():
    clock.use_simulated_clock()
    assert clock.now_datetime().isoformat() == "2026-01-15T09:00:00+00:00"


def test_time_only_moves_forward():
    simulated = clock.use_simulated_clock(start=50.0)
    with pytest.raises(ValueError):
        clock.advance(-1)
    with pytest.raises(ValueError):
        simulated.set(49.0)
    simulated.set(60.0)
    assert clock.now() == 60.0


def test_real_clock_advance_sleeps():
    clock.use_real_clock()
    before = time.monotonic()
    clock.advance(0.05)
    assert time.monotonic() - before >= 0.05
