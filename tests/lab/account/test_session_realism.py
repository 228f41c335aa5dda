"""The lab session switches the simulations on, labels them, and takes them off again."""

import boto3
import pytest
from botocore.config import Config

from kinesis_lab import start_lab
from kinesis_lab.account import retrysleep
from kinesis_lab.core import clock
from kinesis_lab.core.facts import SHARD_WRITE_RECORDS_PER_SEC
from kinesis_lab.simulation import firehose, limits


def no_retry_kinesis():
    return boto3.client("kinesis", config=Config(retries={"total_max_attempts": 1}))


def fill_one_second(kinesis, stream):
    for _ in range(SHARD_WRITE_RECORDS_PER_SEC // 500):
        response = kinesis.put_records(
            StreamName=stream, Records=[{"Data": b"x", "PartitionKey": "k"}] * 500
        )
        assert response["FailedRecordCount"] == 0


def test_limits_and_firehose_simulation_are_on_by_default(lab, capsys):
    assert limits.is_installed() and firehose.is_installed()
    start_lab()
    assert "throughput limits SIMULATED" in capsys.readouterr().out


def test_the_1001st_record_in_a_second_is_throttled(lab):
    """F1: 1,000 records per second per shard; the next one is refused."""
    lab.use_simulated_clock()
    lab.create_stream("s", shard_count=1)
    kinesis = no_retry_kinesis()
    fill_one_second(kinesis, "s")
    with pytest.raises(kinesis.exceptions.ProvisionedThroughputExceededException):
        kinesis.put_record(StreamName="s", Data=b"x", PartitionKey="k")
    lab.advance(1)
    kinesis.put_record(StreamName="s", Data=b"x", PartitionKey="k")


def test_boto3_retries_wait_on_the_simulated_clock(lab):
    """The default retry back-off moves lab time, so a retried put lands in a later second."""
    lab.use_simulated_clock()
    lab.create_stream("s", shard_count=1)
    fill_one_second(lab.kinesis, "s")
    before = clock.now()
    for _ in range(3):  # jittered back-off: allow a few tries to cross into the next second
        try:
            lab.kinesis.put_record(StreamName="s", Data=b"x", PartitionKey="k")
            break
        except lab.kinesis.exceptions.ProvisionedThroughputExceededException:
            continue
    else:
        pytest.fail("retries never reached the next second")
    assert clock.now() > before


def test_a_lab_may_turn_limits_off_and_says_so(capsys):
    session = start_lab(limits=False)
    try:
        assert "throughput limits OFF (AWS would throttle)" in capsys.readouterr().out
        assert not limits.is_installed()
        session.use_simulated_clock()
        session.create_stream("free", shard_count=1)
        kinesis = no_retry_kinesis()
        for _ in range(3):
            kinesis.put_records(
                StreamName="free", Records=[{"Data": b"x", "PartitionKey": "k"}] * 500
            )
    finally:
        session.stop()


def test_stop_takes_the_simulations_off(lab):
    lab.use_simulated_clock()
    lab.stop()
    assert not limits.is_installed()
    assert not firehose.is_installed()
    assert not retrysleep.is_installed()
    assert not clock.get_clock().simulated


def test_simulated_clock_never_starts_before_records_already_written(lab):
    lab.create_stream("s", shard_count=1)
    lab.kinesis.put_record(StreamName="s", Data=b"x", PartitionKey="k")
    real_now = clock.now()
    lab.use_simulated_clock()
    assert clock.now() >= real_now


def test_localstack_keeps_real_time():
    session = start_lab(target="localstack", quiet=True)
    try:
        with pytest.raises(ValueError, match="keeps real time"):
            session.use_simulated_clock()
    finally:
        session.stop()


def test_firehose_buffers_on_the_lab_clock(lab):
    lab.use_simulated_clock()
    lab.s3.create_bucket(Bucket="landing")
    lab.firehose.create_delivery_stream(
        DeliveryStreamName="to-s3",
        ExtendedS3DestinationConfiguration={
            "RoleARN": "arn:aws:iam::123456789012:role/firehose",
            "BucketARN": "arn:aws:s3:::landing",
            "BufferingHints": {"SizeInMBs": 5, "IntervalInSeconds": 60},
        },
    )
    lab.firehose.put_record(DeliveryStreamName="to-s3", Record={"Data": b"hello\n"})
    lab.advance(59)
    assert lab.s3.list_objects_v2(Bucket="landing").get("KeyCount", 0) == 0
    lab.advance(1)
    assert lab.s3.list_objects_v2(Bucket="landing")["KeyCount"] == 1
