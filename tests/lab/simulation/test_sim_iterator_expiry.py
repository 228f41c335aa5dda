"""SIMULATION of iterator expiry: an iterator lives 5 minutes after it is returned (F9), and a
consumer that re-acquires it AFTER_SEQUENCE_NUMBER of its last record misses nothing."""

from __future__ import annotations

import base64

import pytest
from botocore.exceptions import ClientError
from sim_helpers import (
    EXPIRED_MESSAGE,
    SHARD_0,
    create,
    entries,
    error_of,
    iterator_for,
    put_in_batches,
)
from sim_learners import consume

from kinesis_lab.core.facts import SHARD_ITERATOR_TTL_SECONDS
from kinesis_lab.simulation import limits


@pytest.fixture
def stream(kinesis):
    create(kinesis, "s")
    put_in_batches(kinesis, "s", entries(10))
    return "s"


def test_an_iterator_works_at_four_fifty_nine(kinesis, lab_clock, stream):
    iterator = iterator_for(kinesis, stream)
    lab_clock.advance(4 * 60 + 59)

    assert len(kinesis.get_records(ShardIterator=iterator)["Records"]) == 10


def test_an_iterator_works_at_exactly_five_minutes(kinesis, lab_clock, stream):
    """AWS refuses only what is "further in the future than the tolerated delay"."""
    iterator = iterator_for(kinesis, stream)
    lab_clock.advance(SHARD_ITERATOR_TTL_SECONDS)

    assert len(kinesis.get_records(ShardIterator=iterator)["Records"]) == 10


def test_an_iterator_has_expired_at_five_oh_one(kinesis, lab_clock, stream):
    """F9: ExpiredIteratorException, HTTP 400, AWS's message with both times (lab clock)."""
    iterator = iterator_for(kinesis, stream)
    lab_clock.advance(5 * 60 + 1)

    with pytest.raises(ClientError) as raised:
        kinesis.get_records(ShardIterator=iterator)

    code, message, status = error_of(raised)
    assert (code, status) == ("ExpiredIteratorException", 400)
    created, now = EXPIRED_MESSAGE.fullmatch(message).groups()
    assert (created, now) == ("Thu Jan 15 09:00:00 UTC 2026", "Thu Jan 15 09:05:01 UTC 2026")


def test_next_shard_iterator_starts_a_fresh_five_minutes(kinesis, lab_clock, stream):
    """F9: the clock starts when an iterator is returned, NextShardIterator included."""
    first = iterator_for(kinesis, stream)
    lab_clock.advance(4 * 60)
    page = kinesis.get_records(ShardIterator=first, Limit=5)
    lab_clock.advance(4 * 60)

    assert len(kinesis.get_records(ShardIterator=page["NextShardIterator"])["Records"]) == 5
    with pytest.raises(ClientError) as raised:
        kinesis.get_records(ShardIterator=first)
    assert error_of(raised)[0] == "ExpiredIteratorException"


@pytest.mark.parametrize(
    "iterator",
    [
        "garbage",
        base64.b64encode(b"s:shardId-000000000000:0:not-a-time").decode(),
        base64.b64encode(b"s:shardId-000000000000:0:1:2").decode(),
    ],
)
def test_a_malformed_iterator_is_still_an_invalid_argument(kinesis, stream, iterator):
    with pytest.raises(ClientError) as raised:
        kinesis.get_records(ShardIterator=iterator)

    assert error_of(raised)[:2] == ("InvalidArgumentException", "Invalid ShardIterator.")


def test_with_limits_off_iterators_never_expire(kinesis, lab_clock, stream):
    """Expiry is part of the SIMULATION: switched off, the mock behaves as moto does."""
    iterator = iterator_for(kinesis, stream)
    limits.uninstall()
    lab_clock.advance(3_600)

    assert len(kinesis.get_records(ShardIterator=iterator)["Records"]) == 10


def test_learner_consumer_recovers_from_an_expired_iterator_and_misses_nothing(kinesis, lab_clock):
    """A consumer that stalls 6 minutes on its first batch finds its iterator expired, asks for
    a new one AFTER_SEQUENCE_NUMBER of the last record it processed, and reads every record
    exactly once."""
    create(kinesis, "s")
    written = put_in_batches(kinesis, "s", entries(1_000))
    stalls = []

    def process(batch):
        if not stalls:
            stalls.append(len(batch))
            lab_clock.advance(6 * 60)

    report = consume(
        kinesis, "s", SHARD_0, lab_clock.advance, wanted=1_000, limit=250, process=process
    )

    assert report.expired == 1
    assert [r["SequenceNumber"] for r in report.records] == [w["SequenceNumber"] for w in written]
