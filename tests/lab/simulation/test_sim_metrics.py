"""SIMULATION of enhanced shard-level metrics (F26): per shard, per lab-clock minute, as rows
for a plot, and in the mocked CloudWatch once a learner enables enhanced monitoring."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from botocore.exceptions import ClientError
from moto.moto_api._internal.models import moto_api_backend
from sim_helpers import (
    SHARD_0,
    SHARD_1,
    create,
    entries,
    explicit_hash_key,
    iterator_for,
    put_in_batches,
)

from kinesis_lab.core import clock
from kinesis_lab.simulation.metrics import shard_metrics

MINUTE_0 = datetime(2026, 1, 15, 9, 0, tzinfo=timezone.utc)  # the simulated clock's start
MINUTE_1 = MINUTE_0 + timedelta(minutes=1)


def values(rows):
    """{(minute, shard, metric): value}."""
    return {(row["timestamp"], row["shard_id"], row["metric"]): row["value"] for row in rows}


@pytest.fixture
def cloudwatch(kinesis, shared_cloudwatch_client):
    return shared_cloudwatch_client


def to_shard(shard: int):
    return {"ExplicitHashKey": explicit_hash_key(shard, 2)}


def test_incoming_records_and_bytes_per_shard_per_minute(kinesis, lab_clock):
    create(kinesis, "s", shards=2)
    put_in_batches(kinesis, "s", entries(30, data=b"12345", **to_shard(0)))
    put_in_batches(kinesis, "s", entries(20, data=b"12345", **to_shard(1)))
    lab_clock.advance(60)
    put_in_batches(kinesis, "s", entries(7, data=b"12345", **to_shard(1)))

    got = values(shard_metrics("s"))

    assert got[(MINUTE_0, SHARD_0, "IncomingRecords")] == 30
    assert got[(MINUTE_0, SHARD_1, "IncomingRecords")] == 20
    assert got[(MINUTE_1, SHARD_1, "IncomingRecords")] == 7
    assert (MINUTE_1, SHARD_0, "IncomingRecords") not in got
    # Data + partition key ("r-0" … "r-29": 10 keys of 3 bytes, 20 of 4).
    assert got[(MINUTE_0, SHARD_0, "IncomingBytes")] == 30 * 5 + 10 * 3 + 20 * 4


def test_throttles_are_counted_per_shard(kinesis):
    """WriteProvisionedThroughputExceeded counts refused records; ReadProvisioned… refused
    GetRecords calls (F26)."""
    create(kinesis, "s")
    put_in_batches(kinesis, "s", entries(1_003))
    iterator = iterator_for(kinesis, "s")
    for _ in range(7):
        try:
            kinesis.get_records(ShardIterator=iterator, Limit=1)
        except ClientError:
            pass

    got = values(shard_metrics("s"))

    assert got[(MINUTE_0, SHARD_0, "WriteProvisionedThroughputExceeded")] == 3
    assert got[(MINUTE_0, SHARD_0, "IncomingRecords")] == 1_000
    assert got[(MINUTE_0, SHARD_0, "ReadProvisionedThroughputExceeded")] == 2
    assert got[(MINUTE_0, SHARD_0, "OutgoingRecords")] == 5


def test_iterator_age_is_how_old_the_last_record_read_was(kinesis, lab_clock):
    """IteratorAgeMilliseconds (Maximum): a record read 90 s after it arrived is 90,000 ms old;
    a caught-up read reports 0."""
    create(kinesis, "s")
    kinesis.put_record(StreamName="s", Data=b"x", PartitionKey="p")
    lab_clock.advance(90)
    page = kinesis.get_records(ShardIterator=iterator_for(kinesis, "s"))
    lab_clock.advance(60)
    kinesis.get_records(ShardIterator=page["NextShardIterator"])

    rows = shard_metrics("s", "IteratorAgeMilliseconds")

    assert [(row["timestamp"], row["statistic"], row["value"]) for row in rows] == [
        (MINUTE_1, "Maximum", 90_000),
        (MINUTE_1 + timedelta(minutes=1), "Maximum", 0),
    ]


def test_outgoing_bytes_and_records(kinesis):
    create(kinesis, "s")
    put_in_batches(kinesis, "s", entries(10, data=b"abc"))

    kinesis.get_records(ShardIterator=iterator_for(kinesis, "s"))

    got = values(shard_metrics("s"))
    assert got[(MINUTE_0, SHARD_0, "OutgoingRecords")] == 10
    assert got[(MINUTE_0, SHARD_0, "OutgoingBytes")] == 30


def test_rows_are_plottable_and_filtered_by_metric(kinesis):
    create(kinesis, "s")
    kinesis.put_record(StreamName="s", Data=b"x", PartitionKey="p")

    (row,) = shard_metrics("s", "IncomingRecords")

    assert row == {
        "timestamp": MINUTE_0,
        "stream_name": "s",
        "shard_id": SHARD_0,
        "metric": "IncomingRecords",
        "statistic": "Sum",
        "value": 1,
        "unit": "Count",
        "samples": 1,
    }
    with pytest.raises(ValueError):
        shard_metrics("s", "IncomingRecordz")
    with pytest.raises(ValueError):
        shard_metrics("no-such-stream")


def test_a_recreated_stream_starts_without_metrics(kinesis):
    create(kinesis, "s")
    kinesis.put_record(StreamName="s", Data=b"x", PartitionKey="p")
    kinesis.delete_stream(StreamName="s")

    create(kinesis, "s")

    assert shard_metrics("s") == []


def test_a_backend_reset_forgets_the_metrics(kinesis):
    create(kinesis, "s")
    kinesis.put_record(StreamName="s", Data=b"x", PartitionKey="p")

    moto_api_backend.reset()  # what lab.reset() does
    create(kinesis, "s")

    assert shard_metrics("s") == []


def statistics(cloudwatch, metric, stream, shard=None):
    dimensions = [{"Name": "StreamName", "Value": stream}]
    if shard:
        dimensions.append({"Name": "ShardId", "Value": shard})
    now = clock.now_datetime()
    response = cloudwatch.get_metric_statistics(
        Namespace="AWS/Kinesis",
        MetricName=metric,
        Dimensions=dimensions,
        StartTime=now - timedelta(minutes=10),
        EndTime=now + timedelta(minutes=1),
        Period=60,
        Statistics=["Sum", "Maximum"],
    )
    return sorted(
        (point["Timestamp"].astimezone(timezone.utc), point["Sum"])
        for point in response["Datapoints"]
    )


def test_enabled_metrics_reach_cloudwatch_per_shard(kinesis, cloudwatch, lab_clock):
    """F26: after EnableEnhancedMonitoring, get_metric_statistics with StreamName + ShardId
    returns the shard's datapoints; metrics not enabled are not published."""
    create(kinesis, "s", shards=2)
    kinesis.enable_enhanced_monitoring(StreamName="s", ShardLevelMetrics=["IncomingRecords"])
    put_in_batches(kinesis, "s", entries(30, **to_shard(0)) + entries(20, **to_shard(1)))
    lab_clock.advance(60)
    put_in_batches(kinesis, "s", entries(5, **to_shard(0)))

    assert statistics(cloudwatch, "IncomingRecords", "s", SHARD_0) == [
        (MINUTE_0, 30),
        (MINUTE_1, 5),
    ]
    assert statistics(cloudwatch, "IncomingRecords", "s", SHARD_1) == [(MINUTE_0, 20)]
    assert statistics(cloudwatch, "IncomingBytes", "s", SHARD_0) == []


def test_all_enables_every_metric(kinesis, cloudwatch):
    create(kinesis, "s")
    kinesis.enable_enhanced_monitoring(StreamName="s", ShardLevelMetrics=["ALL"])
    put_in_batches(kinesis, "s", entries(1_001))

    assert statistics(cloudwatch, "WriteProvisionedThroughputExceeded", "s", SHARD_0) == [
        (MINUTE_0, 1)
    ]


def test_stream_level_metrics_are_not_double_counted(kinesis, cloudwatch):
    """A StreamName-only query returns moto's stream-level datapoints, on the lab clock, and
    not the shard-level ones (AWS matches all dimensions; moto would add them in)."""
    create(kinesis, "s", shards=2)
    kinesis.enable_enhanced_monitoring(StreamName="s", ShardLevelMetrics=["IncomingRecords"])

    put_in_batches(kinesis, "s", entries(40))

    assert statistics(cloudwatch, "IncomingRecords", "s") == [(MINUTE_0, 40)]
