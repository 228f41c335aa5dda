"""The window timeline draws what kinesis_lab.patterns.windowing decides, and the explorer re-draws."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from kinesis_lab.patterns.windowing import SECOND_MS, Window, session_windows, sliding_windows
from kinesis_lab.widgets.windows import (
    default_span,
    sliding_in_span,
    tumbling_in_span,
    window_readout_html,
    window_timeline_explorer,
    window_timeline_svg,
)

S = SECOND_MS
TIMESTAMPS = [1_000, 4_000, 9_500, 10_000, 17_000, 31_000, 33_000, 58_999, 59_000]
SVG_NS = "{http://www.w3.org/2000/svg}"


def windows_of(svg: str, kind: str) -> list[tuple[Window, int, bool]]:
    root = ET.fromstring(svg)
    found = []
    for group in root.iter(f"{SVG_NS}g"):
        classes = group.get("class", "").split()
        if "window" in classes and kind in classes:
            window = Window(int(group.get("data-start")), int(group.get("data-end")))
            found.append((window, int(group.get("data-count")), "holds-highlight" in classes))
    return found


def test_svg_is_well_formed_and_draws_every_event():
    svg = window_timeline_svg(TIMESTAMPS, 20 * S, 10 * S, gap_ms=5 * S)
    root = ET.fromstring(svg)
    events = [c for c in root.iter(f"{SVG_NS}circle") if "event" in c.get("class", "")]
    assert sorted(int(c.get("data-ts")) for c in events) == TIMESTAMPS


def test_tumbling_windows_partition_the_events():
    svg = window_timeline_svg(TIMESTAMPS, 20 * S, 10 * S)
    tumbling = windows_of(svg, "tumbling")
    assert [w for w, _, _ in tumbling] == [
        Window(0, 20 * S),
        Window(20 * S, 40 * S),
        Window(40 * S, 60 * S),
    ]
    assert [n for _, n, _ in tumbling] == [5, 2, 2]
    assert sum(n for _, n, _ in tumbling) == len(TIMESTAMPS)


def test_sliding_counts_add_up_to_size_over_slide_per_event():
    svg = window_timeline_svg(TIMESTAMPS, 30 * S, 10 * S, span=(-30 * S, 90 * S))
    sliding = windows_of(svg, "sliding")
    assert sum(n for _, n, _ in sliding) == 3 * len(TIMESTAMPS)
    for window, count, _ in sliding:
        assert count == sum(window.contains(ts) for ts in TIMESTAMPS)


def test_highlighted_event_outlines_one_tumbling_and_all_its_sliding_windows():
    index = TIMESTAMPS.index(17_000)
    svg = window_timeline_svg(
        TIMESTAMPS, 60 * S, 10 * S, highlight_index=index, span=(-60 * S, 120 * S)
    )
    assert [w for w, _, h in windows_of(svg, "tumbling") if h] == [Window(0, 60 * S)]
    outlined = [w for w, _, h in windows_of(svg, "sliding") if h]
    assert outlined == sliding_windows(17_000, 60 * S, 10 * S)
    assert len(outlined) == 6


def test_session_lane_matches_session_windows():
    svg = window_timeline_svg(TIMESTAMPS, 20 * S, 10 * S, gap_ms=5 * S)
    drawn = [w for w, _, _ in windows_of(svg, "session")]
    assert drawn == session_windows(TIMESTAMPS, 5 * S)
    assert windows_of(window_timeline_svg(TIMESTAMPS, 20 * S, 10 * S), "session") == []


def test_span_helpers():
    assert default_span(TIMESTAMPS) == (0, 60 * S)
    assert tumbling_in_span((5 * S, 45 * S), 20 * S) == [
        Window(0, 20 * S),
        Window(20 * S, 40 * S),
        Window(40 * S, 60 * S),
    ]
    in_span = sliding_in_span((0, 30 * S), 30 * S, 10 * S)
    assert in_span[0] == Window(-20 * S, 10 * S) and in_span[-1] == Window(20 * S, 50 * S)
    assert len(in_span) == 5
    with pytest.raises(ValueError):
        default_span([])


def test_readout_names_the_counts():
    text = window_readout_html(TIMESTAMPS, 60 * S, 10 * S, TIMESTAMPS.index(17_000), gap_ms=5 * S)
    assert "exactly <b>1</b> tumbling window" in text
    assert "<b>6</b> sliding windows" in text
    assert re.search(r"one of \d+ sessions", text)


def test_explorer_redraws_when_a_slider_moves():
    explorer = window_timeline_explorer(TIMESTAMPS, size_s=20, slide_s=10, gap_s=5)
    size, slide, gap, event, readout, picture = explorer.children
    before = picture.value
    size.value = 60
    assert picture.value != before
    assert len(windows_of(picture.value, "tumbling")) == 1
    event.value = TIMESTAMPS.index(17_000)
    assert "<b>6</b> sliding windows" in readout.value
