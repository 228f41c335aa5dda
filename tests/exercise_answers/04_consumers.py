"""Reference answers for notebooks/04_consumers.ipynb (CANARY-ANSWER-04_consumers).

Never shipped to learners: not in notebooks/, labs/ or the site. Each ``# %% <exercise id>``
section replaces the notebook cell whose metadata names that exercise when
tools/run_exercises.py runs the lesson (`make exercises`).
"""
# ruff: noqa: F821


# %% m04-poll
def my_poll_shard(
    kinesis, stream_name, shard_id, handle, checkpoints, limit=10, max_polls=100, sleep=lab.advance
):
    """Read one shard from its checkpoint on; return the last GetRecords answer."""
    position = checkpoints.get(shard_id)
    if position is None:
        start = {"ShardIteratorType": "TRIM_HORIZON"}
    else:
        start = {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "StartingSequenceNumber": position}
    iterator = kinesis.get_shard_iterator(StreamName=stream_name, ShardId=shard_id, **start)[
        "ShardIterator"
    ]
    answer = None
    for _ in range(max_polls):
        answer = kinesis.get_records(ShardIterator=iterator, Limit=limit)
        for record in answer["Records"]:
            handle(record)
        if answer["Records"]:
            checkpoints.save(shard_id, answer["Records"][-1]["SequenceNumber"])
        iterator = answer.get("NextShardIterator")
        if iterator is None or (not answer["Records"] and answer["MillisBehindLatest"] == 0):
            return answer
        sleep(1)
    return answer


polls.start()
my_poll_shard(lab.kinesis, ORDERS, orders_shard, handle, checkpoints, limit=10, max_polls=2)
print(polls.table())


# %% m04-robust
def my_robust_poll_shard(
    kinesis, stream_name, shard_id, handle, checkpoints, limit=10, max_polls=100, sleep=lab.advance
):
    """my_poll_shard, surviving throttles (wait 1 s) and expired iterators (a fresh one)."""

    def fresh_iterator():
        position = checkpoints.get(shard_id)
        if position is None:
            start = {"ShardIteratorType": "TRIM_HORIZON"}
        else:
            start = {
                "ShardIteratorType": "AFTER_SEQUENCE_NUMBER",
                "StartingSequenceNumber": position,
            }
        return kinesis.get_shard_iterator(StreamName=stream_name, ShardId=shard_id, **start)[
            "ShardIterator"
        ]

    iterator = fresh_iterator()
    answer = None
    for _ in range(max_polls):
        try:
            answer = kinesis.get_records(ShardIterator=iterator, Limit=limit)
        except kinesis.exceptions.ProvisionedThroughputExceededException:
            sleep(1)  # F66: about a second before the next GetRecords on this shard
            continue
        except kinesis.exceptions.ExpiredIteratorException:
            iterator = fresh_iterator()  # F9: after the checkpoint, nothing lost or repeated
            continue
        for record in answer["Records"]:
            handle(record)
        if answer["Records"]:
            checkpoints.save(shard_id, answer["Records"][-1]["SequenceNumber"])
        iterator = answer.get("NextShardIterator")
        if iterator is None or (not answer["Records"] and answer["MillisBehindLatest"] == 0):
            return answer
        sleep(1)
    return answer


robust_run = consumers.run_scenario(lab, my_robust_poll_shard, hard=True)

# %% m04-efo
fraud = lab.kinesis.register_stream_consumer(StreamARN=shop_arn, ConsumerName="fraud-detector")[
    "Consumer"
]
while True:
    described = lab.kinesis.describe_stream_consumer(ConsumerARN=fraud["ConsumerARN"])
    if described["ConsumerDescription"]["ConsumerStatus"] == "ACTIVE":
        break
    lab.advance(1)  # AWS: a few seconds in CREATING
print("fraud-detector is ACTIVE:", fraud["ConsumerARN"])
