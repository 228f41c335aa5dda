"""The limits SIMULATION over HTTP: the learner-style producer and consumer, and the same error
codes, messages and status as in-process, against a ThreadedMotoServer in this process (what
`kinesis-lab endpoint` runs), with fidelity and limits installed first."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from moto.server import ThreadedMotoServer
from port_helpers import free_port
from sim_helpers import (
    EXPIRED_MESSAGE,
    SHARD_0,
    THROTTLED,
    entries,
    error_of,
    iterator_for,
    put_in_batches,
    read_throttle_message,
    stream_arn,
    write_throttle_message,
)
from sim_learners import consume, produce

from kinesis_lab.core import clock
from kinesis_lab.core.facts import GET_RECORDS_CALLS_PER_SEC, MIB
from kinesis_lab.mock import fidelity
from kinesis_lab.simulation import limits
from kinesis_lab.simulation.metrics import shard_metrics

pytestmark = pytest.mark.slow

REGION = "us-east-1"


@pytest.fixture(scope="module")
def lab_clock() -> Iterator[clock.SimulatedClock]:
    """One simulated clock for the module (the server reads the same, process-wide clock)."""
    with pytest.MonkeyPatch.context() as patch:
        simulated = clock.SimulatedClock()
        patch.setattr(clock, "_clock", simulated)
        yield simulated


@pytest.fixture(scope="module")
def kinesis(lab_clock: clock.SimulatedClock) -> Iterator[Any]:
    """A boto3 client (retries off) talking HTTP to a server started after both installs."""
    had_fidelity, had_limits = fidelity.is_installed(), limits.is_installed()
    fidelity.install()
    limits.install()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield boto3.client(
        "kinesis",
        region_name=REGION,
        endpoint_url=f"http://{host}:{port}",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"total_max_attempts": 1}),
    )
    server.stop()
    if not had_limits:
        limits.uninstall()
    if not had_fidelity:
        fidelity.uninstall()


@pytest.fixture
def stream(kinesis: Any, lab_clock: clock.SimulatedClock, request: pytest.FixtureRequest) -> str:
    """A fresh 1-shard stream named after the test, at the start of a lab-clock second."""
    name = request.node.name.replace("_", "-")[:60]
    kinesis.create_stream(StreamName=name, ShardCount=1)
    lab_clock.advance(10 - lab_clock.now() % 1)
    return name


def test_write_throttle_over_http_is_the_same_error(kinesis, stream):
    put_in_batches(kinesis, stream, entries(1_000))

    with pytest.raises(ClientError) as raised:
        kinesis.put_record(StreamName=stream, Data=b"x", PartitionKey="p")
    partial = kinesis.put_records(StreamName=stream, Records=entries(2))

    assert error_of(raised) == (THROTTLED, write_throttle_message(stream, SHARD_0), 400)
    assert partial["FailedRecordCount"] == 2
    assert partial["Records"][0] == {
        "ErrorCode": THROTTLED,
        "ErrorMessage": write_throttle_message(stream, SHARD_0),
    }


def test_read_throttle_over_http_is_the_same_error(kinesis, stream):
    iterator = iterator_for(kinesis, stream)
    for _ in range(GET_RECORDS_CALLS_PER_SEC):
        kinesis.get_records(ShardIterator=iterator)

    with pytest.raises(ClientError) as raised:
        kinesis.get_records(ShardIterator=iterator)

    assert error_of(raised) == (THROTTLED, read_throttle_message(stream, SHARD_0), 400)


def test_expired_iterator_over_http_is_the_same_error(kinesis, stream, lab_clock):
    iterator = iterator_for(kinesis, stream)
    lab_clock.advance(5 * 60 + 1)

    with pytest.raises(ClientError) as raised:
        kinesis.get_records(ShardIterator=iterator)

    code, message, status = error_of(raised)
    assert (code, status) == ("ExpiredIteratorException", 400)
    assert EXPIRED_MESSAGE.fullmatch(message)


def test_update_max_record_size_over_http(kinesis, stream):
    with pytest.raises(ClientError) as raised:
        kinesis.put_record(StreamName=stream, Data=bytes(MIB + 1), PartitionKey="p")
    assert error_of(raised)[0] == "ValidationException"

    kinesis.update_max_record_size(StreamARN=stream_arn(kinesis, stream), MaxRecordSizeInKiB=2_048)

    kinesis.put_record(StreamName=stream, Data=bytes(MIB + 1), PartitionKey="p")
    summary = kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]
    assert summary["MaxRecordSizeInKiB"] == 2_048


def test_learner_producer_and_consumer_over_http(kinesis, stream, lab_clock):
    """The same learner code as in-process: every record written once despite throttling, and
    read once despite read throttles and an expired iterator."""
    records = entries(2_500, prefix="event")
    stalled = []

    def process(batch):
        if not stalled:
            stalled.append(batch)
            lab_clock.advance(6 * 60)

    produced = produce(kinesis, stream, records, lab_clock.advance)
    consumed = consume(
        kinesis, stream, SHARD_0, lab_clock.advance, wanted=2_500, limit=200, process=process
    )

    assert produced.retried_entries > 0
    assert consumed.throttled > 0
    assert consumed.expired == 1
    assert [r["SequenceNumber"] for r in consumed.records] == produced.sequence_numbers
    assert sorted(r["PartitionKey"] for r in consumed.records) == sorted(
        r["PartitionKey"] for r in records
    )
    throttled = shard_metrics(stream, "WriteProvisionedThroughputExceeded")
    assert sum(row["value"] for row in throttled) == produced.retried_entries
