"""What quiz test cells observe of a learner's streams after scaling and security work.

Why: the hands-on items of the scaling, security and video quizzes are graded against what the
learner did to resources in the mocked account — which shards are open after a split, which
KMS key encrypts a stream, what a stream's resource-based policy says, how long a video stream
keeps its media, how a Firehose stream buffers and where it delivers. These helpers turn that into plain data for
:func:`kinesis_lab.quiz.check.expect`; like :mod:`kinesis_lab.quiz.observe` they decide nothing,
and a resource that does not exist is reported as empty or ``None``, never as an error.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from ..clients.readers import list_all_shards
from ..core.keys import is_open

AWS_MANAGED_KINESIS_KEY = "alias/aws/kinesis"


def shard_ids(kinesis: Any, stream_name: str) -> dict[str, list[str]]:
    """The stream's open and closed shard IDs, each list sorted; both empty for no stream."""
    try:
        shards = list_all_shards(kinesis, stream_name)
    except kinesis.exceptions.ResourceNotFoundException:
        return {"open": [], "closed": []}
    return {
        "open": sorted(s["ShardId"] for s in shards if is_open(s)),
        "closed": sorted(s["ShardId"] for s in shards if not is_open(s)),
    }


def stream_encryption(kinesis: Any, kms: Any, stream_name: str) -> dict[str, Any] | None:
    """How a stream is encrypted at rest: type, and who manages its KMS key; None for no stream.

    ``key_manager`` is KMS's ``KeyManager`` of the stream's key (``CUSTOMER`` or ``AWS``),
    ``None`` when there is no key or KMS does not know it. The mock's KMS has no AWS managed
    ``alias/aws/kinesis`` (on AWS, KMS creates it on first use), so that alias is reported as
    ``AWS`` (by name or alias ARN) without asking KMS.
    """
    try:
        summary = kinesis.describe_stream_summary(StreamName=stream_name)
    except kinesis.exceptions.ResourceNotFoundException:
        return None
    details = summary["StreamDescriptionSummary"]
    key_id = details.get("KeyId")
    manager, state = None, None
    if isinstance(key_id, str) and key_id.endswith(AWS_MANAGED_KINESIS_KEY):
        manager, state = "AWS", "Enabled"
    elif key_id:
        try:
            metadata = kms.describe_key(KeyId=key_id)["KeyMetadata"]
            manager, state = metadata.get("KeyManager"), metadata.get("KeyState")
        except ClientError:
            pass
    return {
        "encryption": details.get("EncryptionType", "NONE"),
        "key_manager": manager,
        "key_state": state,
    }


def stream_arn(kinesis: Any, stream_name: str) -> str | None:
    try:
        summary = kinesis.describe_stream_summary(StreamName=stream_name)
    except kinesis.exceptions.ResourceNotFoundException:
        return None
    return str(summary["StreamDescriptionSummary"]["StreamARN"])


def stream_resource_policy(kinesis: Any, stream_name: str) -> dict[str, Any] | None:
    """The stream's resource-based policy as a dict; None for no stream, no policy, or a
    policy that is not a JSON object."""
    arn = stream_arn(kinesis, stream_name)
    if arn is None:
        return None
    try:
        text = kinesis.get_resource_policy(ResourceARN=arn).get("Policy") or ""
    except ClientError:
        return None
    try:
        document = json.loads(text)
    except ValueError:
        return None
    if not isinstance(document, dict) or not document.get("Statement"):
        return None
    return document


def video_stream_facts(kvs: Any, stream_name: str) -> dict[str, Any] | None:
    """Status, media type and retention of a Kinesis video stream; None if it does not exist."""
    try:
        info = kvs.describe_stream(StreamName=stream_name)["StreamInfo"]
    except kvs.exceptions.ResourceNotFoundException:
        return None
    return {
        "status": info.get("Status"),
        "media_type": info.get("MediaType"),
        "retention_hours": info.get("DataRetentionInHours", 0),
    }


def delivery_stream_facts(firehose: Any, s3: Any, name: str) -> dict[str, Any] | None:
    """Source, S3 destination and buffering hints of a Firehose stream; None if it does not
    exist. ``destination`` names the description AWS returns (``ExtendedS3`` for an
    ``ExtendedS3DestinationConfiguration``), ``bucket_exists`` whether the destination bucket
    is in the account."""
    try:
        description = firehose.describe_delivery_stream(DeliveryStreamName=name)
    except firehose.exceptions.ResourceNotFoundException:
        return None
    details = description["DeliveryStreamDescription"]
    destinations = details.get("Destinations") or [{}]
    kind, s3_description = None, {}
    for key in ("ExtendedS3", "S3", "HttpEndpoint", "Redshift", "Splunk", "AmazonOpenSearch"):
        if f"{key}DestinationDescription" in destinations[0]:
            kind, s3_description = key, destinations[0][f"{key}DestinationDescription"]
            break
    bucket_arn = s3_description.get("BucketARN")
    bucket_exists = False
    if isinstance(bucket_arn, str) and bucket_arn.startswith("arn:aws:s3:::"):
        try:
            s3.head_bucket(Bucket=bucket_arn.removeprefix("arn:aws:s3:::"))
            bucket_exists = True
        except ClientError:
            pass
    hints = s3_description.get("BufferingHints", {})
    return {
        "source": details.get("DeliveryStreamType"),
        "destination": kind,
        "bucket": bucket_arn,
        "bucket_exists": bucket_exists,
        "prefix": s3_description.get("Prefix"),
        "buffer_mib": hints.get("SizeInMBs"),
        "buffer_seconds": hints.get("IntervalInSeconds"),
    }
