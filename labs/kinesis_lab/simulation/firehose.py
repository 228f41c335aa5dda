"""Amazon Data Firehose to S3 as the real service behaves, on top of moto. SIMULATION.

moto writes one S3 object per PutRecord, at once, ignores BufferingHints, compression and
error prefixes, never delivers from a Kinesis source and runs no transform. ``install()``
patches moto's FirehoseBackend (for boto3 under ``mock_aws`` and for the AWS CLI against a
moto server in this process) and registers a hook that runs before every mocked request, so
buffers are always "as of the lab clock now":

- buffering hints (F42, F43): SizeInMBs 1-128 (default 5), IntervalInSeconds 0-900 (default
  300), checked at CreateDeliveryStream/UpdateDestination; one object per delivery when the
  size or the interval is reached, whichever comes first; key
  ``<Prefix>YYYY/MM/DD/HH/<stream>-<version>-YYYY-MM-DD-HH-MM-SS-<uuid>``;
- ``AppendDelimiterToRecord`` adds "\\n" after each record; GZIP objects end in ".gz";
- a Kinesis data stream as source (F62), read from LATEST, across resharding, KPL-aggregated
  records de-aggregated with aws-kinesis-agg (F68, firehose_source); Direct PUT to such a
  stream is refused;
- a Lambda transform (F46) through :func:`register_transform`, with processing-failed output;
- dynamic partitioning (F49) with inline jq (a subset) or Lambda keys;
- PutRecord(Batch) limits (F44): 1,000 KiB a record, 500 records and 4 MiB a batch;
- the Direct PUT throughput quota (F45, :mod:`.firehose_quota`): records beyond it fail one
  by one (FailedPutCount, ErrorCode ServiceUnavailableException) for a producer to resend.

Simpler than AWS:
- Time moves only with the lab clock, and buffers are checked before each mocked request (or
  by flush_due(), deliver_now(), buffer_state()); an object's key carries the lab time it
  was due, but it appears at the first request after that time.
- Buffer size counts record bytes as they enter the buffer (after the transform, before the
  newline and compression); an object never exceeds SizeInMBs. AWS treats hints as hints.
- Only S3 and extended S3 destinations are simulated; other destinations keep moto's stock
  behaviour. Compression is UNCOMPRESSED or GZIP; format conversion (F47), S3 backup,
  encryption, CustomTimeZone (times are UTC) and CloudWatch logging are not simulated;
  other compressions and processors are refused with a message that starts "SIMULATION:".
- Prefix timestamps understand yyyy, yy, MM, dd, HH, mm, ss and 'quoted text'.
- The transform is a Python function run in-process, synchronously, without Lambda's timeout,
  memory or 6 MB payload limits; its buffer (default 1 MB / 60 s, F46) is a stage before
  the destination buffer, and the transform's recordId is the PutRecord RecordId.
- A failed invocation (the function raises or answers malformed JSON) is retried at once,
  NumberOfRetries times (default 3), with no back-off; a missing or repeated recordId fails
  only that record, without a retry. The Lambda.* error codes are those seen in AWS output;
  the partitioning error code and the error messages of partitioning are the simulation's.
- Failed records (processing-failed, partitioning-failed, activePartitionExceeded) are written
  at once, one uncompressed JSON object per batch. RecordIds are random UUIDs.
- Dynamic partitioning: inline jq is the subset {key: .path, ...}; a missing, null or
  non-scalar key sends the record to partitioning-failed; each partition is delivered by its
  own hints (AWS can take up to 1.5 times the buffer time, F49); no record deaggregation.
- A Kinesis source is read from moto's objects at every tick: the reads are free, never
  throttled and do not count against the shard's read throughput (F2, F3) as AWS's do.
- The Direct PUT quota (F45) is counted per second of the lab clock, in bytes and records
  only (not requests). Data that can't be delivered (e.g. no bucket) is retried at every
  tick and never expires (F50: 24 h).
"""

from __future__ import annotations

import inspect
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import moto
from moto.firehose import models as firehose_models
from moto.firehose.exceptions import InvalidArgumentException, ValidationException

from ..core import clock
from ..core.facts import (
    FIREHOSE_PUT_RECORD_BATCH_MAX_BYTES,
    FIREHOSE_PUT_RECORD_BATCH_MAX_RECORDS,
    FIREHOSE_RECORD_MAX_BYTES,
    MIB,
)
from ..mock.fidelity import SUPPORTED_MOTO_VERSION, FidelityVersionError
from . import firehose_pipeline as pipeline
from . import firehose_quota as quota
from . import hooks, host
from .firehose_config import apply_defaults, check, check_update, destination_config
from .firehose_records import BufferedRecord
from .firehose_source import source_stream
from .firehose_transform import (
    TransformHandler,
    clear_transforms,
    register_transform,
    unregister_transform,
)

__all__ = [
    "TransformHandler",
    "buffer_state",
    "clear_transforms",
    "deliver_now",
    "flush_due",
    "install",
    "is_installed",
    "register_transform",
    "simulation_notes",
    "uninstall",
    "unregister_transform",
]

FirehoseBackend = firehose_models.FirehoseBackend
_lock = threading.RLock()  # the moto server answers requests on several threads
_LAST_TICK = "_kinesis_lab_firehose_last_tick"


def _stock(name: str) -> Callable[..., Any]:
    return _originals.get(name) or getattr(FirehoseBackend, name)


def _arguments(name: str, backend: Any, args: Any, kwargs: Any) -> dict[str, Any]:
    return inspect.signature(_stock(name)).bind(backend, *args, **kwargs).arguments


def _backends() -> Iterator[Any]:
    """Every FirehoseBackend moto has created (without creating new ones)."""
    for account in list(dict.values(firehose_models.firehose_backends)):
        yield from list(dict.values(account))


# ---------------------------------------------------------------------------------------------
# Patched FirehoseBackend methods
# ---------------------------------------------------------------------------------------------


def _create_delivery_stream(self: Any, *args: Any, **kwargs: Any) -> str:
    """Check the S3 destination (F42, F43, F46, F49) and the Kinesis source before moto creates
    the stream; fill in AWS's defaults; start reading a Kinesis source at LATEST."""
    arguments = _arguments("create_delivery_stream", self, args, kwargs)
    extended = arguments.get("extended_s3_destination_configuration")
    config = extended or arguments.get("s3_destination_configuration")
    member = "extendedS3DestinationConfiguration" if extended else "s3DestinationConfiguration"
    with _lock:
        if config:
            check(config, member)
            apply_defaults(config)
        if arguments.get("delivery_stream_type") == "KinesisStreamAsSource":
            _check_source(arguments.get("kinesis_stream_source_configuration"))
        arn = _stock("create_delivery_stream")(self, *args, **kwargs)
        name = arguments["delivery_stream_name"]
        pipeline.states(self).pop(name, None)
        pipeline.state_of(self, self.delivery_streams[name])
    return arn


def _check_source(source: dict[str, Any] | None) -> None:
    arn = (source or {}).get("KinesisStreamARN")
    if not arn:
        raise InvalidArgumentException(
            "KinesisStreamSourceConfiguration is required for KinesisStreamAsSource stream type"
        )
    if source_stream(arn) is None:
        raise InvalidArgumentException(f"Kinesis stream {arn} does not exist.")


def _update_destination(self: Any, *args: Any, **kwargs: Any) -> None:
    """Check the merged destination as CreateDeliveryStream does, then let moto update it."""
    arguments = _arguments("update_destination", self, args, kwargs)
    extended = arguments.get("extended_s3_destination_update")
    update = extended or arguments.get("s3_destination_update")
    stream = self.delivery_streams.get(arguments["delivery_stream_name"])
    with _lock:
        current = destination_config(stream) if stream is not None else None
        if update and current is not None:
            member = "extendedS3DestinationUpdate" if extended else "s3DestinationUpdate"
            check_update(current, update, member)
        return _stock("update_destination")(self, *args, **kwargs)


def _delete_delivery_stream(self: Any, delivery_stream_name: str) -> None:
    """Deleting a stream discards what it had buffered."""
    with _lock:
        _stock("delete_delivery_stream")(self, delivery_stream_name)
        pipeline.states(self).pop(delivery_stream_name, None)


def _too_long(value_size: int, path: str) -> str:
    return (
        f"Value 'java.nio.HeapByteBuffer[pos=0 lim={value_size} cap={value_size}]' at "
        f"'{path}' failed to satisfy constraint: Member must have length less than or equal "
        f"to {FIREHOSE_RECORD_MAX_BYTES}"
    )


def _validation_error(violations: list[str]) -> ValidationException:
    count = len(violations)
    return ValidationException(
        f"{count} validation error{'s' if count > 1 else ''} detected: " + "; ".join(violations)
    )


def _check_batch(records: list[dict[str, Any]]) -> None:
    """F44: at most 500 records (a model constraint), each at most 1,000 KiB, at most 4 MiB in
    all. moto accepts any batch."""
    violations = []
    if len(records) > FIREHOSE_PUT_RECORD_BATCH_MAX_RECORDS:
        violations.append(
            "Value at 'records' failed to satisfy constraint: Member must have length less "
            f"than or equal to {FIREHOSE_PUT_RECORD_BATCH_MAX_RECORDS}"
        )
    sizes = [len(record.get("Data") or b"") for record in records]
    violations += [
        _too_long(size, f"records.{number}.member.data")
        for number, size in enumerate(sizes, start=1)
        if size > FIREHOSE_RECORD_MAX_BYTES
    ]
    if violations:
        raise _validation_error(violations)
    if sum(sizes) > FIREHOSE_PUT_RECORD_BATCH_MAX_BYTES:
        limit_mib = FIREHOSE_PUT_RECORD_BATCH_MAX_BYTES // MIB
        raise InvalidArgumentException(f"Records size exceeds {limit_mib} MB limit")


def _put_record(self: Any, delivery_stream_name: str, record: dict[str, Any]) -> dict[str, Any]:
    """PutRecord: one record of at most 1,000 KiB (F44), buffered."""
    size = len(record.get("Data") or b"")
    if size > FIREHOSE_RECORD_MAX_BYTES:
        raise _validation_error([_too_long(size, "record.data")])
    answer = _accept_direct_put(self, delivery_stream_name, [record])["RequestResponses"][0]
    if "ErrorCode" in answer:  # beyond the Direct PUT quota (F45)
        raise quota.ServiceUnavailableException()
    return {"RecordId": answer["RecordId"], "Encrypted": False}


def _put_record_batch(
    self: Any, delivery_stream_name: str, records: list[dict[str, Any]]
) -> dict[str, Any]:
    """PutRecordBatch: checked (F44), buffered, answered with a RecordId per record."""
    _check_batch(records)
    return _accept_direct_put(self, delivery_stream_name, records)


def _accept_direct_put(
    backend: Any, delivery_stream_name: str, records: list[dict[str, Any]]
) -> dict[str, Any]:
    stream = backend.delivery_streams.get(delivery_stream_name)
    if stream is not None and stream.delivery_stream_type == "KinesisStreamAsSource":
        raise InvalidArgumentException(
            "This operation is not permitted on KinesisStreamAsSource delivery stream type."
        )
    with _lock:
        ctx = pipeline.context_for(backend, stream) if stream is not None else None
        if ctx is None:  # unknown stream (moto raises) or not an S3 destination
            return _stock("put_record_batch")(backend, delivery_stream_name, records)
        now = clock.now()
        answers: list[dict[str, str]] = []
        accepted = []
        for record in records:
            data = bytes(record.get("Data") or b"")
            if not quota.within_quota(ctx.state, ctx.region, len(data), now):
                answers.append(dict(quota.FAILED))
                continue
            accepted.append(BufferedRecord(str(uuid.uuid4()), data, now))
            answers.append({"RecordId": accepted[-1].record_id})
        pipeline.accept(ctx, accepted, now)
    return {
        "FailedPutCount": len(records) - len(accepted),
        "Encrypted": False,
        "RequestResponses": answers,
    }


# ---------------------------------------------------------------------------------------------
# Ticks: the hook and the public API
# ---------------------------------------------------------------------------------------------


def _tick(now: float) -> int:
    """Read Kinesis sources, then deliver what is due; returns objects delivered. Records
    found in a source were written by the previous request, so they arrived at that request's
    lab time (kept per backend, so a moto reset forgets it)."""
    delivered = 0
    with _lock:
        for backend in _backends():
            arrival = min(backend.__dict__.get(_LAST_TICK, now), now)
            for stream in list(backend.delivery_streams.values()):
                ctx = pipeline.context_for(backend, stream)
                if ctx is not None:
                    pipeline.poll_source(ctx, arrival)
                    delivered += pipeline.flush_due(ctx, now)
            backend.__dict__[_LAST_TICK] = now
    return delivered


def _before_request(service: str, action: str) -> None:
    _tick(clock.now())


def flush_due() -> int:
    """Bring every simulated Firehose stream up to the lab clock now (what the hook does
    before each request): read Kinesis sources, deliver due buffers. Returns objects
    delivered."""
    return _tick(clock.now())


def _context(stream_name: str, region: str | None, account_id: str | None) -> Any:
    found = [
        (backend, backend.delivery_streams[stream_name])
        for backend in _backends()
        if stream_name in backend.delivery_streams
        and region in (None, backend.region_name)
        and account_id in (None, backend.account_id)
    ]
    if not found:
        raise KeyError(f"No Firehose stream named {stream_name!r} in the mocked account.")
    if len(found) > 1:
        raise ValueError(f"Several Firehose streams are named {stream_name!r}: pass region=.")
    ctx = pipeline.context_for(*found[0])
    if ctx is None:
        raise ValueError(f"Firehose stream {stream_name!r} has no S3 destination to simulate.")
    return ctx


def deliver_now(
    stream_name: str, *, region: str | None = None, account_id: str | None = None
) -> int:
    """Transform and deliver everything ``stream_name`` holds, whatever its hints say (a lab's
    "flush" button). Returns objects delivered."""
    now = clock.now()
    with _lock:
        delivered = _tick(now)
        return delivered + pipeline.flush_all(_context(stream_name, region, account_id), now)


def buffer_state(
    stream_name: str, *, region: str | None = None, account_id: str | None = None
) -> dict[str, Any]:
    """What ``stream_name`` holds as of the lab clock now: ``bytes``, ``records`` and
    ``age_seconds`` of the destination buffer(s), the limits, the time to the next delivery,
    the transform buffer and delivery counters — for a widget that shows it filling up."""
    if host.remote() is not None:  # the stream lives in a local endpoint: ask it
        return host.remote().buffer_state(stream_name, region=region, account_id=account_id)
    now = clock.now()
    with _lock:
        _tick(now)
        return pipeline.describe(_context(stream_name, region, account_id), now)


def simulation_notes() -> list[str]:
    """The "Simpler than AWS" list of this module's docstring, one sentence group per item."""
    section = (__doc__ or "").split("Simpler than AWS:", 1)[1]
    notes: list[str] = []
    for line in section.strip().splitlines():
        if line.startswith("- "):
            notes.append(line[2:].strip())
        elif notes and line.strip():
            notes[-1] += " " + line.strip()
    return notes


# ---------------------------------------------------------------------------------------------
# install / uninstall
# ---------------------------------------------------------------------------------------------

_originals: dict[str, Any] = {}
_REPLACEMENTS: dict[str, Callable[..., Any]] = {
    "create_delivery_stream": _create_delivery_stream,
    "update_destination": _update_destination,
    "delete_delivery_stream": _delete_delivery_stream,
    "put_record": _put_record,
    "put_record_batch": _put_record_batch,
}


def install() -> None:
    """Patch moto's FirehoseBackend and register the tick hook (idempotent)."""
    if getattr(moto, "__version__", "") != SUPPORTED_MOTO_VERSION:
        raise FidelityVersionError(
            f"kinesis_lab.simulation.firehose supports moto {SUPPORTED_MOTO_VERSION} only "
            f"(installed: {getattr(moto, '__version__', 'unknown')}); it patches moto internals."
        )
    with _lock:
        if is_installed():
            return
        for name, replacement in _REPLACEMENTS.items():
            _originals[name] = FirehoseBackend.__dict__[name]
            setattr(FirehoseBackend, name, replacement)
        hooks.before_each_request(_before_request)


def uninstall() -> None:
    """Put moto's methods back, remove the hook and forget registered transforms."""
    with _lock:
        hooks.remove(_before_request)
        for name, original in _originals.items():
            setattr(FirehoseBackend, name, original)
        _originals.clear()
        clear_transforms()


def is_installed() -> bool:
    return bool(_originals)
