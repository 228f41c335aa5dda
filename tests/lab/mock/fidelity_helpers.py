"""Helpers shared by the tests of kinesis_lab.mock.fidelity: creating streams, reading shards,
checking hash ranges. Why a module: the tests are split one file per concern."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from kinesis_lab.core.facts import HASH_KEY_SPACE, MAX_HASH_KEY

REGION = "us-east-1"


def create_stream(kinesis: Any, name: str, shard_count: int) -> None:
    kinesis.create_stream(StreamName=name, ShardCount=shard_count)


def all_shards(kinesis: Any, name: str) -> list[dict[str, Any]]:
    return kinesis.list_shards(StreamName=name)["Shards"]


def open_shards(kinesis: Any, name: str) -> list[dict[str, Any]]:
    """Open shards (no EndingSequenceNumber), lowest hash range first."""
    shards = [s for s in all_shards(kinesis, name) if is_open(s)]
    return sorted(shards, key=lambda s: int(s["HashKeyRange"]["StartingHashKey"]))


def is_open(shard: dict[str, Any]) -> bool:
    return "EndingSequenceNumber" not in shard["SequenceNumberRange"]


def hash_range(shard: dict[str, Any]) -> tuple[int, int]:
    rng = shard["HashKeyRange"]
    return int(rng["StartingHashKey"]), int(rng["EndingHashKey"])


def assert_tiles_key_space(shards: list[dict[str, Any]]) -> None:
    """The shards' ranges cover 0 … 2^128 − 1 with no gap and no overlap (F6)."""
    ranges = sorted(hash_range(s) for s in shards)
    assert ranges[0][0] == 0
    assert ranges[-1][1] == MAX_HASH_KEY
    for (_, end), (start, _) in zip(ranges, ranges[1:], strict=False):
        assert start == end + 1


def assert_even(shards: list[dict[str, Any]]) -> None:
    """UNIFORM_SCALING: every open range is 1/n of the key space, give or take rounding."""
    expected = HASH_KEY_SPACE // len(shards)
    for start, end in (hash_range(s) for s in shards):
        assert abs((end - start + 1) - expected) < 2**40


def put_many(kinesis: Any, name: str, count: int, prefix: str = "key") -> list[dict[str, Any]]:
    """``count`` records with distinct partition keys, in PutRecords batches of 500 (F5)."""
    results: list[dict[str, Any]] = []
    for first in range(0, count, 500):
        batch = [
            {"Data": f"{prefix}-{i}".encode(), "PartitionKey": f"{prefix}-{i}"}
            for i in range(first, min(first + 500, count))
        ]
        results += kinesis.put_records(StreamName=name, Records=batch)["Records"]
    return results


def read_shard(
    kinesis: Any, name: str, shard_id: str, iterator_type: str = "TRIM_HORIZON", **args: Any
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """(records, last GetRecords response) reading a shard until it ends or is caught up."""
    iterator = kinesis.get_shard_iterator(
        StreamName=name, ShardId=shard_id, ShardIteratorType=iterator_type, **args
    )["ShardIterator"]
    records: list[dict[str, Any]] = []
    while True:
        response = kinesis.get_records(ShardIterator=iterator)
        records += response["Records"]
        iterator = response.get("NextShardIterator")
        if iterator is None or not response["Records"]:
            return records, response


def error_code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return error.value.response["Error"]["Code"]


def error_message(error: pytest.ExceptionInfo[ClientError]) -> str:
    return error.value.response["Error"]["Message"]
