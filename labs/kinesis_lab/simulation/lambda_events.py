"""What a Lambda function receives from, and returns to, a Kinesis event source mapping.

SIMULATION support for :mod:`kinesis_lab.simulation.lambda_esm`. Why a module of its own: these
shapes are what a learner's handler and on-failure consumer parse, so each one is written
once, from the Lambda Developer Guide, and tested field by field:

- the event ("Using Lambda with Kinesis", example Kinesis record event): ``Records[].kinesis``
  with base64 ``data``, ``eventID`` = ``shardId-…:sequenceNumber``;
- the context object of the Python runtime (``aws_request_id``,
  ``get_remaining_time_in_millis()`` …);
- the partial batch response ``{"batchItemFailures": [{"itemIdentifier": seq}]}`` and its
  success and failure conditions (F39, "Configuring partial batch response with Kinesis");
- the invocation record sent to an on-failure destination (F40, "Retain discarded batch
  records for a Kinesis Data Streams event source"), with ``payload`` for S3 only, and the S3
  object key ``aws/lambda/<ESM-UUID>/<shardID>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<Random UUID>``.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from ..core import clock

KINESIS_SCHEMA_VERSION = "1.0"
EVENT_VERSION = "1.0"
INVOCATION_RECORD_VERSION = "1.0"
EXECUTED_VERSION = "$LATEST"
RETRY_ATTEMPTS_EXHAUSTED = "RetryAttemptsExhausted"
RECORD_AGE_EXCEEDED = "RecordAgeExceeded"


@dataclass(frozen=True)
class StreamRecord:
    """One Kinesis record as the mapping holds it, with its event entry ready to send."""

    shard_id: str
    sequence_number: str
    partition_key: str
    data: bytes
    arrival: float  # ApproximateArrivalTimestamp, epoch seconds
    event_record: dict[str, Any] = field(repr=False, compare=False)
    event_bytes: int = field(repr=False, compare=False)  # size in the invocation payload

    @property
    def sequence_int(self) -> int:
        return int(self.sequence_number)


def stream_record(
    get_records_entry: Mapping[str, Any],
    *,
    shard_id: str,
    region: str,
    stream_arn: str,
    invoke_identity_arn: str,
) -> StreamRecord:
    """A GetRecords entry (boto3 shape) turned into a record with its Lambda event entry."""
    arrival = get_records_entry["ApproximateArrivalTimestamp"]
    arrival_seconds = arrival.timestamp() if isinstance(arrival, datetime) else float(arrival)
    entry = kinesis_event_record(
        shard_id=shard_id,
        sequence_number=get_records_entry["SequenceNumber"],
        partition_key=get_records_entry["PartitionKey"],
        data=get_records_entry["Data"],
        arrival=arrival_seconds,
        region=region,
        stream_arn=stream_arn,
        invoke_identity_arn=invoke_identity_arn,
    )
    return StreamRecord(
        shard_id=shard_id,
        sequence_number=get_records_entry["SequenceNumber"],
        partition_key=get_records_entry["PartitionKey"],
        data=bytes(get_records_entry["Data"]),
        arrival=arrival_seconds,
        event_record=entry,
        event_bytes=len(json.dumps(entry)) + 2,  # ", " between entries
    )


def kinesis_event_record(
    *,
    shard_id: str,
    sequence_number: str,
    partition_key: str,
    data: bytes,
    arrival: float,
    region: str,
    stream_arn: str,
    invoke_identity_arn: str,
) -> dict[str, Any]:
    """One entry of ``event["Records"]``, keys in the order of the Lambda DG example."""
    return {
        "kinesis": {
            "kinesisSchemaVersion": KINESIS_SCHEMA_VERSION,
            "partitionKey": partition_key,
            "sequenceNumber": sequence_number,
            "data": base64.b64encode(data).decode("ascii"),
            "approximateArrivalTimestamp": round(arrival, 3),
        },
        "eventSource": "aws:kinesis",
        "eventVersion": EVENT_VERSION,
        "eventID": f"{shard_id}:{sequence_number}",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": invoke_identity_arn,
        "awsRegion": region,
        "eventSourceARN": stream_arn,
    }


def kinesis_event(records: Sequence[StreamRecord]) -> dict[str, Any]:
    """The event of one invocation: a batch from a single shard."""
    return {"Records": [record.event_record for record in records]}


EMPTY_EVENT_BYTES = len(json.dumps({"Records": []}))


def tumbling_window_event(
    event: dict[str, Any],
    *,
    start: float,
    seconds: int,
    state: Any,
    shard_id: str,
    stream_arn: str,
    final: bool,
) -> dict[str, Any]:
    """The event with a tumbling window's fields (F38, Lambda DG "KinesisTimeWindowEvent")."""
    return {
        **event,
        "window": {"start": _iso_seconds(start), "end": _iso_seconds(start + seconds)},
        "state": state,
        "shardId": shard_id,
        "eventSourceARN": stream_arn,
        "isFinalInvokeForWindow": final,
        "isWindowTerminatedEarly": False,
    }


def _iso_seconds(epoch_seconds: float) -> str:
    """``2020-12-09T07:04:00Z``: window bounds are whole seconds."""
    return datetime.fromtimestamp(epoch_seconds, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class LambdaContext:
    """The context object the Python runtime passes as the handler's second argument.

    ``get_remaining_time_in_millis()`` counts down on the lab clock from the function's
    Timeout, so a handler that advances a simulated clock sees its time run out.
    """

    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: str  # the Python runtime passes it as text
    aws_request_id: str
    deadline: float  # lab-clock epoch seconds
    function_version: str = EXECUTED_VERSION
    log_group_name: str = ""
    log_stream_name: str = ""
    identity: Any = None
    client_context: Any = None

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - clock.now()) * 1000))


def lambda_context(
    *, function_name: str, function_arn: str, memory_mb: int, timeout_seconds: float
) -> LambdaContext:
    request_id = str(uuid.uuid4())
    day = clock.now_datetime().strftime("%Y/%m/%d")
    return LambdaContext(
        function_name=function_name,
        invoked_function_arn=function_arn,
        memory_limit_in_mb=str(memory_mb),
        aws_request_id=request_id,
        deadline=clock.now() + timeout_seconds,
        log_group_name=f"/aws/lambda/{function_name}",
        log_stream_name=f"{day}/[{EXECUTED_VERSION}]{uuid.uuid4().hex}",
    )


# ---------------------------------------------------------------------------------------------
# Partial batch responses (F39)
# ---------------------------------------------------------------------------------------------


class InvalidBatchItemFailures(ValueError):
    """A partial batch response that Lambda treats as a complete failure of the batch."""


def reported_failures(response: Any, batch_sequence_numbers: Sequence[str]) -> list[str]:
    """The sequence numbers a handler reported as failed; ``[]`` means complete success.

    Follows "Success and failure conditions" (F39): an empty or null ``batchItemFailures``
    list, or an empty or null response, is a complete success; an empty or null
    ``itemIdentifier`` or a bad key name is a complete failure (raises
    :class:`InvalidBatchItemFailures`). Where the guide is silent — a response that is not a
    JSON object, a list that is not a list, or an identifier that is not in the batch — the
    simulation also treats the batch as failed rather than lose records.
    """
    if response is None:
        return []
    if not isinstance(response, Mapping):
        raise InvalidBatchItemFailures(
            f"the response is a {type(response).__name__}, not a JSON object"
        )
    failures = response.get("batchItemFailures")
    if failures is None:
        return []
    if not isinstance(failures, list):
        raise InvalidBatchItemFailures("batchItemFailures is not a list")
    in_batch = set(batch_sequence_numbers)
    reported = []
    for item in failures:
        if not isinstance(item, Mapping) or "itemIdentifier" not in item:
            raise InvalidBatchItemFailures(f"{item!r} has no itemIdentifier key")
        identifier = item["itemIdentifier"]
        if identifier is None or identifier == "":
            raise InvalidBatchItemFailures("an itemIdentifier is empty or null")
        if str(identifier) not in in_batch:
            raise InvalidBatchItemFailures(f"itemIdentifier {identifier} is not in this batch")
        reported.append(str(identifier))
    return reported


# ---------------------------------------------------------------------------------------------
# On-failure destinations (F40)
# ---------------------------------------------------------------------------------------------


def iso_millis(epoch_seconds: float) -> str:
    """``2019-11-14T00:38:06.021Z``: the timestamp format of invocation records."""
    moment = datetime.fromtimestamp(epoch_seconds, tz=timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class LastResponse:
    """How the last invocation of a discarded batch ended, for ``responseContext``."""

    request_id: str
    function_error: str | None  # "Unhandled" when the function raised or timed out


def invocation_record(
    *,
    records: Sequence[StreamRecord],
    condition: str,
    approximate_invoke_count: int,
    last_response: LastResponse | None,
    function_arn: str,
    stream_arn: str,
    at: float,
) -> dict[str, Any]:
    """The JSON document Lambda sends to an on-failure destination for a discarded batch.

    It names the records (shard, first and last sequence number, count) but does not carry
    them: a consumer reads them back from the stream before they expire. ``responseContext``
    is present only when the function was invoked (a batch discarded for its age before any
    invocation has none).
    """
    document: dict[str, Any] = {
        "requestContext": {
            "requestId": last_response.request_id if last_response else str(uuid.uuid4()),
            "functionArn": function_arn,
            "condition": condition,
            "approximateInvokeCount": approximate_invoke_count,
        }
    }
    if last_response is not None:
        response_context: dict[str, Any] = {
            "statusCode": 200,
            "executedVersion": EXECUTED_VERSION,
        }
        if last_response.function_error:
            response_context["functionError"] = last_response.function_error
        document["responseContext"] = response_context
    document["version"] = INVOCATION_RECORD_VERSION
    document["timestamp"] = iso_millis(at)
    document["KinesisBatchInfo"] = {
        "shardId": records[0].shard_id,
        "startSequenceNumber": records[0].sequence_number,
        "endSequenceNumber": records[-1].sequence_number,
        "approximateArrivalOfFirstRecord": iso_millis(records[0].arrival),
        "approximateArrivalOfLastRecord": iso_millis(records[-1].arrival),
        "batchSize": len(records),
        "streamArn": stream_arn,
    }
    return document


def with_payload(document: Mapping[str, Any], records: Sequence[StreamRecord]) -> dict[str, Any]:
    """The S3 form: the invocation record plus the whole invocation event (F40)."""
    return {**document, "payload": kinesis_event(records)}


def s3_failure_object_key(esm_uuid: str, shard_id: str, at: float) -> str:
    """``aws/lambda/<ESM-UUID>/<shardID>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<Random UUID>``."""
    moment = datetime.fromtimestamp(at, tz=timezone.utc)
    return (
        f"aws/lambda/{esm_uuid}/{shard_id}/{moment:%Y/%m/%d}/"
        f"{moment:%Y-%m-%dT%H.%M.%S}-{uuid.uuid4()}"
    )
