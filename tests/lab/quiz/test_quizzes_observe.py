"""kinesis_lab.quiz.observe: what quiz test cells observe in the learner's mocked account."""

from __future__ import annotations

import json

from kinesis_lab.clients.readers import list_all_shards
from kinesis_lab.core.keys import shard_for_key
from kinesis_lab.quiz.observe import (
    SIMULATED_ERROR_CODE,
    PartialFailureClient,
    count_by,
    key_placement,
    run_quietly,
    stream_facts,
    stream_records,
)


def entries(count):
    return [
        {"Data": json.dumps({"n": n}).encode(), "PartitionKey": f"k{n % 5}"} for n in range(count)
    ]


def test_stream_facts_of_a_stream_and_of_no_stream(lab):
    assert stream_facts(lab.kinesis, "missing") is None
    lab.create_stream("s", shard_count=3)
    lab.kinesis.increase_stream_retention_period(StreamName="s", RetentionPeriodHours=48)
    assert stream_facts(lab.kinesis, "s") == {
        "status": "ACTIVE",
        "mode": "PROVISIONED",
        "open_shards": 3,
        "retention_hours": 48,
        "encryption": "NONE",
    }


def test_records_and_key_placement_as_plain_data(lab):
    lab.create_stream("s", shard_count=4)
    lab.kinesis.put_records(StreamName="s", Records=entries(10))
    lab.kinesis.put_record(StreamName="s", Data=b"not json", PartitionKey="raw")
    records = stream_records(lab.kinesis, "s")
    assert len(records) == 11
    assert sorted(r["data"]["n"] for r in records if r["data"]) == list(range(10))
    assert [r["data"] for r in records if r["partition_key"] == "raw"] == [None]
    shards = list_all_shards(lab.kinesis, "s")
    placement = key_placement(lab.kinesis, "s")
    assert placement["k0"] == {
        "shards": [shard_for_key("k0", shards)],
        "records": 2,
        "hash_shard": shard_for_key("k0", shards),
    }
    assert (
        stream_records(lab.kinesis, "missing") == [] and key_placement(lab.kinesis, "missing") == {}
    )
    assert count_by([{"a": 1}, {"a": 1}, {"a": None}], "a") == {"1": 2, "None": 1}


def test_partial_failures_are_simulated_like_throttling(lab):
    lab.create_stream("s", shard_count=2)
    client = PartialFailureClient(lab.kinesis, fail_every=3, failing_calls=1)
    batch = entries(7)
    first = client.put_records(StreamName="s", Records=batch)
    assert first["FailedRecordCount"] == 3
    assert [("ErrorCode" in r) for r in first["Records"]] == [i % 3 == 0 for i in range(7)]
    assert first["Records"][0]["ErrorCode"] == SIMULATED_ERROR_CODE
    assert "SIMULATED" in first["Records"][0]["ErrorMessage"]
    sleep = client.sleep()
    sleep(0.2)
    retry = [batch[i] for i in (0, 3, 6)]
    assert client.put_records(StreamName="s", Records=retry)["FailedRecordCount"] == 0
    assert len(stream_records(lab.kinesis, "s")) == 7
    assert sleep.delays == [0.2]
    assert client.report() == {
        "calls": 2,
        "entries_sent": 10,
        "resent_successes": 0,
        "waited_before_every_retry": True,
    }
    assert client.describe_stream_summary(StreamName="s")  # everything else passes through


def test_the_report_catches_resent_successes_and_retries_without_waiting(lab):
    lab.create_stream("s", shard_count=1)
    client = PartialFailureClient(lab.kinesis, fail_every=2, failing_calls=1)
    batch = entries(4)
    client.put_records(StreamName="s", Records=batch)
    client.put_records(StreamName="s", Records=batch)  # everything again, at once
    report = client.report()
    assert report["resent_successes"] == 2 and report["waited_before_every_retry"] is False


def test_run_quietly_turns_an_exception_into_an_observation():
    assert run_quietly(int, "7") == (7, None)
    result, error = run_quietly(int, "x")
    assert result is None and error.startswith("ValueError:")
