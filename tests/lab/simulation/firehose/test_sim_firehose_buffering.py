"""Firehose buffering to S3 (F42-F44), simulated on the lab clock: size or interval, whichever
comes first; AWS object keys; newline delimiter; GZIP; PutRecordBatch limits; HTTP route."""

from __future__ import annotations

import gzip
import os
import re
import socket
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from firehose_sim_helpers import (
    BUCKET,
    NEWLINES,
    REGION,
    Lab,
    create_stream,
    error_code,
    error_message,
    hints,
    make_clients,
    objects,
    processors,
    put,
    s3_destination,
)
from moto.core.base_backend import BackendDict
from moto.server import ThreadedMotoServer

from kinesis_lab.core import clock
from kinesis_lab.core.facts import KIB, MIB
from kinesis_lab.mock import fidelity
from kinesis_lab.simulation import firehose

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def test_size_reached_before_the_interval_delivers_one_object_at_that_moment(aws: Lab) -> None:
    """F42: 1 MiB arrives well inside 900 s; the object is written when the last KiB lands."""
    create_stream(aws, "by-size", BufferingHints=hints(1, 900))
    kib = b"x" * KIB
    for _ in range(3):
        put(aws, "by-size", *[kib] * 256)
    assert objects(aws.s3) == {}

    put(aws, "by-size", *[kib] * 256)

    delivered = objects(aws.s3)
    assert len(delivered) == 1
    [(key, body)] = delivered.items()
    assert body == kib * 1024
    assert re.fullmatch(rf"2026/01/15/09/by-size-1-2026-01-15-09-00-00-{UUID}", key)
    aws.clock.advance(900)
    assert len(objects(aws.s3)) == 1  # nothing was left behind to deliver


def test_a_record_that_would_overflow_the_buffer_starts_the_next_object(aws: Lab) -> None:
    """Objects never exceed SizeInMBs: 2 x 400 KiB go out when a third would not fit."""
    create_stream(aws, "overflow", BufferingHints=hints(1, 60))
    chunk = b"o" * (400 * KIB)
    put(aws, "overflow", chunk, chunk)
    assert objects(aws.s3) == {}
    put(aws, "overflow", chunk)
    assert [len(body) for body in objects(aws.s3).values()] == [800 * KIB]
    assert firehose.buffer_state("overflow")["bytes"] == 400 * KIB
    aws.clock.advance(60)
    assert sorted(len(body) for body in objects(aws.s3).values()) == [400 * KIB, 800 * KIB]


def test_interval_reached_first_delivers_at_exactly_that_time(aws: Lab) -> None:
    """F42: the interval counts from the first buffered record: 299 s no object, 300 s one,
    named with the AWS key layout and the lab time it was due."""
    create_stream(aws, "by-time", Prefix="logs/", BufferingHints=hints(5, 300))
    put(aws, "by-time", b"a", b"b")
    aws.clock.advance(10)
    put(aws, "by-time", b"c")

    aws.clock.advance(289)
    assert objects(aws.s3) == {}
    aws.clock.advance(1)

    [(key, body)] = objects(aws.s3).items()
    assert body == b"abc"  # AWS concatenates records with no separator
    assert re.fullmatch(rf"logs/2026/01/15/09/by-time-1-2026-01-15-09-05-00-{UUID}", key)


def test_defaults_are_5_mib_and_300_seconds(aws: Lab) -> None:
    """F42: without BufferingHints, Describe shows 5 MiB / 300 s and delivery follows them."""
    create_stream(aws, "defaults")
    description = aws.firehose.describe_delivery_stream(DeliveryStreamName="defaults")
    destination = description["DeliveryStreamDescription"]["Destinations"][0]
    assert destination["ExtendedS3DestinationDescription"]["BufferingHints"] == hints(5, 300)
    assert destination["ExtendedS3DestinationDescription"]["CompressionFormat"] == "UNCOMPRESSED"

    half_mib = b"y" * (MIB // 2)
    for _ in range(4):
        put(aws, "defaults", half_mib, half_mib)
    assert objects(aws.s3) == {}
    put(aws, "defaults", half_mib, half_mib)
    assert [len(body) for body in objects(aws.s3).values()] == [5 * MIB]

    aws.clock.advance(1)  # a new second: this one's 5 MiB of Direct PUT quota is used (F45)
    put(aws, "defaults", b"late")
    aws.clock.advance(299)
    assert len(objects(aws.s3)) == 1
    aws.clock.advance(1)
    assert len(objects(aws.s3)) == 2


def test_interval_zero_delivers_on_the_next_request(aws: Lab) -> None:
    """F43: zero buffering delivers "within seconds": here, at the very next request."""
    create_stream(aws, "zero", BufferingHints=hints(1, 0))
    put(aws, "zero", b"now")
    assert list(objects(aws.s3).values()) == [b"now"]
    assert firehose.buffer_state("zero")["records"] == 0


@pytest.fixture(scope="module")
def unvalidated_firehose() -> Any:
    """A client that sends out-of-range values as they are (boto3 itself refuses values below a
    minimum), so the server's answer can be checked."""
    return boto3.client(
        "firehose",
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(parameter_validation=False, retries={"total_max_attempts": 1}),
    )


@pytest.mark.parametrize(
    ("size", "interval", "constraint"),
    [
        (
            129,
            300,
            "sizeInMBs' failed to satisfy constraint: Member must have value less than "
            "or equal to 128",
        ),
        (
            5,
            901,
            "intervalInSeconds' failed to satisfy constraint: Member must have value "
            "less than or equal to 900",
        ),
        (0, 300, "Member must have value greater than or equal to 1"),
        (5, -1, "Member must have value greater than or equal to 0"),
    ],
)
def test_out_of_range_hints_are_rejected(
    aws: Lab, unvalidated_firehose: Any, size: int, interval: int, constraint: str
) -> None:
    """F42 ranges are model constraints: ValidationException, and no stream is created."""
    with pytest.raises(ClientError) as error:
        unvalidated_firehose.create_delivery_stream(
            DeliveryStreamName="bad",
            ExtendedS3DestinationConfiguration=s3_destination(BufferingHints=hints(size, interval)),
        )
    assert error_code(error) == "ValidationException"
    assert constraint in error_message(error)
    assert error_message(error).startswith("1 validation error detected: Value ")
    assert aws.firehose.list_delivery_streams()["DeliveryStreamNames"] == []


def test_hints_come_in_pairs_and_are_checked_on_update(aws: Lab) -> None:
    """API_BufferingHints: give both or neither. UpdateDestination checks the ranges too, and a
    valid update bumps the version that object keys carry."""
    with pytest.raises(ClientError) as error:
        create_stream(aws, "half", BufferingHints={"SizeInMBs": 5})
    assert error_code(error) == "InvalidArgumentException"

    create_stream(aws, "updated", BufferingHints=hints(5, 60))
    destination_id = "destinationId-000000000001"
    with pytest.raises(ClientError) as error:
        aws.firehose.update_destination(
            DeliveryStreamName="updated",
            CurrentDeliveryStreamVersionId="1",
            DestinationId=destination_id,
            ExtendedS3DestinationUpdate={"BufferingHints": hints(129, 60)},
        )
    assert error_code(error) == "ValidationException"
    assert "extendedS3DestinationUpdate.bufferingHints.sizeInMBs" in error_message(error)

    aws.firehose.update_destination(
        DeliveryStreamName="updated",
        CurrentDeliveryStreamVersionId="1",
        DestinationId=destination_id,
        ExtendedS3DestinationUpdate={"BufferingHints": hints(64, 120)},
    )
    put(aws, "updated", b"v2")
    aws.clock.advance(119)
    assert objects(aws.s3) == {}
    aws.clock.advance(1)
    [key] = objects(aws.s3)
    assert "/updated-2-2026-01-15-09-02-00-" in key


def test_append_delimiter_adds_a_newline_after_each_record(aws: Lab) -> None:
    create_stream(
        aws, "lines", BufferingHints=hints(1, 0), ProcessingConfiguration=processors(NEWLINES)
    )
    put(aws, "lines", b'{"n":1}', b'{"n":2}', b'{"n":3}')
    assert list(objects(aws.s3).values()) == [b'{"n":1}\n{"n":2}\n{"n":3}\n']


def test_gzip_objects_end_in_gz_and_decompress_to_the_records(aws: Lab) -> None:
    create_stream(
        aws,
        "zipped",
        BufferingHints=hints(1, 60),
        CompressionFormat="GZIP",
        ProcessingConfiguration=processors(NEWLINES),
    )
    put(aws, "zipped", b"first", b"second")
    aws.clock.advance(60)
    [(key, body)] = objects(aws.s3).items()
    assert key.endswith(".gz")
    assert gzip.decompress(body) == b"first\nsecond\n"


def test_put_record_batch_limits_and_response(aws: Lab) -> None:
    """F44: 500 records, 1,000 KiB a record (ValidationException, AWS's model constraints),
    4 MiB a batch (InvalidArgumentException); a RecordId per record, FailedPutCount 0."""
    create_stream(aws, "limits")
    with pytest.raises(ClientError) as error:
        put(aws, "limits", *[b"r"] * 501)
    assert error_code(error) == "ValidationException"
    assert "Member must have length less than or equal to 500" in error_message(error)

    with pytest.raises(ClientError) as error:
        put(aws, "limits", b"ok", b"z" * (1_000 * KIB + 1))
    assert error_code(error) == "ValidationException"
    assert "'records.2.member.data'" in error_message(error)
    assert "less than or equal to 1024000" in error_message(error)

    with pytest.raises(ClientError) as error:
        aws.firehose.put_record(DeliveryStreamName="limits", Record={"Data": b"z" * 1_024_001})
    assert error_code(error) == "ValidationException"
    assert "'record.data'" in error_message(error)
    aws.firehose.put_record(DeliveryStreamName="limits", Record={"Data": b"z" * 1_024_000})

    with pytest.raises(ClientError) as error:
        put(aws, "limits", *[b"z" * (1_000 * KIB)] * 5)
    assert error_code(error) == "InvalidArgumentException"
    assert error_message(error) == "Records size exceeds 4 MB limit"

    response = aws.firehose.put_record_batch(
        DeliveryStreamName="limits", Records=[{"Data": b"a"}, {"Data": b"b"}, {"Data": b"c"}]
    )
    assert response["FailedPutCount"] == 0
    assert len({entry["RecordId"] for entry in response["RequestResponses"]}) == 3
    assert firehose.buffer_state("limits")["records"] == 4


def test_direct_put_quota_fails_records_one_by_one(aws: Lab) -> None:
    """F45: 5 MiB/s per stream in us-east-1; within one lab second the records beyond it fail
    with ServiceUnavailableException (FailedPutCount), the others are accepted; a second later
    the resent ones go through. PutRecord beyond the quota raises the exception."""
    create_stream(aws, "quota", BufferingHints=hints(128, 900))
    one_mib = b"q" * (MIB // 4)
    for _ in range(4):  # 4 MiB
        put(aws, "quota", *[one_mib] * 4)
    records = [{"Data": one_mib}] * 4 + [{"Data": b"small"}]
    response = aws.firehose.put_record_batch(DeliveryStreamName="quota", Records=records)
    assert response["FailedPutCount"] == 1
    answers = response["RequestResponses"]
    assert [("RecordId" in a) for a in answers] == [True] * 4 + [False]
    assert answers[4]["ErrorCode"] == "ServiceUnavailableException"
    with pytest.raises(ClientError) as error:
        aws.firehose.put_record(DeliveryStreamName="quota", Record={"Data": b"x"})
    assert error_code(error) == "ServiceUnavailableException"
    aws.clock.advance(1)
    assert put(aws, "quota", b"small")
    assert firehose.buffer_state("quota")["bytes"] == 5 * MIB + len(b"small")


def test_buffer_state_shows_the_buffer_filling_and_flushing(aws: Lab) -> None:
    create_stream(aws, "widget", BufferingHints=hints(1, 300))
    put(aws, "widget", b"12345", b"678")
    aws.clock.advance(100)
    put(aws, "widget", b"90")
    state = firehose.buffer_state("widget")
    assert (state["bytes"], state["records"], state["age_seconds"]) == (10, 3, 100.0)
    assert state["size_limit_bytes"] == MIB and state["interval_seconds"] == 300
    assert state["next_delivery_in_seconds"] == 200.0

    aws.clock.advance(200)
    state = firehose.buffer_state("widget")  # no request needed: it brings the stream up to now
    assert (state["bytes"], state["records"], state["objects_delivered"]) == (0, 0, 1)
    assert firehose.deliver_now("widget") == 0


def test_deliver_now_and_an_unreachable_bucket(aws: Lab) -> None:
    """Data that can't be delivered stays buffered and is retried at every tick; deliver_now
    flushes whatever is buffered regardless of the hints."""
    aws.firehose.create_delivery_stream(
        DeliveryStreamName="nowhere",
        ExtendedS3DestinationConfiguration={
            **s3_destination(BufferingHints=hints(5, 60)),
            "BucketARN": "arn:aws:s3:::not-created-yet",
        },
    )
    put(aws, "nowhere", b"kept")
    aws.clock.advance(60)
    state = firehose.buffer_state("nowhere")
    assert state["records"] == 1 and "NoSuchBucket" in state["last_delivery_error"]

    aws.s3.create_bucket(Bucket="not-created-yet")
    listed = aws.s3.list_objects_v2(Bucket="not-created-yet")["Contents"]
    assert "-2026-01-15-09-01-00-" in listed[0]["Key"]  # named for when it was due

    put(aws, "nowhere", b"flush me")
    assert firehose.deliver_now("nowhere") == 1


def test_state_is_cleared_when_moto_resets(aws: Lab) -> None:
    create_stream(aws, "forgotten", BufferingHints=hints(5, 300))
    put(aws, "forgotten", b"gone")
    BackendDict.reset()
    aws.s3.create_bucket(Bucket=BUCKET)
    with pytest.raises(KeyError):
        firehose.buffer_state("forgotten")
    create_stream(aws, "forgotten", BufferingHints=hints(5, 300))
    assert firehose.buffer_state("forgotten")["records"] == 0


def test_install_is_idempotent_and_notes_say_what_is_simplified(aws: Lab) -> None:
    firehose.install()
    assert firehose.is_installed()
    notes = firehose.simulation_notes()
    assert len(notes) >= 8
    assert any("F45" in note for note in notes)
    assert all(note.endswith(")") or note.endswith(".") for note in notes)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.slow
def test_buffering_holds_over_http(
    fake_aws_credentials: None, lab_clock: clock.SimulatedClock, simulation_installed: None
) -> None:
    """The AWS CLI route: a moto server in this process runs the same hook before each HTTP
    request, so the 300 s interval holds there too."""
    assert fidelity.is_installed()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=_free_port(), verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        clients = make_clients(endpoint_url=f"http://{host}:{port}")
        http_lab = Lab(clock=lab_clock, **clients)
        http_lab.s3.create_bucket(Bucket=BUCKET)
        create_stream(http_lab, "over-http", BufferingHints=hints(5, 300))
        put(http_lab, "over-http", b"via ", b"http")
        lab_clock.advance(299)
        assert objects(http_lab.s3) == {}
        lab_clock.advance(1)
        assert list(objects(http_lab.s3).values()) == [b"via http"]
    finally:
        server.stop()
        BackendDict.reset()
    assert os.environ["AWS_ACCESS_KEY_ID"] == "testing"
