"""Errors in the simulated Kinesis event source mapping: a function error blocks the shard and
retries the whole batch until MaximumRetryAttempts or MaximumRecordAgeInSeconds (F37),
BisectBatchOnFunctionError isolates a poison record, ReportBatchItemFailures resumes from the
failed record (F39), and out-of-range parameters fail as boto3 and Lambda fail them (F34-F40).
"""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError, ParamValidationError
from sim_lambda_helpers import data_of

from kinesis_lab.core import clock
from kinesis_lab.simulation.lambda_config import (
    InvalidParameterValueException,
    ValidationException,
)

START = clock.DEFAULT_SIMULATED_START


class PoisonError(Exception):
    pass


def poison_handler(poison: set[str], log: list[list[str]]):
    """A handler that raises when a batch holds a poison record, and logs every batch."""

    def handler(event, context):
        batch = [data_of(r) for r in event["Records"]]
        log.append(batch)
        if poison & set(batch):
            raise PoisonError(f"cannot parse {sorted(poison & set(batch))}")

    return handler


def destination_documents(aws, url):
    messages = aws.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    return [json.loads(m["Body"]) for m in messages.get("Messages", [])]


def test_poison_record_blocks_the_shard_then_the_batch_goes_to_the_destination(aws):
    stream = aws.stream()
    numbers = aws.put(stream, 30)
    url, arn = aws.queue()
    log: list[list[str]] = []

    esm = aws.mapping(
        stream,
        poison_handler({"r15"}, log),
        BatchSize=10,
        MaximumRetryAttempts=2,
        DestinationConfig={"OnFailure": {"Destination": arn}},
    )
    esm.run_until_idle()

    second = [f"r{i}" for i in range(10, 20)]
    assert log == [[f"r{i}" for i in range(10)], second, second, second] + [
        [f"r{i}" for i in range(20, 30)]
    ]
    assert [(i.attempt, i.outcome) for i in esm.invocations[1:4]] == [
        (1, "function-error"),
        (2, "function-error"),
        (3, "function-error"),
    ]
    assert esm.invocations[1].error == "PoisonError: cannot parse ['r15']"
    (document,) = destination_documents(aws, url)
    assert document["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert document["requestContext"]["approximateInvokeCount"] == 3
    assert document["requestContext"]["requestId"] == esm.invocations[3].request_id
    assert document["responseContext"]["functionError"] == "Unhandled"
    info = document["KinesisBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"], info["batchSize"]) == (
        numbers[10],
        numbers[19],
        10,
    )
    assert [d.condition for d in esm.discards] == ["RetryAttemptsExhausted"]


def test_retries_wait_on_the_lab_clock_and_zero_retries_discard_at_once(aws):
    stream = aws.stream()
    aws.put(stream, 3)
    log: list[list[str]] = []

    esm = aws.mapping(stream, poison_handler({"r1"}, log), MaximumRetryAttempts=0)
    esm.run_until_idle()

    assert len(log) == 1
    assert esm.discards[0].approximate_invoke_count == 1
    assert esm.discards[0].destination is None  # no destination: the batch is simply lost


def test_bisect_isolates_the_poison_record_and_processes_the_rest(aws):
    stream = aws.stream()
    numbers = aws.put(stream, 8)
    url, arn = aws.queue()
    log: list[list[str]] = []

    esm = aws.mapping(
        stream,
        poison_handler({"r5"}, log),
        BatchSize=8,
        BisectBatchOnFunctionError=True,
        MaximumRetryAttempts=1,
        DestinationConfig={"OnFailure": {"Destination": arn}},
    )
    esm.run_until_idle()

    assert log[:5] == [
        [f"r{i}" for i in range(8)],  # fails: split 4 + 4
        ["r0", "r1", "r2", "r3"],
        ["r4", "r5", "r6", "r7"],  # fails: split 2 + 2
        ["r4", "r5"],  # fails: split 1 + 1
        ["r4"],
    ]
    assert log[5:] == [["r5"], ["r5"], ["r6", "r7"]]  # r5: 1 try + 1 retry, then discarded
    succeeded = {
        data
        for invocation, batch in zip(esm.invocations, log, strict=True)
        if invocation.outcome == "success"
        for data in batch
    }
    assert succeeded == {f"r{i}" for i in range(8)} - {"r5"}
    assert [i.bisected for i in esm.invocations] == [False] + [True] * 7
    (document,) = destination_documents(aws, url)
    info = document["KinesisBatchInfo"]
    assert info["batchSize"] == 1
    assert info["startSequenceNumber"] == info["endSequenceNumber"] == numbers[5]
    assert document["requestContext"]["approximateInvokeCount"] == 2


def test_report_batch_item_failures_resumes_from_the_lowest_failed_record(aws):
    stream = aws.stream()
    numbers = aws.put(stream, 10)
    log: list[list[str]] = []

    def handler(event, context):
        batch = [data_of(r) for r in event["Records"]]
        log.append(batch)
        if len(log) == 1:  # r4 and r7 fail the first time; Lambda keeps the lowest
            failed = [event["Records"][i]["kinesis"]["sequenceNumber"] for i in (7, 4)]
            return {"batchItemFailures": [{"itemIdentifier": n} for n in failed]}
        return {"batchItemFailures": []}

    esm = aws.mapping(
        stream, handler, BatchSize=10, FunctionResponseTypes=["ReportBatchItemFailures"]
    )
    esm.run_until_idle()

    assert log == [[f"r{i}" for i in range(10)], [f"r{i}" for i in range(4, 10)]]
    assert esm.invocations[0].outcome == "partial-failure"
    assert esm.invocations[1].first_sequence_number == numbers[4]
    assert esm.invocations[1].attempt == 2
    assert esm.discards == []


def test_a_partial_batch_response_is_ignored_without_report_batch_item_failures(aws):
    stream = aws.stream()
    aws.put(stream, 3)
    log: list[int] = []

    def handler(event, context):
        log.append(len(event["Records"]))
        first = event["Records"][0]["kinesis"]["sequenceNumber"]
        return {"batchItemFailures": [{"itemIdentifier": first}]}

    esm = aws.mapping(stream, handler)
    esm.run_until_idle()

    assert log == [3]
    assert esm.invocations[0].outcome == "success"


@pytest.mark.parametrize(
    "response",
    [None, {}, {"batchItemFailures": []}, {"batchItemFailures": None}],
    ids=["null response", "empty response", "empty list", "null list"],
)
def test_documented_complete_successes(aws, response):
    stream = aws.stream()
    aws.put(stream, 3)

    esm = aws.mapping(
        stream, lambda event, context: response, FunctionResponseTypes=["ReportBatchItemFailures"]
    )
    esm.run_until_idle()

    assert [i.outcome for i in esm.invocations] == ["success"]


@pytest.mark.parametrize(
    "failures",
    [[{"itemIdentifier": ""}], [{"itemIdentifier": None}], [{"itemId": "BAD-KEY"}]],
    ids=["empty identifier", "null identifier", "bad key name"],
)
def test_documented_complete_failures_retry_the_whole_batch(aws, failures):
    stream = aws.stream()
    aws.put(stream, 3)
    log: list[int] = []

    def handler(event, context):
        log.append(len(event["Records"]))
        return {"batchItemFailures": failures}

    esm = aws.mapping(
        stream,
        handler,
        MaximumRetryAttempts=1,
        FunctionResponseTypes=["ReportBatchItemFailures"],
    )
    esm.run_until_idle()

    assert log == [3, 3]
    assert {i.outcome for i in esm.invocations} == {"invalid-response"}
    assert [d.condition for d in esm.discards] == ["RetryAttemptsExhausted"]


def test_records_older_than_the_maximum_age_are_discarded_without_an_invocation(aws):
    stream = aws.stream()
    aws.put(stream, 5, prefix="old")
    aws.clock.advance(120)
    aws.put(stream, 2, prefix="new")
    log: list[list[str]] = []

    esm = aws.mapping(stream, poison_handler(set(), log), MaximumRecordAgeInSeconds=60)
    esm.run_until_idle()

    assert log == [["new0", "new1"]]
    (discard,) = esm.discards
    assert (discard.condition, len(discard.sequence_numbers)) == ("RecordAgeExceeded", 5)
    assert discard.approximate_invoke_count == 0


def test_maximum_record_age_ends_infinite_retries(aws):
    stream = aws.stream()
    aws.put(stream, 2)
    log: list[list[str]] = []

    esm = aws.mapping(
        stream, poison_handler({"r0"}, log), MaximumRecordAgeInSeconds=60
    )  # MaximumRetryAttempts stays -1: infinite
    esm.run_until_idle(max_seconds=3600)

    assert 55 <= len(log) <= 62  # one retry a second for about a minute
    assert all(i.started_at - START <= 60 for i in esm.invocations)
    (discard,) = esm.discards
    assert discard.condition == "RecordAgeExceeded"
    assert discard.approximate_invoke_count == len(log)


def test_a_handler_slower_than_its_timeout_fails(aws):
    stream = aws.stream()
    aws.put(stream, 1)

    def handler(event, context):
        clock.advance(context.get_remaining_time_in_millis() / 1000 + 1)

    esm = aws.mapping(stream, handler, Timeout=3, MaximumRetryAttempts=0)
    esm.run_until_idle()

    assert esm.invocations[0].outcome == "timeout"
    assert esm.invocations[0].error == "Task timed out after 3.00 seconds"


def test_a_failing_key_blocks_only_its_own_batcher(aws):
    """F35: with ParallelizationFactor the poison key's batcher retries while the others go on."""
    stream = aws.stream()
    keys = [f"k{n}" for n in range(8)]
    aws.put(stream, 80, key=lambda i: keys[i % 8])
    log: list[list[str]] = []

    esm = aws.mapping(
        stream,
        poison_handler({"r3"}, log),
        BatchSize=5,
        ParallelizationFactor=4,
        MaximumRetryAttempts=3,
    )
    esm.run_until_idle()

    failures = [i for i in esm.invocations if i.outcome == "function-error"]
    blocked = failures[0].lane
    assert len(failures) == 4 and {i.lane for i in failures} == {blocked}
    others = [i for i in esm.invocations if i.lane != blocked]
    assert others and all(i.outcome == "success" for i in others)
    blocked_keys = {k for i in esm.invocations if i.lane == blocked for k in i.partition_keys}
    assert sum(i.records for i in others) == sum(
        1 for n in range(80) if keys[n % 8] not in blocked_keys
    )
    assert any(failures[0].number < i.number < failures[-1].number for i in others)
    assert [d.condition for d in esm.discards] == ["RetryAttemptsExhausted"]


# ---------------------------------------------------------------------------------------------
# Parameters (F34-F40), as boto3 (client side) and Lambda (server side) check them
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("parameter", "value", "message"),
    [
        (
            "BatchSize",
            10_001,
            "1 validation error detected: Value '10001' at 'batchSize' failed to satisfy "
            "constraint: Member must have value less than or equal to 10000",
        ),
        (
            "ParallelizationFactor",
            11,
            "1 validation error detected: Value '11' at 'parallelizationFactor' failed to "
            "satisfy constraint: Member must have value less than or equal to 10",
        ),
        (
            "MaximumBatchingWindowInSeconds",
            301,
            "1 validation error detected: Value '301' at 'maximumBatchingWindowInSeconds' "
            "failed to satisfy constraint: Member must have value less than or equal to 300",
        ),
        ("MaximumRetryAttempts", 10_001, None),
        ("MaximumRecordAgeInSeconds", 604_801, None),
        ("TumblingWindowInSeconds", 901, None),
        ("StartingPosition", "EARLIEST", None),
        ("FunctionResponseTypes", ["ReportItemFailures"], None),
    ],
)
def test_values_outside_the_lambda_model_are_a_validation_exception(aws, parameter, value, message):
    stream = aws.stream()
    with pytest.raises(ValidationException) as raised:
        aws.mapping(stream, lambda e, c: None, **{parameter: value})
    error = raised.value
    assert isinstance(error, ClientError)
    assert error.response["Error"]["Code"] == "ValidationException"
    assert error.operation_name == "CreateEventSourceMapping"
    if message:
        assert error.response["Error"]["Message"] == message


@pytest.mark.parametrize(
    ("parameter", "value"),
    [
        ("BatchSize", 0),
        ("ParallelizationFactor", 0),
        ("MaximumBatchingWindowInSeconds", -1),
        ("MaximumRetryAttempts", -2),
        ("BatchSize", 1.5),
    ],
)
def test_values_below_the_model_minimum_fail_in_boto3_before_any_request(aws, parameter, value):
    stream = aws.stream()
    with pytest.raises(ParamValidationError, match=parameter):
        aws.mapping(stream, lambda e, c: None, **{parameter: value})


@pytest.mark.parametrize(
    "parameters",
    [
        {"MaximumRecordAgeInSeconds": 59},
        {"MaximumRecordAgeInSeconds": 0},
        {"StartingPosition": None},
        {"StartingPosition": "AT_TIMESTAMP"},
        {"StartingPosition": "LATEST", "StartingPositionTimestamp": START},
        {"DestinationConfig": {"OnFailure": {"Destination": "arn:aws:lambda:us-east-1:1:f"}}},
        {"DestinationConfig": {"OnSuccess": {"Destination": "arn:aws:sqs:us-east-1:1:q"}}},
    ],
)
def test_values_lambda_refuses_for_kinesis_are_invalid_parameter_values(aws, parameters):
    stream = aws.stream()
    with pytest.raises(InvalidParameterValueException) as raised:
        aws.mapping(stream, lambda e, c: None, **parameters)
    assert raised.value.response["Error"]["Code"] == "InvalidParameterValueException"


def test_the_documented_maxima_and_minima_are_accepted(aws):
    stream = aws.stream()
    esm = aws.mapping(
        stream,
        lambda e, c: None,
        BatchSize=10_000,
        ParallelizationFactor=10,
        MaximumBatchingWindowInSeconds=300,
        MaximumRetryAttempts=10_000,
        MaximumRecordAgeInSeconds=604_800,
        TumblingWindowInSeconds=900,
    )
    assert esm.configuration["BatchSize"] == 10_000
    low = aws.mapping(
        stream,
        lambda e, c: None,
        BatchSize=1,
        MaximumRetryAttempts=-1,
        MaximumRecordAgeInSeconds=60,
    )
    assert (low.settings.maximum_retry_attempts, low.settings.maximum_record_age_seconds) == (
        -1,
        60,
    )
