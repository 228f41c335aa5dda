"""The hash ring drawing: keys are marked in the right shard, at the right place (F6)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from kinesis_lab.core.facts import HASH_KEY_SPACE, MAX_HASH_KEY
from kinesis_lab.core.keys import even_ranges, hash_key_for, position_in_key_space, shard_for_key
from kinesis_lab.widgets.key_space import (
    MARGIN,
    hash_ring_explorer,
    hash_ring_svg,
    key_readout_html,
    nice_step,
    place_key,
    short_shard_label,
)

SVG = "{http://www.w3.org/2000/svg}"
KEYS = [f"sensor-{i}" for i in range(1, 21)] + ["user-42", "card-1234", "ünïcödé-🙂"]
WIDTH = 760


def make_shards(count: int) -> list[dict]:
    """Shard descriptions shaped like ListShards output, with CreateStream's even ranges."""
    return [
        {
            "ShardId": f"shardId-{i:012d}",
            "HashKeyRange": {"StartingHashKey": str(start), "EndingHashKey": str(end)},
            "SequenceNumberRange": {"StartingSequenceNumber": "49650000000000000000"},
        }
        for i, (start, end) in enumerate(even_ranges(count))
    ]


def split_second_shard(shards: list[dict]) -> list[dict]:
    """The same stream after shard 1 is split in two: parent CLOSED, two OPEN children."""
    parent = shards[1]
    start, end = (
        int(parent["HashKeyRange"]["StartingHashKey"]),
        int(parent["HashKeyRange"]["EndingHashKey"]),
    )
    middle = (start + end) // 2
    closed = {
        **parent,
        "SequenceNumberRange": {
            "StartingSequenceNumber": "49650000000000000000",
            "EndingSequenceNumber": "49650000000000000099",
        },
    }
    n = len(shards)
    children = [
        {
            "ShardId": f"shardId-{n + i:012d}",
            "ParentShardId": parent["ShardId"],
            "HashKeyRange": {"StartingHashKey": str(lo), "EndingHashKey": str(hi)},
            "SequenceNumberRange": {"StartingSequenceNumber": "49650000000000000100"},
        }
        for i, (lo, hi) in enumerate([(start, middle), (middle + 1, end)])
    ]
    return [shards[0], closed, *shards[2:], *children]


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def shard_rects(root: ET.Element) -> dict[str, tuple[str, float, float, ET.Element]]:
    """ShardId → (state, left x, right x, rect element)."""
    found = {}
    for group in root.iter(f"{SVG}g"):
        if "shard" in group.get("class", "").split():
            rect = group.find(f"{SVG}rect")
            x, width = float(rect.get("x")), float(rect.get("width"))
            found[group.get("data-shard-id")] = (group.get("data-state"), x, x + width, rect)
    return found


def key_marks(root: ET.Element) -> dict[str, ET.Element]:
    return {
        g.get("data-key"): g for g in root.iter(f"{SVG}g") if "key" in g.get("class", "").split()
    }


def marker_x(group: ET.Element) -> float:
    return float(group.find(f"{SVG}line").get("x1"))


@pytest.mark.parametrize("shard_count", [1, 2, 4, 7])
def test_every_key_is_marked_inside_the_shard_that_owns_it(shard_count):
    shards = make_shards(shard_count)
    root = parse(hash_ring_svg(shards, KEYS, width=WIDTH))
    rects = shard_rects(root)
    marks = key_marks(root)
    assert set(marks) == set(KEYS)
    for key, mark in marks.items():
        owner = shard_for_key(key, shards)
        assert mark.get("data-shard-id") == owner
        _, left, right, _ = rects[owner]
        assert left - 0.01 <= marker_x(mark) <= right + 0.01, key


def test_marker_positions_match_position_in_key_space():
    root = parse(hash_ring_svg(make_shards(4), KEYS, width=WIDTH))
    bar_width = WIDTH - 2 * MARGIN
    for key, mark in key_marks(root).items():
        position = position_in_key_space(hash_key_for(key))
        assert float(mark.get("data-position")) == position
        assert int(mark.get("data-hash-key")) == hash_key_for(key)
        assert marker_x(mark) == pytest.approx(MARGIN + position * bar_width, abs=0.01)


def test_shard_segments_tile_the_key_space_in_order():
    rects = shard_rects(parse(hash_ring_svg(make_shards(4), width=WIDTH)))
    edges = [(left, right) for _, left, right, _ in rects.values()]
    assert edges[0][0] == pytest.approx(MARGIN)
    assert edges[-1][1] == pytest.approx(WIDTH - MARGIN)
    for (_, right), (left, _) in zip(edges, edges[1:], strict=False):
        assert right == pytest.approx(left)
    widths = {round(right - left, 1) for left, right in edges}
    assert len(widths) == 1  # even ranges → equal segments


def test_closed_shards_are_drawn_differently_on_their_own_lane():
    shards = split_second_shard(make_shards(4))
    root = parse(hash_ring_svg(shards, KEYS, width=WIDTH))
    rects = shard_rects(root)
    closed = {sid for sid, (state, *_) in rects.items() if state == "CLOSED"}
    assert closed == {"shardId-000000000001"}
    closed_rect = rects["shardId-000000000001"][3]
    open_rect = rects["shardId-000000000000"][3]
    assert closed_rect.get("fill").startswith("url(#")  # hatched
    assert closed_rect.get("stroke-dasharray")  # dashed outline
    assert not open_rect.get("fill").startswith("url(")
    assert open_rect.get("stroke-dasharray") is None
    assert float(closed_rect.get("y")) < float(open_rect.get("y"))  # a lane above the open bar
    # The children cover exactly the parent's range; no key is ever given to the closed shard.
    _, parent_left, parent_right, _ = rects["shardId-000000000001"]
    assert rects["shardId-000000000004"][1] == pytest.approx(parent_left)
    assert rects["shardId-000000000005"][2] == pytest.approx(parent_right)
    assert all(m.get("data-shard-id") != "shardId-000000000001" for m in key_marks(root).values())


def test_last_hash_key_belongs_to_the_last_shard():
    shards = make_shards(4)
    assert shard_for_key("x", shards, explicit_hash_key=MAX_HASH_KEY) == "shardId-000000000003"
    root = parse(hash_ring_svg(shards, width=WIDTH))
    assert shard_rects(root)["shardId-000000000003"][2] == pytest.approx(WIDTH - MARGIN)


def test_highlighted_key_is_drawn_once_and_stands_out():
    root = parse(hash_ring_svg(make_shards(4), ["a", "b"], highlight="a", width=WIDTH))
    marks = [g for g in root.iter(f"{SVG}g") if "key" in g.get("class", "").split()]
    assert [g.get("data-key") for g in marks].count("a") == 1
    (highlighted,) = [g for g in marks if "highlight" in g.get("class").split()]
    assert highlighted.get("data-key") == "a"


def test_keys_with_markup_characters_keep_the_svg_well_formed():
    key = '<b>"tom" & jerry</b>'
    root = parse(hash_ring_svg(make_shards(2), [key]))
    assert list(key_marks(root)) == [key]


def test_place_key_reports_hash_hex_position_and_shard():
    shards = make_shards(4)
    placement = place_key("sensor-1", shards)
    assert placement.hash_key == hash_key_for("sensor-1")
    assert int(placement.md5_hex, 16) == placement.hash_key
    assert len(placement.md5_hex) == 32
    assert 0 <= placement.position < 1
    assert placement.shard_id == shard_for_key("sensor-1", shards)
    assert place_key("sensor-1", []).shard_id is None


def test_readout_for_empty_too_long_and_normal_keys():
    shards = make_shards(4)
    assert "Type a partition key" in key_readout_html("", shards)
    assert "256" in key_readout_html("k" * 257, shards)
    text = key_readout_html("sensor-1", shards)
    assert str(hash_key_for("sensor-1")) in text
    assert f"{hash_key_for('sensor-1'):032x}" in text
    assert shard_for_key("sensor-1", shards) in text


def test_short_shard_label():
    assert short_shard_label("shardId-000000000012") == "shard 12"
    assert short_shard_label("odd") == "odd"


def test_explorer_updates_readout_and_picture_when_a_key_is_typed():
    shards = make_shards(4)
    explorer = hash_ring_explorer(shards, keys=["sensor-1"])
    key_input, readout, picture = explorer.children
    key_input.value = "user-42"
    assert str(hash_key_for("user-42")) in readout.value
    marks = key_marks(parse(picture.value))
    assert "highlight" in marks["user-42"].get("class")
    assert "sensor-1" in marks
    key_input.value = "k" * 300
    assert "Too long" in readout.value
    assert "k" * 300 not in key_marks(parse(picture.value))


def test_the_whole_key_space_is_covered_by_even_ranges():
    # Guards the fixture the other tests rely on.
    ranges = even_ranges(7)
    assert ranges[0][0] == 0 and ranges[-1][1] == HASH_KEY_SPACE - 1


@pytest.mark.parametrize(
    "span, target, step",
    [
        (100, 6, 20),
        (60, 6, 10),
        (33, 5, 10),
        (7, 6, 2),
        (0.5, 5, 0.1),
        (0.3, 6, 0.05),
        (1_000_000, 5, 200_000),
        (0, 6, 1.0),
    ],
)
def test_nice_step_is_a_round_step_giving_about_the_asked_number_of_ticks(span, target, step):
    assert nice_step(span, target) == pytest.approx(step)
