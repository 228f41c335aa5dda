"""The simulated Kinesis event source mapping batches like Lambda: BatchSize (F34), batching
window (F36), starting positions, event shape, concurrent batches per shard that keep
per-key order (F35), parents before children (F22), throttling back-off (F3, F66),
tumbling windows (F38) and IteratorAge."""

from __future__ import annotations

import base64
from collections import defaultdict
from datetime import datetime, timezone
from typing import Any

import pytest
from botocore.exceptions import ClientError
from sim_lambda_helpers import ACCOUNT, REGION, data_of, payload_bytes, received, recorder

from kinesis_lab.core import clock
from kinesis_lab.core.facts import LAMBDA_SYNC_PAYLOAD_MAX_BYTES
from kinesis_lab.simulation import limits
from kinesis_lab.simulation.lambda_esm import simulation_notes

START = clock.DEFAULT_SIMULATED_START


def sizes(seen):
    return [len(event["Records"]) for event in seen]


def test_250_records_with_batch_size_100_make_three_batches(aws):
    stream = aws.stream()
    aws.put(stream, 250)
    handler, seen = recorder()

    aws.mapping(stream, handler, BatchSize=100).run_until_idle()

    assert sizes(seen) == [100, 100, 50]
    assert received(seen) == [f"r{i}" for i in range(250)]


def test_default_batch_size_is_100(aws):
    stream = aws.stream()
    aws.put(stream, 150)
    handler, seen = recorder()

    esm = aws.mapping(stream, handler)
    esm.run_until_idle()

    assert esm.configuration["BatchSize"] == 100
    assert sizes(seen) == [100, 50]


def test_batching_window_waits_until_the_batch_is_full_or_the_window_has_passed(aws):
    stream = aws.stream()
    handler, seen = recorder()
    esm = aws.mapping(stream, handler, BatchSize=100, MaximumBatchingWindowInSeconds=10)

    aws.put(stream, 30, prefix="a")
    assert esm.poll_once() == []  # 30 records gathered, window open
    aws.clock.advance(4)
    aws.put(stream, 30, prefix="b")
    assert esm.poll_once() == []
    aws.put(stream, 50, prefix="c")
    full = esm.poll_once()
    assert [i.records for i in full] == [100]  # full before the window closed
    assert full[0].started_at == START + 4

    assert esm.poll_once() == []  # reads the other 10: a new window opens at START + 4
    aws.clock.advance(9.5)
    assert esm.poll_once() == []
    aws.clock.advance(0.5)
    assert [(i.records, i.started_at) for i in esm.poll_once()] == [(10, START + 14)]
    assert sizes(seen) == [100, 10]


def test_run_until_idle_moves_a_simulated_clock_to_the_end_of_the_window(aws):
    stream = aws.stream()
    aws.put(stream, 30)
    handler, seen = recorder()

    invocations = aws.mapping(stream, handler, MaximumBatchingWindowInSeconds=20).run_until_idle()

    assert [(i.records, i.started_at) for i in invocations] == [(30, START + 20)]
    assert clock.now() == START + 20


def test_latest_skips_records_already_in_the_stream(aws):
    stream = aws.stream()
    aws.put(stream, 5, prefix="old")
    handler, seen = recorder()
    esm = aws.mapping(stream, handler, StartingPosition="LATEST")
    aws.put(stream, 3, prefix="new")

    esm.run_until_idle()

    assert received(seen) == ["new0", "new1", "new2"]


def test_at_timestamp_starts_with_the_first_record_at_or_after_it(aws):
    stream = aws.stream()
    aws.put(stream, 3, prefix="early")
    aws.clock.advance(60)
    aws.put(stream, 2, prefix="late")
    handler, seen = recorder()

    aws.mapping(
        stream,
        handler,
        StartingPosition="AT_TIMESTAMP",
        StartingPositionTimestamp=datetime.fromtimestamp(START + 30, tz=timezone.utc),
    ).run_until_idle()

    assert received(seen) == ["late0", "late1"]


def test_event_and_context_have_lambdas_shape(aws):
    stream = aws.stream("orders")
    aws.clock.advance(1.25)
    put = aws.kinesis.put_record(StreamName=stream, Data=b"\x00\xffhello", PartitionKey="pk-1")
    seen, contexts = [], []

    def handler(event, context):
        seen.append(event)
        contexts.append(
            (context.get_remaining_time_in_millis(), context.aws_request_id, vars(context).copy())
        )
        clock.advance(1)

    esm = aws.mapping(stream, handler, FunctionName="process-orders", Timeout=30)
    esm.run_until_idle()

    stream_arn = f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/orders"
    shard, sequence = put["ShardId"], put["SequenceNumber"]
    assert seen == [
        {
            "Records": [
                {
                    "kinesis": {
                        "kinesisSchemaVersion": "1.0",
                        "partitionKey": "pk-1",
                        "sequenceNumber": sequence,
                        "data": base64.b64encode(b"\x00\xffhello").decode(),
                        "approximateArrivalTimestamp": START + 1.25,
                    },
                    "eventSource": "aws:kinesis",
                    "eventVersion": "1.0",
                    "eventID": f"{shard}:{sequence}",
                    "eventName": "aws:kinesis:record",
                    "invokeIdentityArn": f"arn:aws:iam::{ACCOUNT}:role/process-orders-role",
                    "awsRegion": REGION,
                    "eventSourceARN": stream_arn,
                }
            ]
        }
    ]
    assert base64.b64decode(seen[0]["Records"][0]["kinesis"]["data"]) == b"\x00\xffhello"
    remaining, request_id, attributes = contexts[0]
    assert remaining == 30_000
    assert attributes["function_name"] == "process-orders"
    assert attributes["function_version"] == "$LATEST"
    assert attributes["invoked_function_arn"] == (
        f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:process-orders"
    )
    assert attributes["memory_limit_in_mb"] == "128"
    assert attributes["log_group_name"] == "/aws/lambda/process-orders"
    assert request_id == esm.invocations[0].request_id
    assert esm.configuration["EventSourceArn"] == stream_arn


def test_parallelization_factor_runs_keys_of_one_shard_concurrently_in_key_order(aws):
    stream = aws.stream()
    keys = [f"device-{n}" for n in range(12)]
    aws.put(stream, 240, key=lambda i: keys[i % 12])  # r0 → device-0, r1 → device-1, …
    calls: list[tuple[int, list[str]]] = []

    def handler(event, context):
        calls.append((len(calls), [data_of(r) for r in event["Records"]]))

    esm = aws.mapping(stream, handler, BatchSize=10, ParallelizationFactor=4)
    esm.run_until_idle()

    by_key: dict[str, list[int]] = defaultdict(list)
    lane_of_key: dict[str, set[int]] = defaultdict(set)
    for invocation in esm.invocations:
        for key, number in zip(invocation.partition_keys, invocation.sequence_numbers, strict=True):
            by_key[key].append(int(number))
            lane_of_key[key].add(invocation.lane)
    assert sum(len(v) for v in by_key.values()) == 240
    assert all(numbers == sorted(numbers) for numbers in by_key.values())  # per-key order
    assert all(len(lanes) == 1 for lanes in lane_of_key.values())  # a key stays in its lane
    lanes_per_poll = defaultdict(set)
    for invocation in esm.invocations:
        lanes_per_poll[invocation.poll].add(invocation.lane)
    assert max(len(lanes) for lanes in lanes_per_poll.values()) > 1  # concurrent batches
    assert len({i.shard_id for i in esm.invocations}) == 1


def test_parent_shard_is_finished_before_its_children(aws):
    stream = aws.stream()
    aws.put(stream, 30, prefix="before")
    parent = aws.kinesis.list_shards(StreamName=stream)["Shards"][0]["ShardId"]
    aws.kinesis.split_shard(StreamName=stream, ShardToSplit=parent, NewStartingHashKey=str(2**127))
    aws.put(stream, 30, prefix="after")
    handler, seen = recorder()

    esm = aws.mapping(stream, handler, BatchSize=7)
    esm.run_until_idle()

    shards = [i.shard_id for i in esm.invocations]
    last_parent = max(n for n, shard in enumerate(shards) if shard == parent)
    assert all(shard != parent for shard in shards[last_parent + 1 :])
    assert all(shard == parent for shard in shards[: last_parent + 1])
    data = received(seen)
    assert data[:30] == [f"before{i}" for i in range(30)]
    assert sorted(data[30:]) == sorted(f"after{i}" for i in range(30))


def test_a_reshard_while_the_mapping_runs_finishes_the_parent_first(aws):
    stream = aws.stream()
    aws.put(stream, 20, prefix="before")
    parent = aws.kinesis.list_shards(StreamName=stream)["Shards"][0]["ShardId"]
    shard_of: dict[str, str] = {}

    def handler(event, context):
        for record in event["Records"]:
            shard_of[data_of(record)] = record["eventID"].split(":")[0]
        if len(shard_of) == 5:  # after the first batch: split, then write to the children
            aws.kinesis.split_shard(
                StreamName=stream, ShardToSplit=parent, NewStartingHashKey=str(2**127)
            )
            aws.put(stream, 20, prefix="after")

    esm = aws.mapping(stream, handler, BatchSize=5)
    esm.run_until_idle()

    assert len(shard_of) == 40
    order = [i.shard_id for i in esm.invocations]
    assert order[:4] == [parent] * 4 and parent not in order[4:]
    assert {shard_of[f"after{i}"] for i in range(20)} == set(order[4:])


def test_a_disabled_mapping_keeps_its_place_until_enabled(aws):
    stream = aws.stream()
    handler, seen = recorder()
    esm = aws.mapping(stream, handler, Enabled=False)
    aws.put(stream, 3)

    assert esm.run_until_idle() == [] and esm.configuration["State"] == "Disabled"
    esm.enabled = True
    esm.run_until_idle()

    assert received(seen) == ["r0", "r1", "r2"]


class FlakyKinesis:
    """A Kinesis client whose GetRecords is throttled every other call (as the limits
    simulation may do, F3) and whose first iterator has expired (F9)."""

    def __init__(self, kinesis: Any) -> None:
        self._kinesis = kinesis
        self.get_records_calls = 0
        self.expired_once = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._kinesis, name)

    def get_records(self, **kwargs: Any) -> dict[str, Any]:
        self.get_records_calls += 1
        if not self.expired_once:
            self.expired_once = True
            raise ClientError(
                {"Error": {"Code": "ExpiredIteratorException", "Message": "expired"}},
                "GetRecords",
            )
        if self.get_records_calls % 2 == 0:
            raise ClientError(
                {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow"}},
                "GetRecords",
            )
        return self._kinesis.get_records(**kwargs)


def test_throttled_reads_back_off_on_the_lab_clock_and_expired_iterators_are_renewed(aws):
    stream = aws.stream()
    aws.put(stream, 250)
    handler, seen = recorder()
    flaky = FlakyKinesis(aws.kinesis)

    esm = aws.mapping(stream, handler, StartingPosition="TRIM_HORIZON")
    esm.kinesis = flaky
    esm.run_until_idle()

    assert received(seen) == [f"r{i}" for i in range(250)]
    throttled = sum(esm.throttled_reads().values())
    assert throttled >= 2
    assert clock.now() >= START + throttled * 1.0  # ~1 s back-off each time (F66)


@pytest.fixture
def limits_on(aws):
    """The throughput-limits SIMULATION on top of the fidelity fixes, for one test."""
    limits.install()
    yield
    limits.uninstall()


def test_with_the_limits_simulation_reads_are_throttled_and_every_record_arrives(aws, limits_on):
    stream = aws.stream()
    aws.put(stream, 900)  # under 1,000 records/s per shard (F1)
    handler, seen = recorder()

    esm = aws.mapping(stream, handler, BatchSize=10)
    esm.run_until_idle()

    assert received(seen) == [f"r{i}" for i in range(900)]
    assert esm.throttled_reads()["shardId-000000000000"] > 0  # > 5 GetRecords/s (F3)
    assert clock.now() >= START + 900 / 10 / 5 - 1  # ≈ 5 batches of 10 a second


def test_with_the_limits_simulation_an_expired_latest_iterator_loses_nothing(aws, limits_on):
    stream = aws.stream()
    aws.put(stream, 2, prefix="old")
    handler, seen = recorder()
    esm = aws.mapping(stream, handler, StartingPosition="LATEST")
    aws.clock.advance(1)
    aws.put(stream, 2, prefix="new")
    aws.clock.advance(6 * 60)  # the LATEST iterator is older than 5 minutes (F9)

    esm.run_until_idle()

    assert received(seen) == ["new0", "new1"]


def test_a_batch_stays_under_the_6_mb_payload_limit(aws):
    stream = aws.stream()
    big = b"x" * 900_000  # base64 makes each 1.2 MB in the event: 5 fit in 6 MB, 6 do not
    for i in range(8):
        aws.kinesis.put_record(StreamName=stream, Data=big, PartitionKey=f"k{i}")
    handler, seen = recorder()

    aws.mapping(stream, handler, BatchSize=100).run_until_idle()

    assert sizes(seen) == [5, 3]
    assert all(payload_bytes(event) <= LAMBDA_SYNC_PAYLOAD_MAX_BYTES for event in seen)


def test_iterator_age_grows_while_the_handler_is_slow_and_falls_when_it_catches_up(aws):
    stream = aws.stream()
    slow = {"seconds": 5.0}

    def handler(event, context):
        clock.advance(slow["seconds"])

    esm = aws.mapping(stream, handler, BatchSize=100, Timeout=60)
    aws.put(stream, 400)
    esm.run_until_idle()
    slow["seconds"] = 0.1
    aws.put(stream, 100)
    esm.run_until_idle()

    ages = [point["Value"] for point in esm.iterator_age]
    assert ages == [5000.0, 10000.0, 15000.0, 20000.0, 100.0]
    assert {point["Unit"] for point in esm.iterator_age} == {"Milliseconds"}
    series = esm.iterator_age_by_shard()["shardId-000000000000"]
    assert [age for _, age in series] == ages
    published = aws.cloudwatch.get_metric_statistics(
        Namespace="AWS/Lambda",
        MetricName="IteratorAge",
        Dimensions=[{"Name": "FunctionName", "Value": "handler"}],
        StartTime=datetime.fromtimestamp(START - 60, tz=timezone.utc),
        EndTime=datetime.fromtimestamp(clock.now() + 60, tz=timezone.utc),
        Period=60,
        Statistics=["Maximum"],
    )["Datapoints"]
    assert max(point["Maximum"] for point in published) == 20000.0


def test_iterator_age_stays_in_the_log_when_cloudwatch_refuses_it(aws):
    class RefusingCloudWatch:
        def put_metric_data(self, **kwargs):
            raise ClientError(
                {"Error": {"Code": "InvalidParameterValue", "Message": "AWS/ is reserved"}},
                "PutMetricData",
            )

    stream = aws.stream()
    aws.put(stream, 3)
    esm = aws.mapping(stream, lambda e, c: None, BatchSize=1)
    esm.outbox._clients["cloudwatch"] = RefusingCloudWatch()

    with pytest.warns(UserWarning, match="no longer put to CloudWatch"):
        esm.run_until_idle()

    assert len(esm.iterator_age) == 3


def test_tumbling_window_carries_state_and_ends_with_a_final_invocation(aws):
    stream = aws.stream()
    aws.clock.set(1_768_467_600.0)  # 09:00:00, a multiple of 120 s
    aws.put(stream, 3, prefix="w1-", key=lambda i: "a")
    aws.clock.advance(50)
    aws.put(stream, 2, prefix="w1b-", key=lambda i: "b")
    aws.clock.advance(80)  # 09:02:10: the next window
    aws.put(stream, 1, prefix="w2-", key=lambda i: "a")
    finals = []

    def handler(event, context):
        state = dict(event["state"])
        for record in event["Records"]:
            key = record["kinesis"]["partitionKey"]
            state[key] = state.get(key, 0) + 1
        if event["isFinalInvokeForWindow"]:
            finals.append((event["window"], state))
        return {"state": state}

    esm = aws.mapping(stream, handler, TumblingWindowInSeconds=120, BatchSize=2)
    esm.run_until_idle(max_seconds=600)

    assert finals[0] == (
        {"start": "2026-01-15T09:00:00Z", "end": "2026-01-15T09:02:00Z"},
        {"a": 3, "b": 2},
    )
    assert finals[1] == (
        {"start": "2026-01-15T09:02:00Z", "end": "2026-01-15T09:04:00Z"},
        {"a": 1},
    )
    assert [i.final_for_window for i in esm.invocations].count(True) == 2


def test_mapping_is_labelled_simulation_and_lists_its_simplifications(aws):
    stream = aws.stream()
    esm = aws.mapping(stream, lambda event, context: None)
    assert "SIMULATION" in repr(esm)
    notes = simulation_notes()
    assert notes and all(isinstance(note, str) and note for note in notes)
    assert any("concurrency" in note for note in notes)
