"""Seeded, deterministic event data for the course's three use cases, with ground truth.

Why: lessons and capstones stream realistic events through a mocked Kinesis and then check a
learner's detector against what was planted. Same arguments and seed → the same events, on any
machine, at any time (pure standard library; no wall clock, no global random state).

- ``iot``: sensor readings with temperature spikes and movement (truth: ``anomaly``).
- ``payments``: card transactions with planted fraud (truth: ``is_fraud``, ``fraud_type``).
- ``social``: posts with trending hashtags and sentiment shifts (truth: ``planted_trends``).
- ``records``: events → PutRecords entries and batches, and records → events.

Typical capstone use::

    txns = transactions(20_000, seed=7)
    entries = to_put_records_entries(txns, "account_id", drop=TRANSACTION_TRUTH_FIELDS)
    for batch in batched(entries):
        kinesis.put_records(StreamName="payments", Records=batch)
    answers = {t["txn_id"] for t in txns if t["is_fraud"]}
"""

from . import iot, payments, records, social
from .iot import (
    MOVEMENT_RULE_ACCEL_G,
    READING_TRUTH_FIELDS,
    SPIKE_RULE_DELTA_C,
    device_profiles,
    iter_readings,
    readings,
)
from .payments import (
    AMOUNT_OUTLIER_FACTOR,
    FRAUD_TYPES,
    IMPOSSIBLE_TRAVEL_KMH,
    TRANSACTION_TRUTH_FIELDS,
    VELOCITY_BURST_MIN_TXNS,
    VELOCITY_BURST_WINDOW_S,
    account_profiles,
    haversine_km,
    iter_transactions,
    transactions,
)
from .records import (
    DEFAULT_START,
    batched,
    decode,
    entry_size,
    epoch_ms,
    iso_utc_ms,
    to_put_records_entries,
)
from .social import (
    POST_TRUTH_FIELDS,
    SENTIMENT_LABEL_THRESHOLD,
    TREND_RULE_FACTOR,
    iter_posts,
    planted_trends,
    posts,
    sentiment_label,
)

__all__ = [
    "AMOUNT_OUTLIER_FACTOR",
    "DEFAULT_START",
    "FRAUD_TYPES",
    "IMPOSSIBLE_TRAVEL_KMH",
    "MOVEMENT_RULE_ACCEL_G",
    "POST_TRUTH_FIELDS",
    "READING_TRUTH_FIELDS",
    "SENTIMENT_LABEL_THRESHOLD",
    "SPIKE_RULE_DELTA_C",
    "TRANSACTION_TRUTH_FIELDS",
    "TREND_RULE_FACTOR",
    "VELOCITY_BURST_MIN_TXNS",
    "VELOCITY_BURST_WINDOW_S",
    "account_profiles",
    "batched",
    "decode",
    "device_profiles",
    "entry_size",
    "epoch_ms",
    "haversine_km",
    "iot",
    "iso_utc_ms",
    "iter_posts",
    "iter_readings",
    "iter_transactions",
    "payments",
    "planted_trends",
    "posts",
    "readings",
    "records",
    "sentiment_label",
    "social",
    "to_put_records_entries",
    "transactions",
]
