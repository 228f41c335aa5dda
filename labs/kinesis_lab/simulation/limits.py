"""SIMULATION of the limits a real Kinesis data stream enforces and moto does not.

Why: exam questions are about pushback — ProvisionedThroughputExceededException, partial
PutRecords failures, expired iterators, large records — and the mock never pushes back
(shared/moto-fidelity.md, "Limits and failure modes"). ``install()`` makes the mocked Kinesis
enforce them, with AWS's error codes, HTTP 400 and AWS-shaped messages, so learner code that
handles them against the lab handles them against AWS.

How: like :mod:`kinesis_lab.fidelity`, on which it is layered, it replaces methods of moto's
``KinesisBackend`` and ``KinesisResponse``, so it holds for boto3 under ``mock_aws()`` and for
any client of a ``ThreadedMotoServer`` or ``kinesis-lab endpoint`` in this process.
``uninstall()`` restores exactly what was there; ``fidelity.uninstall()`` removes this layer
first. Time is the lab clock (:mod:`kinesis_lab.clock`): with a simulated clock a lab shows a
throttled second or an expired iterator instantly and identically on every run.

State (each shard's use over the last second, a stream's maximum record size) is kept here,
keyed by moto's ``Stream`` objects, never stored on them: a deleted and re-created stream, or a
reset backend, starts fresh. Every accepted, throttled or read request is reported to
:mod:`kinesis_lab.simulation.metrics` (F26).

Metering: a sliding one-second window per shard (and per partition key on on-demand streams)
for records and bytes written (F1, F63) and for GetRecords calls and bytes read (F2, F3): no
more than the documented figure within *any* one-second interval of the lab clock, wherever a
burst falls against the clock's whole seconds (issue 13: counting whole seconds gave a burst
across a boundary two budgets). Chosen over a token bucket of one second's capacity because the
figures AWS documents are per-second quotas and say exactly what a window says: a bucket would
let up to twice the budget through within one second after a quiet second (a full bucket plus a
second's refill), and would let calls through 4 s after a 10 MiB read where F3 says "calls
within 5 s throw". What one use takes beyond the budget left is carried into the following
seconds, one budget each: how a large record (F4) or a 10 MiB read (F3) is paid back.

Simpler than AWS (said where it happens, too):

* AWS does not document its metering. Its large-record page pictures write capacity as "a tank
  that refills at a steady rate", which tolerates short bursts and comes back continuously;
  here the budget of any one second is a hard edge (exactly the documented number fits in a
  second, one more is throttled) and an overdraft comes back a whole second's budget at a time
  (after a 10 MiB record, small records fit again 10 s later, not a little at a time).
* On-demand streams keep moto's 4 shards and never scale: the simulation shows a new stream
  at its default capacity (F11), not the doubling to a previous peak (F11, F63).
* GetRecords' 2,000 records/s (F2 quota-table note) and GetShardIterator's 5 calls/s (F65)
  are not simulated. UpdateShardCount's 10 scalings per rolling 24 hours (F21) are counted
  per stream on the lab clock (successful calls only; AWS can raise the limit on request).
"""

from __future__ import annotations

import bisect
import threading
import weakref
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from moto.cloudwatch.models import CloudWatchBackend, cloudwatch_backends
from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult, EmptyResult
from moto.kinesis.exceptions import TooManyRecords

from ..core import clock
from ..core.facts import (
    GET_RECORDS_CALLS_PER_SEC,
    KIB,
    MAX_RECORD_SIZE_DEFAULT,
    MAX_RECORD_SIZE_KIB_MAX,
    MAX_RECORD_SIZE_KIB_MIN,
    ON_DEMAND_DEFAULT_READ_BYTES_PER_SEC,
    ON_DEMAND_DEFAULT_WRITE_BYTES_PER_SEC,
    ON_DEMAND_DEFAULT_WRITE_RECORDS_PER_SEC,
    PARTITION_KEY_WRITE_BYTES_PER_SEC,
    PARTITION_KEY_WRITE_RECORDS_PER_SEC,
    PUT_RECORDS_MAX_RECORDS,
    PUT_RECORDS_MAX_REQUEST_BYTES,
    SHARD_ITERATOR_TTL_SECONDS,
    SHARD_READ_BYTES_PER_SEC,
    SHARD_WRITE_BYTES_PER_SEC,
    SHARD_WRITE_RECORDS_PER_SEC,
    UPDATE_SHARD_COUNT_MAX_SCALINGS_PER_24H,
)
from ..mock import fidelity
from . import host, metrics

KinesisBackend = fidelity.KinesisBackend
KinesisResponse = fidelity.KinesisResponse

SIMULATION_NOTE = (
    "SIMULATION: the mocked Kinesis enforces AWS's limits — per shard 1 MiB/s or 1,000 "
    "records/s written (F1), 5 GetRecords/s and 2 MiB/s read (F2, F3), iterators expiring "
    "after 5 minutes (F9), a 1 MiB default record size up to 10 MiB (F4) and 10 MiB PutRecords "
    "requests (F5) — within any one second of the lab clock; and at most 10 UpdateShardCount "
    "scalings per stream in a rolling 24 hours (F21)."
)


class LimitsInstallError(RuntimeError):
    """The limits need the fidelity fixes underneath them."""


# ---------------------------------------------------------------------------------------------
# Errors, shaped as AWS returns them (HTTP 400, JSON __type + message)
# ---------------------------------------------------------------------------------------------

THROTTLED = "ProvisionedThroughputExceededException"


def _write_throttled_message(stream: Any, shard_id: str) -> str:
    """AWS's PutRecord(s) throttling text (API_PutRecords example response)."""
    return (
        f"Rate exceeded for shard {shard_id} in stream {stream.stream_name} "
        f"under account {stream.account_id}."
    )


def _write_throttled(stream: Any, shard_id: str) -> JsonRESTError:
    return JsonRESTError(THROTTLED, _write_throttled_message(stream, shard_id))


def _read_throttled(stream: Any, shard_id: str) -> JsonRESTError:
    """AWS's GetRecords throttling text, as consumers report it ("Rate exceeded for Shard -
    account/stream/shard")."""
    return JsonRESTError(
        THROTTLED,
        f"Rate exceeded for Shard - {stream.account_id}/{stream.stream_name}/{shard_id}",
    )


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _java_date(timestamp: float) -> str:
    """AWS writes the times in ExpiredIteratorException as Java's Date.toString() in UTC
    ("Thu Jan 15 09:05:01 UTC 2026"); English names whatever the locale."""
    moment = datetime.fromtimestamp(timestamp, timezone.utc)
    day, month = _DAYS[moment.weekday()], _MONTHS[moment.month - 1]
    return f"{day} {month} {moment:%d %H:%M:%S} UTC {moment.year}"


def _expired_iterator(issued_at: float, now: float) -> JsonRESTError:
    return JsonRESTError(
        "ExpiredIteratorException",
        f"Iterator expired. The iterator was created at time {_java_date(issued_at)} while "
        f"right now it is {_java_date(now)} which is further in the future than the tolerated "
        f"delay of {SHARD_ITERATOR_TTL_SECONDS * 1000} milliseconds.",
    )


def _validation_error(problems: Sequence[str]) -> JsonRESTError:
    """AWS's model-constraint error: "N validation error(s) detected: A; B"."""
    plural = "s" if len(problems) > 1 else ""
    return JsonRESTError(
        "ValidationException",
        f"{len(problems)} validation error{plural} detected: {'; '.join(problems)}",
    )


def _too_long(member: str, max_bytes: int) -> str:
    return (
        f"Value at '{member}' failed to satisfy constraint: Member must have length less than "
        f"or equal to {max_bytes}"
    )


# ---------------------------------------------------------------------------------------------
# Per-stream state: use over the last second (a sliding one-second window)
# ---------------------------------------------------------------------------------------------

# Lab-clock times are floats near 1.7e9 s, exact to about 0.2 µs, and a lab that advances the
# clock in small steps adds that error up: a use this close to a second old counts as gone.
_SECOND_TOLERANCE = 1e-4


class _Meter:
    """Use of one per-second budget (records, bytes or calls) over the last second of the lab
    clock: a use at time ``t`` counts while ``now - 1 < t``, so no placement of a burst against
    the clock gets more than one budget. What a use takes beyond the budget left is carried
    into the following seconds, a whole budget each: that is how a large record (F4, "a burst
    … averaging out to 1 MiB per second") and a 10 MiB read (F3: "calls within 5 s throw")
    are paid back at the documented rate."""

    __slots__ = ("budget", "used", "_uses")

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.used = 0  # the sum of the uses below, those carried into later seconds included
        self._uses: deque[list[float]] = deque()  # [time, amount], in time order

    def expire(self, now: float) -> None:
        """Forget the uses a second or more old."""
        uses, horizon = self._uses, now - 1 + _SECOND_TOLERANCE
        while uses and uses[0][0] <= horizon:
            self.used -= uses.popleft()[1]

    def take(self, now: float, amount: int) -> None:
        room = max(0, self.budget - self.used)
        self.used += amount
        if amount <= room:
            self._add(now, amount)
            return
        self._add(now, room)
        carried, later = amount - room, now
        while carried > 0:  # the overdraft: one budget in each following second
            later += 1
            self._add(later, min(carried, self.budget))
            carried -= self.budget

    def _add(self, moment: float, amount: int) -> None:
        if amount <= 0:
            return
        uses = self._uses
        if not uses or uses[-1][0] < moment:
            uses.append([moment, amount])
        elif uses[-1][0] == moment:  # the records of one PutRecords call share one entry
            uses[-1][1] += amount
        else:  # a use now while an overdraft waits in later seconds
            bisect.insort(uses, [moment, amount])


@dataclass
class _Rate:
    """A shard's (or a partition key's) use of a count budget and a byte budget."""

    count: _Meter  # records written, or GetRecords calls
    bytes: _Meter


@dataclass
class _StreamState:
    max_record_bytes: int = MAX_RECORD_SIZE_DEFAULT  # F4
    writes: dict[str, _Rate] = field(default_factory=dict)  # by shard id
    reads: dict[str, _Rate] = field(default_factory=dict)  # by shard id
    keys: dict[str, _Rate] = field(default_factory=dict)  # on-demand: by partition key (F63)
    keys_swept: float = 0.0  # when idle partition keys were last forgotten
    scalings: list[float] = field(default_factory=list)  # lab-clock times of UpdateShardCount


_states: weakref.WeakKeyDictionary[Any, _StreamState] = weakref.WeakKeyDictionary()
_lock = threading.RLock()  # the server answers requests on several threads


def _state_of(stream: Any) -> _StreamState:
    with _lock:
        state = _states.get(stream)
        if state is None:
            state = _states[stream] = _StreamState()
        return state


def _rate(rates: dict[str, _Rate], key: str, now: float, per_sec: int, bytes_per_sec: int) -> _Rate:
    """The key's use over the last second before ``now``."""
    rate = rates.get(key)
    if rate is None:
        rate = rates[key] = _Rate(_Meter(per_sec), _Meter(bytes_per_sec))
    else:
        rate.count.expire(now)
        rate.bytes.expire(now)
    return rate


def _key_rate(state: _StreamState, partition_key: str, now: float) -> _Rate:
    """F63: one partition key's use over the last second. Keys are many: once a second, those
    with nothing left in their window are forgotten."""
    if now - state.keys_swept >= 1:
        for key, rate in list(state.keys.items()):
            rate.count.expire(now)
            rate.bytes.expire(now)
            if not rate.count.used and not rate.bytes.used:
                del state.keys[key]
        state.keys_swept = now
    return _rate(
        state.keys,
        partition_key,
        now,
        PARTITION_KEY_WRITE_RECORDS_PER_SEC,
        PARTITION_KEY_WRITE_BYTES_PER_SEC,
    )


def _fits(rate: _Rate, size: int) -> bool:
    """F1: one more record of ``size`` bytes within the last second's budget. A record bigger
    than the whole budget (a large record, F4) gets in only while the window is empty; its
    overdraft then fills the following seconds (AWS: a burst "averaging out to 1 MiB per
    second")."""
    if rate.count.used >= rate.count.budget:
        return False
    used, budget = rate.bytes.used, rate.bytes.budget
    if used + size <= budget:
        return True
    return used == 0 and size > budget


def _take(rate: _Rate, now: float, size: int) -> None:
    rate.count.take(now, 1)
    rate.bytes.take(now, size)


def _admit_write(
    state: _StreamState, shard_id: str, hot_key: str | None, size: int, now: float
) -> bool:
    """Take capacity for one record, or refuse it without taking any (a throttled record
    consumes nothing). F1 per shard; with ``hot_key`` (on-demand streams) also F63's cap of
    1 MB/s and 1,000 records/s for one partition key."""
    shard = _rate(
        state.writes, shard_id, now, SHARD_WRITE_RECORDS_PER_SEC, SHARD_WRITE_BYTES_PER_SEC
    )
    if not _fits(shard, size):
        return False
    if hot_key is not None:
        key = _key_rate(state, hot_key, now)
        if not _fits(key, size):
            return False
        _take(key, now, size)
    _take(shard, now, size)
    return True


def _is_on_demand(stream: Any) -> bool:
    return stream.stream_mode.get("StreamMode") == "ON_DEMAND"


# ---------------------------------------------------------------------------------------------
# Sizes (F1, F4, F5)
# ---------------------------------------------------------------------------------------------


def _data_bytes(data: Any) -> int:
    """Size of a record's Data blob. moto hands it over base64-encoded; its length says the
    size without decoding it."""
    if not data:
        return 0
    if isinstance(data, (bytes, bytearray)):
        data = data.decode("ascii", "replace")
    padding = len(data) - len(data.rstrip("="))
    return len(data) * 3 // 4 - padding


def _key_bytes(partition_key: Any) -> int:
    return len(partition_key.encode("utf-8")) if isinstance(partition_key, str) else 0


def _record_size_errors(data_sizes: Sequence[int], max_bytes: int, member: str) -> list[str]:
    """F4: each Data blob ≤ the stream's maximum record size (1 MiB unless raised)."""
    return [
        _too_long(member.format(position), max_bytes)
        for position, size in enumerate(data_sizes, start=1)
        if size > max_bytes
    ]


def _checked_put_records(records: list[dict[str, Any]], max_record_bytes: int) -> list[int]:
    """F5: ≤500 records, each within the record size (F4), ≤10 MiB per request including
    partition keys; returns each record's size (data + partition key, what F1 counts).

    moto: refuses any record over 1 MiB whatever the stream allows, and requests over 5 MB
    (the pre-2025 limit: a trap)."""
    if len(records) > PUT_RECORDS_MAX_RECORDS:
        raise TooManyRecords()
    data_sizes = [_data_bytes(record.get("Data")) for record in records]
    problems = _record_size_errors(data_sizes, max_record_bytes, "records.{}.member.data")
    if problems:
        raise _validation_error(problems)
    sizes = [
        data + _key_bytes(record.get("PartitionKey"))
        for data, record in zip(data_sizes, records, strict=True)
    ]
    if sum(sizes) > PUT_RECORDS_MAX_REQUEST_BYTES:
        # AWS's text for the old 5 MB limit was "Records size exceeds 5 MB limit".
        raise fidelity._invalid_argument("Records size exceeds 10 MB limit")
    return sizes


def _checked_max_record_size_kib(value: Any) -> int:
    """F4: MaxRecordSizeInKiB is 1024–10240; outside → ValidationException
    (API_UpdateMaxRecordSize)."""
    member = "maxRecordSizeInKiB"
    if value is None:
        raise _validation_error(
            [f"Value null at '{member}' failed to satisfy constraint: Member must not be null"]
        )
    if not isinstance(value, int) or isinstance(value, bool):
        raise _validation_error(
            [
                f"Value '{value}' at '{member}' failed to satisfy constraint: "
                "Member must be an integer"
            ]
        )
    if value < MAX_RECORD_SIZE_KIB_MIN:
        bound = f"greater than or equal to {MAX_RECORD_SIZE_KIB_MIN}"
    elif value > MAX_RECORD_SIZE_KIB_MAX:
        bound = f"less than or equal to {MAX_RECORD_SIZE_KIB_MAX}"
    else:
        return value
    raise _validation_error(
        [
            f"Value '{value}' at '{member}' failed to satisfy constraint: Member must have value {bound}"
        ]
    )


# ---------------------------------------------------------------------------------------------
# Writes: PutRecord, PutRecords (F1, F4, F5, F63)
# ---------------------------------------------------------------------------------------------


def _put_record_within_limits(
    self: Any,
    stream_arn: str | None,
    stream_name: str | None,
    partition_key: str,
    explicit_hash_key: str | None,
    data: str,
) -> tuple[str, str]:
    """PutRecord within the stream's record size (F4) and its shard's rate (F1; F63 on
    on-demand streams); over the rate → ProvisionedThroughputExceededException.

    moto: accepts records of any size and any rate."""
    stream = self.describe_stream(stream_arn=stream_arn, stream_name=stream_name)
    state = _state_of(stream)
    data_size = _data_bytes(data)
    problems = _record_size_errors([data_size], state.max_record_bytes, "data")
    if problems:
        raise _validation_error(problems)
    shard_id = stream.get_shard_for_key(partition_key, explicit_hash_key).shard_id
    size = data_size + _key_bytes(partition_key)
    hot_key = partition_key if _is_on_demand(stream) else None
    now = clock.now()
    with _lock:
        admitted = _admit_write(state, shard_id, hot_key, size, now)
        if admitted:
            put_record = _previous(KinesisBackend, "put_record")
            result = put_record(
                self, stream_arn, stream_name, partition_key, explicit_hash_key, data
            )
    if not admitted:
        metrics.record(stream, shard_id, {"WriteProvisionedThroughputExceeded": 1}, now)
        raise _write_throttled(stream, shard_id)
    metrics.record(stream, shard_id, {"IncomingBytes": size, "IncomingRecords": 1}, now)
    return result


def _put_records_within_limits(
    self: Any, stream_arn: str | None, stream_name: str | None, records: list[dict[str, Any]]
) -> dict[str, Any]:
    """PutRecords with F5's request limits checked first (a request-level error writes
    nothing), then each record admitted or refused on its own (F1): a refused entry gets
    ErrorCode/ErrorMessage instead of SequenceNumber/ShardId and counts in FailedRecordCount;
    the others are written (API_PutRecords).

    moto: never partially fails, and limits requests to 5 MB (AWS: 10 MiB since 2025)."""
    stream = self.describe_stream(stream_arn=stream_arn, stream_name=stream_name)
    state = _state_of(stream)
    sizes = _checked_put_records(records, state.max_record_bytes)
    shard_ids = [_shard_id_for(stream, record) for record in records]  # routing errors first
    on_demand = _is_on_demand(stream)
    now = clock.now()
    usage: dict[str, dict[str, float]] = {}
    with _lock:
        entries = [
            _put_entry(stream, state, record, size, shard_id, on_demand, now, usage)
            for record, size, shard_id in zip(records, sizes, shard_ids, strict=True)
        ]
    written = [size for size, entry in zip(sizes, entries, strict=True) if "ShardId" in entry]
    self._send_stream_metrics(stream.stream_name, sum(written), len(written))
    for shard_id, values in usage.items():
        metrics.record(stream, shard_id, values, now)
    return {"FailedRecordCount": len(records) - len(written), "Records": entries}


def _shard_id_for(stream: Any, record: dict[str, Any]) -> str:
    if record.get("ExplicitHashKey"):
        fidelity._explicit_hash_key_value(record["ExplicitHashKey"])
    return stream.get_shard_for_key(
        record.get("PartitionKey"), record.get("ExplicitHashKey")
    ).shard_id


def _put_entry(
    stream: Any,
    state: _StreamState,
    record: dict[str, Any],
    size: int,
    shard_id: str,
    on_demand: bool,
    now: float,
    usage: dict[str, dict[str, float]],
) -> dict[str, str]:
    """One PutRecords entry: written, or refused with AWS's per-entry error (F1)."""
    partition_key = record.get("PartitionKey")
    counts = usage.setdefault(shard_id, {})
    if not _admit_write(state, shard_id, partition_key if on_demand else None, size, now):
        counts["WriteProvisionedThroughputExceeded"] = (
            counts.get("WriteProvisionedThroughputExceeded", 0) + 1
        )
        return {"ErrorCode": THROTTLED, "ErrorMessage": _write_throttled_message(stream, shard_id)}
    sequence_number, written_to = stream.put_record(
        partition_key, record.get("ExplicitHashKey"), record.get("Data")
    )
    counts["IncomingRecords"] = counts.get("IncomingRecords", 0) + 1
    counts["IncomingBytes"] = counts.get("IncomingBytes", 0) + size
    return {"SequenceNumber": sequence_number, "ShardId": written_to}


def _send_stream_metrics_on_lab_clock(
    self: Any, stream_name: str, incoming_bytes: int, incoming_records: int
) -> None:
    """moto's stream-level IncomingBytes/IncomingRecords, stamped with the lab clock so they
    line up with the shard-level metrics (F26) when a lab runs on a simulated clock."""
    dimensions = [{"Name": "StreamName", "Value": stream_name}]
    timestamp = datetime.fromtimestamp(clock.now(), timezone.utc).replace(tzinfo=None)
    cloudwatch_backends[self.account_id][self.region_name].put_metric_data(
        namespace=metrics.NAMESPACE,
        metric_data=[
            {
                "MetricName": name,
                "Value": value,
                "Unit": unit,
                "Dimensions": dimensions,
                "Timestamp": timestamp,
            }
            for name, value, unit in (
                ("IncomingBytes", incoming_bytes, "Bytes"),
                ("IncomingRecords", incoming_records, "Count"),
            )
        ],
    )


# ---------------------------------------------------------------------------------------------
# Reads: GetRecords (F2, F3, F9, F66)
# ---------------------------------------------------------------------------------------------


def _require_unexpired(iterator: fidelity.ShardIterator, now: float) -> None:
    """F9: an iterator expires 5 minutes after it was returned (by GetShardIterator or as a
    NextShardIterator) → ExpiredIteratorException. Exactly 5:00 still works: AWS refuses only
    what is "further in the future than the tolerated delay of 300000 milliseconds".

    moto: iterators never expire."""
    if iterator.issued_at is None:  # composed by stock moto before the fixes: no issue time
        return
    if now - iterator.issued_at > SHARD_ITERATOR_TTL_SECONDS:
        raise _expired_iterator(iterator.issued_at, now)


def _read_allowed(rate: _Rate) -> bool:
    """F3: 5 GetRecords calls per shard in any one second. F2: 2 MiB/s per shard — a call may
    return up to 10 MiB (F3), and the overdraft then fills the following seconds' budgets,
    which is F3's "after a 10 MB return, calls within 5 s throw": a 10 MiB read at t refuses
    calls until t + 5 s. A refused call takes no capacity."""
    return rate.count.used < rate.count.budget and rate.bytes.used < rate.bytes.budget


def _read_within_limits(
    backend: Any, stream_arn: str | None, shard_iterator: Any, limit: Any
) -> Any:
    """One GetRecords call: Limit ≤ 10,000 and a well-formed iterator (fidelity), not expired
    (F9), within the shard's read rate (F2, F3) — else the AWS error; F66: a consumer should
    wait about 1 s after a throttle. moto: no read limits at all."""
    limit = fidelity._checked_limit(limit)
    iterator = fidelity._parse_iterator(shard_iterator)
    now = clock.now()
    _require_unexpired(iterator, now)
    stream = backend.describe_stream(stream_arn=stream_arn, stream_name=iterator.stream_name)
    shard = stream.get_shard(iterator.shard_id)
    state = _state_of(stream)
    with _lock:
        rate = _rate(
            state.reads, shard.shard_id, now, GET_RECORDS_CALLS_PER_SEC, SHARD_READ_BYTES_PER_SEC
        )
        allowed = _read_allowed(rate)
        if allowed:
            page = fidelity._page_at(stream, shard, iterator.position, limit)
            _take(rate, now, page.data_bytes)
    if not allowed:
        metrics.record(stream, shard.shard_id, {"ReadProvisionedThroughputExceeded": 1}, now)
        raise _read_throttled(stream, shard.shard_id)
    metrics.record(stream, shard.shard_id, _read_metrics(page, now), now)
    return page


def _read_metrics(page: Any, now: float) -> dict[str, float]:
    """F26 for one call; IteratorAgeMilliseconds is how old the last record returned was (0
    when the call found nothing: the consumer is caught up)."""
    age = (now - page.records[-1].created_at) * 1000 if page.records else 0.0
    return {
        "OutgoingRecords": len(page.records),
        "OutgoingBytes": page.data_bytes,
        "IteratorAgeMilliseconds": max(0.0, age),
    }


def _get_records_within_limits(
    self: Any, stream_arn: str | None, shard_iterator: str, limit: int | None
) -> tuple[str | None, list[Any], int]:
    """Stock signature of ``KinesisBackend.get_records``: readers inside the process (other
    simulations) meet the same limits as learners."""
    page = _read_within_limits(self, stream_arn, shard_iterator, limit)
    return page.next_shard_iterator, page.records, page.millis_behind_latest


def _get_records_response_within_limits(self: Any) -> ActionResult:
    page = _read_within_limits(
        self.kinesis_backend,
        self._get_param("StreamARN"),
        self._get_param("ShardIterator"),
        self._get_param("Limit"),
    )
    return ActionResult(fidelity._page_body(page))


# ---------------------------------------------------------------------------------------------
# Record size: UpdateMaxRecordSize, CreateStream's MaxRecordSizeInKiB, the summary (F4)
# ---------------------------------------------------------------------------------------------


def _update_max_record_size_response(self: Any) -> EmptyResult:
    """UpdateMaxRecordSize (F4; API_UpdateMaxRecordSize: StreamARN + MaxRecordSizeInKiB
    1024–10240, empty answer). moto does not implement the action."""
    size_kib = _checked_max_record_size_kib(self._get_param("MaxRecordSizeInKiB"))
    stream_arn = self._get_param("StreamARN")
    if not stream_arn:
        raise fidelity._invalid_argument("UpdateMaxRecordSize needs the stream's StreamARN.")
    stream = self.kinesis_backend.describe_stream(stream_arn=stream_arn, stream_name=None)
    _state_of(stream).max_record_bytes = size_kib * KIB
    return EmptyResult()


def _create_stream_response_with_max_record_size(self: Any) -> Any:
    """CreateStream honours MaxRecordSizeInKiB (F4, API_CreateStream); moto ignores it."""
    size_kib = self._get_param("MaxRecordSizeInKiB")
    if size_kib is not None:
        size_kib = _checked_max_record_size_kib(size_kib)
    result = _previous(KinesisResponse, "create_stream")(self)
    if size_kib is not None:
        stream = self.kinesis_backend.describe_stream(None, self._get_param("StreamName"))
        _state_of(stream).max_record_bytes = size_kib * KIB
    return result


def _describe_stream_summary_with_max_record_size(self: Any) -> ActionResult:
    """DescribeStreamSummary with MaxRecordSizeInKiB (F4; a field of the API's
    StreamDescriptionSummary that moto leaves out)."""
    stream = self.kinesis_backend.describe_stream_summary(
        self._get_param("StreamARN"), self._get_param("StreamName")
    )
    body = stream.to_json_summary()
    body["StreamDescriptionSummary"]["MaxRecordSizeInKiB"] = (
        _state_of(stream).max_record_bytes // KIB
    )
    return ActionResult(body)


# ---------------------------------------------------------------------------------------------
# Capacity of a stream, as the limits above add up (F1, F2, F11, F63)
# ---------------------------------------------------------------------------------------------


def stream_capacity(kinesis: Any, stream_name: str) -> dict[str, Any]:
    """What a stream can take, from its open shard count × the per-shard limits (F1, F2).

    For a new on-demand stream (moto gives it 4 shards) the sums are F11's default capacity:
    4 MiB/s and 4,000 records/s in, 8 MiB/s out; ``per_partition_key`` is F63's cap for one
    key, which holds in on-demand mode however far the stream scales."""
    summary = kinesis.describe_stream_summary(StreamName=stream_name)["StreamDescriptionSummary"]
    shards = summary["OpenShardCount"]
    mode = summary.get("StreamModeDetails", {}).get("StreamMode", "PROVISIONED")
    capacity: dict[str, Any] = {
        "stream_mode": mode,
        "open_shards": shards,
        "write_bytes_per_sec": shards * SHARD_WRITE_BYTES_PER_SEC,
        "write_records_per_sec": shards * SHARD_WRITE_RECORDS_PER_SEC,
        "read_bytes_per_sec": shards * SHARD_READ_BYTES_PER_SEC,
        "get_records_calls_per_sec": shards * GET_RECORDS_CALLS_PER_SEC,
    }
    if mode == "ON_DEMAND":
        capacity["on_demand_default"] = {
            "write_bytes_per_sec": ON_DEMAND_DEFAULT_WRITE_BYTES_PER_SEC,
            "write_records_per_sec": ON_DEMAND_DEFAULT_WRITE_RECORDS_PER_SEC,
            "read_bytes_per_sec": ON_DEMAND_DEFAULT_READ_BYTES_PER_SEC,
        }
        capacity["per_partition_key"] = {
            "write_bytes_per_sec": PARTITION_KEY_WRITE_BYTES_PER_SEC,
            "write_records_per_sec": PARTITION_KEY_WRITE_RECORDS_PER_SEC,
        }
    return capacity


# ---------------------------------------------------------------------------------------------
# UpdateShardCount: scalings per rolling 24 hours (F21)
# ---------------------------------------------------------------------------------------------

DAY_SECONDS = 24 * 60 * 60


def scalings_in_last_day(stream: Any, now: float | None = None) -> int:
    """How many UpdateShardCount calls on ``stream`` (moto's object) the rolling 24 hours hold."""
    now = clock.now() if now is None else now
    with _lock:
        return sum(1 for moment in _state_of(stream).scalings if now - moment < DAY_SECONDS)


def _update_shard_count_within_limits(
    self: Any, stream_arn: str, stream_name: str, target_shard_count: int
) -> int:
    """F21: at most 10 scalings per stream in a rolling 24 hours, else LimitExceededException
    (moto and fidelity's fix count nothing over time)."""
    stream = self.describe_stream(stream_arn=stream_arn, stream_name=stream_name)
    now = clock.now()
    with _lock:
        done = scalings_in_last_day(stream, now)
        if done >= UPDATE_SHARD_COUNT_MAX_SCALINGS_PER_24H:
            raise JsonRESTError(
                "LimitExceededException",
                f"SIMULATION: stream {stream.stream_name} under account {stream.account_id} was "
                f"already scaled {done} times in the last rolling 24 hours; UpdateShardCount "
                f"allows {UPDATE_SHARD_COUNT_MAX_SCALINGS_PER_24H} by default (F21).",
            )
        current = _previous(KinesisBackend, "update_shard_count")(
            self, stream_arn, stream_name, target_shard_count
        )
        state = _state_of(stream)
        state.scalings = [t for t in state.scalings if now - t < DAY_SECONDS] + [now]
        return current


# ---------------------------------------------------------------------------------------------
# install / uninstall
# ---------------------------------------------------------------------------------------------

_originals: dict[tuple[type, str], Any] = {}


def _previous(owner: type, name: str) -> Callable[..., Any]:
    """What ``owner.name`` was before install() (fidelity's fix or moto's own)."""
    return _originals[(owner, name)]


def _replacements() -> list[tuple[type, str, Callable[..., Any]]]:
    return [
        (KinesisBackend, "put_record", _put_record_within_limits),
        (KinesisBackend, "put_records", _put_records_within_limits),
        (KinesisBackend, "get_records", _get_records_within_limits),
        (KinesisBackend, "update_shard_count", _update_shard_count_within_limits),
        (KinesisBackend, "_send_stream_metrics", _send_stream_metrics_on_lab_clock),
        (KinesisResponse, "get_records", _get_records_response_within_limits),
        (KinesisResponse, "create_stream", _create_stream_response_with_max_record_size),
        (KinesisResponse, "describe_stream_summary", _describe_stream_summary_with_max_record_size),
        (KinesisResponse, "update_max_record_size", _update_max_record_size_response),
        (
            CloudWatchBackend,
            "get_metric_statistics",
            metrics.get_metric_statistics_exact_dimensions(
                CloudWatchBackend.__dict__["get_metric_statistics"]
            ),
        ),
    ]


def install() -> None:
    """Switch the SIMULATION on (idempotent). Needs :func:`kinesis_lab.fidelity.install` first:
    the limits read fidelity's iterators and pages."""
    with _lock:
        if is_installed():
            return
        if not fidelity.is_installed():
            raise LimitsInstallError(
                "kinesis_lab.simulation.limits builds on the fidelity fixes: call "
                "kinesis_lab.fidelity.install() first."
            )
        fidelity.replace_methods(_replacements(), _originals)
        fidelity.add_layer(uninstall)


def uninstall() -> None:
    """Switch the SIMULATION off: restore exactly what install() replaced (no-op when off).
    Throttling state is kept per stream, so switching back on resumes the same windows."""
    with _lock:
        fidelity.remove_layer(uninstall)
        fidelity.restore_methods(_originals)


def is_installed() -> bool:
    return bool(_originals)


def describe() -> str:
    """One line a lab can show to say what is simulated (empty when the limits are off) —
    of the local endpoint's account when the lab uses one."""
    if host.remote() is not None:
        return host.remote().limits_note()
    return SIMULATION_NOTE if is_installed() else ""
