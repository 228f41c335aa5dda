"""simulation.firehose_lambda: the function a Firehose Lambda processor names, run in-process.

The function is made the way a learner makes it — ``lambda.create_function`` with a zipped
handler — and found by its ARN as a ProcessingConfiguration names it: unqualified or
qualified; a changed code version is loaded again; a module that does not load, or a Handler
naming no function, gives a handler that fails every invocation (as on AWS); an ARN naming no
function gives None.
"""

from __future__ import annotations

import io
import json
import zipfile

import boto3
import pytest
from moto import mock_aws

from kinesis_lab.simulation import firehose_lambda

REGION = "us-east-1"
TRUST = json.dumps(
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
UPPER = """
import base64

def handler(event, context):
    return [base64.b64decode(r["data"]).decode().upper() for r in event["records"]]
"""
LOWER = UPPER.replace(".upper()", ".lower()")
EVENT = {"records": [{"data": "SGVsbG8="}]}  # "Hello"


def zipped(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("lambda_function.py", source)
    return buffer.getvalue()


@pytest.fixture
def lam(monkeypatch):
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    firehose_lambda.forget_deployed()
    with mock_aws():
        client = boto3.client("lambda", region_name=REGION)
        role = boto3.client("iam", region_name=REGION).create_role(
            RoleName="transform-role", AssumeRolePolicyDocument=TRUST
        )["Role"]["Arn"]

        def create(name: str, source: str, handler: str = "lambda_function.handler") -> str:
            return client.create_function(
                FunctionName=name,
                Runtime="python3.12",
                Role=role,
                Handler=handler,
                Code={"ZipFile": zipped(source)},
                Publish=True,
            )["FunctionArn"]

        client.create = create  # type: ignore[attr-defined]
        yield client
    firehose_lambda.forget_deployed()


def test_the_deployed_handler_runs_from_its_package(lam):
    arn = lam.create("upper", UPPER)
    handler = firehose_lambda.deployed_handler(arn)
    assert handler(EVENT, None) == ["HELLO"]
    assert firehose_lambda.deployed_handler(arn) is handler  # loaded once per code version
    assert firehose_lambda.deployed_handler(f"{arn}:$LATEST")(EVENT, None) == ["HELLO"]


def test_new_code_is_loaded_again(lam):
    arn = lam.create("case", UPPER)
    assert firehose_lambda.deployed_handler(arn)(EVENT, None) == ["HELLO"]
    lam.update_function_code(FunctionName="case", ZipFile=zipped(LOWER))
    assert firehose_lambda.deployed_handler(arn)(EVENT, None) == ["hello"]


@pytest.mark.parametrize(
    ("source", "handler"),
    [
        ("import no_such_module_here\n", "lambda_function.handler"),  # import error
        (UPPER, "lambda_function.no_such_handler"),  # Handler names no function
        (UPPER, "other_module.handler"),  # no such file in the package
    ],
)
def test_a_function_that_does_not_load_fails_every_invocation(lam, source, handler):
    arn = lam.create("broken", source, handler)
    broken = firehose_lambda.deployed_handler(arn)
    for _ in range(2):
        with pytest.raises(RuntimeError, match="could not be loaded"):
            broken(EVENT, None)


def test_an_arn_naming_no_function_gives_none(lam):
    missing = f"arn:aws:lambda:{REGION}:123456789012:function:missing"
    assert firehose_lambda.deployed_handler(missing) is None
    assert firehose_lambda.deployed_handler("arn:aws:s3:::a-bucket") is None
    assert firehose_lambda.deployed_handler("not an arn") is None
