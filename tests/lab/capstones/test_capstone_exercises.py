"""The capstones' exercises on the real calls: the learner's producer and reads are tried on a
stream of their own and checked by reading that stream back; the pipeline's PutRecords are
watched (never made) for the charts; StreamConsumer runs the learner's read (F1, F5, F10, F28)."""

from __future__ import annotations

import pytest

from kinesis_lab.capstones.exercises import (
    RESTART_RECORDS,
    check_consumed,
    check_sent,
    reference_send,
    run_trial_consumer,
    watch_put_records,
)
from kinesis_lab.capstones.pipeline import StreamConsumer, recreate_checkpoint_table
from kinesis_lab.core.facts import SHARD_ITERATOR_TTL_SECONDS

TRIAL = "trial"


@pytest.fixture
def sim(lab):
    lab.use_simulated_clock()
    lab.create_stream(TRIAL, shard_count=1)
    return lab


def entries(count: int, keys: int | None = None) -> list[dict]:
    return [
        {"PartitionKey": f"k{n % keys if keys else n}", "Data": f"record {n}".encode()}
        for n in range(count)
    ]


def good_read(kinesis, stream_name, shard_id, iterator, checkpoint):
    if iterator is None:
        where = {"ShardIteratorType": "TRIM_HORIZON"}
        if checkpoint is not None:
            where = {
                "ShardIteratorType": "AFTER_SEQUENCE_NUMBER",
                "StartingSequenceNumber": checkpoint,
            }
        iterator = kinesis.get_shard_iterator(StreamName=stream_name, ShardId=shard_id, **where)[
            "ShardIterator"
        ]
    return kinesis.get_records(ShardIterator=iterator)


def test_check_sent_says_not_yet_then_passes_once_everything_is_stored(sim, capsys):
    batch = entries(1_500)
    assert not check_sent(sim.kinesis, TRIAL, batch)
    assert "not yet" in capsys.readouterr().out
    reference_send(sim.kinesis, TRIAL, batch)  # 1,500 in one second: part is throttled (F1)
    assert check_sent(sim.kinesis, TRIAL, batch)


def test_check_sent_finds_missing_and_repeated_entries(sim, capsys):
    batch = entries(1_500)
    for first in range(0, 1_500, 500):  # no retry: the third request is throttled
        sim.kinesis.put_records(StreamName=TRIAL, Records=batch[first : first + 500])
    assert not check_sent(sim.kinesis, TRIAL, batch)
    assert "missing" in capsys.readouterr().out
    sim.advance(1)
    sim.kinesis.put_records(StreamName=TRIAL, Records=batch[:500])
    assert not check_sent(sim.kinesis, TRIAL, batch[:500])
    assert "more than once" in capsys.readouterr().out


def test_check_sent_with_key_order_finds_an_overtaken_record(sim, capsys):
    batch = entries(6, keys=2)
    sim.kinesis.put_records(StreamName=TRIAL, Records=batch[::-1])
    assert check_sent(sim.kinesis, TRIAL, batch)  # every entry once: order not asked
    assert not check_sent(sim.kinesis, TRIAL, batch, keep_key_order=True)
    assert "out of order" in capsys.readouterr().out


def test_key_ordered_fallback_keeps_each_key_in_order_under_throttling(sim):
    batch = entries(1_500, keys=300)
    reference_send(sim.kinesis, TRIAL, batch, keep_key_order=True)
    assert check_sent(sim.kinesis, TRIAL, batch, keep_key_order=True)


def test_a_good_read_passes_the_trial_with_its_restart(sim, capsys):
    reference_send(sim.kinesis, TRIAL, entries(300))
    run = run_trial_consumer(sim, TRIAL, good_read)
    assert check_consumed(sim.kinesis, run), capsys.readouterr().out
    assert len(run.handled) == 300 and len(run.restarted) == RESTART_RECORDS


def test_the_trial_tells_a_blank_a_forgetful_and_a_broken_read(sim, capsys):
    reference_send(sim.kinesis, TRIAL, entries(50))
    assert not check_consumed(sim.kinesis, run_trial_consumer(sim, TRIAL, lambda *args: None))
    assert "not yet" in capsys.readouterr().out

    def ignores_checkpoint(kinesis, stream_name, shard_id, iterator, checkpoint):
        return good_read(kinesis, stream_name, shard_id, iterator, None)

    assert not check_consumed(sim.kinesis, run_trial_consumer(sim, TRIAL, ignores_checkpoint))
    assert "AFTER_SEQUENCE_NUMBER" in capsys.readouterr().out

    def bad_type(kinesis, stream_name, shard_id, iterator, checkpoint):
        kinesis.get_shard_iterator(StreamName=stream_name, ShardId=shard_id, ShardIteratorType="AT")
        return {}

    assert not check_consumed(sim.kinesis, run_trial_consumer(sim, TRIAL, bad_type))
    assert "✗" in capsys.readouterr().out


def test_stream_consumer_asks_the_learners_read_again_after_an_expired_iterator(sim):
    reference_send(sim.kinesis, TRIAL, entries(10))
    recreate_checkpoint_table(sim.dynamodb, "app")
    calls, handled = [], []

    def read(kinesis, stream_name, shard_id, iterator, checkpoint):
        calls.append((iterator is None, checkpoint))
        return good_read(kinesis, stream_name, shard_id, iterator, checkpoint)

    consumer = StreamConsumer(sim.kinesis, sim.dynamodb, TRIAL, "app", handled.append, read=read)
    consumer.poll()
    sim.advance(SHARD_ITERATOR_TTL_SECONDS + 1)  # F9: the iterator it holds expires
    reference_send(sim.kinesis, TRIAL, entries(3))
    consumer.poll()
    assert consumer.stats.expired_iterators == 1
    assert calls[0] == (True, None)  # the first read: no iterator, no checkpoint
    assert calls[-1][0] is True and calls[-1][1] == handled[9]["SequenceNumber"]
    assert len(handled) == 13


def test_watch_put_records_counts_one_stream_and_a_new_watch_replaces_the_old(sim):
    sim.create_stream("other", shard_count=1)
    first = watch_put_records(sim.kinesis, TRIAL)
    reference_send(sim.kinesis, TRIAL, entries(1_200))
    sim.kinesis.put_records(StreamName="other", Records=entries(5))
    assert first.written == 1_200 and first.throttled > 0 and first.requests >= 4
    assert sum(row["written"] for row in first.timeline()) == 1_200
    assert "1,200 entries written" in first.summary()
    second = watch_put_records(sim.kinesis, TRIAL)
    sim.advance(1)
    sim.kinesis.put_records(StreamName=TRIAL, Records=entries(5))
    assert second.written == 5 and first.written == 1_200
