"""A producer and a consumer written the way the course teaches learners to write them.

Why in the tests: the limits SIMULATION is right only if the code AWS recommends works against
it — retry only the failed PutRecords entries with exponential backoff and jitter; after a
read throttle wait about a second (F66); after ExpiredIteratorException ask for a new iterator
AFTER_SEQUENCE_NUMBER of the last record processed (F9). ``sleep`` is the lab clock's
``advance``, so a simulated second passes instantly.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from kinesis_lab.core.facts import GET_RECORDS_THROTTLE_BACKOFF_SECONDS, PUT_RECORDS_MAX_RECORDS

Sleep = Callable[[float], Any]


@dataclass
class ProducerReport:
    calls: int = 0
    retried_entries: int = 0
    error_codes: set[str] = field(default_factory=set)
    sequence_numbers: list[str] = field(default_factory=list)


def produce(
    kinesis: Any,
    stream: str,
    records: list[dict[str, Any]],
    sleep: Sleep,
    *,
    base_delay: float = 0.1,
    max_delay: float = 2.0,
    max_attempts: int = 20,
    rng: random.Random | None = None,
) -> ProducerReport:
    """Send every record; resend only the entries that failed, after base·2^attempt seconds
    with full jitter (a random wait between 0 and that), capped at ``max_delay``."""
    rng = rng or random.Random(7)
    report = ProducerReport()
    for first in range(0, len(records), PUT_RECORDS_MAX_RECORDS):
        pending = records[first : first + PUT_RECORDS_MAX_RECORDS]
        for attempt in range(max_attempts):
            response = kinesis.put_records(StreamName=stream, Records=pending)
            report.calls += 1
            results = response["Records"]
            report.sequence_numbers += [
                r["SequenceNumber"] for r in results if "SequenceNumber" in r
            ]
            report.error_codes |= {r["ErrorCode"] for r in results if "ErrorCode" in r}
            pending = [entry for entry, r in zip(pending, results, strict=True) if "ErrorCode" in r]
            if not pending:
                break
            report.retried_entries += len(pending)
            sleep(rng.uniform(0, min(max_delay, base_delay * 2**attempt)))
        else:
            raise RuntimeError(f"{len(pending)} records still failing after {max_attempts} tries")
    return report


@dataclass
class ConsumerReport:
    records: list[dict[str, Any]] = field(default_factory=list)
    throttled: int = 0
    expired: int = 0
    calls: int = 0

    @property
    def last_sequence_number(self) -> str | None:
        return self.records[-1]["SequenceNumber"] if self.records else None


def consume(
    kinesis: Any,
    stream: str,
    shard_id: str,
    sleep: Sleep,
    *,
    wanted: int,
    limit: int = 100,
    process: Callable[[list[dict[str, Any]]], Any] | None = None,
    max_calls: int = 1_000,
) -> ConsumerReport:
    """Read a shard from TRIM_HORIZON until ``wanted`` records are processed, polling as fast
    as the shard allows; ``process`` handles each batch (and may take its time)."""
    report = ConsumerReport()
    iterator = _iterator(kinesis, stream, shard_id, None)
    while len(report.records) < wanted and report.calls < max_calls:
        report.calls += 1
        try:
            page = kinesis.get_records(ShardIterator=iterator, Limit=limit)
        except ClientError as error:
            code = error.response["Error"]["Code"]
            if code == "ProvisionedThroughputExceededException":
                report.throttled += 1
                sleep(GET_RECORDS_THROTTLE_BACKOFF_SECONDS)  # F66
                continue
            if code == "ExpiredIteratorException":
                report.expired += 1
                iterator = _iterator(kinesis, stream, shard_id, report.last_sequence_number)
                continue
            raise
        if page["Records"]:
            report.records += page["Records"]
            if process is not None:
                process(page["Records"])
        iterator = page.get("NextShardIterator")
        if iterator is None:
            break
    return report


def _iterator(kinesis: Any, stream: str, shard_id: str, after: str | None) -> str:
    """From the start, or just after the last record processed (F9, F10)."""
    position: dict[str, Any] = {"ShardIteratorType": "TRIM_HORIZON"}
    if after is not None:
        position = {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "StartingSequenceNumber": after}
    return kinesis.get_shard_iterator(StreamName=stream, ShardId=shard_id, **position)[
        "ShardIterator"
    ]
