"""Records and buffers of the Firehose simulation, and the JSON written for failed records.

Why separate: the pipeline, the Lambda transform and the Kinesis source reader all pass these
around. Times are lab-clock seconds (:mod:`kinesis_lab.core.clock`); the JSON uses milliseconds as
AWS does.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class BufferedRecord:
    """One record inside Firehose. ``arrival`` is when Firehose received it (for a Kinesis
    source: when it was read); ``kinesis`` holds the source record's metadata, if any."""

    record_id: str
    data: bytes
    arrival: float
    kinesis: dict[str, Any] | None = None
    lambda_keys: dict[str, str] = field(default_factory=dict)
    partition: dict[tuple[str, str], str] = field(default_factory=dict)


@dataclass
class Buffer:
    """Records waiting for one delivery (or one Lambda invocation). ``opened_at`` is when the
    first of them entered this buffer: the buffering interval counts from there."""

    records: list[BufferedRecord] = field(default_factory=list)
    size: int = 0
    opened_at: float | None = None

    def add(self, record: BufferedRecord, entered_at: float) -> None:
        if not self.records:
            self.opened_at = entered_at
        self.records.append(record)
        self.size += len(record.data)

    def due_at(self, interval_seconds: float) -> float | None:
        """When the interval is reached; None while empty."""
        return None if self.opened_at is None else self.opened_at + interval_seconds

    def take(self) -> list[BufferedRecord]:
        records, self.records, self.size, self.opened_at = self.records, [], 0, None
        return records


def millis(seconds: float) -> int:
    return int(round(seconds * 1000))


def transform_event(
    records: Iterable[BufferedRecord],
    *,
    stream_arn: str,
    invocation_id: str,
    region: str | None = None,
    source_arn: str | None = None,
) -> dict[str, Any]:
    """The event Firehose sends a transformation function (F46; Firehose DG "Transform source
    data"): an invocation ID, the delivery stream and its Region, and each record's
    ``recordId``, arrival time (ms) and base64 ``data``; with a Kinesis data stream as the source,
    ``sourceKinesisStreamArn`` and each record's ``kinesisRecordMetadata``. One home for the
    shape: the simulation sends it, lesson M9 shows a sample of it."""
    event: dict[str, Any] = {
        "invocationId": invocation_id,
        "deliveryStreamArn": stream_arn,
        "region": region or stream_arn.split(":")[3],
        "records": [],
    }
    if source_arn:
        event["sourceKinesisStreamArn"] = source_arn
    for record in records:
        entry: dict[str, Any] = {
            "recordId": record.record_id,
            "approximateArrivalTimestamp": millis(record.arrival),
            "data": base64.b64encode(record.data).decode("ascii"),
        }
        if record.kinesis is not None:
            entry["kinesisRecordMetadata"] = dict(record.kinesis)
        event["records"].append(entry)
    return event


def failure_document(
    record: BufferedRecord,
    *,
    attempts: int,
    error_code: str,
    error_message: str,
    ended_at: float,
    lambda_arn: str | None = None,
) -> dict[str, Any]:
    """A failed record as Firehose writes it to the error prefix (Firehose DG "Handle failure
    in data transformation": attemptsMade, arrivalTimestamp, errorCode, errorMessage,
    attemptEndingTimestamp, rawData, lambdaArn)."""
    document: dict[str, Any] = {
        "attemptsMade": attempts,
        "arrivalTimestamp": millis(record.arrival),
        "errorCode": error_code,
        "errorMessage": error_message,
        "attemptEndingTimestamp": millis(ended_at),
        "rawData": base64.b64encode(record.data).decode("ascii"),
    }
    if lambda_arn is not None:
        document["lambdaArn"] = lambda_arn
    return document
