"""SIMULATION of KPL-style aggregation and de-aggregation, in a simplified format of this
course's own — NOT the Kinesis Producer Library's wire format.

Why: aggregation packs many small *user records* into one Kinesis *data record*, so a shard's
1,000 records/s (F1) stops being the bottleneck for small records and fewer 25 KB PUT payload
units are billed (F27); every consumer must then unpack them again — the KCL does, Firehose
does with a Kinesis data stream as its source (F68), and a Lambda function needs a
de-aggregation module (KDS Developer Guide, "Process serialized data using AWS Lambda with the
KPL").

The real format is a 4-byte magic number, a protobuf message (a table of partition keys, and
records that point into it) and an MD5 checksum. This module keeps those ideas — a marker at
the start, a partition-key table, records that refer to it, a checksum at the end — as plain
``struct`` fields, so a learner can read every byte (all integers big-endian)::

    MAGIC                      8 bytes   b"KLAB-AGG"
    number of partition keys   uint16    then per key: uint16 length + UTF-8 bytes
    number of user records     uint32    then per record: uint16 key index,
                                                          uint32 length + data bytes
    checksum                   16 bytes  MD5 of everything between MAGIC and the checksum

Like the KPL, :func:`aggregate` packs only user records bound for the same shard, and an
aggregated record carries the partition key of its first user record, so every user record
lands on the shard its own key maps to. A user record too big to share a record is sent on
its own, not aggregated — consumers must pass such plain records through unchanged.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from .checks import FAIL_MARK, PASS_MARK, TODO_MARK, is_blank
from .facts import MAX_RECORD_SIZE_DEFAULT
from .keys import shard_for_key

MAGIC = b"KLAB-AGG"
CHECKSUM_BYTES = 16
_KEY_HEADER = struct.Struct(">H")  # key length
_COUNT_KEYS = struct.Struct(">H")
_COUNT_RECORDS = struct.Struct(">I")
_RECORD_HEADER = struct.Struct(">HI")  # key index, data length
MIN_SIZE = len(MAGIC) + _COUNT_KEYS.size + _COUNT_RECORDS.size + CHECKSUM_BYTES
MAX_KEYS = 0xFFFF


class UserRecord(NamedTuple):
    """One record as the producer's application sees it (the KPL's "user record")."""

    partition_key: str
    data: bytes


class AggregatedRecord(NamedTuple):
    """One Kinesis data record the aggregator produced: aggregated, or a plain pass-through."""

    partition_key: str
    data: bytes
    user_records: int
    aggregated: bool

    @property
    def entry(self) -> dict[str, Any]:
        """A PutRecords entry."""
        return {"Data": self.data, "PartitionKey": self.partition_key}


# ---------------------------------------------------------------------------------------------
# pack / unpack
# ---------------------------------------------------------------------------------------------


def packed_size(user_records: Sequence[UserRecord]) -> int:
    """Bytes :func:`pack` makes of these user records (without building them)."""
    keys = {record.partition_key for record in user_records}
    return (
        MIN_SIZE
        + sum(_KEY_HEADER.size + len(key.encode("utf-8")) for key in keys)
        + sum(_RECORD_HEADER.size + len(record.data) for record in user_records)
    )


def pack(user_records: Iterable[UserRecord]) -> bytes:
    """Aggregate user records into one data blob (SIMULATION format, see the module doc)."""
    records = [UserRecord(str(r[0]), bytes(r[1])) for r in user_records]
    if not records:
        raise ValueError("nothing to aggregate")
    key_index: dict[str, int] = {}
    for record in records:
        key_index.setdefault(record.partition_key, len(key_index))
    if len(key_index) > MAX_KEYS:
        raise ValueError(f"at most {MAX_KEYS} distinct partition keys per aggregated record")
    body = [_COUNT_KEYS.pack(len(key_index))]
    for key in key_index:
        encoded = key.encode("utf-8")
        body += [_KEY_HEADER.pack(len(encoded)), encoded]
    body.append(_COUNT_RECORDS.pack(len(records)))
    for record in records:
        body += [
            _RECORD_HEADER.pack(key_index[record.partition_key], len(record.data)),
            record.data,
        ]
    payload = b"".join(body)
    return MAGIC + payload + hashlib.md5(payload).digest()


def is_aggregated(data: bytes) -> bool:
    """True when ``data`` is an aggregated record: the magic marker and a matching checksum.

    A plain record that happens to start with the marker fails the checksum, so it is treated
    as plain — the same rule the KPL's consumers use."""
    data = bytes(data)
    if len(data) < MIN_SIZE or not data.startswith(MAGIC):
        return False
    payload, checksum = data[len(MAGIC) : -CHECKSUM_BYTES], data[-CHECKSUM_BYTES:]
    return hashlib.md5(payload).digest() == checksum


def unpack(data: bytes) -> list[UserRecord]:
    """The user records inside an aggregated record, in the order they were packed."""
    data = bytes(data)
    if not is_aggregated(data):
        raise ValueError("not an aggregated record (no marker, or the checksum does not match)")
    payload = data[len(MAGIC) : -CHECKSUM_BYTES]
    offset = 0

    def read(fmt: struct.Struct) -> tuple[int, ...]:
        nonlocal offset
        values = fmt.unpack_from(payload, offset)
        offset += fmt.size
        return values

    def take(length: int) -> bytes:
        nonlocal offset
        chunk = payload[offset : offset + length]
        if len(chunk) != length:
            raise ValueError("truncated aggregated record")
        offset += length
        return chunk

    try:
        (key_count,) = read(_COUNT_KEYS)
        keys = []
        for _ in range(key_count):
            (length,) = read(_KEY_HEADER)
            keys.append(take(length).decode("utf-8"))
        (record_count,) = read(_COUNT_RECORDS)
        records = []
        for _ in range(record_count):
            index, length = read(_RECORD_HEADER)
            records.append(UserRecord(keys[index], take(length)))
    except (struct.error, IndexError, UnicodeDecodeError) as error:
        raise ValueError(f"malformed aggregated record: {error}") from error
    if offset != len(payload):
        raise ValueError("malformed aggregated record: bytes left over")
    return records


# ---------------------------------------------------------------------------------------------
# The producer side (aggregate) and the consumer side (deaggregate)
# ---------------------------------------------------------------------------------------------


def aggregate(
    user_records: Iterable[UserRecord],
    max_bytes: int = MAX_RECORD_SIZE_DEFAULT,
    shards: Sequence[Mapping[str, Any]] | None = None,
) -> list[AggregatedRecord]:
    """Pack user records, in order, into as few data records of at most ``max_bytes`` as the
    greedy rule allows (F4: a record is at most 1 MiB unless the stream allows more).

    With ``shards`` (ListShards output), only user records bound for the same shard share a
    data record (as the KPL does); without, all records are taken to share one shard. A user
    record that cannot fit in ``max_bytes`` even alone is passed through as a plain record."""
    if max_bytes <= MIN_SIZE:
        raise ValueError(f"max_bytes must be more than the format's {MIN_SIZE}-byte overhead")
    output: list[AggregatedRecord | None] = []
    # shard → (slot in output, user records, their distinct keys, packed size so far)
    open_bins: dict[str, tuple[int, list[UserRecord], set[str], int]] = {}

    def close(shard: str) -> None:
        slot, records, _, _ = open_bins.pop(shard)
        output[slot] = AggregatedRecord(records[0].partition_key, pack(records), len(records), True)

    for record in user_records:
        record = UserRecord(str(record[0]), bytes(record[1]))
        shard = shard_for_key(record.partition_key, shards) if shards is not None else ""
        key_bytes = _KEY_HEADER.size + len(record.partition_key.encode("utf-8"))
        record_bytes = _RECORD_HEADER.size + len(record.data)
        if MIN_SIZE + key_bytes + record_bytes > max_bytes:
            if shard in open_bins:
                close(shard)  # keep the shard's order: what came before goes first
            output.append(AggregatedRecord(record.partition_key, record.data, 1, False))
            continue
        if shard in open_bins:
            _, records, keys, size = open_bins[shard]
            grown = size + record_bytes + (0 if record.partition_key in keys else key_bytes)
            if grown > max_bytes:
                close(shard)
        if shard not in open_bins:
            open_bins[shard] = (len(output), [], set(), MIN_SIZE)
            output.append(None)  # the slot this aggregated record will fill
        slot, records, keys, size = open_bins[shard]
        size += record_bytes + (0 if record.partition_key in keys else key_bytes)
        records.append(record)
        keys.add(record.partition_key)
        open_bins[shard] = (slot, records, keys, size)
    for shard in list(open_bins):
        close(shard)
    return [record for record in output if record is not None]


def deaggregate(records: Iterable[Mapping[str, Any]]) -> list[UserRecord]:
    """What a consumer must do with GetRecords records (dicts with Data and PartitionKey):
    unpack the aggregated ones, pass plain ones through as one user record each, in order."""
    user_records: list[UserRecord] = []
    for record in records:
        data = bytes(record["Data"])
        if is_aggregated(data):
            user_records += unpack(data)
        else:
            user_records.append(UserRecord(record["PartitionKey"], data))
    return user_records


# ---------------------------------------------------------------------------------------------
# Checking a learner's de-aggregation (never raises; hints, not answers)
# ---------------------------------------------------------------------------------------------


def _reading(device: str, n: int) -> UserRecord:
    return UserRecord(device, f'{{"device":"{device}","n":{n}}}'.encode())


def _as_record(aggregated: AggregatedRecord, sequence: int) -> dict[str, Any]:
    """A GetRecords-shaped record holding an aggregated (or plain) data record."""
    return {
        "SequenceNumber": f"4965{sequence:052d}",
        "PartitionKey": aggregated.partition_key,
        "Data": aggregated.data,
    }


_BATCH_A = [_reading("sensor-1", n) for n in range(3)] + [_reading("sensor-2", 0)]
_BATCH_B = [_reading("sensor-3", n) for n in range(2)]
_AGG_A = AggregatedRecord("sensor-1", pack(_BATCH_A), len(_BATCH_A), True)
_AGG_B = AggregatedRecord("sensor-3", pack(_BATCH_B), len(_BATCH_B), True)
_PLAIN = AggregatedRecord("camera-9", b'{"device":"camera-9","frame":"large"}', 1, False)
_PLAIN_2 = AggregatedRecord("sensor-4", b'{"device":"sensor-4","n":0}', 1, False)

DEAGGREGATE_CASES: tuple[tuple[str, list[AggregatedRecord]], ...] = (
    ("two aggregated records", [_AGG_A, _AGG_B]),
    ("a plain record between aggregated ones", [_AGG_A, _PLAIN, _AGG_B]),
    ("plain records only", [_PLAIN, _PLAIN_2]),
    ("nothing read", []),
)


def _normalised(got: Any) -> list[tuple[Any, Any]] | None:
    """The learner's result as (key, data bytes) pairs, or None when it is not such a list."""
    try:
        pairs = []
        for item in got:
            key, data = item
            if not isinstance(key, str) or not isinstance(data, (bytes, bytearray)):
                return None
            pairs.append((key, bytes(data)))
        return pairs
    except Exception:
        return None


def check_deaggregate(function: Callable[[list[dict[str, Any]]], Any]) -> bool:
    """Check a learner's ``deaggregate(records)`` → list of (partition_key, data) pairs."""
    right = 0
    hints: list[str] = []
    for label, stored in DEAGGREGATE_CASES:
        records = [_as_record(agg, n) for n, agg in enumerate(stored)]
        expected = [tuple(r) for r in deaggregate(records)]
        try:
            got = function([dict(r) for r in records])
        except Exception as error:
            print(f"{FAIL_MARK} {label}: raised {type(error).__name__}: {error}"[:140])
            if isinstance(error, ValueError):
                hints.append("only unpack records where is_aggregated(data) is True")
            continue
        if is_blank(got):
            print(f"{TODO_MARK} deaggregate: not yet — replace the ... with your answer.")
            return False
        pairs = _normalised(got) if got is not None else None
        if pairs == expected:
            right += 1
            print(f"{PASS_MARK} {label}: {len(pairs)} user records from {len(records)} records")
            continue
        count = "?" if pairs is None else len(pairs)
        print(f"{FAIL_MARK} {label}: you have {count} user records; {len(records)} records read")
        if pairs is None:
            hints.append("return a list of (partition_key, data) pairs, e.g. UserRecord objects")
        elif len(pairs) == len(records) and len(expected) != len(records):
            hints.append("aggregated records hold several user records: unpack(data) them")
        elif len(pairs) < len(expected):
            hints.append(
                "a record that is not aggregated is one user record: keep it as "
                "(its PartitionKey, its Data)"
            )
        elif sorted(pairs) == sorted(expected):
            hints.append("keep the order: records in the order read, user records in packed order")
        else:
            hints.append("each user record keeps its own partition key and data bytes")
    for hint in dict.fromkeys(hints):
        print(f"    hint: {hint}")
    total = len(DEAGGREGATE_CASES)
    print(f"{right} of {total} cases right." if right < total else f"All {total} cases right.")
    return right == total
