"""Reference answers for notebooks/05_delivery_semantics.ipynb
(CANARY-ANSWER-05_delivery_semantics).

Never shipped to learners: not in notebooks/, labs/ or the site. Each ``# %% <exercise id>``
section replaces the notebook cell whose metadata names that exercise when
tools/run_exercises.py runs the lesson (`make exercises`).
"""
# ruff: noqa: F821


# %% m05-event-id
def my_event_id(record):
    return decode(record)["txn_id"]


event_id_ok = check_event_id(my_event_id)


# %% m05-dedupe
def my_dedupe(records):
    seen, first_copies = set(), []
    for record in records:
        if my_event_id(record) not in seen:
            seen.add(my_event_id(record))
            first_copies.append(record)
    return first_copies


dedupe_ok = check_dedupe(my_dedupe)

# %% m05-idempotent-sink
LEDGER = "payments-ledger"
recreate_table(lab.dynamodb, LEDGER, "txn_id")


def store_once(record):
    payment = decode(record)
    try:
        lab.dynamodb.put_item(
            TableName=LEDGER,
            Item={
                "txn_id": {"S": payment["txn_id"]},
                "account_id": {"S": payment["account_id"]},
                "amount": {"N": str(payment["amount"])},
                "currency": {"S": payment["currency"]},
            },
            ConditionExpression="attribute_not_exists(txn_id)",
        )
    except lab.dynamodb.exceptions.ConditionalCheckFailedException:
        return False
    return True


def replay_into_ledger():
    outcome = Counter(store_once(record) for record in read_stream(lab.kinesis, STREAM))
    return outcome[True], outcome[False]


written, skipped = replay_into_ledger()
print(f"first replay:  {written} written, {skipped} skipped as duplicates")
written, skipped = replay_into_ledger()
print(f"second replay: {written} written, {skipped} skipped as duplicates")

# %% m05-replay
since_deploy = []
iterator = lab.kinesis.get_shard_iterator(
    StreamName=REPLAY,
    ShardId=replay_shard,
    ShardIteratorType="AT_TIMESTAMP",
    Timestamp=bad_deploy_at,
)["ShardIterator"]
while iterator:
    answer = lab.kinesis.get_records(ShardIterator=iterator)
    since_deploy += answer["Records"]
    if not answer["Records"]:
        break
    iterator = answer.get("NextShardIterator")
