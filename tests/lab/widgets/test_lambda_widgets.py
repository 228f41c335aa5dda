"""Pictures of the simulated event source mapping: bars where the batches were, a red band
where the poison record is, IteratorAge lines that climb when the function falls behind, one
row per batcher (F35, F37, F39, F40)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from types import SimpleNamespace

import pytest

from kinesis_lab.lessons.m08_lambda_scenarios import (
    POISON_MODES,
    run_poison_scenario,
    run_slow_consumer,
    write_readings_with_poison,
)
from kinesis_lab.widgets.lambda_runs import (
    batch_log_picture,
    batch_log_svg,
    iterator_age_explorer,
    iterator_age_picture,
    iterator_age_svg,
    lanes_picture,
    lanes_svg,
    poison_explorer,
    poison_summary_html,
)

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def groups(root: ET.Element, css_class: str) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if css_class in g.get("class", "").split()]


@pytest.fixture
def runs(aws):
    numbers = write_readings_with_poison(aws.kinesis, "p", count=20, poison_at=(7,))
    return {
        mode: run_poison_scenario(
            aws.kinesis, "p", numbers, (7,), mode, batch_size=10, max_retries=1
        )
        for mode in POISON_MODES
    }


# --- the batch log --------------------------------------------------------------------------


def test_one_bar_per_invocation_over_its_records(runs):
    run = runs["retry whole batch"]
    root = parse(batch_log_svg(run.invocations, run.sequence_numbers, poison=run.poison))
    bars = groups(root, "invocation")
    assert len(bars) == len(run.invocations) == 3  # #0–9 fails twice, then #10–19
    assert [(b.get("data-first"), b.get("data-last")) for b in bars] == [
        ("0", "9"),
        ("0", "9"),
        ("10", "19"),
    ]
    assert [b.get("class") for b in bars] == [
        "invocation function-error",
        "invocation function-error",
        "invocation success",
    ]
    assert [b.get("data-attempt") for b in bars] == ["1", "2", "1"]


def test_the_poison_record_gets_a_band_and_discards_a_grey_row(runs):
    run = runs["retry whole batch"]
    svg = batch_log_svg(
        run.invocations, run.sequence_numbers, poison=run.poison, discards=run.discards
    )
    root = parse(svg)
    bands = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "poison-band"]
    assert len(bands) == 1
    cells = [r for r in root.iter(f"{SVG}rect") if "record" in r.get("class", "").split()]
    assert len(cells) == 20
    poison_cell = next(r for r in cells if "poison" in r.get("class", ""))
    assert float(bands[0].get("x")) == float(poison_cell.get("x")) == float(cells[7].get("x"))
    (discard,) = groups(root, "discard")
    assert (discard.get("data-first"), discard.get("data-last")) == ("0", "9")
    assert "RetryAttemptsExhausted" in svg


def test_bisected_halves_close_in_on_the_poison_record(runs):
    run = runs["bisect"]
    root = parse(
        batch_log_svg(
            run.invocations, run.sequence_numbers, poison=run.poison, discards=run.discards
        )
    )
    halves = [b for b in groups(root, "invocation") if b.get("data-bisected") == "true"]
    spans = [(int(b.get("data-first")), int(b.get("data-last"))) for b in halves]
    assert spans[:5] == [(0, 4), (5, 9), (5, 7), (5, 6), (7, 7)]
    failed = [
        (int(b.get("data-first")), int(b.get("data-last")))
        for b in halves
        if "function-error" in b.get("class")
    ]
    assert failed and all(first <= 7 <= last for first, last in failed)
    (discard,) = groups(root, "discard")
    assert (discard.get("data-first"), discard.get("data-last")) == ("7", "7")


def test_a_partial_batch_response_marks_the_reported_record(runs):
    run = runs["ReportBatchItemFailures"]
    root = parse(batch_log_svg(run.invocations, run.sequence_numbers, poison=run.poison))
    partial = groups(root, "partial-failure")
    assert len(partial) == 2  # one try and one retry, both reporting #7
    marks = [p for p in root.iter(f"{SVG}polygon") if p.get("class") == "reported"]
    assert len(marks) == 2
    band = next(r for r in root.iter(f"{SVG}rect") if r.get("class") == "poison-band")
    x_band = float(band.get("x"))
    for mark in marks:
        tip_x = float(mark.get("points").split()[2].split(",")[0])
        assert x_band < tip_x < x_band + float(band.get("width"))


def test_rows_beyond_the_limit_are_counted_not_drawn(runs):
    run = runs["bisect"]
    svg = batch_log_svg(run.invocations, run.sequence_numbers, max_rows=3)
    assert len(groups(parse(svg), "invocation")) == 3
    assert f"… {len(run.invocations) - 3} more invocation(s) not drawn" in svg


def test_plain_rows_draw_like_the_dataclasses(runs):
    run = runs["bisect"]
    assert batch_log_svg(run.esm.invocation_rows(), run.sequence_numbers) == batch_log_svg(
        run.invocations, run.sequence_numbers
    )
    assert parse(batch_log_svg([], []))  # nothing to draw is still a picture


def test_the_summary_says_what_was_lost_and_repeated(runs):
    whole = poison_summary_html(runs["retry whole batch"])
    assert "9 valid record(s) were discarded with it (#0–6, #8–9)" in whole
    assert "2 of them never stored" in whole and "(#8–9)" in whole
    assert "7 record(s) were stored more than once" in whole
    assert "Only the poison record was discarded." in poison_summary_html(runs["bisect"])
    assert "stored more than once" not in poison_summary_html(runs["ReportBatchItemFailures"])
    picture = batch_log_picture(runs["bisect"])
    assert picture.data.startswith("<svg") and "SIMULATION — bisect" in picture.data


# --- IteratorAge ----------------------------------------------------------------------------


def test_iterator_age_lines_climb_with_the_age():
    rising = [(0.0, 1_000.0), (10.0, 11_000.0), (20.0, 21_000.0)]
    flat = [(0.0, 1_000.0), (10.0, 1_000.0), (20.0, 1_000.0)]
    root = parse(iterator_age_svg({"slow": rising, "fast": flat}))
    series = groups(root, "series")
    assert [s.get("data-label") for s in series] == ["slow", "fast"]
    assert [s.get("data-points") for s in series] == ["3", "3"]
    assert series[0].get("data-last-age-ms") == "21000.0"
    ys = [
        float(point.split(",")[1])
        for point in series[0].find(f"{SVG}polyline").get("points").split()
    ]
    assert ys[0] > ys[1] > ys[2]  # older → higher on the chart (smaller y)
    flat_ys = {
        point.split(",")[1] for point in series[1].find(f"{SVG}polyline").get("points").split()
    }
    assert len(flat_ys) == 1
    assert "25 s" in iterator_age_svg({"slow": rising})  # the axis covers the largest age
    assert parse(iterator_age_svg({}))  # no data is still a picture


def test_iterator_age_picture_describes_each_run(aws):
    run = run_slow_consumer(aws.kinesis, "lag", batch_size=10, seconds_per_invocation=1.0)
    picture = iterator_age_picture({"BatchSize 10": run})
    assert picture.data.count('class="series"') == 1
    assert "at most 10 records/s" in picture.data


# --- lanes ----------------------------------------------------------------------------------


def fake_invocation(poll, lane, keys, shard="shardId-000000000000"):
    return SimpleNamespace(poll=poll, lane=lane, shard_id=shard, partition_keys=tuple(keys))


def test_lanes_one_box_per_batch_one_stripe_per_record():
    invocations = [
        fake_invocation(1, 0, ["a", "a", "c"]),
        fake_invocation(1, 1, ["b"]),
        fake_invocation(2, 0, ["c"]),
    ]
    root = parse(lanes_svg(invocations))
    batches = groups(root, "batch")
    assert [(b.get("data-poll"), b.get("data-lane")) for b in batches] == [
        ("1", "0"),
        ("1", "1"),
        ("2", "0"),
    ]
    assert [len(b.findall(f"{SVG}rect")) for b in batches] == [4, 2, 2]  # stripes + outline
    fills = [r.get("fill") for r in batches[0].findall(f"{SVG}rect")[:3]]
    assert fills[0] == fills[1] != fills[2]  # a key keeps its colour
    text = "".join(root.itertext())
    assert "shard 0 · batcher 0" in text and "shard 0 · batcher 1" in text
    assert lanes_picture(invocations).data.startswith("<svg")


# --- explorers ------------------------------------------------------------------------------


def test_the_poison_explorer_reruns_and_leaves_no_stream(aws):
    box = poison_explorer(aws.kinesis, count=12, poison_at=4, batch_size=6, max_retries=1)
    assert box.last_run.mode == "bisect"
    assert box.last_run.discarded == [4]
    assert "poison-band" in box.outputs["picture"].value
    box.controls["mode"].value = "retry whole batch"
    assert box.last_run.mode == "retry whole batch"
    assert box.last_run.discarded == list(range(6))
    box.controls["poison_at"].value = 9
    assert box.last_run.discarded == list(range(6, 12))
    box.controls["retries"].value = 0
    assert len(box.last_run.invocations) == 2  # #0–5 once, #6–11 once, then discarded
    assert "MaximumRetryAttempts 0" in box.outputs["picture"].value
    assert aws.kinesis.list_streams()["StreamNames"] == []


def test_the_lag_explorer_starts_from_a_given_run_and_reruns(aws):
    initial = run_slow_consumer(aws.kinesis, "lag", batch_size=10, seconds_per_invocation=1.0)
    box = iterator_age_explorer(aws.kinesis, initial=initial)
    assert box.last_run is initial  # drawn, not run again
    assert box.controls["batch_size"].value == 10
    assert box.controls["seconds_per_invocation"].value == 1.0
    box.controls["batch_size"].value = 100
    assert box.last_run is not initial and box.last_run.batch_size == 100
    assert box.last_run.final_age_seconds < initial.final_age_seconds
    assert "BatchSize 100" in box.outputs["picture"].value
    assert "lag-explorer" not in " ".join(aws.kinesis.list_streams()["StreamNames"])
