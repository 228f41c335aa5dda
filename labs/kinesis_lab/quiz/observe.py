"""What a quiz's test cells observe in the learner's mocked account, as plain data.

Why: hands-on quiz items are graded against the learner's own resources (the stream they
created, the records they wrote). A test cell turns those resources into plain data with these
helpers and hands the result to :func:`kinesis_lab.quiz.check.expect`; the helpers never decide
anything. ``PartialFailureClient`` is a SIMULATION: moto's PutRecords never partially fails, so
a test wraps the learner's client to make some entries fail the way AWS throttling does.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from ..clients.readers import list_all_shards, read_stream
from ..core.keys import shard_for_key

SIMULATED_ERROR_CODE = "ProvisionedThroughputExceededException"
SIMULATED_ERROR_MESSAGE = "Rate exceeded for shard (SIMULATED by the quiz's test)"


def stream_facts(kinesis: Any, stream_name: str) -> dict[str, Any] | None:
    """Mode, open shards, retention and encryption of a stream; None if it does not exist."""
    try:
        summary = kinesis.describe_stream_summary(StreamName=stream_name)
    except kinesis.exceptions.ResourceNotFoundException:
        return None
    details = summary["StreamDescriptionSummary"]
    return {
        "status": details["StreamStatus"],
        "mode": details.get("StreamModeDetails", {}).get("StreamMode", "PROVISIONED"),
        "open_shards": details["OpenShardCount"],
        "retention_hours": details["RetentionPeriodHours"],
        "encryption": details.get("EncryptionType", "NONE"),
    }


def _decoded(data: bytes) -> Any:
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return None


def stream_records(kinesis: Any, stream_name: str) -> list[dict[str, Any]]:
    """Every record in a stream (parents first) as plain data: shard, key, sequence, payload.

    ``data`` is the decoded JSON payload, or None when the payload is not JSON. A missing
    stream gives an empty list.
    """
    try:
        records = read_stream(kinesis, stream_name)
    except kinesis.exceptions.ResourceNotFoundException:
        return []
    return [
        {
            "shard": record["ShardId"],
            "partition_key": record["PartitionKey"],
            "sequence_number": record["SequenceNumber"],
            "data": _decoded(record["Data"]),
        }
        for record in records
    ]


def key_placement(kinesis: Any, stream_name: str) -> dict[str, dict[str, Any]]:
    """For each partition key in a stream: the shards its records are in, how many records,
    and the shard its key hashes to (where it lands without an ExplicitHashKey)."""
    try:
        shards = list_all_shards(kinesis, stream_name)
    except kinesis.exceptions.ResourceNotFoundException:
        return {}
    placement: dict[str, dict[str, Any]] = {}
    for record in stream_records(kinesis, stream_name):
        key = record["partition_key"]
        entry = placement.setdefault(
            key, {"shards": [], "records": 0, "hash_shard": shard_for_key(key, shards)}
        )
        entry["records"] += 1
        if record["shard"] not in entry["shards"]:
            entry["shards"].append(record["shard"])
    for entry in placement.values():
        entry["shards"].sort()
    return placement


def count_by(items: Iterable[dict[str, Any]], field: str) -> dict[str, int]:
    """How many items have each value of ``field`` (values as strings), sorted by value."""
    counts: dict[str, int] = {}
    for item in items:
        key = str(item.get(field))
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items()))


class RecordingSleep:
    """A stand-in for ``time.sleep`` that records the delays instead of waiting."""

    def __init__(self, events: list[tuple[str, float]] | None = None) -> None:
        self.events = events if events is not None else []

    def __call__(self, seconds: float) -> None:
        self.events.append(("sleep", float(seconds)))

    @property
    def delays(self) -> list[float]:
        return [value for kind, value in self.events if kind == "sleep"]


class PartialFailureClient:
    """A Kinesis client whose PutRecords fails some entries, like AWS under throttling.

    SIMULATION. In each of the first ``failing_calls`` calls, the entries at positions 0,
    ``fail_every``, 2 × ``fail_every``, … are not written and come back with
    ``ErrorCode=ProvisionedThroughputExceededException`` (HTTP 200, ``FailedRecordCount`` > 0);
    the others are written to the real (mocked) stream. ``failing_calls=None`` fails every
    call that way. Everything else is passed to the wrapped client. :meth:`report` says what
    the producer did, as plain data.
    """

    def __init__(
        self,
        kinesis: Any,
        *,
        fail_every: int = 3,
        failing_calls: int | None = 2,
        events: list[tuple[str, float]] | None = None,
    ) -> None:
        self._kinesis = kinesis
        self.fail_every = fail_every
        self.failing_calls = failing_calls
        self.events = events if events is not None else []
        self.calls = 0
        self.entries_sent = 0
        self.resent_successes = 0
        self._succeeded: set[tuple[str, bytes]] = set()

    def sleep(self) -> RecordingSleep:
        """A recording sleep sharing this client's event log (to see sleeps between calls)."""
        return RecordingSleep(self.events)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._kinesis, name)

    def put_records(self, **kwargs: Any) -> dict[str, Any]:
        self.calls += 1
        entries = list(kwargs.get("Records", []))
        self.entries_sent += len(entries)
        identities = [(e["PartitionKey"], _as_bytes(e["Data"])) for e in entries]
        self.resent_successes += sum(identity in self._succeeded for identity in identities)
        failing = self.failing_calls is None or self.calls <= self.failing_calls
        fail_at = set(range(0, len(entries), self.fail_every)) if failing else set()
        passed = [entry for index, entry in enumerate(entries) if index not in fail_at]
        written = iter([])
        if passed:
            real = self._kinesis.put_records(**{**kwargs, "Records": passed})
            written = iter(real["Records"])
        results = []
        for index, identity in enumerate(identities):
            if index in fail_at:
                results.append(
                    {"ErrorCode": SIMULATED_ERROR_CODE, "ErrorMessage": SIMULATED_ERROR_MESSAGE}
                )
                continue
            result = next(written)
            if "ErrorCode" not in result:
                self._succeeded.add(identity)
            results.append(result)
        failed = sum("ErrorCode" in result for result in results)
        self.events.append(("put_records", float(failed)))
        return {"FailedRecordCount": failed, "Records": results}

    def report(self) -> dict[str, Any]:
        """What the producer did: calls, entries sent, successes sent again, and whether it
        waited (a positive sleep) before every call that followed a partial failure."""
        puts = [index for index, (kind, _) in enumerate(self.events) if kind == "put_records"]
        waited = all(
            any(kind == "sleep" and value > 0 for kind, value in self.events[before + 1 : after])
            for before, after in zip(puts, puts[1:], strict=False)
            if self.events[before][1] > 0
        )
        return {
            "calls": self.calls,
            "entries_sent": self.entries_sent,
            "resent_successes": self.resent_successes,
            "waited_before_every_retry": waited,
        }


def _as_bytes(data: Any) -> bytes:
    return data.encode("utf-8") if isinstance(data, str) else bytes(data)


def run_quietly(function: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, str | None]:
    """Call a learner's function; return (result, None) or (None, "ExceptionName: message").

    A test cell uses it when a learner's exception should become an observed value rather than
    an error (so the check can still say which part was wrong)."""
    try:
        return function(*args, **kwargs), None
    except Exception as error:  # the learner's code may raise anything
        return None, f"{type(error).__name__}: {error}"[:200]
