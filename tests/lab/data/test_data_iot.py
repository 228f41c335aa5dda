"""IoT readings: deterministic, well-formed, on schedule, with anomalies the stated rules find."""

from __future__ import annotations

import itertools
import json
import random
import re
import statistics
from collections import Counter, defaultdict
from datetime import datetime
from itertools import pairwise

import pytest

from kinesis_lab.data import (
    MOVEMENT_RULE_ACCEL_G,
    READING_TRUTH_FIELDS,
    SPIKE_RULE_DELTA_C,
    device_profiles,
    epoch_ms,
    haversine_km,
    iter_readings,
    readings,
)
from kinesis_lab.data.iot import SPIKE_MIN_DELTA_C

DEVICES = 300
INTERVAL_S = 10.0
SPIKE_RATE = 0.01
MOVEMENT_RATE = 0.01
ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.fixture(scope="module")
def fleet() -> list[dict]:
    """100 readings from each of 300 devices, with anomalies frequent enough to count."""
    return readings(
        30_000,
        devices=DEVICES,
        interval_s=INTERVAL_S,
        spike_rate=SPIKE_RATE,
        movement_rate=MOVEMENT_RATE,
        seed=1,
    )


@pytest.fixture(scope="module")
def by_device(fleet) -> dict[str, list[dict]]:
    series = defaultdict(list)
    for reading in fleet:
        series[reading["device_id"]].append(reading)
    return series


@pytest.fixture(scope="module")
def baseline() -> dict[str, float]:
    return {p["device_id"]: p["baseline_temperature_c"] for p in device_profiles(DEVICES, seed=1)}


def test_same_seed_same_readings_other_seed_differs():
    first = readings(2_000, devices=50, seed=3)
    random.seed(12345)  # global random state must not matter
    assert readings(2_000, devices=50, seed=3) == first
    assert readings(2_000, devices=50, seed=4) != first


def test_a_shorter_run_is_a_prefix_of_a_longer_one():
    assert readings(500, devices=40, seed=2) == readings(1_000, devices=40, seed=2)[:500]


def test_the_iterator_is_lazy_and_endless_without_count():
    endless = iter_readings(devices=10, seed=0)  # would hang here if it were not lazy
    assert list(itertools.islice(endless, 1_000)) == readings(1_000, devices=10, seed=0)
    assert readings(0) == []


def test_schema_and_types(fleet):
    for reading in fleet[:2_000]:
        assert list(reading) == [
            "device_id", "seq", "ts", "ts_ms", "device_type", "site", "temperature_c",
            "humidity_pct", "accel_g", "lat", "lon", "battery_pct", "anomaly",
        ]  # fmt: skip
        assert reading["device_id"].startswith("dev-")
        assert ISO_MS.match(reading["ts"])
        assert epoch_ms(reading["ts"]) == reading["ts_ms"]
        assert reading["device_type"] in {"room", "fridge", "freezer"}
        for field in ("temperature_c", "humidity_pct", "accel_g", "lat", "lon", "battery_pct"):
            assert isinstance(reading[field], float), field
        assert 0 <= reading["humidity_pct"] <= 100
        assert 0 < reading["battery_pct"] <= 100
        assert -90 <= reading["lat"] <= 90 and -180 <= reading["lon"] <= 180
        assert reading["anomaly"] in {None, "temperature_spike", "movement"}
    assert READING_TRUTH_FIELDS == ("anomaly",)


def test_readings_are_json_serialisable(fleet):
    assert json.loads(json.dumps(fleet[:1_000])) == fleet[:1_000]


def test_readings_come_in_time_order_and_per_device_sequence(fleet, by_device):
    times = [r["ts_ms"] for r in fleet]
    assert times == sorted(times)
    assert len(by_device) == DEVICES
    for series in by_device.values():
        assert [r["seq"] for r in series] == list(range(1, len(series) + 1))
        gaps = [b["ts_ms"] - a["ts_ms"] for a, b in pairwise(series)]
        assert min(gaps) >= 0.8 * INTERVAL_S * 1000
        assert max(gaps) <= 1.2 * INTERVAL_S * 1000


def test_each_device_reports_at_the_requested_rate(fleet, by_device):
    gaps = [b["ts_ms"] - a["ts_ms"] for s in by_device.values() for a, b in pairwise(s)]
    assert statistics.mean(gaps) == pytest.approx(INTERVAL_S * 1000, rel=0.01)
    span_s = (fleet[-1]["ts_ms"] - fleet[0]["ts_ms"]) / 1000
    assert len(fleet) / span_s == pytest.approx(DEVICES / INTERVAL_S, rel=0.03)


def test_clock_starts_at_the_given_start():
    default = readings(100, devices=100, seed=0)
    assert default[0]["ts"].startswith("2026-01-15T09:00")
    later = readings(100, devices=100, seed=0, start=datetime(2030, 6, 1, 12, 0))
    assert later[0]["ts"].startswith("2030-06-01T12:00")
    assert min(r["ts_ms"] for r in later) >= epoch_ms("2030-06-01T12:00:00Z")
    shift = epoch_ms("2030-06-01T12:00:00Z") - epoch_ms("2026-01-15T09:00:00Z")
    assert [r["ts_ms"] - shift for r in later] == [r["ts_ms"] for r in default]


def test_anomalies_appear_at_about_the_requested_rates(fleet):
    counts = Counter(r["anomaly"] for r in fleet)
    assert counts["temperature_spike"] / len(fleet) == pytest.approx(SPIKE_RATE, rel=0.3)
    assert counts["movement"] / len(fleet) == pytest.approx(MOVEMENT_RATE, rel=0.3)
    default = Counter(r["anomaly"] for r in readings(20_000, devices=200, seed=5))
    assert 10 <= default["temperature_spike"] <= 80  # 0.2 % of 20,000 = 40
    assert 5 <= default["movement"] <= 40  # 0.1 % = 20


def test_the_spike_rule_separates_spikes_from_normal_readings(fleet, baseline):
    for reading in fleet:
        above = reading["temperature_c"] - baseline[reading["device_id"]]
        if reading["anomaly"] == "temperature_spike":
            assert above > SPIKE_RULE_DELTA_C
        else:
            assert above < SPIKE_RULE_DELTA_C - 2  # a clear margin, not a knife edge
    assert SPIKE_MIN_DELTA_C - 2.5 > SPIKE_RULE_DELTA_C


def test_a_learner_without_profiles_finds_spikes_from_each_devices_median(by_device):
    flagged, truth = set(), set()
    for device, series in by_device.items():
        usual = statistics.median(r["temperature_c"] for r in series)
        for r in series:
            if r["temperature_c"] > usual + SPIKE_RULE_DELTA_C:
                flagged.add((device, r["seq"]))
            if r["anomaly"] == "temperature_spike":
                truth.add((device, r["seq"]))
    assert truth and flagged == truth


def test_the_movement_rule_separates_movement_from_rest(fleet):
    for reading in fleet:
        if reading["anomaly"] == "movement":
            assert reading["accel_g"] > MOVEMENT_RULE_ACCEL_G
        else:
            assert reading["accel_g"] < MOVEMENT_RULE_ACCEL_G - 0.1


def _metres(a: dict, b: dict) -> float:
    return haversine_km(a["lat"], a["lon"], b["lat"], b["lon"]) * 1000


def test_moving_devices_change_position_and_resting_ones_stay_put(by_device):
    episodes = 0
    for series in by_device.values():
        for before, after in pairwise(series):
            if after["anomaly"] != "movement":
                assert _metres(before, after) < 20, "a device at rest wandered"
        run_start = None
        for i, reading in enumerate(series):
            moving = reading["anomaly"] == "movement"
            if moving and run_start is None:
                run_start = i
            ended = not moving or i == len(series) - 1
            if run_start is not None and ended and run_start > 0:
                last = i - 1 if not moving else i
                assert _metres(series[run_start - 1], series[last]) > 25
                episodes += 1
            if not moving:
                run_start = None
    assert episodes > 20


def test_profiles_match_the_readings(fleet):
    profiles = {p["device_id"]: p for p in device_profiles(DEVICES, seed=1)}
    assert len(profiles) == DEVICES
    for reading in fleet[:DEVICES]:
        profile = profiles[reading["device_id"]]
        assert reading["device_type"] == profile["device_type"]
        assert reading["site"] == profile["site"]
    assert device_profiles(DEVICES, seed=2) != list(profiles.values())


def test_nonsense_options_are_refused():
    with pytest.raises(ValueError):
        readings(1, devices=0)
    with pytest.raises(ValueError):
        readings(1, interval_s=0)
    with pytest.raises(ValueError):
        readings(1, spike_rate=0.7, movement_rate=0.5)
