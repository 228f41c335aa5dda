"""The path of a record through a simulated Firehose stream, and delivery to S3. SIMULATION.

Order (Firehose DG, "Apply dynamic partitioning to aggregated data"): transformation via
Lambda, then partitioning keys, then the destination buffer. So a stream has up to two stages:

1. with a Lambda processor, a transform buffer (F46 hints, default 1 MB / 60 s); when it is
   full or its interval has passed, the function is invoked on the whole batch;
2. destination buffers — one, or one per partition with dynamic partitioning (F49) — that are
   delivered as one S3 object each when SizeInMBs or IntervalInSeconds is reached, whichever
   comes first (F42); interval 0 delivers at the next tick (F43).

An object never grows beyond SizeInMBs: a record that would overflow the buffer first sends
the buffer on its way. Due buffers are handled in time order, and an object's key carries the
time it was due on the lab clock, so results do not depend on when a learner next looks.

State lives on moto's FirehoseBackend instance, so it disappears whenever moto resets its
backends (``mock_aws`` exit, ``/moto-api/reset``).
"""

from __future__ import annotations

import gzip
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from moto.s3.models import s3_backends

from ..core.facts import FIREHOSE_ACTIVE_PARTITIONS_DEFAULT
from . import firehose_partitioning as partitioning
from .firehose_config import DestinationSettings, destination_config, settings_of
from .firehose_records import Buffer, BufferedRecord, failure_document
from .firehose_source import SourceReader
from .firehose_transform import run_transform

STATE_ATTRIBUTE = "_kinesis_lab_firehose_simulation"
PROCESSING_FAILED = "processing-failed"
PARTITIONING_FAILED = "partitioning-failed"  # seen in AWS (aws-cdk integration test)
ACTIVE_PARTITION_EXCEEDED = "activePartitionExceeded"  # F49


@dataclass
class StreamState:
    """Everything the simulation keeps for one Firehose stream."""

    transform_buffer: Buffer = field(default_factory=Buffer)
    partitions: dict[tuple[str, ...], Buffer] = field(default_factory=dict)
    source: SourceReader | None = None
    objects_delivered: int = 0
    error_objects_delivered: int = 0
    transform_invocations: int = 0
    last_delivery_error: str | None = None


def states(backend: Any) -> dict[str, StreamState]:
    """The simulation's state on a moto FirehoseBackend (created on first use)."""
    return backend.__dict__.setdefault(STATE_ATTRIBUTE, {})


def state_of(backend: Any, delivery_stream: Any) -> StreamState:
    found = states(backend).get(delivery_stream.delivery_stream_name)
    if found is None:
        found = states(backend)[delivery_stream.delivery_stream_name] = StreamState()
    if found.source is None and delivery_stream.delivery_stream_type == "KinesisStreamAsSource":
        found.source = SourceReader.at_latest(delivery_stream.source["KinesisStreamARN"])
    return found


@dataclass
class Context:
    """One stream's moto objects, state and settings, for the duration of one operation."""

    backend: Any
    stream: Any
    state: StreamState
    settings: DestinationSettings

    @property
    def region(self) -> str:
        return self.stream.delivery_stream_arn.split(":")[3]


def context_for(backend: Any, delivery_stream: Any) -> Context | None:
    """None when the destination is not S3, or its configuration is one the simulation can't
    run (a stream created before install(), unchecked): those keep moto's stock behaviour."""
    config = destination_config(delivery_stream)
    if config is None or not config.get("BucketARN"):
        return None
    try:
        settings = settings_of(config)
    except (ValueError, TypeError, KeyError):
        return None
    return Context(backend, delivery_stream, state_of(backend, delivery_stream), settings)


# ---------------------------------------------------------------------------------------------
# Records in
# ---------------------------------------------------------------------------------------------


def accept(ctx: Context, records: list[BufferedRecord], now: float) -> None:
    """Records that just reached Firehose (Direct PUT, or read from the source stream)."""
    transform = ctx.settings.transform
    if transform is None:
        route(ctx, records, entered_at=now)
        return
    buffer = ctx.state.transform_buffer
    for record in records:
        if buffer.records and buffer.size + len(record.data) > transform.size_bytes:
            _transform(ctx, now)
        buffer.add(record, now)
        if buffer.size >= transform.size_bytes:
            _transform(ctx, now)


def _transform(ctx: Context, at: float) -> None:
    """Invoke the transform on everything in the transform buffer (F46)."""
    records = ctx.state.transform_buffer.take()
    transform = ctx.settings.transform
    if records and transform is None:  # the processor was removed by UpdateDestination
        route(ctx, records, entered_at=at)
    if not records or transform is None:
        return
    outcome = run_transform(
        transform,
        records,
        stream_arn=ctx.stream.delivery_stream_arn,
        region=ctx.region,
        source_arn=(ctx.stream.source or {}).get("KinesisStreamARN"),
        now=at,
    )
    ctx.state.transform_invocations += outcome.invocations
    if outcome.failures:
        oldest = min(record.arrival for record, _ in outcome.failures)
        _write_errors(ctx, PROCESSING_FAILED, [doc for _, doc in outcome.failures], oldest, at)
    route(ctx, outcome.delivered, entered_at=at)


def _partition_of(ctx: Context, record: BufferedRecord) -> tuple[str, ...]:
    """The partition a record belongs to: its values for the Prefix's partitioning keys."""
    settings = ctx.settings
    query_keys = partitioning.extract_keys(settings.query, record.data) if settings.query else {}
    record.partition = partitioning.record_partition(
        settings.prefix, query_keys, record.lambda_keys
    )
    return tuple(record.partition.values())


def route(ctx: Context, records: list[BufferedRecord], entered_at: float) -> None:
    """Put records into their destination buffer, delivering any buffer that fills up."""
    failures: dict[str, list[tuple[BufferedRecord, dict[str, Any]]]] = {}
    for record in records:
        key: tuple[str, ...] = ()
        if ctx.settings.partitioning:
            try:
                key = _partition_of(ctx, record)
            except partitioning.PartitionKeyError as error:
                failures.setdefault(PARTITIONING_FAILED, []).append(
                    (record, _partition_failure(record, str(error), entered_at))
                )
                continue
            active = sum(1 for buffer in ctx.state.partitions.values() if buffer.records)
            if key not in ctx.state.partitions and active >= FIREHOSE_ACTIVE_PARTITIONS_DEFAULT:
                message = f"More than {FIREHOSE_ACTIVE_PARTITIONS_DEFAULT} active partitions"
                failures.setdefault(ACTIVE_PARTITION_EXCEEDED, []).append(
                    (record, _partition_failure(record, message, entered_at))
                )
                continue
        _add(ctx, key, record, entered_at)
    for error_type, failed in failures.items():
        oldest = min(record.arrival for record, _ in failed)
        _write_errors(ctx, error_type, [doc for _, doc in failed], oldest, entered_at)


def _partition_failure(record: BufferedRecord, message: str, at: float) -> dict[str, Any]:
    return failure_document(
        record,
        attempts=1,
        error_code="DynamicPartitioning.MetadataExtractionFailed",
        error_message=message,
        ended_at=at,
    )


def _add(ctx: Context, key: tuple[str, ...], record: BufferedRecord, entered_at: float) -> None:
    buffer = ctx.state.partitions.setdefault(key, Buffer())
    if buffer.records and buffer.size + len(record.data) > ctx.settings.size_bytes:
        _deliver(ctx, key, entered_at)
        buffer = ctx.state.partitions.setdefault(key, Buffer())
    buffer.add(record, entered_at)
    if buffer.size >= ctx.settings.size_bytes:
        _deliver(ctx, key, entered_at)


# ---------------------------------------------------------------------------------------------
# Delivery to S3
# ---------------------------------------------------------------------------------------------


def _suffix(ctx: Context, at: float) -> str:
    """``<stream>-<version>-YYYY-MM-DD-HH-MM-SS-<uuid>`` (Firehose DG "S3 object name format");
    the time is when the object was delivered, on the lab clock."""
    moment = datetime.fromtimestamp(at, tz=timezone.utc).strftime("%Y-%m-%d-%H-%M-%S")
    return f"{ctx.stream.delivery_stream_name}-{ctx.stream.version_id}-{moment}-{uuid.uuid4()}"


def _put_object(ctx: Context, key: str, body: bytes) -> bool:
    try:
        s3 = s3_backends[ctx.backend.account_id][ctx.backend.partition]
        s3.put_object(ctx.settings.bucket, key, body)
    except Exception as error:  # e.g. NoSuchBucket: keep the data and retry at the next tick
        ctx.state.last_delivery_error = f"{type(error).__name__}: {error}"
        return False
    ctx.state.last_delivery_error = None
    return True


def _deliver(ctx: Context, key: tuple[str, ...], at: float) -> bool:
    """One buffer → one S3 object. Records are concatenated as they are (AWS adds no
    separator), with "\\n" after each when AppendDelimiterToRecord is on; GZIP compresses the
    whole object. The prefix's time is the oldest record's arrival (Firehose DG)."""
    buffer = ctx.state.partitions[key]
    records = buffer.records
    if not records:
        del ctx.state.partitions[key]
        return True
    newline = b"\n" if ctx.settings.append_newline else b""
    body = b"".join(record.data + newline for record in records)
    if ctx.settings.gzip:
        body = gzip.compress(body, mtime=0)
    prefix = partitioning.object_prefix(
        ctx.settings.prefix,
        timestamp=min(record.arrival for record in records),
        partition_keys=records[0].partition,
        dynamic=ctx.settings.partitioning,
    )
    if not _put_object(ctx, prefix + _suffix(ctx, at) + ctx.settings.file_extension, body):
        return False
    buffer.take()
    del ctx.state.partitions[key]
    ctx.state.objects_delivered += 1
    return True


def _write_errors(
    ctx: Context, error_type: str, documents: list[dict[str, Any]], oldest: float, at: float
) -> None:
    """Failed records, one JSON document per line, to the error prefix — at once, unbuffered
    and uncompressed (a simplification)."""
    prefix = partitioning.error_prefix(
        ctx.settings.prefix,
        ctx.settings.error_output_prefix,
        timestamp=oldest,
        error_output_type=error_type,
    )
    body = b"".join(json.dumps(doc, separators=(",", ":")).encode() + b"\n" for doc in documents)
    if _put_object(ctx, prefix + _suffix(ctx, at), body):
        ctx.state.error_objects_delivered += 1


# ---------------------------------------------------------------------------------------------
# Time passing
# ---------------------------------------------------------------------------------------------


def _next_due(ctx: Context) -> tuple[float, int, tuple[str, ...] | None] | None:
    """The earliest due buffer: (due time, 0 for a destination / 1 for the transform, key)."""
    candidates = []
    for key, buffer in ctx.state.partitions.items():
        due = buffer.due_at(ctx.settings.interval_seconds)
        if due is not None:
            candidates.append((due, 0, key))
    if ctx.settings.transform is not None:
        due = ctx.state.transform_buffer.due_at(ctx.settings.transform.interval_seconds)
        if due is not None:
            candidates.append((due, 1, None))
    return min(candidates, default=None)


def flush_due(ctx: Context, now: float) -> int:
    """Deliver (or transform) every buffer whose interval has passed by ``now``, in time
    order; returns the number of objects delivered."""
    before = ctx.state.objects_delivered
    while (due := _next_due(ctx)) is not None and due[0] <= now:
        at, _, key = due
        if key is None:
            _transform(ctx, at)
        elif not _deliver(ctx, key, at):
            break  # the destination is failing: try again at the next tick
    return ctx.state.objects_delivered - before


def flush_all(ctx: Context, now: float) -> int:
    """Transform and deliver everything buffered, whatever the hints say."""
    before = ctx.state.objects_delivered
    _transform(ctx, now)
    for key in list(ctx.state.partitions):
        _deliver(ctx, key, now)
    return ctx.state.objects_delivered - before


def poll_source(ctx: Context, arrival: float) -> None:
    """Read what the source stream got since the last tick (records written by the previous
    request, hence ``arrival``: the lab time of that request)."""
    if ctx.state.source is not None:
        records = ctx.state.source.read_new(arrival)
        if records:
            accept(ctx, records, arrival)


def describe(ctx: Context, now: float) -> dict[str, Any]:
    """Buffer state for labs and widgets: bytes, records and age of what waits for delivery."""
    buffers = [buffer for buffer in ctx.state.partitions.values() if buffer.records]
    opened = [buffer.opened_at for buffer in buffers if buffer.opened_at is not None]
    due = _next_due(ctx)
    transform = ctx.state.transform_buffer
    return {
        "stream": ctx.stream.delivery_stream_name,
        "bytes": sum(buffer.size for buffer in buffers),
        "records": sum(len(buffer.records) for buffer in buffers),
        "age_seconds": now - min(opened) if opened else 0.0,
        "size_limit_bytes": ctx.settings.size_bytes,
        "interval_seconds": ctx.settings.interval_seconds,
        "next_delivery_in_seconds": max(0.0, due[0] - now) if due else None,
        "partitions": {
            "/".join(key): {"bytes": b.size, "records": len(b.records)}
            for key, b in ctx.state.partitions.items()
            if key
        },
        "transform_bytes": transform.size,
        "transform_records": len(transform.records),
        "transform_invocations": ctx.state.transform_invocations,
        "objects_delivered": ctx.state.objects_delivered,
        "error_objects_delivered": ctx.state.error_objects_delivered,
        "last_delivery_error": ctx.state.last_delivery_error,
    }
