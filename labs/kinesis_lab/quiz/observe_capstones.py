"""What the capstone assignments' test cells observe (fraud and social), as plain data.

Why: the graded hands-on items of assignments a02 (fraud) and a03 (social) look at what a
learner built — a stream of payments, an alert table, enhanced fan-out consumers, lease tables,
windowed counts, detections — and hand plain data to :func:`kinesis_lab.quiz.check.expect`.
Like :mod:`kinesis_lab.quiz.observe`, these helpers only observe and summarise; they never
decide. A learner's return value goes through :func:`kinesis_lab.quiz.check.plain` before it
is summarised, so an object that pretends to be a dict or a list cannot pass; a value of the
wrong shape gives ``None`` (which no expected value equals).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..capstones.scoring import score_by_type
from ..core import clock
from .check import NotPlainData, plain
from .observe import RecordingSleep, stream_records

FRAUD_TYPES = ("amount_outlier", "impossible_travel", "velocity_burst")
ALL = "all"

# ---------------------------------------------------------------------------------------------
# A stream of keyed events (fraud: payments keyed by account)
# ---------------------------------------------------------------------------------------------


def order_violations(records: Iterable[Mapping[str, Any]], key_field: str, time_field: str) -> int:
    """How many records (as :func:`~kinesis_lab.quiz.observe.stream_records` gives them, in read
    order) carry an event time older than an earlier record of the same ``key_field``.
    Records without a JSON object, the key or a numeric time are skipped."""
    latest: dict[str, float] = {}
    violations = 0
    for record in records:
        data = record.get("data")
        if not isinstance(data, dict) or key_field not in data:
            continue
        moment = data.get(time_field)
        if isinstance(moment, bool) or not isinstance(moment, (int, float)):
            continue
        key = str(data[key_field])
        if key in latest and moment < latest[key]:
            violations += 1
        latest[key] = max(moment, latest.get(key, moment))
    return violations


def keyed_stream_summary(
    kinesis: Any,
    stream_name: str,
    *,
    id_field: str,
    key_field: str,
    time_field: str,
    truth_fields: Sequence[str] = (),
) -> dict[str, int] | None:
    """What a stream of JSON events holds, or None when it holds nothing (or does not exist):

    - ``records``: how many records; ``distinct``: how many distinct ``id_field`` values
      (a record written twice counts once);
    - ``not_json_objects``: payloads that are not a JSON object;
    - ``payloads_with_truth``: payloads that still carry one of ``truth_fields`` (the answer
      key of a generator, which a producer must drop);
    - ``off_key``: records whose partition key is not their ``key_field`` value;
    - ``order_violations``: see :func:`order_violations` (per ``key_field``, by ``time_field``).
    """
    records = stream_records(kinesis, stream_name)
    if not records:
        return None
    objects = [r for r in records if isinstance(r["data"], dict)]
    ids = {str(r["data"].get(id_field)) for r in objects if id_field in r["data"]}
    return {
        "records": len(records),
        "distinct": len(ids),
        "not_json_objects": len(records) - len(objects),
        "payloads_with_truth": sum(1 for r in objects if set(r["data"]) & set(truth_fields)),
        "off_key": sum(
            1
            for r in records
            if not isinstance(r["data"], dict)
            or r["partition_key"] != str(r["data"].get(key_field))
        ),
        "order_violations": order_violations(records, key_field, time_field),
    }


class LabClockSleep(RecordingSleep):
    """A ``wait(seconds)`` for a learner's producer that records the delay (in the event log
    of a :class:`~kinesis_lab.quiz.observe.PartialFailureClient`, so its report sees the waits)
    and moves the lab clock on by it — so the simulated per-second limits see the time pass."""

    def __call__(self, seconds: float) -> None:
        super().__call__(seconds)
        clock.advance(max(0.0, float(seconds)))


# ---------------------------------------------------------------------------------------------
# Resources: stream encryption, enhanced fan-out consumers, DynamoDB tables
# ---------------------------------------------------------------------------------------------


def stream_security(kinesis: Any, stream_name: str) -> dict[str, Any] | None:
    """Mode, open shards, encryption type and KMS key of a stream; None if it does not exist."""
    try:
        summary = kinesis.describe_stream_summary(StreamName=stream_name)
    except kinesis.exceptions.ResourceNotFoundException:
        return None
    details = summary["StreamDescriptionSummary"]
    return {
        "mode": details.get("StreamModeDetails", {}).get("StreamMode", "PROVISIONED"),
        "open_shards": details["OpenShardCount"],
        "encryption": details.get("EncryptionType", "NONE"),
        "key_id": details.get("KeyId"),
    }


def stream_consumers(kinesis: Any, stream_name: str) -> list[dict[str, str]] | None:
    """The enhanced fan-out consumers registered on a stream (name and status, by name);
    None if the stream does not exist."""
    try:
        arn = kinesis.describe_stream_summary(StreamName=stream_name)["StreamDescriptionSummary"][
            "StreamARN"
        ]
    except kinesis.exceptions.ResourceNotFoundException:
        return None
    consumers: list[dict[str, str]] = []
    kwargs: dict[str, Any] = {"StreamARN": arn}
    while True:
        page = kinesis.list_stream_consumers(**kwargs)
        consumers += [
            {"name": c["ConsumerName"], "status": c["ConsumerStatus"]} for c in page["Consumers"]
        ]
        if not page.get("NextToken"):
            return sorted(consumers, key=lambda c: c["name"])
        kwargs = {"StreamARN": arn, "NextToken": page["NextToken"]}


def table_facts(dynamodb: Any, table: str) -> dict[str, Any] | None:
    """Key schema (name, HASH/RANGE, attribute type) and billing mode of a DynamoDB table;
    None if it does not exist."""
    try:
        description = dynamodb.describe_table(TableName=table)["Table"]
    except dynamodb.exceptions.ResourceNotFoundException:
        return None
    types = {a["AttributeName"]: a["AttributeType"] for a in description["AttributeDefinitions"]}
    return {
        "key_schema": [
            [k["AttributeName"], k["KeyType"], types.get(k["AttributeName"])]
            for k in description["KeySchema"]
        ],
        "billing_mode": description.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED"),
    }


def lease_checkpoints(dynamodb: Any, table: str) -> dict[str, Any] | None:
    """A KCL-style lease table as ``{leaseKey: checkpoint}`` (strings; None for an item without
    a string ``checkpoint``); None if the table does not exist."""
    try:
        pages = dynamodb.get_paginator("scan").paginate(TableName=table, ConsistentRead=True)
        items = [item for page in pages for item in page.get("Items", [])]
    except dynamodb.exceptions.ResourceNotFoundException:
        return None
    return dict(
        sorted(
            (item["leaseKey"]["S"], item.get("checkpoint", {}).get("S"))
            for item in items
            if "S" in item.get("leaseKey", {})
        )
    )


class CallRecorder:
    """A client wrapper that records the names of the API operations called through it, in
    order (``calls``); everything is passed to the wrapped client."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if name.startswith("_") or name in ("exceptions", "meta") or not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(name)
            return attribute(*args, **kwargs)

        return call


# ---------------------------------------------------------------------------------------------
# A learner's detections against a generator's ground truth
# ---------------------------------------------------------------------------------------------


def _plain_or_none(value: Any) -> Any:
    try:
        return plain(value)
    except NotPlainData:
        return None


def detection_scores(
    flagged: Any, truth: Mapping[str, str], types: Sequence[str] = FRAUD_TYPES
) -> dict[str, dict[str, float]] | None:
    """Precision and recall (rounded to 4 places) per type and overall (``"all"``) of a
    learner's ``{id: type}`` against the ground truth ``{id: type}``; None when ``flagged`` is
    not a dict of strings to strings. A flag of the wrong type counts against both types but
    as a catch overall (:func:`kinesis_lab.capstones.scoring.score_by_type`)."""
    flagged = _plain_or_none(flagged)
    if type(flagged) is not dict or any(type(v) is not str for v in flagged.values()):
        return None
    scores = score_by_type(flagged, dict(truth))
    result = {}
    for kind in (*types, ALL):
        score = scores.get(kind)
        precision, recall = (score.precision, score.recall) if score else (1.0, 1.0)
        result[kind] = {"precision": round(precision, 4), "recall": round(recall, 4)}
    return result


# ---------------------------------------------------------------------------------------------
# Windows and trends (social)
# ---------------------------------------------------------------------------------------------


def _window_table(result: Any) -> dict[int, dict[str, int]] | None:
    """``{window start (ms): {hashtag: count}}`` from a learner's result, whose keys may be ints
    or digit strings (a dict subclass such as ``defaultdict`` is read as a plain dict); None for
    any other shape."""
    if not isinstance(result, dict):
        return None
    table: dict[int, dict[str, int]] = {}
    for key, counts in dict.items(result):
        start = key if type(key) is int else None
        if type(key) is str and key.lstrip("-").isdigit():
            start = int(key)
        counts = _plain_or_none(counts)
        if start is None or type(counts) is not dict:
            return None
        if any(type(n) is not int for n in counts.values()):
            return None
        table[start] = counts
    return table


def window_summary(result: Any, hashtags: Sequence[str]) -> dict[str, Any] | None:
    """A learner's tumbling-window counts ``{start_ms: {hashtag: count}}`` summarised: how many
    windows, the first and last start, all counts added up, and for each of ``hashtags`` its
    count in each window, in start order. None when the result has another shape or is empty."""
    table = _window_table(result)
    if not table:
        return None
    starts = sorted(table)
    return {
        "windows": len(starts),
        "first_start_ms": starts[0],
        "last_start_ms": starts[-1],
        "hashtags_counted": sum(sum(counts.values()) for counts in table.values()),
        "counts_of": {tag: [table[start].get(tag, 0) for start in starts] for tag in hashtags},
    }


def match_planted(
    detections: Any, planted: Sequence[Mapping[str, Any]], window_ms: int
) -> dict[str, Any] | None:
    """Which planted trends a learner's detections ``[[window_start_ms, hashtag], ...]`` found
    (a detection of the trend's hashtag in a window overlapping the trend's time), in planted
    order, and how many detections match no planted trend. None for another shape."""
    detections = _plain_or_none(detections)
    if type(detections) is not list:
        return None
    pairs = []
    for detection in detections:
        if (
            type(detection) is not list
            or len(detection) != 2
            or type(detection[0]) is not int
            or type(detection[1]) is not str
        ):
            return None
        pairs.append((detection[0], detection[1]))
    matched: set[int] = set()
    detected = []
    for trend in planted:
        hits = {
            index
            for index, (start, tag) in enumerate(pairs)
            if tag == trend["hashtag"]
            and trend["start_ms"] < start + window_ms
            and trend["end_ms"] > start
        }
        matched |= hits
        detected.append(bool(hits))
    return {"detected": detected, "false_alarms": len(pairs) - len(matched)}


__all__ = [
    "ALL",
    "FRAUD_TYPES",
    "CallRecorder",
    "LabClockSleep",
    "detection_scores",
    "keyed_stream_summary",
    "lease_checkpoints",
    "match_planted",
    "order_violations",
    "stream_consumers",
    "stream_security",
    "table_facts",
    "window_summary",
]
