"""Reference answers for notebooks/13_capstone_iot.ipynb (CANARY-ANSWER-13_capstone_iot).

Never shipped to learners: not in notebooks/, labs/ or the site. Each ``# %% <exercise id>``
section replaces the notebook cell whose metadata names that exercise when
tools/run_exercises.py runs the lesson (`make exercises`).
"""
# ruff: noqa: F821

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
