"""Records land in the open shard whose inclusive hash range holds their hash key (F6)."""

from __future__ import annotations

import pytest
from fidelity_helpers import create_stream, hash_range, open_shards, put_many

from kinesis_lab.core.facts import MAX_HASH_KEY
from kinesis_lab.core.keys import shard_for_key


def test_partition_keys_route_by_md5_to_open_shards(kinesis_client):
    """F6: MD5 of the partition key picks the shard; after a split, only open shards count."""
    create_stream(kinesis_client, "s", 2)
    kinesis_client.split_shard(
        StreamName="s", ShardToSplit="shardId-000000000000", NewStartingHashKey=str(2**126)
    )
    shards = kinesis_client.list_shards(StreamName="s")["Shards"]

    results = put_many(kinesis_client, "s", 300)

    for i, result in enumerate(results):
        assert result["ShardId"] == shard_for_key(f"key-{i}", shards)


def test_explicit_hash_key_at_the_top_of_the_key_space_is_accepted(kinesis_client):
    """F6: 2^128 − 1 is a valid hash key and belongs to the last shard."""
    create_stream(kinesis_client, "s", 3)

    result = kinesis_client.put_record(
        StreamName="s", Data=b"x", PartitionKey="p", ExplicitHashKey=str(MAX_HASH_KEY)
    )

    assert result["ShardId"] == open_shards(kinesis_client, "s")[-1]["ShardId"]


@pytest.mark.parametrize("edge", ["start", "end"])
def test_each_shards_range_ends_are_inclusive(kinesis_client, edge):
    """F6: StartingHashKey and EndingHashKey both belong to the shard."""
    create_stream(kinesis_client, "s", 3)
    kinesis_client.split_shard(
        StreamName="s", ShardToSplit="shardId-000000000001", NewStartingHashKey=str(2**127)
    )

    for shard in open_shards(kinesis_client, "s"):
        start, end = hash_range(shard)
        key = start if edge == "start" else end
        single = kinesis_client.put_record(
            StreamName="s", Data=b"x", PartitionKey="p", ExplicitHashKey=str(key)
        )
        batch = kinesis_client.put_records(
            StreamName="s",
            Records=[{"Data": b"x", "PartitionKey": "p", "ExplicitHashKey": str(key)}],
        )
        assert single["ShardId"] == shard["ShardId"]
        assert batch["Records"][0]["ShardId"] == shard["ShardId"]
