"""Reference answers for notebooks/06_scaling_monitoring.ipynb
(CANARY-ANSWER-06_scaling_monitoring).

Never shipped to learners: not in notebooks/, labs/ or the site. Each ``# %% <exercise id>``
section replaces the notebook cell whose metadata names that exercise when
tools/run_exercises.py runs the lesson (`make exercises`).
"""
# ruff: noqa: F821

# %% m06-merge-shards
CHILDREN = [
    s["ShardId"] for s in list_all_shards(lab.kinesis, RESHARD) if s.get("ParentShardId") == shard_2
]
lower, upper = CHILDREN  # adjacent: the upper child starts right after the lower one
lab.kinesis.merge_shards(StreamName=RESHARD, ShardToMerge=lower, AdjacentShardToMerge=upper)

# %% m06-enhanced-monitoring
POSTS = "social-posts"
lab.create_stream(POSTS, shard_count=4)
METRICS = ["IncomingRecords", "WriteProvisionedThroughputExceeded", "IteratorAgeMilliseconds"]

lab.kinesis.enable_enhanced_monitoring(StreamName=POSTS, ShardLevelMetrics=METRICS)

# %% m06-split-point
my_split_point = balanced_split_point(hot_shard, rates)
split_ok = check_split_point(my_split_point, hot_shard, rates)

# %% m06-split-shard
split_at = int(my_split_point) if split_ok else balanced_split_point(hot_shard, rates)

lab.kinesis.split_shard(StreamName=POSTS, ShardToSplit=HOT, NewStartingHashKey=str(split_at))

# %% m06-update-shard-count
lab.kinesis.update_shard_count(
    StreamName=SCALING, TargetShardCount=8, ScalingType="UNIFORM_SCALING"
)
until_active = lab.kinesis.get_waiter("stream_exists")  # UPDATING → ACTIVE (F120)
until_active.wait(StreamName=SCALING, WaiterConfig={"Delay": 1})
