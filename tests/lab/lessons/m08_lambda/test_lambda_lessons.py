"""Lesson M8 helpers: synthetic Kinesis events, the learner checks, poison and lag scenarios.

The scenarios run the SIMULATION of the event source mapping on a mocked account (the fixtures
of test_sim_lambda_*.py); what is asserted is what the Lambda Developer Guide documents
(F34-F40): a failed batch is retried whole, bisected, or retried from the reported record.
"""

from __future__ import annotations

import base64
import json

import pytest
from botocore.session import get_session

from kinesis_lab.core import clock
from kinesis_lab.core.facts import (
    ESM_BATCH_SIZE_DEFAULT,
    ESM_BATCHING_WINDOW_MAX_SECONDS,
    ESM_MAX_RECORD_AGE_MAX_SECONDS,
    ESM_TUMBLING_WINDOW_MAX_SECONDS,
)
from kinesis_lab.data import decode
from kinesis_lab.lessons.m08_lambda_scenarios import (
    CHECK_FAILURES,
    CHECK_STREAM,
    ESM_PARAMETERS,
    POISON_DATA,
    POISON_MODES,
    FraudScoringAPI,
    ScoringUnavailable,
    SteadyProducer,
    _reprocessed,
    _Trace,
    batchers_by_key,
    check_decode,
    check_partial_batch_handler,
    compare_runs,
    concurrent_rounds,
    destination_documents,
    fresh_queue,
    invocation_table,
    make_context,
    make_event,
    out_of_order_keys,
    parameter_table,
    positions_text,
    records_of_batch_info,
    run_poison_scenario,
    run_slow_consumer,
    run_with_producer,
    score_payment,
    scoring_api,
    sequence_numbers_of,
    synthetic_sequence_numbers,
    write_readings_with_poison,
)
from kinesis_lab.simulation.lambda_esm import EventSourceMapping

# --- the parameter table (F34-F40) ----------------------------------------------------------


def test_numeric_ranges_agree_with_the_lambda_api_model():
    shape = (
        get_session()
        .get_service_model("lambda")
        .operation_model("CreateEventSourceMapping")
        .input_shape
    )
    numeric = [p for p in ESM_PARAMETERS if p.maximum is not None]
    assert {p.name for p in numeric} == {
        "BatchSize",
        "MaximumBatchingWindowInSeconds",
        "ParallelizationFactor",
        "MaximumRetryAttempts",
        "MaximumRecordAgeInSeconds",
        "TumblingWindowInSeconds",
    }
    for parameter in numeric:
        bounds = shape.members[parameter.name].metadata
        assert (parameter.minimum, parameter.maximum) == (bounds["min"], bounds["max"])


def test_the_table_states_the_fact_sheet_values():
    by_name = {p.name: p for p in ESM_PARAMETERS}
    assert by_name["BatchSize"].default == ESM_BATCH_SIZE_DEFAULT == 100
    assert by_name["BatchSize"].maximum == 10_000
    assert by_name["MaximumBatchingWindowInSeconds"].maximum == ESM_BATCHING_WINDOW_MAX_SECONDS
    assert by_name["ParallelizationFactor"].maximum == 10
    assert by_name["MaximumRecordAgeInSeconds"].maximum == ESM_MAX_RECORD_AGE_MAX_SECONDS
    assert "60–604,800" in by_name["MaximumRecordAgeInSeconds"].allowed
    assert by_name["TumblingWindowInSeconds"].maximum == ESM_TUMBLING_WINDOW_MAX_SECONDS
    assert "S3" in by_name["DestinationConfig.OnFailure"].allowed
    text = parameter_table()
    for parameter in ESM_PARAMETERS:
        assert parameter.name in text
    assert [p.fact for p in ESM_PARAMETERS] == [
        "F34",
        "F36",
        "F10",
        "F35",
        "F39",
        "F37",
        "F37",
        "F40",
        "F39",
        "F38",
    ]


# --- synthetic events -----------------------------------------------------------------------


def test_synthetic_sequence_numbers_look_like_aws_and_increase():
    numbers = synthetic_sequence_numbers(5)
    assert all(len(n) == 56 and n.isdigit() for n in numbers)
    assert [int(n) for n in numbers] == sorted(int(n) for n in numbers)
    assert len(set(numbers)) == 5
    assert set(numbers).isdisjoint(synthetic_sequence_numbers(5, shard_index=1))
    assert synthetic_sequence_numbers(0) == []
    with pytest.raises(ValueError):
        synthetic_sequence_numbers(-1)


def test_make_event_has_the_lambda_shape_with_base64_data():
    payloads = [{"device_id": "dev-1", "t": 20.5}, {"device_id": "dev-2", "t": 21}]
    event = make_event(payloads, partition_key="device_id", shard_id="shardId-000000000003")
    assert list(event) == ["Records"]
    first = event["Records"][0]
    assert first["eventSource"] == "aws:kinesis"
    assert first["eventName"] == "aws:kinesis:record"
    assert first["kinesis"]["partitionKey"] == "dev-1"
    number = first["kinesis"]["sequenceNumber"]
    assert first["eventID"] == f"shardId-000000000003:{number}"
    assert json.loads(base64.b64decode(first["kinesis"]["data"])) == payloads[0]
    assert first["eventSourceARN"].endswith(":stream/lab-sample-stream")
    assert [decode(r) for r in event["Records"]] == payloads
    assert sequence_numbers_of(event) == synthetic_sequence_numbers(2)


def test_make_event_takes_bytes_text_and_key_functions():
    event = make_event([b"\xff not json", "plain text"], partition_key=lambda p: "k")
    assert base64.b64decode(event["Records"][0]["kinesis"]["data"]) == b"\xff not json"
    assert base64.b64decode(event["Records"][1]["kinesis"]["data"]) == b"plain text"
    assert {r["kinesis"]["partitionKey"] for r in event["Records"]} == {"k"}
    default_keys = [r["kinesis"]["partitionKey"] for r in make_event([{}, {}])["Records"]]
    assert default_keys == ["key-0", "key-1"]
    with pytest.raises(ValueError):
        make_event([{}, {}], sequence_numbers=["1"])


def test_a_synthetic_record_has_the_fields_the_mapping_sends(aws):
    stream = aws.stream()
    aws.put(stream, 1)
    seen = []
    aws.mapping(stream, lambda event, context: seen.append(event)).run_until_idle()
    sent = seen[0]["Records"][0]
    made = make_event(["x"])["Records"][0]
    assert set(made) == set(sent)
    assert set(made["kinesis"]) == set(sent["kinesis"])


def test_make_context_counts_down_on_the_lab_clock(aws):
    context = make_context("my-fn", timeout_seconds=10)
    assert context.function_name == "my-fn"
    assert context.invoked_function_arn.endswith(":function:my-fn")
    assert context.get_remaining_time_in_millis() == 10_000
    clock.advance(4)
    assert context.get_remaining_time_in_millis() == 6_000


# --- check_decode ---------------------------------------------------------------------------


def right_decode(record):
    return json.loads(base64.b64decode(record["kinesis"]["data"]))


@pytest.mark.parametrize(
    ("function", "expected", "says"),
    [
        (right_decode, True, "All 3 records decoded."),
        (lambda record: ..., False, "not yet"),
        (lambda record: record["kinesis"]["data"], False, "still base64"),
        (lambda record: base64.b64decode(record["kinesis"]["data"]), False, "json.loads"),
        (lambda record: json.loads(record["data"]), False, 'record["kinesis"]["data"]'),
        (lambda record: record["kinesis"], False, "metadata"),
        (lambda record: json.loads(record["kinesis"]["data"]), False, "base64-decode"),
    ],
    ids=["right", "blank", "base64 text", "bytes", "wrong key", "whole kinesis", "no b64"],
)
def test_check_decode(function, expected, says, capsys):
    assert check_decode(function) is expected
    assert says in capsys.readouterr().out


# --- the scoring API and the partial batch response check -----------------------------------


def test_the_scoring_api_fails_a_payment_a_set_number_of_times():
    api = FraudScoringAPI()
    api.reset({"t1": 2})
    payment = {"txn_id": "t1", "amount": 250.0}
    for _ in range(2):
        with pytest.raises(ScoringUnavailable):
            api.score(payment)
    assert api.score(payment) == 0.25
    assert api.score({"txn_id": "t2", "amount": 5000}) == 1.0
    assert api.calls == [("t1", False), ("t1", False), ("t1", True), ("t2", True)]
    assert api.scored == {"t1": 1, "t2": 1}
    api.reset()
    assert api.calls == [] and not api.scored


def right_handler(event, context):
    for record in event["Records"]:
        try:
            score_payment(decode(record))
        except ScoringUnavailable:
            return {"batchItemFailures": [{"itemIdentifier": record["kinesis"]["sequenceNumber"]}]}
    return {"batchItemFailures": []}


def blank_handler(event, context):
    for record in event["Records"]:
        try:
            score_payment(decode(record))
        except ScoringUnavailable:
            return ...
    return {"batchItemFailures": []}


def raising_handler(event, context):
    for record in event["Records"]:
        score_payment(decode(record))


def event_id_handler(event, context):
    for record in event["Records"]:
        try:
            score_payment(decode(record))
        except ScoringUnavailable:
            return {"batchItemFailures": [{"itemIdentifier": record["eventID"]}]}


def swallowing_handler(event, context):
    for record in event["Records"]:
        try:
            score_payment(decode(record))
        except ScoringUnavailable:
            pass
    return {"batchItemFailures": []}


def first_record_handler(event, context):
    for record in event["Records"]:
        try:
            score_payment(decode(record))
        except ScoringUnavailable:
            first = event["Records"][0]["kinesis"]["sequenceNumber"]
            return {"batchItemFailures": [{"itemIdentifier": first}]}


def carry_on_handler(event, context):
    failed = []
    for record in event["Records"]:
        try:
            score_payment(decode(record))
        except ScoringUnavailable:
            failed.append({"itemIdentifier": record["kinesis"]["sequenceNumber"]})
    return {"batchItemFailures": failed}


def small_batches_only_handler(event, context):
    """Right on the 5-record sample; raises (whole batch retried) on bigger batches."""
    if len(event["Records"]) > 5:
        return raising_handler(event, context)
    return right_handler(event, context)


def head_failure_ignored_handler(event, context):
    """Right unless the failing record opens the batch: then it reports nothing (lost)."""
    for index, record in enumerate(event["Records"]):
        try:
            score_payment(decode(record))
        except ScoringUnavailable:
            if index == 0:
                return {"batchItemFailures": []}
            return {"batchItemFailures": [{"itemIdentifier": record["kinesis"]["sequenceNumber"]}]}
    return {"batchItemFailures": []}


def no_scoring_handler(event, context):
    return {"batchItemFailures": []}


def test_a_right_handler_passes_every_check(aws, capsys):
    assert check_partial_batch_handler(right_handler, aws.kinesis) is True
    out = capsys.readouterr().out
    assert out.count("✓") == 4 and "✗" not in out
    assert "All checks passed." in out
    assert CHECK_STREAM not in aws.kinesis.list_streams()["StreamNames"]  # cleaned up
    assert scoring_api.calls == [] and scoring_api.fail_first == {}


@pytest.mark.parametrize(
    ("handler", "says"),
    [
        (blank_handler, "not yet"),
        (raising_handler, "ScoringUnavailable escaped"),
        (event_id_handler, "not its eventID"),
        (swallowing_handler, "reports no failure"),
        (first_record_handler, "before the failed one"),
        (carry_on_handler, "payment(s) after a failure were scored twice"),
        (small_batches_only_handler, "that had succeeded were scored again"),
        (head_failure_ignored_handler, "never scored"),
        (no_scoring_handler, "reports no failure"),
    ],
    ids=[
        "blank",
        "raises",
        "eventID",
        "swallows",
        "first record",
        "carries on",
        "whole batch retried",
        "loses a record",
        "never scores",
    ],
)
def test_wrong_handlers_are_told_what_went_wrong(aws, capsys, handler, says):
    assert check_partial_batch_handler(handler, aws.kinesis) is False
    assert says in capsys.readouterr().out
    assert CHECK_STREAM not in aws.kinesis.list_streams()["StreamNames"]


def test_the_check_never_raises(aws, capsys):
    def broken(event, context):
        return {"batchItemFailures": {1, 2}}  # not JSON

    assert check_partial_batch_handler(broken, aws.kinesis) is False
    assert check_partial_batch_handler(right_handler, kinesis=None) is False
    assert "could not check" in capsys.readouterr().out


def test_the_check_plants_failures_at_batch_boundaries():
    # positions 10 and 20 open a batch of 10; 19 and 20 straddle a boundary; 10 fails twice
    assert {10, 20} <= set(CHECK_FAILURES)
    assert CHECK_FAILURES[10] == 2


def test_reprocessed_splits_repeats_by_where_they_stood():
    first = _Trace(["a", "b", "c", "d"], [("a", True), ("b", False)])
    retry = _Trace(["b", "c", "d"], [("b", True), ("c", True), ("d", True)])
    assert _reprocessed([first, retry]) == (set(), set())
    whole = _Trace(["a", "b", "c"], [("a", True), ("b", True), ("c", True)])
    assert _reprocessed([first, whole]) == ({"a"}, set())
    carried = _Trace(["a", "b", "c"], [("a", True), ("b", False), ("c", True)])
    again = _Trace(["b", "c"], [("b", True), ("c", True)])
    assert _reprocessed([carried, again]) == (set(), {"c"})


# --- poison records -------------------------------------------------------------------------


def test_write_readings_with_poison(aws):
    numbers = write_readings_with_poison(aws.kinesis, "p", count=12, poison_at=(3, 7))
    records = aws.kinesis.get_records(
        ShardIterator=aws.kinesis.get_shard_iterator(
            StreamName="p", ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
    )["Records"]
    assert [r["SequenceNumber"] for r in records] == numbers
    assert [i for i, r in enumerate(records) if r["Data"] == POISON_DATA] == [3, 7]
    with pytest.raises(json.JSONDecodeError):
        json.loads(POISON_DATA)
    assert len(write_readings_with_poison(aws.kinesis, "p", count=5, poison_at=())) == 5
    with pytest.raises(ValueError):
        write_readings_with_poison(aws.kinesis, "p", count=5, poison_at=(5,))


@pytest.fixture
def poison_runs(aws):
    numbers = write_readings_with_poison(aws.kinesis, "p", count=40, poison_at=(15,))
    url, arn = fresh_queue(aws.sqs, "dlq")
    runs = {
        mode: run_poison_scenario(
            aws.kinesis,
            "p",
            numbers,
            (15,),
            mode,
            batch_size=10,
            max_retries=2,
            destination_arn=arn,
            clients=aws.clients,
        )
        for mode in POISON_MODES
    }
    return runs, url, numbers


def test_retrying_the_whole_batch_discards_its_valid_records(aws, poison_runs):
    runs, _, _ = poison_runs
    run = runs["retry whole batch"]
    assert run.discarded == list(range(10, 20))
    assert run.good_discarded == [10, 11, 12, 13, 14, 16, 17, 18, 19]
    assert run.never_stored == [16, 17, 18, 19]
    assert run.duplicates == [10, 11, 12, 13, 14]
    assert run.stored[10] == 3  # one try + two retries, each storing #10 before failing
    assert len(run.invocations) == 6
    assert run.blocked_seconds == 2.0


def test_bisecting_discards_only_the_poison_record(poison_runs):
    run = poison_runs[0]["bisect"]
    assert run.discarded == [15]
    assert run.good_discarded == [] and run.never_stored == []
    assert run.duplicates == [10, 11, 12, 13, 14]
    halves = [(i.first_sequence_number, i.records) for i in run.invocations if i.bisected]
    assert [records for _, records in halves][:5] == [5, 5, 3, 2, 1]


def test_reporting_the_failed_record_repeats_nothing(poison_runs):
    run = poison_runs[0]["ReportBatchItemFailures"]
    assert run.duplicates == []
    assert run.discarded == [15, 16, 17, 18, 19]
    assert run.never_stored == [16, 17, 18, 19]
    assert [i.outcome for i in run.invocations][1:4] == ["partial-failure"] * 3


def test_the_destination_gets_one_pointer_per_discard(aws, poison_runs):
    runs, url, numbers = poison_runs
    documents = destination_documents(aws.sqs, url)
    assert len(documents) == 3
    assert destination_documents(aws.sqs, url) == []  # read messages are deleted
    sizes = sorted(d["KinesisBatchInfo"]["batchSize"] for d in documents)
    assert sizes == [1, 5, 10]
    whole = next(d for d in documents if d["KinesisBatchInfo"]["batchSize"] == 10)
    assert "payload" not in whole  # SQS gets the pointer, not the records (F40)
    back = records_of_batch_info(aws.kinesis, "p", whole)
    assert [r["SequenceNumber"] for r in back] == numbers[10:20]
    table = compare_runs(runs.values())
    assert "#10–19" in table and "#16–19" in table and "#15" in table


def test_fresh_queue_starts_empty(aws):
    url, arn = fresh_queue(aws.sqs, "again")
    aws.sqs.send_message(QueueUrl=url, MessageBody="{}")
    url, arn = fresh_queue(aws.sqs, "again")
    assert arn.endswith(":again")
    assert destination_documents(aws.sqs, url) == []


def test_run_poison_scenario_refuses_unknown_modes(aws):
    with pytest.raises(ValueError):
        run_poison_scenario(aws.kinesis, "p", [], (), "skip it")


def test_positions_text():
    assert positions_text([10, 11, 12, 15]) == "#10–12, #15"
    assert positions_text([3]) == "#3"
    assert positions_text([]) == "—"


def test_invocation_table_shows_positions_and_limits(aws, poison_runs):
    run = poison_runs[0]["bisect"]
    text = invocation_table(run.esm, run.sequence_numbers, limit=4)
    lines = text.splitlines()
    assert lines[2].split()[5] == "#0–9"
    assert "#10–14" in text and "yes" in text
    assert lines[-1] == f"… and {len(run.invocations) - 4} more invocation(s)"
    assert "records" in invocation_table(run.esm)  # no positions without sequence numbers


# --- ParallelizationFactor ------------------------------------------------------------------


def test_parallel_batchers_keep_each_key_on_one_batcher(aws):
    stream = aws.stream()
    aws.put(stream, 60, key=lambda i: f"dev-{i % 6}")
    log = []

    def handler(event, context):
        for record in event["Records"]:
            n = int(base64.b64decode(record["kinesis"]["data"]).decode()[1:])
            log.append((record["kinesis"]["partitionKey"], n))

    esm = aws.mapping(stream, handler, BatchSize=5, ParallelizationFactor=3)
    esm.run_until_idle()
    lanes = batchers_by_key(esm.invocations)
    assert set(lanes) == {f"dev-{k}" for k in range(6)}
    assert all(len(batchers) == 1 for batchers in lanes.values())
    assert out_of_order_keys(log) == {}
    assert concurrent_rounds(esm.invocations) < len(esm.invocations)


def test_out_of_order_keys():
    log = [("a", 1), ("b", 1), ("a", 3), ("a", 2), ("b", 2), ("c", 1), ("c", 1)]
    assert out_of_order_keys(log) == {"a": [1, 3, 2], "c": [1, 1]}
    assert out_of_order_keys([]) == {}


# --- a producer that keeps writing; IteratorAge ---------------------------------------------


def test_the_producer_writes_each_tick_at_its_own_time(aws):
    stream = aws.stream()
    start = clock.now()
    producer = SteadyProducer(aws.kinesis, stream, records_per_second=4, tick=1.0)
    assert producer.advance(2.5) == start + 2.5
    assert producer.written == 12  # ticks at +0, +1 and +2 s
    records = aws.kinesis.get_records(
        ShardIterator=aws.kinesis.get_shard_iterator(
            StreamName=stream, ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
    )["Records"]
    arrivals = sorted({r["ApproximateArrivalTimestamp"].timestamp() - start for r in records})
    assert arrivals == [0.0, 1.0, 2.0]
    assert [json.loads(r["Data"])["n"] for r in records] == list(range(12))
    producer.advance(0.5)
    assert producer.written == 16  # the tick at +3 s


def test_run_with_producer_keeps_the_mapping_going_for_the_given_time(aws):
    stream = aws.stream()
    producer = SteadyProducer(aws.kinesis, stream, records_per_second=2)
    esm = EventSourceMapping(
        aws.kinesis,
        stream,
        lambda event, context: None,
        StartingPosition="LATEST",
        clients=aws.clients,
        publish_metrics=False,
    )
    start = clock.now()
    made = run_with_producer(esm, producer, seconds=10)
    assert clock.now() == pytest.approx(start + 10)
    assert sum(i.records for i in made) == producer.written - 2  # the last tick's records wait


def test_a_small_batch_with_a_fixed_cost_falls_behind_and_a_big_one_keeps_up(aws):
    slow = run_slow_consumer(aws.kinesis, "lag", batch_size=10, seconds_per_invocation=1.0)
    fast = run_slow_consumer(aws.kinesis, "lag", batch_size=100, seconds_per_invocation=1.0)
    assert slow.capacity_per_second == pytest.approx(10 / 1.05)
    assert fast.capacity_per_second == pytest.approx(100 / 1.5)
    assert slow.producer.written == fast.producer.written == 20 * 40 + 20
    assert slow.behind > 300 and slow.final_age_seconds > 15
    assert fast.behind <= 40 and fast.final_age_seconds < 4
    ages = [age for _, age in slow.ages]
    assert ages[-1] > ages[len(ages) // 2] > ages[0]  # IteratorAge climbs
    assert "at most 10 records/s vs 20 records/s written" in slow.describe()
    assert all(t >= 0 for t, _ in slow.ages)


def test_run_slow_consumer_passes_mapping_parameters(aws):
    run = run_slow_consumer(
        aws.kinesis,
        "lag",
        batch_size=50,
        seconds_per_invocation=0.0,
        seconds=5,
        FunctionName="lagging",
        clients=aws.clients,
        publish_metrics=True,
    )
    assert run.esm.configuration["FunctionArn"].endswith(":function:lagging")
    metrics = aws.cloudwatch.list_metrics(Namespace="AWS/Lambda")["Metrics"]
    assert metrics and metrics[0]["Dimensions"] == [{"Name": "FunctionName", "Value": "lagging"}]
