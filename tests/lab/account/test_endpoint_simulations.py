"""The whole lab behind `make endpoint` (issue 13 item 3): the SIMULATIONS run in the endpoint.

- A learner's plain boto3 calls against `kinesis-lab endpoint` — ``create_function`` with the
  handler's .zip and ``create_event_source_mapping`` — are run by the endpoint itself: Lambda
  reads the stream in batches of at most BatchSize records (F34) and what the handler prints
  goes to its log group ``/aws/lambda/<name>`` in CloudWatch Logs, as on AWS.
- A delivery stream made over HTTP buffers until its interval passes (F42, F43) in the endpoint.
- With ``start_lab(target="local")`` the endpoint's clock is the notebook's lab clock: the SDK's
  retry back-off after a throttle and the ``stream_exists`` waiter move the endpoint's
  simulated clock (before, they slept in the kernel and the endpoint stood still — quiz a02
  looped), and ``lesson.run_lambda`` / ``shard_metrics`` / ``limits.describe`` ask the endpoint.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request

import boto3
import pytest
from botocore.config import Config
from port_helpers import running_endpoint

from kinesis_lab import start_lab
from kinesis_lab.clients.lambda_functions import handler_zip

pytestmark = pytest.mark.slow

LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def count_batch(event, context):
    print("batch", len(event["Records"]))


@pytest.fixture(scope="module")
def endpoint_url(tmp_path_factory):
    """`kinesis-lab endpoint` on a free port, one per worker; its log in a file."""
    with running_endpoint(tmp_path_factory.mktemp("endpoint") / "endpoint.log") as running:
        yield running["url"]


def control(url: str, path: str, body: dict | None = None) -> dict:
    request = urllib.request.Request(
        f"{url}/_kinesis_lab/{path}",
        data=None if body is None else json.dumps(body).encode(),
        method="GET" if body is None else "POST",
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read())


@pytest.fixture
def fresh(endpoint_url):
    """A wiped account on a simulated clock; plain boto3 clients for it (no lab session)."""
    urllib.request.urlopen(
        urllib.request.Request(endpoint_url + "/moto-api/reset", data=b"", method="POST")
    ).read()
    control(endpoint_url, "clock/simulate", {})
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    config = Config(retries={"max_attempts": 1})
    yield lambda service: session.client(service, endpoint_url=endpoint_url, config=config)
    control(endpoint_url, "clock/real", {})


def make_stream(kinesis, name: str) -> str:
    kinesis.create_stream(StreamName=name, ShardCount=1)
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 0})
    return kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]


def test_a_mapping_made_with_plain_boto3_runs_in_the_endpoint(endpoint_url, fresh):
    kinesis, lam, logs = fresh("kinesis"), fresh("lambda"), fresh("logs")
    arn = make_stream(kinesis, "esm-http")
    role = fresh("iam").create_role(
        RoleName="esm-http-role", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST)
    )["Role"]["Arn"]
    lam.create_function(
        FunctionName="count-batches",
        Runtime="python3.12",
        Role=role,
        Handler="lambda_function.count_batch",
        Code={"ZipFile": handler_zip(count_batch)},
    )
    lam.create_event_source_mapping(
        FunctionName="count-batches",
        EventSourceArn=arn,
        StartingPosition="TRIM_HORIZON",
        BatchSize=10,
    )
    kinesis.put_records(
        StreamName="esm-http",
        Records=[{"Data": b"{}", "PartitionKey": f"k{i}"} for i in range(25)],
    )
    made = control(endpoint_url, "lambda/run", {"max_seconds": 60})["invocations"]
    assert [i["records"] for i in made] == [10, 10, 5]  # BatchSize 10 (F34), in order
    assert {i["outcome"] for i in made} == {"success"}
    events = logs.filter_log_events(logGroupName="/aws/lambda/count-batches")["events"]
    assert [e["message"] for e in events] == ["batch 10", "batch 10", "batch 5"]


def test_a_delivery_stream_made_over_http_buffers_in_the_endpoint(endpoint_url, fresh):
    firehose, s3 = fresh("firehose"), fresh("s3")
    s3.create_bucket(Bucket="endpoint-firehose")
    firehose.create_delivery_stream(
        DeliveryStreamName="buffered",
        ExtendedS3DestinationConfiguration={
            "BucketARN": "arn:aws:s3:::endpoint-firehose",
            "RoleARN": "arn:aws:iam::123456789012:role/firehose",
            "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 60},
        },
    )
    firehose.put_record_batch(
        DeliveryStreamName="buffered",
        Records=[{"Data": f"r{i}\n".encode()} for i in range(3)],
    )
    assert s3.list_objects_v2(Bucket="endpoint-firehose").get("KeyCount") == 0  # buffered
    control(endpoint_url, "clock/advance", {"seconds": 61})  # the interval passes (F43)
    objects = s3.list_objects_v2(Bucket="endpoint-firehose")["Contents"]
    assert len(objects) == 1
    body = s3.get_object(Bucket="endpoint-firehose", Key=objects[0]["Key"])["Body"].read()
    assert body == b"r0\nr1\nr2\n"


@pytest.fixture
def local_lab(endpoint_url, fresh):
    lab = start_lab(target="local", endpoint_url=endpoint_url, quiet=True)
    yield lab
    lab.stop()


def test_sdk_retries_after_a_throttle_move_the_endpoints_clock(endpoint_url, local_lab):
    kinesis = local_lab.kinesis  # the lab's client: standard retries, 3 attempts
    make_stream(kinesis, "retry-clock")
    before = control(endpoint_url, "clock")["now"]
    for _ in range(2):  # 1,000 records: the shard's whole second (F1); the clock stands still
        kinesis.put_records(
            StreamName="retry-clock",
            Records=[{"Data": b"x", "PartitionKey": f"k{i}"} for i in range(500)],
        )
    try:
        kinesis.put_record(StreamName="retry-clock", Data=b"one more", PartitionKey="k")
    except kinesis.exceptions.ProvisionedThroughputExceededException:
        pass  # jittered back-offs may all fall inside the second; they still moved the clock
    after = control(endpoint_url, "clock")["now"]
    assert after > before  # the throttled call was retried after a back-off on the lab clock


def test_the_waiter_and_lab_advance_move_the_endpoints_clock(endpoint_url, local_lab):
    from kinesis_lab.core import clock

    assert clock.now() == control(endpoint_url, "clock")["now"]  # one clock
    before = clock.now()
    local_lab.create_stream("waited", shard_count=1)  # CREATING → ACTIVE via stream_exists
    assert (
        local_lab.kinesis.describe_stream_summary(StreamName="waited")["StreamDescriptionSummary"][
            "StreamStatus"
        ]
        == "ACTIVE"
    )
    assert control(endpoint_url, "clock")["now"] >= before + 1  # the waiter's Delay: 1 s
    moved = local_lab.advance(30)
    assert control(endpoint_url, "clock")["now"] == moved


def test_lessons_read_the_endpoints_simulations(endpoint_url, local_lab):
    from kinesis_lab.lessons import m08_lambda as lesson
    from kinesis_lab.simulation import limits
    from kinesis_lab.simulation.metrics import shard_metrics

    arn = make_stream(local_lab.kinesis, "lesson-reads")
    lam = local_lab.client("lambda")
    lam.create_function(
        FunctionName="counts",
        Runtime="python3.12",
        Role=lesson.lambda_role(local_lab),
        Handler="lambda_function.count_batch",
        Code={"ZipFile": lesson.package(count_batch)},
    )
    lam.create_event_source_mapping(
        FunctionName="counts", EventSourceArn=arn, StartingPosition="TRIM_HORIZON", BatchSize=4
    )
    local_lab.kinesis.put_records(
        StreamName="lesson-reads",
        Records=[{"Data": b"{}", "PartitionKey": f"k{i}"} for i in range(6)],
    )
    made = lesson.run_lambda(local_lab)
    assert [i.records for i in made] == [4, 2]
    mapping = lesson.engine(local_lab, "counts")
    assert [i.records for i in mapping.invocations] == [4, 2]
    assert lesson.printed(local_lab, "counts") == ["batch 4", "batch 2"]
    incoming = shard_metrics("lesson-reads", "IncomingRecords")
    assert sum(row["value"] for row in incoming) == 6
    assert limits.describe().startswith("SIMULATION")
