"""Producers that survive throttling: resend only the failed PutRecords entries, after an
exponential backoff with jitter (lesson M3).

Why: PutRecords can fail *part* of a request — HTTP 200, ``FailedRecordCount`` > 0, and an
``ErrorCode`` on each entry that was not written (API_PutRecords). The SDK does not retry those
entries (the call as a whole succeeded), so the producer must: resend exactly the failed
entries — never the written ones, or they are stored twice — and wait between tries, longer
each time and by a random amount, so that many producers do not hammer a shard in lockstep.

This module has the reference producer (:func:`put_with_retries`) and what the lesson's
"Your turn" is checked with: :func:`check_failed_entries`, :func:`check_backoff` and
:func:`check_producer` (which runs a learner's producer against the lab's SIMULATED per-shard
limits, F1, on the lab clock). :func:`retry_rounds_svg` draws a batch's rounds.

The delays (``BASE_DELAY_SECONDS``, ``MAX_DELAY_SECONDS``) are this course's choice for the lab,
not AWS numbers.
"""

from __future__ import annotations

import html
import json
import math
import random
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..clients.readers import list_all_shards, read_shard
from ..clients.resources import delete_stream
from ..core import clock
from ..core.checks import FAIL_MARK, PASS_MARK, TODO_MARK, is_blank
from ..core.facts import PUT_RECORDS_MAX_RECORDS
from ..data.records import batched

BASE_DELAY_SECONDS = 0.1  # the lab's choice: first retry waits up to 0.1 s
MAX_DELAY_SECONDS = 2.0  # the lab's choice: no single wait longer than 2 s
MAX_ATTEMPTS = 20  # the lab's choice: then give up (a real producer alerts or parks them)

Entry = Mapping[str, Any]
Sleep = Callable[[float], Any]


# ---------------------------------------------------------------------------------------------
# The two ideas, and the reference producer
# ---------------------------------------------------------------------------------------------


def failed_entries(entries: Sequence[Entry], response: Mapping[str, Any]) -> list[Entry]:
    """The entries PutRecords did not write, in order: the ones whose result has an ErrorCode.

    ``response["Records"]`` has one result per entry, in the same order as the request
    (API_PutRecords); a written entry has SequenceNumber and ShardId instead."""
    results = response["Records"]
    if len(results) != len(entries):
        raise ValueError("PutRecords returns exactly one result per entry sent")
    return [entry for entry, result in zip(entries, results, strict=True) if "ErrorCode" in result]


def backoff_delay(
    attempt: int,
    base: float = BASE_DELAY_SECONDS,
    cap: float = MAX_DELAY_SECONDS,
    rng: random.Random | None = None,
) -> float:
    """Exponential backoff with "full jitter": a random wait between 0 and
    min(cap, base · 2^attempt) seconds — the same shape as the AWS SDKs' own retry delay."""
    if attempt < 0:
        raise ValueError("attempt counts retries from 0")
    return (rng or random).uniform(0, min(cap, base * 2**attempt))


@dataclass(frozen=True)
class Round:
    """One PutRecords call of a batch: which entries (by index in the batch) were sent and
    which of them failed; how long the producer waited before it."""

    attempt: int  # 0 = the first send, 1 = the first retry, …
    sent: tuple[int, ...]
    failed: tuple[int, ...]
    error_codes: Mapping[str, int]
    wait_before: float  # seconds on the lab clock, 0 for the first send
    at: float  # lab time of the call

    @property
    def written(self) -> tuple[int, ...]:
        failed = set(self.failed)
        return tuple(index for index in self.sent if index not in failed)


@dataclass
class RetryReport:
    """Everything that happened to one batch."""

    size: int
    rounds: list[Round] = field(default_factory=list)
    unwritten: tuple[int, ...] = ()  # entries still failing after MAX_ATTEMPTS

    @property
    def calls(self) -> int:
        return len(self.rounds)

    @property
    def retried_entries(self) -> int:
        return sum(len(r.sent) for r in self.rounds[1:])

    @property
    def waited(self) -> float:
        return sum(r.wait_before for r in self.rounds)

    @property
    def written(self) -> int:
        return sum(len(r.written) for r in self.rounds)

    def describe(self) -> str:
        lines = []
        for r in self.rounds:
            what = "first send" if r.attempt == 0 else f"retry {r.attempt}"
            wait = f" after waiting {r.wait_before:.3f} s" if r.attempt else ""
            codes = ", ".join(f"{code} ×{n}" for code, n in sorted(r.error_codes.items()))
            lines.append(
                f"{what}{wait}: {len(r.sent)} sent, {len(r.written)} written, "
                f"{len(r.failed)} failed" + (f" ({codes})" if codes else "")
            )
        if self.unwritten:
            lines.append(f"gave up: {len(self.unwritten)} entries never written")
        return "\n".join(lines)


def put_with_retries(
    kinesis: Any,
    stream_name: str,
    entries: Sequence[Entry],
    *,
    sleep: Sleep | None = None,
    base: float = BASE_DELAY_SECONDS,
    cap: float = MAX_DELAY_SECONDS,
    max_attempts: int = MAX_ATTEMPTS,
    rng: random.Random | None = None,
) -> RetryReport:
    """Write one batch (≤500 entries, F5) with PutRecords; resend only the failed entries
    after :func:`backoff_delay`, until all are written or ``max_attempts`` calls were made.

    ``sleep`` waits on the lab clock by default (instant on a simulated clock)."""
    entries = list(entries)
    if not 1 <= len(entries) <= PUT_RECORDS_MAX_RECORDS:
        raise ValueError(f"one PutRecords batch has 1 to {PUT_RECORDS_MAX_RECORDS} entries (F5)")
    sleep = sleep or clock.advance
    report = RetryReport(len(entries))
    pending = list(range(len(entries)))
    wait = 0.0
    for attempt in range(max_attempts):
        at = clock.now()
        response = kinesis.put_records(
            StreamName=stream_name, Records=[entries[i] for i in pending]
        )
        results = response["Records"]
        failed = [i for i, result in zip(pending, results, strict=True) if "ErrorCode" in result]
        codes = Counter(result["ErrorCode"] for result in results if "ErrorCode" in result)
        report.rounds.append(Round(attempt, tuple(pending), tuple(failed), dict(codes), wait, at))
        pending = failed
        if not pending:
            return report
        if attempt + 1 < max_attempts:
            wait = backoff_delay(attempt, base, cap, rng)
            sleep(wait)
    report.unwritten = tuple(pending)
    return report


def put_all_with_retries(
    kinesis: Any, stream_name: str, entries: Sequence[Entry], **options: Any
) -> list[RetryReport]:
    """Any number of entries: split into PutRecords batches (F5), each sent with retries."""
    return [put_with_retries(kinesis, stream_name, batch, **options) for batch in batched(entries)]


# ---------------------------------------------------------------------------------------------
# Checking a learner's failed-entries expression and backoff (never raise; hints, not answers)
# ---------------------------------------------------------------------------------------------


def _entry(n: int) -> dict[str, Any]:
    return {"Data": f'{{"reading":{n}}}'.encode(), "PartitionKey": f"sensor-{n}"}


def _ok(n: int) -> dict[str, str]:
    return {"SequenceNumber": f"4965{n:052d}", "ShardId": "shardId-000000000000"}


def _throttled() -> dict[str, str]:
    return {
        "ErrorCode": "ProvisionedThroughputExceededException",
        "ErrorMessage": "Rate exceeded for shard shardId-000000000000 in stream s under "
        "account 123456789012.",
    }


def _response(results: list[dict[str, str]]) -> dict[str, Any]:
    failed = sum(1 for r in results if "ErrorCode" in r)
    return {
        "FailedRecordCount": failed,
        "Records": results,
        "ResponseMetadata": {"HTTPStatusCode": 200},
    }


_E = [_entry(n) for n in range(5)]
_OTHER_FAILURE = {"ErrorCode": "InternalFailure", "ErrorMessage": "Internal service failure."}

FAILED_ENTRY_CASES: tuple[tuple[str, list[dict[str, Any]], dict[str, Any], list[int]], ...] = (
    ("nothing failed", _E[:3], _response([_ok(0), _ok(1), _ok(2)]), []),
    (
        "one entry in the middle throttled",
        _E[:3],
        _response([_ok(0), _throttled(), _ok(2)]),
        [1],
    ),
    (
        "two entries failed, with two different error codes",
        _E,
        _response([_ok(0), _throttled(), _ok(2), dict(_OTHER_FAILURE), _ok(4)]),
        [1, 3],
    ),
    (
        "the whole batch throttled",
        _E[:4],
        _response([_throttled() for _ in range(4)]),
        [0, 1, 2, 3],
    ),
)


def _describe_error(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:120]


def _indexes(got: Any, entries: list[dict[str, Any]]) -> list[int] | None:
    """Where each returned item sits in ``entries`` (by identity or equality), or None."""
    found = []
    for item in got:
        for index, entry in enumerate(entries):
            if item is entry or item == entry:
                found.append(index)
                break
        else:
            return None
    return found


def check_failed_entries(function: Callable[[Any, Any], Any]) -> bool:
    """Check a learner's ``failed_entries(entries, response)`` on four PutRecords answers."""
    right = 0
    hints: list[str] = []
    for label, entries, response, expected in FAILED_ENTRY_CASES:
        entries = [dict(e) for e in entries]
        try:
            got = function(entries, json.loads(json.dumps(response)))
        except Exception as error:
            print(f"{FAIL_MARK} {label}: raised {_describe_error(error)}")
            hints.append("zip(entries, response['Records']) pairs each entry with its result")
            continue
        if is_blank(got):
            print(f"{TODO_MARK} failed entries: not yet — replace the ... with your answer.")
            return False
        try:
            got = list(got)
        except TypeError:
            got = [got]
        positions = _indexes(got, entries)
        if positions == expected:
            right += 1
            print(f"{PASS_MARK} {label}: resend entries {positions}")
            continue
        shown = positions if positions is not None else str(got)[:60]
        print(f"{FAIL_MARK} {label}: you would resend {shown}")
        results = response["Records"]
        if positions is None:
            if any(isinstance(item, Mapping) and "ErrorCode" in item for item in got):
                hints.append("return the entries (the dicts you sent), not their results")
            else:
                hints.append("return a list of the entries themselves, in their original order")
        elif sorted(positions) == expected:
            hints.append("keep the entries in their original order")
        elif positions == [i for i, r in enumerate(results) if "ErrorCode" not in r]:
            hints.append(
                "those are the entries that were WRITTEN — resending them stores them twice; "
                "keep the ones whose result has an ErrorCode"
            )
        elif positions == list(range(response["FailedRecordCount"])):
            hints.append("FailedRecordCount says how many failed, not which: look at each result")
        else:
            hints.append("keep an entry when its result has an 'ErrorCode', whatever the code")
    for hint in dict.fromkeys(hints):
        print(f"    hint: {hint}")
    total = len(FAILED_ENTRY_CASES)
    print(f"{right} of {total} answers right." if right < total else f"All {total} answers right.")
    return right == total


BACKOFF_ATTEMPTS = range(7)
BACKOFF_SAMPLES = 200  # draws per attempt: a jitter-free or non-growing backoff cannot hide


def check_backoff(
    function: Callable[[int], Any],
    base: float = BASE_DELAY_SECONDS,
    cap: float = MAX_DELAY_SECONDS,
) -> bool:
    """Check a learner's ``backoff(attempt)``: every wait within [0, min(cap, base·2^attempt)],
    random (jitter), and its upper bound doubling with each attempt until the cap.

    Statistical, with overwhelming margins: 200 draws of a uniform wait all land below 60% of
    their bound with probability 0.6^200."""
    hints: list[str] = []
    right = 0
    for attempt in BACKOFF_ATTEMPTS:
        bound = min(cap, base * 2**attempt)
        try:
            samples = [function(attempt) for _ in range(BACKOFF_SAMPLES)]
        except Exception as error:
            print(f"{FAIL_MARK} attempt {attempt}: raised {_describe_error(error)}")
            hints.append("random.uniform(low, high) gives a random number between low and high")
            continue
        if any(is_blank(s) for s in samples):
            print(f"{TODO_MARK} backoff: not yet — replace the ... with your answer.")
            return False
        if not all(
            isinstance(s, (int, float)) and not isinstance(s, bool) and math.isfinite(s)
            for s in samples
        ):
            print(f"{FAIL_MARK} attempt {attempt}: a wait is a number of seconds")
            hints.append("return a number of seconds (a float)")
            continue
        low, high = min(samples), max(samples)
        problem = None
        if low < 0:
            problem = "a negative wait"
            hints.append("a wait is never negative: draw it between 0 and the bound")
        elif high > bound * (1 + 1e-9):
            problem = f"a wait of {high:.3f} s is above the bound"
            hints.append(
                "the wait must stay at most min(MAX_DELAY, BASE_DELAY * 2 ** attempt): "
                "the bound doubles with each attempt, up to the cap"
            )
        elif len(set(samples)) == 1:
            problem = f"always {high:.3f} s — no jitter"
            hints.append(
                "jitter: pick a RANDOM wait between 0 and the bound, so producers that were "
                "throttled together do not all retry at the same moment"
            )
        elif high < 0.6 * bound:
            problem = f"never above {high:.3f} s — the waits do not grow as they should"
            hints.append(
                "exponential: the upper bound is BASE_DELAY * 2 ** attempt (capped), so it "
                "doubles with each attempt"
            )
        if problem:
            print(f"{FAIL_MARK} attempt {attempt}: {problem} (bound {bound:g} s)")
            continue
        right += 1
        print(
            f"{PASS_MARK} attempt {attempt}: waits from {low:.3f} to {high:.3f} s (bound {bound:g} s)"
        )
    for hint in dict.fromkeys(hints):
        print(f"    hint: {hint}")
    total = len(BACKOFF_ATTEMPTS)
    print(
        f"{right} of {total} attempts right." if right < total else f"All {total} attempts right."
    )
    return right == total


# ---------------------------------------------------------------------------------------------
# Checking a learner's whole producer against the SIMULATED limits (mock + lab clock)
# ---------------------------------------------------------------------------------------------

CHECK_STREAM = "producer-check"
CHECK_MAX_CALLS = 30


class _NotYet(Exception):
    """A blank (...) reached the harness."""


class _TooManyCalls(Exception):
    """The producer kept calling: it would loop forever."""


@dataclass
class _Call:
    sent: list[str]  # record IDs sent, in order
    written: list[str]  # the ones the call wrote
    at: float


class _WatchedKinesis:
    """The lab's Kinesis client, recording every entry a producer sends and what was written."""

    def __init__(self, kinesis: Any, ids: Mapping[bytes, str]) -> None:
        self._kinesis = kinesis
        self._ids = ids
        self.calls: list[_Call] = []
        self.exceptions = kinesis.exceptions

    def _id(self, data: Any) -> str:
        if isinstance(data, str):
            data = data.encode()
        return self._ids.get(bytes(data), "<not a record of this batch>")

    def _count_call(self) -> None:
        if len(self.calls) >= CHECK_MAX_CALLS:
            raise _TooManyCalls()

    def put_records(self, **kwargs: Any) -> Any:
        records = kwargs.get("Records")
        if is_blank(records):
            raise _NotYet()
        self._count_call()
        at = clock.now()
        response = self._kinesis.put_records(**kwargs)
        sent = [self._id(r["Data"]) for r in records]
        written = [
            rid
            for rid, res in zip(sent, response["Records"], strict=True)
            if "ErrorCode" not in res
        ]
        self.calls.append(_Call(sent, written, at))
        return response

    def put_record(self, **kwargs: Any) -> Any:
        if is_blank(kwargs.get("Data")):
            raise _NotYet()
        self._count_call()
        at = clock.now()
        record_id = self._id(kwargs["Data"])
        try:
            response = self._kinesis.put_record(**kwargs)
        except self._kinesis.exceptions.ProvisionedThroughputExceededException:
            self.calls.append(_Call([record_id], [], at))
            raise
        self.calls.append(_Call([record_id], [record_id], at))
        return response

    def __getattr__(self, name: str) -> Any:
        return getattr(self._kinesis, name)


class _WatchedSleep:
    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: Any) -> None:
        if is_blank(seconds):
            raise _NotYet()
        seconds = float(seconds)
        if seconds < 0 or not math.isfinite(seconds):
            raise ValueError(f"cannot wait {seconds} seconds")
        self.waits.append(seconds)
        clock.advance(seconds)


@dataclass(frozen=True)
class ProducerScenario:
    label: str
    prefill: int  # records already written to the 1-shard stream in the same second
    batch: int  # entries the producer is asked to write


PRODUCER_SCENARIOS = (
    ProducerScenario("nothing fails", 0, 100),
    ProducerScenario("part of the batch throttled (900 already in this second)", 900, 200),
    ProducerScenario("the whole batch throttled (the second is full)", 1_000, 200),
)


def _next_whole_second() -> None:
    now = clock.now()
    clock.advance(math.floor(now) + 1 - now)


def _run_scenario(
    function: Callable[..., Any], lab: Any, scenario: ProducerScenario, tag: str
) -> tuple[str, _WatchedKinesis | None, _WatchedSleep | None, str | None]:
    """Run the learner's producer once; (status, watched client, sleep, problem)."""
    kinesis = lab.kinesis
    _next_whole_second()
    filler = [{"Data": b"filler", "PartitionKey": f"filler-{n}"} for n in range(scenario.prefill)]
    for batch in batched(filler):
        kinesis.put_records(StreamName=CHECK_STREAM, Records=batch)
    entries = [
        {"Data": f'{{"check":"{tag}","n":{n}}}'.encode(), "PartitionKey": f"{tag}-{n}"}
        for n in range(scenario.batch)
    ]
    ids = {entry["Data"]: f"{tag}-{n}" for n, entry in enumerate(entries)}
    watched, sleep = _WatchedKinesis(kinesis, ids), _WatchedSleep()
    try:
        function(watched, CHECK_STREAM, [dict(e) for e in entries], sleep)
    except _NotYet:
        return "blank", None, None, None
    except _TooManyCalls:
        return (
            "failed",
            watched,
            sleep,
            (
                f"still calling after {CHECK_MAX_CALLS} calls — does the loop stop, and does "
                "it wait before retrying?"
            ),
        )
    except Exception as error:
        return "failed", watched, sleep, f"raised {_describe_error(error)}"
    if not watched.calls:  # a skeleton still blank: its body never calls Kinesis
        return "blank", None, None, None
    return "ran", watched, sleep, None


def record_rounds(
    function: Callable[..., Any],
    kinesis: Any,
    stream_name: str,
    entries: Sequence[Entry],
    sleep: Sleep | None = None,
) -> RetryReport | None:
    """Run a learner's ``put_batch(kinesis, stream_name, entries, sleep)`` on one batch through
    a recording client, and return its rounds for :func:`retry_rounds_picture` — or None when
    it made no call (a blank). The learner's code makes the calls; this only watches them."""
    entries = [dict(entry) for entry in entries]
    index_of = {bytes(entry["Data"]): str(n) for n, entry in enumerate(entries)}
    watched, waits = _WatchedKinesis(kinesis, index_of), []
    codes: list[dict[str, int]] = []
    put_records = watched.put_records

    def recording_put_records(**kwargs: Any) -> Any:
        response = put_records(**kwargs)
        codes.append(dict(Counter(r["ErrorCode"] for r in response["Records"] if "ErrorCode" in r)))
        return response

    def recording_sleep(seconds: float) -> None:
        waits.append(float(seconds))
        (sleep or clock.advance)(seconds)

    watched.put_records = recording_put_records  # type: ignore[method-assign]
    try:
        function(watched, stream_name, entries, recording_sleep)
    except (_NotYet, _TooManyCalls):
        pass
    if not watched.calls:
        return None
    report = RetryReport(len(entries))
    for attempt, call in enumerate(watched.calls):
        sent = tuple(int(i) for i in call.sent if i.isdigit())
        written = {int(i) for i in call.written if i.isdigit()}
        wait = waits[attempt - 1] if 0 < attempt <= len(waits) else 0.0
        failed = tuple(i for i in sent if i not in written)
        error_codes = codes[attempt] if attempt < len(codes) else {}
        report.rounds.append(Round(attempt, sent, failed, error_codes, wait, call.at))
    report.unwritten = report.rounds[-1].failed
    return report


def _verdict(
    scenario: ProducerScenario,
    tag: str,
    watched: _WatchedKinesis,
    sleep: _WatchedSleep,
    stored: Counter[str],
) -> tuple[bool, str, list[str]]:
    """(right, what happened, hints) for one scenario."""
    hints = []
    expected = {f"{tag}-{n}" for n in range(scenario.batch)}
    written_before: set[str] = set()
    resent_written = 0
    for call in watched.calls:
        resent_written += sum(1 for rid in call.sent if rid in written_before)
        written_before.update(call.written)
    counts = {rid: stored.get(rid, 0) for rid in expected}
    missing = sum(1 for n in counts.values() if n == 0)
    twice = sum(1 for n in counts.values() if n > 1)
    retries = max(len(watched.calls) - 1, 0)
    shape = " → ".join(str(len(call.sent)) for call in watched.calls) or "no call"
    waits = ", ".join(f"{w:.2f}" for w in sleep.waits[:6]) + (" …" if len(sleep.waits) > 6 else "")
    story = f"{len(watched.calls)} call(s) of {shape} entries"
    if sleep.waits:
        story += f"; waited {waits} s"
    if resent_written:
        hints.append(
            f"{resent_written} entries were resent after they had been written: resend only "
            "the entries whose result has an ErrorCode"
        )
    if missing:
        hints.append("some records never reached the stream: keep retrying the failed ones")
    if twice and not resent_written:
        hints.append(f"{twice} records are stored twice")
    if retries and len(sleep.waits) < retries:
        hints.append("wait (sleep) before every retry, or the retry lands in the same full second")
    if not retries and sleep.waits:
        hints.append("nothing failed, so there is nothing to wait for")
    ok = not hints and not missing and not twice
    return ok, story, hints


def check_producer(function: Callable[..., Any], lab: Any) -> bool:
    """Run a learner's ``put_batch(kinesis, stream_name, entries, sleep)`` against a 1-shard
    stream with the SIMULATED per-shard limits (F1) on the lab clock, in three scenarios; check
    that every record is stored exactly once and that no written entry was sent again."""
    if not clock.get_clock().simulated:
        print(f"{TODO_MARK} producer: run lab.use_simulated_clock() first (time-based check).")
        return False
    lab.create_stream(CHECK_STREAM, shard_count=1)
    outcomes = []
    hints: list[str] = []
    try:
        for number, scenario in enumerate(PRODUCER_SCENARIOS, start=1):
            tag = f"s{number}"
            status, watched, sleep, problem = _run_scenario(function, lab, scenario, tag)
            if status == "blank":
                print(f"{TODO_MARK} producer: not yet — fill in the blanks it uses first.")
                return False
            outcomes.append((scenario, tag, status, watched, sleep, problem))
        shard = list_all_shards(lab.kinesis, CHECK_STREAM)[0]["ShardId"]
        stored: Counter[str] = Counter()
        for record in read_shard(lab.kinesis, CHECK_STREAM, shard):
            if record["Data"] != b"filler":
                payload = json.loads(record["Data"])
                stored[f"{payload['check']}-{payload['n']}"] += 1
    finally:
        try:
            delete_stream(lab.kinesis, CHECK_STREAM)  # and wait until it is gone (F120)
        except Exception:  # the check's own stream: nothing a learner needs to see
            pass
    right = 0
    for scenario, tag, status, watched, sleep, problem in outcomes:
        if status == "failed":
            print(f"{FAIL_MARK} {scenario.label}: {problem}")
            if "still calling" in (problem or ""):
                hints.append(
                    "resend only what failed and wait before each retry; stop when nothing failed"
                )
            continue
        ok, story, scenario_hints = _verdict(scenario, tag, watched, sleep, stored)
        if ok:
            right += 1
            print(f"{PASS_MARK} {scenario.label}: {story}; every record stored once")
        else:
            print(f"{FAIL_MARK} {scenario.label}: {story}")
            hints += scenario_hints
    for hint in dict.fromkeys(hints):
        print(f"    hint: {hint}")
    total = len(PRODUCER_SCENARIOS)
    print(
        f"{right} of {total} scenarios right." if right < total else f"All {total} scenarios right."
    )
    return right == total


# ---------------------------------------------------------------------------------------------
# The retry rounds picture (pure SVG)
# ---------------------------------------------------------------------------------------------

WRITTEN_FILL, WRITTEN_STROKE = "#b2df8a", "#33a02c"
FAILED_FILL, FAILED_STROKE = "#fb9a99", "#e31a1c"
DONE_FILL = "#eeeeee"


def _runs(states: Sequence[str]) -> list[tuple[int, int, str]]:
    """(start, length, state) of each run of equal states."""
    runs: list[tuple[int, int, str]] = []
    for index, state in enumerate(states):
        if runs and runs[-1][2] == state:
            start, length, _ = runs[-1]
            runs[-1] = (start, length + 1, state)
        else:
            runs.append((index, 1, state))
    return runs


def retry_rounds_svg(report: RetryReport, width: int = 760) -> str:
    """One row per PutRecords call of a batch: each entry green (written in this call), red
    (failed in this call: to be resent) or grey (already written earlier: not sent again)."""
    label_width, top, row_height = 220, 30, 40
    strip = width - label_width - 12
    cell = strip / max(report.size, 1)
    height = top + row_height * len(report.rounds) + 34
    needed_retry = len(report.rounds[0].failed) if report.rounds else 0
    started = report.rounds[0].at if report.rounds else 0.0
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="kinesis-retry-rounds" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'style="max-width:100%;height:auto;font-family:sans-serif" role="img" '
        f'aria-label="{report.calls} PutRecords calls for {report.size} entries">',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="8" y="18" font-size="13" font-weight="bold" fill="#222">One batch of '
        f"{report.size:,} entries: {report.calls} PutRecords call(s); {needed_retry:,} "
        f"entries needed retries</text>",
    ]
    for row, rnd in enumerate(report.rounds):
        y = top + row * row_height
        failed, written = set(rnd.failed), set(rnd.written)
        states = [
            "written" if i in written else "failed" if i in failed else "done"
            for i in range(report.size)
        ]
        title = "first send" if rnd.attempt == 0 else f"retry {rnd.attempt}"
        sub = (
            "HTTP 200 for the call · t = 0 s"
            if rnd.attempt == 0
            else f"after a {rnd.wait_before:.3f} s backoff · t = {rnd.at - started:.2f} s"
        )
        parts.append(
            f'<g class="round" data-attempt="{rnd.attempt}" data-sent="{len(rnd.sent)}" '
            f'data-failed="{len(rnd.failed)}" data-wait="{rnd.wait_before!r}">'
            f'<text x="8" y="{y + 14}" font-size="12" fill="#222">{title}: '
            f"{len(rnd.sent)} sent, {len(rnd.failed)} failed</text>"
            f'<text x="8" y="{y + 28}" font-size="10" fill="#555">{html.escape(sub)}</text>'
        )
        for start, length, state in _runs(states):
            fill, stroke = {
                "written": (WRITTEN_FILL, WRITTEN_STROKE),
                "failed": (FAILED_FILL, FAILED_STROKE),
                "done": (DONE_FILL, DONE_FILL),
            }[state]
            x = round(label_width + start * cell, 2)
            parts.append(
                f'<rect class="{state}" data-first="{start}" data-count="{length}" x="{x}" '
                f'y="{y + 4}" width="{max(round(length * cell, 2), 0.8)}" height="24" '
                f'fill="{fill}" stroke="{stroke}" stroke-width="0.8">'
                f"<title>entries {start}–{start + length - 1}: {state}</title></rect>"
            )
        parts.append("</g>")
    legend_y = height - 12
    x = label_width
    for fill, stroke, text in (
        (WRITTEN_FILL, WRITTEN_STROKE, "written in this call"),
        (FAILED_FILL, FAILED_STROKE, "failed (ErrorCode): resend"),
        (DONE_FILL, "#bbbbbb", "written earlier: not sent again"),
    ):
        parts.append(
            f'<rect x="{x}" y="{legend_y - 10}" width="12" height="12" fill="{fill}" '
            f'stroke="{stroke}"/><text x="{x + 16}" y="{legend_y}" font-size="11" '
            f'fill="#222">{text}</text>'
        )
        x += 30 + 6.2 * len(text)
    parts.append(
        f'<text x="8" y="{legend_y}" font-size="10" fill="#555">entries 0 … {report.size - 1} →'
        "</text></svg>"
    )
    return "".join(parts)


def retry_rounds_picture(report: RetryReport) -> Any:
    """The picture and the report's lines (static: shows in static renderings too)."""
    from IPython.display import HTML

    lines = html.escape(report.describe()).replace("\n", "<br>")
    return HTML(retry_rounds_svg(report) + f"<p><code>{lines}</code></p>")
