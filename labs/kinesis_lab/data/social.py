"""Social media posts with sentiment, planted trending hashtags and sentiment shifts.

Why: the social capstone tracks trends and sentiment over windows of a Kinesis stream. Planted
trends — a hashtag that surges for a few minutes, and shifts the mood of the whole feed while
it does — give the windowed counts and averages a known right answer.

Ground truth is not in the posts (``POST_TRUTH_FIELDS`` is empty): it is the list of planted
windows from ``planted_trends``, same seed, start and ``trend_every_s`` as the posts. Each window
names its hashtag, kind (incident, celebration, meme), start/peak/end, the hashtag's share of
posts at the peak (``peak_share``), the mean sentiment of the trend's own posts
(``trend_sentiment``) and how far everyone else's shifts at the peak (``sentiment_shift``).

What a learner can measure:
- trend: in a window, the hashtag's share of posts rises smoothly to ``peak_share`` (12–25 %)
  and falls back; outside its windows it is chatter (0.2 % at most). Across its window's
  middle half it is the most used hashtag and at least ``TREND_RULE_FACTOR`` × its share
  elsewhere. Background hashtags stay under ~6 % of posts each.
- sentiment: ``sentiment`` is a score in [-1, 1] (think: an upstream model's output);
  ``sentiment_label`` is ``positive`` at ``≥ SENTIMENT_LABEL_THRESHOLD``, ``negative`` at
  ``≤ -SENTIMENT_LABEL_THRESHOLD``, else ``neutral``, and the text's tone matches the label.
  During an incident the mean score drops by roughly 0.3–0.45; during a celebration it rises.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
from collections.abc import Iterator
from datetime import datetime
from typing import Any, NamedTuple

from .records import DEFAULT_START, Event, epoch_ms, iso_utc_ms

DEFAULT_USERS = 20_000
DEFAULT_RATE_PER_S = 20.0  # posts per second: a brand-monitoring feed filtered from a firehose
DEFAULT_TREND_EVERY_S = 900.0  # one planted trend per 15 minutes, each lasting 6–9 minutes

POST_TRUTH_FIELDS: tuple[str, ...] = ()  # the truth is planted_trends(), not in the posts
SENTIMENT_LABEL_THRESHOLD = 0.25  # |score| at least this is positive / negative
TREND_RULE_FACTOR = 10  # a trending tag's share in its window vs. its share elsewhere, at least

_BASE_MOOD = 0.1
_MOOD_SPREAD = 0.35
_TREND_MOOD_SPREAD = 0.2
_CHATTER_P = 0.003  # a post mentions some trend hashtag outside its window
_PEAK_SHARE = (0.12, 0.25)
_WINDOW_START = (0.1, 0.3)  # in trend periods after the period begins
_WINDOW_LENGTH = (0.4, 0.6)  # in trend periods: windows never overlap
_TAGS_PER_POST = (0, 1, 2, 3)
_TAGS_PER_POST_WEIGHTS = (40, 40, 15, 5)

# kind: (weight, mean sentiment of the trend's posts, shift of everyone else's at the peak, tags)
_TREND_KINDS = {
    "incident": (
        0.4, -0.65, -0.35,
        ("#ServiceOutage", "#PowerCut", "#TrainStrike", "#DataBreach", "#StormWarning", "#AppDown"),
    ),
    "celebration": (
        0.35, 0.7, 0.25,
        ("#ProductLaunch", "#CupFinal", "#NewAlbum", "#FestivalSeason", "#RecordBreaker"),
    ),
    "meme": (
        0.25, 0.3, 0.0,
        ("#PetTricks", "#CatsOfTheInternet", "#DanceChallenge", "#PlotTwist", "#DadJokes"),
    ),
}  # fmt: skip
_TREND_TAGS = tuple(tag for kind in _TREND_KINDS.values() for tag in kind[3])

_TOPICS = (
    "coffee", "music", "football", "travel", "food", "tech", "ai", "gaming", "movies", "fitness",
    "weather", "books", "art", "photography", "fashion", "startups", "python", "cloud", "data",
    "health", "nature", "cats", "dogs", "science", "space", "cars", "cycling", "running", "yoga",
    "cooking", "garden", "diy", "jobs", "podcasts", "anime", "basketball", "tennis", "hiking",
    "baking", "design",
)  # fmt: skip
_BACKGROUND_TAGS = tuple(
    f"#{topic}{suffix}" for suffix in ("", "life", "lovers") for topic in _TOPICS
)
_ZIPF_S = 0.6  # popularity falls gently: the top background tag is in ~5 % of posts

_LANGS = ("en", "es", "pt", "fr", "de")
_LANG_WEIGHTS = (60, 15, 10, 8, 7)
# per language, per label: phrasings; {t} is the topic (a hashtag or a plain word)
_TEMPLATES = {
    "en": {
        "positive": ("Loving {t} today!", "{t} made my day", "Honestly impressed by {t}",
                     "Best {t} in ages", "So happy about {t} right now"),
        "neutral": ("Anyone following {t}?", "Reading up on {t}", "{t} again this morning",
                    "Thoughts on {t}?", "Just saw something about {t}"),
        "negative": ("Really disappointed with {t}", "{t} is a mess right now",
                     "Fed up with {t}", "Worst {t} experience ever", "Can't believe {t} again"),
    },
    "es": {
        "positive": ("Me encanta {t}", "{t} me alegró el día"),
        "neutral": ("¿Alguien sigue {t}?", "Leyendo sobre {t}"),
        "negative": ("Qué decepción con {t}", "Harto de {t}"),
    },
    "pt": {
        "positive": ("Adorando {t} hoje", "{t} fez o meu dia"),
        "neutral": ("Alguém acompanhando {t}?", "Lendo sobre {t}"),
        "negative": ("Que decepção com {t}", "Cansado de {t}"),
    },
    "fr": {
        "positive": ("J'adore {t} aujourd'hui", "{t}, quel bonheur"),
        "neutral": ("Quelqu'un suit {t} ?", "Je lis sur {t}"),
        "negative": ("Vraiment déçu par {t}", "Marre de {t}"),
    },
    "de": {
        "positive": ("Ich liebe {t} heute", "{t} hat meinen Tag gerettet"),
        "neutral": ("Verfolgt jemand {t}?", "Lese gerade über {t}"),
        "negative": ("Echt enttäuscht von {t}", "Genervt von {t}"),
    },
}  # fmt: skip
_HANDLE_WORDS = (
    ("sunny", "quiet", "brave", "lucky", "clever", "rapid", "cosmic", "urban", "misty", "happy"),
    ("otter", "falcon", "panda", "fox", "koala", "lynx", "heron", "badger", "tiger", "whale"),
)


class Trend(NamedTuple):
    """One planted trend window (times in epoch ms)."""

    hashtag: str
    kind: str
    start_ms: int
    peak_ms: int
    end_ms: int
    peak_share: float
    trend_sentiment: float
    sentiment_shift: float

    def intensity(self, ts_ms: float) -> float:
        """0 outside the window, rising smoothly to 1 at the peak and back to 0."""
        if not self.start_ms <= ts_ms < self.end_ms:
            return 0.0
        return math.sin(math.pi * (ts_ms - self.start_ms) / (self.end_ms - self.start_ms))


def _trend_plan(seed: int, start_ms: int, every_s: float) -> Iterator[Trend]:
    """Endless, non-overlapping trend windows, one per period, from their own random stream."""
    if every_s <= 0:
        raise ValueError("trend_every_s must be positive")
    rng = random.Random(f"kinesis_lab.data.social.trends:{seed}")
    kinds = list(_TREND_KINDS)
    weights = [_TREND_KINDS[k][0] for k in kinds]
    every_ms = every_s * 1000
    previous = None
    for period in itertools.count():
        kind = rng.choices(kinds, weights)[0]
        _, trend_sentiment, shift, tags = _TREND_KINDS[kind]
        begin = round(start_ms + (period + rng.uniform(*_WINDOW_START)) * every_ms)
        end = begin + round(rng.uniform(*_WINDOW_LENGTH) * every_ms)
        hashtag = rng.choice([tag for tag in tags if tag != previous])  # no trend twice in a row
        previous = hashtag
        yield Trend(
            hashtag=hashtag,
            kind=kind,
            start_ms=begin,
            peak_ms=(begin + end) // 2,
            end_ms=end,
            peak_share=round(rng.uniform(*_PEAK_SHARE), 3),
            trend_sentiment=trend_sentiment,
            sentiment_shift=shift,
        )


def planted_trends(
    until: str | datetime | int,
    *,
    seed: int = 0,
    start: str | datetime | int = DEFAULT_START,
    trend_every_s: float = DEFAULT_TREND_EVERY_S,
) -> list[dict[str, Any]]:
    """The ground truth: every trend window that starts before ``until`` (e.g. the last post's
    ``ts_ms``), as dicts with ISO and epoch-ms times."""
    until_ms = epoch_ms(until)
    windows = itertools.takewhile(
        lambda t: t.start_ms < until_ms, _trend_plan(seed, epoch_ms(start), trend_every_s)
    )
    return [
        {
            **trend._asdict(),
            "start": iso_utc_ms(trend.start_ms),
            "peak": iso_utc_ms(trend.peak_ms),
            "end": iso_utc_ms(trend.end_ms),
        }
        for trend in windows
    ]


def sentiment_label(score: float) -> str:
    """positive / neutral / negative, by ``SENTIMENT_LABEL_THRESHOLD``."""
    if score >= SENTIMENT_LABEL_THRESHOLD:
        return "positive"
    if score <= -SENTIMENT_LABEL_THRESHOLD:
        return "negative"
    return "neutral"


def _make_users(users: int, seed: int) -> tuple[list[tuple[str, str]], list[float]]:
    """(handle, language) per user and cumulative activity weights (a few users post a lot)."""
    if users < 1:
        raise ValueError("there is at least one user")
    rng = random.Random(f"kinesis_lab.data.social.users:{seed}")
    adjectives, animals = _HANDLE_WORDS
    lang_weights = list(itertools.accumulate(_LANG_WEIGHTS))
    people, weights = [], []
    for index in range(users):
        handle = f"@{rng.choice(adjectives)}_{rng.choice(animals)}_{index}"
        lang = _LANGS[bisect.bisect(lang_weights, rng.random() * lang_weights[-1])]
        people.append((handle, lang))
        weights.append(math.exp(rng.gauss(0.0, 1.0)))
    return people, list(itertools.accumulate(weights))


class _Writer:
    """Composes one post: hashtags, sentiment score and a text whose tone matches it."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        zipf = [1 / rank**_ZIPF_S for rank in range(1, len(_BACKGROUND_TAGS) + 1)]
        self.tag_weights = list(itertools.accumulate(zipf))
        self.count_weights = list(itertools.accumulate(_TAGS_PER_POST_WEIGHTS))

    def background_tag(self) -> str:
        weights = self.tag_weights
        return _BACKGROUND_TAGS[bisect.bisect(weights, self.rng.random() * weights[-1])]

    def hashtags(self, trend: Trend | None) -> list[str]:
        draw = self.rng.random
        if trend is not None:
            tags = [trend.hashtag]
            if draw() < 0.3:
                tags.append(self.background_tag())
            return tags
        weights = self.count_weights
        how_many = _TAGS_PER_POST[bisect.bisect(weights, draw() * weights[-1])]
        tags = []
        for _ in range(how_many):
            tag = self.background_tag()
            if tag not in tags:
                tags.append(tag)
        if draw() < _CHATTER_P:
            tags.append(_TREND_TAGS[int(draw() * len(_TREND_TAGS))])
        return tags

    def score(self, mood: float, spread: float) -> float:
        score = self.rng.gauss(mood, spread)
        if score > 1.0:
            return 1.0
        if score < -1.0:
            return -1.0
        return round(score * 1000) / 1000  # = round(score, 3), three times faster

    def text(self, lang: str, label: str, tags: list[str]) -> str:
        phrasings = _TEMPLATES[lang][label]
        phrasing = phrasings[int(self.rng.random() * len(phrasings))]
        if not tags:
            return phrasing.format(t=_TOPICS[int(self.rng.random() * len(_TOPICS))])
        return " ".join((phrasing.format(t=tags[0]), *tags[1:]))


def iter_posts(
    count: int | None = None,
    *,
    users: int = DEFAULT_USERS,
    rate_per_s: float = DEFAULT_RATE_PER_S,
    trend_every_s: float = DEFAULT_TREND_EVERY_S,
    seed: int = 0,
    start: str | datetime | int = DEFAULT_START,
) -> Iterator[Event]:
    """Posts in time order, lazily; endless when ``count`` is None.

    About ``rate_per_s`` posts per second (Poisson arrivals) from ``users`` users; one planted
    trend per ``trend_every_s`` (see ``planted_trends``). The first ``n`` posts are the same
    whatever ``count`` is.
    """
    if rate_per_s <= 0:
        raise ValueError("rate_per_s must be positive")
    if trend_every_s <= 0:
        raise ValueError("trend_every_s must be positive")
    people, activity = _make_users(users, seed)
    start_ms = epoch_ms(start)
    plan = _trend_plan(seed, start_ms, trend_every_s)
    rng = random.Random(f"kinesis_lab.data.social.posts:{seed}")
    return _stream(people, activity, plan, rng, count, rate_per_s / 1000, start_ms)


def _stream(
    people: list[tuple[str, str]],
    activity: list[float],
    plan: Iterator[Trend],
    rng: random.Random,
    count: int | None,
    posts_per_ms: float,
    start_ms: int,
) -> Iterator[Event]:
    """The posts themselves: Poisson arrivals; the current trend window sets what is said."""
    writer = _Writer(rng)
    trend = next(plan)
    draw, total_activity = rng.random, activity[-1]
    clock = float(start_ms)
    serial = 0
    while count is None or serial < count:
        clock += rng.expovariate(posts_per_ms)
        while clock >= trend.end_ms:
            trend = next(plan)
        intensity = trend.intensity(clock) if clock >= trend.start_ms else 0.0
        handle, lang = people[bisect.bisect(activity, draw() * total_activity)]
        if intensity and draw() < trend.peak_share * intensity:
            tags = writer.hashtags(trend)
            score = writer.score(trend.trend_sentiment, _TREND_MOOD_SPREAD)
        else:
            tags = writer.hashtags(None)
            score = writer.score(_BASE_MOOD + trend.sentiment_shift * intensity, _MOOD_SPREAD)
        label = sentiment_label(score)
        ts_ms = int(clock)
        serial += 1
        yield {
            "post_id": f"{ts_ms}{serial % 10_000:04d}",  # time-ordered, like snowflakes
            "user": handle,
            "ts": iso_utc_ms(ts_ms),
            "ts_ms": ts_ms,
            "lang": lang,
            "text": writer.text(lang, label, tags),
            "hashtags": tags,
            "sentiment": score,
            "sentiment_label": label,
        }


def posts(count: int, **options: Any) -> list[Event]:
    """``count`` posts as a list; options as for ``iter_posts``."""
    return list(iter_posts(count, **options))
