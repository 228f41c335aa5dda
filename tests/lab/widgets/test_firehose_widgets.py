"""The Firehose buffer picture draws what the buffer model decides, its readout states the
F42/F43/F45 consequences, and the explorer re-draws when a slider moves."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from kinesis_lab.lessons.m09_firehose import Delivery, delivery_timeline, first_delivery_seconds
from kinesis_lab.widgets.firehose import (
    MAX_DRAWN,
    _picture,
    buffer_explorer,
    buffer_readout_html,
    buffer_timeline_svg,
    default_horizon,
)

SVG_NS = "{http://www.w3.org/2000/svg}"
MIB = 1024 * 1024


def drawn_deliveries(svg: str) -> list[tuple[str, float, int, int]]:
    root = ET.fromstring(svg)
    found = []
    for group in root.iter(f"{SVG_NS}g"):
        classes = group.get("class", "").split()
        if "delivery" in classes:
            trigger = next(c for c in classes if c != "delivery")
            found.append(
                (
                    trigger,
                    float(group.get("data-at")),
                    int(group.get("data-records")),
                    int(group.get("data-bytes")),
                )
            )
    return found


def the_svg(html: str) -> str:
    return html[html.index("<svg") :]


def test_every_delivery_in_the_span_is_drawn_with_its_trigger():
    deliveries = delivery_timeline(15, 1, 1, 60, horizon_seconds=200)
    svg = buffer_timeline_svg(deliveries, size_mib=1, interval_seconds=60, horizon_seconds=200)
    assert drawn_deliveries(svg) == [
        (d.trigger, d.delivered_at, d.records, d.bytes) for d in deliveries
    ]
    assert {trigger for trigger, *_ in drawn_deliveries(svg)} == {"interval"}


def test_size_deliveries_reach_the_size_line():
    deliveries = delivery_timeline(100, 1, 5, 300, horizon_seconds=160)
    svg = buffer_timeline_svg(deliveries, size_mib=5, interval_seconds=300, horizon_seconds=160)
    root = ET.fromstring(svg)
    limit = next(e for e in root.iter(f"{SVG_NS}line") if e.get("class") == "size-limit")
    tops = [
        float(point.split(",")[1])
        for polygon in root.iter(f"{SVG_NS}polygon")
        for point in polygon.get("points").split()[1:2]
    ]
    assert tops and all(top == pytest.approx(float(limit.get("y1"))) for top in tops)
    assert all(trigger == "size" for trigger, *_ in drawn_deliveries(svg))


def test_deliveries_after_the_horizon_are_left_out():
    deliveries = [Delivery(0, 5, 1, 10, "size"), Delivery(5, 50, 1, 10, "interval")]
    svg = buffer_timeline_svg(deliveries, size_mib=1, interval_seconds=45, horizon_seconds=20)
    assert [at for _, at, *_ in drawn_deliveries(svg)] == [5]


def test_the_horizon_must_be_positive():
    with pytest.raises(ValueError):
        buffer_timeline_svg([], size_mib=1, interval_seconds=60, horizon_seconds=0)


@pytest.mark.parametrize(
    ("first", "horizon"), [(0, 10), (1, 10), (51.2, 164), (300, 960), (900, 2880), (5000, 3600)]
)
def test_default_horizon_shows_a_few_deliveries(first, horizon):
    assert default_horizon(first) == horizon


def test_a_very_fast_producer_is_zoomed_and_capped():
    html = _picture(3_000, 100, 1, 30)
    drawn = drawn_deliveries(the_svg(html))
    assert len(drawn) == MAX_DRAWN
    assert "only the first" in html


def test_the_readout_states_when_and_why():
    html = buffer_readout_html(100, 1, 5, 300)
    assert "51.2 s" in html and "SizeInMBs first" in html and "F42" in html
    assert "70.3 objects per hour" in html
    assert "⚠" not in html
    slow = buffer_readout_html(10, 1, 5, 300)
    assert "300 s" in slow and "IntervalInSeconds passes first" in slow


def test_the_readout_warns_about_multipart_below_60_seconds():
    assert "multipart" not in buffer_readout_html(10, 1, 5, 60)
    assert "multipart" in buffer_readout_html(10, 1, 5, 59) and "F43" in buffer_readout_html(
        10, 1, 5, 59
    )


def test_the_readout_explains_zero_buffering():
    html = buffer_readout_html(10, 1, 5, 0)
    assert "Zero buffering" in html and "F43" in html and "objects per hour" not in html


def test_the_readout_warns_above_the_direct_put_quota():
    # 5 MiB/s is the us-east-1 default (F45): 5,120 records/s of 1 KiB is exactly that.
    assert "Direct PUT quota" not in buffer_readout_html(5_120, 1, 5, 300)
    over = buffer_readout_html(5_121, 1, 5, 300)
    assert "Direct PUT quota" in over and "500,000 records/s" in over and "F45" in over
    elsewhere = buffer_readout_html(2_000, 1, 5, 300, region="eu-central-1")
    assert "1 MiB/s" in elsewhere and "100,000 records/s" in elsewhere


def test_the_picture_and_the_readout_agree_with_the_formula():
    html = _picture(18, 1, 1, 60)
    first = first_delivery_seconds(18, 1, 1, 60)
    assert f"{first:.3g} s" in html
    assert drawn_deliveries(the_svg(html))[0][0] == "size"


def test_the_explorer_redraws_when_a_slider_moves():
    explorer = buffer_explorer(
        records_per_second=10, record_kib=1, size_mib=5, interval_seconds=300
    )
    rate, size, hint_size, hint_interval, picture = explorer.children
    assert "IntervalInSeconds passes first" in picture.value
    rate.value = 1_000
    assert "SizeInMBs first" in picture.value
    hint_interval.value = 30
    assert "multipart" in picture.value
    assert (hint_size.min, hint_size.max) == (1, 128)
    assert (hint_interval.min, hint_interval.max) == (0, 900)
    size.value = 1_000
    assert re.search(r"1e\+03 KiB|1,000 KiB|1000 KiB", picture.value)
