"""The capstones' shared plumbing: producer retries, key order, checkpoints, resharding,
iterator expiry, throttled reads and the event-time driver — against the mocked account with
the limits SIMULATION on (F1, F3, F9, F22, F28, F66)."""

from __future__ import annotations

import random

import boto3
import pytest
from botocore.config import Config

from kinesis_lab.capstones.pipeline import (
    SHARD_END,
    CheckpointStore,
    Producer,
    StreamConsumer,
    delete_bucket,
    describe_latencies,
    event_slices,
    key_safe_batches,
    play,
    recreate_bucket,
    recreate_checkpoint_table,
    recreate_delivery_stream,
)
from kinesis_lab.clients.readers import read_stream
from kinesis_lab.core.facts import MIB, SHARD_ITERATOR_TTL_SECONDS, SHARD_WRITE_RECORDS_PER_SEC
from kinesis_lab.data import decode


def entry(key: str, payload: str, size: int = 0) -> dict:
    data = payload.encode() + b" " * max(0, size - len(payload))
    return {"Data": data, "PartitionKey": key}


@pytest.fixture
def sim(lab):
    """The lab on a simulated clock (restored by the lab fixture's stop())."""
    lab.use_simulated_clock()
    return lab


# --- pure helpers --------------------------------------------------------------------------


def test_key_safe_batches_keep_order_and_never_repeat_a_key():
    entries = [entry(key, f"{key}{n}") for n, key in enumerate("aabacbbbc")]
    batches = key_safe_batches(entries)
    assert [e for batch in batches for e in batch] == entries
    for batch in batches:
        keys = [e["PartitionKey"] for e in batch]
        assert len(keys) == len(set(keys))
    assert [len(b) for b in batches] == [1, 2, 3, 1, 2]  # a | a b | a c b | b | b c


def test_key_safe_batches_respect_the_putrecords_limits():
    many = [entry(f"k{n}", "x") for n in range(1_201)]
    assert [len(b) for b in key_safe_batches(many)] == [500, 500, 201]  # F5: 500 records
    big = [entry(f"k{n}", "x", size=3 * MIB) for n in range(4)]
    assert [len(b) for b in key_safe_batches(big)] == [3, 1]  # F5: 10 MiB per request


def test_event_slices_start_at_the_first_event_whatever_the_epoch_second():
    events = [{"ts_ms": ms} for ms in (1_001_500, 1_002_100, 1_003_900, 1_004_000, 1_007_999)]
    slices = event_slices(events, slice_s=2)
    assert [start for start, _ in slices] == [1_001, 1_003, 1_007]
    assert [len(group) for _, group in slices] == [2, 2, 1]
    assert [start for start, _ in event_slices(events, slice_s=2, origin=1_000)] == [
        1_000,
        1_002,
        1_004,
        1_006,
    ]
    with pytest.raises(ValueError):
        event_slices(events, slice_s=0)


def test_describe_latencies():
    assert describe_latencies([]) == {"count": 0, "median": 0.0, "p95": 0.0, "max": 0.0}
    summary = describe_latencies([0.5, 1.5, 1.0, 3.0] + [1.0] * 16)
    assert summary["count"] == 20 and summary["median"] == 1.0 and summary["max"] == 3.0
    assert summary["p95"] == 1.5


# --- the producer --------------------------------------------------------------------------


def test_producer_retries_only_the_throttled_entries_until_all_are_written(sim):
    """F1: 1,500 records into one shard in one go: 1,000 fit this second, the rest after a
    back-off; nothing is lost and nothing is written twice."""
    sim.create_stream("p", shard_count=1)
    producer = Producer(sim.kinesis, "p")
    entries = [entry(f"d{n}", f"r{n}") for n in range(1_500)]

    results = producer.send(entries)

    report = producer.report
    assert all("SequenceNumber" in r for r in results)
    assert report.written == 1_500 and report.gave_up == 0
    assert report.throttled >= 500 and report.retried == report.throttled
    assert report.waited_s > 0
    first_second = report.timeline()[0]
    assert first_second["written"] == SHARD_WRITE_RECORDS_PER_SEC
    stored = read_stream(sim.kinesis, "p")
    assert sorted(r["Data"] for r in stored) == sorted(e["Data"] for e in entries)


def test_producer_gives_up_after_max_attempts(sim):
    sim.create_stream("p", shard_count=1)
    producer = Producer(sim.kinesis, "p", max_attempts=1)
    producer.send([entry(f"d{n}", "x") for n in range(1_200)])
    assert producer.report.gave_up == 200 and producer.report.written == 1_000


def _order_of(kinesis, stream: str, key: str) -> list[str]:
    return [
        r["Data"].decode().strip() for r in read_stream(kinesis, stream) if r["PartitionKey"] == key
    ]


def test_a_retry_can_overtake_unless_the_producer_keeps_key_order(sim):
    """A large entry refused for bytes (F1) while a later, small entry of the same key fits:
    plain retries store them out of order; key-safe batches never do."""
    filler = [entry(f"f{n}", "fill", size=100_000) for n in range(10)]  # ~1,000,000 bytes
    ordered = [entry("A", "A1", size=200_000), entry("A", "A2")]
    outcomes = {}
    for stream, keep in (("plain", False), ("keyed", True)):
        sim.create_stream(stream, shard_count=1)
        second = int(sim.clock.now()) + 1
        sim.advance(second - sim.clock.now())  # a fresh second for each stream
        Producer(sim.kinesis, stream, keep_key_order=keep).send(filler + ordered)
        outcomes[stream] = _order_of(sim.kinesis, stream, "A")
    assert outcomes["plain"] == ["A2", "A1"]
    assert outcomes["keyed"] == ["A1", "A2"]


# --- the consumer --------------------------------------------------------------------------


def _put(kinesis, stream: str, count: int, start: int = 0, key=lambda n: f"k{n % 7}"):
    kinesis.put_records(
        StreamName=stream,
        Records=[
            {"Data": f'{{"n": {n}}}'.encode(), "PartitionKey": key(n)}
            for n in range(start, start + count)
        ],
    )


def test_consumer_checkpoints_and_a_restart_resumes_after_the_checkpoint(sim):
    sim.create_stream("c", shard_count=2)
    recreate_checkpoint_table(sim.dynamodb, "app")
    seen: list[int] = []
    first = StreamConsumer(
        sim.kinesis, sim.dynamodb, "c", "app", lambda r: seen.append(decode(r)["n"]),
        checkpoint_every_polls=2,
    )  # fmt: skip
    _put(sim.kinesis, "c", 40)
    first.poll()  # reads all 40; not yet checkpointed (every 2 polls)
    _put(sim.kinesis, "c", 10, start=40)
    sim.advance(1)
    first.poll()  # reads 10 more and checkpoints
    _put(sim.kinesis, "c", 5, start=50)
    sim.advance(1)
    first.poll()  # reads 5 more, no checkpoint: the "crash" comes now
    assert sorted(seen) == list(range(55))

    again: list[int] = []
    second = StreamConsumer(
        sim.kinesis, sim.dynamodb, "c", "app", lambda r: again.append(decode(r)["n"]),
        worker="worker-2",
    )  # fmt: skip
    sim.advance(1)
    second.poll()
    assert sorted(again) == [50, 51, 52, 53, 54]  # only what came after the checkpoint
    leases = {item["leaseKey"]: item for item in second.store.items()}
    assert set(leases) == {"shardId-000000000000", "shardId-000000000001"}
    assert all(item["leaseOwner"] == "worker-2" for item in leases.values())


def test_consumer_saves_state_with_the_checkpoint_and_restores_it(sim):
    sim.create_stream("s", shard_count=1)
    recreate_checkpoint_table(sim.dynamodb, "app")
    total = {"sum": 0}
    consumer = StreamConsumer(
        sim.kinesis, sim.dynamodb, "s", "app",
        lambda r: total.__setitem__("sum", total["sum"] + decode(r)["n"]),
        snapshot=lambda shard: {"sum": total["sum"]},
    )  # fmt: skip
    _put(sim.kinesis, "s", 10)
    consumer.poll()
    checkpoint, state = CheckpointStore(sim.dynamodb, "app").load("shardId-000000000000")
    assert state == {"sum": 45} and checkpoint.isdigit()

    restored = {}
    StreamConsumer(
        sim.kinesis, sim.dynamodb, "s", "app", lambda r: None,
        restore=lambda shard, saved: restored.update({shard: saved}),
    ).poll()  # fmt: skip
    assert restored == {"shardId-000000000000": {"sum": 45}}


def test_consumer_reads_parents_before_children_and_marks_shard_end(sim):
    """F22: records of a key written before a split are read before those written after."""
    sim.create_stream("r", shard_count=1)
    recreate_checkpoint_table(sim.dynamodb, "app")
    order: list[int] = []
    consumer = StreamConsumer(
        sim.kinesis, sim.dynamodb, "r", "app", lambda r: order.append(decode(r)["n"])
    )
    _put(sim.kinesis, "r", 20, key=lambda n: "same-key")
    sim.kinesis.update_shard_count(
        StreamName="r", TargetShardCount=2, ScalingType="UNIFORM_SCALING"
    )
    _put(sim.kinesis, "r", 20, start=20, key=lambda n: "same-key")
    consumer.run_until_caught_up()
    assert order == list(range(40))
    leases = {item["leaseKey"]: item["checkpoint"] for item in consumer.store.items()}
    assert leases["shardId-000000000000"] == SHARD_END
    assert consumer.caught_up()


def test_consumer_survives_an_expired_iterator(sim):
    """F9: after more than 5 minutes between polls, the iterator is replaced, nothing lost."""
    sim.create_stream("e", shard_count=1)
    recreate_checkpoint_table(sim.dynamodb, "app")
    seen: list[int] = []
    consumer = StreamConsumer(
        sim.kinesis, sim.dynamodb, "e", "app", lambda r: seen.append(decode(r)["n"])
    )
    _put(sim.kinesis, "e", 5)
    consumer.poll()
    _put(sim.kinesis, "e", 5, start=5)
    sim.advance(SHARD_ITERATOR_TTL_SECONDS + 1)
    consumer.poll()
    assert consumer.stats.expired_iterators == 1
    assert seen == list(range(10))


def test_consumer_skips_a_throttled_shard_until_the_next_poll(sim):
    """F3, F66: with the SDK's retries off, a refused GetRecords reaches the consumer, which
    leaves the shard for this poll and reads it at the next."""
    sim.create_stream("t", shard_count=1)
    recreate_checkpoint_table(sim.dynamodb, "app")
    strict = boto3.client(
        "kinesis", region_name=sim.region, config=Config(retries={"total_max_attempts": 1})
    )
    _put(sim.kinesis, "t", 3)
    iterator = strict.get_shard_iterator(
        StreamName="t", ShardId="shardId-000000000000", ShardIteratorType="LATEST"
    )["ShardIterator"]
    for _ in range(5):  # another reader uses up this second's 5 calls
        iterator = strict.get_records(ShardIterator=iterator)["NextShardIterator"]
    seen: list[int] = []
    consumer = StreamConsumer(
        strict, sim.dynamodb, "t", "app", lambda r: seen.append(decode(r)["n"])
    )
    assert consumer.poll() == 0 and consumer.stats.throttled == 1
    assert not consumer.caught_up()
    sim.advance(1)
    assert consumer.poll() == 3 and seen == [0, 1, 2]


# --- the driver ----------------------------------------------------------------------------


def test_play_sends_each_second_when_it_is_over_and_lets_consumers_poll(sim):
    sim.create_stream("d", shard_count=1)
    recreate_checkpoint_table(sim.dynamodb, "app")
    start = int(sim.clock.now()) + 1
    events = [{"n": n, "ts_ms": start * 1000 + n * 250} for n in range(12)]  # 3 s of events
    seen_at: list[tuple[int, float]] = []

    def handler(record):
        seen_at.append((decode(record)["n"], sim.clock.now()))

    consumer = StreamConsumer(sim.kinesis, sim.dynamodb, "d", "app", handler)
    producer = Producer(sim.kinesis, "d")
    report = play(
        events,
        lambda group: producer.send(
            [{"Data": str(e).replace("'", '"').encode(), "PartitionKey": "k"} for e in group]
        ),
        [consumer],
    )
    assert report.slices == 3 and report.events == 12 and report.max_delay_s == 0
    for n, at in seen_at:
        event_second = start + n // 4
        assert at == event_second + 1  # read right after its second was over


# --- re-runnable resources -----------------------------------------------------------------


def test_bucket_and_delivery_stream_can_be_created_again(sim):
    for _ in range(2):
        recreate_bucket(sim.s3, "cap-bucket")
        sim.s3.put_object(Bucket="cap-bucket", Key="a", Body=b"x")
        recreate_delivery_stream(
            sim.firehose,
            "cap-fh",
            DeliveryStreamType="DirectPut",
            ExtendedS3DestinationConfiguration={
                "RoleARN": "arn:aws:iam::123456789012:role/r",
                "BucketARN": "arn:aws:s3:::cap-bucket",
            },
        )
    assert sim.firehose.list_delivery_streams()["DeliveryStreamNames"] == ["cap-fh"]
    delete_bucket(sim.s3, "cap-bucket")
    delete_bucket(sim.s3, "cap-bucket")  # a second time is fine
    assert "cap-bucket" not in [b["Name"] for b in sim.s3.list_buckets()["Buckets"]]
