"""Helpers for lesson M9 (Amazon Data Firehose): buffer timing, the Lambda transformation
contract, pricing arithmetic and reading S3 back (the set-up chores live in
:mod:`kinesis_lab.clients.resources`).

Why a module: the lesson asks learners to *predict* when Firehose delivers and to *write* a
transformation handler; both need a reference and a checker that explains what is wrong
without giving the answer away. The arithmetic here is pure (no AWS, no clock) so it can be
tested at its edges; the few helpers that take boto3 clients only wrap calls a learner has
already seen in the lesson.

Units: Firehose's ``SizeInMBs`` counts MiB (1 MiB = 1,048,576 bytes, F42); record sizes are
given in KiB (1,024 bytes).
"""

from __future__ import annotations

import base64
import copy
import gzip
import json
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from ..clients import lambda_functions
from ..clients.resources import (  # noqa: F401  (the lesson's notebooks import these chores from here)
    delete_bucket,
    delete_delivery_stream,
    recreate_bucket,
    recreate_delivery_stream,
)
from ..core.checks import FAIL_MARK, PASS_MARK, TODO_MARK, could_not_check, is_blank, not_yet
from ..core.facts import (
    FIREHOSE_BUFFER_INTERVAL_SECONDS_MAX,
    FIREHOSE_BUFFER_INTERVAL_SECONDS_MIN,
    FIREHOSE_BUFFER_SIZE_MIB_MAX,
    FIREHOSE_BUFFER_SIZE_MIB_MIN,
    FIREHOSE_DIRECT_PUT_LARGE,
    FIREHOSE_DIRECT_PUT_LARGE_REGIONS,
    FIREHOSE_DIRECT_PUT_OTHER,
    FIREHOSE_PUT_RECORD_BATCH_MAX_BYTES,
    FIREHOSE_PUT_RECORD_BATCH_MAX_RECORDS,
    FIREHOSE_RECORD_MAX_BYTES,
    FIREHOSE_TRANSFORM_INVOCATION_MAX_SECONDS,
    FIREHOSE_TRANSFORM_RETRIES_DEFAULT,
    KIB,
    MIB,
    PRICING_ROUNDING_KB,
)
from ..data import READING_TRUTH_FIELDS, readings
from ..simulation.firehose_records import BufferedRecord, transform_event

# The transform contract (F46) has one home, the Firehose simulation: Ok / Dropped /
# ProcessingFailed, every recordId back once, base64 data.
from ..simulation.firehose_transform import RESULTS as TRANSFORM_RESULTS


@dataclass(frozen=True)
class DirectPutQuota:
    """Default Direct PUT throughput quota of one Firehose stream (F45)."""

    records_per_second: int
    requests_per_second: int
    mib_per_second: int


DIRECT_PUT_QUOTA_REGIONS = FIREHOSE_DIRECT_PUT_LARGE_REGIONS  # F45
DIRECT_PUT_QUOTA_LARGE = DirectPutQuota(*FIREHOSE_DIRECT_PUT_LARGE)  # F45: the three above
DIRECT_PUT_QUOTA_OTHER = DirectPutQuota(*FIREHOSE_DIRECT_PUT_OTHER)  # F45: every other Region


def direct_put_quota(region: str) -> DirectPutQuota:
    """The default Direct PUT quota per Firehose stream in ``region`` (F45). It does not apply
    when a Kinesis data stream is the source."""
    return DIRECT_PUT_QUOTA_LARGE if region in DIRECT_PUT_QUOTA_REGIONS else DIRECT_PUT_QUOTA_OTHER


# ---------------------------------------------------------------------------------------------
# Buffer timing
# ---------------------------------------------------------------------------------------------


def _check_hints(size_mib: float, interval_seconds: float) -> None:
    if not FIREHOSE_BUFFER_SIZE_MIB_MIN <= size_mib <= FIREHOSE_BUFFER_SIZE_MIB_MAX:
        raise ValueError(
            f"SizeInMBs must be {FIREHOSE_BUFFER_SIZE_MIB_MIN}-{FIREHOSE_BUFFER_SIZE_MIB_MAX} "
            f"(F42), not {size_mib}"
        )
    low, high = FIREHOSE_BUFFER_INTERVAL_SECONDS_MIN, FIREHOSE_BUFFER_INTERVAL_SECONDS_MAX
    if not low <= interval_seconds <= high:
        raise ValueError(f"IntervalInSeconds must be {low}-{high} (F42), not {interval_seconds}")


def record_bytes(record_kib: float) -> int:
    """A record size in KiB as whole bytes, within Firehose's 1,000 KiB record limit (F44)."""
    size = round(record_kib * KIB)
    if not 1 <= size <= FIREHOSE_RECORD_MAX_BYTES:
        raise ValueError(f"a Firehose record holds 1 byte to 1,000 KiB (F44), not {record_kib} KiB")
    return size


def size_fill_seconds(records_per_second: float, record_kib: float, size_mib: float) -> float:
    """Seconds a steady flow needs to fill SizeInMBs: size / (records/s x record size)."""
    if records_per_second <= 0:
        return math.inf
    return size_mib * MIB / (records_per_second * record_bytes(record_kib))


def first_delivery_seconds(
    records_per_second: float, record_kib: float, size_mib: float, interval_seconds: float
) -> float:
    """Seconds from the first record to the first delivery for a steady flow: whichever of
    the size and the interval is reached first (F42). Interval 0 is zero buffering (F43)."""
    _check_hints(size_mib, interval_seconds)
    return min(size_fill_seconds(records_per_second, record_kib, size_mib), interval_seconds)


def first_trigger(
    records_per_second: float, record_kib: float, size_mib: float, interval_seconds: float
) -> str:
    """Which hint ends the first buffer: "size", "interval" or "both" (reached together)."""
    _check_hints(size_mib, interval_seconds)
    fill = size_fill_seconds(records_per_second, record_kib, size_mib)
    if math.isclose(fill, interval_seconds, rel_tol=1e-9, abs_tol=1e-9):
        return "both"
    return "size" if fill < interval_seconds else "interval"


@dataclass(frozen=True)
class Delivery:
    """One S3 object in the buffer model: when its buffer opened and was delivered (seconds
    after the first record), what it held and which hint triggered it."""

    opened_at: float
    delivered_at: float
    records: int
    bytes: int
    trigger: str  # "size" or "interval"


def delivery_timeline(
    records_per_second: float,
    record_kib: float,
    size_mib: float,
    interval_seconds: float,
    *,
    horizon_seconds: float,
    sends_per_second: int = 1,
    max_deliveries: int = 500,
) -> list[Delivery]:
    """Every delivery up to ``horizon_seconds`` for a producer that sends, ``sends_per_second``
    times a second, the records due so far. The rules are those of the course's Firehose
    SIMULATION (kinesis_lab.simulation.firehose_pipeline): a buffer opens with its first record;
    it is delivered when it reaches SizeInMBs (a record that would overflow it sends it first)
    or when IntervalInSeconds has passed since it opened, whichever comes first (F42); with
    interval 0 every send becomes its own object (F43). A buffer due at the very moment of a
    send is delivered before that send's records arrive."""
    _check_hints(size_mib, interval_seconds)
    if sends_per_second < 1:
        raise ValueError("sends_per_second must be at least 1")
    size_each = record_bytes(record_kib)
    limit = int(size_mib * MIB)
    deliveries: list[Delivery] = []
    opened: float | None = None
    count = size = 0

    def deliver(at: float, trigger: str) -> None:
        nonlocal opened, count, size
        deliveries.append(Delivery(opened or 0.0, at, count, size, trigger))
        opened, count, size = None, 0, 0

    sent = 0
    step = 0
    while len(deliveries) < max_deliveries:
        now = step / sends_per_second
        if now > horizon_seconds:
            break
        if opened is not None and opened + interval_seconds <= now:
            deliver(opened + interval_seconds, "interval")
        due = math.floor(records_per_second * (step + 1) / sends_per_second + 1e-9)
        waiting, sent = due - sent, due
        while waiting > 0 and len(deliveries) < max_deliveries:
            if count and size + size_each > limit:
                deliver(now, "size")
            if not count:
                opened = now
            take = min(waiting, (limit - size) // size_each)
            count, size, waiting = count + take, size + take * size_each, waiting - take
            if size >= limit:
                deliver(now, "size")
        step += 1
    if (
        opened is not None
        and opened + interval_seconds <= horizon_seconds
        and len(deliveries) < max_deliveries
    ):
        deliver(opened + interval_seconds, "interval")
    return deliveries


# ---------------------------------------------------------------------------------------------
# "Your turn": when does the first object land?
# ---------------------------------------------------------------------------------------------

FIRST_DELIVERY_CASES = (
    # records/s, record KiB, SizeInMBs, IntervalInSeconds
    (100, 1, 5, 300),  # the size fills first: 51.2 s
    (10, 1, 5, 300),  # the interval comes first (the size would take 512 s)
    (1_024, 1, 1, 1),  # both at the same moment: 1 s
    (50, 4, 128, 900),  # the largest buffer: 655.36 s
    (500, 2, 128, 60),  # a short interval wins
    (1_000, 10, 64, 0),  # zero buffering
)


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-3)


def _fill(case: tuple[float, float, float, float], kib_bytes: int = KIB, mb: int = MIB) -> float:
    rate, kib, size_mib, _ = case
    return size_mib * mb / (rate * kib * kib_bytes)


# Typical wrong formulas, each with the hint it deserves (recognised over all the cases).
_MISTAKES: tuple[tuple[Callable[[tuple[float, float, float, float]], float], str], ...] = (
    (
        lambda c: max(_fill(c), c[3]),
        "Firehose delivers when the FIRST of the two hints is reached: take the smaller.",
    ),
    (lambda c: _fill(c), "the interval can end the buffer before it is full: compare with it."),
    (lambda c: c[3], "a fast producer fills SizeInMBs before the interval ends: compare with it."),
    (
        lambda c: min(_fill(c, 1_000, 1_000_000), c[3]),
        "SizeInMBs counts MiB: 1 MiB = 1,024 KiB = 1,048,576 bytes.",
    ),
    (
        lambda c: min(_fill(c, KIB, 1_000_000), c[3]),
        "SizeInMBs counts MiB: 1 MiB = 1,024 KiB = 1,048,576 bytes.",
    ),
    (lambda c: min(_fill(c), c[3]) / 60, "the answer is in seconds, not minutes."),
)
_GENERAL_HINT = (
    "fill time = SizeInMBs in KiB / (records per second x KiB per record); then take "
    "whichever comes first, the fill time or the interval."
)


def _first_delivery_hint(answers: dict[tuple[float, float, float, float], float]) -> str:
    """The hint for the wrong formula that explains every answer, else the general one."""
    for formula, hint in _MISTAKES:
        if answers and all(_close(value, formula(case)) for case, value in answers.items()):
            return hint
    return _GENERAL_HINT


def check_first_delivery(function: Callable[[float, float, float, float], Any]) -> bool:
    """Check a learner's ``first_delivery_seconds(records_per_second, record_kib, size_mib,
    interval_seconds)`` on the edges: size first, interval first, both at once, zero
    buffering. Prints one line per case and at most one hint; never raises."""
    right = 0
    hints: list[str] = []
    answers: dict[tuple[float, float, float, float], float] = {}
    for case in FIRST_DELIVERY_CASES:
        rate, kib, size_mib, interval = case
        label = f"{rate:,} records/s x {kib} KiB, {size_mib} MiB / {interval} s"
        try:
            got = function(*case)
        except Exception as error:
            print(f"{FAIL_MARK} {label}: raised {type(error).__name__}: {error}")
            hints.append("the function gets four numbers and returns a number of seconds.")
            continue
        if is_blank(got):
            print(f"{TODO_MARK} first delivery: not yet — replace the ... with your answer.")
            return False
        try:
            value = float(got)
        except (TypeError, ValueError):
            print(f"{FAIL_MARK} {label}: you returned {_short(got)}, not a number of seconds")
            hints.append("return a number (seconds), e.g. 51.2.")
            continue
        answers[case] = value
        if _close(value, first_delivery_seconds(*case)):
            right += 1
            why = "zero buffering" if interval == 0 else first_trigger(*case)
            print(f"{PASS_MARK} {label} → {value:g} s ({why})")
        else:
            print(f"{FAIL_MARK} {label}: you have {value:g} s")
    total = len(FIRST_DELIVERY_CASES)
    if right < len(answers):
        hints.append(_first_delivery_hint(answers))
    for hint in dict.fromkeys(hints):
        print(f"    hint: {hint}")
    print(f"All {total} cases right." if right == total else f"{right} of {total} cases right.")
    return right == total


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:59] + "…"


# ---------------------------------------------------------------------------------------------
# The Lambda transformation contract (F46)
# ---------------------------------------------------------------------------------------------


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def sample_transform_event(
    payloads: Iterable[bytes],
    *,
    stream_arn: str = "arn:aws:firehose:us-east-1:123456789012:deliverystream/m9-example",
    arrival_ms: int = 1_768_467_600_000,
) -> dict[str, Any]:
    """A sample of the event Firehose sends a transformation function, as the simulation sends
    it (:func:`kinesis_lab.simulation.firehose_records.transform_event`). Record IDs here are
    readable and deterministic; AWS's are long opaque strings."""
    records = [
        BufferedRecord(f"record-{number:03d}", payload, (arrival_ms + number) / 1000)
        for number, payload in enumerate(payloads, start=1)
    ]
    return transform_event(
        records, stream_arn=stream_arn, invocation_id="00540a87-5050-496a-84e4-e7d92bbaf5e2"
    )


def lab_readings(count: int, *, seed: int = 9, devices: int = 3) -> list[dict[str, Any]]:
    """IoT readings as a producer sends them (ground-truth fields removed)."""
    return [
        {k: v for k, v in reading.items() if k not in READING_TRUTH_FIELDS}
        for reading in readings(count, devices=devices, seed=seed)
    ]


def as_json(event: Mapping[str, Any]) -> bytes:
    return json.dumps(event, separators=(",", ":")).encode("utf-8")


@dataclass(frozen=True)
class TransformCase:
    """One record of the transform exercise and what must come back for it."""

    label: str
    data: bytes
    result: str
    output: dict[str, Any] | None = None  # the JSON an Ok record must carry
    hint: str = ""


def transform_cases() -> list[TransformCase]:
    """The records the checker sends: a reading, a reading with its temperature as text, test
    records, and payloads that are not JSON."""
    normal, textual, test, test_textual, not_test = lab_readings(5, seed=21)
    textual_sent = {**textual, "temperature_c": str(textual["temperature_c"])}
    test_sent = {**test, "test": True}
    test_textual_sent = {**test_textual, "test": True, "temperature_c": "19.5"}
    not_test_sent = {**not_test, "test": False}
    return [
        TransformCase(
            "a normal reading",
            as_json(normal),
            "Ok",
            normal,
            "only test records are dropped, and only payloads that are not JSON fail.",
        ),
        TransformCase(
            "temperature_c sent as text",
            as_json(textual_sent),
            "Ok",
            textual,
            'turn the text into a number with float(...): "21.95" → 21.95.',
        ),
        TransformCase(
            'a test record ("test": true)',
            as_json(test_sent),
            "Dropped",
            None,
            'a record with "test": true must come back with result "Dropped".',
        ),
        TransformCase(
            "a test record with a text temperature",
            as_json(test_textual_sent),
            "Dropped",
            None,
            "decide about test records before anything else.",
        ),
        TransformCase(
            'a real reading with "test": false',
            as_json(not_test_sent),
            "Ok",
            not_test_sent,
            '"test": false is a real reading: look at the value, not only the key.',
        ),
        TransformCase(
            "truncated JSON",
            b'{"device_id": "dev-00002", "seq": 7, "temperature_c": 2',
            "ProcessingFailed",
            None,
            'a payload json.loads cannot parse must come back "ProcessingFailed", so Firehose '
            "keeps it under the processing-failed prefix.",
        ),
        TransformCase(
            "not JSON at all",
            b"device dev-00002 says hello",
            "ProcessingFailed",
            None,
            'a payload json.loads cannot parse must come back "ProcessingFailed".',
        ),
    ]


def reference_transform(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    """The lesson's transformation: drop test records, make ``temperature_c`` a number, mark
    payloads that are not JSON objects as ProcessingFailed. Every recordId goes back exactly
    once, each with a result and base64 data (F46)."""
    answers = []
    for record in event["records"]:
        answer = {"recordId": record["recordId"], "result": "Ok", "data": record["data"]}
        try:
            reading = json.loads(base64.b64decode(record["data"]))
            if not isinstance(reading, dict):
                raise ValueError("not a JSON object")
            if reading.get("test") is True:
                answer["result"] = "Dropped"
            elif "temperature_c" in reading:
                reading["temperature_c"] = float(reading["temperature_c"])
                answer["data"] = b64(json.dumps(reading).encode("utf-8"))
        except (TypeError, ValueError):  # not JSON, not an object, or a temperature like "hot"
            answer["result"] = "ProcessingFailed"
        answers.append(answer)
    return {"records": answers}


class _LabContext:
    """The few attributes of a Lambda context object a transform usually reads."""

    function_name = "m9-transform"
    aws_request_id = "c0ffee00-0000-4000-8000-000000000000"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return FIREHOSE_TRANSFORM_INVOCATION_MAX_SECONDS * 1000  # F46


def _holds_blank(value: Any) -> bool:
    if is_blank(value):
        return True
    if isinstance(value, Mapping):
        return any(_holds_blank(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_holds_blank(v) for v in value)
    return False


def _is_blank_error(error: BaseException) -> bool:
    """json.dumps(...) of a dict that still holds a ``...`` raises this TypeError."""
    return isinstance(error, TypeError) and "ellipsis" in str(error)


def _decode(data: Any) -> bytes | None:
    if not isinstance(data, str):
        return None
    try:
        return base64.b64decode(data, validate=True)
    except ValueError:
        return None


def contract_problems(event: Mapping[str, Any], response: Any) -> list[str]:
    """What Firehose would reject in a transformation response (Firehose DG "Required
    parameters for data transformation"): every recordId of the event exactly once, nothing
    else; ``result`` one of Ok / Dropped / ProcessingFailed; ``data`` base64 text."""
    if isinstance(response, str | bytes):
        return ["the function returned text; return the dict itself — Lambda turns it into JSON."]
    if not isinstance(response, Mapping):
        return [f'return a dict {{"records": [...]}}, not {type(response).__name__}.']
    entries = response.get("records")
    if not isinstance(entries, list):
        return ['the dict needs a "records" list: one entry per record of the event.']
    sent = [record["recordId"] for record in event["records"]]
    problems = []
    seen: dict[str, int] = {}
    for position, entry in enumerate(entries):
        if not isinstance(entry, Mapping):
            problems.append(f"entry {position} is a {type(entry).__name__}, not a dict.")
            continue
        record_id = entry.get("recordId")
        if record_id not in sent:
            problems.append(
                f"entry {position} has recordId {record_id!r}, which Firehose never sent: "
                "copy record['recordId'] from the event."
            )
            continue
        seen[record_id] = seen.get(record_id, 0) + 1
        result = entry.get("result")
        if result not in TRANSFORM_RESULTS:
            near = [r for r in TRANSFORM_RESULTS if str(result).lower() == r.lower()]
            problems.append(
                f"{record_id}: result {result!r} is not one of Ok / Dropped / ProcessingFailed"
                + (f" (spelling counts: {near[0]!r})." if near else ".")
            )
        if "data" not in entry:
            problems.append(f"{record_id}: every record needs a 'data' field, whatever its result.")
        elif _decode(entry.get("data")) is None:
            problems.append(
                f"{record_id}: 'data' must be base64 text, e.g. base64.b64encode(payload).decode()."
            )
    missing = [record_id for record_id in sent if record_id not in seen]
    if missing:
        problems.append(
            f"{len(missing)} recordId(s) never came back ({', '.join(missing[:3])}"
            f"{'…' if len(missing) > 3 else ''}): Firehose fails those records. Return EVERY "
            "record — a dropped one with result 'Dropped'."
        )
    repeated = [record_id for record_id, times in seen.items() if times > 1]
    if repeated:
        problems.append(
            f"recordId(s) returned more than once: {', '.join(repeated[:3])} — each exactly once."
        )
    return problems


def _ok_output(entry: Mapping[str, Any]) -> Any:
    raw = _decode(entry.get("data"))
    try:
        return json.loads(raw) if raw is not None else None
    except ValueError:
        return None


def _same_json(got: Any, expected: Mapping[str, Any]) -> bool:
    if not isinstance(got, dict) or set(got) != set(expected):
        return False
    for key, value in expected.items():
        if isinstance(value, float) and not isinstance(value, bool):
            if not isinstance(got[key], int | float) or isinstance(got[key], bool):
                return False
            if not math.isclose(got[key], value, rel_tol=1e-9):
                return False
        elif got[key] != value:
            return False
    return True


def check_transform_handler(handler: Callable[[dict[str, Any], Any], Any]) -> bool:
    """Check a learner's Firehose transformation handler: first the contract Firehose enforces
    (F46), then the lesson's task on seven records. Prints ✓ / ✗ / "not yet" lines; never
    raises. A blank (``...``) anywhere in the answer is "not yet"."""
    cases = transform_cases()
    event = sample_transform_event(case.data for case in cases)
    try:
        response = handler(copy.deepcopy(event), _LabContext())
    except Exception as error:
        if _is_blank_error(error):
            print(f"{TODO_MARK} transform: not yet — replace every ... with your answer.")
            return False
        print(f"{FAIL_MARK} the handler raised {type(error).__name__}: {error}")
        print(
            f"    Firehose would invoke it again {FIREHOSE_TRANSFORM_RETRIES_DEFAULT} times "
            "(F46), then send every record of the batch to processing-failed."
        )
        return False
    try:
        if _holds_blank(response):
            print(f"{TODO_MARK} transform: not yet — replace every ... with your answer.")
            return False
        problems = contract_problems(event, response)
        if problems:
            print(f"{FAIL_MARK} contract: Firehose would not accept this response")
            for problem in problems[:6]:
                print(f"    - {problem}")
            return False
        print(
            f"{PASS_MARK} contract: every recordId back once, results are Ok / Dropped / "
            "ProcessingFailed, data is base64"
        )
        by_id = {entry["recordId"]: entry for entry in response["records"]}
        right = 0
        hints = []
        for record, case in zip(event["records"], cases, strict=True):
            entry = by_id[record["recordId"]]
            got = entry["result"]
            if got != case.result:
                print(f"{FAIL_MARK} {case.label}: you answered {got!r}")
                hints.append(case.hint)
                continue
            if case.output is not None and not _same_json(_ok_output(entry), case.output):
                output = _ok_output(entry)
                shown = json.dumps(output)[:70] if output is not None else "not JSON"
                print(f"{FAIL_MARK} {case.label}: Ok, but the data is {shown}")
                hints.append(case.hint)
                continue
            right += 1
            print(f"{PASS_MARK} {case.label} → {got}")
        for hint in dict.fromkeys(hints):
            print(f"    hint: {hint}")
        total = len(cases)
        print(f"All {total} records right." if right == total else f"{right} of {total} right.")
        return right == total
    except Exception as error:  # a check must never stop the lesson
        print(f"{FAIL_MARK} could not check this answer ({type(error).__name__}).")
        return False


# ---------------------------------------------------------------------------------------------
# Pricing (F52)
# ---------------------------------------------------------------------------------------------


def billed_kb(record_kb: float) -> int:
    """The KB Firehose bills for one record: rounded up to the next 5 KB (F52)."""
    if record_kb <= 0:
        raise ValueError("a record has a positive size")
    return PRICING_ROUNDING_KB * math.ceil(round(record_kb / PRICING_ROUNDING_KB, 9))


# ---------------------------------------------------------------------------------------------
# Reading what Firehose delivered to S3 (boto3 clients passed in)
# ---------------------------------------------------------------------------------------------


def bucket_objects(s3: Any, bucket: str, prefix: str = "", *, read: bool = True) -> dict[str, Any]:
    """Every object under ``prefix``, sorted by key: key → body bytes (or None if not read)."""
    found: dict[str, Any] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            key = item["Key"]
            found[key] = s3.get_object(Bucket=bucket, Key=key)["Body"].read() if read else None
    return dict(sorted(found.items()))


def processors(*entries: tuple[str, Mapping[str, Any]]) -> dict[str, Any]:
    """A ProcessingConfiguration from ``(type, {parameter: value})`` pairs; Firehose wants
    every parameter value as text."""
    return {
        "Enabled": True,
        "Processors": [
            {
                "Type": kind,
                "Parameters": [
                    {"ParameterName": name, "ParameterValue": str(value)}
                    for name, value in parameters.items()
                ],
            }
            for kind, parameters in entries
        ],
    }


def padded_record(number: int, size_bytes: int) -> bytes:
    """A JSON record of exactly ``size_bytes`` bytes (padding included) for timing labs."""
    head = f'{{"n":{number},"pad":"'.encode()
    tail = b'"}'
    padding = size_bytes - len(head) - len(tail)
    if padding < 0:
        raise ValueError(f"a padded record needs at least {len(head) + len(tail)} bytes")
    return head + b"x" * padding + tail


def batches(payloads: list[bytes]) -> Iterable[list[dict[str, bytes]]]:
    """PutRecordBatch-sized lists: at most 500 records and 4 MiB each (F44)."""
    batch: list[dict[str, bytes]] = []
    size = 0
    for payload in payloads:
        too_many = len(batch) == FIREHOSE_PUT_RECORD_BATCH_MAX_RECORDS
        if batch and (too_many or size + len(payload) > FIREHOSE_PUT_RECORD_BATCH_MAX_BYTES):
            yield batch
            batch, size = [], 0
        batch.append({"Data": payload})
        size += len(payload)
    if batch:
        yield batch


_OBJECT_TIME = re.compile(r"-(\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2})-[0-9a-f-]{36}(?:\.\w+)?$")


def object_time(key: str) -> datetime | None:
    """The delivery time in a Firehose object name (``<stream>-<version>-YYYY-MM-DD-HH-MM-SS-
    <uuid>``), as a UTC datetime; None for other keys."""
    match = _OBJECT_TIME.search(key)
    if match is None:
        return None
    return datetime.strptime(match.group(1), "%Y-%m-%d-%H-%M-%S").replace(tzinfo=timezone.utc)


def object_lines(body: bytes) -> list[str]:
    """The lines of an object's body, gunzipped first if it is GZIP."""
    if body[:2] == b"\x1f\x8b":
        body = gzip.decompress(body)
    return body.decode("utf-8").splitlines()


def measure_first_delivery(
    firehose: Any,
    s3: Any,
    *,
    stream_name: str,
    bucket: str,
    records_per_second: int,
    record_kib: float,
    advance: Callable[[float], Any],
    now: Callable[[], float],
    prefix: str = "",
    max_seconds: int = 900,
) -> float | None:
    """Send ``records_per_second`` padded records every second (PutRecordBatch, F44) to a
    Firehose stream and move the lab clock 1 s, until the first object appears under
    ``prefix``; returns the seconds from the first record to that object's delivery time
    (read from its name), or None if nothing arrived within ``max_seconds``."""
    size = record_bytes(record_kib)
    started = now()
    number = 0
    for _ in range(max_seconds + 1):
        payloads = [padded_record(number + i, size) for i in range(records_per_second)]
        number += records_per_second
        for batch in batches(payloads):
            firehose.put_record_batch(DeliveryStreamName=stream_name, Records=batch)
        advance(1)
        delivered = [object_time(key) for key in bucket_objects(s3, bucket, prefix, read=False)]
        times = [moment.timestamp() for moment in delivered if moment is not None]
        if times:
            return min(times) - started
    return None


# ---------------------------------------------------------------------------------------------
# Exercises: the learner creates the Firehose streams and the transformation function; these
# helpers set up (roles, packaging), check what exists in the account, and — as the lesson's
# fallback when an exercise is still blank — build it and say so (issue 11, design.md).
# ---------------------------------------------------------------------------------------------

LAMBDA_HANDLER = "lambda_function.lambda_handler"  # the module and name handler_zip writes
LAMBDA_RUNTIME = "python3.12"
_TRUST = {"firehose": "firehose.amazonaws.com", "lambda": "lambda.amazonaws.com"}


def ensure_role(iam: Any, name: str, service: str) -> str:
    """Setup: an IAM role that ``service`` ("firehose" or "lambda") may assume; its ARN.
    (On AWS it also needs permissions: S3 for Firehose, logs for Lambda.)"""
    try:
        return iam.get_role(RoleName=name)["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": _TRUST[service]},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
        return iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"][
            "Arn"
        ]


def handler_zip(handler: Callable[..., Any]) -> bytes:
    """Setup: a deployment package (.zip) with ``handler``'s source, the module-level functions
    it calls and the imports it needs, and ``lambda_handler = <handler>`` — so ``Handler`` is
    always ``"lambda_function.lambda_handler"`` (LAMBDA_HANDLER)."""
    return lambda_functions.handler_zip(handler, follow_calls=True, entry_point="lambda_handler")


def check_function(lambda_client: Any, name: str) -> bool:
    """✓ when the Lambda function exists with the Python handler from handler_zip."""
    return lambda_functions.check_function(lambda_client, name, LAMBDA_HANDLER)


def delete_function(lambda_client: Any, name: str) -> None:
    """Setup: delete a Lambda function if it exists (a re-run starts clean)."""
    try:
        lambda_client.delete_function(FunctionName=name)
    except lambda_client.exceptions.ResourceNotFoundException:
        pass


def function_arn(lambda_client: Any, name: str) -> str | None:
    try:
        return lambda_client.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    except lambda_client.exceptions.ResourceNotFoundException:
        return None


def ensure_function(
    lambda_client: Any, name: str, role_arn: str, handler: Callable[..., Any]
) -> str:
    """Fallback: the function's ARN, creating it from ``handler`` when it is missing (saying so)."""
    arn = function_arn(lambda_client, name)
    if arn is not None:
        return arn
    arn = lambda_client.create_function(
        FunctionName=name,
        Runtime=LAMBDA_RUNTIME,
        Role=role_arn,
        Handler=LAMBDA_HANDLER,
        Code={"ZipFile": handler_zip(handler)},
    )["FunctionArn"]
    print(f"(so that the lesson can go on, the lab created the function {name!r} for you)")
    return arn


def destination_configuration(
    role_arn: str,
    bucket_arn: str,
    *,
    prefix: str,
    size_mib: int,
    interval_seconds: int,
    error_prefix: str | None = None,
    compression: str = "UNCOMPRESSED",
    newline: bool = False,
    lambda_arn: str | None = None,
    partition_query: str | None = None,
) -> dict[str, Any]:
    """An ExtendedS3DestinationConfiguration from plain settings (the lesson's fallbacks)."""
    steps: list[tuple[str, Mapping[str, Any]]] = []
    if lambda_arn:
        steps.append(
            (
                "Lambda",
                {"LambdaArn": lambda_arn, "BufferSizeInMBs": 1, "BufferIntervalInSeconds": 60},
            )
        )
    if partition_query:
        steps.append(
            (
                "MetadataExtraction",
                {"MetadataExtractionQuery": partition_query, "JsonParsingEngine": "JQ-1.6"},
            )
        )
    if newline:
        steps.append(("AppendDelimiterToRecord", {}))
    config: dict[str, Any] = {
        "RoleARN": role_arn,
        "BucketARN": bucket_arn,
        "Prefix": prefix,
        "BufferingHints": {"SizeInMBs": size_mib, "IntervalInSeconds": interval_seconds},
        "CompressionFormat": compression,
    }
    if error_prefix:
        config["ErrorOutputPrefix"] = error_prefix
    if steps:
        config["ProcessingConfiguration"] = processors(*steps)
    if partition_query:
        config["DynamicPartitioningConfiguration"] = {"Enabled": True}
    return config


def _described_processors(destination: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    processing = destination.get("ProcessingConfiguration") or {}
    if not processing.get("Enabled", False):
        return {}
    return {
        p["Type"]: {q["ParameterName"]: q["ParameterValue"] for q in p.get("Parameters", [])}
        for p in processing.get("Processors", [])
    }


def _stream_problems(
    description: Mapping[str, Any],
    *,
    bucket_arn: str | None = None,
    prefix: str,
    size_mib: int,
    interval_seconds: int,
    error_prefix: str | None = None,
    compression: str = "UNCOMPRESSED",
    newline: bool = False,
    lambda_arn: str | None = None,
    partition_query: str | None = None,
    source_arn: str | None = None,
) -> list[str]:
    """What differs between a DescribeDeliveryStream answer and the settings wanted."""
    destination = description["Destinations"][0].get("ExtendedS3DestinationDescription")
    if destination is None:
        return ["it has no ExtendedS3 destination (use ExtendedS3DestinationConfiguration)"]
    problems = []
    wanted_type = "KinesisStreamAsSource" if source_arn else "DirectPut"
    if description.get("DeliveryStreamType") != wanted_type:
        problems.append(f"DeliveryStreamType is {description.get('DeliveryStreamType')}")
    if source_arn:
        found = description.get("Source", {}).get("KinesisStreamSourceDescription", {})
        if found.get("KinesisStreamARN") != source_arn:
            problems.append("KinesisStreamSourceConfiguration does not name the data stream")
    if bucket_arn and destination.get("BucketARN") != bucket_arn:
        problems.append(f"BucketARN is {destination.get('BucketARN')!r}")
    if destination.get("Prefix", "") != prefix:
        problems.append(f"Prefix is {destination.get('Prefix', '')!r}, not {prefix!r}")
    if error_prefix and destination.get("ErrorOutputPrefix", "") != error_prefix:
        problems.append(
            f"ErrorOutputPrefix is {destination.get('ErrorOutputPrefix', '')!r}, "
            f"not {error_prefix!r}"
        )
    hints = destination.get("BufferingHints", {})
    if (hints.get("SizeInMBs"), hints.get("IntervalInSeconds")) != (size_mib, interval_seconds):
        problems.append(
            f"BufferingHints are {hints.get('SizeInMBs')} MiB / "
            f"{hints.get('IntervalInSeconds')} s, not {size_mib} MiB / {interval_seconds} s"
        )
    if destination.get("CompressionFormat", "UNCOMPRESSED") != compression:
        problems.append(f"CompressionFormat is {destination.get('CompressionFormat')}")
    steps = _described_processors(destination)
    if newline != ("AppendDelimiterToRecord" in steps):
        problems.append(
            "the AppendDelimiterToRecord processor is " + ("missing" if newline else "there")
        )
    if lambda_arn and steps.get("Lambda", {}).get("LambdaArn") != lambda_arn:
        problems.append(f"no Lambda processor with LambdaArn {lambda_arn}")
    if partition_query:
        if not (destination.get("DynamicPartitioningConfiguration") or {}).get("Enabled"):
            problems.append("DynamicPartitioningConfiguration is not enabled")
        query = steps.get("MetadataExtraction", {}).get("MetadataExtractionQuery")
        if query is None:
            problems.append("no MetadataExtraction processor")
        elif "".join(query.split()) != "".join(partition_query.split()):
            problems.append(f"MetadataExtractionQuery is {query!r}, not {partition_query!r}")
    return problems


def _description(firehose: Any, name: str) -> dict[str, Any] | None:
    try:
        return firehose.describe_delivery_stream(DeliveryStreamName=name)[
            "DeliveryStreamDescription"
        ]
    except firehose.exceptions.ResourceNotFoundException:
        return None


def check_delivery_stream(firehose: Any, name: str, **wanted: Any) -> bool:
    """✓ when the Firehose stream exists, ACTIVE, with the settings ``wanted`` (prefix,
    size_mib, interval_seconds, error_prefix, compression, newline, lambda_arn,
    partition_query, source_arn, bucket_arn) — read with DescribeDeliveryStream."""
    label = f"Firehose stream {name!r}"
    try:
        description = _description(firehose, name)
        if description is None:
            return not_yet(label, "there is no such stream yet.")
        problems = _stream_problems(description, **wanted)
        if description.get("DeliveryStreamStatus") != "ACTIVE":
            problems.append(f"it is {description.get('DeliveryStreamStatus')}, not ACTIVE yet")
        if problems:
            print(f"{FAIL_MARK} {label}: " + "; ".join(problems))
            return False
        size, interval = wanted["size_mib"], wanted["interval_seconds"]
        print(
            f"{PASS_MARK} {label}: ACTIVE, {size} MiB / {interval} s, Prefix {wanted['prefix']!r}"
        )
        return True
    except Exception as error:  # a check must never stop the lesson
        return could_not_check(label, error)


def ensure_delivery_stream(
    firehose: Any, name: str, role_arn: str, bucket_arn: str, **wanted: Any
) -> None:
    """Fallback: when the stream is missing or not as ``wanted``, (re)create it so, saying so."""
    description = _description(firehose, name)
    if description is not None and not _stream_problems(description, **wanted):
        return
    source_arn = wanted.pop("source_arn", None)
    source: dict[str, Any] = {"DeliveryStreamType": "DirectPut"}
    if source_arn:
        source = {
            "DeliveryStreamType": "KinesisStreamAsSource",
            "KinesisStreamSourceConfiguration": {
                "KinesisStreamARN": source_arn,
                "RoleARN": role_arn,
            },
        }
    delete_delivery_stream(firehose, name)
    firehose.create_delivery_stream(
        DeliveryStreamName=name,
        ExtendedS3DestinationConfiguration=destination_configuration(
            role_arn, bucket_arn, **wanted
        ),
        **source,
    )
    print(f"(so that the lesson can go on, the lab created the Firehose stream {name!r} for you)")


def check_delivered_once(s3: Any, bucket: str, prefix: str, payloads: Sequence[bytes]) -> bool:
    """✓ when every payload was delivered under ``prefix`` exactly once (newline-delimited
    objects): the resend loop neither lost a failed record nor repeated an accepted one."""
    label = f"the burst under {prefix!r}"
    try:
        lines: Counter[bytes] = Counter()
        for body in bucket_objects(s3, bucket, prefix).values():
            lines.update(line.encode() for line in object_lines(body))
        wanted = Counter(payloads)
        found = sum(min(lines[p], n) for p, n in wanted.items())
        if found == 0:
            return not_yet(label, "none of its records is in S3 yet.")
        missing = sum(n for p, n in (wanted - lines).items())
        extra = sum(n for p, n in (lines - wanted).items() if p in wanted)
        if missing or extra:
            print(
                f"{FAIL_MARK} {label}: {missing} record(s) missing, {extra} delivered twice"
                "\n    hint: resend the records whose answer has an ErrorCode — only those"
            )
            return False
        print(f"{PASS_MARK} {label}: all {len(payloads):,} records delivered, each once")
        return True
    except Exception as error:  # a check must never stop the lesson
        return could_not_check(label, error)


def check_objects(
    s3: Any,
    bucket: str,
    prefix: str,
    records: int,
    *,
    gzip_objects: bool | None = None,
    folders: Iterable[str] | None = None,
) -> bool:
    """✓ when the objects under ``prefix`` hold ``records`` newline-delimited records in all —
    GZIP-compressed or not as ``gzip_objects`` says, and, with ``folders``, in exactly those
    folders right under the prefix (the partitions)."""
    label = f"objects under {prefix!r}"
    try:
        objects = bucket_objects(s3, bucket, prefix)
        if not objects:
            return not_yet(label, "nothing was delivered there.")
        problems = []
        zipped = [body[:2] == b"\x1f\x8b" for body in objects.values()]
        if gzip_objects is not None and not all(z == gzip_objects for z in zipped):
            problems.append("not GZIP-compressed" if gzip_objects else "compressed")
        found = sum(len(object_lines(body)) for body in objects.values())
        if found != records:
            problems.append(f"{found} record(s), not {records}")
        if folders is not None:
            seen = {key[len(prefix) :].split("/")[0] for key in objects}
            if seen != set(folders):
                problems.append(f"folders {sorted(seen)}, not {sorted(folders)}")
        if problems:
            print(f"{FAIL_MARK} {label}: " + "; ".join(problems))
            return False
        print(f"{PASS_MARK} {label}: {len(objects)} object(s), {records} record(s)")
        return True
    except Exception as error:  # a check must never stop the lesson
        return could_not_check(label, error)
