"""Key → shard arithmetic, checked against F6: MD5 → 128-bit integer → inclusive hash range."""

import hashlib

import pytest

from kinesis_lab.core import keys
from kinesis_lab.core.facts import MAX_HASH_KEY


def shard(shard_id, start, end, closed=False):
    seq = {"StartingSequenceNumber": "1"}
    if closed:
        seq["EndingSequenceNumber"] = "9"
    return {
        "ShardId": shard_id,
        "HashKeyRange": {"StartingHashKey": str(start), "EndingHashKey": str(end)},
        "SequenceNumberRange": seq,
    }


def test_hash_key_is_md5_as_big_endian_integer():
    # md5("a") = 0cc175b9c0f1b6a831c399e269772661 (RFC 1321 test suite)
    assert keys.hash_key_for("a") == 0x0CC175B9C0F1B6A831C399E269772661


def test_hash_key_uses_utf8_bytes():
    expected = int(hashlib.md5("température".encode()).hexdigest(), 16)
    assert keys.hash_key_for("température") == expected


@pytest.mark.parametrize("bad", ["", "k" * 257])
def test_partition_key_length_limits(bad):
    with pytest.raises(ValueError, match="1 to 256"):
        keys.hash_key_for(bad)


def test_256_character_key_is_allowed():
    assert 0 <= keys.hash_key_for("k" * 256) <= MAX_HASH_KEY


def test_partition_key_must_be_a_string():
    with pytest.raises(TypeError):
        keys.hash_key_for(42)


def test_even_ranges_tile_the_whole_key_space():
    for count in (1, 2, 3, 4, 7, 10):
        ranges = keys.even_ranges(count)
        assert ranges[0][0] == 0
        assert ranges[-1][1] == MAX_HASH_KEY
        for (_, end), (start, _) in zip(ranges, ranges[1:], strict=False):
            assert start == end + 1


def test_range_ends_are_inclusive():
    shards = [shard("s0", 0, 99), shard("s1", 100, MAX_HASH_KEY)]
    assert keys.shard_for_hash_key(99, shards) == "s0"
    assert keys.shard_for_hash_key(100, shards) == "s1"
    assert keys.shard_for_hash_key(MAX_HASH_KEY, shards) == "s1"


def test_closed_shards_receive_no_writes():
    shards = [shard("parent", 0, MAX_HASH_KEY, closed=True), shard("child", 0, MAX_HASH_KEY)]
    assert keys.shard_for_hash_key(5, shards) == "child"


def test_explicit_hash_key_overrides_partition_key():
    shards = [shard("low", 0, 2**127 - 1), shard("high", 2**127, MAX_HASH_KEY)]
    assert keys.shard_for_key("anything", shards, explicit_hash_key=str(MAX_HASH_KEY)) == "high"
    assert keys.shard_for_key("anything", shards, explicit_hash_key="0") == "low"


@pytest.mark.parametrize("bad", [-1, 2**128])
def test_explicit_hash_key_bounds(bad):
    with pytest.raises(ValueError, match="2\\^128"):
        keys.parse_explicit_hash_key(bad)


def test_no_open_shard_is_an_error():
    with pytest.raises(LookupError):
        keys.shard_for_hash_key(1, [shard("x", 0, MAX_HASH_KEY, closed=True)])


def test_position_in_key_space():
    assert keys.position_in_key_space(0) == 0.0
    assert keys.position_in_key_space(2**127) == 0.5
