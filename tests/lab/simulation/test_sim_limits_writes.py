"""SIMULATION of write limits: 1 MiB/s or 1,000 records/s per shard (F1), partial PutRecords
failures, on-demand capacity (F11) and the per-partition-key cap (F63); the install switch."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from moto.kinesis.models import KinesisBackend
from moto.kinesis.responses import KinesisResponse
from sim_helpers import (
    SHARD_0,
    SHARD_1,
    THROTTLED,
    create,
    entries,
    error_of,
    explicit_hash_key,
    failed,
    put_in_batches,
    write_throttle_message,
)
from sim_learners import produce

from kinesis_lab.clients.readers import read_shard
from kinesis_lab.core.facts import (
    MIB,
    ON_DEMAND_DEFAULT_READ_BYTES_PER_SEC,
    ON_DEMAND_DEFAULT_WRITE_BYTES_PER_SEC,
    ON_DEMAND_DEFAULT_WRITE_RECORDS_PER_SEC,
    SHARD_WRITE_RECORDS_PER_SEC,
)
from kinesis_lab.mock import fidelity
from kinesis_lab.simulation import limits


def test_a_thousand_records_in_a_second_fit_and_the_next_is_throttled(kinesis):
    """F1: exactly 1,000 records in one second are fine; the 1,001st gets AWS's error."""
    create(kinesis, "s")
    results = put_in_batches(kinesis, "s", entries(SHARD_WRITE_RECORDS_PER_SEC))
    assert failed(results) == 0

    with pytest.raises(ClientError) as raised:
        kinesis.put_record(StreamName="s", Data=b"x", PartitionKey="one-more")

    assert error_of(raised) == (THROTTLED, write_throttle_message("s", SHARD_0), 400)


def test_a_full_shard_has_a_whole_budget_again_one_second_later(kinesis, lab_clock):
    """F1 over any one second: 1,000 records at t fill the shard until t + 1 s — still
    throttled at t + 0.999 s, a whole budget again at t + 1 s."""
    create(kinesis, "s")
    put_in_batches(kinesis, "s", entries(SHARD_WRITE_RECORDS_PER_SEC))
    lab_clock.advance(0.999)
    with pytest.raises(ClientError):
        kinesis.put_record(StreamName="s", Data=b"x", PartitionKey="p")

    lab_clock.advance(0.001)

    assert failed(put_in_batches(kinesis, "s", entries(SHARD_WRITE_RECORDS_PER_SEC))) == 0


def test_a_mebibyte_of_data_and_keys_fits_and_one_byte_more_is_throttled(kinesis):
    """F1: 1 MiB/s per shard, counting Data and PartitionKey bytes."""
    create(kinesis, "s")
    half = [{"Data": bytes(MIB // 2 - 1), "PartitionKey": key} for key in "ab"]  # 2 × 512 KiB
    assert kinesis.put_records(StreamName="s", Records=half)["FailedRecordCount"] == 0

    with pytest.raises(ClientError) as raised:
        kinesis.put_record(StreamName="s", Data=b"", PartitionKey="c")  # a 1-byte key

    assert error_of(raised)[0] == THROTTLED


def test_put_records_fails_only_the_entries_over_the_limit(kinesis):
    """API_PutRecords: throttled entries carry ErrorCode/ErrorMessage and no SequenceNumber or
    ShardId, FailedRecordCount counts them, and the others are written."""
    create(kinesis, "s")
    put_in_batches(kinesis, "s", entries(700, prefix="early"))

    response = kinesis.put_records(StreamName="s", Records=entries(500, prefix="late"))

    assert response["FailedRecordCount"] == 200
    written, refused = response["Records"][:300], response["Records"][300:]
    assert all(set(entry) == {"SequenceNumber", "ShardId"} for entry in written)
    assert all(
        entry == {"ErrorCode": THROTTLED, "ErrorMessage": write_throttle_message("s", SHARD_0)}
        for entry in refused
    )
    stored = read_shard(kinesis, "s", SHARD_0)
    assert len(stored) == 1_000
    assert stored[-1]["PartitionKey"] == "late-299"


def test_a_throttled_record_takes_no_capacity(kinesis):
    """A refused record consumes nothing: after a too-big record fails, a small one still fits."""
    create(kinesis, "s")
    kinesis.put_record(StreamName="s", Data=bytes(MIB - 200), PartitionKey="p")
    batch = [
        {"Data": bytes(300), "PartitionKey": "too-big"},
        {"Data": bytes(100), "PartitionKey": "fits"},
    ]

    response = kinesis.put_records(StreamName="s", Records=batch)

    assert [("ErrorCode" in entry) for entry in response["Records"]] == [True, False]


def test_each_shard_has_its_own_limit(kinesis):
    """F1 is per shard: a full shard 0 does not throttle shard 1."""
    create(kinesis, "s", shards=2)
    to_shard = {0: explicit_hash_key(0, 2), 1: explicit_hash_key(1, 2)}
    put_in_batches(kinesis, "s", entries(1_000, ExplicitHashKey=to_shard[0]))

    response = kinesis.put_records(
        StreamName="s",
        Records=entries(2, ExplicitHashKey=to_shard[0]) + entries(2, ExplicitHashKey=to_shard[1]),
    )

    assert [entry.get("ShardId") for entry in response["Records"]] == [None, None, SHARD_1, SHARD_1]


def test_on_demand_per_shard_limits_add_up_to_the_default_capacity(kinesis):
    """F11: moto gives a new on-demand stream 4 shards, and 4 × F1/F2 is the documented
    default: 4 MB/s and 4,000 records/s in, 8 MB/s out — 4,000 records in a second fit."""
    kinesis.create_stream(StreamName="od", StreamModeDetails={"StreamMode": "ON_DEMAND"})

    capacity = limits.stream_capacity(kinesis, "od")
    spread = [
        record
        for shard in range(4)
        for record in entries(
            1_000, prefix=f"s{shard}", ExplicitHashKey=explicit_hash_key(shard, 4)
        )
    ]

    assert capacity["open_shards"] == 4
    assert capacity["write_records_per_sec"] == ON_DEMAND_DEFAULT_WRITE_RECORDS_PER_SEC
    assert capacity["write_bytes_per_sec"] == ON_DEMAND_DEFAULT_WRITE_BYTES_PER_SEC
    assert capacity["read_bytes_per_sec"] == ON_DEMAND_DEFAULT_READ_BYTES_PER_SEC
    assert capacity["per_partition_key"] == {
        "write_bytes_per_sec": MIB,
        "write_records_per_sec": 1_000,
    }
    assert failed(put_in_batches(kinesis, "od", spread)) == 0
    assert failed(put_in_batches(kinesis, "od", entries(4, ExplicitHashKey="0"))) == 4


def test_on_demand_caps_one_partition_key_even_across_shards(kinesis):
    """F63: one partition key ≤ 1,000 records/s in on-demand mode, even when ExplicitHashKey
    spreads it over shards that still have room."""
    kinesis.create_stream(StreamName="od", StreamModeDetails={"StreamMode": "ON_DEMAND"})
    hot = [
        {"Data": b"x", "PartitionKey": "hot", "ExplicitHashKey": explicit_hash_key(i % 4, 4)}
        for i in range(1_001)
    ]

    results = put_in_batches(kinesis, "od", hot)

    assert failed(results) == 1
    assert results[-1]["ErrorCode"] == THROTTLED


def test_learner_producer_gets_every_record_in(kinesis, lab_clock):
    """Retrying only the failed entries, with exponential backoff and jitter, writes all of
    5,000 records into a 1-shard stream (1,000/s), each exactly once."""
    create(kinesis, "s")
    records = entries(5_000, prefix="event")

    report = produce(kinesis, "s", records, lab_clock.advance)

    assert report.retried_entries > 0
    assert report.error_codes == {THROTTLED}
    stored = [r["PartitionKey"] for r in read_shard(kinesis, "s", SHARD_0)]
    assert sorted(stored) == sorted(r["PartitionKey"] for r in records)
    assert len(report.sequence_numbers) == 5_000


# --------------------------------------------------------------------------------------------
# The switch
# --------------------------------------------------------------------------------------------


def patched_attributes() -> dict[tuple[type, str], object]:
    names = (
        "put_record",
        "put_records",
        "get_records",
        "create_stream",
        "_send_stream_metrics",
        "describe_stream_summary",
        "update_max_record_size",
    )
    return {
        (owner, name): owner.__dict__.get(name)
        for owner in (KinesisBackend, KinesisResponse)
        for name in names
    }


def test_uninstall_restores_exactly_what_was_there():
    had_fidelity = fidelity.is_installed()
    fidelity.install()
    try:
        before = patched_attributes()
        limits.install()
        limits.install()  # idempotent
        assert patched_attributes() != before
        limits.uninstall()
        assert patched_attributes() == before
        assert not hasattr(KinesisResponse, "update_max_record_size")
    finally:
        limits.uninstall()
        if not had_fidelity:
            fidelity.uninstall()


def test_limits_need_the_fidelity_fixes_and_leave_with_them():
    had_fidelity = fidelity.is_installed()
    fidelity.uninstall()
    try:
        with pytest.raises(limits.LimitsInstallError):
            limits.install()
        fidelity.install()
        limits.install()
        fidelity.uninstall()
        assert not limits.is_installed()
        assert KinesisResponse.__dict__.get("update_max_record_size") is None
    finally:
        if had_fidelity:
            fidelity.install()


def test_with_limits_off_nothing_is_throttled(kinesis):
    """The switch a lab uses: uninstall() and the mock accepts any rate again."""
    create(kinesis, "s")
    limits.uninstall()

    results = put_in_batches(kinesis, "s", entries(1_500))

    assert failed(results) == 0
    assert limits.describe() == ""


def test_the_eleventh_scaling_in_a_rolling_day_is_refused_and_a_day_later_allowed(
    kinesis, lab_clock
):
    """F21: at most 10 UpdateShardCount scalings per stream in a rolling 24 hours, whatever
    client calls it; refused calls do not count, and the window rolls on the lab clock."""
    create(kinesis, "s", shards=2)
    create(kinesis, "other", shards=2)
    with pytest.raises(ClientError):  # more than double: refused, and not counted
        kinesis.update_shard_count(
            StreamName="s", TargetShardCount=5, ScalingType="UNIFORM_SCALING"
        )
    for target in [4, 2] * 5:  # ten scalings, a minute apart
        kinesis.update_shard_count(
            StreamName="s", TargetShardCount=target, ScalingType="UNIFORM_SCALING"
        )
        lab_clock.advance(60)
    with pytest.raises(ClientError) as raised:
        kinesis.update_shard_count(
            StreamName="s", TargetShardCount=4, ScalingType="UNIFORM_SCALING"
        )
    code, message, status = error_of(raised)
    assert (code, status) == ("LimitExceededException", 400)
    assert "10 times in the last rolling 24 hours" in message and "SIMULATION" in message
    kinesis.update_shard_count(  # another stream has its own count
        StreamName="other", TargetShardCount=4, ScalingType="UNIFORM_SCALING"
    )

    lab_clock.advance(24 * 60 * 60 - 10 * 60 - 1)  # the first scaling is 1 s short of a day old
    with pytest.raises(ClientError):
        kinesis.update_shard_count(
            StreamName="s", TargetShardCount=4, ScalingType="UNIFORM_SCALING"
        )
    lab_clock.advance(1)  # now it is a day old: one slot is free again
    kinesis.update_shard_count(StreamName="s", TargetShardCount=4, ScalingType="UNIFORM_SCALING")
    summary = kinesis.describe_stream_summary(StreamName="s")["StreamDescriptionSummary"]
    assert summary["OpenShardCount"] == 4
