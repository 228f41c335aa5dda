"""A SIMPLIFIED MODEL of how the Kinesis Client Library shares a stream among workers.

Why: the exam asks what the KCL keeps in DynamoDB and what happens when workers come and go
(F28): a **lease table named after the application**, **one lease per shard**, a
**checkpoint** in each lease, **extra workers idle**, a dead worker's lease **taken over**,
and child shards processed only **after their parents**. This module plays that out on a real
(mocked) DynamoDB table with the same ideas the KCL uses:

- a lease row per shard: ``leaseKey`` (the shard ID), ``leaseOwner``, ``leaseCounter``,
  ``checkpoint`` (``TRIM_HORIZON`` → a sequence number → ``SHARD_END``), parent shard IDs;
- a worker *renews* its leases by adding 1 to ``leaseCounter``;
- another worker that sees a lease's counter unchanged for longer than the failover time
  treats it as expired and *takes* it with a conditional write on the counter it saw
  (optimistic locking: of two workers racing for one lease, exactly one wins);
- each worker aims for its fair share, ceil(leases / workers): a worker below it takes free
  or expired leases, else steals one lease from a worker above it; extra workers stay idle;
- a lease whose parent shards have not reached ``SHARD_END`` waits.

Simplified on purpose — not the KCL's code or exact schema: no global secondary index, no
KCL 3.x worker-metrics or coordinator-state tables and no CPU-based balancing (F28), no
graceful hand-off, one stream, and a worker reads a whole shard per round. Time is the lab clock (:mod:`kinesis_lab.core.clock`).
"""

from __future__ import annotations

import html
import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from ..clients.readers import list_all_shards, read_shard
from ..clients.resources import recreate_table
from ..core import clock
from ..core.checks import FAIL_MARK, PASS_MARK
from ..core.keys import is_open
from .consumers import short_sequence_number
from .delivery import table_items

LEASE_KEY = "leaseKey"  # the KCL's lease table key: the shard ID
TRIM_HORIZON = "TRIM_HORIZON"  # a new lease starts at the oldest record
SHARD_END = "SHARD_END"  # a closed shard read to its end
# This model's failover time. The KCL has a setting for it (failoverTimeMillis); for its
# default, check the current AWS documentation.
FAILOVER_SECONDS = 10.0

_NAMES = {"#owner": "leaseOwner", "#counter": "leaseCounter", "#cp": "checkpoint"}


@dataclass(frozen=True)
class LeaseEvent:
    """Something a worker did to a lease, at a lab-clock time."""

    seconds: float
    worker: str
    shard_id: str
    what: str

    def __str__(self) -> str:
        return f"+{self.seconds:>4g} s  {self.worker:9} {self.shard_id:22} {self.what}"


class LeaseTable:
    """The lease table of one KCL application: a DynamoDB table named after it (F28)."""

    def __init__(self, dynamodb: Any, application_name: str) -> None:
        self.dynamodb = dynamodb
        self.application_name = application_name

    @property
    def table_name(self) -> str:
        """The KCL names the lease table after the application by default (F28)."""
        return self.application_name

    def create(self) -> str:
        """(Re)create the table, keyed by ``leaseKey``: re-running a lesson starts clean."""
        return recreate_table(self.dynamodb, self.table_name, LEASE_KEY)

    def delete(self) -> None:
        """The KCL never deletes its tables (F28): delete them yourself when done."""
        try:
            self.dynamodb.delete_table(TableName=self.table_name)
        except self.dynamodb.exceptions.ResourceNotFoundException:
            pass

    def sync_shards(self, shards: Iterable[dict[str, Any]]) -> list[str]:
        """One lease per shard that has none yet; returns the shard IDs that got one."""
        created = []
        for shard in shards:
            parents = [shard[k] for k in ("ParentShardId", "AdjacentParentShardId") if k in shard]
            item: dict[str, Any] = {
                LEASE_KEY: {"S": shard["ShardId"]},
                "checkpoint": {"S": TRIM_HORIZON},
                "leaseCounter": {"N": "0"},
                "parentShardIds": {"L": [{"S": p} for p in parents]},
            }
            try:
                self.dynamodb.put_item(
                    TableName=self.table_name,
                    Item=item,
                    ConditionExpression=f"attribute_not_exists({LEASE_KEY})",
                )
                created.append(shard["ShardId"])
            except self.dynamodb.exceptions.ConditionalCheckFailedException:
                pass
        return created

    def leases(self) -> list[dict[str, Any]]:
        """Every lease, as plain Python values, ordered by shard ID."""
        return table_items(self.dynamodb, self.table_name)

    def owners(self) -> dict[str, str | None]:
        return {lease[LEASE_KEY]: lease.get("leaseOwner") for lease in self.leases()}

    def view(self) -> LeaseView:
        return LeaseView(self.table_name, self.leases())

    # -- conditional writes (what makes two workers never own one lease) ---------------------

    def _update(self, shard_id: str, update: str, condition: str, values: dict[str, Any]) -> bool:
        try:
            self.dynamodb.update_item(
                TableName=self.table_name,
                Key={LEASE_KEY: {"S": shard_id}},
                UpdateExpression=update,
                ConditionExpression=condition,
                ExpressionAttributeNames={
                    name: attribute
                    for name, attribute in _NAMES.items()
                    if name in update or name in condition
                },
                ExpressionAttributeValues=values,
            )
            return True
        except self.dynamodb.exceptions.ConditionalCheckFailedException:
            return False

    def renew(self, shard_id: str, owner: str) -> bool:
        """Add 1 to the counter, if ``owner`` still owns the lease."""
        return self._update(
            shard_id,
            "SET #counter = #counter + :one",
            "#owner = :me",
            {":one": {"N": "1"}, ":me": {"S": owner}},
        )

    def take(self, shard_id: str, owner: str, seen_counter: int) -> bool:
        """Become the owner, if nobody changed the lease since its counter was ``seen``."""
        return self._update(
            shard_id,
            "SET #owner = :me, #counter = #counter + :one",
            "#counter = :seen",
            {":me": {"S": owner}, ":one": {"N": "1"}, ":seen": {"N": str(seen_counter)}},
        )

    def checkpoint(self, shard_id: str, owner: str, position: str) -> bool:
        """Save the position, if ``owner`` still owns the lease."""
        return self._update(
            shard_id, "SET #cp = :cp", "#owner = :me", {":cp": {"S": position}, ":me": {"S": owner}}
        )


class LeaseView:
    """A lease table as a readable table (HTML in Jupyter, text with print)."""

    columns = ("leaseKey", "leaseOwner", "leaseCounter", "checkpoint", "parents")

    def __init__(self, table_name: str, leases: Sequence[dict[str, Any]]) -> None:
        self.table_name = table_name
        self.leases = list(leases)

    def rows(self) -> list[tuple[str, ...]]:
        rows = []
        for lease in self.leases:
            checkpoint = lease.get("checkpoint", "")
            if checkpoint not in (TRIM_HORIZON, SHARD_END):
                checkpoint = short_sequence_number(checkpoint)
            rows.append(
                (
                    lease[LEASE_KEY],
                    lease.get("leaseOwner") or "— (no owner)",
                    str(lease.get("leaseCounter", 0)),
                    checkpoint,
                    " + ".join(lease.get("parentShardIds") or []) or "—",
                )
            )
        return rows

    def __str__(self) -> str:
        table = [self.columns, *self.rows()]
        widths = [max(len(row[i]) for row in table) for i in range(len(self.columns))]
        lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in table]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return f"Lease table {self.table_name!r} (DynamoDB)\n" + "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(c)}</th>" for c in self.columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>"
            for row in self.rows()
        )
        caption = f"Lease table <b>{html.escape(self.table_name)}</b> (DynamoDB)"
        return f"<table><caption>{caption}</caption><tr>{head}</tr>{body}</table>"


Handler = Callable[[str, str, dict[str, Any]], Any]  # (worker ID, shard ID, record)


@dataclass
class Worker:
    """One KCL worker (SIMPLIFIED MODEL): renews, takes and processes leases each round."""

    worker_id: str
    table: LeaseTable
    kinesis: Any
    stream_name: str
    handle: Handler
    failover_seconds: float = FAILOVER_SECONDS
    alive: bool = True
    events: list[LeaseEvent] = field(default_factory=list)
    _seen: dict[str, tuple[int, float]] = field(default_factory=dict)  # counter, since when
    _held: set[str] = field(default_factory=set)  # the leases this worker believes it holds

    def _event(self, shard_id: str, what: str, started: float) -> None:
        self.events.append(
            LeaseEvent(round(clock.now() - started, 3), self.worker_id, shard_id, what)
        )

    def run_once(self, started: float = 0.0) -> None:
        """One round: renew my leases, take what is free or expired, process my shards."""
        if not self.alive:
            return
        self.renew(started)
        self.take_leases(started)
        self.process(started)

    def kill(self) -> None:
        """The process dies: it stops renewing, and its leases expire after the failover time."""
        self.alive = False

    def renew(self, started: float = 0.0) -> None:
        """Renew every lease this worker believes it holds; a failed conditional write means
        another worker took it (this worker was too slow, or was thought dead)."""
        for shard_id in sorted(self._held):
            if not self.table.renew(shard_id, self.worker_id):
                self._held.discard(shard_id)
                self._event(shard_id, "lost the lease", started)

    def _expired(self, lease: dict[str, Any], now: float) -> bool:
        counter, since = self._seen[lease[LEASE_KEY]]
        return bool(lease.get("leaseOwner")) and now - since > self.failover_seconds

    def take_leases(self, started: float = 0.0) -> None:
        """Take free or expired leases up to my fair share, ceil(leases / workers); if none is
        free, steal one from a worker holding more than its share (one per round)."""
        now = clock.now()
        leases = [lease for lease in self.table.leases() if lease["checkpoint"] != SHARD_END]
        for lease in leases:
            counter = int(lease.get("leaseCounter", 0))
            seen = self._seen.get(lease[LEASE_KEY])
            if seen is None or seen[0] != counter:
                self._seen[lease[LEASE_KEY]] = (counter, now)
        live = [
            lease for lease in leases if lease.get("leaseOwner") and not self._expired(lease, now)
        ]
        workers = len({lease["leaseOwner"] for lease in live} | {self.worker_id})
        target = math.ceil(len(leases) / workers) if leases else 0
        mine = sum(1 for lease in leases if lease.get("leaseOwner") == self.worker_id)
        for lease in leases:
            if mine >= target:
                return
            owner = lease.get("leaseOwner")
            if owner == self.worker_id or (owner and not self._expired(lease, now)):
                continue
            if self.table.take(lease[LEASE_KEY], self.worker_id, int(lease["leaseCounter"])):
                self._held.add(lease[LEASE_KEY])
                mine += 1
                if owner:
                    quiet = now - self._seen[lease[LEASE_KEY]][1]
                    what = f"takes over from {owner} (no renewal for {quiet:g} s)"
                else:
                    what = "takes the free lease"
                self._event(lease[LEASE_KEY], what, started)
        held = Counter(
            lease["leaseOwner"] for lease in live if lease["leaseOwner"] != self.worker_id
        )
        if mine < target and held:
            victim, count = held.most_common(1)[0]
            if count > target:
                lease = next(lease for lease in live if lease["leaseOwner"] == victim)
                if self.table.take(lease[LEASE_KEY], self.worker_id, int(lease["leaseCounter"])):
                    self._held.add(lease[LEASE_KEY])
                    self._event(lease[LEASE_KEY], f"steals from {victim} to balance", started)

    def process(self, started: float = 0.0) -> None:
        """Read each owned shard from its checkpoint, parents first (F22)."""
        leases = {lease[LEASE_KEY]: lease for lease in self.table.leases()}
        shards = {
            shard["ShardId"]: shard for shard in list_all_shards(self.kinesis, self.stream_name)
        }
        for shard_id, lease in leases.items():
            if lease.get("leaseOwner") != self.worker_id or lease["checkpoint"] == SHARD_END:
                continue
            waiting = [
                parent
                for parent in lease.get("parentShardIds") or []
                if parent in leases and leases[parent]["checkpoint"] != SHARD_END
            ]
            if waiting:
                self._event(shard_id, f"waits: parent {', '.join(waiting)} not finished", started)
                continue
            checkpoint = lease["checkpoint"]
            if checkpoint == TRIM_HORIZON:
                records = read_shard(self.kinesis, self.stream_name, shard_id, TRIM_HORIZON)
            else:
                records = read_shard(
                    self.kinesis,
                    self.stream_name,
                    shard_id,
                    "AFTER_SEQUENCE_NUMBER",
                    StartingSequenceNumber=checkpoint,
                )
            for record in records:
                self.handle(self.worker_id, shard_id, record)
            closed = shard_id in shards and not is_open(shards[shard_id])
            position = SHARD_END if closed else (records[-1]["SequenceNumber"] if records else None)
            if position is not None and self.table.checkpoint(shard_id, self.worker_id, position):
                if position == SHARD_END:
                    self._held.discard(shard_id)
                shown = position if position == SHARD_END else short_sequence_number(position)
                self._event(shard_id, f"handled {len(records)}, checkpoint → {shown}", started)


def run_rounds(
    workers: Sequence[Worker], rounds: int, seconds_between: float, started: float
) -> list[LeaseEvent]:
    """Let every live worker run ``rounds`` times; the lab clock moves ``seconds_between``
    after each round. Returns what happened, in order."""
    before = {worker.worker_id: len(worker.events) for worker in workers}
    for _ in range(rounds):
        for worker in workers:
            worker.run_once(started)
        clock.advance(seconds_between)
    events = [event for worker in workers for event in worker.events[before[worker.worker_id] :]]
    return sorted(events, key=lambda event: event.seconds)


def idle_workers(workers: Sequence[Worker], table: LeaseTable) -> list[str]:
    """Live workers that own no lease: more workers than shards leaves some idle."""
    owners = set(table.owners().values())
    return [w.worker_id for w in workers if w.alive and w.worker_id not in owners]


def check_processing(handled: Sequence[tuple[str, str, Any]], expected: Iterable[Any]) -> bool:
    """Print whether every expected record ID was handled, and how many were handled twice.

    ``handled`` holds (worker ID, shard ID, record ID) in the order they were handled."""
    try:
        expected = list(expected)
        counts = Counter(record_id for _, _, record_id in handled)
        missing = [record_id for record_id in expected if record_id not in counts]
        twice = sum(count - 1 for count in counts.values() if count > 1)
        per_worker = Counter(worker for worker, _, _ in handled)
        ok = not missing
        mark = PASS_MARK if ok else FAIL_MARK
        print(f"{mark} {len(expected) - len(missing)} of {len(expected)} records handled")
        if missing:
            print(f"    never handled: {missing[:5]}{' …' if len(missing) > 5 else ''}")
        print(f"  handled twice: {twice}")
        print("  by worker: " + ", ".join(f"{w} {n}" for w, n in sorted(per_worker.items())))
        return ok
    except (ClientError, TypeError, ValueError) as error:
        print(f"{FAIL_MARK} could not check the processing ({type(error).__name__}).")
        return False
