"""The one home of the set-up chores (clients.resources), of Lambda handler packaging and the
function check (clients.lambda_functions), and the check reporter (core.checks)."""

from __future__ import annotations

import io
import json
import zipfile

from kinesis_lab.clients import lambda_functions
from kinesis_lab.clients.resources import (
    delete_bucket,
    delete_delivery_stream,
    delete_stream,
    recreate_bucket,
    recreate_delivery_stream,
    recreate_stream,
    recreate_table,
)
from kinesis_lab.core.checks import (
    FAIL_MARK,
    PASS_MARK,
    TODO_MARK,
    could_not_check,
    failed,
    not_yet,
    passed,
)
from kinesis_lab.lessons import m08_lambda

ROLE = "arn:aws:iam::123456789012:role/chores"


def test_the_reporter_prints_one_line_and_returns_the_verdict(capsys):
    assert passed("x", "fine") is True
    assert failed("x", "wrong", "try y") is False
    assert not_yet("x", "blank") is False
    assert could_not_check("x", KeyError("k")) is False
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        f"{PASS_MARK} x: fine",
        f"{FAIL_MARK} x: wrong",
        "    hint: try y",
        f"{TODO_MARK} x: not yet — blank",
        f"{FAIL_MARK} x: could not check (KeyError: 'k')",
    ]


def test_a_stream_is_recreated_empty_and_deleting_a_missing_one_is_a_no_op(lab):
    kinesis = lab.kinesis
    recreate_stream(kinesis, "chore-stream", shard_count=2)
    kinesis.put_record(StreamName="chore-stream", Data=b"x", PartitionKey="k")
    recreate_stream(kinesis, "chore-stream", shard_count=1)
    summary = kinesis.describe_stream_summary(StreamName="chore-stream")["StreamDescriptionSummary"]
    assert (summary["OpenShardCount"], summary["StreamStatus"]) == (1, "ACTIVE")
    delete_stream(kinesis, "chore-stream")
    delete_stream(kinesis, "chore-stream")
    assert "chore-stream" not in kinesis.list_streams()["StreamNames"]


def test_a_stream_that_ends_deleting_between_two_looks_is_simply_gone(lab):
    """A re-run right after the lesson deleted its stream: DeleteStream is refused (still
    DELETING), and by the next look the deletion has ended. Seen in the suite under load
    (lesson 07 run again: ResourceNotFoundException from the status check)."""
    from kinesis_lab.simulation.lifecycle import TRANSITION_SECONDS

    kinesis = lab.kinesis
    lab.use_simulated_clock()
    recreate_stream(kinesis, "ending", shard_count=1)
    kinesis.delete_stream(StreamName="ending")  # DELETING for TRANSITION_SECONDS of lab time

    def the_deletion_ends_first(**_):
        kinesis.meta.events.unregister(event, the_deletion_ends_first)
        lab.advance(TRANSITION_SECONDS)

    event = "before-call.kinesis.DescribeStreamSummary"
    kinesis.meta.events.register(event, the_deletion_ends_first)
    delete_stream(kinesis, "ending")  # refused (DELETING), then looks: gone
    assert "ending" not in kinesis.list_streams()["StreamNames"]
    recreate_stream(kinesis, "ending", shard_count=1)
    summary = kinesis.describe_stream_summary(StreamName="ending")["StreamDescriptionSummary"]
    assert summary["StreamStatus"] == "ACTIVE"


def test_a_bucket_is_recreated_empty_even_with_versions(lab):
    s3 = lab.client("s3")
    recreate_bucket(s3, "chore-bucket")
    s3.put_bucket_versioning(Bucket="chore-bucket", VersioningConfiguration={"Status": "Enabled"})
    for body in (b"1", b"2"):
        s3.put_object(Bucket="chore-bucket", Key="k", Body=body)
    recreate_bucket(s3, "chore-bucket")
    assert s3.list_objects_v2(Bucket="chore-bucket").get("KeyCount") == 0
    delete_bucket(s3, "chore-bucket")
    delete_bucket(s3, "chore-bucket")
    assert "chore-bucket" not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_a_delivery_stream_is_recreated_active_and_deleted(lab):
    s3, firehose = lab.client("s3"), lab.client("firehose")
    recreate_bucket(s3, "chore-delivery")
    configuration = {
        "DeliveryStreamType": "DirectPut",
        "ExtendedS3DestinationConfiguration": {
            "RoleARN": ROLE,
            "BucketARN": "arn:aws:s3:::chore-delivery",
        },
    }
    first = recreate_delivery_stream(firehose, "chore-ds", **configuration)
    again = recreate_delivery_stream(firehose, "chore-ds", **configuration)
    assert first.endswith("/chore-ds") and again == first
    status = firehose.describe_delivery_stream(DeliveryStreamName="chore-ds")
    assert status["DeliveryStreamDescription"]["DeliveryStreamStatus"] == "ACTIVE"
    delete_delivery_stream(firehose, "chore-ds")
    delete_delivery_stream(firehose, "chore-ds")
    assert "chore-ds" not in firehose.list_delivery_streams()["DeliveryStreamNames"]


def test_a_table_is_recreated_empty(lab):
    dynamodb = lab.client("dynamodb")
    recreate_table(dynamodb, "chore-table", "id")
    dynamodb.put_item(TableName="chore-table", Item={"id": {"S": "a"}})
    recreate_table(dynamodb, "chore-table", "id")
    assert dynamodb.scan(TableName="chore-table")["Count"] == 0


def _double(value):
    return value * 2


def _handler(event, context):
    return {"records": [json.dumps(_double(len(event["records"])))]}


def _module_source(package: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        return archive.read("lambda_function.py").decode()


def _run(source: str, name: str, *args):
    namespace: dict = {}
    exec(compile(source, "lambda_function.py", "exec"), namespace)  # noqa: S102 - the package under test
    return namespace[name](*args)


def test_handler_zip_holds_the_handler_alone_unless_told_to_follow_its_calls():
    alone = _module_source(lambda_functions.handler_zip(_handler, LIMIT=3))
    assert "def _handler" in alone and "def _double" not in alone and "LIMIT = 3" in alone
    assert "import base64" in alone and "import json" in alone
    followed = _module_source(
        lambda_functions.handler_zip(_handler, follow_calls=True, entry_point="lambda_handler")
    )
    assert _run(followed, "lambda_handler", {"records": [1, 2]}, None) == {"records": ["4"]}


def test_check_function_says_not_yet_then_reads_the_function_back(lab, capsys):
    client = lab.client("lambda")
    handler = "lambda_function.lambda_handler"
    assert lambda_functions.check_function(client, "chore-fn", handler) is False
    package = lambda_functions.handler_zip(
        _handler, follow_calls=True, entry_point="lambda_handler"
    )
    client.create_function(
        FunctionName="chore-fn",
        Runtime="python3.12",
        Role=m08_lambda.lambda_role(lab),  # the lesson's execution role (set-up)
        Handler="lambda_function.other",
        Code={"ZipFile": package},
    )
    assert lambda_functions.check_function(client, "chore-fn", handler) is False
    client.update_function_configuration(FunctionName="chore-fn", Handler=handler)
    assert lambda_functions.check_function(client, "chore-fn", handler) is True
    out = capsys.readouterr().out
    assert f"{TODO_MARK} function 'chore-fn': not yet" in out
    assert f"{FAIL_MARK} function 'chore-fn': its Handler is 'lambda_function.other'" in out
    assert f"{PASS_MARK} function 'chore-fn': python3.12, Handler {handler}" in out
