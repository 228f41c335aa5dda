"""Helpers for lesson M8 (Lambda event source mapping for Kinesis): events, checks, scenarios.

Why a module: the lesson asks learners to *write* Lambda handlers for Kinesis and to *watch*
what the (simulated) event source mapping does with them — batches, retries, bisection,
partial batch responses, lag. That needs

- synthetic Kinesis events shaped exactly like Lambda's (base64 ``data``), built with the same
  code the simulation uses (:mod:`kinesis_lab.simulation.lambda_events`), so a handler tested
  here behaves the same behind the mapping;
- checks for the learner's decoder and partial-batch handler that say *what* went wrong (a
  lost record, a record processed twice) without giving the answer away;
- the scenarios of the lesson as small functions: a stream with a poison record, a producer
  that keeps writing while a slow handler falls behind, the per-key order check;
- plain-text tables of the mapping's invocation log.

Everything that runs the mapping is SIMULATION (see :mod:`kinesis_lab.simulation.lambda_esm`);
the numbers come from :mod:`kinesis_lab.core.facts` (F34-F40).
"""

from __future__ import annotations

import base64
import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..clients.readers import read_shard
from ..clients.resources import delete_stream, recreate_stream  # noqa: F401  (M8 imports them from here)
from ..core import clock
from ..core.checks import FAIL_MARK, PASS_MARK, TODO_MARK, is_blank
from ..core.facts import (
    ESM_BATCH_SIZE_DEFAULT,
    ESM_BATCH_SIZE_MAX,
    ESM_BATCH_SIZE_MIN,
    ESM_BATCHING_WINDOW_DEFAULT_SECONDS,
    ESM_BATCHING_WINDOW_MAX_SECONDS,
    ESM_INFINITE,
    ESM_MAX_RECORD_AGE_MAX_SECONDS,
    ESM_MAX_RECORD_AGE_MIN_SECONDS,
    ESM_MAX_RETRY_ATTEMPTS_MAX,
    ESM_PARALLELIZATION_FACTOR_DEFAULT,
    ESM_PARALLELIZATION_FACTOR_MAX,
    ESM_POLL_INTERVAL_SECONDS,
    ESM_TUMBLING_WINDOW_MAX_SECONDS,
    LAMBDA_MEMORY_DEFAULT_MB,
    LAMBDA_TIMEOUT_DEFAULT_SECONDS,
)
from ..data import READING_TRUTH_FIELDS, TRANSACTION_TRUTH_FIELDS, decode, readings, transactions
from ..data import to_put_records_entries as _entries
from ..patterns.delivery import summary_table
from ..simulation import lambda_events
from ..simulation.lambda_esm import EventSourceMapping

SAMPLE_REGION = "us-east-1"
SAMPLE_ACCOUNT = "123456789012"
SAMPLE_STREAM = "lab-sample-stream"
SAMPLE_SHARD = "shardId-000000000000"
SAMPLE_FUNCTION = "kinesis-lab-function"
SAMPLE_ARRIVAL = 1_768_467_600.0  # 2026-01-15T09:00:00Z, the course's simulated start
REPORT_BATCH_ITEM_FAILURES = "ReportBatchItemFailures"

# ---------------------------------------------------------------------------------------------
# The parameters of a Kinesis event source mapping (F34-F40), for the lesson's table and tests
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Parameter:
    """One CreateEventSourceMapping parameter as the lesson teaches it."""

    name: str
    default: Any
    allowed: str
    fact: str
    minimum: int | None = None  # numeric bounds, where the API has them
    maximum: int | None = None


ESM_PARAMETERS: tuple[Parameter, ...] = (
    Parameter(
        "BatchSize",
        ESM_BATCH_SIZE_DEFAULT,
        f"{ESM_BATCH_SIZE_MIN:,}–{ESM_BATCH_SIZE_MAX:,} records",
        "F34",
        ESM_BATCH_SIZE_MIN,
        ESM_BATCH_SIZE_MAX,
    ),
    Parameter(
        "MaximumBatchingWindowInSeconds",
        ESM_BATCHING_WINDOW_DEFAULT_SECONDS,
        f"0–{ESM_BATCHING_WINDOW_MAX_SECONDS} s",
        "F36",
        0,
        ESM_BATCHING_WINDOW_MAX_SECONDS,
    ),
    Parameter(
        "StartingPosition",
        None,
        "TRIM_HORIZON, LATEST or AT_TIMESTAMP (required)",
        "F10",
    ),
    Parameter(
        "ParallelizationFactor",
        ESM_PARALLELIZATION_FACTOR_DEFAULT,
        f"1–{ESM_PARALLELIZATION_FACTOR_MAX} batches per shard at once",
        "F35",
        1,
        ESM_PARALLELIZATION_FACTOR_MAX,
    ),
    Parameter("BisectBatchOnFunctionError", False, "true / false", "F39"),
    Parameter(
        "MaximumRetryAttempts",
        ESM_INFINITE,
        f"-1 (infinite) or 0–{ESM_MAX_RETRY_ATTEMPTS_MAX:,}",
        "F37",
        ESM_INFINITE,
        ESM_MAX_RETRY_ATTEMPTS_MAX,
    ),
    Parameter(
        "MaximumRecordAgeInSeconds",
        ESM_INFINITE,
        f"-1 (infinite) or {ESM_MAX_RECORD_AGE_MIN_SECONDS}–{ESM_MAX_RECORD_AGE_MAX_SECONDS:,} s",
        "F37",
        ESM_INFINITE,
        ESM_MAX_RECORD_AGE_MAX_SECONDS,
    ),
    Parameter(
        "DestinationConfig.OnFailure",
        None,
        "an SQS queue, SNS topic or S3 bucket ARN",
        "F40",
    ),
    Parameter(
        "FunctionResponseTypes",
        (),
        f'["{REPORT_BATCH_ITEM_FAILURES}"] or []',
        "F39",
    ),
    Parameter(
        "TumblingWindowInSeconds",
        0,
        f"0–{ESM_TUMBLING_WINDOW_MAX_SECONDS} s (0 = off)",
        "F38",
        0,
        ESM_TUMBLING_WINDOW_MAX_SECONDS,
    ),
)


def parameter_table() -> str:
    """The parameters as a plain-text table: name, default, allowed values, fact row."""

    def shown(value: Any) -> str:
        if value is None:
            return "—"
        if value == ():
            return "[]"
        return str(value).lower() if isinstance(value, bool) else str(value)

    rows = [(p.name, shown(p.default), p.allowed, p.fact) for p in ESM_PARAMETERS]
    return summary_table(rows, ("parameter", "default", "allowed", "fact"))


# ---------------------------------------------------------------------------------------------
# Synthetic events and context (pure): what a handler receives, built like Lambda builds it
# ---------------------------------------------------------------------------------------------


def synthetic_sequence_numbers(count: int, *, shard_index: int = 0, first: int = 1) -> list[str]:
    """``count`` increasing, AWS-shaped (56-digit) sequence numbers for one shard."""
    if count < 0 or first < 0:
        raise ValueError("count and first must not be negative")
    return [f"49590{shard_index:03d}{n:048d}" for n in range(first, first + count)]


def _payload_bytes(payload: Any) -> bytes:
    if isinstance(payload, (bytes, bytearray)):
        return bytes(payload)
    if isinstance(payload, str):
        return payload.encode("utf-8")
    return json.dumps(payload, separators=(",", ":")).encode("utf-8")


def _key_of(payload: Any, index: int, partition_key: str | Callable[[Any], Any] | None) -> str:
    if callable(partition_key):
        return str(partition_key(payload))
    if isinstance(partition_key, str) and isinstance(payload, Mapping) and partition_key in payload:
        return str(payload[partition_key])
    return f"key-{index}"


def make_event(
    payloads: Sequence[Any],
    *,
    partition_key: str | Callable[[Any], Any] | None = None,
    stream_name: str = SAMPLE_STREAM,
    shard_id: str = SAMPLE_SHARD,
    region: str = SAMPLE_REGION,
    account: str = SAMPLE_ACCOUNT,
    arrival: float = SAMPLE_ARRIVAL,
    sequence_numbers: Sequence[str] | None = None,
) -> dict[str, Any]:
    """A Kinesis event as Lambda sends it: ``{"Records": [...]}`` from one shard.

    Each payload becomes one record: a dict is sent as compact JSON, a str as UTF-8, bytes as
    they are (handy for a malformed "poison" record). ``data`` is base64, as in Lambda's events.
    ``partition_key`` is a field of dict payloads or a function of the payload.
    """
    numbers = list(sequence_numbers or synthetic_sequence_numbers(len(payloads)))
    if len(numbers) != len(payloads):
        raise ValueError("give one sequence number per payload")
    stream_arn = f"arn:aws:kinesis:{region}:{account}:stream/{stream_name}"
    records = [
        lambda_events.kinesis_event_record(
            shard_id=shard_id,
            sequence_number=number,
            partition_key=_key_of(payload, index, partition_key),
            data=_payload_bytes(payload),
            arrival=arrival + index * 0.001,
            region=region,
            stream_arn=stream_arn,
            invoke_identity_arn=f"arn:aws:iam::{account}:role/{SAMPLE_FUNCTION}-role",
        )
        for index, (payload, number) in enumerate(zip(payloads, numbers, strict=True))
    ]
    return json.loads(json.dumps({"Records": records}))  # JSON, as over the wire


def make_context(
    function_name: str = SAMPLE_FUNCTION,
    *,
    timeout_seconds: float = LAMBDA_TIMEOUT_DEFAULT_SECONDS,
    memory_mb: int = LAMBDA_MEMORY_DEFAULT_MB,
) -> lambda_events.LambdaContext:
    """A context object like the Python runtime's (``aws_request_id``,
    ``get_remaining_time_in_millis()`` …), for calling a handler by hand."""
    return lambda_events.lambda_context(
        function_name=function_name,
        function_arn=f"arn:aws:lambda:{SAMPLE_REGION}:{SAMPLE_ACCOUNT}:function:{function_name}",
        memory_mb=memory_mb,
        timeout_seconds=timeout_seconds,
    )


def sequence_numbers_of(event: Mapping[str, Any]) -> list[str]:
    """The sequence numbers of an event's records, in order."""
    return [record["kinesis"]["sequenceNumber"] for record in event["Records"]]


# ---------------------------------------------------------------------------------------------
# Check: the learner's decoder for one event record
# ---------------------------------------------------------------------------------------------

DECODE_CASES: tuple[tuple[str, Any], ...] = (
    ("a sensor reading", {"device_id": "dev-00007", "temperature_c": 21.5, "seq": 3}),
    ("a payment", {"txn_id": "txn-42", "amount": 18.4, "currency": "EUR"}),
    ("text that is not ASCII", {"city": "Zürich", "note": "température ↑"}),
)


def _describe_error(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:120]


def check_decode(function: Callable[[Mapping[str, Any]], Any]) -> bool:
    """Check ``function(record)`` returns the JSON payload of one Lambda event record."""
    hints: list[str] = []
    right = 0
    for label, payload in DECODE_CASES:
        record = make_event([payload])["Records"][0]
        try:
            got = function(record)
        except Exception as error:
            print(f"{FAIL_MARK} {label}: raised {_describe_error(error)}")
            if isinstance(error, (KeyError, TypeError)):
                hints.append('the data is at record["kinesis"]["data"]')
            else:
                hints.append("base64-decode the data first, then parse the JSON bytes")
            continue
        if is_blank(got):
            print(f"{TODO_MARK} decode: not yet — replace the ... with your code.")
            return False
        if got == payload:
            right += 1
            print(f"{PASS_MARK} {label} → {got!r}"[:110])
            continue
        print(f"{FAIL_MARK} {label}: you have {str(got)[:70]!r}")
        if got == record["kinesis"]["data"]:
            hints.append("that is still base64 text: base64.b64decode(...) gives the bytes")
        elif isinstance(got, (bytes, bytearray)):
            hints.append("those are the JSON bytes: json.loads(...) turns them into a dict")
        elif got == record["kinesis"]:
            hints.append('record["kinesis"] holds metadata too; decode only its "data"')
        else:
            hints.append('json.loads(base64.b64decode(record["kinesis"]["data"]))')
    for hint in dict.fromkeys(hints):
        print(f"    hint: {hint}")
    total = len(DECODE_CASES)
    print(f"All {total} records decoded." if right == total else f"{right} of {total} right.")
    return right == total


# ---------------------------------------------------------------------------------------------
# The downstream API of the "Your turn": fraud scoring that is sometimes unavailable
# ---------------------------------------------------------------------------------------------


class ScoringUnavailable(Exception):
    """The fraud-scoring API is throttled right now: the same payment works on a later try."""


@dataclass
class FraudScoringAPI:
    """A stand-in for a downstream service the handler calls once per payment.

    ``fail_first`` maps a txn_id to how many calls for it fail (``ScoringUnavailable``) before
    one succeeds: transient failures, the case partial batch responses are for (F39).
    ``calls`` logs every call as (txn_id, succeeded); ``scored`` counts the successes.
    """

    fail_first: dict[str, int] = field(default_factory=dict)
    calls: list[tuple[str, bool]] = field(default_factory=list)
    scored: Counter[str] = field(default_factory=Counter)

    def reset(self, fail_first: Mapping[str, int] | None = None) -> None:
        self.fail_first = dict(fail_first or {})
        self.calls = []
        self.scored = Counter()

    def score(self, payment: Mapping[str, Any]) -> float:
        txn_id = str(payment["txn_id"])
        if self.fail_first.get(txn_id, 0) > 0:
            self.fail_first[txn_id] -= 1
            self.calls.append((txn_id, False))
            raise ScoringUnavailable(f"scoring API throttled; try {txn_id} again later")
        self.calls.append((txn_id, True))
        self.scored[txn_id] += 1
        return round(min(1.0, float(payment.get("amount", 0)) / 1_000), 3)


scoring_api = FraudScoringAPI()


def score_payment(payment: Mapping[str, Any]) -> float:
    """Score one payment (0 = harmless … 1 = fraud); raises ScoringUnavailable now and then."""
    return scoring_api.score(payment)


def lab_payments(count: int, *, seed: int = 8) -> list[dict[str, Any]]:
    """Payments without their answer fields, as a producer would send them."""
    payments = transactions(count, seed=seed)
    return [{k: v for k, v in p.items() if k not in TRANSACTION_TRUTH_FIELDS} for p in payments]


# ---------------------------------------------------------------------------------------------
# Check: the learner's partial batch response handler (F39)
# ---------------------------------------------------------------------------------------------

CHECK_STREAM = "m8-check-partial-batch"
CHECK_PAYMENTS = 30
CHECK_BATCH_SIZE = 10
CHECK_MAX_RETRIES = 5
# position in the stream → how many times its scoring fails before it works
CHECK_FAILURES = {3: 1, 10: 2, 19: 1, 20: 1}
SAMPLE_FAILING_INDEX = 2


@dataclass
class _Trace:
    batch: list[str]  # txn_ids of the batch, in order
    calls: list[tuple[str, bool]]


def _sample_step(handler: Callable[..., Any]) -> bool | None:
    """Call the handler on one synthetic batch of 5 payments, the third failing once.
    None: the blank is still there."""
    payments = lab_payments(5, seed=3)
    event = make_event(payments, partition_key="account_id")
    numbers = sequence_numbers_of(event)
    scoring_api.reset({payments[SAMPLE_FAILING_INDEX]["txn_id"]: 1})
    label = "sample batch of 5 payments, the 3rd fails"
    try:
        response = handler(event, make_context())
    except ScoringUnavailable:
        print(
            f"{FAIL_MARK} {label}: ScoringUnavailable escaped from your handler. An exception "
            "fails the WHOLE batch, so Lambda would retry every record in it."
        )
        print("    hint: catch it and return a partial batch response instead")
        return False
    except Exception as error:
        print(f"{FAIL_MARK} {label}: your handler raised {_describe_error(error)}")
        return False
    if is_blank(response):
        print(f"{TODO_MARK} partial batch response: not yet — replace the ... with your answer.")
        return None
    try:
        json.dumps(response)
        failed = lambda_events.reported_failures(response, numbers)
    except (TypeError, ValueError) as invalid:
        print(f"{FAIL_MARK} {label}: Lambda treats this response as a complete failure: {invalid}")
        hints = ['the shape is {"batchItemFailures": [{"itemIdentifier": ...}]}']
        text = json.dumps(response, default=str)
        if event["Records"][SAMPLE_FAILING_INDEX]["eventID"] in text:
            hints = ["itemIdentifier is the record's sequence number, not its eventID"]
        for hint in hints:
            print(f"    hint: {hint}")
        return False
    failing = numbers[SAMPLE_FAILING_INDEX]
    if not failed:
        print(
            f"{FAIL_MARK} {label}: your response reports no failure, so Lambda checkpoints the "
            "whole batch and the failed payment is never scored (lost)."
        )
        print('    hint: name the failed record in "batchItemFailures"')
        return False
    lowest = min(failed, key=int)
    if lowest != failing:
        where = "before" if int(lowest) < int(failing) else "after"
        effect = (
            "records before the failure would be processed again"
            if where == "before"
            else "the failed payment would be skipped (lost)"
        )
        print(f"{FAIL_MARK} {label}: you report a record {where} the failed one: {effect}.")
        print('    hint: use the failed record\'s record["kinesis"]["sequenceNumber"]')
        return False
    print(f"{PASS_MARK} {label}: you report the failed record → {json.dumps(response)[:60]}…")
    return True


def _mapping_step(handler: Callable[..., Any], kinesis: Any) -> bool:
    """Run the handler behind the simulated mapping and judge what happened to each payment."""
    payments = lab_payments(CHECK_PAYMENTS, seed=11)
    txn_ids = [p["txn_id"] for p in payments]
    recreate_stream(kinesis, CHECK_STREAM, 1)
    traces: list[_Trace] = []
    try:
        kinesis.put_records(StreamName=CHECK_STREAM, Records=_entries(payments, "account_id"))
        scoring_api.reset({txn_ids[i]: times for i, times in CHECK_FAILURES.items()})

        def traced(event: dict[str, Any], context: Any) -> Any:
            batch = [decode(r).get("txn_id") for r in event["Records"]]
            start = len(scoring_api.calls)
            try:
                return handler(event, context)
            finally:
                traces.append(_Trace(batch, scoring_api.calls[start:]))

        esm = EventSourceMapping(
            kinesis,
            CHECK_STREAM,
            traced,
            FunctionName="partial-batch-check",
            StartingPosition="TRIM_HORIZON",
            BatchSize=CHECK_BATCH_SIZE,
            MaximumRetryAttempts=CHECK_MAX_RETRIES,
            FunctionResponseTypes=[REPORT_BATCH_ITEM_FAILURES],
            publish_metrics=False,
        )
        esm.run_until_idle()
    finally:
        delete_stream(kinesis, CHECK_STREAM)
        scored = Counter(scoring_api.scored)
        scoring_api.reset()
    label = (
        f"behind the mapping: {CHECK_PAYMENTS} payments, BatchSize {CHECK_BATCH_SIZE}, "
        f"{len(CHECK_FAILURES)} scoring failures"
    )
    print(f"  {label} → {len(esm.invocations)} invocations")
    if not any(trace.calls for trace in traces):
        print(f"{FAIL_MARK} your handler never called score_payment(payment)")
        return False
    lost = [t for t in txn_ids if scored[t] == 0]
    before, after = _reprocessed(traces)
    results = [
        _line(
            not lost,
            "no payment lost",
            f"{len(lost)} payment(s) never scored",
            "a failed record must be named in batchItemFailures; reporting nothing, or a later "
            "record, tells Lambda the failed one is done",
        ),
        _line(
            not before,
            "nothing before a failed payment was processed again",
            f"{len(before)} payment(s) that had succeeded were scored again",
            "Lambda retries the whole batch when the handler raises or returns an invalid "
            "response, and everything from the reported record on otherwise",
        ),
        _line(
            not after,
            "nothing after a failed payment was processed twice",
            f"{len(after)} payment(s) after a failure were scored twice",
            "Lambda retries everything from the lowest failed record, so return as soon as "
            "one payment fails",
        ),
    ]
    return all(results)


def _line(ok: bool, good: str, bad: str, hint: str) -> bool:
    if ok:
        print(f"{PASS_MARK} {good}")
    else:
        print(f"{FAIL_MARK} {bad}\n    hint: {hint}")
    return ok


def _reprocessed(traces: Sequence[_Trace]) -> tuple[set[str], set[str]]:
    """Payments scored successfully again, split by where they stood in the earlier
    invocation that scored them: before its first failure, or after it."""
    last_success: dict[str, _Trace] = {}
    before: set[str] = set()
    after: set[str] = set()
    for trace in traces:
        for txn_id, ok in trace.calls:
            if not ok:
                continue
            earlier = last_success.get(txn_id)
            if earlier is not None:
                failures = [t for t, succeeded in earlier.calls if not succeeded]
                first_failure = earlier.batch.index(failures[0]) if failures else None
                if first_failure is None or earlier.batch.index(txn_id) < first_failure:
                    before.add(txn_id)
                else:
                    after.add(txn_id)
            last_success[txn_id] = trace
    return before, after


def check_partial_batch_handler(handler: Callable[..., Any], kinesis: Any) -> bool:
    """Check a handler that returns a partial batch response (F39).

    First on one synthetic batch (does it name the failed record?), then behind the simulated
    mapping with ReportBatchItemFailures on a stream of payments whose scoring fails now and
    then: no payment may be lost, none before a failure scored again, none after it scored
    twice. Never raises.
    """
    try:
        sample = _sample_step(handler)
        if sample is None:
            return False
        if not sample:
            print("Fix this first; the run behind the mapping comes next.")
            return False
        ok = _mapping_step(handler, kinesis)
        print("All checks passed." if ok else "Not yet: see the ✗ lines.")
        return ok
    except Exception as error:  # a check must never stop the lesson
        print(f"{FAIL_MARK} could not check the handler ({_describe_error(error)}).")
        return False
    finally:
        scoring_api.reset()


# ---------------------------------------------------------------------------------------------
# Streams, queues and the destination's messages
# ---------------------------------------------------------------------------------------------


def fresh_queue(sqs: Any, name: str) -> tuple[str, str]:
    """An empty SQS queue for an on-failure destination: (QueueUrl, QueueArn).

    Deletes the queue first if it exists (the mock lets a lab reuse the name at once)."""
    try:
        sqs.delete_queue(QueueUrl=sqs.get_queue_url(QueueName=name)["QueueUrl"])
    except sqs.exceptions.QueueDoesNotExist:
        pass
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return url, arn


def destination_documents(sqs: Any, queue_url: str) -> list[dict[str, Any]]:
    """Every invocation record waiting in an SQS on-failure destination, as JSON, and
    deletes the messages it read (as a consumer of the queue would)."""
    documents = []
    while True:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get(
            "Messages", []
        )
        if not messages:
            return documents
        for message in messages:
            documents.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


def records_of_batch_info(kinesis: Any, stream_name: str, document: Mapping[str, Any]) -> list:
    """The records an invocation record points at, read back from the stream (F40: the SQS
    and SNS documents carry only shard and sequence numbers, not the data)."""
    info = document["KinesisBatchInfo"]
    records = read_shard(
        kinesis,
        stream_name,
        info["shardId"],
        "AT_SEQUENCE_NUMBER",
        StartingSequenceNumber=info["startSequenceNumber"],
    )
    end = int(info["endSequenceNumber"])
    return [r for r in records if int(r["SequenceNumber"]) <= end]


# ---------------------------------------------------------------------------------------------
# Poison records: a stream with one, runs of the mapping three ways, and what they did
# ---------------------------------------------------------------------------------------------

POISON_DATA = b'{"device_id": "dev-00002", "temperature_c": 2'  # cut off: not valid JSON
POISON_MODES = ("retry whole batch", "bisect", REPORT_BATCH_ITEM_FAILURES)
MODE_PARAMETERS: dict[str, dict[str, Any]] = {
    "retry whole batch": {},
    "bisect": {"BisectBatchOnFunctionError": True},
    REPORT_BATCH_ITEM_FAILURES: {"FunctionResponseTypes": [REPORT_BATCH_ITEM_FAILURES]},
}


def write_readings_with_poison(
    kinesis: Any,
    stream_name: str,
    count: int = 40,
    poison_at: Iterable[int] = (15,),
    *,
    seed: int = 2,
) -> list[str]:
    """(Re)create a one-shard stream holding ``count`` sensor readings, where the records at
    ``poison_at`` are cut-off JSON; return the sequence numbers in stream order."""
    poison = set(poison_at)
    if any(not 0 <= p < count for p in poison):
        raise ValueError("poison positions must be within the stream")
    recreate_stream(kinesis, stream_name, 1)
    entries = _entries(
        readings(count, devices=4, seed=seed), "device_id", drop=READING_TRUTH_FIELDS
    )
    for position in poison:
        entries[position] = {"Data": POISON_DATA, "PartitionKey": entries[position]["PartitionKey"]}
    result = kinesis.put_records(StreamName=stream_name, Records=entries)
    return [entry["SequenceNumber"] for entry in result["Records"]]


@dataclass
class PoisonRun:
    """What one run of the mapping over a stream with poison records did, by record position."""

    mode: str
    esm: EventSourceMapping
    sequence_numbers: list[str]
    poison: frozenset[int]
    stored: Counter[int]  # position → times the handler stored it

    @property
    def invocations(self) -> list[Any]:
        return self.esm.invocations

    @property
    def discards(self) -> list[Any]:
        return self.esm.discards

    def position(self, sequence_number: str) -> int:
        return self.sequence_numbers.index(sequence_number)

    @property
    def discarded(self) -> list[int]:
        return sorted(self.position(n) for d in self.discards for n in d.sequence_numbers)

    @property
    def good_discarded(self) -> list[int]:
        """Valid records sent to the destination: Lambda gave up on them with the poison."""
        return [p for p in self.discarded if p not in self.poison]

    @property
    def never_stored(self) -> list[int]:
        """Valid records the handler never stored."""
        return [
            p
            for p in range(len(self.sequence_numbers))
            if p not in self.poison and not self.stored[p]
        ]

    @property
    def duplicates(self) -> list[int]:
        return sorted(p for p, times in self.stored.items() if times > 1)

    @property
    def blocked_seconds(self) -> float:
        """Lab time from the first failed invocation until the shard moved past the poison."""
        failed = [i for i in self.invocations if i.outcome != "success"]
        if not failed:
            return 0.0
        end = max(d.at for d in self.discards) if self.discards else clock.now()
        return round(end - failed[0].started_at, 3)

    def summary_row(self) -> tuple[Any, ...]:
        return (
            self.mode,
            len(self.invocations),
            f"{self.blocked_seconds:g} s",
            positions_text(self.discarded),
            positions_text(self.never_stored),
            positions_text(self.duplicates),
        )


SUMMARY_HEADER = (
    "mode",
    "invocations",
    "shard blocked",
    "sent to destination",
    "valid records never stored",
    "stored twice or more",
)


def positions_text(positions: Sequence[int]) -> str:
    """[10, 11, 12, 15] → '#10–12, #15' (— when empty)."""
    if not positions:
        return "—"
    runs: list[list[int]] = []
    for p in sorted(positions):
        if runs and p == runs[-1][-1] + 1:
            runs[-1].append(p)
        else:
            runs.append([p])
    return ", ".join(f"#{r[0]}" if len(r) == 1 else f"#{r[0]}–{r[-1]}" for r in runs)


def compare_runs(runs: Iterable[PoisonRun]) -> str:
    """One line per run: what it cost and what it lost (record positions, 0-based)."""
    return summary_table([run.summary_row() for run in runs], SUMMARY_HEADER)


def storing_handler(stored_log: list[str], report_failures: bool = False) -> Callable[..., Any]:
    """The lesson's sensor handler: parse each record's JSON and "store" it (append its
    sequence number to ``stored_log``). A cut-off record raises ``JSONDecodeError``; with
    ``report_failures`` the handler names it in a partial batch response instead (F39)."""

    def handler(event: dict[str, Any], context: Any) -> Any:
        for record in event["Records"]:
            number = record["kinesis"]["sequenceNumber"]
            try:
                decode(record)
            except ValueError:
                if report_failures:
                    return {"batchItemFailures": [{"itemIdentifier": number}]}
                raise
            stored_log.append(number)
        return {"batchItemFailures": []} if report_failures else None

    handler.__name__ = "store_readings"
    return handler


def analyse_run(
    mode: str,
    esm: EventSourceMapping,
    sequence_numbers: Sequence[str],
    poison: Iterable[int],
    stored_log: Sequence[str],
) -> PoisonRun:
    """Tie a finished mapping and the handler's log of stored records into a PoisonRun."""
    numbers = list(sequence_numbers)
    stored = Counter(numbers.index(n) for n in stored_log)
    return PoisonRun(mode, esm, numbers, frozenset(poison), stored)


def run_poison_scenario(
    kinesis: Any,
    stream_name: str,
    sequence_numbers: Sequence[str],
    poison: Iterable[int],
    mode: str,
    *,
    batch_size: int = 10,
    max_retries: int = 2,
    destination_arn: str | None = None,
    clients: Mapping[str, Any] | None = None,
) -> PoisonRun:
    """SIMULATION: run the storing handler over the stream from TRIM_HORIZON in one of
    :data:`POISON_MODES` until the shard is idle, and analyse what happened."""
    if mode not in MODE_PARAMETERS:
        raise ValueError(f"mode is one of {POISON_MODES}")
    stored_log: list[str] = []
    parameters: dict[str, Any] = dict(MODE_PARAMETERS[mode])
    if destination_arn:
        parameters["DestinationConfig"] = {"OnFailure": {"Destination": destination_arn}}
    esm = EventSourceMapping(
        kinesis,
        stream_name,
        storing_handler(stored_log, report_failures=mode == REPORT_BATCH_ITEM_FAILURES),
        StartingPosition="TRIM_HORIZON",
        BatchSize=batch_size,
        MaximumRetryAttempts=max_retries,
        clients=clients,
        publish_metrics=False,
        **parameters,
    )
    esm.run_until_idle()
    return analyse_run(mode, esm, sequence_numbers, poison, stored_log)


# ---------------------------------------------------------------------------------------------
# The invocation log as text
# ---------------------------------------------------------------------------------------------


def _short(text: str | None, limit: int = 40) -> str:
    if not text:
        return ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def invocation_table(
    esm: EventSourceMapping,
    sequence_numbers: Sequence[str] | None = None,
    *,
    limit: int | None = None,
) -> str:
    """The mapping's invocation log as text: when, which shard and batcher, which records,
    which attempt, what happened. With ``sequence_numbers`` (one shard), records are shown by
    position (#0 = the first record of the shard)."""
    start = esm.created_at
    positions = {n: i for i, n in enumerate(sequence_numbers or [])}
    rows = []
    for invocation in esm.invocations[:limit]:
        if positions and invocation.records:
            first = positions.get(invocation.first_sequence_number or "", -1)
            last = positions.get(invocation.last_sequence_number or "", -1)
            span = f"#{first}" if first == last else f"#{first}–{last}"
        else:
            span = f"{invocation.records} records"
        age = invocation.iterator_age_ms
        rows.append(
            (
                invocation.number,
                f"+{invocation.started_at - start:.1f} s",
                invocation.shard_id.replace("shardId-00000000", "…"),
                invocation.lane,
                span,
                invocation.attempt,
                "yes" if invocation.bisected else "",
                invocation.outcome,
                _short(invocation.error),
                "" if age is None else f"{age / 1000:.1f} s",
            )
        )
    table = summary_table(
        rows,
        (
            "#",
            "lab time",
            "shard",
            "batcher",
            "records",
            "attempt",
            "half",
            "outcome",
            "error",
            "IteratorAge",
        ),
    )
    hidden = len(esm.invocations) - len(rows)
    return table + (f"\n… and {hidden} more invocation(s)" if hidden > 0 else "")


# ---------------------------------------------------------------------------------------------
# ParallelizationFactor: which batcher each key went to, and whether its order held (F35)
# ---------------------------------------------------------------------------------------------


def batchers_by_key(invocations: Iterable[Any]) -> dict[str, set[int]]:
    """Partition key → the batchers ("lanes") of its shard that received it."""
    lanes: dict[str, set[int]] = {}
    for invocation in invocations:
        for key in invocation.partition_keys:
            lanes.setdefault(key, set()).add(invocation.lane)
    return dict(sorted(lanes.items()))


def out_of_order_keys(log: Iterable[tuple[str, int]]) -> dict[str, list[int]]:
    """From (key, per-key counter) pairs in the order a handler processed them, the keys
    whose counters did not only go up, with the offending sequence."""
    seen: dict[str, list[int]] = {}
    for key, number in log:
        seen.setdefault(key, []).append(number)
    return {
        key: numbers
        for key, numbers in seen.items()
        if any(b <= a for a, b in zip(numbers, numbers[1:], strict=False))
    }


def concurrent_rounds(invocations: Iterable[Any]) -> int:
    """How many polling rounds the invocations took (invocations of one round run together)."""
    return len({invocation.poll for invocation in invocations})


# ---------------------------------------------------------------------------------------------
# A producer that keeps writing while the function works: batching window and IteratorAge
# ---------------------------------------------------------------------------------------------


@dataclass
class SteadyProducer:
    """Writes ``records_per_second`` records to a stream on the lab clock, every ``tick`` s.

    Time passes only through :meth:`advance`: a slow handler calls ``producer.advance(s)``
    instead of sleeping, so records keep arriving (with their own arrival times) while it
    works. Each record is ``{"n": …, "device_id": …}``; keys cycle over ``keys`` devices.
    """

    kinesis: Any
    stream_name: str
    records_per_second: float
    tick: float = 1.0
    keys: int = 8
    written: int = 0
    next_at: float = field(default_factory=clock.now)

    def _write(self) -> None:
        count = round(self.records_per_second * self.tick)
        if count <= 0:
            return
        entries = [
            {
                "Data": json.dumps({"n": n, "device_id": f"dev-{n % self.keys:05d}"}).encode(),
                "PartitionKey": f"dev-{n % self.keys:05d}",
            }
            for n in range(self.written, self.written + count)
        ]
        self.kinesis.put_records(StreamName=self.stream_name, Records=entries)
        self.written += count

    def advance(self, seconds: float) -> float:
        """Let ``seconds`` of lab time pass, writing every tick that falls due."""
        end = clock.now() + max(0.0, seconds)
        while self.next_at <= end:
            if self.next_at > clock.now():
                clock.advance(self.next_at - clock.now())
            self._write()
            self.next_at += self.tick
        if end > clock.now():
            clock.advance(end - clock.now())
        return clock.now()


def run_with_producer(pollers: Any, producer: SteadyProducer, seconds: float) -> list[Any]:
    """SIMULATION: poll while the producer writes, for ``seconds`` of lab time; returns the
    invocations made. ``pollers`` is one simulated mapping or the account's
    (:class:`~kinesis_lab.simulation.lambda_account.SimulatedLambda`, the mappings the learner
    created). When a poll invokes nothing, about a polling interval passes."""
    made: list[Any] = []
    end = clock.now() + seconds
    while clock.now() < end - 1e-9:
        polled = pollers.poll_once()
        made += polled
        if not polled:
            producer.advance(min(ESM_POLL_INTERVAL_SECONDS, end - clock.now()))
    return made


@dataclass
class LagRun:
    """A run of a slow handler behind the mapping while a producer keeps writing."""

    esm: EventSourceMapping
    producer: SteadyProducer
    batch_size: int
    seconds_per_invocation: float
    seconds_per_record: float
    seconds: float

    @property
    def processed(self) -> int:
        return sum(i.records for i in self.esm.invocations if i.outcome == "success")

    @property
    def behind(self) -> int:
        """Records written but not yet processed when the run ended."""
        return self.producer.written - self.processed

    @property
    def ages(self) -> list[tuple[float, float]]:
        """(seconds since the start, IteratorAge in ms) after each batch."""
        start = self.esm.created_at
        return [
            (t - start, age)
            for series in self.esm.iterator_age_by_shard().values()
            for t, age in series
        ]

    @property
    def final_age_seconds(self) -> float:
        return self.ages[-1][1] / 1000 if self.ages else 0.0

    @property
    def capacity_per_second(self) -> float:
        """Records per second one batcher can process with full batches."""
        full = self.seconds_per_invocation + self.batch_size * self.seconds_per_record
        return self.batch_size / full if full > 0 else float("inf")

    def describe(self) -> str:
        capacity = self.capacity_per_second
        shown = "unlimited" if capacity == float("inf") else f"{capacity:.0f} records/s"
        return (
            f"BatchSize {self.batch_size}, {self.seconds_per_invocation:g} s per invocation + "
            f"{self.seconds_per_record * 1000:g} ms per record → at most {shown} vs "
            f"{self.producer.records_per_second:g} records/s written; after "
            f"{self.seconds:g} s: {self.behind} records behind, IteratorAge "
            f"{self.final_age_seconds:.1f} s"
        )


def run_slow_consumer(
    kinesis: Any,
    stream_name: str,
    *,
    batch_size: int,
    seconds_per_invocation: float,
    seconds_per_record: float = 0.005,
    records_per_second: float = 20,
    seconds: float = 40,
    **parameters: Any,
) -> LagRun:
    """SIMULATION: (re)create a one-shard stream, start a mapping at LATEST with a handler that
    takes ``seconds_per_invocation + seconds_per_record × records`` of lab time per batch,
    and let a producer write ``records_per_second`` for ``seconds``."""
    recreate_stream(kinesis, stream_name, 1)
    producer = SteadyProducer(kinesis, stream_name, records_per_second)

    def slow_handler(event: dict[str, Any], context: Any) -> None:
        producer.advance(seconds_per_invocation + seconds_per_record * len(event["Records"]))

    parameters.setdefault("Timeout", 900)  # the function's timeout, far above these batches
    parameters.setdefault("publish_metrics", False)
    esm = EventSourceMapping(
        kinesis,
        stream_name,
        slow_handler,
        StartingPosition="LATEST",
        BatchSize=batch_size,
        **parameters,
    )
    run_with_producer(esm, producer, seconds)
    return LagRun(esm, producer, batch_size, seconds_per_invocation, seconds_per_record, seconds)


def payload_base64(data: bytes) -> str:
    """What a record's bytes look like in an event's ``data`` field."""
    return base64.b64encode(data).decode("ascii")
