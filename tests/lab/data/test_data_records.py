"""Events ↔ PutRecords entries: compact UTF-8 JSON, partition keys, batches that respect the
500-record and 10 MiB request limits exactly at the edges, and decoding back."""

from __future__ import annotations

import base64
import json

import boto3
import pytest
from moto import mock_aws

from kinesis_lab.core.facts import (
    MAX_RECORD_SIZE_DEFAULT,
    MIB,
    PARTITION_KEY_MAX_CHARS,
    PUT_RECORDS_MAX_RECORDS,
    PUT_RECORDS_MAX_REQUEST_BYTES,
)
from kinesis_lab.data import (
    READING_TRUTH_FIELDS,
    TRANSACTION_TRUTH_FIELDS,
    batched,
    decode,
    entry_size,
    epoch_ms,
    iso_utc_ms,
    posts,
    readings,
    to_put_records_entries,
    transactions,
)


def _entries(count: int, size: int = 10, key: str = "k") -> list[dict]:
    """Entries of exactly ``size`` bytes each, partition key included."""
    data_bytes = size - len(key.encode("utf-8"))
    return [{"Data": b"x" * data_bytes, "PartitionKey": key} for _ in range(count)]


def test_entries_carry_compact_utf8_json_and_the_partition_key():
    events = [{"city": "São Paulo", "n": 1, "tags": ["#a", "#b"]}, {"city": "Köln", "n": 2}]
    entries = to_put_records_entries(events, partition_key="city")
    assert entries[0] == {
        "Data": '{"city":"São Paulo","n":1,"tags":["#a","#b"]}'.encode(),
        "PartitionKey": "São Paulo",
    }
    assert [e["PartitionKey"] for e in entries] == ["São Paulo", "Köln"]
    assert [json.loads(e["Data"]) for e in entries] == events


def test_partition_key_can_be_a_function_and_is_always_a_string():
    events = [{"device": 7, "site": "a"}, {"device": 8, "site": "b"}]
    assert [e["PartitionKey"] for e in to_put_records_entries(events, "device")] == ["7", "8"]
    keyed = to_put_records_entries(events, lambda e: f"{e['site']}#{e['device']}")
    assert [e["PartitionKey"] for e in keyed] == ["a#7", "b#8"]


def test_partition_keys_outside_1_to_256_characters_are_refused():
    with pytest.raises(ValueError):
        to_put_records_entries([{"k": ""}], "k")
    with pytest.raises(ValueError):
        to_put_records_entries([{"k": "x" * (PARTITION_KEY_MAX_CHARS + 1)}], "k")
    assert to_put_records_entries([{"k": "x" * PARTITION_KEY_MAX_CHARS}], "k")


def test_drop_keeps_ground_truth_out_of_the_payload_without_touching_the_events():
    txns = transactions(200, seed=1)
    entries = to_put_records_entries(txns, "account_id", drop=TRANSACTION_TRUTH_FIELDS)
    for txn, entry in zip(txns, entries, strict=True):
        payload = decode(entry)
        assert "is_fraud" not in payload and "fraud_type" not in payload
        assert payload == {k: v for k, v in txn.items() if k not in TRANSACTION_TRUTH_FIELDS}
        assert "is_fraud" in txn  # the caller's answer key is intact


def test_decode_reads_boto3_raw_api_and_lambda_records():
    event = {"device_id": "dev-00001", "temperature_c": 21.5, "note": "ü"}
    data = to_put_records_entries([event], "device_id")[0]["Data"]
    b64 = base64.b64encode(data).decode()
    assert decode({"Data": data, "PartitionKey": "dev-00001"}) == event
    assert decode({"Data": b64}) == event
    assert decode({"kinesis": {"data": b64, "partitionKey": "dev-00001"}}) == event


def test_500_records_fit_one_request_and_501_split():
    assert PUT_RECORDS_MAX_RECORDS == 500
    assert [len(b) for b in batched(_entries(500))] == [500]
    assert [len(b) for b in batched(_entries(501))] == [500, 1]
    assert [len(b) for b in batched(_entries(1_001))] == [500, 500, 1]
    assert list(batched([])) == []


def test_exactly_10_mib_fits_one_request_and_one_byte_more_splits():
    assert PUT_RECORDS_MAX_REQUEST_BYTES == 10 * MIB
    exact = _entries(10, size=MIB)  # 10 × 1 MiB, keys included = exactly 10 MiB
    assert sum(entry_size(e) for e in exact) == 10 * MIB
    assert [len(b) for b in batched(exact)] == [10]
    over = [*exact[:-1], _entries(1, size=MIB + 1)[0]]
    assert [len(b) for b in batched(over)] == [9, 1]


def test_partition_key_bytes_count_towards_the_request_size():
    key = "é" * 10  # 10 characters, 20 UTF-8 bytes
    entries = _entries(2, size=60, key=key)
    assert entry_size(entries[0]) == 60
    assert [len(b) for b in batched(entries, max_bytes=120)] == [2]
    assert [len(b) for b in batched(entries, max_bytes=119)] == [1, 1]


def test_batches_keep_order_and_lose_nothing():
    entries = to_put_records_entries(readings(2_345, devices=100), "device_id")
    batches = list(batched(entries, max_bytes=50_000))
    assert [e for b in batches for e in b] == entries
    for batch in batches:
        assert len(batch) <= PUT_RECORDS_MAX_RECORDS
        assert sum(entry_size(e) for e in batch) <= 50_000


def test_an_entry_larger_than_a_whole_request_is_refused():
    with pytest.raises(ValueError):
        list(batched(_entries(1, size=PUT_RECORDS_MAX_REQUEST_BYTES + 1)))


def test_timestamps_are_iso_utc_with_milliseconds():
    start = epoch_ms("2026-01-15T09:00:00Z")
    assert start == 1_768_467_600_000
    assert iso_utc_ms(start + 250) == "2026-01-15T09:00:00.250Z"
    assert iso_utc_ms(0) == "1970-01-01T00:00:00.000Z"
    assert epoch_ms("2026-01-15T10:00:00+01:00") == start
    assert epoch_ms(start) == start


def test_every_generator_yields_records_kinesis_accepts(monkeypatch):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    streams = {
        "iot": (readings(600, devices=50), "device_id", READING_TRUTH_FIELDS),
        "payments": (transactions(600), "account_id", TRANSACTION_TRUTH_FIELDS),
        "social": (posts(600), "user", ()),
    }
    with mock_aws():
        kinesis = boto3.client("kinesis", region_name="us-east-1")
        for name, (events, key, truth) in streams.items():
            kinesis.create_stream(StreamName=name, ShardCount=1)
            entries = to_put_records_entries(events, key, drop=truth)
            assert max(entry_size(e) for e in entries) < MAX_RECORD_SIZE_DEFAULT
            for batch in batched(entries):
                assert kinesis.put_records(StreamName=name, Records=batch)["FailedRecordCount"] == 0
            shard = kinesis.describe_stream(StreamName=name)["StreamDescription"]["Shards"][0]
            iterator = kinesis.get_shard_iterator(
                StreamName=name, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
            got = kinesis.get_records(ShardIterator=iterator, Limit=10_000)["Records"]
            expected = [{k: v for k, v in e.items() if k not in truth} for e in events]
            assert [decode(r) for r in got] == expected
