"""The Lambda transformation contract of Amazon Data Firehose (F46). SIMULATION.

The function is the one the Lambda processor's ARN names: a Lambda function created with
``lambda.create_function`` in the mocked account (run in-process by
:mod:`.firehose_lambda`), or a plain Python function a test registered for that ARN
(:func:`register_transform`, which wins). The simulation calls it as Firehose calls Lambda — synchronously, once per buffered batch — with
the documented event::

    {"invocationId": ..., "deliveryStreamArn": ..., "region": ...,
     "records": [{"recordId": ..., "approximateArrivalTimestamp": <ms>, "data": <base64>}]}

(plus ``sourceKinesisStreamArn`` and per-record ``kinesisRecordMetadata`` when a Kinesis data
stream is the source), and checks the answer as Firehose does (Firehose DG "Required
parameters for data transformation"): every recordId back exactly once, ``result`` one of
Ok / Dropped / ProcessingFailed, ``data`` base64. Ok records go on (with
``metadata.partitionKeys`` for dynamic partitioning), Dropped ones disappear, the rest become
processing-failed documents.

When the function raises, or answers something that is not the documented JSON, the
invocation is retried ``NumberOfRetries`` times (default 3, F46) and then every record of the
batch fails with ``attemptsMade`` = retries + 1. A missing or repeated recordId fails only
those records, without a retry (as observed in AWS output: ``Lambda.MissingRecordId`` with
``attemptsMade`` 1). Error codes and messages are those seen in Firehose's processing-failed
output; the Firehose DG documents the fields, not a list of codes.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from ..core.facts import FIREHOSE_TRANSFORM_INVOCATION_MAX_SECONDS
from .firehose_config import TransformSettings
from .firehose_lambda import deployed_handler, forget_deployed
from .firehose_partitioning import PartitionKeyError, lambda_keys
from .firehose_records import BufferedRecord, failure_document, transform_event

TransformHandler = Callable[[dict[str, Any], Any], Any]

RESULTS = ("Ok", "Dropped", "ProcessingFailed")
FUNCTION_ERROR = (
    "Lambda.FunctionError",
    "The Lambda function was successfully invoked but it returned an error result.",
)
BAD_RESPONSE = (
    "Lambda.JsonProcessingException",
    "There was an error parsing returned records from the Lambda function. Ensure that the "
    "returned records match the expected model.",
)
MISSING_RECORD_ID = (
    "Lambda.MissingRecordId",
    "One or more record Ids were not returned. Ensure that the Lambda function returns all "
    "received record Ids.",
)
DUPLICATED_RECORD_ID = (
    "Lambda.DuplicatedRecordId",
    "Multiple records were returned with the same record Id. Ensure that the Lambda function "
    "returns unique record Ids for each record.",
)
PROCESSING_FAILED = ("Lambda.ProcessingFailedStatus", "ProcessingFailed status set for record")

_handlers: dict[str, TransformHandler] = {}


def register_transform(lambda_arn: str, handler: TransformHandler) -> None:
    """Run ``handler(event, context)`` wherever a Lambda processor names ``lambda_arn``."""
    _handlers[lambda_arn] = handler


def unregister_transform(lambda_arn: str) -> None:
    _handlers.pop(lambda_arn, None)


def clear_transforms() -> None:
    _handlers.clear()
    forget_deployed()


def handler_for(lambda_arn: str) -> TransformHandler | None:
    """The handler for an ARN: one registered for it (a qualified ARN,
    ``...:function:name:$LATEST``, also finds one registered for the unqualified ARN), else
    the Lambda function of that ARN in the mocked account."""
    if lambda_arn in _handlers:
        return _handlers[lambda_arn]
    parts = lambda_arn.split(":")
    if len(parts) == 8 and ":".join(parts[:7]) in _handlers:
        return _handlers[":".join(parts[:7])]
    return deployed_handler(lambda_arn)


@dataclass
class TransformOutcome:
    """What one transform of a batch gave: records to deliver, how many were dropped, and the
    failed records with their processing-failed documents."""

    delivered: list[BufferedRecord] = field(default_factory=list)
    dropped: int = 0
    failures: list[tuple[BufferedRecord, dict[str, Any]]] = field(default_factory=list)
    invocations: int = 0


class _BadResponse(ValueError):
    """The function answered something that is not the documented response."""


def _context(lambda_arn: str) -> SimpleNamespace:
    """The few context attributes a transform function usually reads."""
    return SimpleNamespace(
        function_name=lambda_arn.split(":")[6] if lambda_arn.count(":") >= 6 else lambda_arn,
        invoked_function_arn=lambda_arn,
        aws_request_id=str(uuid.uuid4()),
        get_remaining_time_in_millis=lambda: FIREHOSE_TRANSFORM_INVOCATION_MAX_SECONDS * 1000,
    )


def _parsed(response: Any) -> list[dict[str, Any]]:
    """The response's records, as they would arrive over the wire (JSON), checked for shape.

    Lambda serialises what the handler returns, so a handler that returns JSON *text* sends a
    JSON string, not an object: Firehose cannot parse it. Every record needs ``recordId``,
    ``result`` and base64 ``data``, whatever its result (Firehose DG "Required parameters for
    data transformation")."""
    try:
        body = json.loads(json.dumps(response))
    except (TypeError, ValueError):
        raise _BadResponse from None
    entries = body.get("records") if isinstance(body, dict) else None
    if not isinstance(entries, list):
        raise _BadResponse
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("recordId"), str):
            raise _BadResponse
        if entry.get("result") not in RESULTS:
            raise _BadResponse
        entry["decoded"] = _decoded(entry.get("data"))
    return entries


def _decoded(data: Any) -> bytes:
    if not isinstance(data, str):
        raise _BadResponse
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise _BadResponse from None


def _invoke(
    handler: TransformHandler | None, event: dict[str, Any], settings: TransformSettings
) -> tuple[list[dict[str, Any]] | None, tuple[str, str], int]:
    """Invoke with retries: (response records or None, last error, attempts made)."""
    error = FUNCTION_ERROR
    if handler is None:
        error = (
            "SIMULATION.NoHandlerRegistered",
            f"SIMULATION: there is no Lambda function {settings.lambda_arn} in the mocked "
            "account; create it with lambda.create_function (or, in tests, "
            "kinesis_lab.simulation.firehose.register_transform(lambda_arn, handler)).",
        )
    attempts = 0
    for _ in range(1 + settings.retries):
        attempts += 1
        if handler is None:
            continue
        try:
            response = handler(copy.deepcopy(event), _context(settings.lambda_arn))
        except Exception:  # the function failed: Lambda reports a function error
            error = FUNCTION_ERROR
            continue
        try:
            return _parsed(response), error, attempts
        except _BadResponse:
            error = BAD_RESPONSE
    return None, error, attempts


def run_transform(
    settings: TransformSettings,
    records: list[BufferedRecord],
    *,
    stream_arn: str,
    region: str,
    source_arn: str | None,
    now: float,
) -> TransformOutcome:
    """Transform one buffered batch (F46) and sort its records into delivered, dropped and
    failed."""
    outcome = TransformOutcome()
    handler = handler_for(settings.lambda_arn)
    event = transform_event(
        records,
        stream_arn=stream_arn,
        invocation_id=str(uuid.uuid4()),
        region=region,
        source_arn=source_arn,
    )
    entries, error, attempts = _invoke(handler, event, settings)
    outcome.invocations = attempts

    def fail(record: BufferedRecord, reason: tuple[str, str], tries: int) -> None:
        document = failure_document(
            record,
            attempts=tries,
            error_code=reason[0],
            error_message=reason[1],
            ended_at=now,
            lambda_arn=settings.lambda_arn,
        )
        outcome.failures.append((record, document))

    if entries is None:
        for record in records:
            fail(record, error, attempts)
        return outcome
    counts = Counter(entry["recordId"] for entry in entries)
    by_id = {entry["recordId"]: entry for entry in entries}
    for record in records:
        entry = by_id.get(record.record_id)
        if entry is None:
            fail(record, MISSING_RECORD_ID, attempts)
        elif counts[record.record_id] > 1:
            fail(record, DUPLICATED_RECORD_ID, attempts)
        elif entry["result"] == "Dropped":
            outcome.dropped += 1
        elif entry["result"] == "ProcessingFailed":
            fail(record, PROCESSING_FAILED, attempts)
        else:
            outcome.delivered.append(_transformed(record, entry))
    return outcome


def _transformed(record: BufferedRecord, entry: dict[str, Any]) -> BufferedRecord:
    try:
        keys = lambda_keys(entry.get("metadata"))
    except PartitionKeyError:
        keys = {}
    return BufferedRecord(
        record_id=record.record_id,
        data=entry["decoded"],
        arrival=record.arrival,
        kinesis=record.kinesis,
        lambda_keys=keys,
    )
