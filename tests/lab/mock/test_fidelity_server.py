"""The fixes also hold over HTTP, for a moto server started in this process after install()."""

from __future__ import annotations

import os
import socket
from collections import Counter

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.server import ThreadedMotoServer
from port_helpers import free_port

from kinesis_lab.core.facts import MAX_HASH_KEY
from kinesis_lab.mock import fidelity

pytestmark = pytest.mark.slow

REGION = "us-east-1"
SHARD_0 = "shardId-000000000000"


@pytest.fixture(scope="module")
def kinesis_over_http():
    """A boto3 client talking HTTP to a ThreadedMotoServer started after install()."""
    was_installed = fidelity.is_installed()
    fidelity.install()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    with pytest.MonkeyPatch.context() as env:
        for name in list(os.environ):
            if name.startswith("AWS_"):
                env.delenv(name)
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        yield boto3.client("kinesis", region_name=REGION, endpoint_url=f"http://{host}:{port}")
    server.stop()
    if not was_installed:
        fidelity.uninstall()


def test_writes_after_a_split_go_to_the_children(kinesis_over_http):
    """F22 over HTTP: the closed parent gets none of 200 new writes and keeps its records."""
    kinesis = kinesis_over_http
    kinesis.create_stream(StreamName="split", ShardCount=1)
    kinesis.put_records(
        StreamName="split", Records=[{"Data": b"old", "PartitionKey": str(i)} for i in range(20)]
    )
    kinesis.split_shard(StreamName="split", ShardToSplit=SHARD_0, NewStartingHashKey=str(2**127))

    results = kinesis.put_records(
        StreamName="split", Records=[{"Data": b"new", "PartitionKey": str(i)} for i in range(200)]
    )["Records"]

    assert Counter(r["ShardId"] for r in results)[SHARD_0] == 0
    iterator = kinesis.get_shard_iterator(
        StreamName="split", ShardId=SHARD_0, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    page = kinesis.get_records(ShardIterator=iterator)
    assert [r["Data"] for r in page["Records"]] == [b"old"] * 20
    assert page.get("NextShardIterator") is None
    assert {c["ShardId"] for c in page["ChildShards"]} == {
        "shardId-000000000001",
        "shardId-000000000002",
    }


def test_explicit_hash_key_at_the_top_of_the_key_space(kinesis_over_http):
    """F6 over HTTP: 2^128 − 1 goes to the last shard."""
    kinesis = kinesis_over_http
    kinesis.create_stream(StreamName="top", ShardCount=2)

    result = kinesis.put_record(
        StreamName="top", Data=b"x", PartitionKey="p", ExplicitHashKey=str(MAX_HASH_KEY)
    )

    assert result["ShardId"] == "shardId-000000000001"


def test_garbage_iterator_is_a_400_invalid_argument(kinesis_over_http):
    """API_GetRecords over HTTP: status 400 InvalidArgumentException, not a 500 page."""
    with pytest.raises(ClientError) as error:
        kinesis_over_http.get_records(ShardIterator="garbage")

    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error.value.response["Error"]["Code"] == "InvalidArgumentException"
