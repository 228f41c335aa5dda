"""Reference answers for notebooks/13_capstone_iot.ipynb (CANARY-ANSWER-13_capstone_iot).

Never shipped to learners: not in notebooks/, labs/ or the site. Each ``# %% <exercise id>``
section replaces the notebook cell whose metadata names that exercise when
tools/run_exercises.py runs the lesson (`make exercises`).
"""
# ruff: noqa: F821

# %% c13-archive
BUCKET, ARCHIVE = "freshfleet-telemetry", "iot-archive"
ROLE_ARN = f"arn:aws:iam::{lab.account_id}:role/iot-archive-firehose"
PREFIX = "telemetry/site=!{partitionKeyFromQuery:site}/date=!{timestamp:yyyy-MM-dd}/"
ERRORS = "errors/!{firehose:error-output-type}/"
recreate_bucket(lab.s3, BUCKET)
delete_delivery_stream(lab.firehose, ARCHIVE)

site_query = {"ParameterName": "MetadataExtractionQuery", "ParameterValue": "{site: .site}"}
jq = {"ParameterName": "JsonParsingEngine", "ParameterValue": "JQ-1.6"}
lab.firehose.create_delivery_stream(
    DeliveryStreamName=ARCHIVE,
    DeliveryStreamType="KinesisStreamAsSource",
    KinesisStreamSourceConfiguration={"RoleARN": ROLE_ARN, "KinesisStreamARN": STREAM_ARN},
    ExtendedS3DestinationConfiguration={
        "BucketARN": f"arn:aws:s3:::{BUCKET}",
        "RoleARN": ROLE_ARN,
        "Prefix": PREFIX,
        "ErrorOutputPrefix": ERRORS,
        "BufferingHints": {"IntervalInSeconds": 60, "SizeInMBs": 64},
        "DynamicPartitioningConfiguration": {"Enabled": True},
        "ProcessingConfiguration": {
            "Enabled": True,
            "Processors": [
                {"Type": "MetadataExtraction", "Parameters": [site_query, jq]},
                {"Type": "AppendDelimiterToRecord", "Parameters": []},
            ],
        },
    },
)

# %% c13-producer
import random

BASE_S, CAP_S = 0.1, 1.0  # back-off: first ceiling, and the longest wait


def my_send(kinesis, stream_name, entries):
    """Write every entry: requests of ≤500; resend only the failed entries, after a back-off."""
    for start in range(0, len(entries), 500):
        pending, attempt = list(entries[start : start + 500]), 0
        while pending:
            answer = kinesis.put_records(StreamName=stream_name, Records=pending)
            pending = [
                entry
                for entry, result in zip(pending, answer["Records"], strict=True)
                if "ErrorCode" in result
            ]
            if pending:
                lab.advance(random.uniform(0, min(CAP_S, BASE_S * 2**attempt)))
                attempt += 1


my_send(lab.kinesis, TRIAL, entries[:1_500])  # the trial


# %% c13-consumer
def my_read_shard(kinesis, stream_name, shard_id, iterator, checkpoint):
    """One GetRecords answer; get an iterator first when iterator is None."""
    if iterator is None:
        if checkpoint is None:
            where = {"ShardIteratorType": "TRIM_HORIZON"}
        else:
            where = {
                "ShardIteratorType": "AFTER_SEQUENCE_NUMBER",
                "StartingSequenceNumber": checkpoint,
            }
        iterator = kinesis.get_shard_iterator(StreamName=stream_name, ShardId=shard_id, **where)[
            "ShardIterator"
        ]
    return kinesis.get_records(ShardIterator=iterator, Limit=1_000)


trial = exercises.run_trial_consumer(lab, TRIAL, my_read_shard)
