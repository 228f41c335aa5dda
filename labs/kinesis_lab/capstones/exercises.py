"""The capstones' "Your turn" cells on the real calls: the learner's producer and consumer.

Why: a capstone's pipeline is producer → stream → consumer, and the exams ask about exactly
those calls — PutRecords with a retry of the failed entries (F5), GetShardIterator and
GetRecords from a checkpoint (F10). So the learner writes them; the toolkit only

- runs a *trial* of the learner's code on a small one-shard stream of its own, where one
  second's writes exceed the shard's 1,000 records/s (F1) and some entries must be resent;
- checks what the trial left behind by reading the stream back (:func:`check_sent`,
  :func:`check_consumed`) — never by re-running a copy of the learner's code path;
- watches the pipeline's PutRecords calls with a botocore ``after-call`` hook
  (:func:`watch_put_records`) to draw the throughput chart, whoever makes them;
- offers :func:`reference_send` (the course's :class:`~.pipeline.Producer`) as the fallback a
  lesson uses while the learner's cell is blank, saying so, so the capstone still runs.

Checks print ✓ / ✗ / "not yet" lines and never raise.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..clients.readers import read_stream
from ..core import clock
from ..core.checks import FAIL_MARK, PASS_MARK, TODO_MARK
from .pipeline import (
    NotAGetRecordsAnswer,
    Producer,
    SendReport,
    StreamConsumer,
    recreate_checkpoint_table,
)

WATCH_ID = "kinesis-lab-capstone-put-records-watch"
RESTART_RECORDS = 20  # records written between the trial consumer's two runs

Entry = dict[str, Any]


# --- the fallback producer ----------------------------------------------------------------------


def reference_send(
    kinesis: Any, stream_name: str, entries: Sequence[Entry], keep_key_order: bool = False
) -> None:
    """The lesson's fallback for the learner's ``my_send``: the course's Producer (PutRecords,
    only the failed entries resent after a back-off on the lab clock)."""
    Producer(kinesis, stream_name, keep_key_order=keep_key_order, base_delay_s=0.1).send(entries)


# --- watching the pipeline's PutRecords calls ---------------------------------------------------


class ObservedSends(SendReport):
    """A :class:`SendReport` filled from the PutRecords answers seen on the wire."""

    def summary(self) -> str:
        return (
            f"{self.requests:,} PutRecords requests: {self.written:,} entries written, "
            f"{self.throttled:,} entry attempts throttled (and resent)"
        )


def watch_put_records(kinesis: Any, stream_name: str) -> ObservedSends:
    """Every PutRecords answer to ``stream_name`` through ``kinesis``, per entry, as an
    :class:`ObservedSends`. A botocore hook: it watches the calls, it never makes one.
    Watching again replaces the previous watch (a re-run cell starts from zero)."""
    report = ObservedSends()

    def before(params: Mapping[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["kinesis_lab_put"] = (params.get("StreamName"), len(params.get("Records", [])))

    def after(parsed: Mapping[str, Any], context: Mapping[str, Any], **_: Any) -> None:
        stream, count = context.get("kinesis_lab_put", (None, 0))
        if stream != stream_name:
            return
        report.requests += 1
        code = parsed.get("Error", {}).get("Code")
        if code:  # the whole request failed: every entry with it
            for _ in range(count):
                report.note(None, code)
            return
        for answer in parsed.get("Records", []):
            report.note(answer.get("ShardId"), answer.get("ErrorCode"))

    events = kinesis.meta.events
    # a unique id keeps the first handler: drop the previous watch, so a re-run starts afresh
    events.unregister("before-parameter-build.kinesis.PutRecords", unique_id=WATCH_ID + "-b")
    events.unregister("after-call.kinesis.PutRecords", unique_id=WATCH_ID + "-a")
    events.register("before-parameter-build.kinesis.PutRecords", before, unique_id=WATCH_ID + "-b")
    events.register("after-call.kinesis.PutRecords", after, unique_id=WATCH_ID + "-a")
    return report


# --- the producer: what reached the stream ------------------------------------------------------


def _data(value: Any) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode()


def check_sent(
    kinesis: Any, stream_name: str, entries: Sequence[Entry], keep_key_order: bool = False
) -> bool:
    """✓ when every entry is in the stream exactly once (and, with ``keep_key_order``, each
    partition key's records in the order they were given). Reads the stream back."""
    label = f"your producer → {stream_name!r}"
    try:
        stored = read_stream(kinesis, stream_name)
    except Exception as error:  # a check never stops the lesson
        print(f"{FAIL_MARK} {label}: could not read the stream ({type(error).__name__})")
        return False
    if not stored:
        print(f"{TODO_MARK} {label}: not yet — the stream is empty.")
        return False
    wanted = Counter((e["PartitionKey"], _data(e["Data"])) for e in entries)
    found = Counter((r["PartitionKey"], r["Data"]) for r in stored)
    missing = sum((wanted - found).values())
    extra = sum((found - wanted).values())
    if missing or extra:
        hint = (
            "an entry failed and was not resent: keep the entries whose result has an "
            '"ErrorCode" and send only those again, after a back-off.'
            if missing
            else "entries were written twice: resend only the failed entries, not the batch."
        )
        print(
            f"{FAIL_MARK} {label}: {missing} of {len(entries):,} entries missing, {extra} "
            f"written more than once.\n    hint: {hint}"
        )
        return False
    if keep_key_order:
        given: dict[str, list[bytes]] = defaultdict(list)
        for e in entries:
            given[e["PartitionKey"]].append(_data(e["Data"]))
        read: dict[str, list[bytes]] = defaultdict(list)
        for r in stored:  # one key lives in one shard, read in order
            read[r["PartitionKey"]].append(r["Data"])
        overtaken = [key for key in given if given[key] != read[key]]
        if overtaken:
            print(
                f"{FAIL_MARK} {label}: every entry stored once, but {len(overtaken)} account(s) "
                "out of order.\n    hint: a resent entry landed behind a later record of its "
                "key: send each batch of key_safe_batches(entries) until it is fully written."
            )
            return False
    order = ", each key in order" if keep_key_order else ""
    print(f"{PASS_MARK} {label}: all {len(entries):,} entries stored exactly once{order}.")
    return True


# --- the consumer: a trial run, and what it handled ---------------------------------------------


@dataclass
class TrialRun:
    """What the learner's read function handled: a first run, then a restart (same lease
    table) after :data:`RESTART_RECORDS` more records arrived."""

    stream: str
    handled: list[dict[str, Any]] = field(default_factory=list)
    restarted: list[dict[str, Any]] = field(default_factory=list)
    added: list[str] = field(default_factory=list)  # sequence numbers written for the restart
    error: str | None = None
    blank: bool = False


def run_trial_consumer(lab: Any, stream_name: str, read: Callable[..., Any]) -> TrialRun:
    """Run the learner's ``read(kinesis, stream_name, shard_id, iterator, checkpoint)`` in a
    small consumer application (``<stream>-reader``, its lease table recreated) until caught
    up; then write :data:`RESTART_RECORDS` records and start a *new* instance, which must
    resume after the checkpoints."""
    run = TrialRun(stream_name)
    application = f"{stream_name}-reader"
    recreate_checkpoint_table(lab.dynamodb, application)

    def consumer(handled: list[dict[str, Any]]) -> StreamConsumer:
        return StreamConsumer(
            lab.kinesis, lab.dynamodb, stream_name, application, handled.append, read=read
        )

    try:
        consumer(run.handled).run_until_caught_up(max_polls=15)
        answer = lab.kinesis.put_records(
            StreamName=stream_name,
            Records=[
                {"PartitionKey": f"restart-{n}", "Data": json.dumps({"restart": n}).encode()}
                for n in range(RESTART_RECORDS)
            ],
        )
        run.added = [r["SequenceNumber"] for r in answer["Records"] if "SequenceNumber" in r]
        clock.advance(1)
        consumer(run.restarted).run_until_caught_up(max_polls=15)
    except NotAGetRecordsAnswer as returned:
        run.blank = not run.handled
        run.error = f"your function returned {returned}, not a GetRecords answer"
    except Exception as error:  # a learner's function must never stop the lesson
        run.error = f"{type(error).__name__}: {str(error)[:160]}"
    return run


def check_consumed(kinesis: Any, run: TrialRun) -> bool:
    """✓ when the trial handled every record of its stream once, in shard order, and the
    restarted instance read only the records written after the checkpoints."""
    label = "your consumer"
    if run.blank:
        print(f"{TODO_MARK} {label}: not yet — your function returns no GetRecords answer.")
        return False
    if run.error:
        print(f"{FAIL_MARK} {label}: {run.error}")
        if "InvalidArgument" in run.error or "ParamValidation" in run.error:
            print(
                "    hint: get_shard_iterator(StreamName=..., ShardId=..., ShardIteratorType=...) "
                "with StartingSequenceNumber only for AFTER_SEQUENCE_NUMBER."
            )
        return False
    stored = read_stream(kinesis, run.stream)
    before = [r["SequenceNumber"] for r in stored if r["SequenceNumber"] not in set(run.added)]
    handled = [r["SequenceNumber"] for r in run.handled]
    if handled != before:
        print(
            f"{FAIL_MARK} {label}: handled {len(handled):,} records, the stream holds "
            f"{len(before):,}.\n    hint: on the first read of a shard (iterator None) start at "
            "TRIM_HORIZON; then return get_records of the iterator you were given."
        )
        return False
    again = [r["SequenceNumber"] for r in run.restarted]
    if again != run.added:
        extra = len(set(again) - set(run.added))
        print(
            f"{FAIL_MARK} {label}: after a restart it read {len(again)} records, "
            f"{extra} of them already handled before.\n    hint: when iterator is None and "
            "there is a checkpoint, start AFTER_SEQUENCE_NUMBER of it (F10)."
        )
        return False
    print(
        f"{PASS_MARK} {label}: all {len(handled):,} records handled once, in order; after a "
        f"restart it resumed after its checkpoints and read only the {len(again)} new ones."
    )
    return True
