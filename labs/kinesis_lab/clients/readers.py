"""Reading a stream the way a careful consumer does, and showing its shards as a table.

Why: a lesson wants "every record in this shard" or "every record in the stream, in the
order a consumer must process them" without a page of iterator bookkeeping. These readers
follow ``NextShardIterator`` to the end of a shard and read parents before children after a
reshard (F22), exactly as a KCL worker would.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..core import clock
from ..core.facts import (
    GET_RECORDS_MAX_RECORDS,
    GET_RECORDS_THROTTLE_BACKOFF_SECONDS,
    HASH_KEY_SPACE,
)
from ..core.keys import hash_range, is_open

MAX_EMPTY_POLLS = 3


def list_all_shards(kinesis: Any, stream_name: str) -> list[dict[str, Any]]:
    """Every shard of a stream (open and closed), following ListShards pagination."""
    shards: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"StreamName": stream_name}
    while True:
        page = kinesis.list_shards(**kwargs)
        shards += page["Shards"]
        token = page.get("NextToken")
        if not token:
            return shards
        kwargs = {"NextToken": token}


def read_shard(
    kinesis: Any,
    stream_name: str,
    shard_id: str,
    iterator_type: str = "TRIM_HORIZON",
    limit: int = GET_RECORDS_MAX_RECORDS,
    **iterator_args: Any,
) -> list[dict[str, Any]]:
    """All records currently in a shard from the given position, following NextShardIterator.

    Stops when the shard is closed and fully read (no NextShardIterator) or when an open
    shard has nothing more (an empty response while caught up: MillisBehindLatest == 0).
    A throttled call is retried after waiting on the lab clock, as AWS advises (F66).
    """
    iterator = kinesis.get_shard_iterator(
        StreamName=stream_name, ShardId=shard_id, ShardIteratorType=iterator_type, **iterator_args
    )["ShardIterator"]
    records: list[dict[str, Any]] = []
    empty_polls = 0
    while iterator:
        response = _get_records_patiently(kinesis, iterator, limit)
        batch = response.get("Records", [])
        records += batch
        iterator = response.get("NextShardIterator")
        if batch:
            empty_polls = 0
            continue
        empty_polls += 1
        if response.get("MillisBehindLatest", 0) == 0 or empty_polls >= MAX_EMPTY_POLLS:
            break
    return records


def _get_records_patiently(kinesis: Any, iterator: str, limit: int) -> dict[str, Any]:
    while True:
        try:
            return kinesis.get_records(ShardIterator=iterator, Limit=limit)
        except kinesis.exceptions.ProvisionedThroughputExceededException:
            clock.advance(GET_RECORDS_THROTTLE_BACKOFF_SECONDS)


def parents_first(shards: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Shards ordered so that every parent comes before its children (F22)."""
    by_id = {s["ShardId"]: s for s in shards}
    ordered: list[Mapping[str, Any]] = []
    placed: set[str] = set()

    def place(shard: Mapping[str, Any]) -> None:
        if shard["ShardId"] in placed:
            return
        for key in ("ParentShardId", "AdjacentParentShardId"):
            parent = shard.get(key)
            if parent in by_id:
                place(by_id[parent])
        placed.add(shard["ShardId"])
        ordered.append(shard)

    for shard in sorted(by_id.values(), key=lambda s: s["ShardId"]):
        place(shard)
    return ordered


def read_stream(kinesis: Any, stream_name: str) -> list[dict[str, Any]]:
    """Every record in the stream, shard by shard, parents before children.

    Each record gets a "ShardId" key saying where it was read from.
    """
    records: list[dict[str, Any]] = []
    for shard in parents_first(list_all_shards(kinesis, stream_name)):
        for record in read_shard(kinesis, stream_name, shard["ShardId"]):
            records.append({**record, "ShardId": shard["ShardId"]})
    return records


@dataclass(frozen=True)
class ShardRow:
    shard_id: str
    state: str
    parent: str | None
    adjacent_parent: str | None
    starting_hash_key: int
    ending_hash_key: int

    @property
    def share_of_key_space(self) -> float:
        return (self.ending_hash_key - self.starting_hash_key + 1) / HASH_KEY_SPACE


class ShardTable:
    """The shards of a stream as a readable table (HTML in Jupyter, text with print)."""

    columns = ("ShardId", "State", "Parent", "StartingHashKey", "EndingHashKey", "Key space")

    def __init__(self, stream_name: str, rows: list[ShardRow]) -> None:
        self.stream_name = stream_name
        self.rows = rows

    @classmethod
    def from_shards(cls, stream_name: str, shards: Iterable[Mapping[str, Any]]) -> ShardTable:
        rows = []
        for shard in parents_first(shards):
            start, end = hash_range(shard)
            rows.append(
                ShardRow(
                    shard_id=shard["ShardId"],
                    state="OPEN" if is_open(shard) else "CLOSED",
                    parent=shard.get("ParentShardId"),
                    adjacent_parent=shard.get("AdjacentParentShardId"),
                    starting_hash_key=start,
                    ending_hash_key=end,
                )
            )
        return cls(stream_name, rows)

    @property
    def open_shards(self) -> list[ShardRow]:
        return [r for r in self.rows if r.state == "OPEN"]

    def _cells(self, row: ShardRow) -> tuple[str, ...]:
        parents = " + ".join(p for p in (row.parent, row.adjacent_parent) if p) or "—"
        return (
            row.shard_id,
            row.state,
            parents,
            str(row.starting_hash_key),
            str(row.ending_hash_key),
            f"{row.share_of_key_space:.1%}",
        )

    def __str__(self) -> str:
        table = [self.columns, *(self._cells(r) for r in self.rows)]
        widths = [max(len(line[i]) for line in table) for i in range(len(self.columns))]
        lines = ["  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in table]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return f"Stream {self.stream_name}: {len(self.open_shards)} open shard(s)\n" + "\n".join(
            lines
        )

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(c)}</th>" for c in self.columns)
        body = ""
        for row in self.rows:
            style = "" if row.state == "OPEN" else ' style="color:#888"'
            cells = "".join(f"<td>{html.escape(c)}</td>" for c in self._cells(row))
            body += f"<tr{style}>{cells}</tr>"
        caption = (
            f"Stream <b>{html.escape(self.stream_name)}</b>: {len(self.open_shards)} open shard(s)"
        )
        return f"<table><caption>{caption}</caption><tr>{head}</tr>{body}</table>"

    def __repr__(self) -> str:
        return str(self)


def shard_table(kinesis: Any, stream_name: str) -> ShardTable:
    """A table of the stream's shards: state, lineage, hash key range, share of key space."""
    return ShardTable.from_shards(stream_name, list_all_shards(kinesis, stream_name))
