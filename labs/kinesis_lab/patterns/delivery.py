"""Delivery semantics made visible: duplicates, restarts, checkpoints and idempotent sinks.

Why: Kinesis Data Streams delivers every record *at least once* (F31). Producer retries and
consumer restarts both produce duplicates, and the cure is an ID inside the record plus a sink
that ignores what it has already seen. Lesson M5 needs three things for that, kept here so the
notebook stays thin and the behaviour is tested:

- dedupe by event ID, and checks for a learner's own ``event_id`` and ``dedupe`` functions;
- a consumer that can "crash" after N records and restart from its last checkpoint, plus the
  pure model of what that restart re-reads (duplicates) or skips (lost records), and a
  slider widget drawn from the model;
- small DynamoDB helpers for the idempotent sink: (re)create a table, read it back as plain
  Python values.

The consumer reads a whole shard with :func:`kinesis_lab.clients.readers.read_shard` before handling
the records one by one; a real consumer (KCL, Lambda) works batch by batch, which changes
nothing about which records a restart re-reads.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..clients.readers import read_shard
from ..clients.resources import recreate_table  # noqa: F401  (M5 and released quizzes import it from here)
from ..core.checks import FAIL_MARK, PASS_MARK, TODO_MARK, is_blank
from ..data.records import decode

DEFAULT_ID_FIELD = "txn_id"  # the payments generator's unique ID (kinesis_lab.data.payments)
START_POSITIONS = ("TRIM_HORIZON", "LATEST")  # where a consumer with no checkpoint starts (F10)

# ---------------------------------------------------------------------------------------------
# Event IDs and dedupe (pure)
# ---------------------------------------------------------------------------------------------


def event_id(record: Mapping[str, Any], field: str = DEFAULT_ID_FIELD) -> Any:
    """The unique ID the producer embedded in the record's JSON payload (F31).

    Not the SequenceNumber: a record sent twice (a producer retry) is stored twice, with two
    different sequence numbers, and carries the same payload ID both times.
    """
    return decode(record)[field]


def dedupe(
    records: Iterable[Mapping[str, Any]], key: Callable[[Mapping[str, Any]], Any] = event_id
) -> list[Mapping[str, Any]]:
    """The first copy of each event, in the order the records came."""
    seen: set[Any] = set()
    unique = []
    for record in records:
        record_key = key(record)
        if record_key in seen:
            continue
        seen.add(record_key)
        unique.append(record)
    return unique


def duplicate_count(
    records: Iterable[Mapping[str, Any]], key: Callable[[Mapping[str, Any]], Any] = event_id
) -> int:
    """How many records are extra copies of an event already seen."""
    records = list(records)
    return len(records) - len(dedupe(records, key))


# ---------------------------------------------------------------------------------------------
# Checks for the learner's event_id and dedupe (never raise; hints, not answers)
# ---------------------------------------------------------------------------------------------


def _record(txn_id: str, account: str, sequence_number: str, amount: float) -> dict[str, Any]:
    """A record shaped like a boto3 GetRecords record (Data is bytes)."""
    payload = {"txn_id": txn_id, "account_id": account, "amount": amount}
    return {
        "SequenceNumber": sequence_number,
        "PartitionKey": account,
        "Data": json.dumps(payload).encode("utf-8"),
    }


def _seq(n: int) -> str:
    return f"4965{n:052d}"


# A retried send: the same payment (txn-b) stored twice with two sequence numbers.
_A = _record("txn-a", "acct-1", _seq(1), 12.5)
_B = _record("txn-b", "acct-1", _seq(2), 40.0)
_B_AGAIN = _record("txn-b", "acct-1", _seq(5), 40.0)
_C = _record("txn-c", "acct-2", _seq(3), 7.25)
_D = _record("txn-d", "acct-2", _seq(4), 99.0)
_A_AGAIN = _record("txn-a", "acct-1", _seq(6), 12.5)

DEDUPE_CASES: tuple[tuple[str, list[dict[str, Any]], list[dict[str, Any]]], ...] = (
    ("no duplicates: keep everything", [_A, _B, _C], [_A, _B, _C]),
    ("a retried record right after the original", [_A, _B, _B_AGAIN, _C], [_A, _B, _C]),
    ("a whole batch sent twice", [_A, _B, _C, _D, _A_AGAIN, _B_AGAIN], [_A, _B, _C, _D]),
    ("keep the first copy, in stream order", [_C, _A, _A_AGAIN, _D], [_C, _A, _D]),
    ("an empty batch", [], []),
)


def _describe_error(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:120]


def check_event_id(function: Callable[[Mapping[str, Any]], Any]) -> bool:
    """Check a learner's ``event_id(record)``: it must return the payment's ``txn_id``."""
    cases = [
        ("a payment", _A, "txn-a"),
        ("its retried copy", _A_AGAIN, "txn-a"),
        ("another payment", _C, "txn-c"),
    ]
    hints = []
    for label, record, expected in cases:
        try:
            got = function(dict(record))
        except Exception as error:
            print(f"{FAIL_MARK} event_id({label}): raised {_describe_error(error)}")
            hints.append("decode(record) gives the JSON payload as a dict")
            continue
        if is_blank(got):
            print(f"{TODO_MARK} event_id: not yet — replace the ... with your answer.")
            return False
        if got == expected:
            print(f"{PASS_MARK} event_id({label}) → {got!r}")
            continue
        print(f"{FAIL_MARK} event_id({label}): you have {str(got)[:60]!r}")
        if got == record["SequenceNumber"]:
            hints.append(
                "a retried record is stored again with a NEW sequence number, so the sequence "
                "number cannot spot it. Use the ID the producer put in the payload."
            )
        elif got == record["PartitionKey"]:
            hints.append(
                "the partition key is the account — many different payments share it. You "
                "need the ID of this one payment."
            )
        else:
            hints.append("decode(record) gives the payload; which field names the payment?")
    for hint in dict.fromkeys(hints):  # each hint once
        print(f"    hint: {hint}")
    return not hints


def _is_record_list(value: Any) -> bool:
    return all(isinstance(item, Mapping) and "Data" in item for item in value)


def check_dedupe(function: Callable[[list[Mapping[str, Any]]], Any]) -> bool:
    """Check a learner's ``dedupe(records)`` on five small streams with planted duplicates."""
    right = 0
    hints: list[str] = []
    for label, records, expected in DEDUPE_CASES:
        try:
            got = function([dict(r) for r in records])
        except Exception as error:
            print(f"{FAIL_MARK} {label}: raised {_describe_error(error)}")
            continue
        if is_blank(got):
            print(f"{TODO_MARK} dedupe: not yet — replace the ... with your code.")
            return False
        if got is None:
            print(f"{FAIL_MARK} {label}: your function returned None")
            hints.append("end the function with `return` and the list of records you kept.")
            continue
        try:
            got = list(got)
        except TypeError:
            got = [got]
        if not _is_record_list(got):
            print(f"{FAIL_MARK} {label}: the result is not a list of records")
            hints.append("return the records themselves (dicts with a Data key), not their IDs.")
            continue
        got_ids = [event_id(r) for r in got]
        expected_ids = [event_id(r) for r in expected]
        if got == expected:
            right += 1
            print(f"{PASS_MARK} {label}: kept {got_ids}")
            continue
        print(f"{FAIL_MARK} {label}: you kept {got_ids}")
        if got_ids == expected_ids:
            hints.append(
                "the right payments, but not always the FIRST copy of each: keep the record "
                "you meet first and skip the later copies."
            )
        elif sorted(got_ids) == sorted(expected_ids):
            hints.append("the right payments, but not in stream order.")
        elif len(got_ids) > len(set(got_ids)):
            hints.append(
                "a payment is kept twice: remember the IDs (txn_id) you have kept — copies "
                "from a producer retry have different sequence numbers."
            )
        else:
            hints.append("a payment is missing: skip only copies of an ID you already kept.")
    for hint in dict.fromkeys(hints):
        print(f"    hint: {hint}")
    total = len(DEDUPE_CASES)
    print(f"{right} of {total} streams right." if right < total else f"All {total} streams right.")
    return right == total


# ---------------------------------------------------------------------------------------------
# Consumer restarts: the model (pure) and a consumer that really crashes (mock)
# ---------------------------------------------------------------------------------------------


class ConsumerCrash(RuntimeError):
    """The lab's stand-in for a consumer process dying (a deploy, an out-of-memory kill…)."""


@dataclass(frozen=True)
class RestartOutcome:
    """What a consumer handles when it crashes after ``crash_after`` records and restarts.

    The consumer checkpoints after every ``checkpoint_every``-th record (0: never). It dies
    right after handling record ``crash_after`` and *before* checkpointing it — the window
    every at-least-once consumer has. The restart resumes after the last checkpoint; with no
    checkpoint it starts at ``start_without_checkpoint`` (TRIM_HORIZON: the oldest record;
    LATEST: only records written from now on). Every record is already in the shard.
    """

    total: int
    crash_after: int
    checkpoint_every: int
    start_without_checkpoint: str
    checkpoints: tuple[int, ...]  # record numbers (1-based) checkpointed before the crash
    resume_after: int  # the restart handles records resume_after+1 … total

    @property
    def last_checkpoint(self) -> int | None:
        return self.checkpoints[-1] if self.checkpoints else None

    @property
    def times_handled(self) -> tuple[int, ...]:
        """How often each record (1 … total) was handled: 0 = lost, 2 = a duplicate."""
        return tuple(
            int(n <= self.crash_after) + int(n > self.resume_after)
            for n in range(1, self.total + 1)
        )

    @property
    def duplicates(self) -> int:
        return sum(1 for count in self.times_handled if count > 1)

    @property
    def lost(self) -> int:
        return sum(1 for count in self.times_handled if count == 0)


def restart_outcome(
    total: int,
    crash_after: int,
    checkpoint_every: int = 0,
    start_without_checkpoint: str = "TRIM_HORIZON",
) -> RestartOutcome:
    """The model behind the restart slider; :func:`consume_shard` does the same for real."""
    if total < 0 or not 0 <= crash_after <= total:
        raise ValueError("need 0 <= crash_after <= total")
    if checkpoint_every < 0:
        raise ValueError("checkpoint_every is 0 (never) or a positive number of records")
    if start_without_checkpoint not in START_POSITIONS:
        raise ValueError(f"start_without_checkpoint is one of {START_POSITIONS}")
    checkpoints: tuple[int, ...] = ()
    if checkpoint_every:
        # checkpoints after records k, 2k, … — but never after the crashing record itself
        checkpoints = tuple(range(checkpoint_every, crash_after, checkpoint_every))
    if checkpoints:
        resume_after = checkpoints[-1]
    elif start_without_checkpoint == "TRIM_HORIZON":
        resume_after = 0
    else:  # LATEST: everything already in the shard is skipped
        resume_after = total
    return RestartOutcome(
        total, crash_after, checkpoint_every, start_without_checkpoint, checkpoints, resume_after
    )


def consume_shard(
    kinesis: Any,
    stream_name: str,
    shard_id: str,
    handle: Callable[[dict[str, Any]], Any],
    checkpoints: MutableMapping[str, str],
    *,
    crash_after: int | None = None,
    checkpoint_every: int = 1,
    start_without_checkpoint: str = "TRIM_HORIZON",
) -> int:
    """Handle a shard's records from the last checkpoint on; return how many were handled.

    ``checkpoints`` maps shard ID → last checkpointed sequence number (a KCL app keeps this in
    its DynamoDB lease table, F28; here a dict is enough). With a checkpoint the consumer
    resumes AFTER_SEQUENCE_NUMBER; without one it starts at ``start_without_checkpoint``.
    It checkpoints after every ``checkpoint_every``-th record (0: never) and after the last
    one. With ``crash_after=N`` it raises :class:`ConsumerCrash` right after handling the
    N-th record, before checkpointing it.
    """
    if start_without_checkpoint not in START_POSITIONS:
        raise ValueError(f"start_without_checkpoint is one of {START_POSITIONS}")
    checkpoint = checkpoints.get(shard_id)
    if checkpoint is not None:
        records = read_shard(
            kinesis,
            stream_name,
            shard_id,
            "AFTER_SEQUENCE_NUMBER",
            StartingSequenceNumber=checkpoint,
        )
    else:
        records = read_shard(kinesis, stream_name, shard_id, start_without_checkpoint)
    handled = 0
    for record in records:
        handle(record)
        handled += 1
        if crash_after is not None and handled == crash_after:
            raise ConsumerCrash(f"crashed after handling {handled} record(s)")
        if checkpoint_every and handled % checkpoint_every == 0:
            checkpoints[shard_id] = record["SequenceNumber"]
    if checkpoint_every and records:
        checkpoints[shard_id] = records[-1]["SequenceNumber"]
    return handled


# ---------------------------------------------------------------------------------------------
# The restart picture (pure SVG) and its slider widget
# ---------------------------------------------------------------------------------------------

ONCE_FILL, ONCE_STROKE = "#b2df8a", "#33a02c"
TWICE_FILL, TWICE_STROKE = "#fdbf6f", "#ff7f00"
LOST_FILL, LOST_STROKE = "#ffffff", "#e31a1c"
CRASH_COLOUR = "#c00000"
CHECKPOINT_COLOUR = "#1f78b4"


def restart_svg(outcome: RestartOutcome, width: int = 760) -> str:
    """One box per record, coloured by how often it was handled; crash and checkpoints marked."""
    margin, top = 12, 46
    total = max(outcome.total, 1)
    box = (width - 2 * margin) / total
    height = 124
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="kinesis-restart" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'style="max-width:100%;height:auto;font-family:sans-serif" role="img" '
        f'aria-label="{outcome.duplicates} duplicates and {outcome.lost} lost records">',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="{margin}" y="14" font-size="12" fill="#333">records in the shard, oldest '
        "first — the number is how often the consumer handled each one</text>",
    ]
    styles = {
        0: (LOST_FILL, LOST_STROKE, "lost"),
        1: (ONCE_FILL, ONCE_STROKE, "once"),
        2: (TWICE_FILL, TWICE_STROKE, "twice"),
    }
    for index, count in enumerate(outcome.times_handled):
        number = index + 1
        fill, stroke, state = styles[count]
        x = round(margin + index * box, 2)
        parts.append(
            f'<g class="record {state}" data-record="{number}" data-count="{count}">'
            f"<title>record {number}: handled {count}×</title>"
            f'<rect x="{x}" y="{top}" width="{round(box - 1.5, 2)}" height="26" fill="{fill}" '
            f'stroke="{stroke}" stroke-width="1.2"/>'
        )
        if box >= 12:
            parts.append(
                f'<text x="{round(x + (box - 1.5) / 2, 2)}" y="{top + 17}" font-size="11" '
                f'text-anchor="middle" fill="#111">{count}</text>'
            )
        parts.append("</g>")
    for number in outcome.checkpoints:
        x = round(margin + number * box - 0.75, 2)
        last = number == outcome.last_checkpoint
        parts.append(
            f'<g class="checkpoint{" last" if last else ""}" data-after="{number}">'
            f"<title>checkpoint after record {number}</title>"
            f'<polygon points="{x - 4},{top + 38} {x + 4},{top + 38} {x},{top + 30}" '
            f'fill="{CHECKPOINT_COLOUR}"/></g>'
        )
    if outcome.crash_after:
        x = round(margin + outcome.crash_after * box - 0.75, 2)
        parts.append(
            f'<g class="crash" data-after="{outcome.crash_after}">'
            f"<title>the consumer crashes after record {outcome.crash_after}</title>"
            f'<line x1="{x}" y1="{top - 8}" x2="{x}" y2="{top + 32}" stroke="{CRASH_COLOUR}" '
            'stroke-width="2.5"/>'
            f'<text x="{x}" y="{top - 11}" font-size="11" text-anchor="middle" '
            f'fill="{CRASH_COLOUR}">crash</text></g>'
        )
    legend_y = top + 58
    legend = (
        (ONCE_FILL, ONCE_STROKE, "handled once"),
        (TWICE_FILL, TWICE_STROKE, "handled twice (duplicate)"),
        (LOST_FILL, LOST_STROKE, "never handled (lost)"),
    )
    x = margin
    for fill, stroke, text in legend:
        parts.append(
            f'<rect x="{x}" y="{legend_y}" width="12" height="12" fill="{fill}" '
            f'stroke="{stroke}"/><text x="{x + 16}" y="{legend_y + 10}" font-size="11" '
            f'fill="#333">{text}</text>'
        )
        x += 22 + 6.2 * len(text)
    parts.append(
        f'<polygon points="{x},{legend_y + 12} {x + 8},{legend_y + 12} {x + 4},{legend_y + 4}" '
        f'fill="{CHECKPOINT_COLOUR}"/><text x="{x + 12}" y="{legend_y + 10}" font-size="11" '
        'fill="#333">checkpoint</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def restart_summary_html(outcome: RestartOutcome) -> str:
    """The sentence under the picture: where the restart resumes, and what that costs."""
    if outcome.last_checkpoint is not None:
        where = (
            f"The restart resumes <b>after record {outcome.last_checkpoint}</b>, the last "
            "checkpoint (AFTER_SEQUENCE_NUMBER)."
        )
    elif outcome.start_without_checkpoint == "TRIM_HORIZON":
        where = "No checkpoint was written, so the restart starts at <b>TRIM_HORIZON</b>."
    else:
        where = (
            "No checkpoint was written, so the restart starts at <b>LATEST</b>: it skips every "
            "record already in the shard."
        )
    verdict = (
        f"<b style='color:{TWICE_STROKE}'>{outcome.duplicates} duplicate(s)</b>, "
        f"<b style='color:{LOST_STROKE}'>{outcome.lost} lost record(s)</b>"
    )
    return f"<p>{where} Result: {verdict}.</p>"


def restart_picture(outcome: RestartOutcome) -> Any:
    """The picture and its sentence, static (shows in static renderings of a lesson too)."""
    from IPython.display import HTML

    return HTML(restart_svg(outcome) + restart_summary_html(outcome))


def restart_explorer(total: int = 30, crash_after: int = 17, checkpoint_every: int = 0) -> Any:
    """Sliders for the crash point and the checkpoint interval; the picture follows them."""
    import ipywidgets as widgets

    style = {"description_width": "initial"}
    layout = widgets.Layout(width="min(100%, 520px)")
    crash = widgets.IntSlider(
        value=crash_after,
        min=1,
        max=total,
        description="crash after record",
        style=style,
        layout=layout,
    )
    every = widgets.IntSlider(
        value=checkpoint_every,
        min=0,
        max=10,
        description="checkpoint every … records (0 = never)",
        style=style,
        layout=layout,
    )
    start = widgets.ToggleButtons(
        options=list(START_POSITIONS),
        value="TRIM_HORIZON",
        description="with no checkpoint, start at",
        style=style,
    )
    picture = widgets.HTML()
    summary = widgets.HTML()

    def show(_: Any = None) -> None:
        outcome = restart_outcome(total, crash.value, every.value, start.value)
        picture.value = restart_svg(outcome)
        summary.value = restart_summary_html(outcome)

    for control in (crash, every, start):
        control.observe(show, names="value")
    show()
    box = widgets.VBox([crash, every, start, picture, summary])
    box.controls = {"crash_after": crash, "checkpoint_every": every, "start": start}
    box.outputs = {"picture": picture, "summary": summary}
    return box


# ---------------------------------------------------------------------------------------------
# DynamoDB helpers for the idempotent sink
# ---------------------------------------------------------------------------------------------


def plain(value: Any) -> Any:
    """DynamoDB's Decimals as int or float, recursively, for printing and comparing."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return {plain(v) for v in value}
    return value


def table_items(dynamodb: Any, name: str) -> list[dict[str, Any]]:
    """Every item of a table (all Scan pages) as plain Python values, sorted by its key."""
    from boto3.dynamodb.types import TypeDeserializer

    key_names = [
        k["AttributeName"] for k in dynamodb.describe_table(TableName=name)["Table"]["KeySchema"]
    ]
    deserializer = TypeDeserializer()
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": name}
    while True:
        page = dynamodb.scan(**kwargs)
        for item in page.get("Items", []):
            items.append(plain({k: deserializer.deserialize(v) for k, v in item.items()}))
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return sorted(items, key=lambda item: [str(item.get(k)) for k in key_names])


def summary_table(rows: Iterable[Sequence[Any]], header: Sequence[str]) -> str:
    """A small plain-text table (lessons print a few of these)."""
    table = [tuple(str(c) for c in header), *(tuple(str(c) for c in row) for row in rows)]
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
