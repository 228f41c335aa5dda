"""Resharding behaves as AWS documents it (F21, F22): writes go to open shards only, parents
keep their records, merges need adjacent ranges, UpdateShardCount reaches its target."""

from __future__ import annotations

from collections import Counter

import pytest
from botocore.exceptions import ClientError
from fidelity_helpers import (
    all_shards,
    assert_even,
    assert_tiles_key_space,
    create_stream,
    error_code,
    error_message,
    is_open,
    open_shards,
    put_many,
    read_shard,
)

HALF = 2**127
SHARD_0, SHARD_1, SHARD_2 = (f"shardId-{n:012d}" for n in range(3))


def split_in_half(kinesis, name="s", shard_id=SHARD_0):
    kinesis.split_shard(StreamName=name, ShardToSplit=shard_id, NewStartingHashKey=str(HALF))


def test_after_split_new_writes_go_only_to_the_children(kinesis_client):
    """F22: the parent is CLOSED; 200 writes after the split land in the two children."""
    create_stream(kinesis_client, "s", 1)
    put_many(kinesis_client, "s", 30, prefix="before")
    split_in_half(kinesis_client)

    landed = Counter(r["ShardId"] for r in put_many(kinesis_client, "s", 200, prefix="after"))

    assert landed[SHARD_0] == 0
    assert sum(landed.values()) == 200
    assert set(landed) == {"shardId-000000000001", "shardId-000000000002"}


def test_split_parent_keeps_its_records_and_is_closed(kinesis_client):
    """F22: split never moves records; the parent stays readable, with an EndingSequenceNumber."""
    create_stream(kinesis_client, "s", 1)
    written = put_many(kinesis_client, "s", 30, prefix="before")
    split_in_half(kinesis_client)
    put_many(kinesis_client, "s", 200, prefix="after")

    records, _ = read_shard(kinesis_client, "s", SHARD_0)

    assert [r["SequenceNumber"] for r in records] == [w["SequenceNumber"] for w in written]
    assert {r["Data"] for r in records} == {f"before-{i}".encode() for i in range(30)}
    children_records = [
        r
        for child in ("shardId-000000000001", "shardId-000000000002")
        for r in read_shard(kinesis_client, "s", child)[0]
    ]
    assert len(children_records) == 200


def test_split_children_name_their_parent_and_split_the_range(kinesis_client):
    create_stream(kinesis_client, "s", 1)
    split_in_half(kinesis_client)

    shards = {s["ShardId"]: s for s in all_shards(kinesis_client, "s")}

    parent = shards[SHARD_0]
    assert "EndingSequenceNumber" in parent["SequenceNumberRange"]
    children = [s for s in shards.values() if s.get("ParentShardId") == SHARD_0]
    assert len(children) == 2
    assert all(is_open(c) for c in children)
    assert_tiles_key_space(children)
    ending = int(parent["SequenceNumberRange"]["EndingSequenceNumber"])
    assert all(int(c["SequenceNumberRange"]["StartingSequenceNumber"]) > ending for c in children)


@pytest.mark.parametrize("first, second", [(SHARD_0, SHARD_1), (SHARD_1, SHARD_0)])
def test_merge_adjacent_shards_in_either_order(kinesis_client, first, second):
    """F22: any two adjacent open shards merge, whichever is named first."""
    create_stream(kinesis_client, "s", 2)
    written = put_many(kinesis_client, "s", 100)
    before = {
        shard: [w["SequenceNumber"] for w in written if w["ShardId"] == shard]
        for shard in (SHARD_0, SHARD_1)
    }

    kinesis_client.merge_shards(StreamName="s", ShardToMerge=first, AdjacentShardToMerge=second)

    (child,) = open_shards(kinesis_client, "s")
    assert child["ParentShardId"] == first
    assert child["AdjacentParentShardId"] == second
    assert_tiles_key_space([child])
    landed = {r["ShardId"] for r in put_many(kinesis_client, "s", 100, prefix="after")}
    assert landed == {child["ShardId"]}
    for parent, sequence_numbers in before.items():
        records, _ = read_shard(kinesis_client, "s", parent)
        assert [r["SequenceNumber"] for r in records] == sequence_numbers


def test_merge_of_non_adjacent_shards_is_rejected(kinesis_client):
    create_stream(kinesis_client, "s", 3)

    with pytest.raises(ClientError) as error:
        kinesis_client.merge_shards(
            StreamName="s", ShardToMerge=SHARD_0, AdjacentShardToMerge=SHARD_2
        )

    assert error_code(error) == "InvalidArgumentException"
    assert "adjacent" in error_message(error)


def test_closed_shard_cannot_be_split_or_merged_again(kinesis_client):
    """F22: a CLOSED parent "has already been merged or split"."""
    create_stream(kinesis_client, "s", 1)
    split_in_half(kinesis_client)

    with pytest.raises(ClientError) as split_error:
        kinesis_client.split_shard(
            StreamName="s", ShardToSplit=SHARD_0, NewStartingHashKey=str(2**126)
        )
    with pytest.raises(ClientError) as merge_error:
        kinesis_client.merge_shards(
            StreamName="s", ShardToMerge=SHARD_0, AdjacentShardToMerge="shardId-000000000002"
        )

    for error in (split_error, merge_error):
        assert error_code(error) == "InvalidArgumentException"
        assert "has already been merged or split" in error_message(error)


@pytest.mark.parametrize("current, target", [(3, 5), (3, 6), (4, 2), (5, 3), (1, 2)])
def test_update_shard_count_reaches_exactly_the_target(kinesis_client, current, target):
    """F21 UNIFORM_SCALING: exactly ``target`` open shards, even ranges tiling the key space."""
    create_stream(kinesis_client, "s", current)

    response = kinesis_client.update_shard_count(
        StreamName="s", TargetShardCount=target, ScalingType="UNIFORM_SCALING"
    )

    assert (response["CurrentShardCount"], response["TargetShardCount"]) == (current, target)
    shards = open_shards(kinesis_client, "s")
    assert len(shards) == target
    assert_tiles_key_space(shards)
    assert_even(shards)
    summary = kinesis_client.describe_stream_summary(StreamName="s")["StreamDescriptionSummary"]
    assert summary["OpenShardCount"] == target


def test_update_shard_count_keeps_real_lineage(kinesis_client):
    """F22: UpdateShardCount reshards pairwise; every new shard descends from the old ones,
    parents keep their records, and new writes reach open shards only."""
    create_stream(kinesis_client, "s", 3)
    written = put_many(kinesis_client, "s", 300)

    kinesis_client.update_shard_count(
        StreamName="s", TargetShardCount=5, ScalingType="UNIFORM_SCALING"
    )

    shards = {s["ShardId"]: s for s in all_shards(kinesis_client, "s")}
    for shard in shards.values():
        if int(shard["ShardId"].split("-")[1]) >= 3:
            assert shard["ParentShardId"] in shards
    for original in (SHARD_0, SHARD_1, SHARD_2):
        assert not is_open(shards[original])
        kept = [w["SequenceNumber"] for w in written if w["ShardId"] == original]
        assert [r["SequenceNumber"] for r in read_shard(kinesis_client, "s", original)[0]] == kept
    open_ids = {s["ShardId"] for s in shards.values() if is_open(s)}
    assert {r["ShardId"] for r in put_many(kinesis_client, "s", 300, "after")} <= open_ids


def test_update_shard_count_by_stream_arn_names_the_stream(kinesis_client):
    create_stream(kinesis_client, "s", 2)
    arn = kinesis_client.describe_stream_summary(StreamName="s")["StreamDescriptionSummary"][
        "StreamARN"
    ]

    response = kinesis_client.update_shard_count(
        StreamARN=arn, TargetShardCount=3, ScalingType="UNIFORM_SCALING"
    )

    assert response["StreamName"] == "s"


@pytest.mark.parametrize(
    "current, target, phrase",
    [
        (3, 7, "cannot scale up over double your current open shard count"),
        (4, 1, "cannot scale down below half your current open shard count"),
        (1, 10_001, "10000"),
    ],
)
def test_update_shard_count_outside_the_limits_is_rejected(kinesis_client, current, target, phrase):
    """F21, F14: above 2×, below ½ or beyond 10,000 shards → LimitExceededException."""
    create_stream(kinesis_client, "s", current)

    with pytest.raises(ClientError) as error:
        kinesis_client.update_shard_count(
            StreamName="s", TargetShardCount=target, ScalingType="UNIFORM_SCALING"
        )

    assert error_code(error) == "LimitExceededException"
    assert phrase in error_message(error)
    assert f"Current open shard count: {current}" in error_message(error)
    assert len(open_shards(kinesis_client, "s")) == current


def test_update_shard_count_on_demand_stream_is_rejected(kinesis_client):
    """F21: UpdateShardCount is for provisioned streams only."""
    kinesis_client.create_stream(StreamName="od", StreamModeDetails={"StreamMode": "ON_DEMAND"})

    with pytest.raises(ClientError) as error:
        kinesis_client.update_shard_count(
            StreamName="od", TargetShardCount=5, ScalingType="UNIFORM_SCALING"
        )

    assert error_code(error) == "ValidationException"
