"""Sequence numbers look and order like AWS's, every iterator type works with them (F7, F10),
and a closed shard ends with no NextShardIterator and its ChildShards (F22)."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest
from fidelity_helpers import create_stream, put_many, read_shard

SHARD_0, SHARD_1, SHARD_2 = (f"shardId-{n:012d}" for n in range(3))


def sequence_numbers(results):
    return [int(r["SequenceNumber"]) for r in results]


def test_sequence_numbers_are_long_decimal_strings(kinesis_client):
    create_stream(kinesis_client, "s", 1)

    single = kinesis_client.put_record(StreamName="s", Data=b"x", PartitionKey="p")
    batch = put_many(kinesis_client, "s", 10)

    for result in [single, *batch]:
        assert result["SequenceNumber"].isdecimal()
        assert len(result["SequenceNumber"]) >= 20


def test_sequence_numbers_increase_within_a_shard(kinesis_client):
    """F7: sequence numbers of one shard grow over time, across single and batch puts."""
    create_stream(kinesis_client, "s", 1)
    results = []
    for round_ in range(3):
        results += put_many(kinesis_client, "s", 200, prefix=f"r{round_}")
        results.append(kinesis_client.put_record(StreamName="s", Data=b"x", PartitionKey="p"))

    numbers = sequence_numbers(results)

    assert numbers == sorted(numbers)
    assert len(set(numbers)) == len(numbers)


def test_sequence_numbers_increase_across_the_stream_over_time(kinesis_client):
    """F7: a record written later has a larger sequence number, whichever shard it is in."""
    create_stream(kinesis_client, "s", 3)
    first = put_many(kinesis_client, "s", 100, prefix="first")
    later = put_many(kinesis_client, "s", 100, prefix="later")

    assert max(sequence_numbers(first)) < min(sequence_numbers(later))
    assert {r["ShardId"] for r in first} == {SHARD_0, SHARD_1, SHARD_2}


def test_shard_sequence_number_ranges_hold_their_records(kinesis_client):
    create_stream(kinesis_client, "s", 1)
    written = put_many(kinesis_client, "s", 20)
    kinesis_client.split_shard(StreamName="s", ShardToSplit=SHARD_0, NewStartingHashKey=str(2**127))

    (parent,) = [
        s for s in kinesis_client.list_shards(StreamName="s")["Shards"] if "ParentShardId" not in s
    ]
    numbers = parent["SequenceNumberRange"]

    assert int(numbers["StartingSequenceNumber"]) <= min(sequence_numbers(written))
    assert max(sequence_numbers(written)) < int(numbers["EndingSequenceNumber"])


@pytest.fixture
def ten_records(kinesis_client):
    create_stream(kinesis_client, "s", 1)
    return put_many(kinesis_client, "s", 10)


def data_of(records):
    return [r["Data"] for r in records]


def test_trim_horizon_reads_from_the_oldest_record(kinesis_client, ten_records):
    records, _ = read_shard(kinesis_client, "s", SHARD_0, "TRIM_HORIZON")

    assert data_of(records) == [f"key-{i}".encode() for i in range(10)]


@pytest.mark.parametrize(
    "iterator_type, first", [("AT_SEQUENCE_NUMBER", 3), ("AFTER_SEQUENCE_NUMBER", 4)]
)
def test_sequence_number_iterators_start_at_or_after_it(
    kinesis_client, ten_records, iterator_type, first
):
    start = ten_records[3]["SequenceNumber"]

    records, _ = read_shard(
        kinesis_client, "s", SHARD_0, iterator_type, StartingSequenceNumber=start
    )

    assert data_of(records) == [f"key-{i}".encode() for i in range(first, 10)]


def test_latest_reads_only_what_comes_after(kinesis_client, ten_records):
    iterator = kinesis_client.get_shard_iterator(
        StreamName="s", ShardId=SHARD_0, ShardIteratorType="LATEST"
    )["ShardIterator"]
    assert kinesis_client.get_records(ShardIterator=iterator)["Records"] == []

    put_many(kinesis_client, "s", 3, prefix="new")

    assert data_of(kinesis_client.get_records(ShardIterator=iterator)["Records"]) == [
        b"new-0",
        b"new-1",
        b"new-2",
    ]


def test_at_timestamp_reads_from_the_first_record_at_or_after_it(kinesis_client):
    create_stream(kinesis_client, "s", 1)
    put_many(kinesis_client, "s", 5, prefix="old")
    time.sleep(0.02)
    moment = datetime.now(timezone.utc)
    time.sleep(0.02)
    put_many(kinesis_client, "s", 5, prefix="new")

    records, _ = read_shard(kinesis_client, "s", SHARD_0, "AT_TIMESTAMP", Timestamp=moment)

    assert data_of(records) == [f"new-{i}".encode() for i in range(5)]


def test_pages_follow_next_shard_iterator_without_gaps(kinesis_client):
    create_stream(kinesis_client, "s", 1)
    written = put_many(kinesis_client, "s", 25)
    iterator = kinesis_client.get_shard_iterator(
        StreamName="s", ShardId=SHARD_0, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]

    seen = []
    for _ in range(3):
        page = kinesis_client.get_records(ShardIterator=iterator, Limit=10)
        seen += page["Records"]
        iterator = page["NextShardIterator"]

    assert [r["SequenceNumber"] for r in seen] == [w["SequenceNumber"] for w in written]
    assert "MillisBehindLatest" in page


def test_iterator_requested_by_stream_arn_reads_without_stream_arn(kinesis_client, ten_records):
    arn = kinesis_client.describe_stream_summary(StreamName="s")["StreamDescriptionSummary"][
        "StreamARN"
    ]
    iterator = kinesis_client.get_shard_iterator(
        StreamARN=arn, ShardId=SHARD_0, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]

    assert len(kinesis_client.get_records(ShardIterator=iterator)["Records"]) == 10


def test_closed_shard_read_to_its_end_has_no_iterator_and_names_its_children(kinesis_client):
    """F22, API_GetRecords: at the end of a closed shard NextShardIterator is null and
    ChildShards lists the children with their parents and hash ranges."""
    create_stream(kinesis_client, "s", 1)
    put_many(kinesis_client, "s", 25)
    kinesis_client.split_shard(StreamName="s", ShardToSplit=SHARD_0, NewStartingHashKey=str(2**127))
    iterator = kinesis_client.get_shard_iterator(
        StreamName="s", ShardId=SHARD_0, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]

    middle = kinesis_client.get_records(ShardIterator=iterator, Limit=20)
    end = kinesis_client.get_records(ShardIterator=middle["NextShardIterator"], Limit=20)

    assert "ChildShards" not in middle
    assert len(end["Records"]) == 5
    assert end.get("NextShardIterator") is None
    children = {c["ShardId"]: c for c in end["ChildShards"]}
    assert set(children) == {SHARD_1, SHARD_2}
    for child in children.values():
        assert child["ParentShards"] == [SHARD_0]
        assert set(child["HashKeyRange"]) == {"StartingHashKey", "EndingHashKey"}


def test_empty_closed_shard_ends_at_once(kinesis_client):
    create_stream(kinesis_client, "s", 2)
    kinesis_client.merge_shards(StreamName="s", ShardToMerge=SHARD_1, AdjacentShardToMerge=SHARD_0)

    records, last = read_shard(kinesis_client, "s", SHARD_0)

    assert records == []
    assert last.get("NextShardIterator") is None
    (child,) = last["ChildShards"]
    assert child["ShardId"] == SHARD_2
    assert child["ParentShards"] == [SHARD_1, SHARD_0]


def test_an_open_shard_always_gives_a_next_iterator(kinesis_client, ten_records):
    _, last = read_shard(kinesis_client, "s", SHARD_0)

    assert last["NextShardIterator"]
    assert "ChildShards" not in last


def test_a_reader_follows_child_shards_through_a_split_and_a_merge(kinesis_client):
    """F22: a consumer finishes each parent, then moves to the ChildShards it names."""
    create_stream(kinesis_client, "s", 1)
    put_many(kinesis_client, "s", 50, prefix="gen0")
    kinesis_client.split_shard(StreamName="s", ShardToSplit=SHARD_0, NewStartingHashKey=str(2**127))
    put_many(kinesis_client, "s", 50, prefix="gen1")
    kinesis_client.merge_shards(StreamName="s", ShardToMerge=SHARD_1, AdjacentShardToMerge=SHARD_2)
    put_many(kinesis_client, "s", 50, prefix="gen2")

    order, records, pending = [], [], [SHARD_0]
    while pending:
        shard_id = pending.pop(0)
        if shard_id in order:
            continue
        order.append(shard_id)
        shard_records, last = read_shard(kinesis_client, "s", shard_id)
        records += shard_records
        pending += [c["ShardId"] for c in last.get("ChildShards", [])]

    assert order == [SHARD_0, SHARD_1, SHARD_2, "shardId-000000000003"]
    generations = [r["Data"].split(b"-")[0] for r in records]
    assert generations == sorted(generations)
    assert len(records) == 150
