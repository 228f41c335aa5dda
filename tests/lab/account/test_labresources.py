"""Resources made against a real endpoint are prefixed and tagged; clean-up deletes only those."""

import boto3
import pytest

from kinesis_lab.account.labresources import (
    NAME_PREFIX,
    TAG_KEY,
    cleanup_lab_resources,
    find_lab_resources,
    mark_lab_resources,
)


@pytest.fixture
def marked(lab):
    """The lab's clients, marked the way a real-AWS session marks them."""
    clients = {
        s: boto3.client(s, region_name="us-east-1")
        for s in ("kinesis", "firehose", "s3", "dynamodb")
    }
    mark_lab_resources(clients)
    return clients


def make_everything(clients):
    clients["kinesis"].create_stream(StreamName="clicks", ShardCount=1)
    clients["s3"].create_bucket(Bucket="landing")
    clients["dynamodb"].create_table(
        TableName="checkpoints",
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
    )
    clients["firehose"].create_delivery_stream(
        DeliveryStreamName="to-s3",
        ExtendedS3DestinationConfiguration={
            "RoleARN": "arn:aws:iam::123456789012:role/firehose",
            "BucketARN": "arn:aws:s3:::kinesis-lab-landing",
        },
    )


def test_every_created_resource_is_prefixed_and_tagged(marked):
    make_everything(marked)
    assert marked["kinesis"].list_streams()["StreamNames"] == [NAME_PREFIX + "clicks"]
    tags = marked["kinesis"].list_tags_for_stream(StreamName="clicks")["Tags"]
    assert {"Key": TAG_KEY, "Value": "course"} in tags
    bucket_tags = marked["s3"].get_bucket_tagging(Bucket="landing")["TagSet"]
    assert {"Key": TAG_KEY, "Value": "course"} in bucket_tags
    assert sorted(find_lab_resources(marked)) == [
        ("dynamodb", NAME_PREFIX + "checkpoints"),
        ("firehose", NAME_PREFIX + "to-s3"),
        ("kinesis", NAME_PREFIX + "clicks"),
        ("s3", NAME_PREFIX + "landing"),
    ]


def test_cleanup_deletes_lab_resources_and_nothing_else(marked, lab):
    make_everything(marked)
    marked["s3"].put_object(Bucket="landing", Key="a.json", Body=b"{}")
    # The learner's own resources: one unprefixed, one prefixed but untagged.
    lab.kinesis.create_stream(StreamName="my-own-stream", ShardCount=1)
    lab.kinesis.create_stream(StreamName=NAME_PREFIX + "untagged", ShardCount=1)
    lab.s3.create_bucket(Bucket="my-own-bucket")

    assert len(cleanup_lab_resources(marked, dry_run=True)) == 4
    assert len(lab.kinesis.list_streams()["StreamNames"]) == 3  # dry run deleted nothing

    deleted = cleanup_lab_resources(marked)
    assert len(deleted) == 4
    assert sorted(lab.kinesis.list_streams()["StreamNames"]) == [
        NAME_PREFIX + "untagged",
        "my-own-stream",
    ]
    assert [b["Name"] for b in lab.s3.list_buckets()["Buckets"]] == ["my-own-bucket"]
    assert lab.dynamodb.list_tables()["TableNames"] == []
    assert lab.firehose.list_delivery_streams()["DeliveryStreamNames"] == []
