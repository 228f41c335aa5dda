"""On-failure destinations of the simulated Kinesis event source mapping (F40): the invocation
record Lambda documents, delivered to an SQS queue, an SNS topic (read through a subscribed
queue) or an S3 bucket (with the invocation payload, under the documented key)."""

from __future__ import annotations

import json
import re

import pytest
from sim_lambda_helpers import ACCOUNT, REGION

from kinesis_lab.core import clock

START = clock.DEFAULT_SIMULATED_START
ISO_MILLIS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def failing(event, context):
    raise ValueError("bad record")


def discard_one_batch(aws, destination_arn, count=3):
    """Put ``count`` records one second apart and let a failing handler discard them."""
    stream = aws.stream("payments")
    numbers = []
    for i in range(count):
        numbers += aws.put(stream, 1, prefix=f"p{i}-")
        aws.clock.advance(1)
    esm = aws.mapping(
        stream,
        failing,
        FunctionName="settle",
        MaximumRetryAttempts=1,
        DestinationConfig={"OnFailure": {"Destination": destination_arn}},
    )
    esm.run_until_idle()
    return esm, numbers


def assert_documented_invocation_record(document, esm, numbers):
    assert list(document) == [
        "requestContext",
        "responseContext",
        "version",
        "timestamp",
        "KinesisBatchInfo",
    ] + (["payload"] if "payload" in document else [])
    assert document["requestContext"] == {
        "requestId": esm.invocations[-1].request_id,
        "functionArn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:settle",
        "condition": "RetryAttemptsExhausted",
        "approximateInvokeCount": 2,
    }
    assert document["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    assert document["version"] == "1.0"
    assert ISO_MILLIS.fullmatch(document["timestamp"])
    assert document["KinesisBatchInfo"] == {
        "shardId": "shardId-000000000000",
        "startSequenceNumber": numbers[0],
        "endSequenceNumber": numbers[-1],
        "approximateArrivalOfFirstRecord": "2026-01-15T09:00:00.000Z",
        "approximateArrivalOfLastRecord": "2026-01-15T09:00:02.000Z",
        "batchSize": 3,
        "streamArn": f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/payments",
    }


def test_sqs_destination_receives_the_invocation_record(aws):
    url, arn = aws.queue("settle-dlq")

    esm, numbers = discard_one_batch(aws, arn)

    messages = aws.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert len(messages) == 1
    assert_documented_invocation_record(json.loads(messages[0]["Body"]), esm, numbers)
    assert "payload" not in json.loads(messages[0]["Body"])  # the records stay in the stream


def test_sns_destination_publishes_the_invocation_record(aws):
    topic = aws.sns.create_topic(Name="settle-failures")["TopicArn"]
    url, queue_arn = aws.queue("settle-failures-reader")
    aws.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)

    esm, numbers = discard_one_batch(aws, topic)

    (message,) = aws.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    notification = json.loads(message["Body"])
    assert notification["Type"] == "Notification"
    assert notification["TopicArn"] == topic
    assert_documented_invocation_record(json.loads(notification["Message"]), esm, numbers)


def test_s3_destination_stores_the_record_and_the_payload_under_the_documented_key(aws):
    aws.s3.create_bucket(Bucket="settle-failures")

    esm, numbers = discard_one_batch(aws, "arn:aws:s3:::settle-failures")

    (summary,) = aws.s3.list_objects_v2(Bucket="settle-failures")["Contents"]
    assert re.fullmatch(
        rf"aws/lambda/{esm.uuid}/shardId-000000000000/2026/01/15/"
        r"2026-01-15T09\.00\.\d\d-[0-9a-f-]{36}",
        summary["Key"],
    )
    body = aws.s3.get_object(Bucket="settle-failures", Key=summary["Key"])["Body"].read()
    document = json.loads(body)
    assert_documented_invocation_record(document, esm, numbers)
    payload_numbers = [r["kinesis"]["sequenceNumber"] for r in document["payload"]["Records"]]
    assert payload_numbers == numbers
    assert document["payload"]["Records"][0]["eventSource"] == "aws:kinesis"


def test_records_too_old_to_send_are_reported_with_record_age_exceeded(aws):
    url, arn = aws.queue()
    stream = aws.stream()
    numbers = aws.put(stream, 4)
    aws.clock.advance(61)

    esm = aws.mapping(
        stream,
        failing,
        MaximumRecordAgeInSeconds=60,
        DestinationConfig={"OnFailure": {"Destination": arn}},
    )
    esm.run_until_idle()

    assert esm.invocations == []
    (message,) = aws.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    document = json.loads(message["Body"])
    assert document["requestContext"]["condition"] == "RecordAgeExceeded"
    assert document["requestContext"]["approximateInvokeCount"] == 0
    assert "responseContext" not in document  # the function never ran
    info = document["KinesisBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"]) == (numbers[0], numbers[-1])
    assert info["batchSize"] == 4
    assert document["timestamp"] == "2026-01-15T09:01:01.000Z"


def test_a_partial_failure_that_runs_out_of_retries_sends_only_the_unprocessed_records(aws):
    url, arn = aws.queue()
    stream = aws.stream()
    numbers = aws.put(stream, 6)

    def handler(event, context):
        records = event["Records"]
        failed = next(r for r in records if r["kinesis"]["sequenceNumber"] == numbers[3])
        return {"batchItemFailures": [{"itemIdentifier": failed["kinesis"]["sequenceNumber"]}]}

    esm = aws.mapping(
        stream,
        handler,
        MaximumRetryAttempts=1,
        FunctionResponseTypes=["ReportBatchItemFailures"],
        DestinationConfig={"OnFailure": {"Destination": arn}},
    )
    esm.run_until_idle()

    (message,) = aws.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    document = json.loads(message["Body"])
    info = document["KinesisBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"], info["batchSize"]) == (
        numbers[3],
        numbers[5],
        3,
    )
    assert "functionError" not in document["responseContext"]  # the function returned


@pytest.mark.parametrize("service", ["sqs", "sns", "s3"])
def test_the_destination_shows_in_the_configuration(aws, service):
    arn = {
        "sqs": f"arn:aws:sqs:{REGION}:{ACCOUNT}:q",
        "sns": f"arn:aws:sns:{REGION}:{ACCOUNT}:t",
        "s3": "arn:aws:s3:::b",
    }[service]
    stream = aws.stream()
    esm = aws.mapping(stream, failing, DestinationConfig={"OnFailure": {"Destination": arn}})
    assert esm.configuration["DestinationConfig"] == {"OnFailure": {"Destination": arn}}
