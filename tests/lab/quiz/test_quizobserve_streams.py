"""kinesis_lab.quiz.observe_streams: shards, encryption, policies, video and Firehose streams as
plain data."""

from __future__ import annotations

import json

from kinesis_lab.quiz.observe_streams import (
    delivery_stream_facts,
    shard_ids,
    stream_encryption,
    stream_resource_policy,
    video_stream_facts,
)


def test_open_and_closed_shards_after_a_split(lab):
    assert shard_ids(lab.kinesis, "missing") == {"open": [], "closed": []}
    lab.create_stream("s", shard_count=2)
    lab.kinesis.split_shard(
        StreamName="s", ShardToSplit="shardId-000000000000", NewStartingHashKey=str(2**126)
    )
    assert shard_ids(lab.kinesis, "s") == {
        "open": ["shardId-000000000001", "shardId-000000000002", "shardId-000000000003"],
        "closed": ["shardId-000000000000"],
    }


def test_encryption_with_a_customer_managed_and_the_aws_managed_key(lab):
    kms = lab.client("kms")
    assert stream_encryption(lab.kinesis, kms, "missing") is None
    lab.create_stream("plain")
    assert stream_encryption(lab.kinesis, kms, "plain") == {
        "encryption": "NONE",
        "key_manager": None,
        "key_state": None,
    }
    key = kms.create_key(Description="test")["KeyMetadata"]
    kms.create_alias(AliasName="alias/test-key", TargetKeyId=key["KeyId"])
    lab.create_stream("mine")
    lab.kinesis.start_stream_encryption(
        StreamName="mine", EncryptionType="KMS", KeyId="alias/test-key"
    )
    assert stream_encryption(lab.kinesis, kms, "mine") == {
        "encryption": "KMS",
        "key_manager": "CUSTOMER",
        "key_state": "Enabled",
    }
    lab.create_stream("theirs")
    lab.kinesis.start_stream_encryption(
        StreamName="theirs", EncryptionType="KMS", KeyId="alias/aws/kinesis"
    )
    assert stream_encryption(lab.kinesis, kms, "theirs")["key_manager"] == "AWS"
    lab.create_stream("unknown")
    lab.kinesis.start_stream_encryption(
        StreamName="unknown", EncryptionType="KMS", KeyId="alias/no-such-key"
    )
    assert stream_encryption(lab.kinesis, kms, "unknown")["key_manager"] is None


def test_a_streams_resource_policy(lab):
    assert stream_resource_policy(lab.kinesis, "missing") is None
    lab.create_stream("s")
    assert stream_resource_policy(lab.kinesis, "s") is None  # no policy yet
    arn = lab.kinesis.describe_stream_summary(StreamName="s")["StreamDescriptionSummary"][
        "StreamARN"
    ]
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                "Action": ["kinesis:GetRecords"],
                "Resource": arn,
            }
        ],
    }
    lab.kinesis.put_resource_policy(ResourceARN=arn, Policy=json.dumps(document))
    assert stream_resource_policy(lab.kinesis, "s") == document


def test_a_video_streams_retention(lab):
    kvs = lab.client("kinesisvideo")
    assert video_stream_facts(kvs, "missing") is None
    kvs.create_stream(StreamName="cam", MediaType="video/h264", DataRetentionInHours=2160)
    kvs.create_stream(StreamName="live")
    assert video_stream_facts(kvs, "cam") == {
        "status": "ACTIVE",
        "media_type": "video/h264",
        "retention_hours": 2160,
    }
    assert video_stream_facts(kvs, "live")["retention_hours"] == 0


def test_a_firehose_streams_source_destination_and_buffering(lab):
    assert delivery_stream_facts(lab.firehose, lab.s3, "missing") is None
    role = f"arn:aws:iam::{lab.account_id}:role/delivery"
    lab.firehose.create_delivery_stream(
        DeliveryStreamName="to-s3",
        DeliveryStreamType="DirectPut",
        ExtendedS3DestinationConfiguration={
            "RoleARN": role,
            "BucketARN": "arn:aws:s3:::not-created",
            "Prefix": "p/",
            "BufferingHints": {"SizeInMBs": 8, "IntervalInSeconds": 120},
        },
    )
    assert delivery_stream_facts(lab.firehose, lab.s3, "to-s3") == {
        "source": "DirectPut",
        "destination": "ExtendedS3",
        "bucket": "arn:aws:s3:::not-created",
        "bucket_exists": False,
        "prefix": "p/",
        "buffer_mib": 8,
        "buffer_seconds": 120,
    }
    lab.s3.create_bucket(Bucket="not-created")
    assert delivery_stream_facts(lab.firehose, lab.s3, "to-s3")["bucket_exists"] is True
