"""Reference answers for notebooks/09_1_firehose_buffering_delivery.ipynb
(CANARY-ANSWER-09_1_firehose_buffering_delivery).

Never shipped to learners: not in notebooks/, labs/ or the site. Each ``# %% <exercise id>``
section replaces the notebook cell whose metadata names that exercise when
tools/run_exercises.py runs the lesson (`make exercises`).
"""
# ruff: noqa: F821

# %% m09-1-create-stream
STREAM = "m9-sensor-delivery"
delete_delivery_stream(lab.firehose, STREAM)

destination = {
    "RoleARN": ROLE_ARN,
    "BucketARN": BUCKET_ARN,
    "Prefix": "buffering/",
    "ErrorOutputPrefix": "buffering-errors/",
    "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 60},
    "CompressionFormat": "UNCOMPRESSED",
    "ProcessingConfiguration": NEWLINE,
}
lab.firehose.create_delivery_stream(
    DeliveryStreamName=STREAM,
    DeliveryStreamType="DirectPut",
    ExtendedS3DestinationConfiguration=destination,
)


# %% m09-1-first-delivery
def my_first_delivery_seconds(records_per_second, record_kib, size_mib, interval_seconds):
    return min(size_mib * 1024 / (records_per_second * record_kib), interval_seconds)


first_delivery_ok = check_first_delivery(my_first_delivery_seconds)

# %% m09-1-from-kinesis
SOURCE = "m9-sensor-stream"
lab.create_stream(SOURCE, shard_count=1)
summary = lab.kinesis.describe_stream_summary(StreamName=SOURCE)
source_arn = summary["StreamDescriptionSummary"]["StreamARN"]
FROM_KINESIS = "m9-from-kinesis"
delete_delivery_stream(lab.firehose, FROM_KINESIS)

destination = {
    "RoleARN": ROLE_ARN,
    "BucketARN": BUCKET_ARN,
    "Prefix": "from-kinesis/",
    "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 60},
    "ProcessingConfiguration": NEWLINE,
}
lab.firehose.create_delivery_stream(
    DeliveryStreamName=FROM_KINESIS,
    DeliveryStreamType="KinesisStreamAsSource",
    KinesisStreamSourceConfiguration={"KinesisStreamARN": source_arn, "RoleARN": ROLE_ARN},
    ExtendedS3DestinationConfiguration=destination,
)


# %% m09-1-resend-failed
def put_batch(records):
    response = lab.firehose.put_record_batch(DeliveryStreamName=STREAM, Records=records)
    if response["FailedPutCount"] == 0:
        return []
    answers = response["RequestResponses"]
    return [
        record for record, answer in zip(records, answers, strict=True) if "ErrorCode" in answer
    ]


def send_all(payloads):
    pending, rounds = list(payloads), 0
    while pending and rounds < 5:
        rounds += 1
        failed = []
        for batch in batches(pending):
            failed += [record["Data"] for record in put_batch(batch)]
        pending = failed
        if pending:
            lab.advance(1)
    return rounds


quota_burst = [padded_record(n, 1024) for n in range(50_000, 56_000)]
print("rounds of PutRecordBatch:", send_all(quota_burst))
