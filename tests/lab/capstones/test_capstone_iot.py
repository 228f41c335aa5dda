"""IoT capstone helpers: the alert rule and its check, sizing (F1, F2, F64), the alert logic,
the archive reader — and a small end-to-end run: stream → consumer and stream → Firehose (dynamic
partitioning by site, newline-delimited JSON) → S3."""

from __future__ import annotations

import json
import re

import pytest

from kinesis_lab.capstones import iot
from kinesis_lab.capstones.pipeline import (
    Producer,
    StreamConsumer,
    play,
    recreate_bucket,
    recreate_checkpoint_table,
    recreate_delivery_stream,
)
from kinesis_lab.capstones.scoring import ALL, score_by_type
from kinesis_lab.data import READING_TRUTH_FIELDS, device_profiles, readings, to_put_records_entries


def test_reference_rule_is_relative_to_the_baseline_and_strict():
    base = {"accel_g": 1.0}
    assert iot.reference_alert({**base, "temperature_c": 26.01}, 21.0) == iot.SPIKE
    assert iot.reference_alert({**base, "temperature_c": 26.0}, 21.0) is None
    assert iot.reference_alert({**base, "temperature_c": -14.0}, -20.0) == iot.SPIKE
    assert iot.reference_alert({"temperature_c": 4.0, "accel_g": 1.21}, 4.0) == iot.MOVEMENT
    assert iot.reference_alert({"temperature_c": 4.0, "accel_g": 1.2}, 4.0) is None


def test_reference_rule_finds_every_planted_anomaly_and_nothing_else():
    events, baselines = iot.labelled_sample()
    flagged = {
        iot.reading_id(r): kind
        for r in events
        if (kind := iot.reference_alert(r, baselines[r["device_id"]]))
    }
    scores = score_by_type(flagged, iot.truth_alerts(events))
    assert scores[ALL].fp == 0 and scores[ALL].fn == 0 and scores[ALL].tp > 100
    assert set(scores) == {iot.SPIKE, iot.MOVEMENT, ALL}


def test_check_alert_rule(capsys):
    assert iot.check_alert_rule(iot.reference_alert)
    assert "✓" in capsys.readouterr().out

    assert not iot.check_alert_rule(lambda reading, baseline_c: ...)
    assert "not yet" in capsys.readouterr().out

    def fixed_threshold(reading, baseline_c):
        return iot.SPIKE if reading["temperature_c"] > 25 else None

    assert not iot.check_alert_rule(fixed_threshold)
    assert "✗" in capsys.readouterr().out

    def at_least(reading, baseline_c):  # >= instead of >
        if reading["temperature_c"] - baseline_c >= 5:
            return iot.SPIKE
        return iot.MOVEMENT if reading["accel_g"] > 1.2 else None

    assert not iot.check_alert_rule(at_least)
    assert "not >=" in capsys.readouterr().out

    def spikes_only(reading, baseline_c):
        return iot.SPIKE if reading["temperature_c"] - baseline_c > 5 else None

    assert not iot.check_alert_rule(spikes_only)
    assert "1.62 g" in capsys.readouterr().out

    def crashes(reading, baseline_c):
        return reading["no such field"]

    assert not iot.check_alert_rule(crashes)
    assert "KeyError" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("records", "size", "consumers", "shards"),
    [
        (600, 246, 2, 1),
        (1_200, 246, 2, 2),  # records/s decides (F1)
        (1_000, 246, 1, 1),  # exactly at the limit
        (1_001, 246, 1, 2),
        (500, 5_000, 1, 3),  # 2.38 MiB/s written (F1)
        (400, 2_000, 6, 3),  # 4.6 MiB/s read by six consumers (F2)
        (0, 246, 1, 1),
    ],
)
def test_shards_needed(records, size, consumers, shards):
    assert iot.shards_needed(records, size, consumers) == shards


def test_check_shards_needed(capsys):
    assert iot.check_shards_needed(iot.shards_needed)
    assert not iot.check_shards_needed(lambda r, b, c: max(1, -(-r * b // 1_048_576)))
    assert "1,000 records/s" in capsys.readouterr().out
    assert not iot.check_shards_needed(lambda r, b, c: max(1, -(-r // 1_000)))
    assert not iot.check_shards_needed(lambda r, b, c: max(1, r / 1_000, ...))
    assert "not yet" in capsys.readouterr().out


def test_fleet_load_names_the_binding_limit():
    small_records = iot.fleet_load(6_000, 5, 246, consumers=2, shards=1)
    assert small_records["records_per_s"] == 1_200
    assert small_records["binding"] == "records/s written"
    assert small_records["shards_needed"] == 2
    assert small_records["utilisation"]["records/s written"] == pytest.approx(1.2)
    big_records = iot.fleet_load(1_000, 1, 4_000, consumers=1, shards=4)
    assert big_records["binding"] == "bytes/s written"
    with pytest.raises(ValueError):
        iot.fleet_load(10, 0, 100)


def test_sizing_picture_marks_overload_in_red():
    svg = iot.fleet_sizing_svg(iot.fleet_load(6_000, 5, 246, consumers=2, shards=1))
    shares = dict(re.findall(r'data-limit="([^"]+)" data-share="([\d.]+)"', svg))
    assert float(shares["records/s written"]) == pytest.approx(1.2)
    assert 'fill="#c00000"' in svg  # over 100 %
    assert "not enough" in iot.fleet_sizing_html(iot.fleet_load(6_000, 5, 246, 2, 1))
    assert "are enough" in iot.fleet_sizing_html(iot.fleet_load(6_000, 5, 246, 2, 2))


def test_sizing_explorer_follows_its_sliders():
    box = iot.fleet_sizing_explorer(devices=3_000, interval_s=5, consumers=2, shards=1)
    assert "are enough" in box.outputs["summary"].value
    box.controls["devices"].value = 6_000
    assert "not enough" in box.outputs["summary"].value
    box.controls["shards"].value = 2
    assert "are enough" in box.outputs["summary"].value


def test_alert_logic_raises_one_alert_per_reading(lab):
    lab.use_simulated_clock()
    reading = {
        "device_id": "d1",
        "ts_ms": int(lab.clock.now() * 1000) - 500,
        "site": "nairobi",
        "temperature_c": 30.0,
        "accel_g": 1.0,
    }
    logic = iot.AlertLogic(iot.reference_alert, {"d1": 20.0})
    record = {"Data": json.dumps(reading).encode(), "ShardId": "shardId-000000000000"}
    logic(record)
    logic(record)  # the same record again: at-least-once delivery
    assert list(logic.flagged().values()) == [iot.SPIKE]
    assert logic.duplicates == 1 and logic.readings == 2
    assert logic.latencies() == [0.5]
    assert logic.rows(start=lab.clock.now() - 1)[0][3] == iot.SPIKE


def test_archive_helpers():
    body = b'{"site": "lagos", "n": 1}\n{"site": "lagos", "n": 2}\n'
    assert [line["n"] for line in iot.ndjson_lines(body)] == [1, 2]
    assert iot.partition_of("telemetry/site=lagos/date=2026-01-15/x") == "lagos"
    assert iot.partition_of("errors/x") is None
    summary = iot.archive_summary(
        {
            "telemetry/site=lagos/a": body,
            "telemetry/site=oslo/b": b'{"site": "lagos"}\n',
            "errors/x": b"{}",
        }
    )
    assert [(r["site"], r["records"], r["consistent"]) for r in summary] == [
        ("lagos", 2, True),
        ("oslo", 1, False),
    ]


def test_a_small_pipeline_end_to_end(lab):
    """Readings through the stream reach the alert consumer and, through Firehose's dynamic
    partitioning, S3 — every reading once, each site under its own prefix."""
    clock = lab.use_simulated_clock()
    start = int(clock.now()) + 1
    lab.create_stream("iot", shard_count=1)
    arn = lab.kinesis.describe_stream_summary(StreamName="iot")["StreamDescriptionSummary"][
        "StreamARN"
    ]
    role = "arn:aws:iam::123456789012:role/r"
    recreate_bucket(lab.s3, "archive")
    recreate_delivery_stream(
        lab.firehose,
        "to-s3",
        DeliveryStreamType="KinesisStreamAsSource",
        KinesisStreamSourceConfiguration={"KinesisStreamARN": arn, "RoleARN": role},
        ExtendedS3DestinationConfiguration={
            "RoleARN": role,
            "BucketARN": "arn:aws:s3:::archive",
            "Prefix": "telemetry/site=!{partitionKeyFromQuery:site}/",
            "ErrorOutputPrefix": "errors/!{firehose:error-output-type}/",
            "BufferingHints": {"SizeInMBs": 64, "IntervalInSeconds": 60},
            "DynamicPartitioningConfiguration": {"Enabled": True},
            "ProcessingConfiguration": {
                "Enabled": True,
                "Processors": [
                    {
                        "Type": "MetadataExtraction",
                        "Parameters": [
                            {
                                "ParameterName": "MetadataExtractionQuery",
                                "ParameterValue": "{site: .site}",
                            },
                            {"ParameterName": "JsonParsingEngine", "ParameterValue": "JQ-1.6"},
                        ],
                    },
                    {
                        "Type": "AppendDelimiterToRecord",
                        "Parameters": [{"ParameterName": "Delimiter", "ParameterValue": "\\n"}],
                    },
                ],
            },
        },
    )
    recreate_checkpoint_table(lab.dynamodb, "alerts")
    baselines = {p["device_id"]: p["baseline_temperature_c"] for p in device_profiles(300, seed=4)}
    logic = iot.AlertLogic(iot.reference_alert, baselines)
    consumer = StreamConsumer(lab.kinesis, lab.dynamodb, "iot", "alerts", logic)
    producer = Producer(lab.kinesis, "iot")
    events = readings(
        600, devices=300, interval_s=2, spike_rate=0.05, movement_rate=0.05, seed=4,
        start=start * 1000,
    )  # fmt: skip

    play(
        events,
        lambda g: producer.send(to_put_records_entries(g, "device_id", drop=READING_TRUTH_FIELDS)),
        [consumer],
    )
    lab.advance(90)

    truth = iot.truth_alerts(events)
    assert truth and logic.flagged() == truth
    assert max(logic.latencies()) <= 1.0
    objects = iot.archive_objects(lab.s3, "archive")
    summary = iot.archive_summary(objects)
    assert sum(row["records"] for row in summary) == len(events)
    assert all(row["consistent"] for row in summary)
    assert {row["site"]: row["records"] for row in summary} == dict(iot.count_by(events, "site"))
    archived = [line for body in objects.values() for line in iot.ndjson_lines(body)]
    assert all("anomaly" not in line for line in archived)  # the truth never left the producer
