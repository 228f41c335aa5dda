"""What quiz test cells observe of a learner's Lambda handlers, as plain data.

Why: the Lambda and Firehose quiz grades handlers by running them — on synthetic events in the
test cell, and behind the course's simulated event source mapping (SIMULATION, F34–F40) — and
then reports what happened: which records a partial batch response named (F39), which result
a Firehose transformation gave each record (F46), what a downstream service saw. Like
:mod:`kinesis_lab.quiz.observe`, these helpers never decide: the test cell passes what they
report to :func:`kinesis_lab.quiz.check.expect`.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..lessons.m09_firehose import contract_problems
from ..simulation.lambda_esm import EventSourceMapping
from ..simulation.lambda_events import InvalidBatchItemFailures, reported_failures
from .observe_consumers import simulated_lab_clock

REPORT_BATCH_ITEM_FAILURES = "ReportBatchItemFailures"


class FlakyService:
    """A stand-in for a downstream API a handler calls once per item; busy now and then.

    ``fail_first`` maps an item's key to how many calls for it fail with ``error`` before one
    succeeds — a *transient* failure, the case partial batch responses are for (F39).
    ``calls`` logs every call as ``[key, succeeded]``; ``done`` counts successes per key.
    """

    def __init__(
        self,
        error: type[Exception],
        key_of: Callable[[Any], Any],
        fail_first: Mapping[str, int] | None = None,
    ) -> None:
        self.error = error
        self.key_of = key_of
        self.fail_first = dict(fail_first or {})
        self.calls: list[list[Any]] = []
        self.done: Counter[str] = Counter()

    def __call__(self, item: Any) -> None:
        key = str(self.key_of(item))
        if self.fail_first.get(key, 0) > 0:
            self.fail_first[key] -= 1
            self.calls.append([key, False])
            raise self.error(f"busy right now: try {key} again later")
        self.calls.append([key, True])
        self.done[key] += 1

    def report(self, keys: Sequence[str]) -> dict[str, Any]:
        """For the keys that should all be done once: which were never done, done twice."""
        return {
            "never": [k for k in keys if self.done[k] == 0],
            "more_than_once": [k for k in keys if self.done[k] > 1],
            "unexpected": sorted(k for k in self.done if k not in set(keys)),
        }


def batch_response(response: Any, event: Mapping[str, Any]) -> dict[str, Any]:
    """A partial batch response read as Lambda reads it (F39).

    ``reported``: the 1-based positions in the batch of the records named as failed (``[]``
    is a complete success); ``invalid``: ``True`` when Lambda would treat the response as a
    complete failure of the batch (then ``reported`` is ``None``).
    """
    numbers = [record["kinesis"]["sequenceNumber"] for record in event["Records"]]
    try:
        failed = reported_failures(response, numbers)
    except InvalidBatchItemFailures:
        return {"reported": None, "invalid": True}
    return {"reported": sorted(numbers.index(n) + 1 for n in set(failed)), "invalid": False}


def _decoded(data: Any) -> bytes | None:
    if not isinstance(data, str | bytes):
        return None
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return None


def transform_answers(event: Mapping[str, Any], response: Any) -> dict[str, Any]:
    """A Firehose transformation's answer to ``event`` (F46), record by record.

    ``contract_ok``: every recordId back exactly once, a valid result and base64 data.
    ``records``: for each record of the event, in order, its ``result`` (``None`` if it did
    not come back), and for ``Ok`` records the delivered ``payload`` (the JSON it decodes to,
    or ``None``) and whether the data ends with a newline.
    """
    problems = contract_problems(event, response)
    entries: dict[str, Mapping[str, Any]] = {}
    if isinstance(response, Mapping) and isinstance(response.get("records"), list):
        for entry in response["records"]:
            if isinstance(entry, Mapping) and isinstance(entry.get("recordId"), str):
                entries.setdefault(entry["recordId"], entry)
    records = []
    for record in event["records"]:
        entry = entries.get(record["recordId"], {})
        result = entry.get("result")
        answer: dict[str, Any] = {"recordId": record["recordId"], "result": result}
        if result == "Ok":
            raw = _decoded(entry.get("data"))
            try:
                payload = json.loads(raw) if raw is not None else None
            except ValueError:
                payload = None
            answer["payload"] = payload
            answer["newline"] = raw is not None and raw.endswith(b"\n")
        records.append(answer)
    return {"contract_ok": not problems, "records": records}


def run_mapping(
    lab: Any,
    stream_name: str,
    handler: Callable[[dict[str, Any], Any], Any],
    payloads: Sequence[Any],
    partition_key: str,
    **parameters: Any,
) -> dict[str, Any]:
    """SIMULATION: write ``payloads`` (JSON) to a fresh one-shard stream and run ``handler``
    behind the course's event source mapping until it is idle, on a simulated lab clock.

    ``parameters`` are ``CreateEventSourceMapping``'s (``BatchSize``, ``FunctionResponseTypes``,
    ``MaximumRetryAttempts`` …; ``StartingPosition`` defaults to ``TRIM_HORIZON``). Returns
    how many invocations ran, how they ended, and how many records Lambda gave up on.
    The stream is deleted afterwards.
    """
    parameters.setdefault("StartingPosition", "TRIM_HORIZON")
    with simulated_lab_clock(lab):
        lab.create_stream(stream_name, shard_count=1)
        try:
            lab.kinesis.put_records(
                StreamName=stream_name,
                Records=[
                    {
                        "Data": json.dumps(p).encode() if not isinstance(p, bytes) else p,
                        "PartitionKey": str(p.get(partition_key, "key"))
                        if isinstance(p, Mapping)
                        else "key",
                    }
                    for p in payloads
                ],
            )
            mapping = EventSourceMapping(
                lab.kinesis, stream_name, handler, publish_metrics=False, **parameters
            )
            mapping.run_until_idle()
        finally:
            lab.kinesis.delete_stream(StreamName=stream_name, EnforceConsumerDeletion=True)
    return {
        "invocations": len(mapping.invocations),
        "outcomes": dict(sorted(Counter(i.outcome for i in mapping.invocations).items())),
        "discarded": sum(len(d.sequence_numbers) for d in mapping.discards),
    }
