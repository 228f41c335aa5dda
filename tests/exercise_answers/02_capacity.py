"""Reference answers for notebooks/02_capacity.ipynb (CANARY-ANSWER-02_capacity).

Never shipped to learners: not in notebooks/, labs/ or the site. Each ``# %% <exercise id>``
section replaces the notebook cell whose metadata names that exercise when
tools/run_exercises.py runs the lesson (`make exercises`).
"""
# ruff: noqa: F821

# %% m02-shard-calculator
from fractions import Fraction


def my_shards_needed(records_per_sec, record_kib, consumers):
    """Shards a provisioned stream needs (F64)."""
    kib_in = Fraction(records_per_sec) * Fraction(str(record_kib))
    need = max(Fraction(records_per_sec, 1_000), kib_in / 1_024, kib_in * consumers / 2_048)
    return max(1, math.ceil(need))


calculator_ok = check_shard_calculator(my_shards_needed)

# %% m02-create-streams
CLICKS = "clicks-on-demand"
ORDERS = "orders-provisioned"
order_shards = shards_needed(records_per_sec=2_400, record_kib=0.75, consumers=3)
for name in (CLICKS, ORDERS):
    remove_stream(lab.kinesis, name)

lab.kinesis.create_stream(StreamName=CLICKS, StreamModeDetails={"StreamMode": "ON_DEMAND"})
lab.kinesis.create_stream(StreamName=ORDERS, ShardCount=order_shards)
for name in (CLICKS, ORDERS):
    lab.kinesis.get_waiter("stream_exists").wait(StreamName=name)

# %% m02-switch-mode
orders_arn = lab.kinesis.describe_stream_summary(StreamName=ORDERS)["StreamDescriptionSummary"][
    "StreamARN"
]
lab.kinesis.update_stream_mode(StreamARN=orders_arn, StreamModeDetails={"StreamMode": "ON_DEMAND"})
lab.kinesis.get_waiter("stream_exists").wait(StreamName=ORDERS, WaiterConfig={"Delay": 1})
