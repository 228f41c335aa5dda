"""Reference answers for notebooks/15_capstone_social.ipynb (CANARY-ANSWER-15_capstone_social).

Never shipped to learners: not in notebooks/, labs/ or the site. Each ``# %% <exercise id>``
section replaces the notebook cell whose metadata names that exercise when
tools/run_exercises.py runs the lesson (`make exercises`).
"""
# ruff: noqa: F821

# %% c15-producer
import random


def my_send(kinesis, stream_name, entries):
    """Write every entry: requests of ≤500; resend only the failed entries, after a back-off."""
    for first in range(0, len(entries), 500):
        pending = list(entries[first : first + 500])
        for attempt in range(50):
            answer = kinesis.put_records(StreamName=stream_name, Records=pending)
            failed = [
                e for e, r in zip(pending, answer["Records"], strict=True) if "ErrorCode" in r
            ]
            if not failed:
                break
            pending = failed
            lab.advance(random.uniform(0, min(1.0, 0.05 * 2**attempt)))  # back-off with jitter


my_send(lab.kinesis, TRIAL, trial_entries)  # the trial


# %% c15-consumer
def my_read_shard(kinesis, stream_name, shard_id, iterator, checkpoint):
    """One GetRecords answer; get an iterator first when iterator is None."""
    if iterator is None:
        position = {"ShardIteratorType": "TRIM_HORIZON"}
        if checkpoint is not None:
            position = {
                "ShardIteratorType": "AFTER_SEQUENCE_NUMBER",
                "StartingSequenceNumber": checkpoint,
            }
        iterator = kinesis.get_shard_iterator(StreamName=stream_name, ShardId=shard_id, **position)[
            "ShardIterator"
        ]
    return kinesis.get_records(ShardIterator=iterator, Limit=10_000)


trial = exercises.run_trial_consumer(lab, TRIAL, my_read_shard)

# %% c15-efo
efo = lab.kinesis.register_stream_consumer(StreamARN=STREAM_ARN, ConsumerName=SENTIMENT_APP)[
    "Consumer"
]
for _ in range(60):
    status = lab.kinesis.describe_stream_consumer(ConsumerARN=efo["ConsumerARN"])[
        "ConsumerDescription"
    ]["ConsumerStatus"]
    if status == "ACTIVE":
        break
    lab.advance(1)
print(SENTIMENT_APP, status, efo["ConsumerARN"])
