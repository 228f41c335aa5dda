"""Social capstone (lesson 15): trending hashtags and rolling sentiment over event-time windows,
with two independent consumers of one stream.

Why here: the windows are :mod:`kinesis_lab.patterns.windowing`'s (the same rules as lesson M10's Flink
simulation: half-open tumbling and sliding windows, a bounded-out-of-orderness watermark); this
module runs them *incrementally*, record by record, inside a consumer — which is what a stream
processor does — and adds the use case: the trend and mood rules with their self-checks, the
matching of detections with the generator's planted trends, and the picture.

Two ideas the rules encode:

- **trending is relative.** #coffee is always popular; a hashtag *trends* when its share of a
  window's posts is far above its own usual share. Here: at least ``TREND_MIN_POSTS`` posts and
  at least ``TREND_RULE_FACTOR`` (10) × its share of the posts before the window, a usual share
  below ``BASELINE_FLOOR`` (0.5 %) counting as 0.5 %. Before ``WARMUP_POSTS`` posts there is no
  usual share to compare with, so nothing is judged.
- **mood is relative too.** A window's mean sentiment is compared with the usual mood (the mean
  of the first ``WARMUP_POSTS`` posts); a shift of ``MOOD_SHIFT`` (0.15) or more either way is an
  alert.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..core import clock
from ..core.checks import FAIL_MARK, PASS_MARK, TODO_MARK, is_blank
from ..data.records import decode
from ..data.social import TREND_RULE_FACTOR
from ..patterns.windowing import Window, watermark_after, windows_for
from .scoring import raised_on_blank

TREND_MIN_POSTS = 10
BASELINE_FLOOR = 0.005
WARMUP_POSTS = 200
MOOD_SHIFT = 0.15
WINDOW_MS = 60_000
SLIDE_MS = 15_000
MAX_OUT_OF_ORDERNESS_MS = 5_000

TUMBLING = "tumbling"
SLIDING = "sliding"

Post = Mapping[str, Any]

# ---------------------------------------------------------------------------------------------
# The two rules and their checks
# ---------------------------------------------------------------------------------------------


def reference_is_trending(count: int, total: int, baseline_share: float) -> bool:
    """True when a hashtag in ``count`` of a window's ``total`` posts is trending, given its
    usual share ``baseline_share`` (0-1) of the posts before the window."""
    if total <= 0:
        return False
    usual = max(baseline_share, BASELINE_FLOOR)
    return count >= TREND_MIN_POSTS and count / total >= TREND_RULE_FACTOR * usual


def reference_mood_shift(window_mean: float, baseline_mean: float) -> str | None:
    """ "negative" or "positive" when a window's mean sentiment is at least MOOD_SHIFT below or
    above the usual mean, else None."""
    if window_mean <= baseline_mean - MOOD_SHIFT:
        return "negative"
    if window_mean >= baseline_mean + MOOD_SHIFT:
        return "positive"
    return None


# (count, total, baseline share, expected, what the case is about)
TRENDING_CASES: Sequence[tuple[int, int, float, bool, str]] = (
    (80, 480, 0.001, True, "a new hashtag in 1 of 6 posts"),
    (30, 500, 0.06, False, "#coffee: always popular, 6 % as usual"),
    (60, 500, 0.05, False, "a popular tag up from 5 % to 12 %: a rise, not 10 ×"),
    (4, 20, 0.0, False, "4 of 20 posts: too few posts to call it"),
    (26, 500, 0.002, True, "5.2 % against a usual 0.2 % (which counts as 0.5 %)"),
    (24, 500, 0.002, False, "4.8 %: just below 10 × 0.5 %"),
    (50, 500, 0.02, False, "a past trend back at 10 %: its usual share is now 2 %"),
    (110, 500, 0.01, True, "22 % against a usual 1 %"),
)

# (window mean, baseline mean, expected, what the case is about)
MOOD_CASES: Sequence[tuple[float, float, str | None, str]] = (
    (-0.2, 0.1, "negative", "an outage: the mood falls by 0.3"),
    (0.32, 0.1, "positive", "a cup final: the mood rises by 0.22"),
    (0.15, 0.1, None, "a meme: a small rise of 0.05"),
    (0.1, 0.1, None, "an ordinary minute"),
    (-0.06, 0.1, "negative", "0.16 below: a shift"),
    (0.24, 0.1, None, "0.14 above: not yet a shift"),
    (-0.04, 0.1, None, "0.14 below: not yet a shift"),
)


def _report_raise(label: str, about: str, error: Exception) -> bool:
    if raised_on_blank(error):
        print(f"{TODO_MARK} {label}: not yet — replace the ... with your code.")
    else:
        print(f"{FAIL_MARK} {label} ({about}): your function raised {type(error).__name__}")
    return False


def check_is_trending(function: Callable[[int, int, float], Any]) -> bool:
    """Check a learner's ``is_trending(count, total, baseline_share) -> bool``. Never raises."""
    label = "is_trending"
    for count, total, baseline, expected, about in TRENDING_CASES:
        try:
            got = function(count, total, baseline)
        except Exception as error:
            return _report_raise(label, about, error)
        if is_blank(got):
            print(f"{TODO_MARK} {label}: not yet — replace the ... with your code.")
            return False
        if bool(got) != expected:
            print(
                f"{FAIL_MARK} {label} ({about}): count {count}, total {total}, "
                f"baseline_share {baseline} → you have {got!r}"
            )
            print(
                f"    hint: trending needs at least {TREND_MIN_POSTS} posts AND a share of at "
                f"least {TREND_RULE_FACTOR} × max(baseline_share, {BASELINE_FLOOR})."
            )
            return False
    print(f"{PASS_MARK} {label}: all {len(TRENDING_CASES)} cases right.")
    return True


def check_mood_shift(function: Callable[[float, float], Any]) -> bool:
    """Check a learner's ``mood_shift(window_mean, baseline_mean)``. Never raises."""
    label = "mood_shift"
    for window_mean, baseline, expected, about in MOOD_CASES:
        try:
            got = function(window_mean, baseline)
        except Exception as error:
            return _report_raise(label, about, error)
        if is_blank(got):
            print(f"{TODO_MARK} {label}: not yet — replace the ... with your code.")
            return False
        if got != expected:
            print(
                f"{FAIL_MARK} {label} ({about}): window_mean {window_mean}, baseline_mean "
                f"{baseline} → you have {got!r}"
            )
            print(
                f"    hint: 'negative' at {MOOD_SHIFT} or more below the baseline, 'positive' "
                f"at {MOOD_SHIFT} or more above, otherwise None."
            )
            return False
    print(f"{PASS_MARK} {label}: all {len(MOOD_CASES)} cases right.")
    return True


# ---------------------------------------------------------------------------------------------
# Event-time windows, incrementally (the rules of kinesis_lab.patterns.windowing)
# ---------------------------------------------------------------------------------------------


class EventTimeWindows:
    """Tumbling (``slide_ms=None``) or sliding windows over event time, fired by a
    bounded-out-of-orderness watermark, one event at a time — what a stream processor such as
    Flink does (lesson M10). A window fires when the watermark reaches its last millisecond;
    an event whose every window already fired is *late* and only counted."""

    def __init__(
        self,
        size_ms: int = WINDOW_MS,
        slide_ms: int | None = None,
        max_out_of_orderness_ms: int = MAX_OUT_OF_ORDERNESS_MS,
    ) -> None:
        self.size_ms = size_ms
        self.slide_ms = slide_ms
        self.bound_ms = max_out_of_orderness_ms
        self.watermark: int | None = None
        self.late = 0
        self._open: dict[Window, list[Post]] = {}
        self._max_seen: int | None = None

    def add(self, ts_ms: int, event: Post) -> list[tuple[Window, list[Post]]]:
        """Add one event; returns the windows this event's watermark fired, oldest first."""
        live = [
            w
            for w in windows_for(ts_ms, self.size_ms, self.slide_ms)
            if self.watermark is None or w.max_timestamp > self.watermark
        ]
        if not live:
            self.late += 1
        for window in live:
            self._open.setdefault(window, []).append(event)
        self._max_seen = ts_ms if self._max_seen is None else max(self._max_seen, ts_ms)
        candidate = watermark_after(self._max_seen, self.bound_ms)
        if self.watermark is None or candidate > self.watermark:
            self.watermark = candidate
        return self._fire(self.watermark)

    def flush(self) -> list[tuple[Window, list[Post]]]:
        """Fire every open window (the end of a bounded input)."""
        return self._fire(None)

    def _fire(self, up_to: int | None) -> list[tuple[Window, list[Post]]]:
        due = sorted(w for w in self._open if up_to is None or w.max_timestamp <= up_to)
        return [(window, self._open.pop(window)) for window in due]


class _History:
    """What came before a window: tag counts and sentiment sums of every post, to compare a
    window with the posts before its start."""

    def __init__(self) -> None:
        self._posts: list[tuple[int, tuple[str, ...], float]] = []

    def add(self, post: Post) -> None:
        self._posts.append((int(post["ts_ms"]), tuple(post["hashtags"]), float(post["sentiment"])))

    def before(self, start_ms: int) -> tuple[int, Counter, float]:
        """(posts, tag counts, mean sentiment) of the posts earlier than ``start_ms``."""
        tags: Counter = Counter()
        total, sentiment = 0, 0.0
        for ts, hashtags, score in self._posts:
            if ts < start_ms:
                total += 1
                tags.update(hashtags)
                sentiment += score
        return total, tags, (sentiment / total if total else 0.0)


# ---------------------------------------------------------------------------------------------
# The two consumers' logic
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Detection:
    """A hashtag a window flagged as trending."""

    windowing: str  # "tumbling" or "sliding"
    window: Window
    hashtag: str
    count: int
    total: int
    baseline_share: float
    fired_at: float  # lab time the window fired

    @property
    def share(self) -> float:
        return self.count / self.total if self.total else 0.0


class TrendLogic:
    """Counts hashtags in tumbling and sliding event-time windows and applies the trending rule
    to each window as it fires. Call it with each record."""

    def __init__(
        self,
        rule: Callable[[int, int, float], Any] = reference_is_trending,
        size_ms: int = WINDOW_MS,
        slide_ms: int = SLIDE_MS,
    ) -> None:
        self.rule = rule
        self.windows = {
            TUMBLING: EventTimeWindows(size_ms),
            SLIDING: EventTimeWindows(size_ms, slide_ms),
        }
        self.history = _History()
        self.detections: list[Detection] = []
        self.fired: dict[str, list[tuple[Window, int]]] = {TUMBLING: [], SLIDING: []}
        self.posts = 0

    def __call__(self, record: Mapping[str, Any]) -> None:
        self.process(decode(record))

    def process(self, post: Post) -> None:
        self.posts += 1
        for name, windows in self.windows.items():
            for window, members in windows.add(int(post["ts_ms"]), post):
                self._judge(name, window, members)
        self.history.add(post)

    def finish(self) -> None:
        """Fire the windows still open (the end of the lab's input)."""
        for name, windows in self.windows.items():
            for window, members in windows.flush():
                self._judge(name, window, members)

    def _judge(self, name: str, window: Window, members: list[Post]) -> None:
        self.fired[name].append((window, len(members)))
        before, usual, _ = self.history.before(window.start_ms)
        if before < WARMUP_POSTS:
            return  # no baseline yet: nothing is judged
        counts = Counter(tag for post in members for tag in post["hashtags"])
        for tag, count in counts.most_common():
            share = usual[tag] / before
            if self.rule(count, len(members), share):
                self.detections.append(
                    Detection(name, window, tag, count, len(members), share, clock.now())
                )


@dataclass(frozen=True)
class MoodPoint:
    window: Window
    mean: float
    baseline: float | None
    shift: str | None
    fired_at: float


class SentimentLogic:
    """Mean sentiment of each sliding window, and the mood-shift rule against the usual mood:
    the mean of the first ``WARMUP_POSTS`` posts (in production: days of history, so that one
    bad hour does not move it). Call it with each record.

    Why not "every post so far", as for hashtags: in a lab of a few minutes one incident drags
    that mean down, and the recovery after it would then look like a positive shift."""

    def __init__(
        self,
        rule: Callable[[float, float], Any] = reference_mood_shift,
        size_ms: int = WINDOW_MS,
        slide_ms: int = SLIDE_MS,
    ) -> None:
        self.rule = rule
        self.windows = EventTimeWindows(size_ms, slide_ms)
        self.points: list[MoodPoint] = []
        self.posts = 0
        self.reference: float | None = None  # the usual mood, once WARMUP_POSTS were seen
        self._warmup: list[float] = []

    def __call__(self, record: Mapping[str, Any]) -> None:
        self.process(decode(record))

    def process(self, post: Post) -> None:
        self.posts += 1
        if self.reference is None:
            self._warmup.append(float(post["sentiment"]))
            if len(self._warmup) >= WARMUP_POSTS:
                self.reference = sum(self._warmup) / len(self._warmup)
        for window, members in self.windows.add(int(post["ts_ms"]), post):
            self._judge(window, members)

    def finish(self) -> None:
        for window, members in self.windows.flush():
            self._judge(window, members)

    def _judge(self, window: Window, members: list[Post]) -> None:
        mean = sum(float(p["sentiment"]) for p in members) / len(members)
        shift = self.rule(mean, self.reference) if self.reference is not None else None
        self.points.append(MoodPoint(window, mean, self.reference, shift, clock.now()))

    def alerts(self) -> list[MoodPoint]:
        return [point for point in self.points if point.shift]


# ---------------------------------------------------------------------------------------------
# Against the ground truth
# ---------------------------------------------------------------------------------------------


def _overlaps(window: Window, trend: Mapping[str, Any]) -> bool:
    return trend["start_ms"] < window.end_ms and trend["end_ms"] > window.start_ms


def match_trends(
    detections: Iterable[Detection], planted: Sequence[Mapping[str, Any]], windowing: str
) -> tuple[list[dict[str, Any]], list[Detection]]:
    """For each planted trend, the first detection of its hashtag by ``windowing`` windows
    overlapping its time (``detected_at``: lab time; ``delay_s``: from the trend's start), and
    the detections that match no planted trend (false alarms)."""
    chosen = [d for d in detections if d.windowing == windowing]
    rows, matched = [], set()
    for trend in planted:
        hits = [d for d in chosen if d.hashtag == trend["hashtag"] and _overlaps(d.window, trend)]
        matched.update(id(d) for d in hits)
        first = min(hits, key=lambda d: d.fired_at, default=None)
        rows.append(
            {
                "hashtag": trend["hashtag"],
                "kind": trend["kind"],
                "start_ms": trend["start_ms"],
                "end_ms": trend["end_ms"],
                "detected_at": first.fired_at if first else None,
                "delay_s": round(first.fired_at - trend["start_ms"] / 1000, 1) if first else None,
                "windows": len(hits),
                "best_share": max((d.share for d in hits), default=0.0),
            }
        )
    false_alarms = [d for d in chosen if id(d) not in matched]
    return rows, false_alarms


MOOD_OF_KIND = {"incident": "negative", "celebration": "positive"}


def match_moods(
    points: Iterable[MoodPoint], planted: Sequence[Mapping[str, Any]]
) -> tuple[list[dict[str, Any]], list[MoodPoint]]:
    """For each planted incident (negative) or celebration (positive), the first mood alert of
    that direction in a window overlapping it; and the alerts that match none."""
    alerts = [p for p in points if p.shift]
    rows, matched = [], set()
    for trend in planted:
        expected = MOOD_OF_KIND.get(trend["kind"])
        hits = [
            p for p in alerts if expected and p.shift == expected and _overlaps(p.window, trend)
        ]
        matched.update(id(p) for p in hits)
        first = min(hits, key=lambda p: p.fired_at, default=None)
        rows.append(
            {
                "hashtag": trend["hashtag"],
                "kind": trend["kind"],
                "expected": expected,
                "detected_at": first.fired_at if first else None,
                "delay_s": round(first.fired_at - trend["start_ms"] / 1000, 1) if first else None,
            }
        )
    unexpected = [p for p in alerts if id(p) not in matched]
    return rows, unexpected


KIND_COLOURS = {"incident": "#e31a1c", "celebration": "#33a02c", "meme": "#999999"}


def sentiment_chart(
    points: Sequence[MoodPoint],
    planted: Sequence[Mapping[str, Any]],
    detections: Sequence[Detection],
    start: float,
) -> str:
    """Rolling mean sentiment (each sliding window, at its end) and its baseline, minutes from
    ``start``; planted trends as bands coloured by kind; sliding-window trend detections as
    markers."""
    from ..widgets.capstone_charts import timeseries_svg

    def minutes(ms: float) -> float:
        return round((ms / 1000 - start) / 60, 3)

    series = [
        (
            "mean sentiment, 60 s sliding window",
            "#1f78b4",
            [(minutes(p.window.end_ms), p.mean) for p in points],
        ),
        (
            "usual mood (the first 200 posts)",
            "#ff7f00",
            [(minutes(p.window.end_ms), p.baseline) for p in points if p.baseline is not None],
        ),
    ]
    bands = [
        (
            minutes(t["start_ms"]),
            minutes(t["end_ms"]),
            f"{t['hashtag']} ({t['kind']})",
            KIND_COLOURS.get(t["kind"], "#999"),
        )
        for t in planted
    ]
    first_seen: dict[str, Detection] = {}
    for d in detections:
        if d.windowing == SLIDING and d.hashtag not in first_seen:
            first_seen[d.hashtag] = d
    markers = [
        (round((d.fired_at - start) / 60, 3), f"{d.hashtag} trending") for d in first_seen.values()
    ]
    return timeseries_svg(
        series,
        bands=bands,
        markers=markers,
        y_range=(-0.5, 0.5),
        title="Rolling sentiment, planted trends and when they were detected",
        x_label="minutes of lab time since the start (points at each window's end)",
    )


def register_efo_consumer(kinesis: Any, stream_arn: str, name: str) -> dict[str, Any]:
    """Register an enhanced fan-out consumer (RegisterStreamConsumer, F17, F18) and return its
    description once ACTIVE."""
    kinesis.register_stream_consumer(StreamARN=stream_arn, ConsumerName=name)
    for _ in range(60):
        described = kinesis.describe_stream_consumer(StreamARN=stream_arn, ConsumerName=name)
        if described["ConsumerDescription"]["ConsumerStatus"] == "ACTIVE":
            return described["ConsumerDescription"]
        clock.advance(1)
    raise TimeoutError(f"consumer {name!r} did not become ACTIVE")


def polling_pressure(
    kinesis: Any, stream_name: str, shard_id: str, readers: int, polls_per_s: int, seconds: int
) -> dict[str, Any]:
    """``readers`` standard consumers each calling GetRecords ``polls_per_s`` times a second on
    one shard for ``seconds`` seconds: calls made, calls the shard refused (5 calls/s per shard,
    shared, F3) as the shard-level metric ReadProvisionedThroughputExceeded counts them (F26),
    calls that still failed after the SDK's own retries, and how long it took on the lab clock.
    The SDK retries a throttled call by itself after a back-off, so readers mostly see no error —
    they just get slower."""
    from ..simulation.metrics import shard_metrics

    def refused() -> int:
        rows = shard_metrics(stream_name, "ReadProvisionedThroughputExceeded")
        return int(sum(row["value"] for row in rows if row["shard_id"] == shard_id))

    iterators = [
        kinesis.get_shard_iterator(
            StreamName=stream_name, ShardId=shard_id, ShardIteratorType="LATEST"
        )["ShardIterator"]
        for _ in range(readers)
    ]
    refused_before, started, calls, failed = refused(), clock.now(), 0, 0
    for _ in range(seconds * polls_per_s):
        tick = clock.now()
        for index, iterator in enumerate(iterators):
            calls += 1
            try:
                response = kinesis.get_records(ShardIterator=iterator, Limit=100)
            except kinesis.exceptions.ProvisionedThroughputExceededException:
                failed += 1  # the SDK's retries ran out too: this reader tries again next time
                continue
            iterators[index] = response["NextShardIterator"]
        clock.advance(max(0.0, tick + 1 / polls_per_s - clock.now()))
    return {
        "calls": calls,
        "calls_per_s_wanted": readers * polls_per_s,
        "refused": refused() - refused_before,
        "failed_after_sdk_retries": failed,
        "planned_s": seconds,
        "took_s": round(clock.now() - started, 2),
    }
