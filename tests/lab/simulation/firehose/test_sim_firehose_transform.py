"""The Firehose Lambda transformation contract (F46), simulated: the event Firehose sends, the
response it checks, Ok / Dropped / ProcessingFailed, retries, and processing-failed output."""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest
from botocore.exceptions import ClientError
from firehose_sim_helpers import (
    LAMBDA_ARN,
    NEWLINES,
    START_MS,
    Lab,
    create_stream,
    error_code,
    hints,
    json_lines,
    objects,
    processors,
    put,
)

from kinesis_lab.simulation import firehose

FAILURE_FIELDS = {
    "attemptsMade",
    "arrivalTimestamp",
    "errorCode",
    "errorMessage",
    "attemptEndingTimestamp",
    "rawData",
    "lambdaArn",
}


def lambda_processor(**parameters: str) -> tuple[str, dict[str, str]]:
    return ("Lambda", {"LambdaArn": LAMBDA_ARN, **parameters})


def create_transformed(aws: Lab, name: str, *extra: tuple[str, dict[str, str]], **settings: Any):
    return create_stream(
        aws,
        name,
        BufferingHints=hints(1, 60),
        ProcessingConfiguration=processors(lambda_processor(), *extra),
        **settings,
    )


def by_verb(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A transform a learner might write: keep (upper-cased), drop or fail by the first word."""
    answers = []
    for record in event["records"]:
        verb, _, text = base64.b64decode(record["data"]).decode().partition(":")
        result = {"keep": "Ok", "drop": "Dropped"}.get(verb, "ProcessingFailed")
        data = base64.b64encode(text.upper().encode()).decode()
        answers.append({"recordId": record["recordId"], "result": result, "data": data})
    return {"records": answers}


def test_ok_dropped_and_processing_failed_are_split(aws: Lab) -> None:
    """Ok records are delivered transformed, Dropped ones vanish, ProcessingFailed ones land in
    processing-failed/ in the documented JSON shape. The transform buffer (60 s by default,
    F46) comes before the destination buffer (here 60 s too)."""
    events = []

    def recording(event: dict[str, Any], context: Any) -> dict[str, Any]:
        events.append(event)
        return by_verb(event, context)

    firehose.register_transform(LAMBDA_ARN, recording)
    arn = create_transformed(aws, "verbs", NEWLINES)
    record_ids = put(aws, "verbs", b"keep:one", b"drop:two", b"fail:three", b"keep:four")

    aws.clock.advance(59)
    assert events == [] and objects(aws.s3) == {}
    aws.clock.advance(1)  # transform interval reached: invoked now; failures written at once
    [(failed_key, failed_body)] = objects(aws.s3).items()
    [event] = events
    assert set(event) == {"invocationId", "deliveryStreamArn", "region", "records"}
    assert (event["deliveryStreamArn"], event["region"]) == (arn, "us-east-1")
    assert [r["recordId"] for r in event["records"]] == record_ids
    assert {r["approximateArrivalTimestamp"] for r in event["records"]} == {START_MS}
    assert base64.b64decode(event["records"][0]["data"]) == b"keep:one"
    assert re.match(r"processing-failed/2026/01/15/09/verbs-1-2026-01-15-09-01-00-", failed_key)
    [failure] = json_lines(failed_body)
    assert set(failure) == FAILURE_FIELDS
    assert failure["attemptsMade"] == 1
    assert failure["errorCode"] == "Lambda.ProcessingFailedStatus"
    assert base64.b64decode(failure["rawData"]) == b"fail:three"
    assert failure["lambdaArn"] == LAMBDA_ARN
    assert failure["arrivalTimestamp"] == START_MS
    assert failure["attemptEndingTimestamp"] == START_MS + 60_000

    aws.clock.advance(60)  # destination interval, counted from when the batch was transformed
    delivered = objects(aws.s3, "2026/")
    assert list(delivered.values()) == [b"ONE\nFOUR\n"]
    assert firehose.buffer_state("verbs")["transform_invocations"] == 1


def test_a_function_that_raises_is_retried_then_every_record_fails(aws: Lab) -> None:
    """F46: 3 retries by default (4 attempts), then the whole batch goes to processing-failed."""
    calls = []

    def broken(event: dict[str, Any], context: Any) -> dict[str, Any]:
        calls.append(event["invocationId"])
        raise RuntimeError("bug in the transform")

    firehose.register_transform(LAMBDA_ARN, broken)
    create_transformed(aws, "broken")
    put(aws, "broken", b"a", b"b")
    assert firehose.deliver_now("broken") == 0

    assert len(calls) == 4
    failures = [doc for body in objects(aws.s3).values() for doc in json_lines(body)]
    assert [base64.b64decode(f["rawData"]) for f in failures] == [b"a", b"b"]
    assert {(f["attemptsMade"], f["errorCode"]) for f in failures} == {(4, "Lambda.FunctionError")}
    assert all(key.startswith("processing-failed/") for key in objects(aws.s3))


def test_number_of_retries_and_a_malformed_response(aws: Lab) -> None:
    """An answer that is not the documented JSON fails the invocation like an exception."""
    calls = []

    def malformed(event: dict[str, Any], context: Any) -> dict[str, Any]:
        calls.append(1)
        return {
            "records": [{"recordId": r["recordId"], "result": "Maybe"} for r in event["records"]]
        }

    firehose.register_transform(LAMBDA_ARN, malformed)
    create_stream(
        aws,
        "malformed",
        BufferingHints=hints(1, 60),
        ProcessingConfiguration=processors(lambda_processor(NumberOfRetries="1")),
    )
    put(aws, "malformed", b"x")
    firehose.deliver_now("malformed")
    assert len(calls) == 2
    [failure] = [doc for body in objects(aws.s3).values() for doc in json_lines(body)]
    assert (failure["attemptsMade"], failure["errorCode"]) == (2, "Lambda.JsonProcessingException")


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(lambda r: {"recordId": r["recordId"], "result": "Dropped"}, id="no-data"),
        pytest.param(
            lambda r: {"recordId": r["recordId"], "result": "ProcessingFailed", "data": "%%"},
            id="data-not-base64",
        ),
    ],
)
def test_every_record_needs_base64_data_whatever_its_result(aws: Lab, answer) -> None:
    """Firehose DG "Required parameters for data transformation": recordId, result and data
    for all transformed records, Dropped ones included."""
    firehose.register_transform(
        LAMBDA_ARN, lambda event, context: {"records": [answer(r) for r in event["records"]]}
    )
    create_transformed(aws, "strict")
    put(aws, "strict", b"x")
    firehose.deliver_now("strict")
    [failure] = [doc for body in objects(aws.s3).values() for doc in json_lines(body)]
    assert failure["errorCode"] == "Lambda.JsonProcessingException"


def test_a_handler_that_returns_json_text_sends_a_string_not_an_object(aws: Lab) -> None:
    """Lambda serialises the return value: ``return json.dumps({...})`` arrives as a JSON
    string, which Firehose cannot read as the records model."""
    import json

    def as_text(event: dict[str, Any], context: Any) -> str:
        return json.dumps(by_verb(event, context))

    firehose.register_transform(LAMBDA_ARN, as_text)
    create_transformed(aws, "text")
    put(aws, "text", b"keep:x")
    firehose.deliver_now("text")
    assert objects(aws.s3, "2026/") == {}
    [failure] = [doc for body in objects(aws.s3).values() for doc in json_lines(body)]
    assert failure["errorCode"] == "Lambda.JsonProcessingException"


def test_a_missing_record_id_fails_only_that_record(aws: Lab) -> None:
    def forgetful(event: dict[str, Any], context: Any) -> dict[str, Any]:
        first = event["records"][0]
        return {"records": [{"recordId": first["recordId"], "result": "Ok", "data": first["data"]}]}

    firehose.register_transform(LAMBDA_ARN, forgetful)
    create_transformed(aws, "forgetful")
    put(aws, "forgetful", b"kept", b"forgotten")
    firehose.deliver_now("forgetful")

    assert list(objects(aws.s3, "2026/").values()) == [b"kept"]
    [failure] = json_lines(next(iter(objects(aws.s3, "processing-failed/").values())))
    assert (failure["errorCode"], failure["attemptsMade"]) == ("Lambda.MissingRecordId", 1)
    assert base64.b64decode(failure["rawData"]) == b"forgotten"


def test_error_output_prefix_replaces_the_default_folder(aws: Lab) -> None:
    firehose.register_transform(LAMBDA_ARN, by_verb)
    create_transformed(
        aws, "custom-errors", ErrorOutputPrefix="errors/!{firehose:error-output-type}/"
    )
    put(aws, "custom-errors", b"fail:x")
    firehose.deliver_now("custom-errors")
    [key] = objects(aws.s3)
    assert key.startswith("errors/processing-failed/custom-errors-1-")


def test_the_transform_buffer_size_triggers_an_invocation_at_once(aws: Lab) -> None:
    """F46: the transform buffer (BufferSizeInMBs, here 1 MB) fills like the destination's."""
    invocations = []

    def counting(event: dict[str, Any], context: Any) -> dict[str, Any]:
        invocations.append(len(event["records"]))
        return by_verb(event, context)

    firehose.register_transform(LAMBDA_ARN, counting)
    create_stream(
        aws,
        "sized",
        BufferingHints=hints(5, 900),
        ProcessingConfiguration=processors(lambda_processor(BufferSizeInMBs="1")),
    )
    record = b"keep:" + b"k" * 1019  # 1 KiB
    for _ in range(4):
        put(aws, "sized", *[record] * 256)
    assert invocations == [1024]


def test_an_unregistered_function_fails_with_a_simulation_message(aws: Lab) -> None:
    create_transformed(aws, "unregistered")
    put(aws, "unregistered", b"x")
    firehose.deliver_now("unregistered")
    [failure] = json_lines(next(iter(objects(aws.s3).values())))
    assert "register_transform" in failure["errorMessage"]


@pytest.mark.parametrize(
    "parameters",
    [
        {"BufferSizeInMBs": "4"},
        {"BufferSizeInMBs": "0.1"},
        {"BufferIntervalInSeconds": "901"},
        {"NumberOfRetries": "-1"},
    ],
)
def test_transform_parameters_are_checked(aws: Lab, parameters: dict[str, str]) -> None:
    """F46 ranges: buffer 0.2-3 MB, interval 0-900 s."""
    with pytest.raises(ClientError) as error:
        create_stream(
            aws, "bad", ProcessingConfiguration=processors(lambda_processor(**parameters))
        )
    assert error_code(error) == "InvalidArgumentException"


def test_a_lambda_processor_needs_its_arn(aws: Lab) -> None:
    with pytest.raises(ClientError) as error:
        create_stream(aws, "no-arn", ProcessingConfiguration=processors(("Lambda", {})))
    assert error_code(error) == "InvalidArgumentException"
