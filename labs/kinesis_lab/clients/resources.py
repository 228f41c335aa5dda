"""Set-up chores: create a stream, bucket, delivery stream or table again, or delete it.

Why one home: lessons re-run cells, so each needs "start clean" helpers; they were written
three or four times (M8, M9, the capstones, the exercise checks). These are set-up, never the
call a lesson teaches: an exercise that teaches ``create_stream`` checks the learner's own call.
Every delete is a no-op when the resource is missing, and waits until it is gone (the mock is
immediate; real AWS takes seconds).
"""

from __future__ import annotations

import time
from typing import Any

WAIT = {"Delay": 1, "MaxAttempts": 120}  # boto3 waiter settings: poll each second, up to 2 min
POLLS = 120  # the same patience where boto3 has no waiter (Firehose)


def delete_stream(kinesis: Any, name: str) -> None:
    """Delete a Kinesis stream (and its consumers) if it exists; wait until it is gone. A
    stream still CREATING or UPDATING cannot be deleted yet (ResourceInUseException, F120):
    wait until it is ACTIVE first. One already DELETING may be gone by the time it is looked
    at again (a cell re-run right after the lesson deleted it): then there is nothing to do."""
    try:
        kinesis.delete_stream(StreamName=name, EnforceConsumerDeletion=True)
    except kinesis.exceptions.ResourceNotFoundException:
        return
    except kinesis.exceptions.ResourceInUseException:
        try:
            status = _stream_status(kinesis, name)
        except kinesis.exceptions.ResourceNotFoundException:
            return
        if status != "DELETING":
            kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig=WAIT)
            kinesis.delete_stream(StreamName=name, EnforceConsumerDeletion=True)
    kinesis.get_waiter("stream_not_exists").wait(StreamName=name, WaiterConfig=WAIT)


def _stream_status(kinesis: Any, name: str) -> str:
    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    return summary["StreamStatus"]


def recreate_stream(kinesis: Any, name: str, shard_count: int = 1) -> str:
    """(Re)create a provisioned stream with ``shard_count`` shards; wait until it is ACTIVE."""
    delete_stream(kinesis, name)
    kinesis.create_stream(StreamName=name, ShardCount=shard_count)
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig=WAIT)
    return name


def delete_bucket(s3: Any, bucket: str) -> None:
    """Empty (every object version and delete marker) and delete ``bucket``; nothing happens if
    it does not exist (a bucket must be empty to be deleted)."""
    try:
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
            doomed = [
                {"Key": item["Key"], "VersionId": item["VersionId"]}
                for item in page.get("Versions", []) + page.get("DeleteMarkers", [])
            ]
            if doomed:
                s3.delete_objects(Bucket=bucket, Delete={"Objects": doomed})
        s3.delete_bucket(Bucket=bucket)
    except s3.exceptions.NoSuchBucket:
        return


def recreate_bucket(s3: Any, bucket: str) -> str:
    """An empty bucket named ``bucket``: re-running a cell starts clean."""
    delete_bucket(s3, bucket)
    s3.create_bucket(Bucket=bucket)
    return bucket


def delete_delivery_stream(firehose: Any, name: str) -> None:
    """Delete a Firehose stream if it exists; wait until it is gone."""
    try:
        firehose.delete_delivery_stream(DeliveryStreamName=name, AllowForceDelete=True)
    except firehose.exceptions.ResourceNotFoundException:
        return
    for _ in range(POLLS):
        try:
            firehose.describe_delivery_stream(DeliveryStreamName=name)
        except firehose.exceptions.ResourceNotFoundException:
            return
        time.sleep(1)


def recreate_delivery_stream(firehose: Any, name: str, **configuration: Any) -> str:
    """(Re)create a Firehose stream and wait until it is ACTIVE; returns its ARN. Deleting
    first discards whatever an earlier run left buffered."""
    delete_delivery_stream(firehose, name)
    arn = firehose.create_delivery_stream(DeliveryStreamName=name, **configuration)[
        "DeliveryStreamARN"
    ]
    for _ in range(POLLS):
        description = firehose.describe_delivery_stream(DeliveryStreamName=name)
        if description["DeliveryStreamDescription"]["DeliveryStreamStatus"] == "ACTIVE":
            break
        time.sleep(1)
    return arn


def recreate_table(dynamodb: Any, name: str, key_attribute: str) -> str:
    """(Re)create an on-demand DynamoDB table with one string partition key."""
    try:
        dynamodb.delete_table(TableName=name)
        dynamodb.get_waiter("table_not_exists").wait(TableName=name, WaiterConfig=WAIT)
    except dynamodb.exceptions.ResourceNotFoundException:
        pass
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": key_attribute, "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": key_attribute, "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.get_waiter("table_exists").wait(TableName=name, WaiterConfig=WAIT)
    return name
