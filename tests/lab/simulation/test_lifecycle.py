"""SIMULATION of lifecycle states (issue 13 item 2; F120-F123): streams CREATING → ACTIVE,
UPDATING while resharding, encrypting or switching mode, DELETING → gone; consumers CREATING
with an epoch-suffixed ARN; AWS's errors for acting on a stream that is not ACTIVE, for a
consumer name used twice and for deleting a stream that has consumers; botocore's
waiters sleeping on the lab clock. In-process on a simulated clock, and through
`kinesis-lab endpoint` (what `make endpoint` runs) on the real clock."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from kinesis_lab.account import retrysleep
from kinesis_lab.core import clock
from kinesis_lab.mock import fidelity
from kinesis_lab.simulation import lifecycle

ACCOUNT = "123456789012"
CONSUMER_ARN = re.compile(
    r"arn:aws:kinesis:us-east-1:(\d{12}):stream/(?P<stream>[\w.-]+)/consumer/"
    r"(?P<consumer>[\w.-]+):(?P<epoch>\d+)"
)
QUICK = {"Delay": 0.2, "MaxAttempts": 50}  # waiter settings for the real clock


@pytest.fixture
def lifecycle_installed() -> Iterator[None]:
    """Fixes, the lifecycle SIMULATION and lab-clock sleeps for one test; then as before."""
    had = fidelity.is_installed(), lifecycle.is_installed(), retrysleep.is_installed()
    fidelity.install()
    lifecycle.install()
    retrysleep.install()
    yield
    if not had[2]:
        retrysleep.uninstall()
    if not had[1]:
        lifecycle.uninstall()
    if not had[0]:
        fidelity.uninstall()


@pytest.fixture
def kinesis(fake_aws_credentials, lifecycle_installed, shared_kinesis_client) -> Iterator[Any]:
    """A client (no retries) on a fresh mocked account with the lifecycle SIMULATION."""
    with mock_aws():
        yield shared_kinesis_client


def status(kinesis: Any, name: str) -> str:
    return kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"][
        "StreamStatus"
    ]


def consumer_status(kinesis: Any, consumer_arn: str) -> str:
    described = kinesis.describe_stream_consumer(ConsumerARN=consumer_arn)
    return described["ConsumerDescription"]["ConsumerStatus"]


def refusal(call: Any, **args: Any) -> dict[str, Any]:
    """The error a call is refused with (fails the test if it is accepted)."""
    with pytest.raises(ClientError) as raised:
        call(**args)
    return raised.value.response


def assert_not_active(response: dict[str, Any], stream: str, state: str) -> None:
    """F120: ResourceInUseException, HTTP 400, AWS's text."""
    assert response["Error"]["Code"] == "ResourceInUseException"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert response["Error"]["Message"] == (
        f"Stream {stream} under account {ACCOUNT} not ACTIVE, instead in state {state}"
    )


def active_stream(kinesis: Any, name: str, shards: int = 1) -> str:
    kinesis.create_stream(StreamName=name, ShardCount=shards)
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig=QUICK)
    return kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]


def active_consumer(kinesis: Any, lab_clock: Any, stream_arn: str, name: str) -> str:
    """Register a consumer and let its CREATING second pass; its ARN."""
    consumer = kinesis.register_stream_consumer(StreamARN=stream_arn, ConsumerName=name)
    lab_clock.advance(lifecycle.TRANSITION_SECONDS)
    return consumer["Consumer"]["ConsumerARN"]


# --------------------------------------------------------------------------------------------
# In-process, simulated clock: instant but visible
# --------------------------------------------------------------------------------------------


def test_a_new_stream_is_creating_and_the_waiter_sees_it_through_on_lab_time(kinesis, lab_clock):
    started, real_start = lab_clock.now(), time.monotonic()
    kinesis.create_stream(StreamName="orders", ShardCount=1)

    kinesis.get_waiter("stream_exists").wait(StreamName="orders")

    # botocore's StreamExists polls every 10 s: its first poll saw CREATING, so it slept once,
    # on the lab clock (not for real), and its second poll saw ACTIVE
    assert lab_clock.now() - started == 10
    assert time.monotonic() - real_start < 5
    assert status(kinesis, "orders") == "ACTIVE"


def test_the_first_look_shows_creating_the_next_active(kinesis, lab_clock):
    kinesis.create_stream(StreamName="orders", ShardCount=1)
    listed = kinesis.list_streams()["StreamSummaries"]
    assert [(s["StreamName"], s["StreamStatus"]) for s in listed] == [("orders", "CREATING")]
    described = kinesis.describe_stream(StreamName="orders")["StreamDescription"]
    assert described["StreamStatus"] == "ACTIVE"


def test_a_second_of_lab_time_ends_creating_without_a_look(kinesis, lab_clock):
    kinesis.create_stream(StreamName="orders", ShardCount=1)
    lab_clock.advance(lifecycle.TRANSITION_SECONDS / 2)
    early = refusal(kinesis.put_record, StreamName="orders", Data=b"x", PartitionKey="k")
    assert early["Error"]["Code"] == "ResourceNotFoundException"

    lab_clock.advance(lifecycle.TRANSITION_SECONDS / 2)
    kinesis.put_record(StreamName="orders", Data=b"x", PartitionKey="k")
    assert status(kinesis, "orders") == "ACTIVE"


def test_writes_and_shard_iterators_on_a_creating_stream_are_not_found(kinesis, lab_clock):
    """F122: PutRecord's documented error, not ResourceInUseException (not in its list)."""
    kinesis.create_stream(StreamName="orders", ShardCount=1)
    message = f"Stream orders under account {ACCOUNT} not found."
    record = {"Data": b"x", "PartitionKey": "k"}
    for call, args in (
        (kinesis.put_record, {"StreamName": "orders", **record}),
        (kinesis.put_records, {"StreamName": "orders", "Records": [record]}),
        (
            kinesis.get_shard_iterator,
            {
                "StreamName": "orders",
                "ShardId": "shardId-000000000000",
                "ShardIteratorType": "TRIM_HORIZON",
            },
        ),
    ):
        response = refusal(call, **args)
        assert response["Error"]["Code"] == "ResourceNotFoundException"
        assert response["Error"]["Message"] == message
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 400

    kinesis.get_waiter("stream_exists").wait(StreamName="orders")
    kinesis.put_record(StreamName="orders", **record)


def test_resharding_a_creating_stream_is_refused(kinesis, lab_clock):
    kinesis.create_stream(StreamName="orders", ShardCount=1)
    response = refusal(
        kinesis.update_shard_count,
        StreamName="orders",
        TargetShardCount=2,
        ScalingType="UNIFORM_SCALING",
    )
    assert_not_active(response, "orders", "CREATING")


def test_update_shard_count_shows_updating_and_a_second_reshard_is_refused(kinesis, lab_clock):
    active_stream(kinesis, "orders")
    kinesis.update_shard_count(
        StreamName="orders", TargetShardCount=2, ScalingType="UNIFORM_SCALING"
    )

    again = refusal(
        kinesis.update_shard_count,
        StreamName="orders",
        TargetShardCount=4,
        ScalingType="UNIFORM_SCALING",
    )
    assert_not_active(again, "orders", "UPDATING")
    split = refusal(
        kinesis.split_shard,
        StreamName="orders",
        ShardToSplit="shardId-000000000001",
        NewStartingHashKey=str(2**126),
    )
    assert_not_active(split, "orders", "UPDATING")
    # "Read and write operations continue to work while the stream is in the UPDATING state"
    kinesis.put_record(StreamName="orders", Data=b"x", PartitionKey="k")
    assert status(kinesis, "orders") == "UPDATING"

    kinesis.get_waiter("stream_exists").wait(StreamName="orders")
    kinesis.update_shard_count(
        StreamName="orders", TargetShardCount=4, ScalingType="UNIFORM_SCALING"
    )


@pytest.mark.parametrize(
    "change",
    [
        lambda k, arn: k.split_shard(
            StreamARN=arn, ShardToSplit="shardId-000000000000", NewStartingHashKey=str(2**126)
        ),
        lambda k, arn: k.start_stream_encryption(
            StreamARN=arn, EncryptionType="KMS", KeyId="alias/aws/kinesis"
        ),
        lambda k, arn: k.update_stream_mode(
            StreamARN=arn, StreamModeDetails={"StreamMode": "ON_DEMAND"}
        ),
    ],
    ids=["split_shard", "start_stream_encryption", "update_stream_mode"],
)
def test_resharding_encryption_and_mode_changes_show_updating(kinesis, lab_clock, change):
    arn = active_stream(kinesis, "orders", shards=2)
    change(kinesis, arn)
    assert status(kinesis, "orders") == "UPDATING"
    assert status(kinesis, "orders") == "ACTIVE"


def test_stop_encryption_while_updating_is_refused(kinesis, lab_clock):
    arn = active_stream(kinesis, "orders")
    kinesis.start_stream_encryption(StreamARN=arn, EncryptionType="KMS", KeyId="alias/aws/kinesis")
    response = refusal(
        kinesis.stop_stream_encryption,
        StreamARN=arn,
        EncryptionType="KMS",
        KeyId="alias/aws/kinesis",
    )
    assert_not_active(response, "orders", "UPDATING")


def test_a_consumer_starts_creating_with_an_epoch_arn_then_turns_active(kinesis, lab_clock):
    stream_arn = active_stream(kinesis, "orders")
    registered_at = int(lab_clock.now())

    consumer = kinesis.register_stream_consumer(StreamARN=stream_arn, ConsumerName="dash")[
        "Consumer"
    ]

    assert consumer["ConsumerStatus"] == "CREATING"
    arn = CONSUMER_ARN.fullmatch(consumer["ConsumerARN"])
    assert arn is not None, consumer["ConsumerARN"]
    assert (arn["stream"], arn["consumer"], int(arn["epoch"])) == (
        "orders",
        "dash",
        registered_at,
    )
    assert consumer_status(kinesis, consumer["ConsumerARN"]) == "CREATING"
    assert consumer_status(kinesis, consumer["ConsumerARN"]) == "ACTIVE"


def test_subscribing_with_a_creating_consumer_is_refused(kinesis, lab_clock):
    stream_arn = active_stream(kinesis, "orders")
    consumer = kinesis.register_stream_consumer(StreamARN=stream_arn, ConsumerName="dash")[
        "Consumer"
    ]
    response = refusal(
        kinesis.subscribe_to_shard,
        ConsumerARN=consumer["ConsumerARN"],
        ShardId="shardId-000000000000",
        StartingPosition={"Type": "LATEST"},
    )
    assert response["Error"]["Code"] == "ResourceInUseException"
    assert "instead in state CREATING" in response["Error"]["Message"]


def test_a_deregistered_consumer_is_deleting_then_gone(kinesis, lab_clock):
    stream_arn = active_stream(kinesis, "orders")
    arn = active_consumer(kinesis, lab_clock, stream_arn, "dash")

    kinesis.deregister_stream_consumer(ConsumerARN=arn)

    assert consumer_status(kinesis, arn) == "DELETING"
    code = refusal(kinesis.describe_stream_consumer, ConsumerARN=arn)["Error"]["Code"]
    assert code == "ResourceNotFoundException"


def test_a_deleted_stream_is_deleting_then_gone(kinesis, lab_clock):
    active_stream(kinesis, "orders")
    kinesis.delete_stream(StreamName="orders")

    # the name is still taken (API_CreateStream: ResourceInUseException)
    again = refusal(kinesis.create_stream, StreamName="orders", ShardCount=1)
    assert again["Error"]["Code"] == "ResourceInUseException"
    assert status(kinesis, "orders") == "DELETING"
    kinesis.get_waiter("stream_not_exists").wait(StreamName="orders")
    assert kinesis.list_streams()["StreamNames"] == []


def test_a_deletion_that_ends_late_never_removes_a_newer_stream_of_the_same_name(
    kinesis, lab_clock
):
    """Seen in CI under load: a request on another thread took the DELETING stream out of the
    pending transitions, a second DeleteStream began it again before it was removed, the
    learner's next cell recreated the name, and the second deletion then removed the new
    stream (ResourceNotFoundException right after its waiter). Here the late one runs by hand."""
    active_stream(kinesis, "orders")
    kinesis.delete_stream(StreamName="orders")
    [(_, transition)] = list(lifecycle._pending.values())
    lifecycle._settle(lab_clock.now() + lifecycle.TRANSITION_SECONDS)  # ends: "orders" is gone
    assert kinesis.list_streams()["StreamNames"] == []
    active_stream(kinesis, "orders")  # the learner's next cell

    transition.finish()  # the same deletion, begun twice, ending late

    assert status(kinesis, "orders") == "ACTIVE"
    assert kinesis.describe_stream_summary(StreamName="orders")["StreamDescriptionSummary"][
        "StreamARN"
    ]


def test_a_consumer_name_is_taken_until_the_consumer_is_gone(kinesis, lab_clock):
    """F123: each consumer of a stream has a unique name; moto registered it twice."""
    stream_arn = active_stream(kinesis, "orders")
    arn = active_consumer(kinesis, lab_clock, stream_arn, "dash")

    twice = refusal(kinesis.register_stream_consumer, StreamARN=stream_arn, ConsumerName="dash")
    assert twice["Error"]["Code"] == "ResourceInUseException"
    assert twice["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "Consumer dash under stream orders already exists" in twice["Error"]["Message"]
    listed = kinesis.list_stream_consumers(StreamARN=stream_arn)["Consumers"]
    assert [c["ConsumerName"] for c in listed] == ["dash"]

    # another name on the same stream, and the same name on another stream, are fine
    kinesis.register_stream_consumer(StreamARN=stream_arn, ConsumerName="alerts")
    other_arn = active_stream(kinesis, "payments")
    kinesis.register_stream_consumer(StreamARN=other_arn, ConsumerName="dash")

    # deregistered and gone, the name is free again, under a new ARN (F121)
    kinesis.deregister_stream_consumer(ConsumerARN=arn)
    lab_clock.advance(lifecycle.TRANSITION_SECONDS)
    again = kinesis.register_stream_consumer(StreamARN=stream_arn, ConsumerName="dash")
    assert again["Consumer"]["ConsumerARN"] != arn


def test_deleting_a_stream_with_consumers_needs_enforce_consumer_deletion(kinesis, lab_clock):
    """F123: refused while consumers are registered, unless EnforceConsumerDeletion is true."""
    stream_arn = active_stream(kinesis, "orders")
    active_consumer(kinesis, lab_clock, stream_arn, "dash")

    for flag in ({}, {"EnforceConsumerDeletion": False}):
        refused = refusal(kinesis.delete_stream, StreamName="orders", **flag)
        assert refused["Error"]["Code"] == "ResourceInUseException"
        assert "has registered consumers (dash)" in refused["Error"]["Message"]
        assert status(kinesis, "orders") == "ACTIVE"  # nothing was started

    kinesis.delete_stream(StreamName="orders", EnforceConsumerDeletion=True)
    assert status(kinesis, "orders") == "DELETING"
    kinesis.get_waiter("stream_not_exists").wait(StreamName="orders")


def test_a_stream_whose_consumers_are_gone_deletes_without_the_flag(kinesis, lab_clock):
    stream_arn = active_stream(kinesis, "orders")
    arn = active_consumer(kinesis, lab_clock, stream_arn, "dash")
    kinesis.deregister_stream_consumer(ConsumerARN=arn)
    lab_clock.advance(lifecycle.TRANSITION_SECONDS)

    kinesis.delete_stream(StreamName="orders")
    kinesis.get_waiter("stream_not_exists").wait(StreamName="orders")


def test_uninstall_finishes_pending_deletes_and_restores_moto(
    fake_aws_credentials, shared_kinesis_client, lab_clock
):
    was_installed = fidelity.is_installed()
    fidelity.install()
    try:
        lifecycle.install()
        with mock_aws():
            shared_kinesis_client.create_stream(StreamName="orders", ShardCount=1)
            lab_clock.advance(lifecycle.TRANSITION_SECONDS)
            shared_kinesis_client.delete_stream(StreamName="orders")
            assert shared_kinesis_client.list_streams()["StreamSummaries"][0]["StreamStatus"] == (
                "DELETING"
            )
            lifecycle.uninstall()
            assert shared_kinesis_client.list_streams()["StreamNames"] == []
            shared_kinesis_client.create_stream(StreamName="orders", ShardCount=1)
            assert status(shared_kinesis_client, "orders") == "ACTIVE"
        assert "call_action" not in fidelity.KinesisResponse.__dict__
        assert "status" not in fidelity.Stream.__dict__
    finally:
        lifecycle.uninstall()
        if not was_installed:
            fidelity.uninstall()


# --------------------------------------------------------------------------------------------
# Real clock: a transition lasts a second, however often it is looked at
# --------------------------------------------------------------------------------------------


def test_on_the_real_clock_creating_lasts_about_a_second(kinesis, monkeypatch):
    monkeypatch.setattr(clock, "_clock", clock.RealClock())
    began = time.monotonic()
    kinesis.create_stream(StreamName="orders", ShardCount=1)
    assert status(kinesis, "orders") == "CREATING"
    assert status(kinesis, "orders") == "CREATING"  # looking does not speed up real time

    kinesis.get_waiter("stream_exists").wait(StreamName="orders", WaiterConfig=QUICK)

    assert status(kinesis, "orders") == "ACTIVE"
    assert time.monotonic() - began >= lifecycle.TRANSITION_SECONDS


# --------------------------------------------------------------------------------------------
# Issue 13's done-when over HTTP: `kinesis-lab endpoint`, plain boto3, the real clock
# --------------------------------------------------------------------------------------------


@pytest.fixture
def remote(endpoint) -> Any:
    return boto3.client(
        "kinesis",
        region_name="us-east-1",
        endpoint_url=endpoint["url"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def test_lifecycle_through_the_endpoint_on_the_real_clock(remote):
    remote.create_stream(StreamName="http-orders", ShardCount=1)
    assert status(remote, "http-orders") == "CREATING"
    put = refusal(remote.put_record, StreamName="http-orders", Data=b"x", PartitionKey="k")
    assert put["Error"]["Code"] == "ResourceNotFoundException"

    remote.get_waiter("stream_exists").wait(StreamName="http-orders", WaiterConfig=QUICK)
    assert status(remote, "http-orders") == "ACTIVE"
    remote.put_record(StreamName="http-orders", Data=b"x", PartitionKey="k")

    remote.update_shard_count(
        StreamName="http-orders", TargetShardCount=2, ScalingType="UNIFORM_SCALING"
    )
    assert status(remote, "http-orders") == "UPDATING"
    again = refusal(
        remote.update_shard_count,
        StreamName="http-orders",
        TargetShardCount=4,
        ScalingType="UNIFORM_SCALING",
    )
    assert_not_active(again, "http-orders", "UPDATING")
    remote.get_waiter("stream_exists").wait(StreamName="http-orders", WaiterConfig=QUICK)

    stream_arn = remote.describe_stream_summary(StreamName="http-orders")[
        "StreamDescriptionSummary"
    ]["StreamARN"]
    consumer = remote.register_stream_consumer(StreamARN=stream_arn, ConsumerName="dash")[
        "Consumer"
    ]
    assert consumer["ConsumerStatus"] == "CREATING"
    arn = CONSUMER_ARN.fullmatch(consumer["ConsumerARN"])
    assert arn is not None and abs(int(arn["epoch"]) - time.time()) < 60

    twice = refusal(remote.register_stream_consumer, StreamARN=stream_arn, ConsumerName="dash")
    assert twice["Error"]["Code"] == "ResourceInUseException"  # F123
    with_consumer = refusal(remote.delete_stream, StreamName="http-orders")
    assert with_consumer["Error"]["Code"] == "ResourceInUseException"  # F123

    remote.delete_stream(StreamName="http-orders", EnforceConsumerDeletion=True)
    try:
        assert status(remote, "http-orders") == "DELETING"
    except remote.exceptions.ResourceNotFoundException:
        pass  # "shows DELETING or is gone": a loaded machine may take a second to ask
    remote.get_waiter("stream_not_exists").wait(StreamName="http-orders", WaiterConfig=QUICK)
    assert "http-orders" not in remote.list_streams()["StreamNames"]


def test_on_the_real_clock_a_waiter_polls_each_transition_not_every_ten_seconds(
    kinesis, monkeypatch
):
    """botocore's stream_exists polls every 10 s against AWS; the lab's CREATING lasts 1 s, so
    on the real clock a waiter's pause is capped just past that (SIMULATION, retrysleep)."""
    import botocore.endpoint
    import botocore.waiter

    assert not clock.get_clock().simulated
    slept: list[float] = []
    real_sleep = time.sleep

    def recorded(seconds: float) -> None:
        slept.append(seconds)
        real_sleep(seconds)

    monkeypatch.setattr(retrysleep.time, "sleep", recorded)
    kinesis.create_stream(StreamName="polled", ShardCount=1)
    kinesis.get_waiter("stream_exists").wait(StreamName="polled")  # botocore's default: 10 s
    summary = kinesis.describe_stream_summary(StreamName="polled")["StreamDescriptionSummary"]
    assert summary["StreamStatus"] == "ACTIVE"
    assert slept and max(slept) == pytest.approx(retrysleep.WAITER_POLL_SECONDS)

    slept.clear()
    monkeypatch.setattr(retrysleep.time, "sleep", slept.append)  # record, do not wait
    botocore.waiter.time.sleep(10)
    botocore.endpoint.time.sleep(2.5)  # a retry's back-off keeps its full length
    assert slept == [retrysleep.WAITER_POLL_SECONDS, 2.5]
