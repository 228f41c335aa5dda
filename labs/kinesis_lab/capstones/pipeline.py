"""The plumbing every capstone shares: a producer that survives throttling, a consumer that
checkpoints, and a driver that plays events on the lab clock.

Why: a capstone is producer → Kinesis data stream → consumer(s), and the hard parts are the same
in all three — PutRecords partially fails under load (F1, F5), a consumer must remember where it
was (a KCL-style lease table in DynamoDB, F28), read parents before children after a reshard
(F22), wait about a second after a read throttle (F66) and survive an expired iterator (F9). The
lessons M3-M6 teach each piece; here they are assembled once, tested, and reused, so the
capstone notebooks can stay about the use case.

Time is the lab clock (:mod:`kinesis_lab.core.clock`). Generators' events carry ``ts_ms`` (event
time); :func:`play` hands each second of events to the producer when that second is over — as a
producer that buffers for a second would — and lets every consumer poll once, so "how many
seconds after it happened did we react" is measurable.
"""

from __future__ import annotations

import json
import random
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..clients.readers import list_all_shards, parents_first
from ..clients.resources import (  # noqa: F401  (the capstone notebooks import these chores from here)
    delete_bucket,
    delete_delivery_stream,
    recreate_bucket,
    recreate_delivery_stream,
    recreate_table,
)
from ..core import clock
from ..core.facts import (
    GET_RECORDS_MAX_RECORDS,
    PUT_RECORDS_MAX_RECORDS,
    PUT_RECORDS_MAX_REQUEST_BYTES,
)
from ..data.records import batched, entry_size
from ..patterns.delivery import plain
from ..patterns.producers import backoff_delay

THROTTLED = "ProvisionedThroughputExceededException"
SHARD_END = "SHARD_END"  # the KCL's checkpoint for a shard that was read to its end
LEASE_KEY = "leaseKey"  # the KCL lease table's key attribute: one item per shard (F28)

Event = Mapping[str, Any]
Entry = dict[str, Any]

__all__ = [
    "LEASE_KEY",
    "SHARD_END",
    "CheckpointStore",
    "PlayReport",
    "Producer",
    "SendReport",
    "StreamConsumer",
    "describe_latencies",
    "event_slices",
    "key_safe_batches",
    "play",
    "recreate_checkpoint_table",
]

# ---------------------------------------------------------------------------------------------
# Producer: PutRecords, retrying only what failed, with back-off on the lab clock (F1, F5)
# ---------------------------------------------------------------------------------------------


def key_safe_batches(
    entries: Iterable[Entry],
    max_records: int = PUT_RECORDS_MAX_RECORDS,
    max_bytes: int = PUT_RECORDS_MAX_REQUEST_BYTES,
) -> list[list[Entry]]:
    """Split entries, in order, into PutRecords batches in which no partition key repeats.

    Why: when an entry fails and is resent, entries after it in the same request that
    succeeded are already stored — a later record of the *same key* would overtake it. With
    each key at most once per request, and the next request sent only when this one is fully
    written, per-key order survives retries (the alternative is PutRecord with
    SequenceNumberForOrdering, F7)."""
    batches: list[list[Entry]] = []
    batch: list[Entry] = []
    keys: set[str] = set()
    size = 0
    for entry in entries:
        entry_bytes = entry_size(entry)
        key = entry["PartitionKey"]
        full = len(batch) == max_records or size + entry_bytes > max_bytes
        if batch and (full or key in keys):
            batches.append(batch)
            batch, keys, size = [], set(), 0
        batch.append(entry)
        keys.add(key)
        size += entry_bytes
    if batch:
        batches.append(batch)
    return batches


@dataclass
class SendReport:
    """What a producer went through: requests, entries written and throttled, per lab second
    and per shard."""

    requests: int = 0
    records: int = 0  # entries handed to send()
    written: int = 0
    throttled: int = 0  # entry attempts refused with ProvisionedThroughputExceededException
    other_errors: int = 0  # entry attempts refused for another reason (InternalFailure)
    retried: int = 0  # entries sent again
    gave_up: int = 0  # entries still failing after the last attempt
    waited_s: float = 0.0  # time spent backing off, on the lab clock
    per_second: dict[int, Counter] = field(default_factory=lambda: defaultdict(Counter))
    per_shard: Counter = field(default_factory=Counter)

    def note(self, shard_id: str | None, error_code: str | None) -> None:
        second = int(clock.now())
        if error_code is None:
            self.written += 1
            self.per_shard[shard_id] += 1
            self.per_second[second][shard_id] += 1
        elif error_code == THROTTLED:
            self.throttled += 1
            self.per_second[second]["throttled"] += 1
        else:
            self.other_errors += 1
            self.per_second[second]["error"] += 1

    def timeline(self) -> list[dict[str, Any]]:
        """One row per lab second that saw a PutRecords call: ``second``, ``written`` (by
        shard, under ``shards``) and ``throttled`` entry attempts."""
        rows = []
        for second in sorted(self.per_second):
            counts = self.per_second[second]
            shards = {k: v for k, v in counts.items() if k not in ("throttled", "error")}
            rows.append(
                {
                    "second": second,
                    "written": sum(shards.values()),
                    "throttled": counts.get("throttled", 0),
                    "shards": dict(sorted(shards.items())),
                }
            )
        return rows

    def summary(self) -> str:
        return (
            f"{self.records:,} records in {self.requests:,} PutRecords requests: "
            f"{self.written:,} written, {self.throttled:,} throttled attempts "
            f"({self.retried:,} entries re-sent), {self.gave_up:,} given up; "
            f"{self.waited_s:.1f} s spent backing off"
        )


class Producer:
    """Sends entries with PutRecords and resends only the entries that failed, after an
    exponential back-off with jitter on the lab clock (F1, F5; lesson M3).

    ``keep_key_order=True`` sends :func:`key_safe_batches`, so a retry can never put a record
    behind a later record of the same partition key. The back-off waits on the lab clock: on a
    simulated clock it is instant, and time moves as it would on AWS.
    """

    def __init__(
        self,
        kinesis: Any,
        stream_name: str,
        *,
        keep_key_order: bool = False,
        max_attempts: int = 25,
        base_delay_s: float = 0.05,
        max_delay_s: float = 1.0,
        seed: int = 0,
    ) -> None:
        self.kinesis = kinesis
        self.stream_name = stream_name
        self.keep_key_order = keep_key_order
        self.max_attempts = max_attempts
        self.base_delay_s = base_delay_s
        self.max_delay_s = max_delay_s
        self.rng = random.Random(f"kinesis_lab.capstones.producer:{seed}")
        self.report = SendReport()

    def send(self, entries: Sequence[Entry]) -> list[dict[str, Any]]:
        """Write ``entries``; returns one result per entry, in order: ``ShardId`` and
        ``SequenceNumber``, or the last ``ErrorCode`` of an entry given up on."""
        entries = list(entries)
        self.report.records += len(entries)
        results: list[dict[str, Any]] = [{} for _ in entries]
        numbered = list(enumerate(entries))
        if self.keep_key_order:
            batches = key_safe_batches_numbered(numbered)
        else:
            batches = _numbered_batches(numbered)
        for batch in batches:
            self._send_batch(batch, results)
        return results

    def _send_batch(self, batch: list[tuple[int, Entry]], results: list[dict[str, Any]]) -> None:
        pending = batch
        attempt = 0
        while pending:
            attempt += 1
            answers = self._put(pending)
            failed = []
            for (index, entry), answer in zip(pending, answers, strict=True):
                code = answer.get("ErrorCode")
                self.report.note(answer.get("ShardId"), code)
                results[index] = answer
                if code is not None:
                    failed.append((index, entry))
            pending = failed
            if not pending:
                return
            if attempt >= self.max_attempts:
                self.report.gave_up += len(pending)
                return
            self.report.retried += len(pending)
            # attempt 1 is the first retry; backoff_delay counts retries from 0
            delay = backoff_delay(attempt - 1, self.base_delay_s, self.max_delay_s, self.rng)
            self.report.waited_s += delay
            clock.advance(delay)

    def _put(self, pending: list[tuple[int, Entry]]) -> list[dict[str, Any]]:
        self.report.requests += 1
        try:
            response = self.kinesis.put_records(
                StreamName=self.stream_name, Records=[entry for _, entry in pending]
            )
        except self.kinesis.exceptions.ProvisionedThroughputExceededException:
            # the SDK's own retries ran out: the whole request failed, every entry with it
            return [{"ErrorCode": THROTTLED} for _ in pending]
        return response["Records"]


def _numbered_batches(numbered: list[tuple[int, Entry]]) -> list[list[tuple[int, Entry]]]:
    positions = iter(numbered)
    return [[next(positions) for _ in batch] for batch in batched(entry for _, entry in numbered)]


def key_safe_batches_numbered(
    numbered: list[tuple[int, Entry]],
) -> list[list[tuple[int, Entry]]]:
    """:func:`key_safe_batches` for (position, entry) pairs."""
    positions = iter(numbered)
    return [
        [next(positions) for _ in batch]
        for batch in key_safe_batches(entry for _, entry in numbered)
    ]


# ---------------------------------------------------------------------------------------------
# Checkpoints: a KCL-style lease table in DynamoDB (F28)
# ---------------------------------------------------------------------------------------------


def recreate_checkpoint_table(dynamodb: Any, application: str) -> str:
    """(Re)create the lease table of a consumer application: like the KCL, one table per
    application, named after it, one item per shard keyed by ``leaseKey`` (F28)."""
    return recreate_table(dynamodb, application, LEASE_KEY)


class CheckpointStore:
    """Reads and writes checkpoints (and, optionally, the consumer's state) in a lease table.

    Each item: ``leaseKey`` (the shard id), ``checkpoint`` (the last sequence number handled,
    or ``SHARD_END``), ``leaseOwner`` (the worker), ``parentShardIds``, and ``state`` — a JSON
    snapshot of what the consumer keeps in memory for that shard, saved *with* the checkpoint
    so that a restart restores both together (lesson M5)."""

    def __init__(self, dynamodb: Any, table: str) -> None:
        self.dynamodb = dynamodb
        self.table = table

    def load(self, shard_id: str) -> tuple[str | None, Any]:
        """(checkpoint, state) for a shard; (None, None) when it was never checkpointed."""
        item = self.dynamodb.get_item(
            TableName=self.table, Key={LEASE_KEY: {"S": shard_id}}, ConsistentRead=True
        ).get("Item")
        if not item:
            return None, None
        state = json.loads(item["state"]["S"]) if "state" in item else None
        return item["checkpoint"]["S"], state

    def save(
        self,
        shard_id: str,
        checkpoint: str,
        *,
        owner: str,
        parents: Sequence[str] = (),
        state: Any = None,
    ) -> None:
        item: dict[str, Any] = {
            LEASE_KEY: {"S": shard_id},
            "checkpoint": {"S": checkpoint},
            "leaseOwner": {"S": owner},
        }
        if parents:
            item["parentShardIds"] = {"SS": sorted(parents)}
        if state is not None:
            item["state"] = {"S": json.dumps(state, separators=(",", ":"), sort_keys=True)}
        self.dynamodb.put_item(TableName=self.table, Item=item)

    def items(self) -> list[dict[str, Any]]:
        """Every lease, as plain values (the ``state`` JSON left as text), sorted by shard."""
        from boto3.dynamodb.types import TypeDeserializer

        deserializer = TypeDeserializer()
        found, kwargs = [], {"TableName": self.table, "ConsistentRead": True}
        while True:
            page = self.dynamodb.scan(**kwargs)
            for item in page.get("Items", []):
                found.append(plain({k: deserializer.deserialize(v) for k, v in item.items()}))
            if "LastEvaluatedKey" not in page:
                return sorted(found, key=lambda item: item[LEASE_KEY])
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


# ---------------------------------------------------------------------------------------------
# Consumer: GetRecords over every shard, checkpoints, parents first (F3, F9, F22, F28, F66)
# ---------------------------------------------------------------------------------------------

Handler = Callable[[dict[str, Any]], Any]


@dataclass
class ConsumerStats:
    polls: int = 0
    get_records_calls: int = 0
    records: int = 0
    throttled: int = 0  # GetRecords refused (5 calls/s or 2 MiB/s per shard, F2, F3)
    expired_iterators: int = 0  # F9
    checkpoints: int = 0
    max_millis_behind: int = 0


class NotAGetRecordsAnswer(TypeError):
    """A learner's ``read`` returned something that is not a GetRecords answer (or nothing)."""


class StreamConsumer:
    """A small, KCL-like consumer application for one stream.

    Each :meth:`poll` makes one GetRecords call per readable shard and hands every record (with
    a ``ShardId`` key added) to ``handler``. It

    - starts each shard after its checkpoint (``AFTER_SEQUENCE_NUMBER``), or at
      ``initial_position`` when there is none (F10);
    - checkpoints every ``checkpoint_every_polls`` polls that handled records, and ``SHARD_END``
      when a closed shard is read to its end;
    - reads a child shard only once its parents are finished (F22);
    - skips a shard whose read was throttled until the next poll — at least a second later in
      :func:`play` and :meth:`run_until_caught_up` (F66);
    - replaces an expired iterator (F9) with one after the last record it handled.

    ``snapshot(shard_id)`` (optional) returns JSON-able state to save with each checkpoint of
    that shard; ``restore(shard_id, state)`` gets it back when a new instance starts — the
    state and the position are always saved together.

    ``read(kinesis, stream_name, shard_id, iterator, checkpoint)`` (optional) is the learner's
    own read of a shard: one GetRecords answer, getting an iterator first when ``iterator`` is
    None (``AFTER_SEQUENCE_NUMBER`` of ``checkpoint``, or ``TRIM_HORIZON``). The capstones pass
    it so the GetShardIterator and GetRecords calls are the learner's; without it this class
    makes them itself.
    """

    def __init__(
        self,
        kinesis: Any,
        dynamodb: Any,
        stream_name: str,
        application: str,
        handler: Handler,
        *,
        worker: str = "worker-1",
        initial_position: str = "TRIM_HORIZON",
        checkpoint_every_polls: int = 1,
        limit: int = GET_RECORDS_MAX_RECORDS,
        snapshot: Callable[[str], Any] | None = None,
        restore: Callable[[str, Any], None] | None = None,
        read: Callable[..., Any] | None = None,
    ) -> None:
        if checkpoint_every_polls < 1:
            raise ValueError("checkpoint_every_polls is at least 1")
        self.kinesis = kinesis
        self.stream_name = stream_name
        self.application = application
        self.handler = handler
        self.worker = worker
        self.initial_position = initial_position
        self.checkpoint_every_polls = checkpoint_every_polls
        self.limit = limit
        self.snapshot = snapshot
        self.restore = restore
        self.read = read
        self.store = CheckpointStore(dynamodb, application)
        self.stats = ConsumerStats()
        self._iterators: dict[str, str] = {}
        self._started: set[str] = set()
        self._finished: set[str] = set()
        self._last_handled: dict[str, str] = {}  # shard → last sequence number handled
        self._checkpointed: dict[str, str | None] = {}
        self._polls_since_checkpoint: Counter = Counter()
        self._behind: dict[str, int] = {}
        self._parents: dict[str, tuple[str, ...]] = {}
        self._shards: list[Any] | None = None
        self._last_poll_records = 0
        self._last_poll_throttled = 0
        self._waiting_on_parents = 0

    # -- public --------------------------------------------------------------------------
    def poll(self) -> int:
        """One round: a GetRecords call per readable shard. Returns records handled.

        The shard list is cached, like the KCL's shard sync: it is listed again only after a
        shard was read to its end (a reshard: its children are now to be read)."""
        self.stats.polls += 1
        if self._shards is None:
            self._shards = parents_first(list_all_shards(self.kinesis, self.stream_name))
        shards = self._shards
        listed = {shard["ShardId"] for shard in shards}
        finished_before = len(self._finished)
        handled = throttled = waiting = 0
        for shard in shards:
            shard_id = shard["ShardId"]
            self._parents[shard_id] = tuple(
                shard[key] for key in ("ParentShardId", "AdjacentParentShardId") if shard.get(key)
            )
            if not self._start(shard_id):
                continue  # finished earlier (this instance or a previous one)
            if not all(self._start(p) is False for p in self._parents[shard_id] if p in listed):
                waiting += 1  # F22: a parent still has records to read
                continue
            outcome = self._read(shard_id)
            if outcome is None:
                throttled += 1
            else:
                handled += outcome
        if len(self._finished) > finished_before:
            self._shards = None  # list again: the children of a finished shard are next
        self._last_poll_records = handled
        self._last_poll_throttled = throttled
        self._waiting_on_parents = waiting
        return handled

    def caught_up(self) -> bool:
        """True when the last poll read nothing new, nothing was throttled or waiting, and
        every shard reported MillisBehindLatest 0."""
        return (
            self.stats.polls > 0
            and self._last_poll_records == 0
            and self._last_poll_throttled == 0
            and self._waiting_on_parents == 0
            and all(v == 0 for s, v in self._behind.items() if s not in self._finished)
        )

    def run_until_caught_up(self, max_polls: int = 120, interval_s: float = 1.0) -> int:
        """Poll every ``interval_s`` seconds of lab time until caught up; returns records."""
        handled = 0
        for _ in range(max_polls):
            clock.advance(interval_s)
            handled += self.poll()
            if self.caught_up():
                break
        return handled

    def checkpoint_all(self) -> None:
        """Checkpoint every shard that handled records since its last checkpoint (what a
        worker does on a clean shutdown)."""
        for shard_id in list(self._last_handled):
            self._checkpoint(shard_id)

    @property
    def finished_shards(self) -> set[str]:
        return set(self._finished)

    def millis_behind(self) -> dict[str, int]:
        return dict(sorted(self._behind.items()))

    # -- internals -----------------------------------------------------------------------
    def _start(self, shard_id: str) -> bool:
        """Load a shard's checkpoint (and state) the first time it is seen. False when the
        shard is finished."""
        if shard_id in self._finished:
            return False
        if shard_id not in self._started:
            self._started.add(shard_id)
            checkpoint, state = self.store.load(shard_id)
            self._checkpointed[shard_id] = checkpoint
            if state is not None and self.restore is not None:
                self.restore(shard_id, state)
            if checkpoint == SHARD_END:
                self._finished.add(shard_id)
                return False
        return True

    def _fresh_iterator(self, shard_id: str) -> str:
        position = self._last_handled.get(shard_id) or self._checkpointed.get(shard_id)
        kwargs: dict[str, Any] = {"StreamName": self.stream_name, "ShardId": shard_id}
        if position:
            kwargs.update(
                ShardIteratorType="AFTER_SEQUENCE_NUMBER", StartingSequenceNumber=position
            )
        else:
            kwargs.update(ShardIteratorType=self.initial_position)
        return self.kinesis.get_shard_iterator(**kwargs)["ShardIterator"]

    def _get_records(self, shard_id: str) -> dict[str, Any] | None:
        exceptions = self.kinesis.exceptions
        for _ in range(2):
            self.stats.get_records_calls += 1
            try:
                if self.read is not None:
                    return self._learners_read(shard_id)
                iterator = self._iterators.get(shard_id) or self._fresh_iterator(shard_id)
                return self.kinesis.get_records(ShardIterator=iterator, Limit=self.limit)
            except exceptions.ExpiredIteratorException:
                self.stats.expired_iterators += 1  # F9: start again after the last record
                self._iterators.pop(shard_id, None)
            except exceptions.ProvisionedThroughputExceededException:
                self.stats.throttled += 1  # F66: leave this shard until the next poll
                return None
        return None

    def _learners_read(self, shard_id: str) -> dict[str, Any]:
        position = self._last_handled.get(shard_id) or self._checkpointed.get(shard_id)
        answer = self.read(
            self.kinesis, self.stream_name, shard_id, self._iterators.get(shard_id), position
        )
        if not isinstance(answer, Mapping) or "Records" not in answer:
            raise NotAGetRecordsAnswer(type(answer).__name__)
        return dict(answer)

    def _read(self, shard_id: str) -> int | None:
        response = self._get_records(shard_id)
        if response is None:
            return None
        records = response.get("Records", [])
        for record in records:
            self.handler({**record, "ShardId": shard_id})
            self._last_handled[shard_id] = record["SequenceNumber"]
        self.stats.records += len(records)
        behind = int(response.get("MillisBehindLatest", 0) or 0)
        self._behind[shard_id] = behind
        self.stats.max_millis_behind = max(self.stats.max_millis_behind, behind)
        next_iterator = response.get("NextShardIterator")
        if records:
            self._polls_since_checkpoint[shard_id] += 1
        if next_iterator is None:  # a closed shard, read to its end
            self._iterators.pop(shard_id, None)
            self._finished.add(shard_id)
            self._behind.pop(shard_id, None)
            self._save(shard_id, SHARD_END)
        else:
            self._iterators[shard_id] = next_iterator
            if self._polls_since_checkpoint[shard_id] >= self.checkpoint_every_polls:
                self._checkpoint(shard_id)
        return len(records)

    def _checkpoint(self, shard_id: str) -> None:
        position = self._last_handled.get(shard_id)
        if position and position != self._checkpointed.get(shard_id):
            self._save(shard_id, position)

    def _save(self, shard_id: str, checkpoint: str) -> None:
        state = self.snapshot(shard_id) if self.snapshot is not None else None
        self.store.save(
            shard_id,
            checkpoint,
            owner=self.worker,
            parents=self._parents.get(shard_id, ()),
            state=state,
        )
        self._checkpointed[shard_id] = checkpoint
        self._polls_since_checkpoint[shard_id] = 0
        self.stats.checkpoints += 1


# ---------------------------------------------------------------------------------------------
# The driver: events → one-second slices → producer → consumers, on the lab clock
# ---------------------------------------------------------------------------------------------


def event_slices(
    events: Iterable[Event], slice_s: int = 1, ts_field: str = "ts_ms", origin: int | None = None
) -> list[tuple[int, list[Event]]]:
    """Events grouped by the ``slice_s``-second slice of event time they fall in:
    ``[(slice start in epoch seconds, events), …]`` in time order. Slices start at ``origin``
    (epoch seconds; by default the first event's whole second) and every ``slice_s`` seconds
    after it, so the same events make the same slices whatever the clock's start."""
    if slice_s < 1:
        raise ValueError("a slice is at least one second")
    groups: dict[int, list[Event]] = defaultdict(list)
    for event in events:
        second = int(event[ts_field]) // 1000
        if origin is None:
            origin = second
        groups[second - (second - origin) % slice_s].append(event)
    return sorted(groups.items())


@dataclass
class PlayReport:
    """How the producer kept up: per slice, how late its last record was written."""

    slices: int = 0
    events: int = 0
    delays: dict[int, float] = field(default_factory=dict)  # slice start → write delay (s)

    @property
    def max_delay_s(self) -> float:
        return max(self.delays.values(), default=0.0)

    def delay_at(self, second: int) -> float:
        return self.delays.get(second, 0.0)


def play(
    events: Iterable[Event],
    produce: Callable[[list[Event]], Any],
    consumers: Sequence[StreamConsumer] = (),
    *,
    slice_s: int = 1,
    ts_field: str = "ts_ms",
    on_slice: Callable[[int], Any] | None = None,
) -> PlayReport:
    """Play events on the lab clock. For each slice of event time ``[s, s + slice_s)``: wait
    until the slice is over (unless the producer is already late), ``produce`` its events,
    let every consumer poll once, then call ``on_slice(s)``.

    The report's delay of a slice is how long after the slice's end its last record was
    written: zero while the stream keeps up, growing when throttling holds the producer back.
    """
    report = PlayReport()
    for start, group in event_slices(events, slice_s, ts_field):
        due = start + slice_s
        now = clock.now()
        if now < due:
            clock.advance(due - now)
        produce(group)
        report.slices += 1
        report.events += len(group)
        report.delays[start] = round(clock.now() - due, 3)
        for consumer in consumers:
            consumer.poll()
        if on_slice is not None:
            on_slice(start)
    return report


def describe_latencies(seconds: Iterable[float]) -> dict[str, float]:
    """count, median, 95th percentile and maximum of latencies in seconds."""
    values = sorted(seconds)
    if not values:
        return {"count": 0, "median": 0.0, "p95": 0.0, "max": 0.0}
    p95 = values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))]
    return {
        "count": len(values),
        "median": round(statistics.median(values), 3),
        "p95": round(p95, 3),
        "max": round(values[-1], 3),
    }


# ---------------------------------------------------------------------------------------------
# Re-runnable resources: a bucket and a Firehose stream that a cell can create again
# ---------------------------------------------------------------------------------------------
