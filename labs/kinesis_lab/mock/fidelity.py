"""Fixes for moto's Kinesis, so that a lab never teaches a wrong fact (shared/moto-fidelity.md).

Why patch instead of wrapping the client: the fixes must hold for every way a learner reaches
the mock — boto3 under ``mock_aws()``, the AWS CLI or any SDK against a ``ThreadedMotoServer``
started in this process. So ``install()`` replaces a few methods of moto's own classes
(``moto.kinesis.models.Shard`` / ``Stream`` / ``KinesisBackend`` and ``KinesisResponse``), and
``uninstall()`` puts the stock methods back exactly (the benchmark compares both).

Each fix is one small function below, named for what it does, whose docstring cites the fact
row (F-number, shared/kinesis-facts.md) or AWS API reference it follows and says what moto
gets wrong. Error codes follow the error list of each operation's API reference.

Iterators carry the lab-clock time they were issued, and records their arrival on the lab
clock (:mod:`kinesis_lab.core.clock`), so that the SIMULATION layered on top
(:mod:`kinesis_lab.simulation.limits`: throttling F1-F3, iterator expiry F9) can judge them;
these fixes themselves never refuse an old iterator. Layers register with :func:`add_layer`
and are removed first by :func:`uninstall`.

Out of scope here: the UpdateShardCount limit of 10 scalings per rolling 24 h (F21) is
counted by the limits SIMULATION (:mod:`kinesis_lab.simulation.limits`); retention trimming
(F8) is left as moto has it.
"""

from __future__ import annotations

import base64
import binascii
import re
import threading
import time
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, NamedTuple

import moto
from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult, EmptyResult
from moto.kinesis import models as kinesis_models
from moto.kinesis import responses as kinesis_responses

from ..core import clock
from ..core.facts import (
    GET_RECORDS_MAX_BYTES,
    GET_RECORDS_MAX_RECORDS,
    ITERATOR_TYPES,
    PARTITION_KEY_MAX_CHARS,
    SHARDS_PER_STREAM_UPDATE_SHARD_COUNT_MAX,
    UPDATE_SHARD_COUNT_MAX_FACTOR_UP,
)
from ..core.keys import even_ranges, hash_key_for, parse_explicit_hash_key

SUPPORTED_MOTO_VERSION = "5.2.5"

Shard = kinesis_models.Shard
Stream = kinesis_models.Stream
KinesisBackend = kinesis_models.KinesisBackend
KinesisResponse = kinesis_responses.KinesisResponse


class FidelityVersionError(RuntimeError):
    """moto is not the version these fixes were written and tested against."""


# ---------------------------------------------------------------------------------------------
# Errors, as AWS returns them (HTTP 400 with a JSON ``__type``)
# ---------------------------------------------------------------------------------------------


def _invalid_argument(message: str) -> JsonRESTError:
    return JsonRESTError(error_type="InvalidArgumentException", message=message)


def _limit_exceeded(message: str) -> JsonRESTError:
    return JsonRESTError(error_type="LimitExceededException", message=message)


def _not_found(message: str) -> JsonRESTError:
    return JsonRESTError(error_type="ResourceNotFoundException", message=message)


def _invalid_shard_iterator() -> JsonRESTError:
    return _invalid_argument("Invalid ShardIterator.")


# ---------------------------------------------------------------------------------------------
# Sequence numbers and the per-shard index
# ---------------------------------------------------------------------------------------------

# Layout of a 56-digit sequence number (AWS's are 56 digits, e.g.
# 49546986683135544286507457936321625675700192471156785154): "49", a 20-digit tick that only
# grows (nanosecond clock, made strictly monotonic across the process), the 12-digit shard
# number, and 22 digits from the shard's creation tick. The tick dominates, so numbers increase
# within a shard and across the stream as time passes; the shard number lets GetShardIterator
# reject a sequence number from another shard, as AWS does.
_SEQUENCE_PREFIX = 49 * 10**54
_TICK_UNIT = 10**34
_SHARD_UNIT = 10**22
_SHARD_NUMBER_MODULUS = 10**12
_SEQUENCE_DIGITS = 56

_LOCK = threading.RLock()  # the server mode answers requests on several threads
_last_tick = 0
_INDEX_ATTRIBUTE = "_fidelity_index"


def _next_tick() -> int:
    """A process-wide clock reading that is strictly greater than every earlier one."""
    global _last_tick
    with _LOCK:
        _last_tick = max(_last_tick + 1, time.time_ns())
        return _last_tick


@dataclass
class _ShardIndex:
    """Sorted sequence numbers and arrival times of a shard's records, for O(log n) lookups."""

    creation_tick: int
    starting_sequence_number: int
    sequence_numbers: list[int] = field(default_factory=list)
    arrival_times: list[float] = field(default_factory=list)
    ending_sequence_number: int | None = None


def _sequence_number(shard: Any, tick: int, creation_tick: int) -> int:
    shard_number = shard._shard_id % _SHARD_NUMBER_MODULUS
    return (
        _SEQUENCE_PREFIX
        + tick * _TICK_UNIT
        + shard_number * _SHARD_UNIT
        + creation_tick % _SHARD_UNIT
    )


def _shard_number_in(sequence_number: int) -> int | None:
    """The shard number a sequence number of ours encodes; None for any other shape."""
    if len(str(sequence_number)) != _SEQUENCE_DIGITS or sequence_number < _SEQUENCE_PREFIX:
        return None
    return (sequence_number // _SHARD_UNIT) % _SHARD_NUMBER_MODULUS


def _index_of(shard: Any) -> _ShardIndex:
    """The shard's index, built on first use and rebuilt if stock moto wrote to the shard."""
    index = shard.__dict__.get(_INDEX_ATTRIBUTE)
    if index is None or len(index.sequence_numbers) != len(shard.records):
        with _LOCK:  # a put on another thread may be between its two appends: wait for it
            index = shard.__dict__.get(_INDEX_ATTRIBUTE)
            if index is None or len(index.sequence_numbers) != len(shard.records):
                index = _build_index(shard, index)
                setattr(shard, _INDEX_ATTRIBUTE, index)
    return index


def _build_index(shard: Any, previous: _ShardIndex | None) -> _ShardIndex:
    sequence_numbers = sorted(shard.records)
    if previous is None:
        tick = _next_tick()
        first = sequence_numbers[0] if sequence_numbers else _sequence_number(shard, tick, tick)
        previous = _ShardIndex(creation_tick=tick, starting_sequence_number=first)
    previous.sequence_numbers = sequence_numbers
    previous.arrival_times = [shard.records[number].created_at for number in sequence_numbers]
    return previous


def _new_sequence_number(shard: Any) -> int:
    return _sequence_number(shard, _next_tick(), _index_of(shard).creation_tick)


# ---------------------------------------------------------------------------------------------
# Shard: constant-time writes, logarithmic reads, AWS-shaped sequence numbers
# ---------------------------------------------------------------------------------------------


def _put_record_constant_time(
    self: Any, partition_key: str, data: str, explicit_hash_key: str
) -> str:
    """Append one record with an AWS-shaped sequence number, in O(1) (F7; API_PutRecord:
    sequence numbers increase over time).

    moto: scans ``list(self.records.keys())`` on every put (quadratic) and numbers records
    "1", "2", ... — a shape learners must never take for AWS's.
    """
    with _LOCK:
        index = _index_of(self)
        sequence_number = _new_sequence_number(self)
        record = kinesis_models.Record(partition_key, data, sequence_number, explicit_hash_key)
        _stamp_arrival(record)
        self.records[sequence_number] = record
        index.sequence_numbers.append(sequence_number)
        index.arrival_times.append(record.created_at)
    return str(sequence_number)


def _stamp_arrival(record: Any) -> None:
    """ApproximateArrivalTimestamp on the lab clock, so that AT_TIMESTAMP, MillisBehindLatest
    and IteratorAgeMilliseconds agree with a simulated clock (moto stamps the wall clock)."""
    arrival = clock.now()
    record.created_at = arrival
    record.created_at_datetime = datetime.fromtimestamp(arrival, timezone.utc).replace(tzinfo=None)


def _min_sequence_number(self: Any) -> int:
    """Oldest record's sequence number in O(1); moto copies every key to find it."""
    numbers = _index_of(self).sequence_numbers
    return numbers[0] if numbers else 0


def _max_sequence_number(self: Any) -> int:
    """Newest record's sequence number in O(1) (LATEST starts after it); moto copies every key."""
    numbers = _index_of(self).sequence_numbers
    return numbers[-1] if numbers else 0


def _sequence_number_before(self: Any, at_timestamp: float) -> int:
    """Position just before the first record that arrived at or after ``at_timestamp``, by
    bisection (API_GetShardIterator, AT_TIMESTAMP: "the iterator returned is for the next
    (later) record"). moto walks the whole shard."""
    index = _index_of(self)
    position = bisect_left(index.arrival_times, float(at_timestamp))
    return index.sequence_numbers[position - 1] if position else 0


def _record_bytes(record: Any) -> int:
    """Payload size of a stored record (moto keeps Data base64-encoded)."""
    data = record.data or ""
    padding = len(data) - len(data.rstrip("=" if isinstance(data, str) else b"="))
    return len(data) * 3 // 4 - padding


class _Batch(NamedTuple):
    records: list[Any]
    last_sequence_number: int
    millis_behind_latest: int
    reached_end: bool
    data_bytes: int


def _records_after(shard: Any, last_sequence_number: int, limit: int) -> _Batch:
    """Records after a position: at most ``limit`` records and 10 MiB (F3), found by bisection
    so a read costs O(log n + k). moto scans the shard from its first record on every call."""
    index = _index_of(shard)
    numbers = index.sequence_numbers
    start = bisect_right(numbers, last_sequence_number)
    records: list[Any] = []
    size = 0
    for number in numbers[start : start + limit]:
        record = shard.records[number]
        record_size = _record_bytes(record)
        if records and size + record_size > GET_RECORDS_MAX_BYTES:
            break
        records.append(record)
        size += record_size
    if not records:
        return _Batch([], last_sequence_number, 0, start == len(numbers), 0)
    last = start + len(records) - 1
    behind = index.arrival_times[-1] - index.arrival_times[last]
    return _Batch(records, numbers[last], int(behind * 1000), last == len(numbers) - 1, size)


def _shard_get_records_bisect(
    self: Any, last_sequence_id: str, limit: int | None
) -> tuple[list[Any], int, int]:
    """Stock signature of ``Shard.get_records``, answered by bisection and capped at 10,000
    records (F3); moto scans the shard and has no cap."""
    batch = _records_after(self, int(last_sequence_id), limit or GET_RECORDS_MAX_RECORDS)
    return batch.records, batch.last_sequence_number, batch.millis_behind_latest


def _shard_description(self: Any) -> dict[str, Any]:
    """A shard as DescribeStream/ListShards show it: the StartingSequenceNumber it got when it
    was created, and an EndingSequenceNumber once closed (F22, API_SequenceNumberRange).

    moto: derives both from the records it holds ("0" for an empty shard)."""
    index = _index_of(self)
    description: dict[str, Any] = {
        "HashKeyRange": {
            "StartingHashKey": str(self.starting_hash),
            "EndingHashKey": str(self.ending_hash),
        },
        "SequenceNumberRange": {"StartingSequenceNumber": str(index.starting_sequence_number)},
        "ShardId": self.shard_id,
    }
    if self.parent:
        description["ParentShardId"] = self.parent
    if self.adjacent_parent:
        description["AdjacentParentShardId"] = self.adjacent_parent
    if not self.is_open:
        description["SequenceNumberRange"]["EndingSequenceNumber"] = str(_ending_of(index))
    return description


def _ending_of(index: _ShardIndex) -> int:
    if index.ending_sequence_number is not None:
        return index.ending_sequence_number
    numbers = index.sequence_numbers
    return numbers[-1] if numbers else index.starting_sequence_number


# ---------------------------------------------------------------------------------------------
# Routing (F6)
# ---------------------------------------------------------------------------------------------

_DECIMAL_HASH_KEY = re.compile(r"0|[1-9]\d{0,38}")


def _explicit_hash_key_value(value: Any) -> int:
    """An ExplicitHashKey as an integer in [0, 2^128 − 1] (F6; API_PutRecord pattern
    ``0|([1-9]\\d{0,38})``), else InvalidArgumentException.

    moto: ``int(value)`` crashes on non-decimal text."""
    if not isinstance(value, str) or not _DECIMAL_HASH_KEY.fullmatch(value):
        raise _invalid_argument(
            "Invalid ExplicitHashKey. ExplicitHashKey must be a decimal integer in the range: "
            f"[0, 2^128-1]. Specified value was {value}"
        )
    try:
        return parse_explicit_hash_key(value)
    except ValueError:
        raise _invalid_argument(
            "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. "
            f"Specified value was {value}"
        ) from None


def _partition_key_too_long(partition_key: str) -> JsonRESTError:
    """AWS checks the 256-character limit (F6) as a model constraint: ValidationException.

    moto: answers InvalidArgumentException, which learner code written for AWS won't expect."""
    return JsonRESTError(
        error_type="ValidationException",
        message=f"1 validation error detected: Value '{partition_key}' at 'partitionKey' "
        "failed to satisfy constraint: Member must have length less than or equal to 256",
    )


def _hash_key_of(partition_key: Any, explicit_hash_key: Any) -> int:
    if isinstance(partition_key, str) and len(partition_key) > PARTITION_KEY_MAX_CHARS:
        raise _partition_key_too_long(partition_key)
    if explicit_hash_key:
        return _explicit_hash_key_value(explicit_hash_key)
    try:
        return hash_key_for(partition_key)
    except (TypeError, ValueError) as error:
        raise _invalid_argument(f"Invalid PartitionKey: {error}") from None


def _route_to_open_shard(self: Any, partition_key: str, explicit_hash_key: str) -> Any:
    """The OPEN shard whose inclusive HashKeyRange holds the record's hash key (F6, F22).

    moto: treats EndingHashKey as exclusive (2^128 − 1 and every shard's last key crash) and
    considers closed shards, so writes after a reshard land in the closed parent."""
    hash_key = _hash_key_of(partition_key, explicit_hash_key)
    for shard in self.shards.values():
        if shard.is_open and shard.starting_hash <= hash_key <= shard.ending_hash:
            return shard
    raise _invalid_argument(
        f"No open shard of stream {self.stream_name} covers hash key {hash_key}"
    )


def _put_records_validating_first(
    self: Any, stream_arn: str, stream_name: str, records: list[dict[str, Any]]
) -> dict[str, Any]:
    """Reject a PutRecords request with a bad ExplicitHashKey before writing any record
    (API_PutRecords: a request-level InvalidArgumentException writes nothing).

    moto: writes the records before the bad one, then fails the call."""
    self.describe_stream(stream_arn=stream_arn, stream_name=stream_name)
    for record in records:
        if record.get("ExplicitHashKey"):
            _explicit_hash_key_value(record["ExplicitHashKey"])
    return _stock(KinesisBackend, "put_records")(self, stream_arn, stream_name, records)


# ---------------------------------------------------------------------------------------------
# Resharding: split, merge, update_shard_count (F21, F22)
# ---------------------------------------------------------------------------------------------


def _next_shard_number(stream: Any) -> int:
    number = len(stream.shards)  # moto numbers shards 0, 1, 2, ... without gaps
    if f"shardId-{number:012d}" in stream.shards:
        number = max(shard._shard_id for shard in stream.shards.values()) + 1
    return number


def _open_shard_count(stream: Any) -> int:
    return sum(1 for shard in stream.shards.values() if shard.is_open)


def _refresh_open_shard_count(stream: Any) -> None:
    """Keep DescribeStreamSummary's OpenShardCount true; moto leaves it stale after a split."""
    stream.shard_count = _open_shard_count(stream)


def _close(shard: Any) -> None:
    """Close a parent: it keeps its records and gets an EndingSequenceNumber (F22)."""
    index = _index_of(shard)
    shard.is_open = False
    index.ending_sequence_number = _new_sequence_number(shard)


def _add_child(stream: Any, start: int, end: int, parent: str, adjacent: str | None) -> Any:
    child = Shard(_next_shard_number(stream), start, end, parent=parent, adjacent_parent=adjacent)
    stream.shards[child.shard_id] = child
    _index_of(child)  # its StartingSequenceNumber comes after the parents' EndingSequenceNumber
    return child


def _require_open(stream: Any, shard: Any) -> None:
    """AWS refuses to reshard a CLOSED shard (F22); moto only checks this for splits."""
    if not shard.is_open:
        raise _invalid_argument(
            f"Shard {shard.shard_id} in stream {stream.stream_name} under account "
            f"{stream.account_id} has already been merged or split, and thus is not eligible "
            "for merging or splitting."
        )


def _split(stream: Any, shard: Any, new_starting_hash_key: int) -> tuple[Any, Any]:
    _close(shard)
    low = _add_child(stream, shard.starting_hash, new_starting_hash_key - 1, shard.shard_id, None)
    high = _add_child(stream, new_starting_hash_key, shard.ending_hash, shard.shard_id, None)
    return low, high


def _split_shard_keeping_records(
    self: Any, shard_to_split: str, new_starting_hash_key: str
) -> None:
    """Split an open shard into two children; the parent keeps its records, CLOSED (F22).

    moto: moves the parent's records into the children (AWS keeps them in the parent until
    retention expires, which is why consumers finish a parent before its children)."""
    shard = self.shards[shard_to_split]
    _require_open(self, shard)
    new_start = int(new_starting_hash_key)
    if not shard.starting_hash < new_start < shard.ending_hash:
        raise _invalid_argument(
            f"NewStartingHashKey {new_start} used in SplitShard() on shard {shard_to_split} in "
            f"stream {self.stream_name} under account {self.account_id} is not both greater "
            f"than one plus the shard's StartingHashKey {shard.starting_hash} and less than "
            f"the shard's EndingHashKey {shard.ending_hash - 1}."
        )
    _split(self, shard, new_start)
    _refresh_open_shard_count(self)


def _merge(stream: Any, shard: Any, adjacent: Any) -> Any:
    lower, upper = sorted((shard, adjacent), key=lambda s: s.starting_hash)
    _close(shard)
    _close(adjacent)
    return _add_child(
        stream, lower.starting_hash, upper.ending_hash, shard.shard_id, adjacent.shard_id
    )


def _merge_adjacent_shards(self: Any, shard_to_merge: str, adjacent_shard_to_merge: str) -> None:
    """Merge two open shards whose hash ranges touch, in either argument order (F22).

    moto: rejects adjacent shards when the higher range is passed first, merges closed
    shards, and copies the parents' records into the child."""
    shard = self.shards[shard_to_merge]
    adjacent = self.shards[adjacent_shard_to_merge]
    _require_open(self, shard)
    _require_open(self, adjacent)
    lower, upper = sorted((shard, adjacent), key=lambda s: s.starting_hash)
    if shard is adjacent or lower.ending_hash + 1 != upper.starting_hash:
        raise _invalid_argument(
            f"Shards {shard_to_merge} and {adjacent_shard_to_merge} in stream "
            f"{self.stream_name} under account {self.account_id} are not an adjacent pair of "
            "shards eligible for merging"
        )
    _merge(self, shard, adjacent)
    _refresh_open_shard_count(self)


# Integer division makes "the same" boundary differ by a few hash keys between shard counts
# (2^128 // 3 vs 2 * (2^128 // 6)); boundaries this close are one boundary, not a reshard.
_ROUNDING_SLACK = 2**32


def _boundaries_to_change(current: list[int], target: list[int]) -> tuple[list[int], list[int]]:
    """(target boundaries to split at, current boundaries to merge across), keeping every
    current boundary that already sits on a target boundary."""
    kept: set[int] = set()
    splits: list[int] = []
    for boundary in target:
        position = bisect_left(current, boundary - _ROUNDING_SLACK)
        if position < len(current) and current[position] <= boundary + _ROUNDING_SLACK:
            kept.add(current[position])
        else:
            splits.append(boundary)
    return splits, [boundary for boundary in current if boundary not in kept]


def _open_shards_by_range(stream: Any) -> list[Any]:
    return sorted((s for s in stream.shards.values() if s.is_open), key=lambda s: s.starting_hash)


def _split_at(stream: Any, boundaries: list[int]) -> None:
    open_shards = _open_shards_by_range(stream)
    starts = [shard.starting_hash for shard in open_shards]
    for boundary in sorted(boundaries):
        position = bisect_right(starts, boundary) - 1
        low, high = _split(stream, open_shards[position], boundary)
        open_shards[position : position + 1] = [low, high]
        starts[position : position + 1] = [low.starting_hash, high.starting_hash]


def _merge_across(stream: Any, boundaries: list[int]) -> None:
    open_shards = _open_shards_by_range(stream)
    by_start = {shard.starting_hash: shard for shard in open_shards}
    by_end = {shard.ending_hash: shard for shard in open_shards}
    for boundary in sorted(boundaries):
        lower, upper = by_end.pop(boundary - 1), by_start.pop(boundary)
        child = _merge(stream, lower, upper)
        by_start[child.starting_hash] = child
        by_end[child.ending_hash] = child


def _update_shard_count_uniformly(self: Any, target_shard_count: int) -> None:
    """Reach exactly ``target_shard_count`` open shards with even hash ranges, by pairwise
    splits and merges so that every new shard has real parents (F21 UNIFORM_SCALING, F22;
    API_UpdateShardCount: "performs splits or merges on individual shards. This can cause
    short-lived shards to be created").

    moto: splits every shard then merges some, and can miss the target (3 → 20 leaves 6)."""
    _require_provisioned(self)
    current = [shard.starting_hash for shard in _open_shards_by_range(self)[1:]]
    target = [start for start, _ in even_ranges(target_shard_count)[1:]]
    splits, merges = _boundaries_to_change(current, target)
    _split_at(self, splits)
    _merge_across(self, merges)
    _refresh_open_shard_count(self)


def _require_provisioned(stream: Any) -> None:
    """UpdateShardCount is for provisioned streams only (F21): ValidationException otherwise."""
    if stream.stream_mode.get("StreamMode", "") == "ON_DEMAND":
        raise JsonRESTError(
            error_type="ValidationException",
            message=f"Request is invalid. Stream {stream.stream_name} under account "
            f"{stream.account_id} is in On-Demand mode.",
        )


def _require_scaling_within_limits(open_count: int, target: int) -> None:
    """F21/F14 default limits: at most 10,000 shards, at most double, at least half the
    current open shard count — else LimitExceededException. moto accepts any target."""
    counts = f"Current open shard count: {open_count} Target shard count: {target}"
    if target > SHARDS_PER_STREAM_UPDATE_SHARD_COUNT_MAX:
        raise _limit_exceeded(
            "Target shard count or number of open shards cannot be greater than "
            f"{SHARDS_PER_STREAM_UPDATE_SHARD_COUNT_MAX}. {counts}"
        )
    if target > open_count * UPDATE_SHARD_COUNT_MAX_FACTOR_UP:
        raise _limit_exceeded(
            f"UpdateShardCount cannot scale up over double your current open shard count. {counts}"
        )
    if target * UPDATE_SHARD_COUNT_MAX_FACTOR_UP < open_count:
        raise _limit_exceeded(
            f"UpdateShardCount cannot scale down below half your current open shard count. {counts}"
        )


def _update_shard_count_within_limits(
    self: Any, stream_arn: str, stream_name: str, target_shard_count: int
) -> int:
    """Check F21's limits, reshape the stream, and return the open shard count before it.

    The 10-scalings-per-24-hours limit (F21) is the limits SIMULATION's (it wraps this)."""
    stream = self.describe_stream(stream_arn=stream_arn, stream_name=stream_name)
    _require_provisioned(stream)
    current = _open_shard_count(stream)
    _require_scaling_within_limits(current, int(target_shard_count))
    stream.update_shard_count(int(target_shard_count))
    return current


def _update_shard_count_response(self: Any) -> ActionResult:
    """UpdateShardCount's answer names the stream even when called by StreamARN (moto: null)."""
    stream_arn = self._get_param("StreamARN")
    stream_name = self._get_param("StreamName")
    target = self._get_param("TargetShardCount")
    current = self.kinesis_backend.update_shard_count(
        stream_arn=stream_arn, stream_name=stream_name, target_shard_count=target
    )
    stream = self.kinesis_backend.describe_stream(stream_arn=stream_arn, stream_name=stream_name)
    return ActionResult(
        {
            "StreamName": stream.stream_name,
            "StreamARN": stream.arn,
            "CurrentShardCount": current,
            "TargetShardCount": target,
        }
    )


# ---------------------------------------------------------------------------------------------
# Iterators and GetRecords (F3, F9, F10, F22)
# ---------------------------------------------------------------------------------------------

_SEQUENCE_NUMBER_TEXT = re.compile(r"0|[1-9]\d{0,128}")  # API_GetShardIterator pattern
# "stream:shard:position:issued", the issue time in lab-clock milliseconds being optional so
# that an iterator moto composed before install() still reads.
_ITERATOR_TEXT = re.compile(
    r"([a-zA-Z0-9_.-]{1,128}):(shardId-\d{12}):(-?\d{1,130})(?::(\d{1,16}))?"
)


class ShardIterator(NamedTuple):
    """What an iterator of ours carries; ``issued_at`` is lab-clock seconds (None: unknown)."""

    stream_name: str
    shard_id: str
    position: int
    issued_at: float | None


def _compose_iterator(stream_name: str, shard_id: str, last_sequence_number: int) -> str:
    """moto's iterator content plus the lab-clock millisecond it was issued
    ("stream:shard:position:issued"), base64 without line breaks. The issue time is what lets
    the limits SIMULATION expire an iterator 5 minutes after it was returned (F9)."""
    issued = int(clock.now() * 1000)
    text = f"{stream_name}:{shard_id}:{last_sequence_number}:{issued}"
    return base64.b64encode(text.encode()).decode()


def _parse_iterator(shard_iterator: Any) -> ShardIterator:
    """The parts of an iterator, or InvalidArgumentException "Invalid ShardIterator."
    (API_GetRecords). moto crashes on anything it cannot split."""
    if not isinstance(shard_iterator, str):
        raise _invalid_shard_iterator()
    try:
        text = base64.b64decode("".join(shard_iterator.split()), validate=True).decode("ascii")
    except (binascii.Error, ValueError):
        raise _invalid_shard_iterator() from None
    match = _ITERATOR_TEXT.fullmatch(text)
    if match is None:
        raise _invalid_shard_iterator()
    issued = match.group(4)
    return ShardIterator(
        match.group(1),
        match.group(2),
        int(match.group(3)),
        int(issued) / 1000 if issued is not None else None,
    )


def _require_known_iterator_type(iterator_type: Any) -> None:
    """F10: the five iterator types; anything else is an InvalidArgumentException."""
    if iterator_type not in ITERATOR_TYPES:
        raise _invalid_argument(
            f"Invalid ShardIteratorType: {iterator_type}. Valid values: {', '.join(ITERATOR_TYPES)}"
        )


def _require_sequence_number_only_with_its_types(iterator_type: str, sequence: Any) -> None:
    """AT_/AFTER_SEQUENCE_NUMBER need StartingSequenceNumber; TRIM_HORIZON and LATEST refuse
    one (API_GetShardIterator). moto crashes on ``int(None)`` for the first case."""
    needs_sequence = iterator_type in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER")
    refuses_sequence = iterator_type in ("TRIM_HORIZON", "LATEST")
    if (needs_sequence and sequence is None) or (refuses_sequence and sequence is not None):
        given = "no StartingSequenceNumber" if sequence is None else "also a StartingSequenceNumber"
        raise _invalid_argument(
            "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and "
            "StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. "
            f"Request specified {iterator_type} and {given}."
        )


def _starting_sequence_number(stream: Any, shard: Any, sequence: Any) -> int:
    """A StartingSequenceNumber as an integer that belongs to this shard, else
    InvalidArgumentException (API_GetShardIterator). moto crashes on non-decimal text."""
    if not isinstance(sequence, str) or not _SEQUENCE_NUMBER_TEXT.fullmatch(sequence):
        raise _invalid_argument(
            f"StartingSequenceNumber {sequence} used in GetShardIterator on shard "
            f"{shard.shard_id} in stream {stream.stream_name} under account "
            f"{stream.account_id} is invalid."
        )
    number = int(sequence)
    encoded_shard = _shard_number_in(number)
    if encoded_shard is not None and encoded_shard != shard._shard_id % _SHARD_NUMBER_MODULUS:
        raise _invalid_argument(
            f"Invalid StartingSequenceNumber. It encodes shardId-{encoded_shard:012d}, while it "
            f"was used in a call to a shard with {shard.shard_id}"
        )
    return number


def _timestamp_position(shard: Any, at_timestamp: Any) -> int:
    """AT_TIMESTAMP needs a Timestamp (API_GetShardIterator); moto crashes without one."""
    if at_timestamp is None:
        raise _invalid_argument(
            "Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. "
            "Current request has no timestamp parameter."
        )
    return _sequence_number_before(shard, float(at_timestamp))


def _iterator_position(
    stream: Any, shard: Any, iterator_type: str, sequence: Any, at_timestamp: Any
) -> int:
    """The last sequence number *before* the first record the iterator returns (F10)."""
    if iterator_type == "AT_SEQUENCE_NUMBER":
        return _starting_sequence_number(stream, shard, sequence) - 1
    if iterator_type == "AFTER_SEQUENCE_NUMBER":
        return _starting_sequence_number(stream, shard, sequence)
    if iterator_type == "AT_TIMESTAMP":
        return _timestamp_position(shard, at_timestamp)
    if iterator_type == "LATEST":
        return _max_sequence_number(shard)
    return 0  # TRIM_HORIZON


def _get_shard_iterator_checked(
    self: Any,
    stream_arn: str | None,
    stream_name: str | None,
    shard_id: str,
    shard_iterator_type: str,
    starting_sequence_number: Any,
    at_timestamp: Any,
) -> str:
    """GetShardIterator with AWS's argument checks (F10); the iterator names the stream even
    when the call used StreamARN (moto writes "None" there, and GetRecords then fails)."""
    _require_known_iterator_type(shard_iterator_type)
    _require_sequence_number_only_with_its_types(shard_iterator_type, starting_sequence_number)
    stream = self.describe_stream(stream_arn=stream_arn, stream_name=stream_name)
    shard = stream.shards.get(shard_id)
    if shard is None:
        raise _not_found(
            f"Shard {shard_id} in stream {stream.stream_name} under account "
            f"{self.account_id} does not exist"
        )
    position = _iterator_position(
        stream, shard, shard_iterator_type, starting_sequence_number, at_timestamp
    )
    return _compose_iterator(stream.stream_name, shard.shard_id, position)


def _checked_limit(limit: Any) -> int:
    """GetRecords Limit is 1..10,000, default 10,000 (F3); API_GetRecords: "If you specify a
    value that is greater than 10,000, GetRecords throws InvalidArgumentException".
    moto accepts any limit and returned 11,000 records."""
    if limit is None:
        return GET_RECORDS_MAX_RECORDS
    if not isinstance(limit, int) or not 1 <= limit <= GET_RECORDS_MAX_RECORDS:
        raise _invalid_argument(
            f"Limit must be between 1 and {GET_RECORDS_MAX_RECORDS}; got {limit}."
        )
    return limit


def _child_shards(stream: Any, shard: Any) -> list[dict[str, Any]]:
    """The ChildShards entries of a closed shard (API_ChildShard)."""
    children = []
    for child in stream.shards.values():
        if shard.shard_id in (child.parent, child.adjacent_parent):
            parents = [p for p in (child.parent, child.adjacent_parent) if p]
            children.append(
                {
                    "ShardId": child.shard_id,
                    "ParentShards": parents,
                    "HashKeyRange": {
                        "StartingHashKey": str(child.starting_hash),
                        "EndingHashKey": str(child.ending_hash),
                    },
                }
            )
    return children


class _Page(NamedTuple):
    records: list[Any]
    next_shard_iterator: str | None
    millis_behind_latest: int
    child_shards: list[dict[str, Any]] | None
    data_bytes: int


def _read_page(backend: Any, stream_arn: Any, shard_iterator: Any, limit: Any) -> _Page:
    """One GetRecords call (F3, F22): at most 10,000 records; at the end of a CLOSED shard no
    NextShardIterator ("If set to null, the shard has been closed") and its ChildShards.

    moto: garbage iterators crash it, Limit is unchecked, and a closed shard hands out
    iterators forever without ChildShards, so a reader never learns to move to the children."""
    limit = _checked_limit(limit)
    iterator = _parse_iterator(shard_iterator)
    stream = backend.describe_stream(stream_arn=stream_arn, stream_name=iterator.stream_name)
    return _page_at(stream, stream.get_shard(iterator.shard_id), iterator.position, limit)


def _page_at(stream: Any, shard: Any, position: int, limit: int) -> _Page:
    """The GetRecords answer for a checked position and Limit (the layers reuse it)."""
    batch = _records_after(shard, position, limit)
    if batch.reached_end and not shard.is_open:
        children = _child_shards(stream, shard)
        return _Page(batch.records, None, batch.millis_behind_latest, children, batch.data_bytes)
    next_iterator = _compose_iterator(
        stream.stream_name, shard.shard_id, batch.last_sequence_number
    )
    return _Page(batch.records, next_iterator, batch.millis_behind_latest, None, batch.data_bytes)


def _get_records_checked(
    self: Any, stream_arn: str | None, shard_iterator: str, limit: int | None
) -> tuple[str | None, list[Any], int]:
    """Stock signature of ``KinesisBackend.get_records``, answered by ``_read_page``."""
    page = _read_page(self, stream_arn, shard_iterator, limit)
    return page.next_shard_iterator, page.records, page.millis_behind_latest


def _get_records_response(self: Any) -> ActionResult:
    """GetRecords' answer: NextShardIterator only while the shard has more to give, ChildShards
    at the end of a closed shard (API_GetRecords). moto never omits the iterator."""
    page = _read_page(
        self.kinesis_backend,
        self._get_param("StreamARN"),
        self._get_param("ShardIterator"),
        self._get_param("Limit"),
    )
    return ActionResult(_page_body(page))


def _page_body(page: _Page) -> dict[str, Any]:
    """GetRecords' JSON body for a page."""
    body: dict[str, Any] = {
        "Records": [record.to_json() for record in page.records],
        "MillisBehindLatest": page.millis_behind_latest,
    }
    if page.next_shard_iterator is not None:
        body["NextShardIterator"] = page.next_shard_iterator
    if page.child_shards is not None:
        body["ChildShards"] = page.child_shards
    return body


# ---------------------------------------------------------------------------------------------
# Streams and consumers
# ---------------------------------------------------------------------------------------------


def _create_stream_requiring_shard_count(
    self: Any,
    stream_name: str,
    shard_count: int | None,
    stream_mode: dict[str, str] | None = None,
    retention_period_hours: int | None = None,
) -> Any:
    """A PROVISIONED stream needs ShardCount ≥ 1 (API_CreateStream: "For the data streams with a
    provisioned mode, you must specify the number of shards"). The reference names no error
    for this case; we answer InvalidArgumentException, its catch-all for a parameter that
    "can't be used". moto crashes on ``2**128 // None``."""
    provisioned = (stream_mode or {}).get("StreamMode", "PROVISIONED") != "ON_DEMAND"
    if provisioned and (shard_count is None or int(shard_count) < 1):
        raise _invalid_argument(
            f"ShardCount is required and must be at least 1 for stream {stream_name}, which "
            "is in PROVISIONED mode."
        )
    create_stream = _stock(KinesisBackend, "create_stream")
    stream = create_stream(self, stream_name, shard_count, stream_mode, retention_period_hours)
    for shard in stream.shards.values():
        _index_of(shard)
    return stream


def _create_stream_response_keeping_tags(self: Any) -> ActionResult:
    """CreateStream applies its ``Tags`` (API_CreateStream: "A set of up to 50 key-value pairs
    to use to create the tags"). moto drops them, so a stream created with tags has none."""
    stream_name = self._get_param("StreamName")
    self.kinesis_backend.create_stream(
        stream_name,
        self._get_param("ShardCount"),
        stream_mode=self._get_param("StreamModeDetails"),
    )
    tags = self._get_param("Tags")
    if tags:
        self.kinesis_backend.add_tags_to_stream(None, stream_name, tags)
    return EmptyResult()


def _deregister_only_that_consumer(
    self: Any, stream_arn: str | None, consumer_name: str | None, consumer_arn: str | None
) -> None:
    """Delete exactly the named consumer (API_DeregisterStreamConsumer); ResourceNotFound if
    there is none. moto, given StreamARN + ConsumerName, deletes every *other* consumer."""
    removed = 0
    for stream in self.streams.values():
        before = len(stream.consumers)
        stream.consumers = [
            consumer
            for consumer in stream.consumers
            if not _is_consumer(consumer, stream, stream_arn, consumer_name, consumer_arn)
        ]
        removed += before - len(stream.consumers)
    if not removed:
        raise _not_found(
            f"Consumer {consumer_arn or consumer_name}, account {self.account_id} not found."
        )


def _is_consumer(
    consumer: Any,
    stream: Any,
    stream_arn: str | None,
    consumer_name: str | None,
    consumer_arn: str | None,
) -> bool:
    if consumer_arn:
        return consumer.consumer_arn == consumer_arn
    return stream.arn == stream_arn and consumer.consumer_name == consumer_name


# ---------------------------------------------------------------------------------------------
# install / uninstall
# ---------------------------------------------------------------------------------------------

_MISSING = object()
_originals: dict[tuple[type, str], Any] = {}


def _stock(owner: type, name: str) -> Callable[..., Any]:
    """moto's own method, for the fixes that validate first and then let moto do the work."""
    return _originals.get((owner, name)) or owner.__dict__[name]


def _replacements() -> list[tuple[type, str, Callable[..., Any]]]:
    """Every (class, method name, replacement) that install() applies."""
    return [
        (Shard, "put_record", _put_record_constant_time),
        (Shard, "get_records", _shard_get_records_bisect),
        (Shard, "get_min_sequence_number", _min_sequence_number),
        (Shard, "get_max_sequence_number", _max_sequence_number),
        (Shard, "get_sequence_number_at", _sequence_number_before),
        (Shard, "to_json", _shard_description),
        (Stream, "get_shard_for_key", _route_to_open_shard),
        (Stream, "split_shard", _split_shard_keeping_records),
        (Stream, "merge_shards", _merge_adjacent_shards),
        (Stream, "update_shard_count", _update_shard_count_uniformly),
        (KinesisBackend, "create_stream", _create_stream_requiring_shard_count),
        (KinesisBackend, "put_records", _put_records_validating_first),
        (KinesisBackend, "get_shard_iterator", _get_shard_iterator_checked),
        (KinesisBackend, "get_records", _get_records_checked),
        (KinesisBackend, "update_shard_count", _update_shard_count_within_limits),
        (KinesisBackend, "deregister_stream_consumer", _deregister_only_that_consumer),
        (KinesisResponse, "create_stream", _create_stream_response_keeping_tags),
        (KinesisResponse, "get_records", _get_records_response),
        (KinesisResponse, "update_shard_count", _update_shard_count_response),
    ]


def _require_supported_moto() -> None:
    installed = getattr(moto, "__version__", "unknown")
    if installed != SUPPORTED_MOTO_VERSION:
        raise FidelityVersionError(
            f"kinesis_lab.mock.fidelity supports moto {SUPPORTED_MOTO_VERSION} only, but moto "
            f"{installed} is installed. The fixes patch moto's Kinesis internals, which change "
            "between releases, so they refuse to run rather than teach wrong behaviour. "
            f"Fix: pip install moto=={SUPPORTED_MOTO_VERSION}"
        )


_layers: list[Callable[[], None]] = []


def add_layer(uninstall_layer: Callable[[], None]) -> None:
    """Register the ``uninstall`` of a layer patched on top of these fixes (e.g.
    :mod:`kinesis_lab.simulation.limits`): :func:`uninstall` calls it first, so no layer is
    left calling fixes that are gone."""
    if uninstall_layer not in _layers:
        _layers.append(uninstall_layer)


def remove_layer(uninstall_layer: Callable[[], None]) -> None:
    if uninstall_layer in _layers:
        _layers.remove(uninstall_layer)


def install() -> None:
    """Apply every fix to moto's classes (idempotent). Applies under ``mock_aws()`` and to a
    ``ThreadedMotoServer`` started in this process."""
    _require_supported_moto()
    if is_installed():
        return
    replace_methods(_replacements(), _originals)


def uninstall() -> None:
    """Put moto's stock methods back exactly as they were (no-op when not installed); any
    layer on top (see :func:`add_layer`) is uninstalled first."""
    for uninstall_layer in reversed(list(_layers)):
        uninstall_layer()
    restore_methods(_originals)


def replace_methods(
    replacements: Iterable[tuple[type, str, Callable[..., Any]]],
    originals: dict[tuple[type, str], Any],
) -> None:
    """Set each ``owner.name`` to its replacement, remembering in ``originals`` what the class
    itself held (or that it held nothing), so :func:`restore_methods` can undo it exactly.
    Shared by the fixes and every layer on top of them."""
    for owner, name, replacement in replacements:
        originals[(owner, name)] = owner.__dict__.get(name, _MISSING)
        setattr(owner, name, replacement)


def restore_methods(originals: dict[tuple[type, str], Any]) -> None:
    """Undo :func:`replace_methods` and forget what it remembered."""
    for (owner, name), original in originals.items():
        if original is _MISSING:
            delattr(owner, name)
        else:
            setattr(owner, name, original)
    originals.clear()


def is_installed() -> bool:
    """Whether install() is in effect."""
    return bool(_originals)
