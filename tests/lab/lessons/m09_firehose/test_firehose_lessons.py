"""The M9 helpers: buffer timing at its edges, the buffer model against the Firehose
simulation, the transformation-contract checker, pricing and the lab's S3 chores."""

from __future__ import annotations

import base64
import gzip
import json
import math
from datetime import datetime, timezone
from typing import Any

import pytest
from firehose_sim_helpers import (
    BUCKET,
    BUCKET_ARN,
    LAMBDA_ARN,
    NEWLINES,
    ROLE_ARN,
    Lab,
    json_lines,
    objects,
    put,
)
from firehose_sim_helpers import processors as sim_processors

from kinesis_lab.lessons.m09_firehose import (
    FIRST_DELIVERY_CASES,
    Delivery,
    batches,
    billed_kb,
    bucket_objects,
    check_first_delivery,
    check_transform_handler,
    contract_problems,
    delete_bucket,
    delete_delivery_stream,
    delivery_timeline,
    direct_put_quota,
    first_delivery_seconds,
    first_trigger,
    measure_first_delivery,
    object_lines,
    object_time,
    padded_record,
    processors,
    record_bytes,
    recreate_bucket,
    recreate_delivery_stream,
    reference_transform,
    sample_transform_event,
    size_fill_seconds,
    transform_cases,
)
from kinesis_lab.simulation import firehose

MIB = 1024 * 1024


# --- buffer timing: the formula -----------------------------------------------------------


def test_the_size_wins_when_the_producer_fills_it_before_the_interval():
    # 5 MiB / (100 records/s x 1 KiB) = 5,120 KiB / 100 KiB/s = 51.2 s < 300 s
    assert first_delivery_seconds(100, 1, 5, 300) == pytest.approx(51.2)
    assert first_trigger(100, 1, 5, 300) == "size"


def test_the_interval_wins_when_the_producer_is_slow():
    assert size_fill_seconds(10, 1, 5) == pytest.approx(512)
    assert first_delivery_seconds(10, 1, 5, 300) == 300
    assert first_trigger(10, 1, 5, 300) == "interval"


def test_size_and_interval_reached_together():
    assert first_delivery_seconds(1_024, 1, 1, 1) == pytest.approx(1)
    assert first_trigger(1_024, 1, 1, 1) == "both"


def test_one_record_more_per_second_tips_it_to_the_size():
    # 1 MiB in 60 s needs 1,024 KiB / 60 s = 17.07 records/s of 1 KiB
    assert first_trigger(17, 1, 1, 60) == "interval"
    assert first_trigger(18, 1, 1, 60) == "size"
    assert first_delivery_seconds(18, 1, 1, 60) == pytest.approx(1024 / 18)


def test_zero_buffering_delivers_at_once_and_no_producer_means_the_interval():
    assert first_delivery_seconds(1_000, 10, 64, 0) == 0
    assert first_delivery_seconds(0, 1, 5, 300) == 300
    assert size_fill_seconds(0, 1, 5) == math.inf


def test_the_largest_buffer_and_the_mib_unit():
    assert first_delivery_seconds(50, 4, 128, 900) == pytest.approx(128 * 1024 / 200)
    assert size_fill_seconds(1_024, 1, 1) == pytest.approx(1.0)  # 1 MiB is 1,024 KiB


@pytest.mark.parametrize(
    ("size_mib", "interval"), [(0, 60), (129, 60), (5, -1), (5, 901), (0.5, 60)]
)
def test_hints_outside_the_f42_ranges_are_refused(size_mib, interval):
    with pytest.raises(ValueError, match="F42"):
        first_delivery_seconds(100, 1, size_mib, interval)


def test_record_sizes_are_limited_to_1000_kib():
    assert record_bytes(1_000) == 1_024_000
    with pytest.raises(ValueError, match="F44"):
        record_bytes(1_000.01)
    with pytest.raises(ValueError):
        record_bytes(0)


# --- buffer timing: the model (the simulation's rules) ----------------------------------


def test_a_slow_producer_gets_one_object_per_interval():
    deliveries = delivery_timeline(10, 1, 5, 60, horizon_seconds=200)
    assert [(d.opened_at, d.delivered_at, d.records, d.trigger) for d in deliveries] == [
        (0, 60, 600, "interval"),
        (60, 120, 600, "interval"),
        (120, 180, 600, "interval"),
    ]


def test_a_buffer_due_at_a_send_is_delivered_before_that_send():
    deliveries = delivery_timeline(10, 1, 5, 2, horizon_seconds=4)
    assert [(d.delivered_at, d.records) for d in deliveries] == [(2, 20), (4, 20)]


def test_a_size_delivery_never_exceeds_size_in_mbs():
    # 3 KiB records: 341 fit in 1 MiB (1,023 KiB); the 342nd sends the buffer on its way.
    deliveries = delivery_timeline(500, 3, 1, 900, horizon_seconds=10)
    assert deliveries and all(d.trigger == "size" for d in deliveries)
    assert {d.records for d in deliveries} == {341}
    assert all(d.bytes == 341 * 3 * 1024 <= MIB for d in deliveries)


def test_every_record_is_delivered_exactly_once():
    deliveries = delivery_timeline(130, 7, 2, 45, horizon_seconds=300)
    last = deliveries[-1].delivered_at
    sent_until_last = 130 * (math.floor(last) + 1)  # sends at 0, 1, ... last
    waiting = sent_until_last - sum(d.records for d in deliveries)
    assert 0 <= waiting < 2 * MIB // (7 * 1024) + 130
    assert all(d.delivered_at - d.opened_at <= 45 for d in deliveries)
    assert [d.delivered_at for d in deliveries] == sorted(d.delivered_at for d in deliveries)


def test_zero_buffering_makes_each_send_its_own_object():
    deliveries = delivery_timeline(5, 1, 1, 0, horizon_seconds=3)
    assert [(d.delivered_at, d.records, d.trigger) for d in deliveries] == [
        (0, 5, "interval"),
        (1, 5, "interval"),
        (2, 5, "interval"),
        (3, 5, "interval"),
    ]


@pytest.mark.parametrize("sends_per_second", [1, 10])
@pytest.mark.parametrize("case", FIRST_DELIVERY_CASES)
def test_the_model_agrees_with_the_formula_within_one_send(case, sends_per_second):
    """A producer that sends each slice of a second at its start fills the buffer at most one
    send earlier than a smooth flow; the interval is exact."""
    formula = first_delivery_seconds(*case)
    first = delivery_timeline(
        *case, horizon_seconds=formula + 1, sends_per_second=sends_per_second, max_deliveries=1
    )[0]
    if first_trigger(*case) == "interval" or case[3] == 0:
        assert first.delivered_at == pytest.approx(formula)
    else:
        assert formula - 1 / sends_per_second - 1e-9 <= first.delivered_at <= formula + 1e-9


def test_max_deliveries_caps_the_model():
    assert len(delivery_timeline(5_000, 1_000, 1, 60, horizon_seconds=60, max_deliveries=7)) == 7


def test_the_model_refuses_nonsense():
    with pytest.raises(ValueError):
        delivery_timeline(10, 1, 5, 60, horizon_seconds=10, sends_per_second=0)
    with pytest.raises(ValueError):
        delivery_timeline(10, 1, 200, 60, horizon_seconds=10)


def _simulated_deliveries(
    aws: Lab, rate: int, kib: float, size_mib: int, interval: int, seconds: int
):
    """Run the Firehose SIMULATION with the model's producer and read back what it wrote."""
    name = f"model-{rate}-{size_mib}-{interval}"
    aws.firehose.create_delivery_stream(
        DeliveryStreamName=name,
        ExtendedS3DestinationConfiguration={
            "RoleARN": ROLE_ARN,
            "BucketARN": BUCKET_ARN,
            "Prefix": f"{name}/",
            "BufferingHints": {"SizeInMBs": size_mib, "IntervalInSeconds": interval},
        },
    )
    started = aws.clock.now()
    size = record_bytes(kib)
    for second in range(seconds + 1):
        payloads = [padded_record(second * rate + i, size) for i in range(rate)]
        for batch in batches(payloads):
            aws.firehose.put_record_batch(DeliveryStreamName=name, Records=batch)
        aws.clock.advance(1)
    firehose.flush_due()
    found = []
    for key, body in objects(aws.s3, f"{name}/").items():
        found.append((object_time(key).timestamp() - started, len(body) // size))
    return sorted(found)


@pytest.mark.parametrize(
    ("rate", "kib", "size_mib", "interval"),
    [(100, 1, 1, 60), (10, 1, 1, 7), (300, 3, 1, 900), (40, 2, 1, 0)],
)
def test_the_model_matches_the_simulation(aws: Lab, rate, kib, size_mib, interval):
    seconds = 30
    simulated = _simulated_deliveries(aws, rate, kib, size_mib, interval, seconds)
    model = delivery_timeline(rate, kib, size_mib, interval, horizon_seconds=seconds)
    assert simulated == [(d.delivered_at, d.records) for d in model]


def test_measure_first_delivery_reads_the_time_from_the_object_name(aws: Lab):
    aws.firehose.create_delivery_stream(
        DeliveryStreamName="timing",
        ExtendedS3DestinationConfiguration={
            "RoleARN": ROLE_ARN,
            "BucketARN": BUCKET_ARN,
            "BufferingHints": {"SizeInMBs": 5, "IntervalInSeconds": 300},
        },
    )
    measured = measure_first_delivery(
        aws.firehose,
        aws.s3,
        stream_name="timing",
        bucket=BUCKET,
        records_per_second=200,
        record_kib=2,
        advance=aws.clock.advance,
        now=aws.clock.now,
    )
    assert measured == delivery_timeline(200, 2, 5, 300, horizon_seconds=20)[0].delivered_at == 12


# --- "Your turn": the first-delivery checker --------------------------------------------


def test_a_right_answer_passes(capsys):
    assert check_first_delivery(first_delivery_seconds) is True
    out = capsys.readouterr().out
    assert out.count("✓") == len(FIRST_DELIVERY_CASES)
    assert "All 6 cases right." in out


def test_a_blank_is_not_yet(capsys):
    assert check_first_delivery(lambda *args: ...) is False
    assert "not yet" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (lambda r, k, s, i: max(s * 1024 / (r * k), i), "FIRST"),
        (lambda r, k, s, i: s * 1024 / (r * k), "interval can end"),
        (lambda r, k, s, i: i, "fast producer"),
        (lambda r, k, s, i: min(s * 1_000_000 / (r * k * 1_000), i), "MiB"),
        (lambda r, k, s, i: min(s * 1024 / (r * k), i) / 60, "seconds, not minutes"),
    ],
)
def test_typical_mistakes_get_a_hint(capsys, answer, hint):
    assert check_first_delivery(answer) is False
    out = capsys.readouterr().out
    assert "✗" in out and hint in out
    assert "51.2" not in out.split("hint")[1]  # a hint never gives the answer


def test_a_crashing_or_non_numeric_answer_is_reported_not_raised(capsys):
    assert check_first_delivery(lambda *args: 1 / 0) is False
    assert check_first_delivery(lambda *args: "soon") is False
    out = capsys.readouterr().out
    assert "ZeroDivisionError" in out and "not a number" in out


# --- the transformation contract -----------------------------------------------------------


def _notebook_scaffold(a: Any = ..., b: Any = ..., fix: Any = None):
    """The lesson's "Your turn" handler, with its three blanks filled by a, b and fix."""

    def my_transform(event, context):
        answers = []
        for record in event["records"]:
            answer = {"recordId": record["recordId"], "data": record["data"]}
            try:
                reading = json.loads(base64.b64decode(record["data"]))
            except ValueError:
                answer["result"] = a
            else:
                if reading.get("test") is True:
                    answer["result"] = b
                else:
                    reading["temperature_c"] = ... if fix is None else fix(reading)
                    answer["result"] = "Ok"
                    answer["data"] = base64.b64encode(json.dumps(reading).encode()).decode()
            answers.append(answer)
        return {"records": answers}

    return my_transform


def _to_float(reading):
    return float(reading["temperature_c"])


def test_the_reference_transform_passes(capsys):
    assert check_transform_handler(reference_transform) is True
    out = capsys.readouterr().out
    assert "✓ contract" in out and "All 7 records right." in out


def test_the_filled_in_scaffold_passes(capsys):
    assert check_transform_handler(_notebook_scaffold("ProcessingFailed", "Dropped", _to_float))
    capsys.readouterr()


@pytest.mark.parametrize(
    "handler",
    [
        _notebook_scaffold(),  # all three blanks: json.dumps meets the ... first
        _notebook_scaffold(fix=_to_float),  # (c) done, (a) and (b) still blank
        _notebook_scaffold("ProcessingFailed", "Dropped"),  # only (c) blank
    ],
)
def test_blanks_are_not_yet(capsys, handler):
    assert check_transform_handler(handler) is False
    out = capsys.readouterr().out
    assert "not yet" in out and "✗" not in out


def test_a_handler_that_leaves_records_out_breaks_the_contract(capsys):
    def forgetful(event, context):
        answer = reference_transform(event, context)
        return {"records": [r for r in answer["records"] if r["result"] == "Ok"]}

    assert check_transform_handler(forgetful) is False
    out = capsys.readouterr().out
    assert "✗ contract" in out and "never came back" in out and "Dropped" in out


@pytest.mark.parametrize(
    ("mangle", "expected"),
    [
        (lambda r: {**r, "result": "OK"} if r["result"] == "Ok" else r, "spelling counts: 'Ok'"),
        (lambda r: {**r, "result": "Skipped"}, "is not one of Ok / Dropped / ProcessingFailed"),
        (lambda r: {**r, "data": "not base64!"}, "must be base64"),
        (lambda r: {k: v for k, v in r.items() if k != "data"}, "needs a 'data' field"),
        (lambda r: {**r, "recordId": r["recordId"] + "-x"}, "never sent"),
    ],
)
def test_each_contract_rule_is_reported(capsys, mangle, expected):
    def broken(event, context):
        return {"records": [mangle(r) for r in reference_transform(event, context)["records"]]}

    assert check_transform_handler(broken) is False
    assert expected in capsys.readouterr().out


def test_duplicates_text_and_wrong_types_are_reported():
    event = sample_transform_event([b'{"temperature_c": 1}', b'{"temperature_c": "2"}'])
    good = reference_transform(event)
    twice = {"records": good["records"] + good["records"][:1]}
    assert any("more than once" in p for p in contract_problems(event, twice))
    assert "return the dict itself" in contract_problems(event, json.dumps(good))[0]
    assert "not list" in contract_problems(event, [])[0]
    assert '"records" list' in contract_problems(event, {"recordz": []})[0]
    assert contract_problems(event, good) == []


def test_a_crashing_handler_mentions_the_retries(capsys):
    def crashing(event, context):
        raise RuntimeError("boom")

    assert check_transform_handler(crashing) is False
    out = capsys.readouterr().out
    assert "RuntimeError: boom" in out and "3 times" in out and "processing-failed" in out


@pytest.mark.parametrize(
    ("fix", "b", "wrong_case"),
    [
        (lambda reading: reading["temperature_c"], "Dropped", "temperature_c sent as text"),
        (_to_float, "Ok", 'a test record ("test": true)'),
    ],
)
def test_wrong_outcomes_are_named_per_record(capsys, fix, b, wrong_case):
    assert check_transform_handler(_notebook_scaffold("ProcessingFailed", b, fix)) is False
    out = capsys.readouterr().out
    assert f"✗ {wrong_case}" in out and "hint:" in out


def test_dropping_on_the_key_instead_of_the_value_is_caught(capsys):
    def key_only(event, context):
        answer = reference_transform(event, context)
        for record, entry in zip(event["records"], answer["records"], strict=True):
            if b'"test"' in base64.b64decode(record["data"]):
                entry["result"] = "Dropped"
        return answer

    assert check_transform_handler(key_only) is False
    assert '✗ a real reading with "test": false' in capsys.readouterr().out


def test_a_trailing_newline_in_ok_data_is_accepted(capsys):
    def with_newline(event, context):
        answer = reference_transform(event, context)
        for entry in answer["records"]:
            if entry["result"] == "Ok":
                entry["data"] = base64.b64encode(base64.b64decode(entry["data"]) + b"\n").decode()
        return answer

    assert check_transform_handler(with_newline) is True
    capsys.readouterr()


def test_the_reference_fails_what_it_cannot_read():
    event = sample_transform_event([b"[1, 2]", b'{"temperature_c": "hot"}', b'{"seq": 1}'])
    results = [r["result"] for r in reference_transform(event)["records"]]
    assert results == ["ProcessingFailed", "ProcessingFailed", "Ok"]


def test_the_cases_cover_every_result():
    results = [case.result for case in transform_cases()]
    assert set(results) == {"Ok", "Dropped", "ProcessingFailed"}
    event = sample_transform_event(case.data for case in transform_cases())
    assert len({r["recordId"] for r in event["records"]}) == len(results)


def test_what_the_checker_accepts_the_simulation_delivers(aws: Lab):
    """The reference transform, run by the Firehose SIMULATION on the checker's records: Ok
    records delivered as checked, Dropped ones gone, ProcessingFailed ones under
    processing-failed — no contract failure."""
    firehose.register_transform(LAMBDA_ARN, reference_transform)
    aws.firehose.create_delivery_stream(
        DeliveryStreamName="contract",
        ExtendedS3DestinationConfiguration={
            "RoleARN": ROLE_ARN,
            "BucketARN": BUCKET_ARN,
            "Prefix": "ok/",
            "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 60},
            "ProcessingConfiguration": sim_processors(
                ("Lambda", {"LambdaArn": LAMBDA_ARN}), NEWLINES
            ),
        },
    )
    cases = transform_cases()
    put(aws, "contract", *(case.data for case in cases))
    aws.clock.advance(120)
    firehose.flush_due()
    delivered = [
        line
        for key, body in objects(aws.s3, "ok/").items()
        if "processing-failed" not in key
        for line in json_lines(body)
    ]
    expected = [case.output for case in cases if case.result == "Ok"]
    assert delivered == expected
    failed = [
        doc
        for key, body in objects(aws.s3).items()
        if "processing-failed" in key
        for doc in json_lines(body)
    ]
    assert len(failed) == 2
    assert {doc["errorCode"] for doc in failed} == {"Lambda.ProcessingFailedStatus"}


# --- pricing, quotas and small helpers -----------------------------------------------------


@pytest.mark.parametrize(
    ("size", "billed"), [(0.1, 5), (0.5, 5), (1, 5), (5, 5), (5.0001, 10), (10, 10), (12, 15)]
)
def test_records_are_billed_in_5_kb_steps(size, billed):
    assert billed_kb(size) == billed


def test_billing_needs_a_positive_size():
    with pytest.raises(ValueError):
        billed_kb(0)


def test_direct_put_quota_by_region():
    for region in ("us-east-1", "us-west-2", "eu-west-1"):
        quota = direct_put_quota(region)
        assert (quota.records_per_second, quota.requests_per_second, quota.mib_per_second) == (
            500_000,
            2_000,
            5,
        )
    other = direct_put_quota("ap-southeast-2")
    assert (other.records_per_second, other.requests_per_second, other.mib_per_second) == (
        100_000,
        1_000,
        1,
    )


def test_batches_respect_500_records_and_4_mib():
    assert [len(b) for b in batches([b"x" * 1024] * 1_100)] == [500, 500, 100]
    assert [len(b) for b in batches([b"x" * 1_024_000] * 5)] == [4, 1]
    assert list(batches([])) == []


def test_padded_records_have_the_exact_size_and_are_json():
    for size in (16, 100, 1024, 1_024_000):
        record = padded_record(7, size)
        assert len(record) == size
        assert json.loads(record)["n"] == 7
    with pytest.raises(ValueError):
        padded_record(7, 5)


def test_object_names_and_bodies():
    key = "logs/2026/01/15/09/demo-1-2026-01-15-09-01-00-8368d1c8-6b82-47cb-a8e5-d82d1937028a.gz"
    assert object_time(key) == datetime(2026, 1, 15, 9, 1, 0, tzinfo=timezone.utc)
    assert object_time("logs/readme.txt") is None
    assert object_lines(gzip.compress(b"a\nb\n")) == ["a", "b"]
    assert object_lines(b'{"a":1}{"a":2}') == ['{"a":1}{"a":2}']


def test_processors_turn_parameters_into_text():
    config = processors(("Lambda", {"LambdaArn": "arn", "BufferSizeInMBs": 1}))
    assert config["Processors"][0]["Parameters"][1] == {
        "ParameterName": "BufferSizeInMBs",
        "ParameterValue": "1",
    }


def test_the_lab_chores_are_idempotent(lab):
    lab.use_simulated_clock()
    recreate_bucket(lab.s3, "chores")
    lab.s3.put_object(Bucket="chores", Key="a", Body=b"1")
    recreate_bucket(lab.s3, "chores")  # again: emptied and recreated
    assert bucket_objects(lab.s3, "chores") == {}
    destination = {
        "RoleARN": ROLE_ARN,
        "BucketARN": "arn:aws:s3:::chores",
        "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 60},
    }
    for _ in range(2):
        arn = recreate_delivery_stream(
            lab.firehose, "chores", ExtendedS3DestinationConfiguration=destination
        )
    assert arn.endswith(":deliverystream/chores")
    assert lab.firehose.list_delivery_streams()["DeliveryStreamNames"] == ["chores"]
    delete_delivery_stream(lab.firehose, "chores")
    delete_delivery_stream(lab.firehose, "chores")  # already gone: fine
    delete_bucket(lab.s3, "chores")
    delete_bucket(lab.s3, "chores")
    assert lab.s3.list_buckets()["Buckets"] == []


def test_delivery_is_a_plain_record():
    assert Delivery(0.0, 1.0, 2, 3, "size").records == 2
