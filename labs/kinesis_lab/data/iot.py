"""Sensor readings from a fleet of IoT devices, with planted temperature spikes and movement.

Why: the IoT capstone streams these through Kinesis and asks learners to react to temperature
changes and movement. Planting the anomalies, and keeping normal variation well inside the rules
below, makes every answer checkable.

Ground truth: each reading carries ``anomaly`` — ``None``, ``"temperature_spike"`` or
``"movement"``. It is the only truth field (``READING_TRUTH_FIELDS``); strip it before learners
see the payload: ``to_put_records_entries(readings, "device_id", drop=READING_TRUTH_FIELDS)``.
``device_profiles`` gives each device's baseline, which the spike rule is measured against.

The rules a learner can find them with:
- spike: ``temperature_c`` more than ``SPIKE_RULE_DELTA_C`` above the device's baseline (its
  usual temperature; a median of its readings estimates it well). Normal readings stay within
  ±2 °C of it; spikes add 8–15 °C for 2–5 readings in a row.
- movement: ``accel_g`` above ``MOVEMENT_RULE_ACCEL_G``. At rest a sensor reads ≈1 g (gravity);
  moving, 1.35–2.5 g for 3–8 readings, and its position drifts at 1.5–20 m/s.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from .records import DEFAULT_START, Event, epoch_ms, iso_utc_ms

DEFAULT_DEVICES = 2_000
DEFAULT_INTERVAL_S = 10.0  # each device reports every 10 s: 200 readings/s from 2,000 devices
DEFAULT_SPIKE_RATE = 0.002  # share of readings inside a temperature spike
DEFAULT_MOVEMENT_RATE = 0.001  # share of readings taken while the device moves

READING_TRUTH_FIELDS = ("anomaly",)  # drop these before learners see a reading
SPIKE_RULE_DELTA_C = 5.0  # the rule: this far above the device's baseline is a spike
SPIKE_MIN_DELTA_C = 8.0  # what a planted spike adds, at least...
SPIKE_MAX_DELTA_C = 15.0  # ...and at most
MOVEMENT_RULE_ACCEL_G = 1.2  # the rule: more than this is movement

_SPIKE_READINGS = (2, 5)
_MOVE_READINGS = (3, 8)
_MOVE_SPEED_M_S = (1.5, 20.0)
_MOVE_ACCEL_G = (1.35, 2.5)
_JITTER = 0.1  # each reading lands within ±10 % of an interval of its slot
# noise is triangular within ± these bounds: bell-shaped enough, and bounded so the rules are exact
_TEMP_NOISE_C = 0.75
_HUMIDITY_NOISE_PCT = 4.5
_ACCEL_NOISE_G = 0.03
_GPS_NOISE_M = 6.0
_M_PER_DEG = 111_320.0
_GPS_NOISE_DEG = _GPS_NOISE_M / _M_PER_DEG
_RADIANS_PER_MS = 2 * math.pi / 86_400_000  # one daily temperature cycle

# device type: (share of the fleet, usual temperature range °C, daily swing °C)
_DEVICE_TYPES = {
    "room": (0.6, (18.0, 25.0), 1.2),
    "fridge": (0.3, (2.0, 6.0), 0.4),
    "freezer": (0.1, (-22.0, -16.0), 0.4),
}
# sites the fleet is spread over: (name, lat, lon); devices sit within ~1 km of their site
_SITES = (
    ("seattle", 47.6062, -122.3321),
    ("rotterdam", 51.9244, 4.4777),
    ("nairobi", -1.2921, 36.8219),
    ("singapore", 1.3521, 103.8198),
    ("sao-paulo", -23.5505, -46.6333),
)


class _Device:
    """A device's fixed profile plus the state that evolves reading by reading."""

    __slots__ = (
        "index", "device_id", "device_type", "site", "baseline_c", "swing_c", "day_phase",
        "humidity_pct", "lat", "lon", "lon_noise_deg", "battery_pct", "drain_pct", "phase_ms",
        "seq", "last_ms", "spike_left", "spike_len", "spike_peak", "move_left", "heading", "speed",
    )  # fmt: skip


def _make_devices(devices: int, seed: int, interval_s: float) -> list[_Device]:
    """The fleet, drawn from its own random stream so profiles never depend on event options."""
    if devices < 1:
        raise ValueError("a fleet has at least one device")
    rng = random.Random(f"kinesis_lab.data.iot.devices:{seed}")
    types = list(_DEVICE_TYPES)
    shares = [_DEVICE_TYPES[t][0] for t in types]
    width = max(5, len(str(devices - 1)))
    fleet = []
    for index in range(devices):
        device = _Device()
        device.index = index
        device.device_id = f"dev-{index:0{width}d}"
        device.device_type = rng.choices(types, shares)[0]
        _, (low, high), swing = _DEVICE_TYPES[device.device_type]
        device.baseline_c = round(rng.uniform(low, high), 2)
        device.swing_c = swing
        device.day_phase = rng.uniform(0, 2 * math.pi)
        device.humidity_pct = rng.uniform(30.0, 60.0)
        device.site, site_lat, site_lon = rng.choice(_SITES)
        device.lat = site_lat + rng.uniform(-0.01, 0.01)
        device.lon = site_lon + rng.uniform(-0.01, 0.01)
        device.lon_noise_deg = _GPS_NOISE_DEG / math.cos(math.radians(site_lat))
        device.battery_pct = rng.uniform(35.0, 100.0)
        device.drain_pct = rng.uniform(0.0005, 0.003)
        device.phase_ms = rng.uniform(_JITTER, 1 + _JITTER) * interval_s * 1000
        device.seq = 0
        device.spike_left = device.move_left = 0
        fleet.append(device)
    return fleet


def device_profiles(devices: int = DEFAULT_DEVICES, *, seed: int = 0) -> list[dict[str, Any]]:
    """Each device's id, type, site, usual temperature and starting position — the baseline
    the spike rule is measured against. Same ``devices`` and ``seed`` as the readings."""
    return [
        {
            "device_id": d.device_id,
            "device_type": d.device_type,
            "site": d.site,
            "baseline_temperature_c": d.baseline_c,
            "lat": round(d.lat, 6),
            "lon": round(d.lon, 6),
        }
        for d in _make_devices(devices, seed, DEFAULT_INTERVAL_S)
    ]


def _maybe_start_anomaly(
    device: _Device, rng: random.Random, p_spike: float, p_move: float
) -> None:
    draw = rng.random()
    if draw < p_spike:
        device.spike_len = device.spike_left = rng.randint(*_SPIKE_READINGS)
        device.spike_peak = rng.uniform(SPIKE_MIN_DELTA_C, SPIKE_MAX_DELTA_C)
    elif draw < p_spike + p_move:
        device.move_left = rng.randint(*_MOVE_READINGS)
        device.heading = rng.uniform(0, 2 * math.pi)
        device.speed = rng.uniform(*_MOVE_SPEED_M_S)


def _reading(device: _Device, ts_ms: int, rng: random.Random) -> Event:
    """One reading; advances the device's state (anomaly countdowns, position, battery)."""
    noise = rng.random  # noise(): a sum of two of these, minus 1, is triangular on [-1, 1]
    anomaly = None
    day_angle = _RADIANS_PER_MS * ts_ms + device.day_phase
    temperature = (
        device.baseline_c
        + device.swing_c * math.sin(day_angle)
        + (noise() + noise() - 1.0) * _TEMP_NOISE_C
    )
    humidity = device.humidity_pct + (noise() + noise() - 1.0) * _HUMIDITY_NOISE_PCT
    accel = 1.0 + (noise() + noise() - 1.0) * _ACCEL_NOISE_G
    drain = device.drain_pct
    if device.spike_left:
        step = device.spike_len - device.spike_left + 1
        shape = math.sin(math.pi * step / (device.spike_len + 1))  # rises, peaks, falls
        delta = SPIKE_MIN_DELTA_C + (device.spike_peak - SPIKE_MIN_DELTA_C) * shape
        temperature += delta
        humidity = max(5.0, humidity - 1.5 * delta)  # warmer air: lower relative humidity
        device.spike_left -= 1
        anomaly = "temperature_spike"
    elif device.move_left:
        accel = rng.uniform(*_MOVE_ACCEL_G)
        metres = device.speed * (ts_ms - device.last_ms) / 1000.0
        device.lat += metres * math.cos(device.heading) / _M_PER_DEG
        device.lon += (
            metres * math.sin(device.heading) / (_M_PER_DEG * math.cos(math.radians(device.lat)))
        )
        device.move_left -= 1
        drain *= 5
        anomaly = "movement"
    device.battery_pct = max(1.0, device.battery_pct - drain)
    device.seq += 1
    device.last_ms = ts_ms
    return {
        "device_id": device.device_id,
        "seq": device.seq,
        "ts": iso_utc_ms(ts_ms),
        "ts_ms": ts_ms,
        "device_type": device.device_type,
        "site": device.site,
        # round(x * 10**n) / 10**n: the same decimals as round(x, n), three times faster
        "temperature_c": round(temperature * 100) / 100,
        "humidity_pct": round(min(100.0, humidity) * 10) / 10,
        "accel_g": round(accel * 1000) / 1000,
        "lat": round((device.lat + (noise() + noise() - 1.0) * _GPS_NOISE_DEG) * 1e6) / 1e6,
        "lon": round((device.lon + (noise() + noise() - 1.0) * device.lon_noise_deg) * 1e6) / 1e6,
        "battery_pct": round(device.battery_pct * 100) / 100,
        "anomaly": anomaly,
    }


def iter_readings(
    count: int | None = None,
    *,
    devices: int = DEFAULT_DEVICES,
    interval_s: float = DEFAULT_INTERVAL_S,
    spike_rate: float = DEFAULT_SPIKE_RATE,
    movement_rate: float = DEFAULT_MOVEMENT_RATE,
    seed: int = 0,
    start: str | datetime | int = DEFAULT_START,
) -> Iterator[Event]:
    """Readings in time order, lazily; endless when ``count`` is None.

    Each of ``devices`` devices reports every ``interval_s`` seconds (±10 % jitter), so the fleet
    produces ``devices / interval_s`` readings per second. ``spike_rate`` and ``movement_rate``
    are the shares of readings inside each kind of anomaly. The first ``n`` readings are the
    same whatever ``count`` is.
    """
    if interval_s <= 0:
        raise ValueError("interval_s must be positive")
    if spike_rate < 0 or movement_rate < 0 or spike_rate + movement_rate >= 1:
        raise ValueError("spike_rate and movement_rate are shares of readings, summing below 1")
    fleet = _make_devices(devices, seed, interval_s)
    # an episode covers several readings, so it starts with probability rate / mean length
    p_spike = spike_rate / (sum(_SPIKE_READINGS) / 2)
    p_move = movement_rate / (sum(_MOVE_READINGS) / 2)
    rng = random.Random(f"kinesis_lab.data.iot.readings:{seed}")
    return _stream(fleet, rng, count, interval_s * 1000, p_spike, p_move, epoch_ms(start))


def _stream(
    fleet: list[_Device],
    rng: random.Random,
    count: int | None,
    interval_ms: float,
    p_spike: float,
    p_move: float,
    start_ms: int,
) -> Iterator[Event]:
    """The readings themselves: each device's next reading waits on a heap ordered by time."""
    due = [(start_ms + round(d.phase_ms), d.index) for d in fleet]
    heapq.heapify(due)
    for d in fleet:
        d.last_ms = start_ms + round(d.phase_ms - interval_ms)
    emitted = 0
    while count is None or emitted < count:
        ts_ms, index = due[0]
        device = fleet[index]
        if not device.spike_left and not device.move_left:
            _maybe_start_anomaly(device, rng, p_spike, p_move)
        yield _reading(device, ts_ms, rng)
        emitted += 1
        slot_ms = device.phase_ms + device.seq * interval_ms
        jitter_ms = rng.uniform(-_JITTER, _JITTER) * interval_ms
        heapq.heapreplace(due, (start_ms + round(slot_ms + jitter_ms), index))


def readings(count: int, **options: Any) -> list[Event]:
    """``count`` readings as a list; options as for ``iter_readings``."""
    return list(iter_readings(count, **options))
