"""Hot shards, split points and UpdateShardCount's rules (F1, F21, F22, F26) for lesson M6."""

from __future__ import annotations

from collections import Counter

import pytest

from kinesis_lab.clients.readers import list_all_shards
from kinesis_lab.core import clock
from kinesis_lab.core.keys import hash_key_for, hash_range
from kinesis_lab.data import decode
from kinesis_lab.patterns.scaling import (
    DAY_SECONDS,
    LoadLog,
    ScalingGuard,
    SecondLoad,
    balanced_split_point,
    check_merge,
    check_shard_count,
    check_split_point,
    child_loads,
    drive_load,
    ensure_shard_count,
    even_split_point,
    hottest_shard,
    interleaved_keys,
    is_quarter_step,
    key_table,
    keys_in_shard,
    metric_by_shard,
    one_key_split_note,
    open_shard_count,
    post,
    records_by_shard,
    update_shard_count_problems,
)
from kinesis_lab.simulation.metrics import shard_metrics

# Four busy hashtags that all hash into shard 1 of a 4-shard stream (positions 15%, 66%,
# 68%, 80% of its range), so the middle of the range is the wrong place to split.
HOT = ("#stadium", "#worldcup", "#penalty", "#derby")
SHARD_1 = {
    "ShardId": "shardId-000000000001",
    "HashKeyRange": {"StartingHashKey": str(2**126), "EndingHashKey": str(2**127 - 1)},
}


def test_the_hot_keys_really_share_shard_one():
    start, end = hash_range(SHARD_1)
    assert all(start <= hash_key_for(key) <= end for key in HOT)


# --- load ---------------------------------------------------------------------------------


def test_interleaved_keys_mix_the_keys_and_keep_their_counts():
    order = interleaved_keys({"a": 3, "b": 1, "c": 2, "zero": 0})
    assert Counter(order) == {"a": 3, "b": 1, "c": 2}
    assert order[:3] == ["a", "b", "c"]  # round robin, not all of "a" first


def test_post_is_small_json():
    data = post("#derby", 7)
    assert decode({"Data": data}) == {"hashtag": "#derby", "seq": 7, "text": "post 7 about #derby"}
    assert len(data) < 120


def test_drive_load_throttles_the_hot_shard_only(sim_lab):
    sim_lab.create_stream("posts", shard_count=4)
    rates = {key: 300 for key in HOT} | {"#quiet": 10}
    log = drive_load(sim_lab.kinesis, "posts", rates, 3, sim_lab.advance)

    assert log.seconds == 3
    hot = log.totals()["shardId-000000000001"]
    assert hot == {"offered": 3 * 1200, "accepted": 3 * 1000, "throttled": 3 * 200}  # F1
    others = {s: t for s, t in log.totals().items() if s != "shardId-000000000001"}
    assert all(t["throttled"] == 0 for t in others.values())
    assert log.throttled_seconds() == 3
    assert log.key_rates() == {key: 300.0 for key in HOT} | {"#quiet": 10.0}
    assert "1,200" in log.table() and "shardId-000000000001" in log.table()
    rows = shard_metrics("posts", "WriteProvisionedThroughputExceeded")
    assert hottest_shard(rows) == "shardId-000000000001"
    assert metric_by_shard(rows, "WriteProvisionedThroughputExceeded") == {
        "shardId-000000000001": 600.0
    }


def test_drive_load_continues_a_log_and_follows_a_split(sim_lab):
    sim_lab.create_stream("posts", shard_count=4)
    rates = {key: 300 for key in HOT}
    log = drive_load(sim_lab.kinesis, "posts", rates, 2, sim_lab.advance)
    split = balanced_split_point(SHARD_1, rates)
    sim_lab.kinesis.split_shard(
        StreamName="posts", ShardToSplit="shardId-000000000001", NewStartingHashKey=str(split)
    )
    drive_load(sim_lab.kinesis, "posts", rates, 2, sim_lab.advance, log=log)

    assert log.seconds == 4 and log.next_seq["#derby"] == 4 * 300
    after = log.totals(first=2)
    assert "shardId-000000000001" not in after  # CLOSED: no new writes
    assert {t["throttled"] for t in after.values()} == {0}
    assert sorted(after) == ["shardId-000000000004", "shardId-000000000005"]
    assert log.throttled_seconds(first=2) == 0 and log.throttled_seconds(last=1) == 2
    assert log.shard_ids() == [
        "shardId-000000000001",
        "shardId-000000000004",
        "shardId-000000000005",
    ]


def test_records_by_shard_counts_where_records_were_read():
    records = [{"ShardId": "b"}, {"ShardId": "a"}, {"ShardId": "b"}]
    assert records_by_shard(records) == {"a": 1, "b": 2}


def test_an_empty_log_has_no_rates():
    assert LoadLog().key_rates() == {}


# --- metrics ------------------------------------------------------------------------------


def row(shard, metric, value, statistic="Sum"):
    return {"shard_id": shard, "metric": metric, "value": value, "statistic": statistic}


def test_metric_by_shard_sums_or_takes_the_maximum():
    rows = [
        row("s1", "WriteProvisionedThroughputExceeded", 5),
        row("s1", "WriteProvisionedThroughputExceeded", 7),
        row("s2", "WriteProvisionedThroughputExceeded", 1),
        row("s1", "IteratorAgeMilliseconds", 100, "Maximum"),
        row("s1", "IteratorAgeMilliseconds", 40, "Maximum"),
    ]
    assert metric_by_shard(rows, "WriteProvisionedThroughputExceeded") == {"s1": 12, "s2": 1}
    assert metric_by_shard(rows, "IteratorAgeMilliseconds") == {"s1": 100}
    assert hottest_shard(rows) == "s1"


def test_no_throttling_means_no_hot_shard():
    assert hottest_shard([row("s1", "IncomingRecords", 500)]) is None
    assert hottest_shard([row("s1", "WriteProvisionedThroughputExceeded", 0)]) is None


# --- split points -------------------------------------------------------------------------

RATES = {"#stadium": 350.0, "#worldcup": 350.0, "#penalty": 350.0, "#derby": 350.0}


def test_keys_in_shard_are_ordered_by_hash_key_with_their_position():
    loads = keys_in_shard(SHARD_1, RATES | {"#finals": 5.0})  # #finals hashes elsewhere
    assert [load.key for load in loads] == ["#stadium", "#worldcup", "#penalty", "#derby"]
    assert [round(load.position, 2) for load in loads] == [0.15, 0.66, 0.68, 0.80]
    text = key_table(SHARD_1, RATES)
    assert text.index("#stadium") < text.index("#derby") and str(hash_key_for("#derby")) in text


def test_key_table_folds_the_quiet_keys():
    rates = RATES | {"#topic01": 5.0, "#topic12": 5.0}  # both hash into shard 1
    text = key_table(SHARD_1, rates)
    assert "#topic01" not in text and "+ 2 quieter keys spread over the range: 10 records/s" in text
    assert "#topic01" in key_table(SHARD_1, rates, min_share=0)
    assert "1 quieter key " in key_table(SHARD_1, RATES | {"#topic01": 5.0})


def test_the_middle_of_the_range_halves_key_space_not_load():
    middle = even_split_point(SHARD_1)
    assert middle == 3 * 2**125
    assert child_loads(SHARD_1, RATES, middle) == (350.0, 1050.0)


def test_the_balanced_split_point_halves_the_load():
    split = balanced_split_point(SHARD_1, RATES)
    assert split == hash_key_for("#penalty")  # the upper child starts at the third key
    assert child_loads(SHARD_1, RATES, split) == (700.0, 700.0)


def test_the_balanced_split_point_follows_the_weights():
    rates = {"#stadium": 900.0, "#worldcup": 100.0, "#penalty": 100.0, "#derby": 100.0}
    split = balanced_split_point(SHARD_1, rates)
    assert child_loads(SHARD_1, rates, split) == (900.0, 300.0)


def test_one_key_cannot_be_split():
    with pytest.raises(ValueError):
        balanced_split_point(SHARD_1, {"#derby": 1500.0})
    assert "same child" in one_key_split_note("#derby", 1500)
    assert "over" in one_key_split_note("#derby", 1500)


def test_a_key_on_the_very_edge_is_split_halfway_to_its_neighbour():
    """SplitShard needs StartingHashKey < NewStartingHashKey < EndingHashKey: a key sitting on
    the shard's last hash key cannot start the upper child itself."""
    start, _ = hash_range(SHARD_1)
    derby = hash_key_for("#derby")
    shard = {
        "ShardId": "x",
        "HashKeyRange": {"StartingHashKey": str(start), "EndingHashKey": str(derby)},
    }
    split = balanced_split_point(shard, {"#stadium": 100.0, "#derby": 100.0})
    assert hash_key_for("#stadium") < split < derby


def test_check_split_point_accepts_a_balanced_answer(capsys):
    good = balanced_split_point(SHARD_1, RATES)
    assert check_split_point(good, SHARD_1, RATES) is True
    assert check_split_point(str(good), SHARD_1, RATES) is True
    assert check_split_point(hash_key_for("#worldcup") + 1, SHARD_1, RATES) is True
    out = capsys.readouterr().out
    assert out.count("✓") == 3 and "700 records/s" in out


def test_check_split_point_explains_wrong_answers(capsys):
    assert check_split_point(..., SHARD_1, RATES) is False
    assert "not yet" in capsys.readouterr().out

    assert check_split_point(even_split_point(SHARD_1), SHARD_1, RATES) is False
    out = capsys.readouterr().out
    assert "1,050" in out and "middle of the range" in out

    assert check_split_point(hash_key_for("#derby") + 1, SHARD_1, RATES) is False
    assert "sort the busy keys" in capsys.readouterr().out

    for outside in (0, 2**126, 2**127 - 1, 2**127):
        assert check_split_point(outside, SHARD_1, RATES) is False
        assert "outside" in capsys.readouterr().out

    for not_a_key in (1.5e38, "#derby", True, None):
        assert check_split_point(not_a_key, SHARD_1, RATES) is False
        assert "not a hash key" in capsys.readouterr().out


def test_check_split_point_never_raises(capsys):
    assert check_split_point(2**126 + 5, {"ShardId": "x"}, RATES) is False
    assert "could not check" in capsys.readouterr().out


# --- UpdateShardCount ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "target", "quarter"),
    [
        (4, 8, True),
        (4, 5, True),
        (4, 6, True),
        (8, 6, True),
        (8, 5, False),
        (4, 3, True),
        (3, 4, False),
    ],
)
def test_quarter_steps(current, target, quarter):
    assert is_quarter_step(current, target) is quarter


def test_update_shard_count_problems_follow_f21():
    assert update_shard_count_problems(4, 8) == []
    assert update_shard_count_problems(4, 2) == []
    assert "more than double" in update_shard_count_problems(4, 9)[0]
    assert "below half" in update_shard_count_problems(8, 3)[0]
    assert any("10,000" in p for p in update_shard_count_problems(6000, 10_001))
    assert "rolling 24 hours" in update_shard_count_problems(4, 8, scalings_in_last_24h=10)[0]
    assert update_shard_count_problems(4, 8, scalings_in_last_24h=9) == []
    assert "provisioned" in update_shard_count_problems(4, 8, on_demand=True)[0]


def test_the_mock_refuses_what_f21_refuses(sim_lab):
    sim_lab.create_stream("scale", shard_count=4)
    sim_lab.kinesis.update_shard_count(
        StreamName="scale", TargetShardCount=8, ScalingType="UNIFORM_SCALING"
    )
    assert open_shard_count(sim_lab.kinesis, "scale") == 8
    for target in (17, 3):
        assert update_shard_count_problems(8, target)
        with pytest.raises(sim_lab.kinesis.exceptions.LimitExceededException):
            sim_lab.kinesis.update_shard_count(
                StreamName="scale", TargetShardCount=target, ScalingType="UNIFORM_SCALING"
            )


def test_the_mock_refuses_the_eleventh_scaling_and_the_guard_only_counts(sim_lab):
    """The limits SIMULATION refuses the 11th scaling in 24 h; the guard never calls AWS."""
    sim_lab.create_stream("scale", shard_count=2)
    guard = ScalingGuard()
    for number in range(10):
        sim_lab.kinesis.update_shard_count(
            StreamName="scale",
            TargetShardCount=4 if number % 2 == 0 else 2,
            ScalingType="UNIFORM_SCALING",
        )
        guard.record("scale")
        clock.advance(60)
    assert guard.scalings_in_window("scale") == 10
    assert "rolling 24 hours" in guard.problems("scale", 2, 4)[0]
    with pytest.raises(sim_lab.kinesis.exceptions.LimitExceededException) as refused:
        sim_lab.kinesis.update_shard_count(
            StreamName="scale", TargetShardCount=4, ScalingType="UNIFORM_SCALING"
        )
    assert "SIMULATION" in refused.value.response["Error"]["Message"]
    assert open_shard_count(sim_lab.kinesis, "scale") == 2  # the refused call changed nothing

    clock.advance(DAY_SECONDS - 10 * 60 + 1)  # the first scaling leaves the window
    assert guard.scalings_in_window("scale") == 9
    assert guard.problems("scale", 2, 4) == []
    sim_lab.kinesis.update_shard_count(
        StreamName="scale", TargetShardCount=4, ScalingType="UNIFORM_SCALING"
    )
    assert open_shard_count(sim_lab.kinesis, "scale") == 4
    assert len(list_all_shards(sim_lab.kinesis, "scale")) > 4  # CLOSED parents stay listed


def test_the_guard_has_no_aws_client_and_no_update_method():
    assert not hasattr(ScalingGuard(), "update_shard_count")
    assert "kinesis" not in ScalingGuard.__dataclass_fields__


def test_check_merge_reads_the_lineage(sim_lab, capsys):
    sim_lab.create_stream("merge", shard_count=3)
    low, middle, high = (s["ShardId"] for s in list_all_shards(sim_lab.kinesis, "merge"))
    assert check_merge(sim_lab.kinesis, "merge", [middle, high]) is False
    assert "not yet" in capsys.readouterr().out
    sim_lab.kinesis.merge_shards(StreamName="merge", ShardToMerge=low, AdjacentShardToMerge=middle)
    assert check_merge(sim_lab.kinesis, "merge", [middle, high]) is False
    assert "another reshard" in capsys.readouterr().out
    assert check_merge(sim_lab.kinesis, "merge", [middle, low]) is True
    assert "OPEN" in capsys.readouterr().out


def test_check_and_ensure_shard_count(sim_lab, capsys):
    sim_lab.create_stream("count", shard_count=4)
    assert check_shard_count(sim_lab.kinesis, "count", 4, 8) is False
    assert "not yet" in capsys.readouterr().out
    assert ensure_shard_count(sim_lab.kinesis, "count", 8) is True
    assert "for you" in capsys.readouterr().out
    assert ensure_shard_count(sim_lab.kinesis, "count", 8) is False  # nothing left to do
    assert check_shard_count(sim_lab.kinesis, "count", 4, 8) is True
    sim_lab.kinesis.update_shard_count(
        StreamName="count", TargetShardCount=6, ScalingType="UNIFORM_SCALING"
    )
    assert check_shard_count(sim_lab.kinesis, "count", 4, 8) is False
    assert "6 open shards, not 8" in capsys.readouterr().out


def test_second_load_rows_are_plain_data():
    row_ = SecondLoad(0, "s", 10, 8, 2)
    assert row_.offered == row_.accepted + row_.throttled
