"""The mocked Lambda refuses the Kinesis event source mapping settings AWS refuses (F34-F40).

What is checked is the documented behaviour, reached the way a learner reaches it — boto3's
``create_event_source_mapping`` / ``update_event_source_mapping`` on the lab's account: the
ranges of the Lambda API model (BatchSize 1-10,000 F34, ParallelizationFactor 1-10 F35,
MaximumBatchingWindowInSeconds 0-300 F36, MaximumRetryAttempts -1-10,000 and
MaximumRecordAgeInSeconds up to 604,800 F37, TumblingWindowInSeconds 0-900 F38) answer a
``ValidationException``; what the model allows but Lambda refuses (a record age of 0-59 s F37,
a destination that is not SQS, SNS or S3 F40, no StartingPosition) an
``InvalidParameterValueException``. A refused call stores nothing.
"""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError
from moto.awslambda.models import LambdaBackend

from kinesis_lab.lessons import m08_lambda as lesson
from kinesis_lab.mock import fidelity, lambda_fidelity

FUNCTION = "fidelity-fn"
HANDLER = "def handler(event, context):\n    return None\n"


@pytest.fixture
def account(lab):
    """A function and a one-shard stream in a fresh lab; (lambda client, stream ARN, lab)."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("lambda_function.py", HANDLER)
    lam = lab.client("lambda")
    lam.create_function(
        FunctionName=FUNCTION,
        Runtime="python3.12",
        Role=lesson.lambda_role(lab),
        Handler="lambda_function.handler",
        Code={"ZipFile": buffer.getvalue()},
    )
    lab.kinesis.create_stream(StreamName="fidelity-stream", ShardCount=1)
    arn = lab.kinesis.describe_stream_summary(StreamName="fidelity-stream")[
        "StreamDescriptionSummary"
    ]["StreamARN"]
    return lam, arn, lab


def create(lam, arn, **settings):
    settings.setdefault("StartingPosition", "LATEST")
    return lam.create_event_source_mapping(FunctionName=FUNCTION, EventSourceArn=arn, **settings)


def refused(call) -> tuple[str, str]:
    with pytest.raises(ClientError) as error:
        call()
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return error.value.response["Error"]["Code"], error.value.response["Error"]["Message"]


@pytest.mark.parametrize(
    "settings",
    [
        {"BatchSize": 10_000, "MaximumBatchingWindowInSeconds": 300, "ParallelizationFactor": 10},
        {"MaximumRetryAttempts": 10_000, "MaximumRecordAgeInSeconds": 604_800},
        {"MaximumRetryAttempts": -1, "MaximumRecordAgeInSeconds": -1},
        {"MaximumRetryAttempts": 0, "MaximumRecordAgeInSeconds": 60},
        {"TumblingWindowInSeconds": 900, "BisectBatchOnFunctionError": True},
        {"FunctionResponseTypes": ["ReportBatchItemFailures"]},
    ],
)
def test_settings_within_the_documented_ranges_are_stored(account, settings):
    lam, arn, _ = account
    made = create(lam, arn, **settings)
    stored = lam.get_event_source_mapping(UUID=made["UUID"])
    assert {name: stored[name] for name in settings} == settings


@pytest.mark.parametrize("service", ["sqs", "sns", "s3"])
def test_sqs_sns_and_s3_are_on_failure_destinations(account, service):
    lam, arn, _ = account
    destination = {
        "sqs": "arn:aws:sqs:us-east-1:123456789012:failures",
        "sns": "arn:aws:sns:us-east-1:123456789012:failures",
        "s3": "arn:aws:s3:::failures-bucket",
    }[service]
    made = create(lam, arn, DestinationConfig={"OnFailure": {"Destination": destination}})
    stored = lam.get_event_source_mapping(UUID=made["UUID"])
    assert stored["DestinationConfig"]["OnFailure"]["Destination"] == destination


@pytest.mark.parametrize(
    ("name", "value", "maximum"),
    [
        ("BatchSize", 10_001, 10_000),  # F34
        ("ParallelizationFactor", 11, 10),  # F35
        ("MaximumBatchingWindowInSeconds", 301, 300),  # F36
        ("MaximumRetryAttempts", 10_001, 10_000),  # F37
        ("MaximumRecordAgeInSeconds", 604_801, 604_800),  # F37
        ("TumblingWindowInSeconds", 901, 900),  # F38
    ],
)
def test_values_above_the_model_maximum_are_a_validation_exception(account, name, value, maximum):
    lam, arn, _ = account
    code, message = refused(lambda: create(lam, arn, **{name: value}))
    assert code == "ValidationException"
    where = name[0].lower() + name[1:]
    assert message == (
        f"1 validation error detected: Value '{value}' at '{where}' failed to satisfy "
        f"constraint: Member must have value less than or equal to {maximum}"
    )
    assert lam.list_event_source_mappings(FunctionName=FUNCTION)["EventSourceMappings"] == []


@pytest.mark.parametrize(
    ("settings", "says"),
    [
        ({"MaximumRecordAgeInSeconds": 30}, "MaximumRecordAgeInSeconds"),  # F37: -1 or >= 60
        ({"MaximumRecordAgeInSeconds": 0}, "at least 60"),
        (
            {
                "DestinationConfig": {
                    "OnFailure": {"Destination": "arn:aws:lambda:us-east-1:123456789012:function:x"}
                }
            },
            "SQS queue, Amazon SNS topic or Amazon S3 bucket",  # F40
        ),
        ({"StartingPosition": None}, "StartingPosition is required"),
        ({"StartingPosition": "AT_TIMESTAMP"}, "StartingPositionTimestamp"),
    ],
)
def test_values_lambda_refuses_are_an_invalid_parameter_value(account, settings, says):
    lam, arn, _ = account
    request = {"StartingPosition": "LATEST", **settings}
    request = {name: value for name, value in request.items() if value is not None}
    code, message = refused(
        lambda: lam.create_event_source_mapping(
            FunctionName=FUNCTION, EventSourceArn=arn, **request
        )
    )
    assert code == "InvalidParameterValueException"
    assert says in message
    assert lam.list_event_source_mappings(FunctionName=FUNCTION)["EventSourceMappings"] == []


def test_an_update_is_checked_as_the_mapping_it_would_leave(account):
    lam, arn, _ = account
    made = create(lam, arn, BatchSize=10, MaximumRecordAgeInSeconds=120)

    code, _ = refused(lambda: lam.update_event_source_mapping(UUID=made["UUID"], BatchSize=10_001))
    assert code == "ValidationException"
    code, _ = refused(
        lambda: lam.update_event_source_mapping(UUID=made["UUID"], MaximumRecordAgeInSeconds=59)
    )
    assert code == "InvalidParameterValueException"
    stored = lam.get_event_source_mapping(UUID=made["UUID"])
    assert (stored["BatchSize"], stored["MaximumRecordAgeInSeconds"]) == (10, 120)

    lam.update_event_source_mapping(UUID=made["UUID"], MaximumBatchingWindowInSeconds=300)
    stored = lam.get_event_source_mapping(UUID=made["UUID"])
    assert (stored["BatchSize"], stored["MaximumBatchingWindowInSeconds"]) == (10, 300)


def test_other_event_sources_are_left_to_moto(account):
    lam, _, lab = account
    sqs = lab.client("sqs")
    url = sqs.create_queue(QueueName="fidelity-source")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    made = lam.create_event_source_mapping(FunctionName=FUNCTION, EventSourceArn=queue_arn)
    assert made["EventSourceArn"] == queue_arn


def test_uninstall_restores_moto_exactly_and_goes_with_the_kinesis_fixes(lab):
    before = dict(LambdaBackend.__dict__)
    assert lambda_fidelity.is_installed()  # the lab switched it on with the fixes
    lambda_fidelity.uninstall()
    try:
        for name in ("create_event_source_mapping", "update_event_source_mapping"):
            assert LambdaBackend.__dict__[name] is not before[name]
        lambda_fidelity.install()
        lambda_fidelity.install()  # idempotent
        assert (
            LambdaBackend.__dict__["create_event_source_mapping"]
            is before["create_event_source_mapping"]
        )
        fidelity.uninstall()  # the Kinesis fixes take this layer with them
        assert not lambda_fidelity.is_installed()
        assert "_create_checked" not in json.dumps(
            [getattr(v, "__name__", "") for v in LambdaBackend.__dict__.values()]
        )
    finally:
        fidelity.install()
        lambda_fidelity.install()
