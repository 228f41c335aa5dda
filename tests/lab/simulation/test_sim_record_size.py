"""SIMULATION of record and request sizes: 1 MiB records by default, up to 10 MiB with
UpdateMaxRecordSize or CreateStream's MaxRecordSizeInKiB (F4); PutRecords ≤500 records and
≤10 MiB per request (F5); a large record bursts, then the shard averages 1 MiB/s (F1, F4)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from sim_helpers import THROTTLED, create, error_of, stream_arn

from kinesis_lab.core.facts import MIB, PUT_RECORDS_MAX_RECORDS, PUT_RECORDS_MAX_REQUEST_BYTES


def too_long(member: str, limit: int) -> str:
    return (
        f"1 validation error detected: Value at '{member}' failed to satisfy constraint: "
        f"Member must have length less than or equal to {limit}"
    )


def max_record_size_kib(kinesis, stream):
    summary = kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]
    return summary["MaxRecordSizeInKiB"]


def test_a_one_mebibyte_record_fits_by_default_and_one_byte_more_does_not(kinesis):
    """F4: default maximum record 1 MiB of Data; over → ValidationException, HTTP 400."""
    create(kinesis, "s")
    kinesis.put_record(StreamName="s", Data=bytes(MIB), PartitionKey="p")

    with pytest.raises(ClientError) as raised:
        kinesis.put_record(StreamName="s", Data=bytes(MIB + 1), PartitionKey="p")

    assert error_of(raised) == ("ValidationException", too_long("data", MIB), 400)
    assert max_record_size_kib(kinesis, "s") == 1_024


def test_update_max_record_size_raises_the_limit(kinesis, lab_clock):
    """F4: UpdateMaxRecordSize(StreamARN, MaxRecordSizeInKiB) — a 2 MiB record then fits."""
    create(kinesis, "s")

    kinesis.update_max_record_size(StreamARN=stream_arn(kinesis, "s"), MaxRecordSizeInKiB=2_048)

    assert max_record_size_kib(kinesis, "s") == 2_048
    kinesis.put_record(StreamName="s", Data=bytes(2 * MIB), PartitionKey="p")
    with pytest.raises(ClientError) as raised:
        kinesis.put_record(StreamName="s", Data=bytes(2 * MIB + 1), PartitionKey="p")
    assert error_of(raised)[1] == too_long("data", 2 * MIB)


def test_update_max_record_size_accepts_only_1024_to_10240_kib(kinesis):
    """API_UpdateMaxRecordSize: out of range → ValidationException (boto3 itself refuses
    values under the model minimum before sending, so the service check shows above 10240)."""
    create(kinesis, "s")

    with pytest.raises(ClientError) as raised:
        kinesis.update_max_record_size(
            StreamARN=stream_arn(kinesis, "s"), MaxRecordSizeInKiB=10_241
        )

    assert error_of(raised) == (
        "ValidationException",
        "1 validation error detected: Value '10241' at 'maxRecordSizeInKiB' failed to satisfy "
        "constraint: Member must have value less than or equal to 10240",
        400,
    )
    assert max_record_size_kib(kinesis, "s") == 1_024


def test_update_max_record_size_of_an_unknown_stream(kinesis):
    arn = "arn:aws:kinesis:us-east-1:123456789012:stream/nope"

    with pytest.raises(ClientError) as raised:
        kinesis.update_max_record_size(StreamARN=arn, MaxRecordSizeInKiB=2_048)

    assert error_of(raised)[0] == "ResourceNotFoundException"


def test_create_stream_with_ten_mebibyte_records(kinesis):
    """F4: CreateStream's MaxRecordSizeInKiB; a 10 MiB record is accepted."""
    create(kinesis, "big", MaxRecordSizeInKiB=10_240)

    kinesis.put_record(StreamName="big", Data=bytes(10 * MIB), PartitionKey="p")

    assert max_record_size_kib(kinesis, "big") == 10_240


def test_a_large_record_bursts_then_the_shard_averages_one_mebibyte_a_second(kinesis, lab_clock):
    """F4 with F1: a 5 MiB record gets into an idle shard, then the shard pays it back at
    1 MiB/s — small writes are throttled for the next 4 seconds and fine in the 5th."""
    create(kinesis, "big", MaxRecordSizeInKiB=10_240)
    kinesis.put_record(StreamName="big", Data=bytes(5 * MIB), PartitionKey="p")

    for _ in range(4):
        lab_clock.advance(1)
        with pytest.raises(ClientError) as raised:
            kinesis.put_record(StreamName="big", Data=b"small", PartitionKey="p")
        assert error_of(raised)[0] == THROTTLED

    lab_clock.advance(1)
    kinesis.put_record(StreamName="big", Data=b"small", PartitionKey="p")


def test_put_records_takes_500_records_and_not_501(kinesis):
    """F5: ≤500 records per request."""
    create(kinesis, "s", shards=2)
    batch = [{"Data": b"x", "PartitionKey": str(i)} for i in range(PUT_RECORDS_MAX_RECORDS + 1)]
    assert kinesis.put_records(StreamName="s", Records=batch[:-1])["FailedRecordCount"] == 0

    with pytest.raises(ClientError) as raised:
        kinesis.put_records(StreamName="s", Records=batch)

    assert error_of(raised)[0] == "ValidationException"


def test_a_ten_mebibyte_request_is_accepted_and_a_byte_more_is_not(kinesis):
    """F5: ≤10 MiB per PutRecords request including partition keys (moto said 5 MB, the old
    limit). Accepted is not written: one shard takes 1 MiB/s, so 9 of the 10 entries fail."""
    create(kinesis, "s")
    ten = [{"Data": bytes(MIB - 1), "PartitionKey": str(i)} for i in range(10)]
    assert (
        sum(len(r["Data"]) + len(r["PartitionKey"]) for r in ten) == PUT_RECORDS_MAX_REQUEST_BYTES
    )

    assert kinesis.put_records(StreamName="s", Records=ten)["FailedRecordCount"] == 9
    ten[0]["Data"] += b"!"
    with pytest.raises(ClientError) as raised:
        kinesis.put_records(StreamName="s", Records=ten)
    assert error_of(raised)[:2] == ("InvalidArgumentException", "Records size exceeds 10 MB limit")


def test_an_oversized_record_fails_the_whole_request(kinesis):
    """F4/F5: a record over the stream's maximum is a request-level ValidationException naming
    every such entry (1-based); nothing is written."""
    create(kinesis, "s")
    batch = [
        {"Data": b"ok", "PartitionKey": "a"},
        {"Data": bytes(MIB + 1), "PartitionKey": "b"},
        {"Data": bytes(MIB + 2), "PartitionKey": "c"},
    ]

    with pytest.raises(ClientError) as raised:
        kinesis.put_records(StreamName="s", Records=batch)

    assert error_of(raised)[1] == (
        "2 validation errors detected: "
        + too_long("records.2.member.data", MIB).removeprefix("1 validation error detected: ")
        + "; "
        + too_long("records.3.member.data", MIB).removeprefix("1 validation error detected: ")
    )
    iterator = kinesis.get_shard_iterator(
        StreamName="s", ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    assert kinesis.get_records(ShardIterator=iterator)["Records"] == []


def test_a_large_record_needs_an_idle_second(kinesis, lab_clock):
    """F1/F4: a record over 1 MiB fits only a second the shard has not used yet."""
    create(kinesis, "big", MaxRecordSizeInKiB=10_240)
    kinesis.put_record(StreamName="big", Data=b"small", PartitionKey="p")

    with pytest.raises(ClientError) as raised:
        kinesis.put_record(StreamName="big", Data=bytes(2 * MIB), PartitionKey="p")
    assert error_of(raised)[0] == THROTTLED

    lab_clock.advance(1)
    kinesis.put_record(StreamName="big", Data=bytes(2 * MIB), PartitionKey="p")
