"""Social capstone helpers: the two relative rules and their checks, incremental event-time
windows (the rules of kinesis_lab.patterns.windowing), trend and mood detection against the generator's
planted trends, the chart, EFO registration and shared-read pressure (F3, F17, F18)."""

from __future__ import annotations

import pytest

from kinesis_lab.capstones import social
from kinesis_lab.core import clock
from kinesis_lab.data import planted_trends, posts
from kinesis_lab.patterns.windowing import Window

START_MS = 1_768_467_600_000  # 09:00:00 UTC on a whole minute


@pytest.fixture(scope="module")
def feed():
    """The capstone's feed, processed as it arrives: the lab clock follows the posts."""
    events = posts(2_940, rate_per_s=7, trend_every_s=150, seed=24, start=START_MS)
    planted = planted_trends(events[-1]["ts_ms"], seed=24, trend_every_s=150, start=START_MS)
    trends, mood = social.TrendLogic(), social.SentimentLogic()
    lab_clock = clock.use_simulated_clock(START_MS / 1000)
    try:
        for post in events:
            lab_clock.set(max(lab_clock.now(), post["ts_ms"] / 1000))
            trends.process(post)
            mood.process(post)
        trends.finish()
        mood.finish()
    finally:
        clock.use_real_clock()
    return events, planted, trends, mood


@pytest.mark.parametrize(("count", "total", "baseline", "expected", "_"), social.TRENDING_CASES)
def test_reference_trending_rule(count, total, baseline, expected, _):
    assert social.reference_is_trending(count, total, baseline) is expected


def test_trending_rule_edge_cases():
    assert not social.reference_is_trending(0, 0, 0.0)
    assert social.reference_is_trending(10, 200, 0.0)  # 5 % of a window, new tag
    assert not social.reference_is_trending(9, 100, 0.0)  # 9 %, but fewer than 10 posts


@pytest.mark.parametrize(("mean", "baseline", "expected", "_"), social.MOOD_CASES)
def test_reference_mood_rule(mean, baseline, expected, _):
    assert social.reference_mood_shift(mean, baseline) == expected


def test_checks_of_the_learners_rules(capsys):
    assert social.check_is_trending(social.reference_is_trending)
    assert social.check_mood_shift(social.reference_mood_shift)
    assert not social.check_is_trending(lambda c, t, b: c / t >= 0.05)  # absolute, not relative
    assert "✗" in capsys.readouterr().out

    def blank_trending(count, total, baseline_share):
        usual = ...
        return count >= 10 and count / total >= 10 * usual

    assert not social.check_is_trending(blank_trending)
    assert "not yet" in capsys.readouterr().out

    def upside_down(window_mean, baseline_mean):
        if window_mean <= baseline_mean - 0.15:
            return "positive"
        return "negative" if window_mean >= baseline_mean + 0.15 else None

    assert not social.check_mood_shift(upside_down)
    assert "0.15 or more below" in capsys.readouterr().out

    def absolute(window_mean, baseline_mean):  # ignores the baseline
        if window_mean <= -0.15:
            return "negative"
        return "positive" if window_mean >= 0.15 else None

    assert not social.check_mood_shift(absolute)
    assert not social.check_mood_shift(lambda m, b: ...)
    assert "not yet" in capsys.readouterr().out


def test_tumbling_windows_fire_when_the_watermark_passes_their_end():
    windows = social.EventTimeWindows(10_000, None, max_out_of_orderness_ms=2_000)
    assert windows.add(1_000, {"n": 1}) == []
    assert windows.add(11_999, {"n": 2}) == []  # watermark 9,998: [0, 10 s) still open
    fired = windows.add(12_000, {"n": 3})  # watermark 9,999 = the window's last millisecond
    assert fired == [(Window(0, 10_000), [{"n": 1}])]
    assert windows.add(5_000, {"n": 4}) == [] and windows.late == 1  # its window fired already
    assert windows.flush() == [(Window(10_000, 20_000), [{"n": 2}, {"n": 3}])]


def test_each_post_is_in_size_over_slide_sliding_windows():
    windows = social.EventTimeWindows(60_000, 15_000, max_out_of_orderness_ms=0)
    windows.add(START_MS + 30_000, {"n": 1})
    fired = windows.flush()
    assert len(fired) == 4
    assert all(w.contains(START_MS + 30_000) for w, _ in fired)


def test_sliding_windows_catch_every_planted_trend_without_false_alarms(feed):
    _, planted, trends, _ = feed
    rows, false_alarms = social.match_trends(trends.detections, planted, social.SLIDING)
    assert [r["hashtag"] for r in rows] == [t["hashtag"] for t in planted]
    assert all(r["delay_s"] is not None and r["delay_s"] < 90 for r in rows)
    assert false_alarms == []


def test_tumbling_windows_miss_the_trend_whose_start_fed_its_own_baseline(feed):
    _, planted, trends, _ = feed
    rows, false_alarms = social.match_trends(trends.detections, planted, social.TUMBLING)
    assert [r["delay_s"] is None for r in rows] == [True, False, False]
    assert false_alarms == []
    assert len(trends.fired[social.SLIDING]) == pytest.approx(
        4 * len(trends.fired[social.TUMBLING]), abs=4
    )


def test_nothing_is_judged_before_the_warmup(feed):
    events, _, trends, _ = feed
    early = events[social.WARMUP_POSTS - 1]["ts_ms"]
    assert all(d.window.start_ms >= early - social.WINDOW_MS for d in trends.detections)


def test_mood_alerts_match_incidents_and_celebrations_only(feed):
    _, planted, _, mood = feed
    rows, unexpected = social.match_moods(mood.points, planted)
    assert [r["expected"] for r in rows] == ["negative", "positive", "negative"]
    assert all(r["delay_s"] is not None for r in rows)
    assert unexpected == []
    assert mood.reference == pytest.approx(0.1, abs=0.05)


def test_sentiment_chart(feed):
    _, planted, trends, mood = feed
    svg = social.sentiment_chart(mood.points, planted, trends.detections, START_MS / 1000)
    assert svg.count('class="band"') == len(planted)
    assert svg.count('class="marker"') == len(planted)
    assert "(incident)" in svg and "(celebration)" in svg


def test_efo_registration_and_shared_read_pressure(lab):
    lab.use_simulated_clock()
    lab.create_stream("feed", shard_count=1)
    arn = lab.kinesis.describe_stream_summary(StreamName="feed")["StreamDescriptionSummary"][
        "StreamARN"
    ]
    consumer = social.register_efo_consumer(lab.kinesis, arn, "sentiment")
    assert consumer["ConsumerStatus"] == "ACTIVE"
    name, created = consumer["ConsumerARN"].rsplit(":", 1)  # F121: ends in its creation time
    assert name.endswith("/consumer/sentiment") and created.isdigit()

    shard = "shardId-000000000000"
    calm = social.polling_pressure(lab.kinesis, "feed", shard, readers=2, polls_per_s=2, seconds=3)
    assert calm["refused"] == 0 and calm["took_s"] == pytest.approx(3, abs=0.01)
    busy = social.polling_pressure(lab.kinesis, "feed", shard, readers=6, polls_per_s=1, seconds=5)
    assert busy["calls"] == 30 and busy["refused"] > 0 and busy["took_s"] > 5
