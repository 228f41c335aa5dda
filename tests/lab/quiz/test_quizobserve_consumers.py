"""kinesis_lab.quiz.observe_consumers: running a learner's consumer safely in a quiz test cell."""

from __future__ import annotations

import pytest

from kinesis_lab.clients.readers import list_all_shards
from kinesis_lab.core import clock
from kinesis_lab.patterns.consumers import no_retry_client
from kinesis_lab.quiz.observe_consumers import (
    CallBudget,
    CallBudgetExceeded,
    LabWait,
    simulated_lab_clock,
    use_up_reads,
)


def test_a_call_budget_counts_calls_and_errors_and_stops_a_runaway_loop(lab):
    lab.create_stream("s", shard_count=1)
    client = CallBudget(lab.kinesis, max_calls=3)
    client.list_shards(StreamName="s")
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.describe_stream_summary(StreamName="missing")
    assert client.meta.region_name == lab.region  # not an API call: not counted
    client.list_shards(StreamName="s")
    with pytest.raises(CallBudgetExceeded, match="more than 3 API calls"):
        client.list_shards(StreamName="s")
    assert client.report() == {
        "calls": {"describe_stream_summary": 1, "list_shards": 2},
        "errors": {"ResourceNotFoundException": 1},
    }


def test_lab_wait_moves_the_simulated_clock_and_records_each_pause(lab):
    with simulated_lab_clock(lab):
        wait = LabWait(lab)
        before = clock.now()
        wait(1)
        wait(0.5)
        wait(-1)
        wait("soon")
        assert clock.now() - before == pytest.approx(1.5)
        assert wait.waits == [1.0, 0.5, None, None]
        assert wait.total_seconds == 1.5


def test_another_consumer_uses_up_the_reads_of_this_second(lab):
    with simulated_lab_clock(lab):
        lab.create_stream("s", shard_count=1)
        client = no_retry_client(lab)
        shard = list_all_shards(client, "s")[0]["ShardId"]
        assert use_up_reads(client, "s", shard) == 5  # F3: 5 GetRecords calls/s per shard
        iterator = client.get_shard_iterator(
            StreamName="s", ShardId=shard, ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        with pytest.raises(client.exceptions.ProvisionedThroughputExceededException):
            client.get_records(ShardIterator=iterator)
        lab.advance(1)
        assert client.get_records(ShardIterator=iterator)["Records"] == []


def test_the_simulated_block_gives_the_lab_its_real_clock_back(lab):
    assert not clock.get_clock().simulated
    with simulated_lab_clock(lab) as simulated:
        assert clock.get_clock() is simulated and simulated.simulated
    assert not clock.get_clock().simulated
    with pytest.raises(ZeroDivisionError), simulated_lab_clock(lab):
        1 / 0  # noqa: B018
    assert not clock.get_clock().simulated
    lab.use_simulated_clock()
    with simulated_lab_clock(lab):
        pass
    assert clock.get_clock().simulated  # it was simulated before: it stays simulated
    lab.use_real_clock()
