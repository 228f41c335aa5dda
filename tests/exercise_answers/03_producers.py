"""Reference answers for notebooks/03_producers.ipynb (CANARY-ANSWER-03_producers).

Never shipped to learners: not in notebooks/, labs/ or the site. Each ``# %% <exercise id>``
section replaces the notebook cell whose metadata names that exercise when
tools/run_exercises.py runs the lesson (`make exercises`).
"""
# ruff: noqa: F821

# %% m03-put-records
THREE = [{"PartitionKey": f"sensor-{n}", "Data": f'{{"t": {20 + n}}}'.encode()} for n in range(3)]

several = lab.kinesis.put_records(StreamName=READINGS, Records=THREE)
print("FailedRecordCount:", several["FailedRecordCount"])


# %% m03-failed-entries
def my_failed_entries(entries, response):
    """The entries PutRecords did not write, in their original order."""
    return [
        e for e, result in zip(entries, response["Records"], strict=True) if "ErrorCode" in result
    ]


failed_ok = check_failed_entries(my_failed_entries)

# %% m03-backoff
BASE_DELAY, MAX_DELAY = 0.1, 2.0


def my_backoff(attempt):
    """Exponential backoff with full jitter."""
    return random.uniform(0, min(MAX_DELAY, BASE_DELAY * 2**attempt))


backoff_ok = check_backoff(my_backoff, base=BASE_DELAY, cap=MAX_DELAY)


# %% m03-retry
def my_put_batch(kinesis, stream_name, entries, sleep):
    """Write one PutRecords batch (≤500 entries); resend only what failed, after a backoff."""
    pending = list(entries)
    attempt = 0
    while pending:
        response = kinesis.put_records(StreamName=stream_name, Records=pending)
        pending = my_failed_entries(pending, response)
        if pending:
            sleep(my_backoff(attempt))
            attempt += 1


my_put_batch(lab.kinesis, READINGS, BATCH, lab.advance)


# %% m03-deaggregate
def my_deaggregate(records):
    """User records from GetRecords records, as (partition_key, data) pairs, in order."""
    users = []
    for user in iter_deaggregate_records(records, data_format="Boto3"):
        kinesis = user["kinesis"]
        data = kinesis["data"]
        if kinesis.get("aggregated"):  # unpacked by the module: its data is base64-encoded
            data = base64.b64decode(data)
        users.append((kinesis["partitionKey"], data))
    return users


deaggregate_ok = check_deaggregate(my_deaggregate)
