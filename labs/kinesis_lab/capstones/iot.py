"""IoT capstone (lesson 13): a fleet's readings → alerts within seconds, a fleet that doubles,
and an archive of every reading in S3.

Why here: the notebook should read like the use case — size the stream, write the rule, watch
the alerts, scale, check the archive — so the rule's reference and self-check, the consumer's
alert logic, the sizing arithmetic (F1, F2, F64) with its explorer, and the archive reader live
in this module, tested.

The data is :mod:`kinesis_lab.data.iot`: each reading carries ``anomaly`` as ground truth
(dropped before producing), and ``device_profiles`` gives each device's usual temperature, the
reference table a real consumer would look up (here a dict; in production a DynamoDB table or a
cache of the device registry).
"""

from __future__ import annotations

import html
import json
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..core import clock
from ..core.checks import FAIL_MARK, PASS_MARK, TODO_MARK, is_blank
from ..core.facts import (
    KIB,
    SHARD_READ_BYTES_PER_SEC,
    SHARD_WRITE_BYTES_PER_SEC,
    SHARD_WRITE_RECORDS_PER_SEC,
)
from ..data.iot import MOVEMENT_RULE_ACCEL_G, SPIKE_RULE_DELTA_C, device_profiles, readings
from ..data.records import decode
from .scoring import ALL, Score, raised_on_blank, score_by_type

SPIKE = "temperature_spike"
MOVEMENT = "movement"
ALERT_TYPES = (SPIKE, MOVEMENT)

Reading = Mapping[str, Any]
Rule = Callable[[Reading, float], Any]

# ---------------------------------------------------------------------------------------------
# The detection rule
# ---------------------------------------------------------------------------------------------


def reference_alert(reading: Reading, baseline_c: float) -> str | None:
    """The rule the generator's anomalies follow: a spike is more than SPIKE_RULE_DELTA_C
    (5 °C) above *this device's* usual temperature; movement is more than
    MOVEMENT_RULE_ACCEL_G (1.2 g) of acceleration (≈1 g at rest: gravity)."""
    if reading["temperature_c"] - baseline_c > SPIKE_RULE_DELTA_C:
        return SPIKE
    if reading["accel_g"] > MOVEMENT_RULE_ACCEL_G:
        return MOVEMENT
    return None


def reading_id(reading: Reading) -> str:
    """A reading's unique ID: the device and its event time (ms)."""
    return f"{reading['device_id']}@{reading['ts_ms']}"


def truth_alerts(events: Iterable[Reading]) -> dict[str, str]:
    """Ground truth: reading ID → planted anomaly, for the readings that have one."""
    return {reading_id(r): r["anomaly"] for r in events if r.get("anomaly")}


# handcrafted edge cases: (reading fields, baseline, expected, what it is about)
_EDGE_CASES: tuple[tuple[dict[str, float], float, str | None, str], ...] = (
    ({"temperature_c": 21.4, "accel_g": 1.01}, 21.0, None, "a normal room reading"),
    ({"temperature_c": 29.8, "accel_g": 0.99}, 21.0, SPIKE, "a room 8.8 °C above its usual"),
    ({"temperature_c": -14.5, "accel_g": 1.0}, -20.0, SPIKE, "a freezer 5.5 °C above its usual"),
    ({"temperature_c": 26.0, "accel_g": 1.0}, 21.0, None, "exactly 5 °C above: not more than 5"),
    ({"temperature_c": 27.5, "accel_g": 1.0}, 27.0, None, "a warm room at its usual level"),
    ({"temperature_c": 4.1, "accel_g": 1.62}, 4.0, MOVEMENT, "a fridge being carried (1.62 g)"),
    ({"temperature_c": 4.1, "accel_g": 1.2}, 4.0, None, "exactly 1.2 g: not more than 1.2"),
    ({"temperature_c": 4.0, "accel_g": 0.97}, 4.0, None, "a fridge at rest"),
)


def _edge_readings() -> list[tuple[dict[str, Any], float, str | None, str]]:
    cases = []
    for number, (fields, baseline, expected, about) in enumerate(_EDGE_CASES):
        reading = {
            "device_id": f"dev-edge-{number}",
            "seq": 1,
            "ts_ms": 1_768_467_600_000 + number,
            "site": "rotterdam",
            "humidity_pct": 45.0,
            "lat": 51.92,
            "lon": 4.48,
            "battery_pct": 80.0,
            **fields,
        }
        cases.append((reading, baseline, expected, about))
    return cases


def labelled_sample(seed: int = 13) -> tuple[list[dict[str, Any]], dict[str, float]]:
    """Readings with many anomalies (truth kept in ``anomaly``) and their devices' baselines:
    what :func:`check_alert_rule` measures a rule on."""
    events = readings(
        2_000, devices=200, interval_s=5, spike_rate=0.05, movement_rate=0.05, seed=seed
    )
    baselines = {
        p["device_id"]: p["baseline_temperature_c"] for p in device_profiles(200, seed=seed)
    }
    return events, baselines


def _hint(scores: Mapping[str, Score]) -> str:
    spike, movement = scores.get(SPIKE), scores.get(MOVEMENT)
    if spike and spike.fn and not spike.tp:
        return "no spike was found: compare temperature_c with this device's baseline_c."
    if spike and spike.fp:
        return (
            "some normal readings were called spikes: a spike is more than "
            f"{SPIKE_RULE_DELTA_C:g} °C above the device's own baseline, not a fixed temperature."
        )
    if spike and spike.fn:
        return "some spikes were missed: fridges and freezers spike too — use the baseline."
    if movement and movement.fn and not movement.tp:
        return f"no movement was found: look at accel_g (more than {MOVEMENT_RULE_ACCEL_G:g} g)."
    if movement and (movement.fp or movement.fn):
        return f"movement is accel_g above {MOVEMENT_RULE_ACCEL_G:g} g (≈1 g at rest is gravity)."
    return "return 'temperature_spike', 'movement' or None."


def check_alert_rule(rule: Rule) -> bool:
    """Run a learner's ``rule(reading, baseline_c)`` on edge cases and on a labelled sample;
    print ✓ / ✗ / "not yet" with a hint (never the answer). True when the rule is right
    everywhere. Never raises."""
    label = "alert rule"
    try:
        for reading, baseline, expected, about in _edge_readings():
            got = rule(dict(reading), baseline)
            if is_blank(got):
                print(f"{TODO_MARK} {label}: not yet — replace the ... with your rule.")
                return False
            if got != expected:
                print(
                    f"{FAIL_MARK} {label}: {about} (temperature_c {reading['temperature_c']}, "
                    f"baseline_c {baseline}, accel_g {reading['accel_g']}) → you have {got!r}"
                )
                print(f"    hint: {_edge_hint(expected, got)}")
                return False
        events, baselines = labelled_sample()
        flagged = {}
        for reading in events:
            public = {k: v for k, v in reading.items() if k != "anomaly"}
            kind = rule(public, baselines[reading["device_id"]])
            if kind:
                flagged[reading_id(reading)] = kind
        scores = score_by_type(flagged, truth_alerts(events))
    except Exception as error:  # the learner's rule raised: report it, keep the lesson running
        if raised_on_blank(error):
            print(f"{TODO_MARK} {label}: not yet — replace the ... with your rule.")
            return False
        print(f"{FAIL_MARK} {label}: your rule raised {type(error).__name__}: {error}")
        return False
    overall = scores[ALL]
    if all(s.fp == 0 and s.fn == 0 for s in scores.values()):
        print(
            f"{PASS_MARK} {label}: all edge cases right, and on {len(events):,} labelled "
            f"readings it caught all {overall.tp} anomalies with no false alarm."
        )
        return True
    print(
        f"{FAIL_MARK} {label}: edge cases right, but on {len(events):,} labelled readings: "
        f"precision {overall.precision:.0%}, recall {overall.recall:.0%} "
        f"({overall.fp} false alarms, {overall.fn} missed)"
    )
    print(f"    hint: {_hint(scores)}")
    return False


def _edge_hint(expected: str | None, got: Any) -> str:
    if expected is None and got == SPIKE:
        return f"a spike is MORE than {SPIKE_RULE_DELTA_C:g} °C above the baseline (>, not >=)."
    if expected is None and got == MOVEMENT:
        return f"movement is MORE than {MOVEMENT_RULE_ACCEL_G:g} g (>, not >=)."
    if expected == SPIKE:
        return "compare temperature_c with baseline_c: the difference tells a spike."
    if expected == MOVEMENT:
        return f"accel_g above {MOVEMENT_RULE_ACCEL_G:g} g means the device is moving."
    return "return exactly 'temperature_spike', 'movement' or None."


# ---------------------------------------------------------------------------------------------
# The alert consumer's logic (the handler StreamConsumer calls)
# ---------------------------------------------------------------------------------------------


class AlertLogic:
    """Decodes each record, applies the rule with the device's baseline, and keeps one alert
    per reading ID (a duplicate record — at-least-once delivery, F31 — raises no second
    alert). Each alert notes when, on the lab clock, it was raised and how long after the
    reading was taken."""

    def __init__(self, rule: Rule, baselines: Mapping[str, float]) -> None:
        self.rule = rule
        self.baselines = baselines
        self.alerts: dict[str, dict[str, Any]] = {}
        self.readings = 0
        self.duplicates = 0

    def __call__(self, record: Mapping[str, Any]) -> None:
        reading = decode(record)
        self.readings += 1
        kind = self.rule(reading, self.baselines[reading["device_id"]])
        if not kind:
            return
        key = reading_id(reading)
        if key in self.alerts:
            self.duplicates += 1
            return
        now = clock.now()
        self.alerts[key] = {
            "device_id": reading["device_id"],
            "site": reading["site"],
            "type": kind,
            "ts_ms": reading["ts_ms"],
            "temperature_c": reading["temperature_c"],
            "baseline_c": self.baselines[reading["device_id"]],
            "accel_g": reading["accel_g"],
            "shard_id": record.get("ShardId"),
            "raised_at": now,
            "latency_s": round(now - reading["ts_ms"] / 1000, 3),
        }

    def flagged(self) -> dict[str, str]:
        return {key: alert["type"] for key, alert in self.alerts.items()}

    def latencies(self) -> list[float]:
        return [alert["latency_s"] for alert in self.alerts.values()]

    def rows(self, limit: int = 8, start: float = 0.0) -> list[tuple[Any, ...]]:
        """The first alerts, for a table: time (s from ``start``), device, site, type, the
        reading, latency."""
        first = sorted(self.alerts.values(), key=lambda a: (a["ts_ms"], a["device_id"]))[:limit]
        return [
            (
                f"t+{a['ts_ms'] / 1000 - start:.1f} s",
                a["device_id"],
                a["site"],
                a["type"],
                f"{a['temperature_c']:.1f} °C (usual {a['baseline_c']:.1f})"
                if a["type"] == SPIKE
                else f"{a['accel_g']:.2f} g",
                f"{a['latency_s']:.2f} s",
            )
            for a in first
        ]


# ---------------------------------------------------------------------------------------------
# Sizing (F1, F2, F64)
# ---------------------------------------------------------------------------------------------


def shards_needed(records_per_s: float, record_bytes: float, consumers: int = 1) -> int:
    """Provisioned shards for a load: F64's ceiling(max(write KiB/s ÷ 1,024, read KiB/s ÷
    2,048)), where standard consumers share the read side (each reads every record, F2), and
    the write side must also stay within 1,000 records/s per shard (F1)."""
    if records_per_s < 0 or record_bytes < 0 or consumers < 0:
        raise ValueError("rates, sizes and consumers cannot be negative")
    write_bytes = records_per_s * record_bytes
    needs = (
        records_per_s / SHARD_WRITE_RECORDS_PER_SEC,
        write_bytes / SHARD_WRITE_BYTES_PER_SEC,
        write_bytes * consumers / SHARD_READ_BYTES_PER_SEC,
    )
    return max(1, math.ceil(round(max(needs), 9)))


# (records/s, bytes per record, consumers, what the case is about)
SIZING_CASES = (
    (600, 246, 2, "today's fleet: 3,000 devices every 5 s"),
    (1_200, 246, 2, "the fleet doubled: records/s decides"),
    (1_000, 246, 1, "exactly 1,000 records/s fits one shard"),
    (500, 5_000, 1, "5 KB records: bytes/s decides"),
    (400, 2_000, 6, "six standard consumers: the read side decides"),
    (0, 246, 1, "no traffic: a stream still has one shard"),
)


def _sizing_hint(case: tuple[int, int, int, str], got: Any) -> str:
    records, size, consumers, _ = case
    by_records = math.ceil(records / SHARD_WRITE_RECORDS_PER_SEC)
    by_bytes = math.ceil(records * size / SHARD_WRITE_BYTES_PER_SEC)
    if got == by_bytes and by_records > by_bytes:
        return "bytes/s is fine here, but each shard also takes at most 1,000 records/s (F1)."
    if got == by_records and by_bytes > by_records:
        return "records/s is fine here, but each shard also takes at most 1 MiB/s (F1)."
    if consumers > 1:
        return "every standard consumer reads every record, and they share 2 MiB/s per shard (F2)."
    return "take the largest of the three needs and round UP: shards come whole (F64)."


def check_shards_needed(function: Callable[[float, float, int], Any]) -> bool:
    """Check a learner's ``shards_needed(records_per_s, record_bytes, consumers)``. Never
    raises; prints ✓ / ✗ / "not yet"."""
    label = "shards_needed"
    for case in SIZING_CASES:
        records, size, consumers, about = case
        try:
            got = function(records, size, consumers)
        except Exception as error:
            if raised_on_blank(error):
                print(f"{TODO_MARK} {label}: not yet — replace the ... with your calculation.")
                return False
            print(f"{FAIL_MARK} {label} ({about}): your function raised {type(error).__name__}")
            return False
        if is_blank(got):
            print(f"{TODO_MARK} {label}: not yet — replace the ... with your calculation.")
            return False
        expected = shards_needed(records, size, consumers)
        if got != expected or isinstance(got, bool):
            print(
                f"{FAIL_MARK} {label} ({about}): {records:,} records/s of {size:,} bytes, "
                f"{consumers} consumer(s) → you have {got!r}"
            )
            print(f"    hint: {_sizing_hint(case, got)}")
            return False
    print(f"{PASS_MARK} {label}: all {len(SIZING_CASES)} cases right.")
    return True


def fleet_load(
    devices: int, interval_s: float, record_bytes: float, consumers: int = 1, shards: int = 1
) -> dict[str, Any]:
    """What a fleet asks of a stream: rates, the shards it needs, and how full ``shards``
    shards would be on each limit (1.0 = exactly at the limit)."""
    if interval_s <= 0 or shards < 1:
        raise ValueError("interval_s must be positive and a stream has at least one shard")
    records = devices / interval_s
    write_bytes = records * record_bytes
    read_bytes = write_bytes * consumers
    use = {
        "records/s written": records / (shards * SHARD_WRITE_RECORDS_PER_SEC),
        "bytes/s written": write_bytes / (shards * SHARD_WRITE_BYTES_PER_SEC),
        "bytes/s read": read_bytes / (shards * SHARD_READ_BYTES_PER_SEC),
    }
    return {
        "records_per_s": records,
        "write_kib_per_s": write_bytes / KIB,
        "read_kib_per_s": read_bytes / KIB,
        "shards_needed": shards_needed(records, record_bytes, consumers),
        "shards": shards,
        "utilisation": use,
        "binding": max(use, key=use.get),
    }


def fleet_sizing_svg(load: Mapping[str, Any], width: int = 560) -> str:
    """Three bars — records/s written, bytes/s written, bytes/s read — as a share of what the
    shards allow; red past 100 % (that is where throttling starts)."""
    left, top, row_h = 140, 12, 30
    plot_w = width - left - 70
    scale_max = max(1.25, *load["utilisation"].values())
    height = top + row_h * 3 + 28
    body = []
    limit_x = round(left + plot_w / scale_max, 2)
    for index, (name, share) in enumerate(load["utilisation"].items()):
        y = top + index * row_h
        colour = "#c00000" if share > 1 else "#33a02c" if share <= 0.8 else "#ff7f00"
        body.append(
            f'<g class="use" data-limit="{html.escape(name)}" data-share="{share:.4f}">'
            f'<text x="{left - 8}" y="{y + 15}" font-size="11" text-anchor="end">{name}</text>'
            f'<rect x="{left}" y="{y + 4}" width="{round(plot_w * min(share, scale_max) / scale_max, 2)}" '
            f'height="16" fill="{colour}"/><text x="{left + plot_w * min(share, scale_max) / scale_max + 4}" '
            f'y="{y + 16}" font-size="10">{share:.0%}</text></g>'
        )
    body.append(
        f'<line x1="{limit_x}" y1="{top}" x2="{limit_x}" y2="{top + row_h * 3}" stroke="#222" '
        f'stroke-dasharray="4 3"/><text x="{limit_x}" y="{top + row_h * 3 + 14}" font-size="10" '
        'text-anchor="middle">100 % of the shards\' limits (F1, F2)</text>'
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="kinesis-fleet-sizing" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'style="max-width:100%;height:auto;font-family:sans-serif" role="img" '
        f'aria-label="Stream utilisation">{"".join(body)}</svg>'
    )


def fleet_sizing_html(load: Mapping[str, Any]) -> str:
    needed = load["shards_needed"]
    verdict = (
        f"<b style='color:#c00000'>{load['shards']} shard(s) are not enough: it needs {needed}; "
        "the producer would be throttled.</b>"
        if needed > load["shards"]
        else f"<b style='color:#1a7f37'>{load['shards']} shard(s) are enough</b> (it needs {needed})."
    )
    return (
        f"<p>{load['records_per_s']:,.0f} records/s · {load['write_kib_per_s']:,.0f} KiB/s in · "
        f"{load['read_kib_per_s']:,.0f} KiB/s out · the tightest limit is "
        f"<b>{html.escape(load['binding'])}</b>. {verdict}</p>"
    )


def fleet_sizing_explorer(
    devices: int = 3_000,
    interval_s: int = 5,
    record_bytes: int = 246,
    consumers: int = 2,
    shards: int = 1,
) -> Any:
    """Sliders for the fleet and the stream; the bars show which per-shard limit fills first."""
    import ipywidgets as widgets

    style = {"description_width": "12em"}
    layout = widgets.Layout(width="min(100%, 520px)")
    controls = {
        "devices": widgets.IntSlider(
            value=devices, min=500, max=30_000, step=500, description="devices",
            style=style, layout=layout,
        ),
        "interval_s": widgets.IntSlider(
            value=interval_s, min=1, max=60, description="report every (s)",
            style=style, layout=layout,
        ),
        "record_bytes": widgets.IntSlider(
            value=record_bytes, min=100, max=10_000, step=50, description="bytes per record",
            style=style, layout=layout,
        ),
        "consumers": widgets.IntSlider(
            value=consumers, min=1, max=6, description="standard consumers",
            style=style, layout=layout,
        ),
        "shards": widgets.IntSlider(
            value=shards, min=1, max=16, description="shards", style=style, layout=layout,
        ),
    }  # fmt: skip
    summary = widgets.HTML()
    picture = widgets.HTML()

    def draw(_: Any = None) -> None:
        load = fleet_load(**{name: control.value for name, control in controls.items()})
        summary.value = fleet_sizing_html(load)
        picture.value = fleet_sizing_svg(load)

    for control in controls.values():
        control.observe(draw, names="value")
    draw()
    box = widgets.VBox([*controls.values(), summary, picture])
    box.controls = controls
    box.outputs = {"summary": summary, "picture": picture}
    return box


# ---------------------------------------------------------------------------------------------
# The S3 archive (Firehose, newline-delimited JSON, partitioned by site)
# ---------------------------------------------------------------------------------------------


def archive_objects(s3: Any, bucket: str, prefix: str = "") -> dict[str, bytes]:
    """Every object under ``prefix`` (all ListObjectsV2 pages): key → body."""
    bodies: dict[str, bytes] = {}
    kwargs: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
    while True:
        page = s3.list_objects_v2(**kwargs)
        for item in page.get("Contents", []):
            bodies[item["Key"]] = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
        if not page.get("IsTruncated"):
            return dict(sorted(bodies.items()))
        kwargs["ContinuationToken"] = page["NextContinuationToken"]


def ndjson_lines(body: bytes) -> list[dict[str, Any]]:
    """The JSON documents of a newline-delimited JSON object, one per line."""
    return [json.loads(line) for line in body.decode("utf-8").splitlines() if line.strip()]


def partition_of(key: str, name: str = "site") -> str | None:
    """The value of a Hive-style ``name=value/`` part of an S3 key, or None."""
    for part in key.split("/"):
        if part.startswith(f"{name}="):
            return part.split("=", 1)[1]
    return None


def archive_summary(objects: Mapping[str, bytes], partition: str = "site") -> list[dict[str, Any]]:
    """Per partition value: objects, records, bytes, and whether every record in those objects
    belongs there (dynamic partitioning must never mix sites)."""
    rows: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"objects": 0, "records": 0, "bytes": 0, "consistent": True, "example": ""}
    )
    for key, body in objects.items():
        value = partition_of(key, partition)
        if value is None:
            continue
        row = rows[value]
        lines = ndjson_lines(body)
        row["objects"] += 1
        row["records"] += len(lines)
        row["bytes"] += len(body)
        row["consistent"] &= all(str(line.get(partition)) == value for line in lines)
        row["example"] = row["example"] or key
    return [{partition: value, **rows[value]} for value in sorted(rows)]


def count_by(events: Iterable[Reading], field: str) -> Counter:
    return Counter(str(event[field]) for event in events)
