"""Reference answers for notebooks/14_capstone_fraud.ipynb (CANARY-ANSWER-14_capstone_fraud).

Never shipped to learners: not in notebooks/, labs/ or the site. Each ``# %% <exercise id>``
section replaces the notebook cell whose metadata names that exercise when
tools/run_exercises.py runs the lesson (`make exercises`).
"""
# ruff: noqa: F821

# %% c14-producer
import random

BASE_S, CAP_S = 0.1, 1.0  # back-off: first ceiling, and the longest wait


def my_send(kinesis, stream_name, entries):
    """Write every entry, each account's in order."""
    for batch in key_safe_batches(entries):
        pending, attempt = batch, 0
        while pending:  # the next batch only once this one is fully written
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


# %% c14-consumer
def my_read_shard(kinesis, stream_name, shard_id, iterator, checkpoint):
    """One GetRecords answer; get an iterator first when iterator is None."""
    if iterator is None:
        where = (
            {"ShardIteratorType": "TRIM_HORIZON"}
            if checkpoint is None
            else {
                "ShardIteratorType": "AFTER_SEQUENCE_NUMBER",
                "StartingSequenceNumber": checkpoint,
            }
        )
        answer = kinesis.get_shard_iterator(StreamName=stream_name, ShardId=shard_id, **where)
        iterator = answer["ShardIterator"]
    return kinesis.get_records(ShardIterator=iterator)


trial = exercises.run_trial_consumer(lab, TRIAL, my_read_shard)
