"""Social posts: deterministic, well-formed, with planted trends that surge in their windows and
sentiment that moves with them."""

from __future__ import annotations

import itertools
import json
import random
import re
import statistics
from collections import Counter
from itertools import pairwise

import pytest

from kinesis_lab.data import (
    POST_TRUTH_FIELDS,
    SENTIMENT_LABEL_THRESHOLD,
    TREND_RULE_FACTOR,
    epoch_ms,
    iter_posts,
    planted_trends,
    posts,
    sentiment_label,
)

RATE = 20.0
TREND_EVERY_S = 300.0
ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
POSITIVE_EN = ("Loving", "made my day", "impressed", "Best", "happy")
NEGATIVE_EN = ("disappointed", "a mess", "Fed up", "Worst", "Can't believe")


@pytest.fixture(scope="module")
def feed() -> list[dict]:
    """50 minutes of posts with a trend every 5 minutes."""
    return posts(60_000, rate_per_s=RATE, trend_every_s=TREND_EVERY_S, seed=5)


@pytest.fixture(scope="module")
def trends(feed) -> list[dict]:
    return planted_trends(feed[-1]["ts_ms"], seed=5, trend_every_s=TREND_EVERY_S)


def _middle_half(feed: list[dict], trend: dict) -> list[dict]:
    quarter = (trend["end_ms"] - trend["start_ms"]) / 4
    low, high = trend["start_ms"] + quarter, trend["end_ms"] - quarter
    return [p for p in feed if low <= p["ts_ms"] < high]


def _outside(feed: list[dict], trends: list[dict]) -> list[dict]:
    return [p for p in feed if not any(t["start_ms"] <= p["ts_ms"] < t["end_ms"] for t in trends)]


def _share(posts_: list[dict], tag: str) -> float:
    return sum(tag in p["hashtags"] for p in posts_) / len(posts_)


def test_same_seed_same_posts_other_seed_differs():
    first = posts(3_000, users=500, seed=3)
    random.seed(7)  # global random state must not matter
    assert posts(3_000, users=500, seed=3) == first
    assert posts(3_000, users=500, seed=4) != first


def test_a_shorter_run_is_a_prefix_of_a_longer_one():
    assert posts(1_000, users=500, seed=6) == posts(2_000, users=500, seed=6)[:1_000]
    endless = iter_posts(users=500, seed=6)  # would hang here if it were not lazy
    assert list(itertools.islice(endless, 1_000)) == posts(1_000, users=500, seed=6)


def test_schema_and_types(feed):
    for post in feed[:5_000]:
        assert list(post) == [
            "post_id", "user", "ts", "ts_ms", "lang", "text", "hashtags", "sentiment",
            "sentiment_label",
        ]  # fmt: skip
        assert post["user"].startswith("@")
        assert ISO_MS.match(post["ts"]) and epoch_ms(post["ts"]) == post["ts_ms"]
        assert post["lang"] in {"en", "es", "pt", "fr", "de"}
        assert isinstance(post["text"], str) and 0 < len(post["text"]) <= 280
        assert all(isinstance(t, str) and t.startswith("#") for t in post["hashtags"])
        assert len(set(post["hashtags"])) == len(post["hashtags"])
        assert all(tag in post["text"] for tag in post["hashtags"])
        assert isinstance(post["sentiment"], float) and -1 <= post["sentiment"] <= 1
    assert len({p["post_id"] for p in feed}) == len(feed)
    assert POST_TRUTH_FIELDS == ()


def test_posts_are_json_serialisable(feed):
    assert json.loads(json.dumps(feed[:2_000], ensure_ascii=False)) == feed[:2_000]


def test_time_order_and_rate(feed):
    times = [p["ts_ms"] for p in feed]
    assert times == sorted(times)
    assert times[0] >= epoch_ms("2026-01-15T09:00:00Z")
    assert len(feed) / ((times[-1] - times[0]) / 1000) == pytest.approx(RATE, rel=0.03)


def test_labels_follow_the_score(feed):
    assert SENTIMENT_LABEL_THRESHOLD == 0.25
    for post in feed:
        score = post["sentiment"]
        expected = "positive" if score >= 0.25 else "negative" if score <= -0.25 else "neutral"
        assert post["sentiment_label"] == expected == sentiment_label(score)
    assert [sentiment_label(s) for s in (0.24, -0.24, 0.0)] == ["neutral"] * 3
    labels = Counter(p["sentiment_label"] for p in feed)
    assert min(labels.values()) > len(feed) / 10  # all three are common


def test_english_text_has_the_tone_of_its_label(feed):
    for post in feed:
        if post["lang"] != "en":
            continue
        positive = any(word in post["text"] for word in POSITIVE_EN)
        negative = any(word in post["text"] for word in NEGATIVE_EN)
        assert (positive, negative) == {
            "positive": (True, False),
            "neutral": (False, False),
            "negative": (False, True),
        }[post["sentiment_label"]], post["text"]


def test_trend_windows_are_planted_once_per_period_without_overlap(trends):
    assert len(trends) >= 9
    for trend in trends:
        assert trend["start_ms"] < trend["peak_ms"] < trend["end_ms"]
        assert epoch_ms(trend["start"]) == trend["start_ms"]
        assert trend["kind"] in {"incident", "celebration", "meme"}
    for before, after in pairwise(trends):
        assert before["end_ms"] < after["start_ms"]
        assert before["hashtag"] != after["hashtag"]
    assert {t["kind"] for t in trends} == {"incident", "celebration", "meme"}


def test_trending_tags_surge_in_their_windows(feed, trends):
    quiet = _outside(feed, trends)
    for trend in trends[:-1]:  # the last window may be cut short by the end of the feed
        middle = _middle_half(feed, trend)
        share = _share(middle, trend["hashtag"])
        assert share >= 0.6 * trend["peak_share"]
        assert _share(quiet, trend["hashtag"]) <= 0.002  # only chatter outside its windows
        assert share >= TREND_RULE_FACTOR * _share(quiet, trend["hashtag"])
        top_tag, _ = Counter(t for p in middle for t in p["hashtags"]).most_common(1)[0]
        assert top_tag == trend["hashtag"]


def test_sentiment_shifts_with_incidents_and_celebrations(feed, trends):
    usual = statistics.mean(p["sentiment"] for p in _outside(feed, trends))
    for trend in trends[:-1]:
        during = statistics.mean(p["sentiment"] for p in _middle_half(feed, trend))
        if trend["kind"] == "incident":
            assert during < usual - 0.2
        elif trend["kind"] == "celebration":
            assert during > usual + 0.15
        else:
            assert during == pytest.approx(usual, abs=0.1)


def test_planted_trends_are_deterministic_and_seeded(trends, feed):
    until = feed[-1]["ts_ms"]
    assert planted_trends(until, seed=5, trend_every_s=TREND_EVERY_S) == trends
    assert planted_trends(until, seed=6, trend_every_s=TREND_EVERY_S) != trends
    assert planted_trends(feed[0]["ts_ms"], seed=5, trend_every_s=TREND_EVERY_S) == []
    default = planted_trends("2026-01-15T10:00:00Z")  # one per 15 minutes
    assert len(default) == 4


def test_nonsense_options_are_refused():
    with pytest.raises(ValueError):
        posts(1, users=0)
    with pytest.raises(ValueError):
        posts(1, rate_per_s=0)
    with pytest.raises(ValueError):
        posts(1, trend_every_s=0)
