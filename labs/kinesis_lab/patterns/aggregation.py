"""KPL aggregation in its real wire format: what M3 shows and checks around AWS's own module.

Aggregation packs many small *user records* into one Kinesis *data record*, so a shard's 1,000
records/s (F1) stops being the bottleneck for small records and fewer 25 KB PUT payload units
are billed (F27). Every consumer must unpack them again: the KCL does, Firehose does with a
Kinesis data stream as its source (F68), a Lambda function must do it itself with the KPL
de-aggregation module (F69).

The aggregating and de-aggregating are the calls the lesson teaches, so learners make them
with AWS's maintained module ``aws-kinesis-agg`` (awslabs/kinesis-aggregation):
``aws_kinesis_agg.aggregator.RecordAggregator`` packs, and
``aws_kinesis_agg.deaggregator.iter_deaggregate_records`` unpacks. Its bytes are the KPL's:
4 magic bytes, a protobuf ``AggregatedRecord`` (a partition-key table, an optional
explicit-hash-key table, records that point into them) and a 16-byte MD5 of the protobuf body.
(The course once had a simplified format of its own here; it was replaced so that the labs show
what real consumers see.)

What stays in this module is what the module does not offer, each for a reason:

- :func:`wire_layout` / :func:`show_wire_layout` *draw*: they split a data record into magic,
  protobuf body and MD5 trailer, check the trailer and count the tables — aws-kinesis-agg has
  the constants (``MAGIC``, ``DIGEST_SIZE``) but no such view.
- :func:`check_deaggregate` *checks* the learner's de-aggregation (hints, not answers). Its
  cases are built with ``RecordAggregator``, so the learner's code meets the real format; the
  expected user records are the ones packed, not a second de-aggregator's output. One quirk of
  the module is worth a hint: on its boto3 path (``data_format="Boto3"``) an unpacked user
  record's data comes back base64-encoded while a record that was not aggregated keeps its raw
  bytes (deaggregator.py, ``_create_user_record``).

What went, and why: the course's own ``pack``/``unpack``/``aggregate``/``deaggregate`` — the
module does each of them, in the format consumers really receive.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from collections.abc import Callable
from typing import Any, NamedTuple

import aws_kinesis_agg

# isort: off
# aggregator first: it puts its own folder on sys.path, which messages_pb2's import needs
from aws_kinesis_agg.aggregator import RecordAggregator
from aws_kinesis_agg import messages_pb2

# isort: on

from ..core.checks import FAIL_MARK, PASS_MARK, TODO_MARK, is_blank

KPL_MAGIC: bytes = aws_kinesis_agg.MAGIC  # b"\xf3\x89\x9a\xc2"
MD5_BYTES: int = aws_kinesis_agg.DIGEST_SIZE  # 16


class UserRecord(NamedTuple):
    """One record as the producer's application sees it (the KPL's "user record")."""

    partition_key: str
    data: bytes


class WireLayout(NamedTuple):
    """The three parts of a data record in the KPL aggregation format."""

    magic: bytes
    body: bytes  # a serialized protobuf AggregatedRecord
    md5: bytes  # MD5 of the body; wire_layout returns None when it does not match
    partition_keys: list[str]
    explicit_hash_keys: list[str]
    user_records: int


# ---------------------------------------------------------------------------------------------
# Drawing: what is inside an aggregated record
# ---------------------------------------------------------------------------------------------


def wire_layout(data: bytes) -> WireLayout | None:
    """Magic, protobuf body and MD5 trailer of a KPL-aggregated record; None for a plain one
    (no magic, too short, a trailer that does not match, or a body that is not the protobuf)."""
    data = bytes(data)
    if not data.startswith(KPL_MAGIC) or len(data) <= len(KPL_MAGIC) + MD5_BYTES:
        return None
    body, md5 = data[len(KPL_MAGIC) : -MD5_BYTES], data[-MD5_BYTES:]
    if hashlib.md5(body).digest() != md5:
        return None
    message = messages_pb2.AggregatedRecord()
    try:
        message.ParseFromString(body)
    except Exception:  # google.protobuf.message.DecodeError
        return None
    return WireLayout(
        magic=KPL_MAGIC,
        body=body,
        md5=md5,
        partition_keys=list(message.partition_key_table),
        explicit_hash_keys=list(message.explicit_hash_key_table),
        user_records=len(message.records),
    )


def show_wire_layout(data: bytes) -> WireLayout | None:
    """Print the bytes of one data record as a consumer receives them, part by part."""
    data = bytes(data)
    layout = wire_layout(data)
    if layout is None:
        print(f"{len(data):,} bytes, not KPL-aggregated: a plain record ({data[:24]!r}…)")
        return None
    keys = ", ".join(layout.partition_keys[:3]) + (", …" if len(layout.partition_keys) > 3 else "")
    print(f"{len(data):,} bytes in the KPL aggregation format:")
    print(f"  magic     {len(layout.magic):>7,} bytes  {layout.magic.hex(' ')}")
    print(
        f"  protobuf  {len(layout.body):>7,} bytes  AggregatedRecord: "
        f"{len(layout.partition_keys)} partition keys ({keys}), "
        f"{len(layout.explicit_hash_keys)} explicit hash keys, {layout.user_records} records"
    )
    print(
        f"  MD5       {len(layout.md5):>7,} bytes  {layout.md5.hex()[:16]}… of the protobuf: matches"
    )
    return layout


# ---------------------------------------------------------------------------------------------
# Checking a learner's de-aggregation (never raises; hints, not answers)
# ---------------------------------------------------------------------------------------------


def _reading(device: str, n: int) -> UserRecord:
    return UserRecord(device, f'{{"device":"{device}","n":{n}}}'.encode())


class Stored(NamedTuple):
    """A data record as stored in the stream, and the user records it holds."""

    partition_key: str
    data: bytes
    users: list[UserRecord]


def _aggregated(users: list[UserRecord]) -> Stored:
    """One data record in the real KPL format, made with aws-kinesis-agg."""
    aggregator = RecordAggregator()
    for user in users:
        if aggregator.add_user_record(user.partition_key, user.data) is not None:
            raise ValueError("the check's user records must fit one aggregated record")
    partition_key, _, data = aggregator.clear_and_get().get_contents()
    return Stored(partition_key, data, users)


def _plain(user: UserRecord) -> Stored:
    return Stored(user.partition_key, user.data, [user])


_AGG_A = _aggregated([_reading("sensor-1", n) for n in range(3)] + [_reading("sensor-2", 0)])
_AGG_B = _aggregated([_reading("sensor-3", n) for n in range(2)])
_PLAIN = _plain(UserRecord("camera-9", b'{"device":"camera-9","frame":"large"}'))
_PLAIN_2 = _plain(_reading("sensor-4", 0))

DEAGGREGATE_CASES: tuple[tuple[str, list[Stored]], ...] = (
    ("two aggregated records", [_AGG_A, _AGG_B]),
    ("a plain record between aggregated ones", [_AGG_A, _PLAIN, _AGG_B]),
    ("plain records only", [_PLAIN, _PLAIN_2]),
    ("nothing read", []),
)
_ARRIVAL = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


def _as_records(stored: list[Stored]) -> list[dict[str, Any]]:
    """GetRecords-shaped records holding these data records."""
    return [
        {
            "SequenceNumber": f"4965{n:052d}",
            "ApproximateArrivalTimestamp": _ARRIVAL,
            "Data": record.data,
            "PartitionKey": record.partition_key,
        }
        for n, record in enumerate(stored)
    ]


def _normalised(got: Any) -> list[tuple[str, bytes]] | None:
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


def _hint(pairs: list[tuple[str, bytes]] | None, expected: list, read: int) -> str:
    if pairs is None:
        return "return a list of (partition_key, data) pairs, data as bytes"
    if len(pairs) == read and len(expected) != read:
        return (
            "aggregated records hold several user records: hand the records to "
            'iter_deaggregate_records(records, data_format="Boto3")'
        )
    encoded = [(key, base64.b64encode(data)) for key, data in expected]
    if len(pairs) == len(expected) and any(p == e for p, e in zip(pairs, encoded, strict=True)):
        return (
            "the module returns an unpacked user record's data base64-encoded: "
            'base64.b64decode it when user["kinesis"].get("aggregated") is True'
        )
    if len(pairs) < len(expected):
        return "a record that is not aggregated is one user record: keep it"
    if sorted(pairs) == sorted(expected):
        return "keep the order: records in the order read, user records in packed order"
    return "each user record keeps its own partition key and data bytes"


def check_deaggregate(function: Callable[[list[dict[str, Any]]], Any]) -> bool:
    """Check a learner's ``deaggregate(records)`` → list of (partition_key, data) pairs, on
    GetRecords-shaped records in the real KPL format (made with RecordAggregator)."""
    right = 0
    hints: list[str] = []
    for label, stored in DEAGGREGATE_CASES:
        expected = [tuple(user) for record in stored for user in record.users]
        try:
            got = function(_as_records(stored))
        except Exception as error:
            print(f"{FAIL_MARK} {label}: raised {type(error).__name__}: {error}"[:140])
            if isinstance(error, KeyError) and "kinesis" in str(error):
                hints.append(
                    "deaggregate_records(records) expects Lambda's event shape; for GetRecords "
                    'records call iter_deaggregate_records(records, data_format="Boto3")'
                )
            elif isinstance(error, ValueError):  # binascii.Error: b64decode of raw bytes
                hints.append(
                    "only unpacked user records (aggregated: True) come back base64-encoded; a "
                    "record that was not aggregated keeps its raw bytes"
                )
            continue
        if is_blank(got):
            print(f"{TODO_MARK} deaggregate: not yet — replace the ... with your answer.")
            return False
        pairs = _normalised(got) if got is not None else None
        if pairs == expected:
            right += 1
            print(f"{PASS_MARK} {label}: {len(pairs)} user records from {len(stored)} records")
            continue
        count = "?" if pairs is None else len(pairs)
        print(f"{FAIL_MARK} {label}: you have {count} user records; {len(stored)} records read")
        hints.append(_hint(pairs, expected, len(stored)))
    for hint in dict.fromkeys(hints):
        print(f"    hint: {hint}")
    total = len(DEAGGREGATE_CASES)
    print(f"{right} of {total} cases right." if right < total else f"All {total} cases right.")
    return right == total
