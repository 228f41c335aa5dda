"""The polling consumer of lesson M4: checkpoints, throttles (F3, F66), expiry (F9), closed
shards (F22), and the checks of the learner's own loops."""

from __future__ import annotations

import json

import pytest

from kinesis_lab.clients.readers import list_all_shards
from kinesis_lab.core import clock
from kinesis_lab.core.facts import SHARD_ITERATOR_TTL_SECONDS
from kinesis_lab.data import decode
from kinesis_lab.patterns.consumers import (
    CheckpointFile,
    MemoryCheckpoints,
    PollWatch,
    check_first_polls,
    check_scenario,
    check_stream_consumer,
    child_shard_ids,
    ensure_stream_consumer,
    iterator_after,
    iterator_types_table,
    no_retry_client,
    poll_shard,
    reference_consume,
    run_scenario,
    short_sequence_number,
)

STREAM = "consumer-test"


def write(lab, numbers, stream=STREAM, key="k"):
    lab.kinesis.put_records(
        StreamName=stream,
        Records=[{"PartitionKey": key, "Data": json.dumps({"n": n}).encode()} for n in numbers],
    )


def only_shard(lab, stream=STREAM):
    return list_all_shards(lab.kinesis, stream)[0]["ShardId"]


def numbers_of(records):
    return [decode(record)["n"] for record in records]


# --- checkpoint file --------------------------------------------------------------------------


def test_checkpoint_file_saves_loads_and_clears(tmp_path):
    path = tmp_path / "deep" / "checkpoints.json"
    checkpoints = CheckpointFile(path)
    assert checkpoints.load() == {} and checkpoints.get("shardId-000000000000") is None

    checkpoints.save("shardId-000000000000", "111")
    checkpoints.save("shardId-000000000001", "222")
    checkpoints.save("shardId-000000000000", "333")

    assert json.loads(path.read_text()) == {
        "shardId-000000000000": "333",
        "shardId-000000000001": "222",
    }
    assert CheckpointFile(path).get("shardId-000000000000") == "333"  # survives a restart
    assert not list(path.parent.glob("*.tmp"))  # atomic replace leaves no temporary file
    assert "333" in repr(checkpoints)
    checkpoints.clear()
    assert not path.exists() and checkpoints.load() == {}
    checkpoints.clear()  # clearing twice is fine


def test_memory_checkpoints_have_the_same_interface():
    checkpoints = MemoryCheckpoints()
    checkpoints.save("s", "1")
    assert checkpoints.get("s") == "1" and checkpoints.get("t") is None


def test_short_sequence_number_keeps_the_start():
    number = "49" + "0123456789" * 5 + "7777"
    assert short_sequence_number(number) == number[:20] + "…"
    assert short_sequence_number("123") == "123"
    assert short_sequence_number(None) == "—"


def test_iterator_types_table_lists_each_type():
    text = iterator_types_table({"TRIM_HORIZON": [1, 2], "LATEST": []})
    assert "TRIM_HORIZON  → [1, 2]" in text
    assert "LATEST        → nothing (yet)" in text


# --- iterators and the poll loop --------------------------------------------------------------


def test_iterator_after_starts_after_the_checkpoint_or_at_the_start(sim_lab):
    sim_lab.create_stream(STREAM, shard_count=1)
    write(sim_lab, range(1, 6))
    shard = only_shard(sim_lab)
    records = sim_lab.kinesis.get_records(
        ShardIterator=iterator_after(sim_lab.kinesis, STREAM, shard, None)
    )["Records"]
    assert numbers_of(records) == [1, 2, 3, 4, 5]

    third = records[2]["SequenceNumber"]
    after = iterator_after(sim_lab.kinesis, STREAM, shard, third)
    assert numbers_of(sim_lab.kinesis.get_records(ShardIterator=after)["Records"]) == [4, 5]

    latest = iterator_after(sim_lab.kinesis, STREAM, shard, None, "LATEST")
    assert sim_lab.kinesis.get_records(ShardIterator=latest)["Records"] == []


def test_poll_shard_reads_in_order_checkpoints_and_resumes_without_repeats(sim_lab, tmp_path):
    sim_lab.create_stream(STREAM, shard_count=1)
    write(sim_lab, range(1, 26))
    shard = only_shard(sim_lab)
    checkpoints = CheckpointFile(tmp_path / "cp.json")
    handled = []

    first = poll_shard(
        sim_lab.kinesis, STREAM, shard, handled.append, checkpoints, limit=10, max_polls=2
    )
    assert numbers_of(handled) == list(range(1, 21))
    assert first.stopped.startswith("max_polls")
    assert checkpoints.get(shard) == handled[-1]["SequenceNumber"]
    assert [poll.records for poll in first.polls] == [10, 10]
    assert first.polls[0].millis_behind_latest == 0  # all 25 arrived in the same lab second

    write(sim_lab, range(26, 31))
    second = poll_shard(sim_lab.kinesis, STREAM, shard, handled.append, checkpoints, limit=10)
    assert numbers_of(handled) == list(range(1, 31))  # nothing repeated, nothing missed
    assert second.stopped == "caught up" and second.polls[-1].outcome == "caught up"
    assert second.handled == 10
    assert "caught up" in second.table() and "MillisBehindLatest" in second.table()


def test_millis_behind_latest_shows_how_far_behind_the_consumer_is(sim_lab):
    sim_lab.create_stream(STREAM, shard_count=1)
    write(sim_lab, range(1, 11))
    clock.advance(60)
    write(sim_lab, range(11, 21))
    run = poll_shard(
        sim_lab.kinesis, STREAM, only_shard(sim_lab), lambda r: None, MemoryCheckpoints(), limit=5
    )
    behind = [poll.millis_behind_latest for poll in run.polls]
    assert behind[:4] == [60_000, 60_000, 0, 0] and behind[-1] == 0


def test_a_throttled_poll_waits_about_a_second_and_retries(sim_lab):
    """F3: 5 GetRecords per second per shard; F66: wait ~1 s. No SDK retry hides it here."""
    raw = no_retry_client(sim_lab)
    sim_lab.create_stream(STREAM, shard_count=1)
    write(sim_lab, range(1, 21))
    started = clock.now()
    run = poll_shard(
        raw,
        STREAM,
        only_shard(sim_lab),
        lambda r: None,
        MemoryCheckpoints(),
        limit=2,
        after_poll=lambda number: None,  # no pause: the 6th call in a second is throttled
    )
    outcomes = [poll.outcome for poll in run.polls]
    assert outcomes[:6] == ["records"] * 5 + ["throttled"]
    assert run.handled == 20 and run.count("throttled") >= 1
    assert clock.now() - started == run.count("throttled") * 1.0


def test_no_retry_client_lets_the_throttle_through(sim_lab):
    raw = no_retry_client(sim_lab)
    sim_lab.create_stream(STREAM, shard_count=1)
    iterator = raw.get_shard_iterator(
        StreamName=STREAM, ShardId=only_shard(sim_lab), ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    for _ in range(5):
        raw.get_records(ShardIterator=iterator)
    with pytest.raises(raw.exceptions.ProvisionedThroughputExceededException):
        raw.get_records(ShardIterator=iterator)


def test_an_expired_iterator_is_reacquired_after_the_checkpoint(sim_lab):
    sim_lab.create_stream(STREAM, shard_count=1)
    write(sim_lab, range(1, 16))
    handled = []

    def stall(number):
        clock.advance(SHARD_ITERATOR_TTL_SECONDS + 1 if number == 1 else 1)

    run = poll_shard(
        sim_lab.kinesis,
        STREAM,
        only_shard(sim_lab),
        handled.append,
        MemoryCheckpoints(),
        limit=5,
        after_poll=stall,
    )
    assert [poll.outcome for poll in run.polls][:3] == ["records", "expired", "records"]
    assert numbers_of(handled) == list(range(1, 16))


def test_the_end_of_a_closed_shard_names_its_children(sim_lab):
    sim_lab.create_stream(STREAM, shard_count=1)
    write(sim_lab, range(1, 6))
    parent = only_shard(sim_lab)
    sim_lab.kinesis.split_shard(
        StreamName=STREAM, ShardToSplit=parent, NewStartingHashKey=str(2**127)
    )
    handled = []
    run = poll_shard(sim_lab.kinesis, STREAM, parent, handled.append, MemoryCheckpoints())
    assert run.stopped == "shard closed"
    assert run.polls[-1].outcome == "shard closed"
    assert sorted(run.child_shards) == [
        s["ShardId"] for s in list_all_shards(sim_lab.kinesis, STREAM) if s["ShardId"] != parent
    ]
    assert numbers_of(handled) == [1, 2, 3, 4, 5]
    assert "child shards" in run.table()


def test_other_errors_are_not_swallowed(sim_lab):
    sim_lab.create_stream(STREAM, shard_count=1)
    with pytest.raises(sim_lab.kinesis.exceptions.ResourceNotFoundException):
        poll_shard(sim_lab.kinesis, STREAM, "shardId-000000000009", print, MemoryCheckpoints())


# --- the learner's own loop: watched, run in the check's scenarios, checked ------------------


def learners_loop(kinesis, stream, shard, handle, checkpoints, limit=10, max_polls=100, sleep=None):
    """A correct learner's loop (the reference answer's shape), with both except clauses."""

    def fresh():
        position = checkpoints.get(shard)
        where = {"ShardIteratorType": "TRIM_HORIZON"}
        if position is not None:
            where = {
                "ShardIteratorType": "AFTER_SEQUENCE_NUMBER",
                "StartingSequenceNumber": position,
            }
        return kinesis.get_shard_iterator(StreamName=stream, ShardId=shard, **where)[
            "ShardIterator"
        ]

    iterator, answer = fresh(), None
    for _ in range(max_polls):
        try:
            answer = kinesis.get_records(ShardIterator=iterator, Limit=limit)
        except kinesis.exceptions.ProvisionedThroughputExceededException:
            sleep(1)
            continue
        except kinesis.exceptions.ExpiredIteratorException:
            iterator = fresh()
            continue
        for record in answer["Records"]:
            handle(record)
        if answer["Records"]:
            checkpoints.save(shard, answer["Records"][-1]["SequenceNumber"])
        iterator = answer.get("NextShardIterator")
        if iterator is None or (not answer["Records"] and answer["MillisBehindLatest"] == 0):
            return answer
        sleep(1)
    return answer


def test_poll_watch_draws_the_get_records_calls_it_sees(sim_lab):
    sim_lab.create_stream(STREAM, shard_count=1)
    write(sim_lab, range(1, 16))
    polls = PollWatch(sim_lab.kinesis)
    assert polls.table() == "(no GetRecords call yet)"
    learners_loop(
        sim_lab.kinesis, STREAM, only_shard(sim_lab), lambda r: None, MemoryCheckpoints(),
        limit=10, sleep=clock.advance,
    )  # fmt: skip
    assert [p.outcome for p in polls.polls] == ["records", "records", "caught up"]
    assert [p.records for p in polls.polls] == [10, 5, 0]
    assert "caught up" in polls.table()
    polls.start()
    assert polls.table() == "(no GetRecords call yet)"
    again = PollWatch(sim_lab.kinesis)  # a re-run cell: the new watch sees the calls
    sim_lab.kinesis.get_records(
        ShardIterator=iterator_after(sim_lab.kinesis, STREAM, only_shard(sim_lab), None)
    )
    assert len(again.polls) == 1 and len(polls.polls) == 3


def test_check_first_polls_reads_the_shard_and_the_checkpoint(sim_lab, capsys):
    sim_lab.create_stream(STREAM, shard_count=1)
    sim_lab.kinesis.put_records(
        StreamName=STREAM,
        Records=[
            {"PartitionKey": "k", "Data": json.dumps({"order": n}).encode()} for n in range(1, 9)
        ],
    )
    shard, checkpoints = only_shard(sim_lab), MemoryCheckpoints()
    assert not check_first_polls(sim_lab.kinesis, STREAM, shard, [], checkpoints)
    assert "not yet" in capsys.readouterr().out
    handled = []
    learners_loop(
        sim_lab.kinesis, STREAM, shard, lambda r: handled.append(decode(r)["order"]), checkpoints,
        limit=3, max_polls=2, sleep=clock.advance,
    )  # fmt: skip
    assert handled == [1, 2, 3, 4, 5, 6]
    assert check_first_polls(sim_lab.kinesis, STREAM, shard, handled, checkpoints)
    assert not check_first_polls(sim_lab.kinesis, STREAM, shard, handled, MemoryCheckpoints())
    assert "checkpoint" in capsys.readouterr().out
    assert not check_first_polls(sim_lab.kinesis, STREAM, shard, [2, 3], checkpoints)


@pytest.mark.parametrize("hard", [False, True], ids=["plain", "throttles-and-expiry"])
def test_a_correct_loop_passes_the_scenario(sim_lab, capsys, hard):
    outcome = run_scenario(sim_lab, learners_loop, hard=hard)
    assert check_scenario(sim_lab.kinesis, outcome), capsys.readouterr().out
    assert outcome.handled == list(range(1, 46))
    assert (outcome.throttles, outcome.stalls) == ((1, 2) if hard else (0, 0))


def test_the_toolkits_fallback_passes_the_plain_scenario(sim_lab):
    assert check_scenario(sim_lab.kinesis, run_scenario(sim_lab, reference_consume))


def test_the_scenario_tells_a_blank_a_raising_and_a_repeating_loop(sim_lab, capsys):
    assert not check_scenario(sim_lab.kinesis, run_scenario(sim_lab, lambda *args: None))
    assert "not yet" in capsys.readouterr().out

    def no_excepts(kinesis, stream, shard, handle, checkpoints, limit, max_polls, sleep):
        iterator = kinesis.get_shard_iterator(
            StreamName=stream, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            answer = kinesis.get_records(ShardIterator=iterator, Limit=limit)
            for record in answer["Records"]:
                handle(record)
            if not answer["Records"]:
                return answer
            iterator = answer["NextShardIterator"]
            sleep(1)

    assert not check_scenario(sim_lab.kinesis, run_scenario(sim_lab, no_excepts, hard=True))
    out = capsys.readouterr().out
    assert "raised" in out and "hint" in out
    assert not check_scenario(sim_lab.kinesis, run_scenario(sim_lab, no_excepts))
    assert "handled twice" in capsys.readouterr().out  # the restart went back to TRIM_HORIZON


def test_check_stream_consumer_reads_the_registration_back(sim_lab, capsys):
    sim_lab.create_stream(STREAM, shard_count=1)
    arn = sim_lab.kinesis.describe_stream_summary(StreamName=STREAM)["StreamDescriptionSummary"][
        "StreamARN"
    ]
    assert not check_stream_consumer(sim_lab.kinesis, arn, "efo", None)
    assert "not yet" in capsys.readouterr().out
    made = ensure_stream_consumer(sim_lab.kinesis, arn, "efo")
    assert "registers" in capsys.readouterr().out
    assert not check_stream_consumer(sim_lab.kinesis, arn, "efo", None, kept_in="efo")
    assert "`efo` is not its Consumer" in capsys.readouterr().out
    assert check_stream_consumer(sim_lab.kinesis, arn, "efo", made)
    assert ensure_stream_consumer(sim_lab.kinesis, arn, "efo")["ConsumerARN"] == made["ConsumerARN"]
    assert child_shard_ids(sim_lab.kinesis, STREAM, only_shard(sim_lab)) == []
