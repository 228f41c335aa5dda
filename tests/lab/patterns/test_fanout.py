"""Standard vs enhanced fan-out read throughput (F2, F3, F17, F18, F20) and its picture."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from kinesis_lab.core.facts import MIB
from kinesis_lab.patterns.fanout import (
    EFO,
    STANDARD,
    cross_account_consumer_policy,
    delay_note,
    fanout_explorer,
    fanout_svg,
    get_records_calls_per_consumer,
    read_per_consumer,
    shard_read_total,
)

SVG = "{http://www.w3.org/2000/svg}"


def test_standard_consumers_share_two_mib_per_second_per_shard():
    assert read_per_consumer(1, STANDARD) == 2 * MIB
    assert read_per_consumer(4, STANDARD) == MIB / 2
    assert shard_read_total(5, STANDARD) == pytest.approx(2 * MIB)


def test_each_efo_consumer_gets_its_own_two_mib_per_second_per_shard():
    assert read_per_consumer(1, EFO) == read_per_consumer(20, EFO) == 2 * MIB
    assert shard_read_total(5, EFO) == 10 * MIB


def test_get_records_calls_are_shared_too():
    assert get_records_calls_per_consumer(1) == 5
    assert get_records_calls_per_consumer(5) == 1
    assert get_records_calls_per_consumer(10) == 0.5


@pytest.mark.parametrize("bad", [0, -1])
def test_there_is_at_least_one_consumer(bad):
    with pytest.raises(ValueError):
        read_per_consumer(bad, STANDARD)
    with pytest.raises(ValueError):
        get_records_calls_per_consumer(bad)


def test_an_unknown_mode_is_refused():
    with pytest.raises(ValueError):
        read_per_consumer(1, "turbo")


def test_delays_are_the_documented_ones():
    assert "200 ms" in delay_note(1, STANDARD)
    assert "1,000 ms" in delay_note(5, STANDARD)
    assert "between" in delay_note(3, STANDARD)
    assert "more than" in delay_note(8, STANDARD)
    assert "70 ms" in delay_note(8, EFO)


def panels(svg: str) -> dict[str, list[float]]:
    root = ET.fromstring(svg)
    result = {}
    for group in root.iter(f"{SVG}g"):
        if group.get("class") == "panel":
            bars = [r for r in group.iter(f"{SVG}rect") if r.get("class") == "bar"]
            result[group.get("data-mode")] = [float(r.get("data-bytes-per-sec")) for r in bars]
    return result


@pytest.mark.parametrize("consumers", [1, 5, 20])
def test_the_picture_has_one_bar_per_consumer_in_each_panel(consumers):
    drawn = panels(fanout_svg(consumers))
    assert drawn[STANDARD] == [2 * MIB / consumers] * consumers
    assert drawn[EFO] == [2 * MIB] * consumers


def test_the_picture_states_the_numbers_it_shows():
    svg = fanout_svg(5)
    assert "0.4 MiB/s" in svg and "10 MiB/s" in svg and "1,000 ms" in svg and "70 ms" in svg
    assert "20 consumers per stream" in svg and "50 with On-demand Advantage" in svg


@pytest.mark.parametrize("bad", [0, 51])
def test_the_picture_refuses_impossible_consumer_counts(bad):
    with pytest.raises(ValueError):
        fanout_svg(bad)


def test_the_explorer_redraws_when_the_slider_moves():
    explorer = fanout_explorer(2)
    explorer.controls["consumers"].value = 10
    assert panels(explorer.outputs["picture"].value)[STANDARD] == [2 * MIB / 10] * 10
    assert explorer.controls["consumers"].max == 20


def test_the_cross_account_consumer_policy_grants_subscribe_on_that_consumer_only():
    arn = "arn:aws:kinesis:us-east-1:123456789012:stream/shop/consumer/fraud:1700000000"
    document = cross_account_consumer_policy(arn, "111122223333")
    (only,) = document["Statement"]
    assert only["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"}
    assert only["Resource"] == arn
    assert sorted(only["Action"]) == ["kinesis:DescribeStreamConsumer", "kinesis:SubscribeToShard"]
    assert document["Version"] == "2012-10-17"
