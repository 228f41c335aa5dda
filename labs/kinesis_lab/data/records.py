"""Events ↔ Kinesis records: the wire format every generator and capstone shares.

Why one module: a record is compact UTF-8 JSON plus a partition key, and PutRecords takes at
most 500 of them and 10 MiB per request, partition keys included (F5). Producers, consumers and
the generators' timestamps all agree on this one format.
"""

from __future__ import annotations

import base64
import functools
import json
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime, timezone
from typing import Any

from ..core.facts import (
    PARTITION_KEY_MAX_CHARS,
    PUT_RECORDS_MAX_RECORDS,
    PUT_RECORDS_MAX_REQUEST_BYTES,
)

DEFAULT_START = "2026-01-15T09:00:00Z"
"""Where every generator's clock starts unless told otherwise: fixed, so runs repeat."""

Event = dict[str, Any]
Entry = dict[str, Any]

_COMPACT_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


# --- timestamps ------------------------------------------------------------------------------


def epoch_ms(moment: str | datetime | int) -> int:
    """Milliseconds since the Unix epoch of an ISO-8601 string, a datetime (naive = UTC) or ms."""
    if isinstance(moment, int) and not isinstance(moment, bool):
        return moment
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    if not isinstance(moment, datetime):
        raise TypeError(f"a moment is an ISO-8601 string, a datetime or epoch ms, not {moment!r}")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return round(moment.timestamp() * 1000)


@functools.lru_cache(maxsize=4096)
def _iso_second(epoch_s: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch_s))


def iso_utc_ms(ms: int) -> str:
    """ISO-8601 UTC with milliseconds, e.g. ``2026-01-15T09:00:00.250Z`` (cached per second,
    because generators format hundreds of thousands of them)."""
    return f"{_iso_second(ms // 1000)}.{ms % 1000:03d}Z"


# --- events → PutRecords entries -------------------------------------------------------------


def to_put_records_entries(
    events: Iterable[Mapping[str, Any]],
    partition_key: str | Callable[[Mapping[str, Any]], Any],
    *,
    drop: Iterable[str] = (),
) -> list[Entry]:
    """``{"Data": bytes, "PartitionKey": str}`` entries ready for ``put_records``.

    ``partition_key`` is a field name or a function of the event. ``drop`` names fields left out
    of the payload — pass a generator's ``*_TRUTH_FIELDS`` so learners never see the answers.
    """
    key_of = (
        (lambda event: event[partition_key]) if isinstance(partition_key, str) else partition_key
    )
    dropped = tuple(drop)
    encode = _COMPACT_JSON.encode
    entries = []
    for event in events:
        key = str(key_of(event))
        if not 1 <= len(key) <= PARTITION_KEY_MAX_CHARS:
            raise ValueError(
                f"a partition key has 1 to {PARTITION_KEY_MAX_CHARS} characters; got {len(key)}"
            )
        payload = event
        if dropped:
            payload = dict(event)  # a copy: the caller keeps its answer key
            for field in dropped:
                payload.pop(field, None)
        entries.append({"Data": encode(payload).encode("utf-8"), "PartitionKey": key})
    return entries


def entry_size(entry: Mapping[str, Any]) -> int:
    """Bytes an entry counts against the PutRecords request limit: data + partition key (F5)."""
    data = entry["Data"]
    data_bytes = len(data.encode("utf-8")) if isinstance(data, str) else len(data)
    return data_bytes + len(entry["PartitionKey"].encode("utf-8"))


def batched(
    entries: Iterable[Entry],
    max_records: int = PUT_RECORDS_MAX_RECORDS,
    max_bytes: int = PUT_RECORDS_MAX_REQUEST_BYTES,
) -> Iterator[list[Entry]]:
    """Split entries, in order, into batches that one PutRecords call accepts (F5)."""
    if max_records < 1 or max_bytes < 1:
        raise ValueError("max_records and max_bytes must be positive")
    batch: list[Entry] = []
    batch_bytes = 0
    for entry in entries:
        size = entry_size(entry)
        if size > max_bytes:
            raise ValueError(
                f"one entry of {size} bytes exceeds the {max_bytes}-byte request limit"
            )
        if batch and (len(batch) == max_records or batch_bytes + size > max_bytes):
            yield batch
            batch, batch_bytes = [], 0
        batch.append(entry)
        batch_bytes += size
    if batch:
        yield batch


# --- records → events ------------------------------------------------------------------------


def decode(record: Mapping[str, Any]) -> Any:
    """The JSON event inside a record.

    Takes a boto3 GetRecords record (``Data`` is bytes), a raw API record (``Data`` is a base64
    string) or a Lambda Kinesis event record (``record["kinesis"]["data"]``, base64).
    """
    if "kinesis" in record:
        data: Any = record["kinesis"]["data"]
    else:
        data = record["Data"]
    if isinstance(data, str):
        data = base64.b64decode(data)
    return json.loads(data)
