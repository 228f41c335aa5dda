"""The sizing picture marks the binding limit (F64), the explorer follows its sliders, and the
throttling lab counts exactly what the SIMULATED per-shard limit (F1) accepts, second by
second, and draws it."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from kinesis_lab.core.facts import MAX_RECORD_SIZE_DEFAULT, MIB, SHARD_WRITE_RECORDS_PER_SEC
from kinesis_lab.patterns.sizing import READ_BYTES, RECORDS, WRITE_BYTES, size_stream
from kinesis_lab.widgets.capacity import (
    RECORD_SIZES_KIB,
    SecondResult,
    _nice_step,
    first_throttled,
    offer_records,
    sizing_explorer,
    sizing_summary_html,
    sizing_svg,
    throttle_summary_html,
    throttle_svg,
)

SVG = "{http://www.w3.org/2000/svg}"


def groups(root: ET.Element, css_class: str) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if css_class in g.get("class", "").split()]


# --- sizing picture and explorer ------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "binding"),
    [((2_500, 0.5, 1), RECORDS), ((500, 8, 1), WRITE_BYTES), ((900, 1, 6), READ_BYTES)],
)
def test_sizing_svg_marks_exactly_the_binding_requirement(args, binding):
    sizing = size_stream(*args)
    root = ET.fromstring(sizing_svg(sizing))
    requirements = groups(root, "requirement")
    assert [g.get("data-name") for g in requirements] == [RECORDS, WRITE_BYTES, READ_BYTES]
    marked = [g.get("data-name") for g in requirements if "binding" in g.get("class")]
    assert marked == [binding]
    answer = groups(root, "answer")[0]
    assert answer.get("data-shards") == str(sizing.shards)


def test_sizing_bars_are_proportional_and_the_binding_bar_is_longest():
    sizing = size_stream(900, 1, 6)  # needs 0.9, 0.88, 2.64 → 3 shards
    root = ET.fromstring(sizing_svg(sizing))
    widths = {
        g.get("data-name"): float(g.find(f"{SVG}rect").get("width"))
        for g in groups(root, "requirement")
    }
    assert max(widths, key=widths.get) == READ_BYTES
    assert widths[RECORDS] / widths[READ_BYTES] == pytest.approx(0.9 / (5_400 / 2_048), rel=1e-3)


def test_sizing_summary_warns_about_get_records_and_mentions_on_demand():
    many_readers = sizing_summary_html(size_stream(900, 1, 6))
    assert "GetRecords" in many_readers and "(F3)" in many_readers
    assert "fits a new on-demand stream" in many_readers
    big = sizing_summary_html(size_stream(5_000, 200, 3))
    assert "above a new on-demand stream" in big
    assert "enhanced fan-out" in sizing_summary_html(size_stream(1_000, 1, 4))


def test_sizing_explorer_follows_its_sliders():
    box = sizing_explorer(records_per_sec=2_500, record_kib=0.5, consumers=1)
    assert "3 shards" in box.outputs["picture"].value
    box.controls["record_kib"].value = 8
    box.controls["records_per_sec"].value = 500
    assert "4 shards" in box.outputs["picture"].value  # bytes-bound now
    box.controls["consumers"].value = 6
    assert "GetRecords" in box.outputs["summary"].value
    assert RECORD_SIZES_KIB[-1] * 1024 == MAX_RECORD_SIZE_DEFAULT  # sizes up to 1 MiB (F4)


def test_sizing_explorer_refuses_an_unknown_size():
    with pytest.raises(ValueError):
        sizing_explorer(record_kib=3)


@pytest.mark.parametrize(
    ("maximum", "step"), [(5, 1), (2_500, 500), (1_465, 250), (1, 1), (12_000, 2_500)]
)
def test_axis_steps_are_round(maximum, step):
    assert _nice_step(maximum, 6 if maximum == 1_465 else 5) == step


# --- the throttling lab ----------------------------------------------------------------------


@pytest.fixture
def one_shard(lab):
    lab.use_simulated_clock()
    lab.create_stream("throttle", shard_count=1)
    return lab


def test_offer_records_counts_the_first_throttled_record_exactly(one_shard):
    """F1: 1,000 records in one second fit; the 1,001st is throttled."""
    lab = one_shard
    results = []
    for second, count in enumerate([1_000, 1_001, 1_500]):
        results.append(offer_records(lab.kinesis, "throttle", count, second=second))
        lab.advance(1)
    assert results[0] == SecondResult(0, 1_000, 1_000, 0, 2)
    assert results[1] == SecondResult(1, 1_001, 1_000, 1, 3)
    assert results[2] == SecondResult(2, 1_500, 1_000, 500, 3)
    assert first_throttled(results) is results[1]


def test_offer_records_with_large_payloads_meets_the_byte_limit(one_shard):
    """F1: 1 MiB/s per shard, partition keys included."""
    result = offer_records(one_shard.kinesis, "throttle", 300, payload_bytes=4_096)
    per_record = 4_096 + len("device-100")
    assert result.accepted < MIB // 4_096
    assert result.accepted == pytest.approx(MIB // per_record, abs=2)
    assert result.throttled == 300 - result.accepted


def test_offer_records_within_one_second_stays_in_that_second(one_shard):
    lab = one_shard
    before = lab.clock.now()
    offer_records(lab.kinesis, "throttle", 1_200)
    assert lab.clock.now() == before  # nothing retried, nothing waited


def test_one_hot_key_is_capped_even_on_an_on_demand_stream(lab):
    """F63: one partition key takes at most 1,000 records/s, however large the stream (F11)."""
    lab.use_simulated_clock()
    lab.create_stream("on-demand", on_demand=True)
    spread = offer_records(lab.kinesis, "on-demand", 1_200, key_prefix="user")
    lab.advance(1)
    hot = offer_records(lab.kinesis, "on-demand", 1_200, partition_key="user-42")
    assert (spread.accepted, spread.throttled) == (1_200, 0)
    assert (hot.accepted, hot.throttled) == (1_000, 200)


def test_offer_records_refuses_a_negative_count(one_shard):
    with pytest.raises(ValueError):
        offer_records(one_shard.kinesis, "throttle", -1)


def test_throttle_svg_draws_each_second_and_marks_the_first_throttled():
    results = [
        SecondResult(0, 400, 400, 0, 1),
        SecondResult(1, 1_000, 1_000, 0, 2),
        SecondResult(2, 1_001, 1_000, 1, 3),
        SecondResult(3, 2_000, 1_000, 1_000, 4),
    ]
    root = ET.fromstring(throttle_svg(results))
    seconds = groups(root, "second")
    assert [g.get("data-offered") for g in seconds] == ["400", "1000", "1001", "2000"]
    assert [g.get("data-second") for g in seconds if "first-throttled" in g.get("class")] == ["2"]
    assert [g.get("data-second") for g in seconds if "throttled" in g.get("class").split()] == [
        "2",
        "3",
    ]
    # The accepted bar of a full second and the limit line are at the same height.
    limit = next(line for line in root.iter(f"{SVG}line") if line.get("class") == "limit")
    full = seconds[1].find(f"{SVG}rect")
    assert float(full.get("y")) == pytest.approx(float(limit.get("y1")))
    # A throttled second's red part is as tall as its share of the offered records.
    red = next(r for r in seconds[3].iter(f"{SVG}rect") if r.get("class") == "throttled")
    green = next(r for r in seconds[3].iter(f"{SVG}rect") if r.get("class") == "accepted")
    assert float(red.get("height")) == pytest.approx(float(green.get("height")), rel=1e-2)
    text = "".join(root.itertext())
    assert "1,000 records/s = 1 × 1,000 per shard (F1)" in text
    assert "SIMULATION" in text


def test_throttle_svg_limit_scales_with_shards():
    root = ET.fromstring(throttle_svg([SecondResult(0, 2_500, 2_000, 500, 5)], shards=2))
    assert "2,000 records/s = 2 × 1,000 per shard (F1)" in "".join(root.itertext())
    assert SHARD_WRITE_RECORDS_PER_SEC == 1_000


def test_throttle_summary():
    assert "No second was throttled" in throttle_summary_html([SecondResult(0, 5, 5, 0, 1)])
    summary = throttle_summary_html(
        [SecondResult(0, 5, 5, 0, 1), SecondResult(1, 1_001, 1_000, 1, 3)]
    )
    assert "s1" in summary and "1,001 records offered" in summary and "1 throttled" in summary
