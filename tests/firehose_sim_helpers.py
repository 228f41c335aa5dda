"""Helpers shared by the tests of kinesis_lab.simulation.firehose: names, clients, stream
configurations, reading the output bucket. The fixtures live in firehose_sim_fixtures.py."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.config import Config

from kinesis_lab.core import clock

REGION = "us-east-1"
ACCOUNT = "123456789012"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/firehose"
BUCKET = "lab-firehose-output"
BUCKET_ARN = f"arn:aws:s3:::{BUCKET}"
LAMBDA_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:transform"
START = clock.DEFAULT_SIMULATED_START  # 2026-01-15T09:00:00Z
START_MS = int(START * 1000)
NO_RETRIES = Config(retries={"total_max_attempts": 1})


@dataclass
class Lab:
    firehose: Any
    s3: Any
    kinesis: Any
    clock: clock.SimulatedClock


def make_clients(**extra: Any) -> dict[str, Any]:
    return {
        name: boto3.client(
            name,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=NO_RETRIES,
            **extra,
        )
        for name in ("firehose", "s3", "kinesis")
    }


def s3_destination(**settings: Any) -> dict[str, Any]:
    """An ExtendedS3DestinationConfiguration to the test bucket, plus ``settings``."""
    return {"RoleARN": ROLE_ARN, "BucketARN": BUCKET_ARN, **settings}


def hints(size_mib: int, interval_seconds: int) -> dict[str, int]:
    return {"SizeInMBs": size_mib, "IntervalInSeconds": interval_seconds}


def processors(*entries: tuple[str, dict[str, str]]) -> dict[str, Any]:
    """A ProcessingConfiguration from (type, {parameter: value}) pairs."""
    return {
        "Enabled": True,
        "Processors": [
            {
                "Type": kind,
                "Parameters": [
                    {"ParameterName": name, "ParameterValue": value}
                    for name, value in parameters.items()
                ],
            }
            for kind, parameters in entries
        ],
    }


NEWLINES = ("AppendDelimiterToRecord", {})


def create_stream(lab: Lab, name: str, **settings: Any) -> str:
    return lab.firehose.create_delivery_stream(
        DeliveryStreamName=name, ExtendedS3DestinationConfiguration=s3_destination(**settings)
    )["DeliveryStreamARN"]


def put(lab: Lab, name: str, *payloads: bytes) -> list[str]:
    """PutRecordBatch; returns the RecordIds."""
    response = lab.firehose.put_record_batch(
        DeliveryStreamName=name, Records=[{"Data": payload} for payload in payloads]
    )
    assert response["FailedPutCount"] == 0
    return [entry["RecordId"] for entry in response["RequestResponses"]]


def objects(s3: Any, prefix: str = "") -> dict[str, bytes]:
    """Every object in the test bucket under ``prefix``: key → body."""
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])
    return {o["Key"]: s3.get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read() for o in listed}


def json_lines(body: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in body.decode().splitlines() if line]


def error_code(error: pytest.ExceptionInfo[Any]) -> str:
    return error.value.response["Error"]["Code"]


def error_message(error: pytest.ExceptionInfo[Any]) -> str:
    return error.value.response["Error"]["Message"]
