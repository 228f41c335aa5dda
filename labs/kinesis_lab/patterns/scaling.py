"""Scaling a provisioned stream: drive load, find the hot shard, choose where to split it, and
know UpdateShardCount's rules.

Why: a shard takes 1 MB/s or 1,000 records/s of writes (F1). A few busy partition keys that hash
into the same shard — low-cardinality keys such as a hashtag, a site or a merchant — push that
one shard over its limit while the others idle: a *hot shard*. Enhanced shard-level metrics
show which one (F26); SplitShard at the right hash key cures it (F22); UpdateShardCount only
scales every shard evenly, within limits (F21). Lesson M6 plays this out:

- :func:`drive_load` — a producer sending a fixed number of records per second per key with
  PutRecords on the lab clock, logging what each shard was offered, accepted and refused;
- :func:`hottest_shard` and friends — read the shard-level metric rows
  (:func:`kinesis_lab.simulation.metrics.shard_metrics`) the way a CloudWatch graph is read;
- :func:`keys_in_shard`, :func:`child_loads`, :func:`balanced_split_point` and
  :func:`check_split_point` — where to split, and the check for the learner's answer;
- :func:`update_shard_count_problems` and :class:`ScalingGuard` — F21's limits, including a
  count of the 10 scalings per rolling 24 hours (the guard counts; it never calls AWS);
- :func:`check_merge`, :func:`check_shard_count` — checks of the learner's own MergeShards and
  UpdateShardCount calls, read from the account (shard lineage, open shard count);
  :func:`ensure_shard_count` is the lesson's fallback while that exercise is blank, and says so.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..clients.readers import list_all_shards
from ..core import clock
from ..core.checks import FAIL_MARK, PASS_MARK, TODO_MARK, could_not_check, is_blank
from ..core.checks import failed as _fail
from ..core.checks import not_yet as _not_yet
from ..core.facts import (
    DAY_SECONDS,
    SHARD_WRITE_RECORDS_PER_SEC,
    SHARDS_PER_STREAM_UPDATE_SHARD_COUNT_MAX,
    UPDATE_SHARD_COUNT_MAX_FACTOR_UP,
    UPDATE_SHARD_COUNT_MAX_SCALINGS_PER_24H,
)
from ..core.keys import hash_key_for, hash_range, is_open, shard_for_key

WRITE_THROTTLED = "WriteProvisionedThroughputExceeded"

# ---------------------------------------------------------------------------------------------
# Load: a producer sending so many records per second per key (on the lab clock)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SecondLoad:
    """What one shard was offered, accepted and refused in one second of the load."""

    second: int
    shard_id: str
    offered: int
    accepted: int
    throttled: int


@dataclass
class LoadLog:
    """Everything :func:`drive_load` sent, second by second and shard by shard."""

    rows: list[SecondLoad] = field(default_factory=list)
    offered_by_key: Counter = field(default_factory=Counter)
    seconds: int = 0
    next_seq: Counter = field(default_factory=Counter)  # per key: the next record's "seq"
    marks: dict[int, str] = field(default_factory=dict)  # second → label (e.g. "split")

    def key_rates(self) -> dict[str, float]:
        """Average records per second each partition key offered."""
        if not self.seconds:
            return {}
        return {key: count / self.seconds for key, count in self.offered_by_key.items()}

    def shard_ids(self) -> list[str]:
        return sorted({row.shard_id for row in self.rows})

    def totals(self, first: int = 0, last: int | None = None) -> dict[str, dict[str, int]]:
        """Per shard: offered, accepted, throttled over seconds ``first`` … ``last``."""
        totals: dict[str, dict[str, int]] = defaultdict(
            lambda: {"offered": 0, "accepted": 0, "throttled": 0}
        )
        for row in self.rows:
            if row.second < first or (last is not None and row.second > last):
                continue
            totals[row.shard_id]["offered"] += row.offered
            totals[row.shard_id]["accepted"] += row.accepted
            totals[row.shard_id]["throttled"] += row.throttled
        return dict(sorted(totals.items()))

    def throttled_seconds(self, first: int = 0, last: int | None = None) -> int:
        """How many seconds had at least one refused record, on any shard."""
        return len(
            {
                row.second
                for row in self.rows
                if row.throttled and row.second >= first and (last is None or row.second <= last)
            }
        )

    def table(self, first: int = 0, last: int | None = None) -> str:
        """Per-shard totals as text, with records per second."""
        end = self.seconds - 1 if last is None else last
        span = max(end - first + 1, 1)
        rows = [("shard", "offered/s", "accepted/s", "throttled/s")]
        for shard_id, total in self.totals(first, last).items():
            rows.append(
                (
                    shard_id,
                    f"{total['offered'] / span:,.0f}",
                    f"{total['accepted'] / span:,.0f}",
                    f"{total['throttled'] / span:,.0f}",
                )
            )
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        lines = [
            "  ".join(
                c.rjust(w) if i else c.ljust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
            for row in rows
        ]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join(lines)


def interleaved_keys(key_rates: Mapping[str, int]) -> list[str]:
    """One second of traffic: each key as often as its rate, mixed as real traffic is (round
    robin), so no key is favoured when a shard runs out of capacity mid-second."""
    remaining = {key: int(rate) for key, rate in key_rates.items() if int(rate) > 0}
    order: list[str] = []
    while remaining:
        for key in list(remaining):
            order.append(key)
            remaining[key] -= 1
            if not remaining[key]:
                del remaining[key]
    return order


def post(key: str, seq: int) -> bytes:
    """A small social-media post as compact JSON (about 100 bytes)."""
    return json.dumps(
        {"hashtag": key, "seq": seq, "text": f"post {seq} about {key}"}, separators=(",", ":")
    ).encode()


def drive_load(
    kinesis: Any,
    stream_name: str,
    key_rates: Mapping[str, int],
    seconds: int,
    advance: Callable[[float], Any],
    *,
    log: LoadLog | None = None,
    payload: Callable[[str, int], bytes] = post,
    batch_size: int = 500,
) -> LoadLog:
    """Send ``key_rates[key]`` records per second for each key, for ``seconds`` seconds.

    Each second's records go out with PutRecords (≤500 per call, F5); then ``advance(1)``
    moves the lab clock on (use ``lab.advance``). Refused entries (partial failures,
    ``ProvisionedThroughputExceededException``, F1) are counted, not retried: a real producer
    retries them (lesson M3), which only adds load. Pass the ``log`` of an earlier run to
    continue it — seconds and each key's ``seq`` numbering go on.
    """
    log = log or LoadLog()
    order = interleaved_keys(key_rates)
    for _ in range(seconds):
        shards = list_all_shards(kinesis, stream_name)
        target_of = {key: shard_for_key(key, shards) for key in key_rates}
        offered: Counter = Counter()
        accepted: Counter = Counter()
        throttled: Counter = Counter()
        entries = []
        for key in order:
            log.next_seq[key] += 1
            entries.append({"PartitionKey": key, "Data": payload(key, log.next_seq[key])})
            log.offered_by_key[key] += 1
            offered[target_of[key]] += 1
        for start in range(0, len(entries), batch_size):
            batch = entries[start : start + batch_size]
            response = kinesis.put_records(StreamName=stream_name, Records=batch)
            for entry, result in zip(batch, response["Records"], strict=True):
                if "ShardId" in result:
                    accepted[result["ShardId"]] += 1
                else:
                    throttled[target_of[entry["PartitionKey"]]] += 1
        for shard_id in sorted(offered):
            log.rows.append(
                SecondLoad(
                    log.seconds,
                    shard_id,
                    offered[shard_id],
                    accepted[shard_id],
                    throttled[shard_id],
                )
            )
        log.seconds += 1
        advance(1)
    return log


# ---------------------------------------------------------------------------------------------
# Reading shard-level metrics (rows of kinesis_lab.simulation.metrics.shard_metrics)
# ---------------------------------------------------------------------------------------------


def metric_by_shard(rows: Iterable[Mapping[str, Any]], metric: str) -> dict[str, float]:
    """One metric per shard over all the rows' minutes: Sum, or Maximum for the metrics read
    with Maximum (IteratorAgeMilliseconds, F26)."""
    result: dict[str, float] = {}
    for row in rows:
        if row["metric"] != metric:
            continue
        shard_id, value = row["shard_id"], float(row["value"])
        if row.get("statistic") == "Maximum":
            result[shard_id] = max(result.get(shard_id, value), value)
        else:
            result[shard_id] = result.get(shard_id, 0.0) + value
    return dict(sorted(result.items()))


def hottest_shard(rows: Iterable[Mapping[str, Any]], metric: str = WRITE_THROTTLED) -> str | None:
    """The shard with the most throttled writes (None when nothing was throttled)."""
    by_shard = {shard: value for shard, value in metric_by_shard(rows, metric).items() if value}
    if not by_shard:
        return None
    return max(by_shard, key=lambda shard: (by_shard[shard], shard))


# ---------------------------------------------------------------------------------------------
# Where to split (F22)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyLoad:
    """One partition key inside a shard: its hash key, where it sits, how busy it is."""

    key: str
    hash_key: int
    position: float  # 0.0 = the shard's StartingHashKey, 1.0 = its EndingHashKey
    rate: float  # records per second


def keys_in_shard(shard: Mapping[str, Any], key_rates: Mapping[str, float]) -> list[KeyLoad]:
    """The keys whose hash key falls in the shard's range, ordered by hash key."""
    start, end = hash_range(shard)
    found = []
    for key, rate in key_rates.items():
        hash_key = hash_key_for(key)
        if start <= hash_key <= end:
            found.append(KeyLoad(key, hash_key, (hash_key - start) / (end - start), float(rate)))
    return sorted(found, key=lambda load: load.hash_key)


def key_table(
    shard: Mapping[str, Any], key_rates: Mapping[str, float], min_share: float = 0.1
) -> str:
    """The shard's busy keys (at least ``min_share`` of the busiest key's rate), in hash-key
    order, as text: what a learner chooses a split point from. Quieter keys are summed up."""
    loads = keys_in_shard(shard, key_rates)
    busiest = max((load.rate for load in loads), default=0.0)
    rows = [("partition key", "records/s", "position", "hash key")]
    quiet_rate, quiet_count = 0.0, 0
    for load in loads:
        if load.rate >= busiest * min_share:
            rows.append((load.key, f"{load.rate:,.0f}", f"{load.position:.1%}", str(load.hash_key)))
        else:
            quiet_rate += load.rate
            quiet_count += 1
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    if quiet_count:
        keys = "key" if quiet_count == 1 else "keys"
        lines.append(
            f"(+ {quiet_count} quieter {keys} spread over the range: {quiet_rate:,.0f} records/s "
            "in all)"
        )
    return "\n".join(lines)


def child_loads(
    shard: Mapping[str, Any], key_rates: Mapping[str, float], new_starting_hash_key: int
) -> tuple[float, float]:
    """Records per second each child would take after SplitShard at ``new_starting_hash_key``:
    the lower child keeps hash keys below it, the upper child starts at it (F22)."""
    lower = upper = 0.0
    for load in keys_in_shard(shard, key_rates):
        if load.hash_key < new_starting_hash_key:
            lower += load.rate
        else:
            upper += load.rate
    return lower, upper


def even_split_point(shard: Mapping[str, Any]) -> int:
    """The middle of the shard's range: an even split of the key space, not of the load."""
    start, end = hash_range(shard)
    return (start + end + 1) // 2


def balanced_split_point(shard: Mapping[str, Any], key_rates: Mapping[str, float]) -> int:
    """A NewStartingHashKey that shares the shard's load as evenly as its keys allow.

    Sort the keys by hash key, find the cut that best halves their records per second (the
    weighted median) and start the upper child at the hash key of the first key above the
    cut. One key cannot be split: all its records share one hash key."""
    loads = keys_in_shard(shard, key_rates)
    if len(loads) < 2:
        raise ValueError("fewer than two keys in this shard: no split can share one key's load")
    total = sum(load.rate for load in loads)
    best_index, best_peak, running = 1, float("inf"), 0.0
    for index in range(1, len(loads)):
        running += loads[index - 1].rate
        peak = max(running, total - running)
        if peak < best_peak:
            best_index, best_peak = index, peak
    start, end = hash_range(shard)
    split = loads[best_index].hash_key
    if not start < split < end:  # a key on the very edge: cut halfway to its neighbour
        split = (loads[best_index - 1].hash_key + loads[best_index].hash_key + 1) // 2
    return split


def _as_hash_key(answer: Any) -> int | None:
    if isinstance(answer, bool):
        return None
    if isinstance(answer, int):
        return answer
    if isinstance(answer, str) and answer.strip().isdigit():
        return int(answer.strip())
    return None


def check_split_point(
    answer: Any,
    shard: Mapping[str, Any],
    key_rates: Mapping[str, float],
    limit: float = SHARD_WRITE_RECORDS_PER_SEC,
) -> bool:
    """Check a learner's NewStartingHashKey for the hot shard: inside the range (as SplitShard
    requires) and leaving both children under ``limit`` records per second (F1). Prints ✓ / ✗
    / "not yet" with a hint; never raises."""
    try:
        if is_blank(answer):
            print(f"{TODO_MARK} split point: not yet — replace the ... with a hash key.")
            return False
        split = _as_hash_key(answer)
        if split is None:
            print(f"{FAIL_MARK} split point: {str(answer)[:60]!r} is not a hash key")
            print("    hint: a hash key is a whole number (an int, or its decimal string).")
            return False
        start, end = hash_range(shard)
        if not start < split < end:
            print(f"{FAIL_MARK} split point {split} is outside {shard['ShardId']}'s range")
            print(
                "    hint: SplitShard needs StartingHashKey < NewStartingHashKey < EndingHashKey; "
                "take it from the table of this shard's keys."
            )
            return False
        lower, upper = child_loads(shard, key_rates, split)
        loads = f"lower child ≈ {lower:,.0f} records/s, upper child ≈ {upper:,.0f} records/s"
        if lower <= limit and upper <= limit:
            print(f"{PASS_MARK} split point: {loads} — both under {limit:,.0f} records/s (F1).")
            return True
        print(f"{FAIL_MARK} split point: {loads} — one child is still over {limit:,.0f} (F1).")
        if abs(split - even_split_point(shard)) <= (end - start) // 1000:
            hint = (
                "that is the middle of the range: it halves the key space, not the load. Look "
                "at where the busy keys sit."
            )
        else:
            hint = (
                "sort the busy keys by hash key; start the upper child at the hash key of the "
                "first key that should move, so about half of the records/s go each way."
            )
        print(f"    hint: {hint}")
        return False
    except Exception as error:  # a check must never stop the lesson
        print(f"{FAIL_MARK} could not check the split point ({type(error).__name__}).")
        return False


def one_key_split_note(key: str, rate: float, limit: float = SHARD_WRITE_RECORDS_PER_SEC) -> str:
    """Why no split helps a single key above the per-shard limit (F1; F63 on-demand too)."""
    verdict = "over" if rate > limit else "within"
    return (
        f"{key!r} alone sends {rate:,.0f} records/s — {verdict} the {limit:,.0f} records/s one "
        "shard takes (F1). Every record of a key has the same hash key, so wherever you split, "
        "they all land in the same child."
    )


# ---------------------------------------------------------------------------------------------
# UpdateShardCount (F21)
# ---------------------------------------------------------------------------------------------


def is_quarter_step(current: int, target: int) -> bool:
    """Whether ``target`` is a multiple of 25% of ``current`` (F21: fastest to complete)."""
    return current > 0 and (4 * target) % current == 0


def update_shard_count_problems(
    current: int, target: int, scalings_in_last_24h: int = 0, on_demand: bool = False
) -> list[str]:
    """Why UpdateShardCount would refuse ``current`` → ``target`` by default (F21); empty if
    allowed. A target that is not a multiple of 25% is allowed, only slower."""
    if on_demand:
        return ["UpdateShardCount is for provisioned streams only (F21)"]
    problems = []
    if scalings_in_last_24h >= UPDATE_SHARD_COUNT_MAX_SCALINGS_PER_24H:
        problems.append(
            f"already {scalings_in_last_24h} scalings in the last rolling 24 hours "
            f"(at most {UPDATE_SHARD_COUNT_MAX_SCALINGS_PER_24H}, F21)"
        )
    if target > current * UPDATE_SHARD_COUNT_MAX_FACTOR_UP:
        problems.append(f"more than double the current {current} shards (F21)")
    if target * UPDATE_SHARD_COUNT_MAX_FACTOR_UP < current:
        problems.append(f"below half the current {current} shards (F21)")
    if target > SHARDS_PER_STREAM_UPDATE_SHARD_COUNT_MAX:
        problems.append(f"more than {SHARDS_PER_STREAM_UPDATE_SHARD_COUNT_MAX:,} shards (F21)")
    return problems


@dataclass
class ScalingGuard:
    """F21's "at most 10 scalings per rolling 24 hours", counted where a lab can show it.

    A counter only: it never calls AWS. The lesson tells it about each UpdateShardCount call
    that succeeded (:meth:`record`) and prints :meth:`scalings_in_window`; the limits
    SIMULATION (:mod:`kinesis_lab.simulation.limits`) is what refuses the 11th scaling inside
    the mocked account, whatever client calls it. :meth:`problems` says what F21 would refuse
    next, with this count, without calling anything."""

    limit: int = UPDATE_SHARD_COUNT_MAX_SCALINGS_PER_24H
    history: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))

    def record(self, stream_name: str, now: float | None = None) -> int:
        """Count one successful scaling of ``stream_name`` now; the count in the window."""
        self.history[stream_name].append(clock.now() if now is None else now)
        return self.scalings_in_window(stream_name, now)

    def scalings_in_window(self, stream_name: str, now: float | None = None) -> int:
        now = clock.now() if now is None else now
        return sum(1 for moment in self.history[stream_name] if now - moment < DAY_SECONDS)

    def problems(self, stream_name: str, current: int, target: int) -> list[str]:
        """Why UpdateShardCount would refuse ``current`` → ``target`` now (F21); empty if not."""
        return update_shard_count_problems(
            current, target, scalings_in_last_24h=self.scalings_in_window(stream_name)
        )


def open_shard_count(kinesis: Any, stream_name: str) -> int:
    summary = kinesis.describe_stream_summary(StreamName=stream_name)["StreamDescriptionSummary"]
    return int(summary["OpenShardCount"])


def records_by_shard(records: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """How many of ``records`` (from :func:`kinesis_lab.clients.readers.read_stream`) each shard held."""
    return dict(sorted(Counter(record["ShardId"] for record in records).items()))


# ---------------------------------------------------------------------------------------------
# Checks of the learner's MergeShards and UpdateShardCount calls: they observe the account
# ---------------------------------------------------------------------------------------------


def check_merge(kinesis: Any, stream_name: str, parents: Sequence[str]) -> bool:
    """✓ when the two shards ``parents`` were merged: both CLOSED, and one OPEN child names
    them as ``ParentShardId`` and ``AdjacentParentShardId`` and covers both their ranges (F22).
    Read from ListShards; "not yet" while neither has a child."""
    label = f"merge of {' and '.join(parents)}"
    try:
        shards = list_all_shards(kinesis, stream_name)
        by_id = {shard["ShardId"]: shard for shard in shards}
        wanted = set(parents)
        children = [
            shard
            for shard in shards
            if {shard.get("ParentShardId"), shard.get("AdjacentParentShardId")} & wanted
        ]
        if not children:
            return _not_yet(label, "neither shard has a child yet.")
        merged = [
            shard
            for shard in children
            if {shard.get("ParentShardId"), shard.get("AdjacentParentShardId")} == wanted
        ]
        if not merged:
            return _fail(
                label,
                f"{', '.join(sorted(s['ShardId'] for s in children))} came from another "
                "reshard, not from merging these two shards",
                "MergeShards(ShardToMerge=one, AdjacentShardToMerge=the other)",
            )
        child = merged[0]
        still_open = sorted(p for p in wanted if p in by_id and is_open(by_id[p]))
        if still_open or not is_open(child):
            return _fail(label, "the parents should be CLOSED and the child OPEN")
        low, high = hash_range(child)
        print(
            f"{PASS_MARK} {label}: both CLOSED; their child {child['ShardId']} is OPEN and "
            f"covers hash keys {low} … {high}"
        )
        return True
    except Exception as error:  # a check must never stop the lesson
        return could_not_check(label, error)


def check_shard_count(kinesis: Any, stream_name: str, before: int, target: int) -> bool:
    """✓ when the stream has ``target`` OPEN shards (DescribeStreamSummary's OpenShardCount);
    "not yet" while it still has ``before``."""
    label = f"UpdateShardCount of {stream_name!r}"
    try:
        summary = kinesis.describe_stream_summary(StreamName=stream_name)
        count = int(summary["StreamDescriptionSummary"]["OpenShardCount"])
        if count == before:
            return _not_yet(label, f"it still has {before} open shards.")
        if count != target:
            return _fail(label, f"{count} open shards, not {target}")
        print(f"{PASS_MARK} {label}: {before} → {count} open shards")
        return True
    except Exception as error:  # a check must never stop the lesson
        return could_not_check(label, error)


def ensure_shard_count(kinesis: Any, stream_name: str, target: int) -> bool:
    """Fallback: scale the stream to ``target`` open shards when the learner has not (yet),
    saying so; True when it made the call."""
    if open_shard_count(kinesis, stream_name) == target:
        return False
    kinesis.update_shard_count(
        StreamName=stream_name, TargetShardCount=target, ScalingType="UNIFORM_SCALING"
    )
    # UPDATING until done; the next change would get ResourceInUseException (F120)
    kinesis.get_waiter("stream_exists").wait(
        StreamName=stream_name, WaiterConfig={"Delay": 1, "MaxAttempts": 120}
    )
    print(
        f"(so that the lesson can go on, the lab scaled {stream_name} to {target} shards for you)"
    )
    return True
