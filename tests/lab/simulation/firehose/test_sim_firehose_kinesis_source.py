"""A Kinesis data stream as the Firehose source (F62), simulated: read from LATEST, every
record once and in per-shard order, across a split; Direct PUT refused; the transform event
carries the Kinesis metadata; KPL-aggregated records are de-aggregated (F68)."""

from __future__ import annotations

import base64
from collections import defaultdict
from typing import Any

import aws_kinesis_agg
import pytest
from aws_kinesis_agg.aggregator import RecordAggregator
from botocore.exceptions import ClientError
from firehose_sim_helpers import (
    ACCOUNT,
    LAMBDA_ARN,
    NEWLINES,
    REGION,
    ROLE_ARN,
    Lab,
    error_code,
    error_message,
    hints,
    objects,
    processors,
    s3_destination,
)
from moto.kinesis.models import kinesis_backends

from kinesis_lab.simulation import firehose


def create_source(aws: Lab, name: str, shards: int) -> str:
    aws.kinesis.create_stream(StreamName=name, ShardCount=shards)
    return aws.kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"][
        "StreamARN"
    ]


def create_reader(aws: Lab, name: str, source_arn: str, **settings: Any) -> None:
    settings.setdefault("BufferingHints", hints(5, 60))
    settings.setdefault("ProcessingConfiguration", processors(NEWLINES))
    aws.firehose.create_delivery_stream(
        DeliveryStreamName=name,
        DeliveryStreamType="KinesisStreamAsSource",
        KinesisStreamSourceConfiguration={"KinesisStreamARN": source_arn, "RoleARN": ROLE_ARN},
        ExtendedS3DestinationConfiguration=s3_destination(**settings),
    )


def put_lines(aws: Lab, stream: str, lines: list[str]) -> dict[str, str]:
    """PutRecords one line per record; returns line → shard it went to."""
    response = aws.kinesis.put_records(
        StreamName=stream,
        Records=[{"Data": line.encode(), "PartitionKey": line} for line in lines],
    )
    return {line: entry["ShardId"] for line, entry in zip(lines, response["Records"], strict=True)}


def delivered_lines(aws: Lab) -> list[str]:
    bodies = objects(aws.s3)
    return [line for key in sorted(bodies) for line in bodies[key].decode().splitlines()]


def test_every_record_is_delivered_once_in_per_shard_order(aws: Lab) -> None:
    source = create_source(aws, "clicks", shards=4)
    create_reader(aws, "clicks-to-s3", source)
    shard_of: dict[str, str] = {}
    sent = [f"click-{n:03d}" for n in range(90)]
    for start in range(0, 90, 30):
        shard_of |= put_lines(aws, "clicks", sent[start : start + 30])
        aws.clock.advance(10)
    assert len(set(shard_of.values())) == 4

    aws.clock.advance(30)  # 60 s after the first records were read
    lines = delivered_lines(aws)
    assert sorted(lines) == sent  # each record exactly once
    by_shard: dict[str, list[str]] = defaultdict(list)
    for line in lines:
        by_shard[shard_of[line]].append(line)
    for shard_lines in by_shard.values():
        assert shard_lines == sorted(shard_lines)  # put order within each shard


def test_reading_starts_at_latest(aws: Lab) -> None:
    """Firehose DG: Firehose "starts reading data from the LATEST position"."""
    source = create_source(aws, "history", shards=1)
    put_lines(aws, "history", ["before-1", "before-2"])
    create_reader(aws, "history-to-s3", source, BufferingHints=hints(1, 0))
    put_lines(aws, "history", ["after"])
    assert delivered_lines(aws) == ["after"]


def test_across_a_split_parents_are_read_before_children(aws: Lab) -> None:
    """F22: records written to the parent before the split (even ones Firehose has not read
    yet) come out before the children's, and nothing is read twice."""
    source = create_source(aws, "growing", shards=1)
    create_reader(aws, "growing-to-s3", source)
    put_lines(aws, "growing", [f"parent-{n}" for n in range(5)])
    aws.clock.advance(5)
    aws.kinesis.list_shards(StreamName="growing")  # a request: Firehose reads parent-0…4

    backend = kinesis_backends[ACCOUNT][REGION]  # no request, so no read in between:
    late = [
        {"Data": base64.b64encode(f"parent-{n}".encode()).decode(), "PartitionKey": str(n)}
        for n in range(5, 8)
    ]
    backend.put_records(stream_arn=None, stream_name="growing", records=late)
    backend.split_shard(
        stream_arn=None,
        stream_name="growing",
        shard_to_split="shardId-000000000000",
        new_starting_hash_key=str(2**127),
    )
    shard_of = put_lines(aws, "growing", [f"child-{n}" for n in range(20)])
    assert "shardId-000000000000" not in shard_of.values()

    aws.clock.advance(60)
    lines = delivered_lines(aws)
    assert lines[:8] == [f"parent-{n}" for n in range(8)]
    assert sorted(lines[8:]) == sorted(f"child-{n}" for n in range(20))


def test_direct_put_to_a_kinesis_sourced_stream_is_refused(aws: Lab) -> None:
    create_reader(aws, "read-only", create_source(aws, "feed", shards=1))
    for call in (
        lambda: aws.firehose.put_record(DeliveryStreamName="read-only", Record={"Data": b"x"}),
        lambda: aws.firehose.put_record_batch(
            DeliveryStreamName="read-only", Records=[{"Data": b"x"}]
        ),
    ):
        with pytest.raises(ClientError) as error:
            call()
        assert error_code(error) == "InvalidArgumentException"
        assert "not permitted on KinesisStreamAsSource" in error_message(error)


def test_the_source_stream_must_exist(aws: Lab) -> None:
    with pytest.raises(ClientError) as error:
        create_reader(aws, "orphan", f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/missing")
    assert error_code(error) == "InvalidArgumentException"


def test_the_transform_event_carries_the_kinesis_metadata(aws: Lab) -> None:
    events = []

    def passthrough(event: dict[str, Any], context: Any) -> dict[str, Any]:
        events.append(event)
        return {
            "records": [
                {"recordId": r["recordId"], "result": "Ok", "data": r["data"]}
                for r in event["records"]
            ]
        }

    firehose.register_transform(LAMBDA_ARN, passthrough)
    source = create_source(aws, "metered", shards=1)
    create_reader(
        aws,
        "metered-to-s3",
        source,
        ProcessingConfiguration=processors(("Lambda", {"LambdaArn": LAMBDA_ARN}), NEWLINES),
    )
    [shard] = put_lines(aws, "metered", ["reading"]).values()
    assert firehose.deliver_now("metered-to-s3") == 1

    [event] = events
    assert event["sourceKinesisStreamArn"] == source
    metadata = event["records"][0]["kinesisRecordMetadata"]
    assert (metadata["shardId"], metadata["partitionKey"]) == (shard, "reading")
    assert set(metadata) == {
        "shardId",
        "partitionKey",
        "approximateArrivalTimestamp",
        "sequenceNumber",
        "subsequenceNumber",
    }
    assert delivered_lines(aws) == ["reading"]


# --- KPL aggregation (F68): Firehose de-aggregates what it reads from its source stream ----------


def kpl_record(users: list[tuple[str, bytes]]) -> dict[str, Any]:
    """One PutRecords entry in the real KPL aggregation format, made with aws-kinesis-agg."""
    aggregator = RecordAggregator()
    for key, data in users:
        assert aggregator.add_user_record(key, data) is None
    partition_key, _, data = aggregator.clear_and_get().get_contents()
    return {"PartitionKey": partition_key, "Data": data}


def test_kpl_aggregated_records_arrive_in_s3_as_the_separate_user_records(aws: Lab) -> None:
    """KDS DG "Use the KPL with Amazon Data Firehose": Firehose de-aggregates the records
    before it delivers them to the destination."""
    source = create_source(aws, "kpl-feed", shards=1)
    create_reader(aws, "kpl-to-s3", source)
    users = [(f"sensor-{n % 3}", f'{{"n": {n}}}'.encode()) for n in range(7)]
    aws.kinesis.put_records(StreamName="kpl-feed", Records=[kpl_record(users[:4])])
    aws.kinesis.put_record(StreamName="kpl-feed", **kpl_record(users[4:]))
    assert firehose.deliver_now("kpl-to-s3") == 1
    assert delivered_lines(aws) == [data.decode() for _, data in users]


def test_records_not_in_the_kpl_format_pass_through_unchanged(aws: Lab) -> None:
    source = create_source(aws, "mixed", shards=1)
    create_reader(aws, "mixed-to-s3", source)
    lookalike = aws_kinesis_agg.MAGIC + b"not protobuf, and no MD5 trailer that matches"
    put_lines(aws, "mixed", ["plain-1"])
    aws.kinesis.put_record(StreamName="mixed", PartitionKey="odd", Data=lookalike)
    aws.kinesis.put_records(StreamName="mixed", Records=[kpl_record([("k", b"user-1")])])
    assert firehose.deliver_now("mixed-to-s3") == 1
    [body] = objects(aws.s3).values()
    assert body == b"plain-1\n" + lookalike + b"\n" + b"user-1\n"


def test_the_transform_sees_de_aggregated_user_records(aws: Lab) -> None:
    """Firehose de-aggregates before it invokes the transform Lambda: one event record per
    user record, each with its own partition key and a subsequence number."""
    events = []

    def passthrough(event: dict[str, Any], context: Any) -> dict[str, Any]:
        events.append(event)
        return {
            "records": [
                {"recordId": r["recordId"], "result": "Ok", "data": r["data"]}
                for r in event["records"]
            ]
        }

    firehose.register_transform(LAMBDA_ARN, passthrough)
    source = create_source(aws, "kpl-metered", shards=1)
    create_reader(
        aws,
        "kpl-metered-to-s3",
        source,
        ProcessingConfiguration=processors(("Lambda", {"LambdaArn": LAMBDA_ARN}), NEWLINES),
    )
    users = [("device-a", b"one"), ("device-b", b"two"), ("device-a", b"three")]
    aws.kinesis.put_record(StreamName="kpl-metered", **kpl_record(users))
    assert firehose.deliver_now("kpl-metered-to-s3") == 1

    records = [record for event in events for record in event["records"]]
    assert [base64.b64decode(r["data"]) for r in records] == [b"one", b"two", b"three"]
    metadata = [r["kinesisRecordMetadata"] for r in records]
    assert [m["partitionKey"] for m in metadata] == ["device-a", "device-b", "device-a"]
    assert [m["subsequenceNumber"] for m in metadata] == [0, 1, 2]
    assert len({m["sequenceNumber"] for m in metadata}) == 1  # one Kinesis record
    assert delivered_lines(aws) == ["one", "two", "three"]
