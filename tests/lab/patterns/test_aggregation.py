"""KPL aggregation in the real wire format (aws-kinesis-agg): what the module does that M3
teaches (how many user records fit, partition key and explicit hash key, the size limits,
plain records passed through), the course's wire-format picture, and the check of the
learner's de-aggregation with its hints for the classic mistakes."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib

import pytest
from aws_kinesis_agg.aggregator import RecordAggregator
from aws_kinesis_agg.deaggregator import deaggregate_records, iter_deaggregate_records

from kinesis_lab.core.checks import BLANK
from kinesis_lab.core.facts import MAX_RECORD_SIZE_DEFAULT
from kinesis_lab.patterns.aggregation import (
    DEAGGREGATE_CASES,
    KPL_MAGIC,
    MD5_BYTES,
    UserRecord,
    check_deaggregate,
    show_wire_layout,
    wire_layout,
)

ARRIVAL = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


def readings(count, devices=5, size=40):
    return [
        UserRecord(f"sensor-{n % devices}", f"reading {n}".encode().ljust(size, b"."))
        for n in range(count)
    ]


def aggregate(users, max_size=MAX_RECORD_SIZE_DEFAULT):
    """PutRecords entries, as a producer writes them with RecordAggregator (as M3 does)."""
    aggregator, entries = RecordAggregator(max_size=max_size), []

    def keep(record):
        partition_key, explicit_hash_key, data = record.get_contents()
        entry = {"PartitionKey": partition_key, "Data": data}
        if explicit_hash_key:
            entry["ExplicitHashKey"] = explicit_hash_key
        entries.append(entry)

    for user in users:
        full = aggregator.add_user_record(user.partition_key, user.data)
        if full is not None:
            keep(full)
    if (last := aggregator.clear_and_get()) is not None:
        keep(last)
    return entries


def as_read(entries):
    return [
        {"SequenceNumber": str(n), "ApproximateArrivalTimestamp": ARRIVAL, **entry}
        for n, entry in enumerate(entries)
    ]


def reference_deaggregate(records):
    """What M3's answer does: the module's boto3 path, then decode the unpacked data."""
    users = []
    for user in iter_deaggregate_records(records, data_format="Boto3"):
        kinesis = user["kinesis"]
        data = base64.b64decode(kinesis["data"]) if kinesis.get("aggregated") else kinesis["data"]
        users.append((kinesis["partitionKey"], data))
    return users


# --- the module, as the lesson uses it ------------------------------------------------------


def test_the_module_round_trips_user_records_in_order():
    users = readings(50) + [UserRecord("ünïcödé-🙂", b"x"), UserRecord("k", bytes(range(256)))]
    entries = aggregate(users)
    assert len(entries) == 1
    assert reference_deaggregate(as_read(entries)) == [tuple(u) for u in users]


def test_the_wire_format_is_magic_protobuf_md5():
    [entry] = aggregate([UserRecord("a", b"xy"), UserRecord("b", b"z"), UserRecord("a", b"w")])
    data = entry["Data"]
    assert data[:4] == KPL_MAGIC == b"\xf3\x89\x9a\xc2"
    body, trailer = data[4:-MD5_BYTES], data[-MD5_BYTES:]
    assert trailer == hashlib.md5(body).digest()
    layout = wire_layout(data)
    assert layout is not None and layout.body == body and layout.md5 == trailer
    assert layout.partition_keys == ["a", "b"]  # each key once, in a table
    assert (layout.user_records, layout.explicit_hash_keys) == (3, [])


def test_the_aggregated_record_travels_under_its_first_user_records_keys():
    aggregator = RecordAggregator()
    aggregator.add_user_record("device-7", b"one", explicit_hash_key="42")
    aggregator.add_user_record("device-8", b"two")
    partition_key, explicit_hash_key, data = aggregator.clear_and_get().get_contents()
    assert (partition_key, explicit_hash_key) == ("device-7", "42")
    users = reference_deaggregate(as_read([{"PartitionKey": partition_key, "Data": data}]))
    assert users == [("device-7", b"one"), ("device-8", b"two")]  # each keeps its own key


def test_as_many_user_records_as_fit_in_max_size():
    users = readings(3_000)
    entries = aggregate(users, max_size=25_000)
    assert all(len(e["Data"]) <= 25_000 for e in entries)
    # aws-kinesis-agg 1.2.3 estimates sizes conservatively: it counts a repeated partition key
    # as a new one (it looks the key's bytes up in a table of str), so with 5 keys a record
    # stops about 18% short of max_size. Never over it, which is what matters.
    assert all(len(e["Data"]) > 0.8 * 25_000 for e in entries[:-1])
    assert len(entries) == 7  # 3,000 user records of 40 bytes
    assert reference_deaggregate(as_read(entries)) == [tuple(u) for u in users]


def test_the_module_keeps_to_the_default_1_mib_record_size():
    """F4: 1 MiB by default; the module refuses a larger max_size (it predates 10 MiB records)."""
    with pytest.raises(ValueError):
        RecordAggregator(max_size=MAX_RECORD_SIZE_DEFAULT + 1)
    entries = aggregate(readings(30_000, size=100))
    assert all(len(e["Data"]) <= MAX_RECORD_SIZE_DEFAULT for e in entries)
    assert len(entries) == 4  # about 3.4 MB of user records


def test_a_user_record_too_big_to_aggregate_is_refused_so_it_goes_alone():
    with pytest.raises(ValueError):
        RecordAggregator(max_size=25_000).add_user_record("camera-1", b"x" * 30_000)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b'{"plain":"json"}',
        KPL_MAGIC,  # too short
        KPL_MAGIC + bytes(40),  # the magic but a wrong MD5: a plain record
    ],
)
def test_plain_records_pass_through_unchanged(data, capsys):
    assert wire_layout(data) is None
    assert show_wire_layout(data) is None
    assert "plain record" in capsys.readouterr().out
    [user] = iter_deaggregate_records(as_read([{"PartitionKey": "p", "Data": data}]), "Boto3")
    assert (user["kinesis"]["partitionKey"], user["kinesis"]["data"]) == ("p", data)


def test_a_corrupted_aggregated_record_is_not_unpacked():
    [entry] = aggregate(readings(3))
    data = bytearray(entry["Data"])
    data[8] ^= 0xFF
    assert wire_layout(bytes(data)) is None
    assert len(reference_deaggregate(as_read([{**entry, "Data": bytes(data)}]))) == 1


def test_show_wire_layout_names_the_three_parts(capsys):
    [entry] = aggregate(readings(10))
    assert show_wire_layout(entry["Data"]).user_records == 10
    out = capsys.readouterr().out
    assert "f3 89 9a c2" in out and "AggregatedRecord: 5 partition keys" in out
    assert "MD5" in out and "matches" in out


# --- the learner's de-aggregation -------------------------------------------------------------


def test_check_deaggregate_passes_the_reference(capsys):
    assert check_deaggregate(reference_deaggregate) is True
    assert f"All {len(DEAGGREGATE_CASES)} cases right." in capsys.readouterr().out


def test_check_deaggregate_accepts_user_records(capsys):
    assert check_deaggregate(lambda rs: [UserRecord(*u) for u in reference_deaggregate(rs)])
    capsys.readouterr()


def undecoded(records):
    return [
        (u["kinesis"]["partitionKey"], u["kinesis"]["data"])
        for u in iter_deaggregate_records(records, data_format="Boto3")
    ]


def decode_all(records):
    return [
        (u["kinesis"]["partitionKey"], base64.b64decode(u["kinesis"]["data"], validate=True))
        for u in iter_deaggregate_records(records, data_format="Boto3")
    ]


@pytest.mark.parametrize(
    ("function", "hint"),
    [
        (lambda rs: [(r["PartitionKey"], r["Data"]) for r in rs], "several user records"),
        (undecoded, "base64.b64decode it"),
        (decode_all, "keeps its raw bytes"),
        (deaggregate_records, "data_format="),  # KeyError 'kinesis' (awslabs issue #138)
        (lambda rs: reference_deaggregate(rs)[1:], "is one user record"),
        (lambda rs: list(reversed(reference_deaggregate(rs))), "keep the order"),
        (lambda rs: [r["Data"] for r in rs], "(partition_key, data) pairs"),
    ],
)
def test_check_deaggregate_catches_mistakes(function, hint, capsys):
    assert check_deaggregate(function) is False
    assert hint in capsys.readouterr().out


def test_check_deaggregate_blank(capsys):
    assert check_deaggregate(lambda rs: BLANK) is False
    assert "not yet" in capsys.readouterr().out
