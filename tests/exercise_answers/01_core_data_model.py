"""Reference answers for notebooks/01_core_data_model.ipynb (CANARY-ANSWER-01_core_data_model).

Never shipped to learners: not in notebooks/, labs/ or the site. Each ``# %% <exercise id>``
section replaces the notebook cell whose metadata names that exercise when
tools/run_exercises.py runs the lesson (`make exercises`).
"""
# ruff: noqa: F821

# %% m01-create-stream
STREAM = "telemetry"
remove_stream(lab.kinesis, STREAM)

lab.kinesis.create_stream(StreamName=STREAM, ShardCount=4)
lab.kinesis.get_waiter("stream_exists").wait(StreamName=STREAM, WaiterConfig={"Delay": 1})

# %% m01-waiter
FIRST = "first-writes"
remove_stream(lab.kinesis, FIRST)

lab.kinesis.create_stream(StreamName=FIRST, ShardCount=1)
lab.kinesis.get_waiter("stream_exists").wait(StreamName=FIRST, WaiterConfig={"Delay": 1})
lab.kinesis.put_record(StreamName=FIRST, PartitionKey="k", Data=b"first")

# %% m01-hash-key
KEYS = ["sensor-4", "sensor-2", "device-a", "truck-42", "sensor-10"]


def my_hash_key(partition_key):
    return int(hashlib.md5(partition_key.encode("utf-8")).hexdigest(), 16)


for key in KEYS:
    check_equal(f"hash key of {key!r}", my_hash_key(key), hash_key_for(key))

# %% m01-predict-shards
my_predictions = {key: shard_for_key(key, shards) for key in KEYS}

# %% m01-put-record
actual_shards = {}
for key in KEYS:
    answer = lab.kinesis.put_record(
        StreamName=STREAM, PartitionKey=key, Data=f"hello from {key}".encode()
    )
    actual_shards[key] = answer["ShardId"]
