"""The reading half of the simulated event source mapping: shards, batchers and batches.

SIMULATION support for :mod:`kinesis_lab.simulation.lambda_esm`. Why a module: it is the part
that speaks Kinesis — which shards to read and in which order (parents first, F22), where to
start (TRIM_HORIZON, LATEST, AT_TIMESTAMP), what to do when GetRecords is throttled (F3, F66)
or an iterator has expired (F9) — and that turns what it read into batches (BatchSize F34,
batching window F36, the 6 MB payload, tumbling windows F38). Each shard has
ParallelizationFactor batchers ("lanes", F35); a record goes to the lane of its partition
key's hash, so every key keeps its order while the lanes of one shard proceed independently.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from ..clients.readers import list_all_shards, parents_first
from ..core import clock
from ..core.facts import (
    ESM_POLL_INTERVAL_SECONDS,
    GET_RECORDS_MAX_RECORDS,
    GET_RECORDS_THROTTLE_BACKOFF_SECONDS,
    LAMBDA_SYNC_PAYLOAD_MAX_BYTES,
)
from ..core.keys import hash_key_for, is_open
from . import lambda_events as events
from .lambda_config import MappingSettings
from .lambda_events import LastResponse, StreamRecord

THROTTLED = ("ProvisionedThroughputExceededException", "LimitExceededException")
PARENT_KEYS = ("ParentShardId", "AdjacentParentShardId")


@dataclass
class Batch:
    """Records on their way to the function, with their retry bookkeeping (F37)."""

    records: list[StreamRecord]
    retries: int = 0  # failed invocations that count against MaximumRetryAttempts
    invocations: int = 0  # approximateInvokeCount
    bisected: bool = False
    last_response: LastResponse | None = None
    final_for_window: bool = False  # the closing invocation of a tumbling window (F38)


@dataclass
class Lane:
    """One of a shard's ParallelizationFactor batchers (F35)."""

    index: int
    buffer: deque[StreamRecord] = field(default_factory=deque)
    gathering_since: float | None = None  # when the batching window opened (F36)
    queue: list[Batch] = field(default_factory=list)  # the batch in hand, then bisect halves
    not_before: float = 0.0  # the next retry
    window_start: float | None = None  # the tumbling window being aggregated (F38)
    window_state: Any = field(default_factory=dict)

    @property
    def idle(self) -> bool:
        return not self.buffer and not self.queue and self.window_start is None


@dataclass
class Shard:
    shard_id: str
    parents: tuple[str, ...]
    lanes: list[Lane]
    start: dict[str, Any]  # GetShardIterator arguments for the first read
    closed: bool = False
    iterator: str | None = None
    last_read: str | None = None
    finished_reading: bool = False
    caught_up: bool = False
    read_not_before: float = 0.0
    throttled_reads: int = 0

    @property
    def buffered(self) -> int:
        return sum(len(lane.buffer) for lane in self.lanes)

    @property
    def drained(self) -> bool:
        """Read to its end and every record processed or discarded: children may start."""
        return self.finished_reading and all(lane.idle for lane in self.lanes)


@dataclass
class ShardPoller:
    """Reads a stream's shards with GetRecords and cuts what it reads into batches."""

    kinesis: Any
    stream_name: str
    stream_arn: str
    settings: MappingSettings
    invoke_identity_arn: str
    created_at: float
    shards: dict[str, Shard] = field(default_factory=dict)
    progress: int = 0  # grows whenever something was read; lets the driver detect a stall
    next_refresh: float = 0.0
    refresh_pending: bool = False  # a shard has ended: its children may be new

    @property
    def region(self) -> str:
        return self.stream_arn.split(":")[3]

    # -- shards --------------------------------------------------------------------------
    def refresh(self, at_creation: bool = False) -> None:
        """Track every shard; shards born after the mapping start at TRIM_HORIZON (F22).
        Lists shards at most once a second, and at once after a shard has ended."""
        now = clock.now()
        if not at_creation and not self.refresh_pending and now < self.next_refresh:
            return
        try:
            descriptions = list_all_shards(self.kinesis, self.stream_name)
        except ClientError as error:
            if at_creation or error.response["Error"]["Code"] not in THROTTLED:
                raise
            return  # ListShards throttled (F65): try again at the next poll
        self.next_refresh = now + ESM_POLL_INTERVAL_SECONDS
        self.refresh_pending = False
        for description in descriptions:
            known = self.shards.get(description["ShardId"])
            if known is not None:
                known.closed = not is_open(description)
                continue
            shard = Shard(
                description["ShardId"],
                tuple(description[key] for key in PARENT_KEYS if description.get(key)),
                [Lane(index) for index in range(self.settings.parallelization_factor)],
                {"ShardIteratorType": "TRIM_HORIZON"},
                closed=not is_open(description),
            )
            if at_creation:
                self._set_starting_position(shard)
            self.shards[shard.shard_id] = shard

    def _set_starting_position(self, shard: Shard) -> None:
        position = self.settings.starting_position
        if position == "AT_TIMESTAMP":
            timestamp = self.settings.starting_position_timestamp
            shard.start = {"ShardIteratorType": "AT_TIMESTAMP", "Timestamp": timestamp}
        elif position == "LATEST":
            if shard.closed:  # nothing will ever arrive after LATEST on a closed shard
                shard.finished_reading = True
                return
            shard.iterator = self.kinesis.get_shard_iterator(
                StreamName=self.stream_name, ShardId=shard.shard_id, ShardIteratorType="LATEST"
            )["ShardIterator"]
            self._remember_latest(shard)

    def _remember_latest(self, shard: Shard) -> None:
        """Note where LATEST points in a form that never expires, for when the LATEST
        iterator has expired (F9) before the first poll — Lambda polls all along; this
        simulation only when asked. That is after the last record already in the shard at
        the mapping's creation time (F10: AT_TIMESTAMP), else at that time."""
        shard.start = {"ShardIteratorType": "AT_TIMESTAMP", "Timestamp": self.created_at}
        try:
            iterator = self.kinesis.get_shard_iterator(
                StreamName=self.stream_name, ShardId=shard.shard_id, **shard.start
            )["ShardIterator"]
            while iterator:
                page = self.kinesis.get_records(
                    ShardIterator=iterator, Limit=GET_RECORDS_MAX_RECORDS
                )
                if not page["Records"]:
                    break
                shard.last_read = page["Records"][-1]["SequenceNumber"]
                iterator = page.get("NextShardIterator")
        except ClientError as error:
            if error.response["Error"]["Code"] not in THROTTLED:
                raise

    def ready_shards(self) -> list[Shard]:
        """Shards whose parents are drained (F22), parents first."""
        ordered = parents_first(
            {"ShardId": s.shard_id, **dict(zip(PARENT_KEYS, s.parents, strict=False))}
            for s in self.shards.values()
        )
        ready = []
        for description in ordered:
            shard = self.shards[description["ShardId"]]
            parents = [self.shards[p] for p in shard.parents if p in self.shards]
            if all(parent.drained for parent in parents):
                ready.append(shard)
        return ready

    # -- reading -------------------------------------------------------------------------
    def read_room(self, shard: Shard) -> int:
        """How many records to ask for: enough for one batch per lane, at most 10,000 (F3)."""
        wanted = self.settings.batch_size * self.settings.parallelization_factor
        return min(GET_RECORDS_MAX_RECORDS, wanted - shard.buffered)

    def read(self, shard: Shard) -> None:
        """One GetRecords call. Throttling backs off about 1 s on the lab clock (F3, F66); an
        expired iterator is replaced from the last record read (F9)."""
        now = clock.now()
        room = self.read_room(shard)
        if shard.finished_reading or now < shard.read_not_before or room <= 0:
            return
        try:
            response = self._get_records(shard, room)
        except ClientError as error:
            if error.response["Error"]["Code"] not in THROTTLED:
                raise
            shard.throttled_reads += 1
            shard.read_not_before = now + GET_RECORDS_THROTTLE_BACKOFF_SECONDS
            return
        records = response.get("Records", [])
        shard.iterator = response.get("NextShardIterator")
        for entry in records:
            record = events.stream_record(
                entry,
                shard_id=shard.shard_id,
                region=self.region,
                stream_arn=self.stream_arn,
                invoke_identity_arn=self.invoke_identity_arn,
            )
            lane = shard.lanes[hash_key_for(record.partition_key) % len(shard.lanes)]
            if not lane.buffer:
                lane.gathering_since = now
            lane.buffer.append(record)
        if records:
            shard.last_read = records[-1]["SequenceNumber"]
            self.progress += 1
        at_end = shard.closed and not records and response.get("MillisBehindLatest", 0) == 0
        if shard.iterator is None or at_end:  # at_end: stock moto never ends a closed shard
            shard.finished_reading = True
            self.refresh_pending = True  # its children may be new: list shards at once
            self.progress += 1
        shard.caught_up = not records

    def _get_records(self, shard: Shard, limit: int) -> dict[str, Any]:
        for _ in range(2):
            if shard.iterator is None:
                shard.iterator = self._new_iterator(shard)
            try:
                return self.kinesis.get_records(ShardIterator=shard.iterator, Limit=limit)
            except ClientError as error:
                if error.response["Error"]["Code"] != "ExpiredIteratorException":
                    raise
                shard.iterator = None
        raise RuntimeError(f"{shard.shard_id}: a fresh shard iterator expired at once")

    def _new_iterator(self, shard: Shard) -> str:
        arguments: dict[str, Any] = dict(shard.start)
        if shard.last_read is not None:
            arguments = {
                "ShardIteratorType": "AFTER_SEQUENCE_NUMBER",
                "StartingSequenceNumber": shard.last_read,
            }
        return self.kinesis.get_shard_iterator(
            StreamName=self.stream_name, ShardId=shard.shard_id, **arguments
        )["ShardIterator"]

    # -- batching ------------------------------------------------------------------------
    def window_of(self, record: StreamRecord) -> float:
        """The tumbling window of a record: from its arrival, aligned to the epoch (F38)."""
        size = self.settings.tumbling_window_seconds
        return math.floor(record.arrival / size) * size

    def take_batch(self, shard: Shard, lane: Lane, now: float) -> Batch | None:
        """A lane's next batch, once it is complete or its batching window has passed (F36);
        with tumbling windows, the final invocation of a window that has ended (F38)."""
        tumbling = self.settings.tumbling_window_seconds > 0
        if tumbling and lane.window_start is not None and self._window_ended(shard, lane, now):
            return Batch([], final_for_window=True)
        if not lane.buffer:
            return None
        taken, complete = self._cut(lane)
        waited = now - (lane.gathering_since or now)
        if not complete and waited < self.settings.maximum_batching_window_seconds:
            return None
        for _ in taken:
            lane.buffer.popleft()
        lane.gathering_since = now if lane.buffer else None
        if tumbling:
            lane.window_start = self.window_of(taken[0])
        return Batch(taken)

    def _cut(self, lane: Lane) -> tuple[list[StreamRecord], bool]:
        """The records of the lane's next batch, and whether that batch is complete: BatchSize
        records (F34), the 6 MB payload, or (tumbling) the end of the window's records."""
        tumbling = self.settings.tumbling_window_seconds > 0
        window = self.window_of(lane.buffer[0]) if tumbling else None
        taken: list[StreamRecord] = []
        size = events.EMPTY_EVENT_BYTES
        for record in lane.buffer:
            if len(taken) == self.settings.batch_size:
                break
            if taken and size + record.event_bytes > LAMBDA_SYNC_PAYLOAD_MAX_BYTES:
                break
            if tumbling and self.window_of(record) != window:
                break
            taken.append(record)
            size += record.event_bytes
        return taken, len(taken) < len(lane.buffer) or len(taken) == self.settings.batch_size

    def _window_ended(self, shard: Shard, lane: Lane, now: float) -> bool:
        """A later window's record is waiting, the shard ended (resharding closes the window),
        or the window's end has passed with nothing more to read."""
        assert lane.window_start is not None
        if lane.buffer:
            return self.window_of(lane.buffer[0]) != lane.window_start
        end = lane.window_start + self.settings.tumbling_window_seconds
        return shard.finished_reading or (shard.caught_up and now >= end)

    # -- when is something due? ----------------------------------------------------------
    def next_due(self, now: float) -> float | None:
        """The earliest lab time at which polling again would do something; None when idle."""
        due: list[float] = [now] if self.refresh_pending else []
        for shard in self.ready_shards():
            if shard.drained:
                continue
            if not shard.finished_reading and not shard.caught_up and self.read_room(shard) > 0:
                due.append(max(now, shard.read_not_before))
            for lane in shard.lanes:
                lane_due = self._lane_due(shard, lane, now)
                if lane_due is not None:
                    due.append(max(now, lane_due))
        return min(due) if due else None

    def _lane_due(self, shard: Shard, lane: Lane, now: float) -> float | None:
        if lane.queue:
            return lane.not_before
        if lane.buffer:
            if lane.window_start is not None and self._window_ended(shard, lane, now):
                return now
            _, complete = self._cut(lane)
            opened = lane.gathering_since or now
            return now if complete else opened + self.settings.maximum_batching_window_seconds
        if lane.window_start is not None:
            if shard.finished_reading:
                return now
            if shard.caught_up:
                return lane.window_start + self.settings.tumbling_window_seconds
        return None
