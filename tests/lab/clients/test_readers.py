"""Readers follow iterators to the end and read parents before children (F22)."""

from kinesis_lab.clients.readers import parents_first, read_shard, read_stream, shard_table


def put(lab, stream, n, prefix="r"):
    for i in range(n):
        lab.kinesis.put_record(
            StreamName=stream, Data=f"{prefix}{i}".encode(), PartitionKey=f"k{i}"
        )


def test_read_shard_follows_iterators_past_the_limit(lab):
    lab.create_stream("one", shard_count=1)
    lab.kinesis.put_records(
        StreamName="one",
        Records=[{"Data": str(i).encode(), "PartitionKey": "k"} for i in range(25)],
    )
    shard = lab.kinesis.list_shards(StreamName="one")["Shards"][0]["ShardId"]
    records = read_shard(lab.kinesis, "one", shard, limit=10)
    assert [r["Data"] for r in records] == [str(i).encode() for i in range(25)]


def test_read_shard_from_latest_sees_nothing_old(lab):
    lab.create_stream("one", shard_count=1)
    put(lab, "one", 3)
    shard = lab.kinesis.list_shards(StreamName="one")["Shards"][0]["ShardId"]
    assert read_shard(lab.kinesis, "one", shard, iterator_type="LATEST") == []


def test_read_stream_reads_the_closed_parent_before_its_children(lab):
    lab.create_stream("s", shard_count=1)
    put(lab, "s", 20, prefix="before-")
    parent = lab.kinesis.list_shards(StreamName="s")["Shards"][0]["ShardId"]
    lab.kinesis.split_shard(StreamName="s", ShardToSplit=parent, NewStartingHashKey=str(2**127))
    put(lab, "s", 20, prefix="after-")
    records = read_stream(lab.kinesis, "s")
    assert len(records) == 40
    assert all(r["ShardId"] == parent for r in records[:20])
    assert all(r["Data"].startswith(b"before-") for r in records[:20])
    assert all(r["ShardId"] != parent for r in records[20:])


def test_parents_first_orders_a_merge_lineage():
    shards = [
        {
            "ShardId": "shardId-000000000002",
            "ParentShardId": "shardId-000000000000",
            "AdjacentParentShardId": "shardId-000000000001",
        },
        {"ShardId": "shardId-000000000001"},
        {"ShardId": "shardId-000000000000"},
    ]
    assert [s["ShardId"] for s in parents_first(shards)] == [
        "shardId-000000000000",
        "shardId-000000000001",
        "shardId-000000000002",
    ]


def test_shard_table_shows_state_lineage_and_key_space(lab):
    lab.create_stream("t", shard_count=2)
    first = lab.kinesis.list_shards(StreamName="t")["Shards"][0]
    start = int(first["HashKeyRange"]["StartingHashKey"])
    end = int(first["HashKeyRange"]["EndingHashKey"])
    lab.kinesis.split_shard(
        StreamName="t", ShardToSplit=first["ShardId"], NewStartingHashKey=str((start + end) // 2)
    )
    table = shard_table(lab.kinesis, "t")
    assert [r.state for r in table.rows].count("CLOSED") == 1
    assert len(table.open_shards) == 3
    assert abs(sum(r.share_of_key_space for r in table.open_shards) - 1.0) < 1e-12
    text = str(table)
    assert "3 open shard(s)" in text and "CLOSED" in text and first["ShardId"] in text
    html = table._repr_html_()
    assert html.count("<tr") == 5 and "color:#888" in html
