"""SIMULATION of read limits: 5 GetRecords calls/s and 2 MiB/s per shard (F2, F3), the 5-second
penalty after a 10 MiB read (F3), and a consumer that waits a second after a throttle (F66)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.exceptions import JsonRESTError
from moto.kinesis.models import kinesis_backends
from sim_helpers import (
    SHARD_0,
    SHARD_1,
    THROTTLED,
    create,
    entries,
    error_of,
    explicit_hash_key,
    iterator_for,
    put_in_batches,
    read_throttle_message,
)
from sim_learners import consume

from kinesis_lab.core.facts import GET_RECORDS_CALLS_PER_SEC, GET_RECORDS_MAX_BYTES, MIB


def calls(kinesis, iterator, count, **args):
    """``count`` GetRecords calls on one iterator; the pages."""
    return [kinesis.get_records(ShardIterator=iterator, **args) for _ in range(count)]


def test_five_calls_a_second_are_fine_and_the_sixth_is_throttled(kinesis):
    """F3: 5 GetRecords calls per second per shard; AWS's error, code and status."""
    create(kinesis, "s")
    iterator = iterator_for(kinesis, "s")
    calls(kinesis, iterator, GET_RECORDS_CALLS_PER_SEC)

    with pytest.raises(ClientError) as raised:
        kinesis.get_records(ShardIterator=iterator)

    assert error_of(raised) == (THROTTLED, read_throttle_message("s", SHARD_0), 400)


def test_reads_come_back_the_next_second(kinesis, lab_clock):
    """Refused calls take no capacity: a second after the five calls, five more fit."""
    create(kinesis, "s")
    iterator = iterator_for(kinesis, "s")
    calls(kinesis, iterator, GET_RECORDS_CALLS_PER_SEC)
    for _ in range(3):
        with pytest.raises(ClientError):
            kinesis.get_records(ShardIterator=iterator)

    lab_clock.advance(1)

    assert len(calls(kinesis, iterator, GET_RECORDS_CALLS_PER_SEC)) == GET_RECORDS_CALLS_PER_SEC


def test_two_mebibytes_read_in_a_second_use_up_the_shard(kinesis, lab_clock):
    """F2: 2 MiB/s per shard — after two 1 MiB pages, the third call that second is refused
    although only two of five calls were made; the next second is fine."""
    create(kinesis, "s")
    for key in ("a", "b"):
        kinesis.put_record(StreamName="s", Data=bytes(MIB), PartitionKey=key)
        lab_clock.advance(2)  # F1: a 1 MiB record uses a shard's whole second and a byte more
    first = kinesis.get_records(ShardIterator=iterator_for(kinesis, "s"), Limit=1)
    second = kinesis.get_records(ShardIterator=first["NextShardIterator"], Limit=1)
    assert [len(page["Records"]) for page in (first, second)] == [1, 1]

    with pytest.raises(ClientError) as raised:
        kinesis.get_records(ShardIterator=second["NextShardIterator"])
    assert error_of(raised)[0] == THROTTLED

    lab_clock.advance(1)
    assert kinesis.get_records(ShardIterator=second["NextShardIterator"])["Records"] == []


def test_a_ten_mebibyte_read_throttles_the_shard_for_five_seconds(kinesis, lab_clock):
    """F3: "after a 10 MB return, calls within 5 s throw ProvisionedThroughputExceeded" —
    simulated as 10 MiB paid back at 2 MiB/s (F2): throttled at 4.9 s, fine at 5 s."""
    create(kinesis, "big", MaxRecordSizeInKiB=10_240)
    kinesis.put_record(StreamName="big", Data=bytes(GET_RECORDS_MAX_BYTES), PartitionKey="p")
    lab_clock.advance(20)
    page = kinesis.get_records(ShardIterator=iterator_for(kinesis, "big"))
    assert len(page["Records"][0]["Data"]) == GET_RECORDS_MAX_BYTES

    for wait in (1, 2, 1.9):  # 1 s, 3 s, 4.9 s after the big read
        lab_clock.advance(wait)
        with pytest.raises(ClientError) as raised:
            kinesis.get_records(ShardIterator=page["NextShardIterator"])
        assert error_of(raised)[0] == THROTTLED

    lab_clock.advance(0.1)
    assert kinesis.get_records(ShardIterator=page["NextShardIterator"])["Records"] == []


def test_each_shard_has_its_own_read_limit(kinesis):
    create(kinesis, "s", shards=2)
    busy = iterator_for(kinesis, "s", SHARD_0)
    calls(kinesis, busy, GET_RECORDS_CALLS_PER_SEC)

    assert kinesis.get_records(ShardIterator=iterator_for(kinesis, "s", SHARD_1))["Records"] == []


def test_limit_over_ten_thousand_is_still_refused(kinesis):
    """F3: the fidelity fix holds with limits on: Limit 10,001 → InvalidArgumentException."""
    create(kinesis, "s")

    with pytest.raises(ClientError) as raised:
        kinesis.get_records(ShardIterator=iterator_for(kinesis, "s"), Limit=10_001)

    assert error_of(raised)[0] == "InvalidArgumentException"


def test_readers_inside_the_process_meet_the_same_limit(kinesis):
    """A simulation calling the backend directly shares the shard's 5 calls/s with learners."""
    create(kinesis, "s")
    iterator = iterator_for(kinesis, "s")
    backend = kinesis_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
    for _ in range(GET_RECORDS_CALLS_PER_SEC):
        backend.get_records(None, iterator, None)

    with pytest.raises(ClientError) as raised:
        kinesis.get_records(ShardIterator=iterator)
    with pytest.raises(JsonRESTError) as raised_inside:
        backend.get_records(None, iterator, None)

    assert error_of(raised)[0] == raised_inside.value.error_type == THROTTLED


def test_learner_consumer_waits_after_throttles_and_misses_nothing(kinesis, lab_clock):
    """Polling as fast as it can with small pages, the consumer is throttled, waits a second
    each time (F66), and still reads all 3,000 records once, in order."""
    create(kinesis, "s", shards=2)
    records = entries(3_000, ExplicitHashKey=explicit_hash_key(0, 2))
    for first in range(0, 3_000, 1_000):
        put_in_batches(kinesis, "s", records[first : first + 1_000])
        lab_clock.advance(1)

    report = consume(kinesis, "s", SHARD_0, lab_clock.advance, wanted=3_000, limit=100)

    assert report.throttled > 0
    assert [r["PartitionKey"] for r in report.records] == [r["PartitionKey"] for r in records]
