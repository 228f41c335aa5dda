"""Partition key → hash key → shard: the arithmetic Kinesis uses to place a record.

Pure functions, no AWS client: lessons use them to *predict* where a record lands and then
verify the prediction against PutRecord's ``ShardId`` (F6).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from .facts import HASH_KEY_SPACE, MAX_HASH_KEY, PARTITION_KEY_MAX_CHARS


def hash_key_for(partition_key: str) -> int:
    """The 128-bit hash key of a partition key: MD5 of its UTF-8 bytes, read as an integer."""
    if not isinstance(partition_key, str):
        raise TypeError(f"a partition key is a string, not {type(partition_key).__name__}")
    if not 1 <= len(partition_key) <= PARTITION_KEY_MAX_CHARS:
        raise ValueError(
            f"a partition key has 1 to {PARTITION_KEY_MAX_CHARS} characters; "
            f"this one has {len(partition_key)}"
        )
    return int.from_bytes(hashlib.md5(partition_key.encode("utf-8")).digest(), "big")


def parse_explicit_hash_key(value: str | int) -> int:
    """An ExplicitHashKey as an integer in [0, 2^128 − 1], or ValueError."""
    key = int(value)
    if not 0 <= key <= MAX_HASH_KEY:
        raise ValueError(f"ExplicitHashKey must be between 0 and 2^128 − 1; got {key}")
    return key


def hash_range(shard: Mapping[str, Any]) -> tuple[int, int]:
    """(start, end) of a shard description's HashKeyRange; both ends are inclusive."""
    rng = shard["HashKeyRange"]
    return int(rng["StartingHashKey"]), int(rng["EndingHashKey"])


def is_open(shard: Mapping[str, Any]) -> bool:
    """An open shard has no EndingSequenceNumber: it still accepts writes."""
    return "EndingSequenceNumber" not in shard.get("SequenceNumberRange", {})


def shard_for_hash_key(hash_key: int, shards: Iterable[Mapping[str, Any]]) -> str:
    """The ShardId of the open shard whose inclusive range holds ``hash_key``."""
    for shard in shards:
        if not is_open(shard):
            continue
        start, end = hash_range(shard)
        if start <= hash_key <= end:
            return shard["ShardId"]
    raise LookupError(f"no open shard covers hash key {hash_key}")


def shard_for_key(
    partition_key: str,
    shards: Iterable[Mapping[str, Any]],
    explicit_hash_key: str | int | None = None,
) -> str:
    """Predict the ShardId a record goes to, exactly as Kinesis decides it (F6)."""
    if explicit_hash_key is not None:
        return shard_for_hash_key(parse_explicit_hash_key(explicit_hash_key), shards)
    return shard_for_hash_key(hash_key_for(partition_key), shards)


def even_ranges(shard_count: int) -> list[tuple[int, int]]:
    """The hash ranges CreateStream gives ``shard_count`` shards: equal slices, the last
    one ending at 2^128 − 1."""
    if shard_count < 1:
        raise ValueError("a stream has at least one shard")
    step = HASH_KEY_SPACE // shard_count
    ranges = [(i * step, (i + 1) * step - 1) for i in range(shard_count)]
    ranges[-1] = (ranges[-1][0], MAX_HASH_KEY)
    return ranges


def position_in_key_space(hash_key: int) -> float:
    """Where a hash key sits on the ring, from 0.0 to 1.0 (for drawing)."""
    return hash_key / HASH_KEY_SPACE
