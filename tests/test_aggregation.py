"""The SIMULATED aggregation format round-trips, respects the record size (F4), keeps each user
record on its own key's shard, and the de-aggregation check catches the classic mistakes."""

from __future__ import annotations

import hashlib
import struct

import pytest

from kinesis_lab.aggregation import (
    CHECKSUM_BYTES,
    DEAGGREGATE_CASES,
    MAGIC,
    MIN_SIZE,
    UserRecord,
    aggregate,
    check_deaggregate,
    deaggregate,
    is_aggregated,
    pack,
    packed_size,
    unpack,
)
from kinesis_lab.checks import BLANK
from kinesis_lab.facts import MAX_RECORD_SIZE_DEFAULT
from kinesis_lab.keys import even_ranges, shard_for_key


def readings(count, devices=5, size=40):
    return [
        UserRecord(f"sensor-{n % devices}", f"reading {n}".encode().ljust(size, b"."))
        for n in range(count)
    ]


def shards(count):
    return [
        {
            "ShardId": f"shardId-{i:012d}",
            "HashKeyRange": {"StartingHashKey": str(lo), "EndingHashKey": str(hi)},
            "SequenceNumberRange": {"StartingSequenceNumber": "1"},
        }
        for i, (lo, hi) in enumerate(even_ranges(count))
    ]


def test_pack_then_unpack_returns_the_same_user_records_in_order():
    records = readings(50) + [UserRecord("ünïcödé-🙂", b""), UserRecord("k", bytes(range(256)))]
    data = pack(records)
    assert is_aggregated(data)
    assert unpack(data) == records
    assert len(data) == packed_size(records)


def test_the_format_is_the_documented_one():
    data = pack([UserRecord("a", b"xy"), UserRecord("b", b"z"), UserRecord("a", b"")])
    assert data.startswith(MAGIC)
    payload = data[len(MAGIC) : -CHECKSUM_BYTES]
    assert data[-CHECKSUM_BYTES:] == hashlib.md5(payload).digest()
    expected = (
        struct.pack(">H", 2)
        + struct.pack(">H", 1)
        + b"a"
        + struct.pack(">H", 1)
        + b"b"
        + struct.pack(">I", 3)
        + struct.pack(">HI", 0, 2)
        + b"xy"
        + struct.pack(">HI", 1, 1)
        + b"z"
        + struct.pack(">HI", 0, 0)
    )
    assert payload == expected


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b'{"plain":"json"}',
        MAGIC,  # too short
        MAGIC + bytes(MIN_SIZE),  # marker but a wrong checksum: a plain record
    ],
)
def test_plain_records_are_not_aggregated(data):
    assert not is_aggregated(data)
    with pytest.raises(ValueError):
        unpack(data)


def test_a_corrupted_aggregated_record_is_refused():
    data = bytearray(pack(readings(3)))
    data[len(MAGIC) + 5] ^= 0xFF
    assert not is_aggregated(bytes(data))


def test_aggregate_respects_the_size_limit_and_loses_nothing():
    records = readings(3_000)
    aggregated = aggregate(records, max_bytes=25_000)
    assert all(len(a.data) <= 25_000 for a in aggregated)
    assert all(a.aggregated for a in aggregated)
    assert sum(a.user_records for a in aggregated) == 3_000
    stored = [{"PartitionKey": a.partition_key, "Data": a.data} for a in aggregated]
    assert deaggregate(stored) == records
    # Greedy: every record but the last is full enough that the next user record did not fit.
    per_record = packed_size(records[:2]) - packed_size(records[:1])
    assert all(len(a.data) > 25_000 - per_record - 64 for a in aggregated[:-1])


def test_aggregate_defaults_to_the_1_mib_record_size():
    aggregated = aggregate(readings(30_000, size=100))
    assert all(len(a.data) <= MAX_RECORD_SIZE_DEFAULT for a in aggregated)
    assert len(aggregated) == 4  # about 3.2 MB of user records


def test_aggregate_keeps_each_user_record_on_its_own_shard():
    four = shards(4)
    records = [UserRecord(f"device-{n}", f"r{n}".encode()) for n in range(200)]
    aggregated = aggregate(records, max_bytes=1_000, shards=four)
    for record in aggregated:
        target = shard_for_key(record.partition_key, four)
        assert {shard_for_key(u.partition_key, four) for u in unpack(record.data)} == {target}
    assert sorted(deaggregate([r.entry for r in aggregated])) == sorted(records)
    # Within one shard, the user records keep their order.
    for shard in four:
        ids = shard["ShardId"]
        mine = [r for r in records if shard_for_key(r.partition_key, four) == ids]
        unpacked = [
            u
            for a in aggregated
            if shard_for_key(a.partition_key, four) == ids
            for u in unpack(a.data)
        ]
        assert unpacked == mine


def test_a_user_record_too_big_to_share_is_passed_through_plain():
    big = UserRecord("camera-1", b"x" * 30_000)
    aggregated = aggregate([*readings(3), big, *readings(2)], max_bytes=25_000)
    plain = [a for a in aggregated if not a.aggregated]
    assert len(plain) == 1 and plain[0].data == big.data and plain[0].partition_key == "camera-1"
    assert deaggregate([a.entry for a in aggregated])[3] == big


def test_aggregate_refuses_a_limit_below_the_overhead():
    with pytest.raises(ValueError):
        aggregate(readings(1), max_bytes=MIN_SIZE)
    with pytest.raises(ValueError):
        pack([])


# --- the learner's de-aggregation -------------------------------------------------------------


def test_check_deaggregate_passes_the_reference(capsys):
    assert check_deaggregate(deaggregate) is True
    assert f"All {len(DEAGGREGATE_CASES)} cases right." in capsys.readouterr().out


def test_check_deaggregate_accepts_plain_tuples(capsys):
    def as_tuples(records):
        return [(u.partition_key, u.data) for u in deaggregate(records)]

    assert check_deaggregate(as_tuples) is True
    capsys.readouterr()


@pytest.mark.parametrize(
    ("function", "hint"),
    [
        (lambda rs: [(r["PartitionKey"], r["Data"]) for r in rs], "unpack(data) them"),
        (lambda rs: [u for r in rs for u in unpack(r["Data"])], "is_aggregated(data) is True"),
        (
            lambda rs: [u for r in rs if is_aggregated(r["Data"]) for u in unpack(r["Data"])],
            "a record that is not aggregated is one user record",
        ),
        (lambda rs: list(reversed(deaggregate(rs))), "keep the order"),
        (lambda rs: [r["Data"] for r in rs], "(partition_key, data) pairs"),
    ],
)
def test_check_deaggregate_catches_mistakes(function, hint, capsys):
    assert check_deaggregate(function) is False
    assert hint in capsys.readouterr().out


def test_check_deaggregate_blank(capsys):
    assert check_deaggregate(lambda rs: BLANK) is False
    assert "not yet" in capsys.readouterr().out
