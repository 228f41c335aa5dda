"""The capstones' SVG charts and tables: what they draw can be read back from data-* attributes."""

from __future__ import annotations

import re

import pytest

from kinesis_lab.capstones.scoring import Score
from kinesis_lab.widgets.capstone_charts import (
    html_table,
    precision_recall_svg,
    throughput_svg,
    timeseries_svg,
)

TIMELINE = [
    {"second": 101, "written": 600, "throttled": 0, "shards": {"shardId-000000000000": 600}},
    {"second": 102, "written": 1000, "throttled": 450, "shards": {"shardId-000000000000": 1000}},
    {
        "second": 104,
        "written": 1900,
        "throttled": 0,
        "shards": {"shardId-000000000001": 950, "shardId-000000000002": 950},
    },
]


def attributes(svg: str, css_class: str, name: str) -> list[str]:
    return re.findall(rf'class="{css_class}"[^>]*?data-{name}="([^"]*)"', svg)


def test_throughput_bars_carry_what_they_show():
    svg = throughput_svg(
        TIMELINE, start=100, capacity={100: 1000, 103: 2000}, markers=[(103, "scaled")]
    )
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert attributes(svg, "written", "value") == ["600", "1000", "950", "950"]
    assert attributes(svg, "written", "second") == ["1", "2", "4", "4"]
    assert attributes(svg, "throttled", "value") == ["450"]
    assert attributes(svg, "throttled", "second") == ["2"]
    assert 'class="capacity"' in svg and 'data-second="3"' in svg and "scaled" in svg
    # every shard in the legend, and a taller throttled bar than its written bar's free space
    for shard in ("shardId-000000000000", "shardId-000000000001", "shardId-000000000002"):
        assert shard in svg


def test_capacity_is_a_step_line():
    svg = throughput_svg(TIMELINE, start=100, capacity={100: 1000, 103: 2000})
    points = re.search(r'class="capacity" points="([^"]*)"', svg).group(1).split()
    ys = [float(p.split(",")[1]) for p in points]
    assert len(set(ys)) == 2  # two levels: before and after the change
    assert ys == sorted(ys, reverse=True)  # the line only goes up (smaller y)


def test_throughput_needs_data():
    with pytest.raises(ValueError):
        throughput_svg([], start=0)


def test_timeseries_draws_series_bands_and_markers():
    svg = timeseries_svg(
        [("mean", "#000", [(0, 0.1), (1, -0.2), (2, 0.3)]), ("base", "#f00", [(0, 0.1), (2, 0.1)])],
        bands=[(0.5, 1.5, "#Outage (incident)", "#e31a1c")],
        markers=[(1.2, "#Outage trending")],
        y_range=(-0.5, 0.5),
        title="t",
    )
    assert attributes(svg, "series", "points") == ["3", "2"]
    assert re.findall(r'data-label="([^"]*)"', svg) == ["#Outage (incident)"]
    assert 'class="marker" data-x="1.2"' in svg
    with pytest.raises(ValueError):
        timeseries_svg([("empty", "#000", [])])


def test_precision_recall_bars():
    svg = precision_recall_svg({"travel": Score(3, 1, 0), "all": Score(5, 0, 5)})
    values = re.findall(r'data-type="([^"]+)" data-measure="(\w+)" data-value="([\d.]+)"', svg)
    assert values == [
        ("travel", "precision", "0.7500"),
        ("travel", "recall", "1.0000"),
        ("all", "precision", "1.0000"),
        ("all", "recall", "0.5000"),
    ]


def test_html_table_escapes_cells():
    table = html_table(("a", "<b>"), [(1, "x<y")], caption="c&d")
    assert "&lt;b&gt;" in table and "x&lt;y" in table and "c&amp;d" in table
    assert table.count("<tr>") == 2
