"""Window assignment and event-time processing in pure Python — a SIMULATION of what Apache
Flink does, for lesson M10 (Amazon Managed Service for Apache Flink).

Why: a learner cannot watch Flink's window operator at work in a notebook with no cluster. These
functions follow Flink's own rules closely enough to reason about exam questions, and stay small
enough to read:

- **tumbling** windows of ``size``: ``[start, start + size)`` with ``start`` a multiple of
  ``size`` (plus an optional offset). Every timestamp falls into exactly one window; a timestamp
  on a boundary belongs to the window that *starts* there (windows are half-open).
- **sliding** (in Flink SQL: *hopping*, ``HOP``) windows of ``size`` every ``slide``: the
  windows ``[start, start + size)`` whose start is a multiple of ``slide`` — so a timestamp is in
  ``size / slide`` windows when ``slide`` divides ``size`` (60 s every 10 s → 6 windows). With
  ``slide > size`` some timestamps fall into no window (sampling), as in Flink.
- **session** windows with a ``gap``: each event opens ``[t, t + gap)``; windows that overlap or
  touch merge (Flink's ``TimeWindow.intersects`` is inclusive). A session therefore ends ``gap``
  after its last event, and a new one starts only after more than ``gap`` without events.
- **watermarks** with bounded out-of-orderness: after seeing event time ``max_ts`` the watermark
  is ``max_ts - bound - 1`` ms (Flink's ``forBoundedOutOfOrderness``). A window
  ``[start, end)`` fires when the watermark reaches ``end - 1``. An event whose every window has
  already fired is **late**: with Flink's default allowed lateness of zero it is dropped from
  the window result — here it goes to a *late side output* (Flink's ``sideOutputLateData``), so
  the lesson can show it. Flink emits watermarks periodically; this simulation updates the
  watermark after every event, which keeps the story readable without changing which events are
  late.

Times are integer milliseconds (the data generators' ``ts_ms``). Nothing here knows about AWS.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple

from ..data.records import iso_utc_ms

Event = Mapping[str, Any]
TimeOf = Callable[[Event], int]

SECOND_MS = 1_000
MINUTE_MS = 60 * SECOND_MS


def event_time(event: Event) -> int:
    """The event-time timestamp (ms) that the course's data generators put in ``ts_ms``."""
    return int(event["ts_ms"])


def arrival_time(event: Event) -> int:
    """When the event reached the processor (ms), as :func:`simulate_arrivals` records it."""
    return int(event["arrival_ms"])


class Window(NamedTuple):
    """A time window ``[start_ms, end_ms)``: the start is in it, the end is not."""

    start_ms: int
    end_ms: int

    @property
    def size_ms(self) -> int:
        return self.end_ms - self.start_ms

    @property
    def max_timestamp(self) -> int:
        """The last millisecond inside the window; Flink fires it when the watermark gets here."""
        return self.end_ms - 1

    def contains(self, ts_ms: int) -> bool:
        return self.start_ms <= ts_ms < self.end_ms

    def label(self) -> str:
        """'09:01:00.000–09:02:00.000' (UTC), for tables in a lesson."""
        return f"{iso_utc_ms(self.start_ms)[11:23]}–{iso_utc_ms(self.end_ms)[11:23]}"


def _positive(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} must be a positive number of milliseconds, not {value!r}")
    return value


def window_start(ts_ms: int, size_ms: int, offset_ms: int = 0) -> int:
    """The start of the tumbling window of ``size_ms`` that holds ``ts_ms``.

    Flink's ``TimeWindow.getWindowStartWithOffset``; Python's ``%`` is never negative for a
    positive divisor, so this is right for timestamps before the epoch too.
    """
    _positive("size_ms", size_ms)
    return ts_ms - (ts_ms - offset_ms) % size_ms


def tumbling_window(ts_ms: int, size_ms: int, offset_ms: int = 0) -> Window:
    """The one tumbling window that holds ``ts_ms``."""
    start = window_start(ts_ms, size_ms, offset_ms)
    return Window(start, start + size_ms)


def sliding_windows(ts_ms: int, size_ms: int, slide_ms: int, offset_ms: int = 0) -> list[Window]:
    """Every sliding window of ``size_ms``, starting every ``slide_ms``, that holds ``ts_ms``.

    Oldest first. Flink's ``SlidingEventTimeWindows.assignWindows``: start from the latest
    window start at or before ``ts_ms`` and step back by ``slide_ms`` while the window still
    reaches ``ts_ms``.
    """
    _positive("size_ms", size_ms)
    _positive("slide_ms", slide_ms)
    windows = []
    start = window_start(ts_ms, slide_ms, offset_ms)
    while start > ts_ms - size_ms:
        windows.append(Window(start, start + size_ms))
        start -= slide_ms
    return windows[::-1]


def windows_for(
    ts_ms: int, size_ms: int, slide_ms: int | None = None, offset_ms: int = 0
) -> list[Window]:
    """Tumbling windows when ``slide_ms`` is None (or equals the size), sliding otherwise."""
    if slide_ms is None or slide_ms == size_ms:
        return [tumbling_window(ts_ms, size_ms, offset_ms)]
    return sliding_windows(ts_ms, size_ms, slide_ms, offset_ms)


def window_contents(
    events: Iterable[Event],
    size_ms: int,
    slide_ms: int | None = None,
    *,
    time_of: TimeOf = event_time,
    offset_ms: int = 0,
) -> dict[Window, list[Event]]:
    """Group events into tumbling (``slide_ms=None``) or sliding windows, by ``time_of``.

    Windows come out in time order; only windows that hold at least one event appear. An event
    appears once in each of its windows. Pass ``time_of=arrival_time`` for processing-time
    windows.
    """
    grouped: dict[Window, list[Event]] = defaultdict(list)
    for event in events:
        for window in windows_for(time_of(event), size_ms, slide_ms, offset_ms):
            grouped[window].append(event)
    return dict(sorted(grouped.items()))


def window_counts(
    events: Iterable[Event],
    size_ms: int,
    slide_ms: int | None = None,
    *,
    time_of: TimeOf = event_time,
    offset_ms: int = 0,
) -> dict[Window, int]:
    """How many events each window holds (see :func:`window_contents`)."""
    contents = window_contents(events, size_ms, slide_ms, time_of=time_of, offset_ms=offset_ms)
    return {window: len(members) for window, members in contents.items()}


def session_windows(timestamps_ms: Iterable[int], gap_ms: int) -> list[Window]:
    """Session windows over timestamps of one key: a session ends ``gap_ms`` after its last event.

    Two events at most ``gap_ms`` apart are in the same session (Flink merges windows that
    touch); more than ``gap_ms`` of silence starts a new one. Order of input does not matter.
    """
    _positive("gap_ms", gap_ms)
    sessions: list[Window] = []
    for ts in sorted(timestamps_ms):
        if sessions and ts <= sessions[-1].end_ms:
            sessions[-1] = Window(sessions[-1].start_ms, max(sessions[-1].end_ms, ts + gap_ms))
        else:
            sessions.append(Window(ts, ts + gap_ms))
    return sessions


def sessions_by_key(
    events: Iterable[Event],
    gap_ms: int,
    key_of: Callable[[Event], Any],
    *,
    time_of: TimeOf = event_time,
) -> dict[Any, list[tuple[Window, list[Event]]]]:
    """Session windows per key (a keyed stream): key → [(session window, its events)]."""
    by_key: dict[Any, list[Event]] = defaultdict(list)
    for event in events:
        by_key[key_of(event)].append(event)
    result = {}
    for key in sorted(by_key, key=str):
        members = sorted(by_key[key], key=time_of)
        result[key] = [
            (window, [e for e in members if window.start_ms <= time_of(e) < window.end_ms])
            for window in session_windows((time_of(e) for e in members), gap_ms)
        ]
    return result


# --- processing time, arrival delays and watermarks ------------------------------------------


def simulate_arrivals(
    events: Iterable[Event],
    *,
    seed: int = 0,
    delay_ms: tuple[int, int] = (100, 2_000),
    late_share: float = 0.03,
    late_delay_ms: tuple[int, int] = (20_000, 90_000),
    time_of: TimeOf = event_time,
) -> list[dict[str, Any]]:
    """Copies of ``events`` with an ``arrival_ms``, sorted by arrival: what a processor sees.

    Most events arrive ``delay_ms`` after they happened (network, batching); a ``late_share``
    of them much later (``late_delay_ms``: a device that was offline and catches up). Seeded,
    so a lesson shows the same arrivals every run. These delays are illustrations, not AWS
    numbers.
    """
    if not 0 <= late_share <= 1:
        raise ValueError("late_share is a share of events, between 0 and 1")
    rng = random.Random(f"kinesis_lab.patterns.windowing.arrivals:{seed}")
    arrived = []
    for index, event in enumerate(events):
        late = rng.random() < late_share
        low, high = late_delay_ms if late else delay_ms
        copy = dict(event)
        copy["arrival_ms"] = time_of(event) + rng.randint(low, high)
        arrived.append((copy["arrival_ms"], index, copy))
    arrived.sort(key=lambda item: (item[0], item[1]))
    return [copy for _, _, copy in arrived]


def watermark_after(max_event_time_ms: int, max_out_of_orderness_ms: int) -> int:
    """Flink's bounded-out-of-orderness watermark after seeing ``max_event_time_ms``."""
    return max_event_time_ms - max_out_of_orderness_ms - 1


class FiredWindow(NamedTuple):
    """A window result emitted when the watermark passed the window's end."""

    window: Window
    events: list[Event]
    watermark_ms: int | None  # the watermark that fired it; None: the end-of-input flush
    after_events: int  # how many events had arrived when it fired


class EventTimeRun(NamedTuple):
    """What an event-time window operator emitted for one input, in arrival order."""

    fired: list[FiredWindow]
    late: list[Event]  # the late side output: events whose windows had all fired
    watermark_ms: int | None  # the last watermark before the end-of-input flush


def run_event_time_windows(
    arrivals: Iterable[Event],
    size_ms: int,
    *,
    max_out_of_orderness_ms: int,
    slide_ms: int | None = None,
    time_of: TimeOf = event_time,
    flush: bool = True,
) -> EventTimeRun:
    """Feed events in arrival order through event-time windows with a watermark.

    After each event the watermark moves to ``max event time seen - bound - 1`` (it never moves
    back); every open window whose last millisecond is at or below the watermark fires. An
    event whose windows have all fired already is late and goes to ``late`` (allowed lateness
    0); an event that still has an open window is counted there. At the end of a bounded
    input Flink sends a final watermark that fires every open window — ``flush=False`` shows
    what is still waiting instead.
    """
    if max_out_of_orderness_ms < 0:
        raise ValueError("max_out_of_orderness_ms cannot be negative")
    open_windows: dict[Window, list[Event]] = {}
    fired: list[FiredWindow] = []
    late: list[Event] = []
    watermark: int | None = None
    max_seen: int | None = None
    seen = 0

    def fire(up_to: int | None) -> None:
        due = sorted(w for w in open_windows if up_to is None or w.max_timestamp <= up_to)
        for window in due:
            mark = watermark if up_to is not None else None
            fired.append(FiredWindow(window, open_windows.pop(window), mark, seen))

    for event in arrivals:
        seen += 1
        ts = time_of(event)
        windows = windows_for(ts, size_ms, slide_ms)
        live = [w for w in windows if watermark is None or w.max_timestamp > watermark]
        if not live:
            late.append(event)
        for window in live:
            open_windows.setdefault(window, []).append(event)
        max_seen = ts if max_seen is None else max(max_seen, ts)
        candidate = watermark_after(max_seen, max_out_of_orderness_ms)
        if watermark is None or candidate > watermark:
            watermark = candidate
            fire(watermark)
    last_watermark = watermark
    if flush:
        fire(None)
    return EventTimeRun(fired, late, last_watermark)


def fired_counts(run: EventTimeRun) -> dict[Window, int]:
    """Window → number of events, for the windows a run fired."""
    return {result.window: len(result.events) for result in run.fired}


def firing_delays_ms(run: EventTimeRun, arrivals: list[Event]) -> dict[Window, int | None]:
    """How long after each window's end its result came out, in processing (arrival) time.

    A window fires when an arriving event pushes the watermark past it; the delay is that
    event's ``arrival_ms`` minus the window's end. None for windows only the end-of-input flush
    fired (on an endless stream they would still be waiting).
    """
    delays: dict[Window, int | None] = {}
    for result in run.fired:
        if result.watermark_ms is None:
            delays[result.window] = None
        else:
            delays[result.window] = (
                arrival_time(arrivals[result.after_events - 1]) - result.window.end_ms
            )
    return delays
