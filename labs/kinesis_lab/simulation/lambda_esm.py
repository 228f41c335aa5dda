"""SIMULATION of the Lambda event source mapping (ESM) for Kinesis, on the lab clock.

Why: moto's own mapping needs Docker and invokes once per record inside ``put_record``, so it
cannot show what DVA-C02 and DEA-C01 ask about: batches (F34, F36), concurrent batches per shard
(F35), retries and record age (F37), bisect and partial batch responses (F39), on-failure
destinations (F40), tumbling windows (F38) and IteratorAge. This mapping reads the mocked
stream with ordinary boto3 calls and runs a learner's ``handler(event, context)`` the way
Lambda runs it: synchronously, one batch per shard at a time, parents before children.

    esm = EventSourceMapping(lab.kinesis, "orders", handler, StartingPosition="TRIM_HORIZON",
                             BatchSize=100, BisectBatchOnFunctionError=True)
    esm.run_until_idle()
    esm.invocations        # what Lambda did, batch by batch
    esm.iterator_age       # IteratorAge datapoints, as put to CloudWatch (AWS/Lambda)

Time is the lab clock (:mod:`kinesis_lab.core.clock`). With a simulated clock,
``run_until_idle`` moves the clock itself — to the end of a batching window, to the next
retry, past a throttling back-off — and a handler that calls ``clock.advance`` is "slow".
Where this is simpler than Lambda, :func:`simulation_notes` says so.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from ..core import clock
from ..core.facts import (
    ESM_BATCHING_WINDOW_MAX_SECONDS,
    ESM_POLL_INTERVAL_SECONDS,
    LAMBDA_MEMORY_DEFAULT_MB,
    LAMBDA_TIMEOUT_DEFAULT_SECONDS,
)
from . import lambda_events as events
from .lambda_config import MappingSettings, check_parameters
from .lambda_destinations import Outbox
from .lambda_events import LastResponse, StreamRecord
from .lambda_poller import Batch, Lane, Shard, ShardPoller

Handler = Callable[[dict[str, Any], Any], Any]
LABEL = "SIMULATION"
DEFAULT_FUNCTION_NAME = "kinesis-lab-function"
_FUNCTION_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True)
class Invocation:
    """One synchronous invocation of the function with one batch (one row of the log)."""

    number: int
    poll: int  # invocations with the same poll number ran "at the same time"
    shard_id: str
    lane: int  # which of the ParallelizationFactor concurrent batchers of the shard (F35)
    records: int
    first_sequence_number: str | None
    last_sequence_number: str | None
    attempt: int  # 1 for the first invocation of this batch, 2 for its first retry, …
    bisected: bool  # the batch is a half of a failed batch (F39)
    outcome: str  # success, partial-failure, function-error, timeout, invalid-response
    error: str | None
    started_at: float
    duration_seconds: float
    iterator_age_ms: float | None
    request_id: str
    sequence_numbers: tuple[str, ...] = field(repr=False)
    partition_keys: tuple[str, ...] = field(repr=False)
    final_for_window: bool = False  # tumbling windows (F38)


@dataclass(frozen=True)
class Discard:
    """Records Lambda gave up on, and the invocation record sent about them (F37, F40)."""

    shard_id: str
    condition: str  # RetryAttemptsExhausted or RecordAgeExceeded
    sequence_numbers: tuple[str, ...]
    approximate_invoke_count: int
    at: float
    destination: str | None
    invocation_record: dict[str, Any] = field(repr=False)


class EventSourceMapping:
    """A Kinesis → Lambda event source mapping, simulated (parameters as Lambda names them).

    ``clients`` may hold boto3 clients for "sqs", "sns", "s3" and "cloudwatch"; missing ones
    are made like the Kinesis client (the lab's own clients inside a lab session).
    ``Timeout`` and ``MemorySize`` are the function's settings, named as CreateFunction names
    them; they only shape the context object and the timeout check.
    """

    # Parameters are named as CreateEventSourceMapping names them, so learners learn them.
    def __init__(
        self,
        kinesis: Any,
        stream_name: str,
        handler: Handler,
        *,
        FunctionName: str | None = None,
        StartingPosition: str | None = None,
        StartingPositionTimestamp: Any = None,
        BatchSize: int | None = None,
        MaximumBatchingWindowInSeconds: int | None = None,
        ParallelizationFactor: int | None = None,
        BisectBatchOnFunctionError: bool | None = None,
        MaximumRetryAttempts: int | None = None,
        MaximumRecordAgeInSeconds: int | None = None,
        FunctionResponseTypes: list[str] | None = None,
        DestinationConfig: Mapping[str, Any] | None = None,
        TumblingWindowInSeconds: int | None = None,
        Enabled: bool | None = None,
        Timeout: float = LAMBDA_TIMEOUT_DEFAULT_SECONDS,
        MemorySize: int = LAMBDA_MEMORY_DEFAULT_MB,
        clients: Mapping[str, Any] | None = None,
        publish_metrics: bool = True,
        UUID: str | None = None,
        Role: str | None = None,
    ) -> None:
        # UUID and Role: a mapping and function that exist in the account
        # (:mod:`kinesis_lab.simulation.lambda_account`) keep their own identity.
        self.stream_name = stream_name
        self.handler = handler
        summary = kinesis.describe_stream_summary(StreamName=stream_name)
        self.stream_arn: str = summary["StreamDescriptionSummary"]["StreamARN"]
        self.region: str = self.stream_arn.split(":")[3]
        account = self.stream_arn.split(":")[4]
        name = FunctionName or _function_name_of(handler)
        self.settings: MappingSettings = check_parameters(
            name,
            self.stream_arn,
            StartingPosition=StartingPosition,
            StartingPositionTimestamp=StartingPositionTimestamp,
            BatchSize=BatchSize,
            MaximumBatchingWindowInSeconds=MaximumBatchingWindowInSeconds,
            ParallelizationFactor=ParallelizationFactor,
            BisectBatchOnFunctionError=BisectBatchOnFunctionError,
            MaximumRetryAttempts=MaximumRetryAttempts,
            MaximumRecordAgeInSeconds=MaximumRecordAgeInSeconds,
            FunctionResponseTypes=FunctionResponseTypes,
            DestinationConfig=dict(DestinationConfig) if DestinationConfig else None,
            TumblingWindowInSeconds=TumblingWindowInSeconds,
            Enabled=Enabled,
        )
        self.enabled = self.settings.enabled
        self.uuid = UUID or str(uuid.uuid4())
        self.function_arn = f"arn:aws:lambda:{self.region}:{account}:function:{name}"
        self.invoke_identity_arn = Role or f"arn:aws:iam::{account}:role/{name}-role"
        self.timeout_seconds = float(Timeout)
        self.memory_size = int(MemorySize)
        self.created_at = clock.now()
        self.outbox = Outbox(kinesis, clients, self.uuid, name, publish_metrics)
        self.invocations: list[Invocation] = []
        self.discards: list[Discard] = []
        self.iterator_age: list[dict[str, Any]] = []  # CloudWatch MetricData + "ShardId"
        self.poller = ShardPoller(
            kinesis,
            stream_name,
            self.stream_arn,
            self.settings,
            self.invoke_identity_arn,
            self.created_at,
        )
        self._polls = 0
        self._progress = 0
        self.poller.refresh(at_creation=True)

    @property
    def kinesis(self) -> Any:
        return self.poller.kinesis

    @kinesis.setter
    def kinesis(self, client: Any) -> None:
        self.poller.kinesis = client

    # -- what a lesson reads -----------------------------------------------------------------
    @property
    def configuration(self) -> dict[str, Any]:
        """The mapping as GetEventSourceMapping shows it."""
        return self.settings.configuration(
            self.uuid, self.stream_arn, self.function_arn, self.enabled
        )

    def invocation_rows(self) -> list[dict[str, Any]]:
        """The invocation log as plain rows (``pandas.DataFrame(esm.invocation_rows())``)."""
        return [asdict(invocation) for invocation in self.invocations]

    def iterator_age_by_shard(self) -> dict[str, list[tuple[float, float]]]:
        """(lab time, IteratorAge in ms) after each batch, per shard — ready to plot."""
        series: dict[str, list[tuple[float, float]]] = {}
        for point in self.iterator_age:
            series.setdefault(point["ShardId"], []).append(
                (point["Timestamp"].timestamp(), point["Value"])
            )
        return series

    def throttled_reads(self) -> dict[str, int]:
        """GetRecords calls answered ProvisionedThroughputExceededException, per shard (F3)."""
        return {shard.shard_id: shard.throttled_reads for shard in self.poller.shards.values()}

    def __repr__(self) -> str:
        s = self.settings
        return (
            f"<{LABEL}: Lambda event source mapping {self.uuid[:8]} {self.stream_name} → "
            f"{s.function_name} BatchSize={s.batch_size} "
            f"ParallelizationFactor={s.parallelization_factor} "
            f"{len(self.invocations)} invocation(s), {len(self.discards)} discard(s)>"
        )

    # -- driving it --------------------------------------------------------------------------
    def poll_once(self) -> list[Invocation]:
        """One polling cycle at the current lab time: every shard whose parents are done is
        read once and each of its batchers invokes at most one batch (F35). Does not move the
        clock (a handler may)."""
        if not self.enabled:
            return []
        self._polls += 1
        first = len(self.invocations)
        self.poller.refresh()
        for shard in self.poller.ready_shards():
            self.poller.read(shard)
            for lane in shard.lanes:
                self._step(shard, lane)
        return self.invocations[first:]

    def run_until_idle(
        self,
        max_seconds: float = ESM_BATCHING_WINDOW_MAX_SECONDS,
        max_invocations: int = 100_000,
    ) -> list[Invocation]:
        """Poll until every shard is caught up and nothing waits for a retry or a window, or
        until ``max_seconds`` of lab time have passed (by default the longest batching window,
        F36). With a simulated clock this moves the clock to each next thing due; with the
        real clock it sleeps. Returns the invocations it made."""
        first = len(self.invocations)
        deadline = clock.now() + max_seconds
        while self.enabled and len(self.invocations) - first < max_invocations:
            progress = self._progress + self.poller.progress
            self.poll_once()
            now = clock.now()
            due = self.poller.next_due(now)
            if due is None:
                break
            if due > deadline:  # let the rest of max_seconds pass, as asked
                clock.advance(max(0.0, deadline - now))
                break
            if due <= now and self._progress + self.poller.progress == progress:
                due = now + ESM_POLL_INTERVAL_SECONDS  # nothing moved: wait for the next poll
            if due > now:
                clock.advance(min(due, deadline) - now)
        return self.invocations[first:]

    # -- invoking --------------------------------------------------------------------------
    def _step(self, shard: Shard, lane: Lane) -> None:
        now = clock.now()
        if not lane.queue:
            batch = self.poller.take_batch(shard, lane, now)
            if batch is None:
                return
            lane.queue.append(batch)
        if now < lane.not_before:
            return
        batch = lane.queue[0]
        expired = self._expired_prefix(batch, now)
        if expired:
            self._discard(batch, expired, events.RECORD_AGE_EXCEEDED)
            batch.records = batch.records[len(expired) :]
            if not batch.records:
                lane.queue.pop(0)
                return
        self._invoke(shard, lane, batch)

    def _expired_prefix(self, batch: Batch, now: float) -> list[StreamRecord]:
        """Records older than MaximumRecordAgeInSeconds (F37); arrival order makes them a
        prefix. They are discarded without (another) invocation."""
        limit = self.settings.maximum_record_age_seconds
        if limit < 0:
            return []
        expired = []
        for record in batch.records:
            if now - record.arrival <= limit:
                break
            expired.append(record)
        return expired

    def _event(self, shard: Shard, lane: Lane, batch: Batch) -> dict[str, Any]:
        event = events.kinesis_event(batch.records)
        if self.settings.tumbling_window_seconds > 0:
            event = events.tumbling_window_event(
                event,
                start=lane.window_start or 0.0,
                seconds=self.settings.tumbling_window_seconds,
                state=lane.window_state,
                shard_id=shard.shard_id,
                stream_arn=self.stream_arn,
                final=batch.final_for_window,
            )
        return json.loads(json.dumps(event))  # the handler gets JSON, as over the wire

    def _invoke(self, shard: Shard, lane: Lane, batch: Batch) -> None:
        """One synchronous invocation, then what Lambda does with its result (F37, F39)."""
        context = events.lambda_context(
            function_name=self.settings.function_name,
            function_arn=self.function_arn,
            memory_mb=self.memory_size,
            timeout_seconds=self.timeout_seconds,
        )
        event = self._event(shard, lane, batch)
        batch.invocations += 1
        started = clock.now()
        outcome, error, failed_from, response = "success", None, None, None
        try:
            response = self.handler(event, context)
            json.dumps(response)  # Lambda returns JSON; anything else is a function error
        except Exception as exc:  # the learner's code: any exception is a function error
            outcome, error = "function-error", f"{type(exc).__name__}: {exc}"
        duration = clock.now() - started
        if outcome == "success" and duration > self.timeout_seconds:
            outcome = "timeout"
            error = f"Task timed out after {self.timeout_seconds:.2f} seconds"
        if outcome == "success":
            outcome, error, failed_from = self._judge_response(lane, batch, response)
        unhandled = "Unhandled" if outcome in ("function-error", "timeout") else None
        batch.last_response = LastResponse(context.aws_request_id, unhandled)
        self._log(shard, lane, batch, outcome, error, started, duration, context.aws_request_id)
        self._progress += 1
        if outcome == "success":
            self._succeeded(lane)
        elif outcome == "partial-failure":
            assert failed_from is not None
            self._partially_failed(lane, batch, failed_from)
        else:
            self._failed(lane, batch)

    def _judge_response(
        self, lane: Lane, batch: Batch, response: Any
    ) -> tuple[str, str | None, int | None]:
        """A returned value: the state of a tumbling window (F38) and, with
        ReportBatchItemFailures, the partial batch response (F39); else it is ignored."""
        if self.settings.tumbling_window_seconds > 0:
            if not isinstance(response, Mapping) or "state" not in response:
                return "invalid-response", "the response has no 'state' (tumbling window)", None
            lane.window_state = response["state"]
        if not self.settings.report_batch_item_failures:
            return "success", None, None
        numbers = [record.sequence_number for record in batch.records]
        try:
            failed = events.reported_failures(response, numbers)
        except events.InvalidBatchItemFailures as invalid:
            return "invalid-response", str(invalid), None
        if not failed:
            return "success", None, None
        lowest = min(failed, key=int)
        return "partial-failure", f"batchItemFailures from {lowest}", numbers.index(lowest)

    def _succeeded(self, lane: Lane) -> None:
        batch = lane.queue.pop(0)
        if batch.final_for_window:
            lane.window_start, lane.window_state = None, {}

    def _partially_failed(self, lane: Lane, batch: Batch, failed_from: int) -> None:
        """Checkpoint before the lowest reported record and retry from it (F39). The retry
        counts against MaximumRetryAttempts; with BisectBatchOnFunctionError the batch is
        split at that record, which is the same thing."""
        batch.records = batch.records[failed_from:]
        self._count_retry(lane, batch)

    def _failed(self, lane: Lane, batch: Batch) -> None:
        """A function error: split the batch in two (free of retry quota) or retry it whole;
        the shard's batcher waits for it — a poison record blocks it (F37, F39)."""
        if self.settings.bisect_batch_on_function_error and len(batch.records) > 1:
            middle = (len(batch.records) + 1) // 2
            halves = [
                Batch(part, retries=batch.retries, bisected=True)
                for part in (batch.records[:middle], batch.records[middle:])
            ]
            lane.queue[0:1] = halves
            lane.not_before = clock.now() + self._retry_delay()
            return
        self._count_retry(lane, batch)

    def _count_retry(self, lane: Lane, batch: Batch) -> None:
        batch.retries += 1
        if self.settings.retries_exhausted(batch.retries):
            lane.queue.pop(0)
            if batch.final_for_window:
                lane.window_start, lane.window_state = None, {}
            elif batch.records:
                self._discard(batch, batch.records, events.RETRY_ATTEMPTS_EXHAUSTED)
            return
        lane.not_before = clock.now() + self._retry_delay()

    @staticmethod
    def _retry_delay() -> float:
        return ESM_POLL_INTERVAL_SECONDS

    def _discard(self, batch: Batch, records: list[StreamRecord], condition: str) -> None:
        now = clock.now()
        document = events.invocation_record(
            records=records,
            condition=condition,
            approximate_invoke_count=batch.invocations,
            last_response=batch.last_response,
            function_arn=self.function_arn,
            stream_arn=self.stream_arn,
            at=now,
        )
        destination = self.settings.on_failure_destination
        if destination:
            self.outbox.deliver(destination, document, records, at=now)
        self.discards.append(
            Discard(
                shard_id=records[0].shard_id,
                condition=condition,
                sequence_numbers=tuple(r.sequence_number for r in records),
                approximate_invoke_count=batch.invocations,
                at=now,
                destination=destination,
                invocation_record=document,
            )
        )
        self._progress += 1

    def _log(
        self,
        shard: Shard,
        lane: Lane,
        batch: Batch,
        outcome: str,
        error: str | None,
        started: float,
        duration: float,
        request_id: str,
    ) -> None:
        age = None
        if batch.records:  # IteratorAge: the last record's age when the batch finished
            age = round((clock.now() - batch.records[-1].arrival) * 1000, 3)
            point = self.outbox.iterator_age_point(age, shard.shard_id)
            self.iterator_age.append(point)
        self.invocations.append(
            Invocation(
                number=len(self.invocations) + 1,
                poll=self._polls,
                shard_id=shard.shard_id,
                lane=lane.index,
                records=len(batch.records),
                first_sequence_number=batch.records[0].sequence_number if batch.records else None,
                last_sequence_number=batch.records[-1].sequence_number if batch.records else None,
                attempt=batch.invocations,
                bisected=batch.bisected,
                outcome=outcome,
                error=error,
                started_at=started,
                duration_seconds=round(duration, 6),
                iterator_age_ms=age,
                request_id=request_id,
                sequence_numbers=tuple(r.sequence_number for r in batch.records),
                partition_keys=tuple(r.partition_key for r in batch.records),
                final_for_window=batch.final_for_window,
            )
        )


def _function_name_of(handler: Handler) -> str:
    """The handler's name when it is a valid function name (a lambda's "<lambda>" is not)."""
    name = getattr(handler, "__name__", "")
    return name if _FUNCTION_NAME.fullmatch(name) else DEFAULT_FUNCTION_NAME


def simulation_notes() -> list[str]:
    """Where this simulation is simpler than Lambda, for the course's "what is simulated" page."""
    return [
        "The mapping runs in your notebook: nothing polls in the background. Records are "
        "processed when you call poll_once() or run_until_idle().",
        "There is no real concurrency. The ParallelizationFactor batches of one shard run one "
        "after another within the same poll (the log shows them with the same poll number); "
        "per-partition-key order and per-batcher blocking are as in Lambda, but a slow handler's "
        "time adds up instead of overlapping.",
        "Polling cadence is simplified: run_until_idle() polls again at once while there is work "
        "and stops when every shard is caught up; Lambda polls each shard about once per second "
        "for ever.",
        "A failed batch is retried after one second of lab time; Lambda's retry timing is not "
        "documented and may back off.",
        "Each GetRecords call asks for at most BatchSize x ParallelizationFactor records, so a "
        "small BatchSize meets the 5 GetRecords calls a second per shard (F3) sooner than "
        "Lambda's poller, whose read size is not documented.",
        "Handler time is lab-clock time: a handler is slow, or times out (Timeout), only if it "
        "advances the simulated clock. Memory, cold starts, throttling of the function itself "
        "and reserved concurrency are not simulated.",
        "The function runs in this Python process: the event goes through JSON like Lambda's, "
        "but imports, global state and the file system are your notebook's.",
        "Where the Lambda guide is silent, a partial batch response that is not a JSON object, or "
        "names a sequence number that is not in the batch, is treated as a complete failure.",
        "With BisectBatchOnFunctionError, splitting is free and a single failing record uses the "
        "retry quota; a partial batch response is retried from the reported record in both "
        "modes.",
        "Records are never trimmed from the stream (retention, F8, is not simulated): with "
        "MaximumRetryAttempts and MaximumRecordAgeInSeconds both -1 (the defaults), a poison "
        "record blocks its shard until run_until_idle() reaches max_seconds.",
        "A record that alone exceeds the synchronous payload limit is sent on its own; how "
        "Lambda handles such a record is not modelled.",
        "Event filtering (FilterCriteria), enhanced fan-out (a consumer ARN as event source, F67) "
        "and the tumbling window's state size limit (isWindowTerminatedEarly) are not simulated.",
        "KPL-aggregated records reach the handler aggregated, as on AWS: Lambda itself never "
        "de-aggregates them (F69); the handler must de-aggregate with the KPL de-aggregation "
        "module (Python package aws-kinesis-agg).",
        "Records get their ApproximateArrivalTimestamp from the lab clock only when the course's "
        "fidelity fixes are installed; with stock moto it is the wall clock.",
        "IteratorAge is recorded per shard after every batch; the copy put to the mocked "
        "CloudWatch (AWS/Lambda, dimension FunctionName) is per function, as in Lambda.",
    ]
