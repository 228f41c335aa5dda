"""kinesis_lab.quiz.observe_capstones: what the capstone assignments' test cells observe."""

from __future__ import annotations

import json
from collections import Counter, defaultdict

from kinesis_lab.core import clock
from kinesis_lab.patterns.delivery import recreate_table
from kinesis_lab.quiz.observe import PartialFailureClient
from kinesis_lab.quiz.observe_capstones import (
    CallRecorder,
    LabClockSleep,
    detection_scores,
    keyed_stream_summary,
    lease_checkpoints,
    match_planted,
    order_violations,
    stream_consumers,
    stream_security,
    table_facts,
    window_summary,
)


def entry(payload, key):
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return {"Data": data, "PartitionKey": key}


def summary(lab, stream):
    return keyed_stream_summary(
        lab.kinesis,
        stream,
        id_field="id",
        key_field="account",
        time_field="ts",
        truth_fields=("is_fraud",),
    )


def test_order_violations_are_counted_per_key_in_read_order():
    records = [
        {"data": {"account": "a", "ts": 1}},
        {"data": {"account": "b", "ts": 5}},
        {"data": {"account": "a", "ts": 3}},
        {"data": {"account": "a", "ts": 2}},  # older than a's 3
        {"data": {"account": "b", "ts": 4}},  # older than b's 5
        {"data": {"account": "a", "ts": 2.5}},  # still older than a's 3
        {"data": None},
        {"data": {"account": "a", "ts": "late"}},
        {"data": {"ts": 0}},
    ]
    assert order_violations(records, "account", "ts") == 3
    assert order_violations([], "account", "ts") == 0


def test_a_stream_of_keyed_events_is_summarised(lab):
    assert summary(lab, "missing") is None
    lab.create_stream("s", shard_count=2)
    assert summary(lab, "s") is None
    events = [
        entry({"id": "t1", "account": "a", "ts": 1}, "a"),
        entry({"id": "t2", "account": "a", "ts": 2}, "a"),
        entry({"id": "t2", "account": "a", "ts": 2}, "a"),  # written twice
        entry({"id": "t3", "account": "b", "ts": 5, "is_fraud": False}, "b"),  # truth left in
        entry({"id": "t4", "account": "b", "ts": 4}, "b"),  # older than b's previous
        entry({"id": "t5", "account": "c", "ts": 9}, "t5"),  # keyed by the wrong field
        entry(b"not json", "d"),
    ]
    lab.kinesis.put_records(StreamName="s", Records=events)
    assert summary(lab, "s") == {
        "records": 7,
        "distinct": 5,
        "not_json_objects": 1,
        "payloads_with_truth": 1,
        "off_key": 2,
        "order_violations": 1,
    }


def test_lab_clock_sleep_records_the_wait_and_moves_the_simulated_clock(lab):
    lab.use_simulated_clock()
    lab.create_stream("s", shard_count=1)
    client = PartialFailureClient(lab.kinesis, fail_every=2, failing_calls=1)
    wait = LabClockSleep(client.events)
    before = clock.now()
    batch = [entry({"id": f"t{n}", "account": "a", "ts": n}, f"k{n}") for n in range(4)]
    failed = client.put_records(StreamName="s", Records=batch)
    wait(0.25)
    wait(-1)  # a negative wait is recorded but does not move time backwards
    retry = [e for e, r in zip(batch, failed["Records"], strict=True) if "ErrorCode" in r]
    client.put_records(StreamName="s", Records=retry)
    assert clock.now() == before + 0.25
    assert wait.delays == [0.25, -1.0]
    assert client.report()["waited_before_every_retry"] is True


def test_stream_security_and_consumers(lab):
    assert stream_security(lab.kinesis, "missing") is None
    assert stream_consumers(lab.kinesis, "missing") is None
    lab.create_stream("s", shard_count=2)
    assert stream_security(lab.kinesis, "s") == {
        "mode": "PROVISIONED",
        "open_shards": 2,
        "encryption": "NONE",
        "key_id": None,
    }
    assert stream_consumers(lab.kinesis, "s") == []
    lab.kinesis.start_stream_encryption(
        StreamName="s", EncryptionType="KMS", KeyId="alias/aws/kinesis"
    )
    # UPDATING until done: RegisterStreamConsumer needs an ACTIVE stream (F120)
    lab.kinesis.get_waiter("stream_exists").wait(StreamName="s", WaiterConfig={"Delay": 0.2})
    arn = lab.kinesis.describe_stream_summary(StreamName="s")["StreamDescriptionSummary"][
        "StreamARN"
    ]
    for name in ("zeta", "alpha"):
        lab.kinesis.register_stream_consumer(StreamARN=arn, ConsumerName=name)
    assert stream_security(lab.kinesis, "s")["encryption"] == "KMS"
    assert stream_security(lab.kinesis, "s")["key_id"] == "alias/aws/kinesis"
    assert stream_consumers(lab.kinesis, "s") == [  # F121: new consumers are CREATING
        {"name": "alpha", "status": "CREATING"},
        {"name": "zeta", "status": "CREATING"},
    ]
    lab.advance(1)
    assert stream_consumers(lab.kinesis, "s") == [
        {"name": "alpha", "status": "ACTIVE"},
        {"name": "zeta", "status": "ACTIVE"},
    ]


def test_tables_and_lease_checkpoints(lab):
    assert table_facts(lab.dynamodb, "missing") is None
    assert lease_checkpoints(lab.dynamodb, "missing") is None
    recreate_table(lab.dynamodb, "leases", "leaseKey")
    assert table_facts(lab.dynamodb, "leases") == {
        "key_schema": [["leaseKey", "HASH", "S"]],
        "billing_mode": "PAY_PER_REQUEST",
    }
    assert lease_checkpoints(lab.dynamodb, "leases") == {}
    lab.dynamodb.put_item(
        TableName="leases", Item={"leaseKey": {"S": "shard-1"}, "checkpoint": {"S": "49"}}
    )
    lab.dynamodb.put_item(TableName="leases", Item={"leaseKey": {"S": "shard-0"}})
    assert lease_checkpoints(lab.dynamodb, "leases") == {"shard-0": None, "shard-1": "49"}


def test_a_call_recorder_names_the_operations_and_passes_everything_on(lab):
    recreate_table(lab.dynamodb, "alerts", "txn_id")
    recorder = CallRecorder(lab.dynamodb)
    item = {"txn_id": {"S": "t1"}}
    recorder.put_item(TableName="alerts", Item=item)
    try:
        recorder.put_item(
            TableName="alerts", Item=item, ConditionExpression="attribute_not_exists(txn_id)"
        )
    except recorder.exceptions.ConditionalCheckFailedException:
        pass
    recorder.get_item(TableName="alerts", Key=item)
    assert recorder.calls == ["put_item", "put_item", "get_item"]
    assert recorder.meta.region_name == lab.region


def test_detection_scores_per_type_and_overall():
    truth = {"t1": "amount_outlier", "t2": "velocity_burst", "t3": "velocity_burst"}
    flagged = {"t1": "amount_outlier", "t2": "velocity_burst", "t9": "velocity_burst"}
    scores = detection_scores(flagged, truth)
    assert scores["amount_outlier"] == {"precision": 1.0, "recall": 1.0}
    assert scores["velocity_burst"] == {"precision": 0.5, "recall": 0.5}
    assert scores["impossible_travel"] == {"precision": 1.0, "recall": 1.0}  # nothing either way
    assert scores["all"] == {"precision": 0.6667, "recall": 0.6667}
    wrong_type = detection_scores({"t1": "velocity_burst"}, truth)
    assert wrong_type["velocity_burst"]["precision"] == 0.0
    assert wrong_type["amount_outlier"]["recall"] == 0.0
    assert wrong_type["all"] == {"precision": 1.0, "recall": 0.3333}
    assert detection_scores({}, truth)["all"] == {"precision": 1.0, "recall": 0.0}


def test_detection_scores_refuse_other_shapes():
    truth = {"t1": "amount_outlier"}

    class Liar(dict):
        def __eq__(self, other):
            return True

    assert detection_scores({"t1", "t2"}, truth) is None
    assert detection_scores({"t1": 1}, truth) is None
    assert detection_scores(object(), truth) is None
    assert detection_scores(None, truth) is None
    assert detection_scores(Liar(t1="amount_outlier"), truth)["all"]["recall"] == 1.0


def test_window_summary_reads_window_tables_of_several_shapes():
    table = {120_000: {"#a": 2}, 0: {"#a": 1, "#b": 3}, 60_000: {}}
    expected = {
        "windows": 3,
        "first_start_ms": 0,
        "last_start_ms": 120_000,
        "hashtags_counted": 6,
        "counts_of": {"#a": [1, 0, 2], "#b": [3, 0, 0]},
    }
    assert window_summary(table, ["#a", "#b"]) == expected
    as_text = {str(start): counts for start, counts in table.items()}
    assert window_summary(as_text, ["#a", "#b"]) == expected
    counted = defaultdict(Counter)
    for start, counts in table.items():
        counted[start].update(counts)
    assert window_summary(counted, ["#a", "#b"]) == expected
    assert window_summary({}, ["#a"]) is None
    assert window_summary([(0, {"#a": 1})], ["#a"]) is None
    assert window_summary({"zero": {"#a": 1}}, ["#a"]) is None
    assert window_summary({0: {"#a": 1.5}}, ["#a"]) is None
    assert window_summary({0: ["#a"]}, ["#a"]) is None


def test_detections_are_matched_with_planted_trends():
    planted = [
        {"hashtag": "#x", "start_ms": 50_000, "end_ms": 130_000},
        {"hashtag": "#y", "start_ms": 200_000, "end_ms": 260_000},
        {"hashtag": "#z", "start_ms": 300_000, "end_ms": 360_000},
    ]
    detections = [
        (60_000, "#x"),  # overlaps #x
        [120_000, "#x"],  # overlaps #x too
        [0, "#x"],  # 0–60 s overlaps #x's start at 50 s
        [180_000, "#x"],  # after #x ended: a false alarm
        [300_000, "#y"],  # #y's hashtag, but not its time
        [240_000, "#coffee"],
    ]
    assert match_planted(detections, planted, 60_000) == {
        "detected": [True, False, False],
        "false_alarms": 3,
    }
    assert match_planted([], planted, 60_000) == {
        "detected": [False, False, False],
        "false_alarms": 0,
    }
    for wrong in ({"#x"}, [["#x", 0]], [[0, "#x", 1]], [0, "#x"], None, "x"):
        assert match_planted(wrong, planted, 60_000) is None, wrong
