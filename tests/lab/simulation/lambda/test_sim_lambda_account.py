"""The Lambda SIMULATION behind the real API: functions and mappings made with boto3's Lambda client.

What is checked is the documented AWS behaviour (fact rows F34-F40, F69), reached through the
calls a learner makes — ``lambda.create_function`` with a zipped handler and
``lambda.create_event_source_mapping`` — and read back the way a learner would: what the
handler printed (its CloudWatch Logs group), the on-failure destination's messages.
"""

from __future__ import annotations

import base64
import io
import json
import zipfile
from typing import Any

import boto3
import pytest
from aws_kinesis_agg.aggregator import RecordAggregator
from sim_lambda_helpers import REGION

from kinesis_lab.simulation.lambda_account import (  # noqa: E402
    SimulatedLambda,
    load_handler,
    stream_name_of,
)

ROLE_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)

# Handlers as a learner writes them: self-contained modules, output by print (CloudWatch Logs).
PRINT_BATCH = """
import base64

def handler(event, context):
    data = [base64.b64decode(r["kinesis"]["data"]).decode() for r in event["Records"]]
    print("batch", len(data), ",".join(data))
"""

FAILS_ON_POISON = """
import base64

def handler(event, context):
    for record in event["Records"]:
        data = base64.b64decode(record["kinesis"]["data"]).decode()
        if data == "poison":
            raise ValueError("cannot parse")
        print("stored", data)
"""

REPORTS_ONCE = """
import base64

FAILED_BEFORE = set()

def handler(event, context):
    failures = []
    for record in event["Records"]:
        data = base64.b64decode(record["kinesis"]["data"]).decode()
        if data == "r3" and data not in FAILED_BEFORE:  # a transient failure, once
            FAILED_BEFORE.add(data)
            failures.append({"itemIdentifier": record["kinesis"]["sequenceNumber"]})
            continue
        print("stored", data)
    return {"batchItemFailures": failures}
"""

DEAGGREGATES = """
import base64
from aws_kinesis_agg.deaggregator import deaggregate_records

def handler(event, context):
    print("kinesis records", len(event["Records"]))
    for record in deaggregate_records(event["Records"]):
        print("user record", base64.b64decode(record["kinesis"]["data"]).decode())
"""


def zipped(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("lambda_function.py", source)
    return buffer.getvalue()


class Learner:
    """The Lambda, IAM and Logs clients of the account, and what a learner does with them."""

    def __init__(self, aws: Any) -> None:
        self.aws = aws
        made = {service: boto3.client(service, region_name=REGION) for service in ("lambda", "iam")}
        self.lam, self.iam = made["lambda"], made["iam"]
        self.logs = boto3.client("logs", region_name=REGION)
        self.role = self.iam.create_role(RoleName="fn-role", AssumeRolePolicyDocument=ROLE_POLICY)[
            "Role"
        ]["Arn"]
        self.service = SimulatedLambda(
            self.lam, aws.kinesis, clients={**aws.clients, "logs": self.logs}
        ).watch()

    def function(self, name: str, source: str, timeout: int = 3) -> None:
        self.lam.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=self.role,
            Handler="lambda_function.handler",
            Code={"ZipFile": zipped(source)},
            Timeout=timeout,
        )

    def stream_arn(self, stream: str) -> str:
        summary = self.aws.kinesis.describe_stream_summary(StreamName=stream)
        return summary["StreamDescriptionSummary"]["StreamARN"]

    def mapping(self, name: str, stream: str, **parameters: Any) -> str:
        parameters.setdefault("StartingPosition", "TRIM_HORIZON")
        return self.lam.create_event_source_mapping(
            FunctionName=name, EventSourceArn=self.stream_arn(stream), **parameters
        )["UUID"]

    def printed(self, name: str) -> list[str]:
        events = self.logs.filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
        return [event["message"] for event in events]


@pytest.fixture
def learner(aws):
    made = Learner(aws)
    yield made
    made.service.unwatch()


def stored(lines: list[str]) -> list[str]:
    return [line.split(" ", 1)[1] for line in lines if line.startswith("stored ")]


def test_batch_size_from_the_mapping_caps_each_invocation(aws, learner):
    """F34: at most BatchSize records per invocation, in shard order."""
    aws.put(aws.stream("orders"), 25)
    learner.function("printer", PRINT_BATCH)
    learner.mapping("printer", "orders", BatchSize=10)
    learner.service.run_until_idle()
    batches = [line for line in learner.printed("printer") if line.startswith("batch")]
    assert [line.split()[1] for line in batches] == ["10", "10", "5"]
    assert batches[0].split()[2].split(",") == [f"r{i}" for i in range(10)]


def test_the_mappings_own_settings_reach_the_engine(aws, learner):
    aws.stream("orders")
    learner.function("printer", PRINT_BATCH, timeout=30)
    uuid = learner.mapping(
        "printer", "orders", BatchSize=7, ParallelizationFactor=3, MaximumRetryAttempts=4
    )
    engine = learner.service.engine(uuid)
    assert engine.uuid == uuid
    assert (engine.settings.batch_size, engine.settings.parallelization_factor) == (7, 3)
    assert engine.settings.maximum_retry_attempts == 4
    assert engine.timeout_seconds == 30
    assert (
        engine.function_arn
        == learner.lam.get_function(FunctionName="printer")["Configuration"]["FunctionArn"]
    )


def test_starting_position_latest_skips_what_was_there_before_the_mapping(aws, learner):
    aws.put(aws.stream("orders"), 3, prefix="old")
    learner.function("printer", PRINT_BATCH)
    learner.mapping("printer", "orders", StartingPosition="LATEST")
    aws.put("orders", 2, prefix="new")  # the first request after the mapping picks it up
    learner.service.run_until_idle()
    assert learner.printed("printer") == ["batch 2 new0,new1"]


def test_bisect_isolates_the_poison_record_and_only_it_reaches_the_destination(aws, learner):
    """F39 bisect + F37 retries + F40 on-failure destination (SQS gets the batch's details)."""
    stream = aws.stream("orders")
    numbers = aws.put(stream, 8)
    poison = aws.kinesis.put_record(StreamName=stream, Data=b"poison", PartitionKey="p")
    aws.put(stream, 3, prefix="after")
    url, arn = aws.queue()
    learner.function("store", FAILS_ON_POISON)
    learner.mapping(
        "store",
        stream,
        BatchSize=12,
        BisectBatchOnFunctionError=True,
        MaximumRetryAttempts=1,
        DestinationConfig={"OnFailure": {"Destination": arn}},
    )
    learner.service.run_until_idle()
    assert set(stored(learner.printed("store"))) == {f"r{i}" for i in range(8)} | {
        f"after{i}" for i in range(3)
    }
    messages = aws.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert len(messages) == 1
    document = json.loads(messages[0]["Body"])
    info = document["KinesisBatchInfo"]
    assert info["startSequenceNumber"] == info["endSequenceNumber"] == poison["SequenceNumber"]
    assert info["batchSize"] == 1
    assert document["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert numbers  # the good records before the poison were all stored (above)


def test_without_limits_and_bisect_the_whole_batch_is_retried_and_then_discarded(aws, learner):
    """F37: after MaximumRetryAttempts the whole batch goes, poison and good records alike."""
    stream = aws.stream("orders")
    aws.put(stream, 2)
    aws.kinesis.put_record(StreamName=stream, Data=b"poison", PartitionKey="p")
    url, arn = aws.queue()
    learner.function("store", FAILS_ON_POISON)
    learner.mapping(
        "store",
        stream,
        MaximumRetryAttempts=2,
        DestinationConfig={"OnFailure": {"Destination": arn}},
    )
    learner.service.run_until_idle()
    assert stored(learner.printed("store")) == ["r0", "r1"] * 3  # 1 try + 2 retries
    (message,) = aws.sqs.receive_message(QueueUrl=url)["Messages"]
    assert json.loads(message["Body"])["KinesisBatchInfo"]["batchSize"] == 3


def test_partial_batch_response_retries_from_the_reported_record(aws, learner):
    """F39: with ReportBatchItemFailures Lambda checkpoints before the lowest reported record
    and retries from it: r0-r2 once, r3 and everything after it again."""
    aws.put(aws.stream("orders"), 6)
    learner.function("scorer", REPORTS_ONCE)
    learner.mapping("scorer", "orders", FunctionResponseTypes=["ReportBatchItemFailures"])
    learner.service.run_until_idle()
    assert stored(learner.printed("scorer")) == ["r0", "r1", "r2", "r4", "r5", "r3", "r4", "r5"]


def test_batch_item_failures_are_ignored_without_report_batch_item_failures(aws, learner):
    """F39: the response is only read when the mapping has FunctionResponseTypes set."""
    aws.put(aws.stream("orders"), 6)
    learner.function("scorer", REPORTS_ONCE)
    uuid = learner.mapping("scorer", "orders")
    learner.service.run_until_idle()
    assert stored(learner.printed("scorer")) == ["r0", "r1", "r2", "r4", "r5"]
    assert [i.outcome for i in learner.service.engine(uuid).invocations] == ["success"]


def test_a_kpl_aggregated_record_reaches_the_handler_aggregated(aws, learner):
    """F69: the mapping does not de-aggregate; the handler does, with aws-kinesis-agg."""
    aggregator = RecordAggregator()
    for i in range(5):
        assert aggregator.add_user_record(f"device-{i}", f"reading-{i}".encode()) is None
    partition_key, explicit_hash_key, data = aggregator.clear_and_get().get_contents()
    stream = aws.stream("sensors")
    hash_key = {"ExplicitHashKey": explicit_hash_key} if explicit_hash_key else {}
    aws.kinesis.put_record(StreamName=stream, Data=data, PartitionKey=partition_key, **hash_key)
    learner.function("deagg", DEAGGREGATES)
    uuid = learner.mapping("deagg", stream)
    learner.service.run_until_idle()
    lines = learner.printed("deagg")
    assert lines[0] == "kinesis records 1"
    assert lines[1:] == [f"user record reading-{i}" for i in range(5)]
    (invocation,) = learner.service.engine(uuid).invocations
    assert invocation.records == 1 and invocation.outcome == "success"


def test_deleted_and_disabled_mappings_stop_polling(aws, learner):
    aws.put(aws.stream("orders"), 2)
    learner.function("printer", PRINT_BATCH)
    uuid = learner.mapping("printer", "orders")
    learner.lam.update_event_source_mapping(UUID=uuid, Enabled=False)
    assert learner.service.run_until_idle() == []
    learner.lam.update_event_source_mapping(UUID=uuid, Enabled=True)
    assert len(learner.service.run_until_idle()) == 1
    learner.lam.delete_event_source_mapping(UUID=uuid)
    aws.put("orders", 2, prefix="later")
    assert learner.service.run_until_idle() == []


def test_the_handler_runs_from_the_package_not_from_the_caller(aws):
    handler = load_handler(
        zipped("X = 2\n\ndef handler(event, context):\n    return X\n"), "lambda_function.handler"
    )
    assert handler({}, None) == 2
    with pytest.raises(ImportError):
        load_handler(zipped("x = 1\n"), "other_module.handler")
    with pytest.raises(AttributeError):
        load_handler(zipped("x = 1\n"), "lambda_function.handler")


def test_stream_name_of_stream_and_consumer_arns():
    arn = "arn:aws:kinesis:us-east-1:123456789012:stream/orders"
    assert stream_name_of(arn) == "orders"
    assert stream_name_of(arn + "/consumer/c:1700000000") == "orders"


def test_the_engine_reports_kinesis_records_in_lambdas_event_shape(aws, learner):
    aws.put(aws.stream("orders"), 1)
    learner.function("printer", PRINT_BATCH)
    learner.mapping("printer", "orders")
    learner.service.run_until_idle()
    assert base64.b64encode(b"r0")  # the data travelled base64-encoded and was decoded
    assert learner.printed("printer") == ["batch 1 r0"]
