"""A polling consumer, written the way the exam expects one: iterators, checkpoints, throttles.

Why: lesson M4 builds a Kinesis Data Streams consumer from the API up — GetShardIterator, a
GetRecords loop that follows NextShardIterator, a checkpoint after each batch — and then meets
the three things that break a naive loop:

- ``ProvisionedThroughputExceededException``: 5 GetRecords calls per second per shard, and a
  10 MiB answer blocks the next seconds (F3); the cure is to wait about 1 s (F66);
- ``ExpiredIteratorException``: an iterator lives 5 minutes (F9); the cure is a fresh iterator
  ``AFTER_SEQUENCE_NUMBER`` of the last checkpoint (F10);
- the end of a closed shard: no ``NextShardIterator``, and ``ChildShards`` to move on to (F22).

Here: a checkpoint file (what the KCL keeps in its DynamoDB lease table, F28), the poll loop
(:func:`poll_shard`), the reference re-acquire (:func:`iterator_after`) and the checks of the
learner's own loops (:func:`check_first_polls`, :func:`check_scenario`). Time is the lab clock
(:mod:`kinesis_lab.core.clock`): the waits are instant on a simulated clock. Errors are
recognised by their code, so the loop works with any client — the lab's (whose SDK retries
throttles by itself) or one with retries off (:func:`no_retry_client`), which shows each
throttle as AWS sends it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from ..clients.readers import list_all_shards
from ..core import clock
from ..core.checks import FAIL_MARK, PASS_MARK, TODO_MARK
from ..core.facts import GET_RECORDS_THROTTLE_BACKOFF_SECONDS, SHARD_ITERATOR_TTL_SECONDS
from ..data.records import decode

THROTTLED = "ProvisionedThroughputExceededException"
EXPIRED = "ExpiredIteratorException"
DEFAULT_POLL_INTERVAL_SECONDS = 1.0  # this lab's pause between polls (not an AWS number)

# ---------------------------------------------------------------------------------------------
# Clients and errors
# ---------------------------------------------------------------------------------------------


def no_retry_client(lab: Any, service: str = "kinesis") -> Any:
    """A client of the lab's account whose SDK does not retry: a throttle reaches your code.

    The lab's own clients use boto3's standard retry mode, which retries a throttled call by
    itself (as on AWS). To *see* each ``ProvisionedThroughputExceededException`` and handle
    it yourself, use this one."""
    import boto3
    from botocore.config import Config

    kwargs: dict[str, Any] = {
        "region_name": lab.region,
        "config": Config(retries={"total_max_attempts": 1}),
    }
    if lab.settings.endpoint_url:
        kwargs["endpoint_url"] = lab.settings.endpoint_url
    return boto3.session.Session().client(service, **kwargs)


def error_code(error: BaseException) -> str | None:
    """The AWS error code of a ClientError (``None`` for anything else)."""
    if isinstance(error, ClientError):
        return error.response.get("Error", {}).get("Code")
    return None


# ---------------------------------------------------------------------------------------------
# Checkpoints in a file
# ---------------------------------------------------------------------------------------------


class CheckpointFile:
    """Shard ID → sequence number of the last record handled, kept in a small JSON file.

    A checkpoint is the consumer's bookmark: after a restart it resumes AFTER that record
    (F10). The KCL keeps the same bookmark in its DynamoDB lease table (F28); a file is enough
    for one consumer on one machine. Each save replaces the file atomically (write a temporary
    file, then rename), so a crash never leaves half a file behind.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def load(self) -> dict[str, str]:
        try:
            return dict(json.loads(self.path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            return {}

    def get(self, shard_id: str) -> str | None:
        return self.load().get(shard_id)

    def save(self, shard_id: str, sequence_number: str) -> None:
        checkpoints = self.load()
        checkpoints[shard_id] = sequence_number
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(self.path.name + ".tmp")
        temporary.write_text(json.dumps(checkpoints, indent=2, sort_keys=True), encoding="utf-8")
        os.replace(temporary, self.path)

    def clear(self) -> None:
        """Forget every checkpoint (a new stream: old sequence numbers mean nothing there)."""
        self.path.unlink(missing_ok=True)

    def __repr__(self) -> str:
        return f"CheckpointFile({str(self.path)!r}) = {self.load()}"


class MemoryCheckpoints(dict):
    """The same interface as :class:`CheckpointFile`, in memory (for checks and tests)."""

    def save(self, shard_id: str, sequence_number: str) -> None:
        self[shard_id] = sequence_number


# ---------------------------------------------------------------------------------------------
# Iterators
# ---------------------------------------------------------------------------------------------


def iterator_after(
    kinesis: Any,
    stream_name: str,
    shard_id: str,
    last_checkpoint: str | None,
    start_without_checkpoint: str = "TRIM_HORIZON",
) -> str:
    """A fresh iterator just AFTER the checkpointed record (F10): nothing handled is read
    again, nothing after it is skipped. With no checkpoint yet: ``start_without_checkpoint``."""
    if last_checkpoint is None:
        response = kinesis.get_shard_iterator(
            StreamName=stream_name, ShardId=shard_id, ShardIteratorType=start_without_checkpoint
        )
    else:
        response = kinesis.get_shard_iterator(
            StreamName=stream_name,
            ShardId=shard_id,
            ShardIteratorType="AFTER_SEQUENCE_NUMBER",
            StartingSequenceNumber=last_checkpoint,
        )
    return response["ShardIterator"]


# ---------------------------------------------------------------------------------------------
# The poll loop
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Poll:
    """One GetRecords call as the consumer saw it."""

    number: int
    seconds: float  # lab-clock seconds since the consumer started
    outcome: str  # "records", "caught up", "throttled", "expired", "shard closed"
    records: int = 0
    millis_behind_latest: int | None = None
    checkpoint: str | None = None


@dataclass
class ConsumerRun:
    """What :func:`poll_shard` did: every poll, and why it stopped."""

    shard_id: str
    polls: list[Poll] = field(default_factory=list)
    handled: int = 0
    stopped: str = ""
    child_shards: list[str] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for poll in self.polls if poll.outcome == outcome)

    def table(self) -> str:
        """The polls as a small text table (millisBehindLatest: how far behind the tip)."""
        header = ("poll", "lab time", "outcome", "records", "MillisBehindLatest", "checkpoint")
        rows = [header]
        for poll in self.polls:
            behind = "" if poll.millis_behind_latest is None else f"{poll.millis_behind_latest:,}"
            rows.append(
                (
                    str(poll.number),
                    f"+{poll.seconds:g} s",
                    poll.outcome,
                    str(poll.records),
                    behind,
                    short_sequence_number(poll.checkpoint),
                )
            )
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
        lines.insert(1, "  ".join("-" * w for w in widths))
        summary = f"handled {self.handled} record(s); stopped: {self.stopped}"
        if self.child_shards:
            summary += f"; child shards: {', '.join(self.child_shards)}"
        return "\n".join(lines) + "\n" + summary

    def __str__(self) -> str:
        return self.table()


def short_sequence_number(sequence_number: str | None, digits: int = 20) -> str:
    """The first ``digits`` digits and '…': sequence numbers are long (56 digits here), and
    consecutive ones differ well before their end, so the start is what tells them apart."""
    if not sequence_number:
        return "—"
    text = str(sequence_number)
    return text if len(text) <= digits else f"{text[:digits]}…"


Reacquire = Callable[[Any, str, str, "str | None"], Any]


def poll_shard(
    kinesis: Any,
    stream_name: str,
    shard_id: str,
    handle: Callable[[dict[str, Any]], Any],
    checkpoints: Any,
    *,
    limit: int = 100,
    max_polls: int = 100,
    start_without_checkpoint: str = "TRIM_HORIZON",
    reacquire: Reacquire | None = None,
    after_poll: Callable[[int], Any] | None = None,
) -> ConsumerRun:
    """Read one shard with a GetRecords loop, from the last checkpoint on.

    Each poll asks for at most ``limit`` records, hands each to ``handle`` and then saves a
    checkpoint (the last record's sequence number) in ``checkpoints`` (a
    :class:`CheckpointFile` or anything with ``get`` and ``save``). Between polls
    ``after_poll(poll_number)`` runs — by default a pause on the lab clock.

    - a throttle (``ProvisionedThroughputExceededException``): wait about 1 s and retry
      (F3, F66);
    - an expired iterator (``ExpiredIteratorException``, 5 minutes, F9): get a fresh one with
      ``reacquire(kinesis, stream, shard, last_checkpoint)`` — by default
      :func:`iterator_after`;
    - no ``NextShardIterator``: the shard is closed and fully read (F22); its ``ChildShards``
      are noted and the loop ends;
    - an empty answer with ``MillisBehindLatest`` 0: caught up; the loop ends (a real consumer
      would keep polling).
    """
    reacquire = reacquire or (
        lambda client, stream, shard, checkpoint: iterator_after(
            client, stream, shard, checkpoint, start_without_checkpoint
        )
    )
    run = ConsumerRun(shard_id)
    started = clock.now()
    iterator = reacquire(kinesis, stream_name, shard_id, checkpoints.get(shard_id))
    for number in range(1, max_polls + 1):
        elapsed = round(clock.now() - started, 3)
        try:
            response = kinesis.get_records(ShardIterator=iterator, Limit=limit)
        except ClientError as error:
            code = error_code(error)
            if code == THROTTLED:
                run.polls.append(Poll(number, elapsed, "throttled"))
                clock.advance(GET_RECORDS_THROTTLE_BACKOFF_SECONDS)  # F66
                continue
            if code == EXPIRED:
                run.polls.append(Poll(number, elapsed, "expired"))
                iterator = reacquire(kinesis, stream_name, shard_id, checkpoints.get(shard_id))
                continue
            raise
        records = response.get("Records", [])
        for record in records:
            handle(record)
        run.handled += len(records)
        if records:
            checkpoints.save(shard_id, records[-1]["SequenceNumber"])
        iterator = response.get("NextShardIterator")
        behind = response.get("MillisBehindLatest")
        if iterator is None:
            run.child_shards = [child["ShardId"] for child in response.get("ChildShards", [])]
            outcome = "shard closed"
        elif not records and behind == 0:
            outcome = "caught up"
        else:
            outcome = "records"
        run.polls.append(
            Poll(number, elapsed, outcome, len(records), behind, checkpoints.get(shard_id))
        )
        if outcome != "records":
            run.stopped = outcome
            return run
        if after_poll is None:
            clock.advance(DEFAULT_POLL_INTERVAL_SECONDS)
        else:
            after_poll(number)
    run.stopped = f"max_polls ({max_polls}) reached"
    return run


def iterator_types_table(results: Mapping[str, list[int]]) -> str:
    """``{iterator type: reading numbers returned}`` as lines, for the lesson's comparison."""
    width = max((len(name) for name in results), default=0)
    return "\n".join(
        f"{name.ljust(width)}  → {values if values else 'nothing (yet)'}"
        for name, values in results.items()
    )


# ---------------------------------------------------------------------------------------------
# The learner's own polling loop: what it read, observed; its checks; the lesson's fallback
# ---------------------------------------------------------------------------------------------
#
# Lesson M4's learner writes the loop (GetShardIterator, GetRecords, checkpoint, throttles,
# expiry) as ``consume(kinesis, stream_name, shard_id, handle, checkpoints, limit=10,
# max_polls=100, sleep=lab.advance)``. The toolkit only watches the calls (a botocore
# ``after-call`` hook: :class:`PollWatch`), checks what the loop handled against what is in
# the shard, and offers :func:`reference_consume` as the fallback the lesson uses while the
# learner's cell is blank.

SCENARIO_STREAM = "m4-consumer-check"
CHECK_KEY = "sensor-7"
CHECK_PAUSE_SECONDS = SHARD_ITERATOR_TTL_SECONDS + 60  # longer than an iterator lives (F9)
SCENARIO_FIRST, SCENARIO_LATE, SCENARIO_RESTART = 30, 10, 5
POLL_WATCH_ID = "kinesis-lab-poll-watch"


class PollWatch:
    """Every GetRecords call made through ``kinesis``, as :class:`Poll` rows (observed with a
    botocore ``after-call`` hook: it sees the calls, it never makes one)."""

    def __init__(self, kinesis: Any) -> None:
        self.polls: list[Poll] = []
        self._mark = 0
        self._started = clock.now()
        events = kinesis.meta.events  # a unique id keeps the first handler: replace it
        events.unregister("after-call.kinesis.GetRecords", unique_id=POLL_WATCH_ID)
        events.register("after-call.kinesis.GetRecords", self._after_call, unique_id=POLL_WATCH_ID)

    def _after_call(self, parsed: Mapping[str, Any], **_: Any) -> None:
        elapsed = round(clock.now() - self._started, 3)
        number = len(self.polls) - self._mark + 1
        code = parsed.get("Error", {}).get("Code")
        if code:
            outcome = {THROTTLED: "throttled", EXPIRED: "expired"}.get(code, code)
            self.polls.append(Poll(number, elapsed, outcome))
            return
        records = parsed.get("Records", [])
        behind = parsed.get("MillisBehindLatest")
        if parsed.get("NextShardIterator") is None:
            outcome = "shard closed"
        elif not records and behind == 0:
            outcome = "caught up"
        else:
            outcome = "records"
        last = records[-1]["SequenceNumber"] if records else None
        self.polls.append(Poll(number, elapsed, outcome, len(records), behind, last))

    def start(self) -> None:
        """Forget what was seen so far: the next table shows the polls from now on."""
        self._mark = len(self.polls)
        self._started = clock.now()

    def table(self) -> str:
        """The polls since :meth:`start` (the last column: the last sequence number read)."""
        run = ConsumerRun("")
        run.polls = self.polls[self._mark :]
        lines = run.table().splitlines()[:-1]
        return "\n".join(lines) if run.polls else "(no GetRecords call yet)"


def reference_consume(
    kinesis: Any,
    stream_name: str,
    shard_id: str,
    handle: Callable[[dict[str, Any]], Any],
    checkpoints: Any,
    limit: int = 10,
    max_polls: int = 100,
    sleep: Callable[[float], Any] = clock.advance,
) -> dict[str, Any]:
    """The lesson's fallback for the learner's loop (the toolkit's :func:`poll_shard`)."""
    run = poll_shard(
        kinesis,
        stream_name,
        shard_id,
        handle,
        checkpoints,
        limit=limit,
        max_polls=max_polls,
        after_poll=lambda _: sleep(DEFAULT_POLL_INTERVAL_SECONDS),
    )
    return {"ChildShards": [{"ShardId": child} for child in run.child_shards]}


def child_shard_ids(kinesis: Any, stream_name: str, parent: str) -> list[str]:
    """The shards whose parent (or adjacent parent) is ``parent``, by ShardId."""
    return [
        shard["ShardId"]
        for shard in list_all_shards(kinesis, stream_name)
        if parent in (shard.get("ParentShardId"), shard.get("AdjacentParentShardId"))
    ]


def check_first_polls(
    kinesis: Any, stream_name: str, shard_id: str, handled: list[int], checkpoints: Any
) -> bool:
    """✓ when the learner's loop handled the shard's first records once each, in order, and
    the checkpoint names the last of them. Observes the shard and the checkpoint file."""
    from ..clients.readers import read_shard

    if not handled:
        print(f"{TODO_MARK} your polling loop: not yet — it handled no record.")
        return False
    stored = read_shard(kinesis, stream_name, shard_id)
    numbers = [decode(record)["order"] for record in stored]
    if handled != numbers[: len(handled)]:
        print(
            f"{FAIL_MARK} your loop handled {handled[:12]}…, the shard starts with "
            f"{numbers[:12]}…\n    hint: start at TRIM_HORIZON when there is no checkpoint, and "
            "follow each answer's NextShardIterator."
        )
        return False
    expected = stored[len(handled) - 1]["SequenceNumber"]
    if checkpoints.get(shard_id) != expected:
        print(
            f"{FAIL_MARK} the checkpoint is {short_sequence_number(checkpoints.get(shard_id))}, "
            f"not the last record handled ({short_sequence_number(expected)})\n"
            "    hint: after handling a batch, checkpoints.save(shard_id, its last "
            '"SequenceNumber").'
        )
        return False
    print(
        f"{PASS_MARK} your loop handled orders {handled[0]}–{handled[-1]} once each, in order, "
        "and checkpointed the last one."
    )
    return True


@dataclass
class ConsumerScenario:
    """What a learner's loop handled on :data:`SCENARIO_STREAM` (see :func:`run_scenario`)."""

    handled: list[int] = field(default_factory=list)
    throttles: int = 0  # throttles the scenario caused
    stalls: int = 0  # 6-minute stalls (each expires the iterator, F9)
    error: str | None = None
    calls: int = 0  # GetRecords calls the loop made


def run_scenario(lab: Any, consume: Callable[..., Any], *, hard: bool = False) -> ConsumerScenario:
    """Run a learner's loop on a fresh one-shard stream: readings 1–30, 5 per poll, until
    caught up; then readings 41–45 arrive and a *restarted* loop (same checkpoints) reads on.

    ``hard`` (SIMULATION, needs the simulated clock): the client does not retry, so throttles
    reach the loop; after its second pause the shard's 5 GetRecords calls of that second are
    used up by another reader (F3); and ``handle`` stalls 6 minutes twice — once while
    readings 31–40 arrive — so the iterator expires (F9)."""
    outcome = ConsumerScenario()
    kinesis = lab.kinesis
    if hard:  # a client of the lab's session with the SDK's retries off: throttles show
        from botocore.config import Config

        kinesis = lab._boto_session.client(
            "kinesis",
            region_name=lab.region,
            endpoint_url=lab.settings.endpoint_url or None,
            config=Config(retries={"total_max_attempts": 1}),
        )
    lab.create_stream(SCENARIO_STREAM, shard_count=1)
    shard_id = list_all_shards(lab.kinesis, SCENARIO_STREAM)[0]["ShardId"]

    def write(numbers: range) -> None:
        lab.kinesis.put_records(
            StreamName=SCENARIO_STREAM,
            Records=[
                {"PartitionKey": CHECK_KEY, "Data": json.dumps({"reading": n}).encode()}
                for n in numbers
            ],
        )

    write(range(1, SCENARIO_FIRST + 1))
    if not hard:
        write(range(SCENARIO_FIRST + 1, SCENARIO_FIRST + SCENARIO_LATE + 1))
    pauses = 0

    def sleep(seconds: float) -> None:
        nonlocal pauses
        clock.advance(seconds)
        pauses += 1
        if hard and pauses == 2:  # another reader takes this second's 5 calls (F3)
            iterator = lab.kinesis.get_shard_iterator(
                StreamName=SCENARIO_STREAM, ShardId=shard_id, ShardIteratorType="LATEST"
            )["ShardIterator"]
            for _ in range(5):
                lab.kinesis.get_records(ShardIterator=iterator, Limit=1)
            outcome.throttles += 1

    def handle(record: dict[str, Any]) -> None:
        number = decode(record)["reading"]
        outcome.handled.append(number)
        if hard and number in (10, 25):
            clock.advance(CHECK_PAUSE_SECONDS)  # a slow database: longer than an iterator lives
            outcome.stalls += 1
            if number == 10:
                write(range(SCENARIO_FIRST + 1, SCENARIO_FIRST + SCENARIO_LATE + 1))

    def counting(*_: Any, **__: Any) -> None:
        outcome.calls += 1

    kinesis.meta.events.register("before-call.kinesis.GetRecords", counting)
    checkpoints = MemoryCheckpoints()
    total = SCENARIO_FIRST + SCENARIO_LATE
    try:
        for restart in (False, True):
            if restart:
                write(range(total + 1, total + SCENARIO_RESTART + 1))
            consume(kinesis, SCENARIO_STREAM, shard_id, handle, checkpoints, 5, 40, sleep)
    except Exception as error:  # a learner's loop must never stop the lesson
        outcome.error = f"{type(error).__name__}: {str(error)[:160]}"
    finally:
        kinesis.meta.events.unregister("before-call.kinesis.GetRecords", counting)
    return outcome


def check_scenario(kinesis: Any, outcome: ConsumerScenario) -> bool:
    """✓ when the loop handled every reading of the scenario's stream once, in order — read
    from the stream itself — across the restart (and the throttles and expiries, if any)."""
    from ..clients.readers import read_shard

    label = "your loop" + (
        f" ({outcome.throttles} throttle, {outcome.stalls} expired iterators)"
        if outcome.stalls
        else ""
    )
    if outcome.calls == 0 and not outcome.error:
        print(f"{TODO_MARK} {label}: not yet — it made no GetRecords call.")
        return False
    shard = list_all_shards(kinesis, SCENARIO_STREAM)[0]["ShardId"]
    expected = [decode(r)["reading"] for r in read_shard(kinesis, SCENARIO_STREAM, shard)]
    if outcome.error:
        print(f"{FAIL_MARK} {label} raised {outcome.error}")
        if "ProvisionedThroughputExceeded" in outcome.error:
            print("    hint: catch it, sleep(1) (F66), and call GetRecords again.")
        elif "ExpiredIterator" in outcome.error:
            print(
                "    hint: catch it and get a NEW iterator, AFTER_SEQUENCE_NUMBER of "
                "checkpoints.get(shard_id) (F9, F10)."
            )
        return False
    if outcome.handled == expected:
        print(
            f"{PASS_MARK} {label}: all {len(expected)} readings handled once each, in order, "
            "and the restart resumed after the checkpoint."
        )
        return True
    seen = set(outcome.handled)
    missed = [n for n in expected if n not in seen]
    repeated = len(outcome.handled) - len(seen)
    if repeated:
        hint = (
            "records were handled twice: resume AFTER_SEQUENCE_NUMBER of the checkpoint (not AT, "
            "not TRIM_HORIZON), and save the checkpoint after each batch."
        )
    elif missed:
        hint = (
            "records were skipped: start after the checkpoint (TRIM_HORIZON when there is none) "
            "and keep polling until an empty answer says MillisBehindLatest 0."
        )
    else:
        hint = "records were handled out of order: follow NextShardIterator."
    print(
        f"{FAIL_MARK} {label}: {len(missed)} reading(s) missed, {repeated} handled twice.\n"
        f"    hint: {hint}"
    )
    return False


# ---------------------------------------------------------------------------------------------
# Enhanced fan-out: the learner registers the consumer; the check reads it back
# ---------------------------------------------------------------------------------------------


def check_stream_consumer(
    kinesis: Any, stream_arn: str, name: str, seen: Any = None, kept_in: str = "fraud"
) -> bool:
    """✓ when ``name`` is a registered consumer of the stream, ACTIVE (DescribeStreamConsumer),
    and ``seen`` — what the learner's cell kept — is its ``Consumer`` with that ARN."""
    try:
        described = kinesis.describe_stream_consumer(StreamARN=stream_arn, ConsumerName=name)
    except kinesis.exceptions.ResourceNotFoundException:
        print(f"{TODO_MARK} consumer {name!r}: not yet — it is not registered.")
        return False
    description = described["ConsumerDescription"]
    status = description["ConsumerStatus"]
    if status != "ACTIVE":
        print(f"{FAIL_MARK} consumer {name!r} is {status}: describe it again until ACTIVE.")
        return False
    if not isinstance(seen, Mapping) or seen.get("ConsumerARN") != description["ConsumerARN"]:
        print(
            f"{FAIL_MARK} consumer {name!r} is ACTIVE, but `{kept_in}` is not its Consumer\n"
            f'    hint: keep register_stream_consumer(...)["Consumer"] in {kept_in}.'
        )
        return False
    print(f"{PASS_MARK} consumer {name!r} is registered and ACTIVE: {description['ConsumerARN']}")
    return True


def ensure_stream_consumer(kinesis: Any, stream_arn: str, name: str) -> dict[str, Any]:
    """The lesson's fallback: the consumer ``name`` (registered here if it is not yet, saying
    so), as the ``Consumer`` dict RegisterStreamConsumer returns."""
    try:
        return kinesis.describe_stream_consumer(StreamARN=stream_arn, ConsumerName=name)[
            "ConsumerDescription"
        ]
    except kinesis.exceptions.ResourceNotFoundException:
        print(f"(the lesson registers {name!r} for you, so the next cells run)")
        consumer = kinesis.register_stream_consumer(StreamARN=stream_arn, ConsumerName=name)
        _wait_until_consumer_active(kinesis, consumer["Consumer"]["ConsumerARN"])
        return consumer["Consumer"]


def _wait_until_consumer_active(kinesis: Any, consumer_arn: str, polls: int = 120) -> None:
    """A new consumer is CREATING and cannot read yet (F121); botocore has no waiter for it, so
    look once per second of the lab clock (instant on a simulated clock)."""
    for _ in range(polls):
        described = kinesis.describe_stream_consumer(ConsumerARN=consumer_arn)
        if described["ConsumerDescription"]["ConsumerStatus"] == "ACTIVE":
            return
        clock.advance(1)
