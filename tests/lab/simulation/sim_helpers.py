"""Helpers shared by the tests of the limits SIMULATION: AWS's error texts, puts, reads."""

from __future__ import annotations

import re
from typing import Any

import pytest
from botocore.exceptions import ClientError

from kinesis_lab.core.facts import MAX_HASH_KEY

ACCOUNT = "123456789012"
THROTTLED = "ProvisionedThroughputExceededException"
SHARD_0, SHARD_1, SHARD_2, SHARD_3 = (f"shardId-{n:012d}" for n in range(4))

# AWS's ExpiredIteratorException text, with Java-style UTC dates.
JAVA_DATE = r"[A-Z][a-z]{2} [A-Z][a-z]{2} \d{2} \d{2}:\d{2}:\d{2} UTC \d{4}"
EXPIRED_MESSAGE = re.compile(
    rf"Iterator expired\. The iterator was created at time ({JAVA_DATE}) while right now it "
    rf"is ({JAVA_DATE}) which is further in the future than the tolerated delay of 300000 "
    r"milliseconds\."
)


def write_throttle_message(stream: str, shard_id: str) -> str:
    return f"Rate exceeded for shard {shard_id} in stream {stream} under account {ACCOUNT}."


def read_throttle_message(stream: str, shard_id: str) -> str:
    return f"Rate exceeded for Shard - {ACCOUNT}/{stream}/{shard_id}"


def error_of(raised: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    """(code, message, HTTP status) of a ClientError."""
    response = raised.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


def explicit_hash_key(shard_number: int, shard_count: int) -> str:
    """A hash key inside shard ``shard_number`` of a stream with even ranges (F6)."""
    return str(shard_number * ((MAX_HASH_KEY + 1) // shard_count))


def entries(count: int, prefix: str = "r", data: bytes = b"x", **extra: Any) -> list[dict]:
    return [{"Data": data, "PartitionKey": f"{prefix}-{i}", **extra} for i in range(count)]


def put_in_batches(kinesis: Any, stream: str, records: list[dict]) -> list[dict]:
    """PutRecords in batches of 500 (F5); the per-entry results, in order."""
    results: list[dict] = []
    for first in range(0, len(records), 500):
        response = kinesis.put_records(StreamName=stream, Records=records[first : first + 500])
        results += response["Records"]
    return results


def failed(results: list[dict]) -> int:
    return sum(1 for result in results if "ErrorCode" in result)


def iterator_for(
    kinesis: Any, stream: str, shard_id: str = SHARD_0, kind: str = "TRIM_HORIZON", **args: Any
) -> str:
    return kinesis.get_shard_iterator(
        StreamName=stream, ShardId=shard_id, ShardIteratorType=kind, **args
    )["ShardIterator"]


def create(kinesis: Any, stream: str, shards: int = 1, **args: Any) -> None:
    kinesis.create_stream(StreamName=stream, ShardCount=shards, **args)


def stream_arn(kinesis: Any, stream: str) -> str:
    return kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"][
        "StreamARN"
    ]
