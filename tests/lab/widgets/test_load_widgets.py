"""Pictures of shard load (timeline with throttled seconds) and the split explorer."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from kinesis_lab.core.keys import hash_key_for
from kinesis_lab.patterns.scaling import LoadLog, SecondLoad, balanced_split_point, child_loads
from kinesis_lab.widgets.load import (
    load_timeline_svg,
    split_explorer,
    split_picture,
    split_readout_html,
    split_svg,
)

SVG = "{http://www.w3.org/2000/svg}"
SHARD_1 = {
    "ShardId": "shardId-000000000001",
    "HashKeyRange": {"StartingHashKey": str(2**126), "EndingHashKey": str(2**127 - 1)},
}
RATES = {"#stadium": 350.0, "#worldcup": 350.0, "#penalty": 350.0, "#derby": 350.0}


def groups(svg: str, css_class: str) -> list[ET.Element]:
    root = ET.fromstring(svg)
    return [g for g in root.iter(f"{SVG}g") if (g.get("class") or "").split()[0] == css_class]


def split_log() -> LoadLog:
    """Shard 1 hot for seconds 0-2, split at second 3 into shards 4 and 5."""
    log = LoadLog(seconds=6, marks={3: "SplitShard"})
    for second in range(3):
        log.rows.append(SecondLoad(second, "shardId-000000000000", 50, 50, 0))
        log.rows.append(SecondLoad(second, "shardId-000000000001", 1400, 1000, 400))
    for second in range(3, 6):
        log.rows.append(SecondLoad(second, "shardId-000000000000", 50, 50, 0))
        log.rows.append(SecondLoad(second, "shardId-000000000004", 700, 700, 0))
        log.rows.append(SecondLoad(second, "shardId-000000000005", 700, 700, 0))
    return log


def test_the_timeline_has_a_lane_per_shard_and_marks_throttled_seconds():
    svg = load_timeline_svg(split_log())
    lanes = {g.get("data-shard-id"): g for g in groups(svg, "lane")}
    assert list(lanes) == [
        "shardId-000000000000",
        "shardId-000000000001",
        "shardId-000000000004",
        "shardId-000000000005",
    ]
    assert lanes["shardId-000000000001"].get("data-throttled") == "1200"
    assert lanes["shardId-000000000001"].get("data-throttled-seconds") == "3"
    assert {lane.get("data-throttled") for sid, lane in lanes.items() if sid[-1] != "1"} == {"0"}
    throttled = groups(svg, "second")
    assert sum(1 for g in throttled if "throttled" in g.get("class")) == 3
    assert "3 s throttled" in svg and "no throttling" in svg


def test_the_closed_parent_lane_says_it_takes_no_new_writes():
    svg = load_timeline_svg(split_log())
    parent = next(g for g in groups(svg, "lane") if g.get("data-shard-id").endswith("1"))
    assert any(rect.get("class") == "idle" for rect in parent.iter(f"{SVG}rect"))
    assert "no new writes (CLOSED)" in svg
    marks = groups(svg, "mark")
    assert [m.get("data-second") for m in marks] == ["3"] and "SplitShard" in svg


def test_the_timeline_draws_accepted_and_refused_parts_in_proportion():
    svg = load_timeline_svg(split_log())
    second = next(
        g
        for g in groups(svg, "second")
        if g.get("data-throttled") == "400" and g.get("data-second") == "0"
    )
    heights = [float(rect.get("height")) for rect in second.iter(f"{SVG}rect")]
    assert len(heights) == 2 and abs(heights[0] / heights[1] - 1000 / 400) < 0.01


def test_an_empty_log_still_draws():
    ET.fromstring(load_timeline_svg(LoadLog()))


def test_the_split_picture_shows_the_child_loads():
    split = balanced_split_point(SHARD_1, RATES)
    svg = split_svg(SHARD_1, RATES, split)
    children = {g.get("data-child"): g for g in groups(svg, "child")}
    lower, upper = child_loads(SHARD_1, RATES, split)
    assert float(children["lower child"].get("data-rate")) == lower == 700
    assert float(children["upper child"].get("data-rate")) == upper == 700
    assert {g.get("data-over") for g in children.values()} == {"False"}
    assert len(groups(svg, "key")) == 4
    assert groups(svg, "split")[0].get("data-split") == str(split)


def test_the_even_split_leaves_a_child_over_the_limit():
    svg = split_svg(SHARD_1, RATES, 3 * 2**125)
    over = [g.get("data-child") for g in groups(svg, "child") if g.get("data-over") == "True"]
    assert over == ["upper child"] and "over the limit" in svg
    assert "still over" in split_readout_html(SHARD_1, RATES, 3 * 2**125)
    assert "both children under" in split_readout_html(SHARD_1, RATES, hash_key_for("#penalty"))


def test_the_split_explorer_follows_its_slider():
    explorer = split_explorer(SHARD_1, RATES)
    assert "still over" in explorer.outputs["readout"].value
    explorer.controls["position"].value = 0.67  # between #worldcup (66%) and #penalty (68%)
    assert "both children under" in explorer.outputs["readout"].value
    assert 'data-rate="700"' in explorer.outputs["picture"].value


def test_the_static_split_picture_has_the_drawing_and_the_verdict():
    html = split_picture(SHARD_1, RATES, 3 * 2**125).data
    assert html.startswith("<svg") and "still over" in html
