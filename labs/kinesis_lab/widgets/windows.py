"""A timeline that shows the same events falling into tumbling, sliding and session windows.

Why: "an event is in exactly one tumbling window but in size/slide sliding windows" is easy to
say and hard to picture. The SVG puts the events on a time axis and draws each kind of window
as a lane beneath them, with how many events each window holds; one highlighted event shows
which windows it belongs to. Drawing is pure (SVG strings, testable without a kernel, visible in
static renderings); the ipywidgets explorer only re-draws on slider changes. The window rules
are :mod:`kinesis_lab.patterns.windowing`'s — this module draws, it does not decide.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import Any

from ..data.records import iso_utc_ms
from ..patterns.windowing import (
    SECOND_MS,
    Window,
    session_windows,
    sliding_windows,
    tumbling_window,
)

WIDTH = 760
LEFT = 150  # room for lane titles
RIGHT = 12
TUMBLING_FILLS = ("#a6cee3", "#b2df8a")
TUMBLING_STROKES = ("#1f78b4", "#33a02c")
SLIDING_FILL, SLIDING_STROKE = "#fdbf6f", "#ff7f00"
SESSION_FILL, SESSION_STROKE = "#cab2d6", "#6a3d9a"
EVENT_COLOUR = "#333333"
HIGHLIGHT = "#c00000"
EMPTY_OPACITY = "0.15"
NICE_STEPS_S = (1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600, 900, 1800, 3600)
MAX_TICKS = 12


def _clock(ms: int) -> str:
    """'09:00:10' — the time of day (UTC) a tick or a tooltip shows."""
    return iso_utc_ms(ms)[11:19]


def _clock_ms(ms: int) -> str:
    return iso_utc_ms(ms)[11:23]


def default_span(timestamps_ms: Sequence[int], step_ms: int = 10 * SECOND_MS) -> tuple[int, int]:
    """A span that covers every timestamp, with edges on multiples of ``step_ms``."""
    if not timestamps_ms:
        raise ValueError("at least one timestamp is needed to draw a timeline")
    first = tumbling_window(min(timestamps_ms), step_ms).start_ms
    last = tumbling_window(max(timestamps_ms), step_ms).end_ms
    return first, last


def tumbling_in_span(span: tuple[int, int], size_ms: int) -> list[Window]:
    """Every tumbling window that overlaps ``[span_start, span_end)``."""
    start, end = span
    windows = []
    window = tumbling_window(start, size_ms)
    while window.start_ms < end:
        windows.append(window)
        window = Window(window.end_ms, window.end_ms + size_ms)
    return windows


def sliding_in_span(span: tuple[int, int], size_ms: int, slide_ms: int) -> list[Window]:
    """Every sliding window that overlaps ``[span_start, span_end)``, oldest first."""
    start, end = span
    # the first window start (a multiple of slide_ms) whose window still reaches span_start
    window_start = tumbling_window(start - size_ms, slide_ms).start_ms + slide_ms
    windows = []
    while window_start < end:
        windows.append(Window(window_start, window_start + size_ms))
        window_start += slide_ms
    return windows


def _count(window: Window, timestamps_ms: Sequence[int]) -> int:
    return sum(1 for ts in timestamps_ms if window.contains(ts))


def _tick_step_ms(span_ms: int) -> int:
    for step in NICE_STEPS_S:
        if span_ms / (step * SECOND_MS) <= MAX_TICKS:
            return step * SECOND_MS
    return NICE_STEPS_S[-1] * SECOND_MS


def window_timeline_svg(
    timestamps_ms: Sequence[int],
    size_ms: int,
    slide_ms: int,
    *,
    gap_ms: int | None = None,
    span: tuple[int, int] | None = None,
    highlight_index: int | None = None,
    width: int = WIDTH,
) -> str:
    """Events on a time axis, with their tumbling, sliding and (optionally) session windows.

    Every window is a ``<g class="window KIND">`` with ``data-start``, ``data-end`` and
    ``data-count`` (events inside), so tests and curious readers can check the picture.
    Sessions treat all the timestamps as one key. ``highlight_index`` marks one event (by its
    position in ``timestamps_ms``) and outlines every window that holds it.
    """
    timestamps = [int(ts) for ts in timestamps_ms]
    span = span or default_span(timestamps)
    span_start, span_end = span
    if span_end <= span_start:
        raise ValueError("the span must end after it starts")
    plot = width - LEFT - RIGHT
    highlighted = (
        timestamps[highlight_index]
        if highlight_index is not None and 0 <= highlight_index < len(timestamps)
        else None
    )

    def x(ms: int) -> float:
        clipped = min(max(ms, span_start), span_end)
        return round(LEFT + (clipped - span_start) / (span_end - span_start) * plot, 2)

    body: list[str] = []
    y = 8.0

    def lane_title(text: str, sub: str, top: float) -> None:
        body.append(
            f'<text x="6" y="{top + 12}" font-size="12" font-weight="bold" fill="#222">'
            f"{html.escape(text)}</text>"
            f'<text x="6" y="{top + 26}" font-size="10" fill="#555">{html.escape(sub)}</text>'
        )

    def window_box(
        window: Window, kind: str, top: float, height: float, fill: str, stroke: str, opacity: str
    ) -> None:
        count = _count(window, timestamps)
        holds = highlighted is not None and window.contains(highlighted)
        x0, x1 = x(window.start_ms), x(window.end_ms)
        outline = (
            f'stroke="{HIGHLIGHT}" stroke-width="2.5"'
            if holds
            else f'stroke="{stroke}" stroke-width="1"'
        )
        title = html.escape(
            f"{kind} window [{_clock_ms(window.start_ms)}, {_clock_ms(window.end_ms)}): "
            f"{count} event{'' if count == 1 else 's'}"
        )
        classes = f"window {kind}" + (" holds-highlight" if holds else "")
        label = ""
        if x1 - x0 >= 18 and height >= 11:
            label = (
                f'<text x="{round((x0 + x1) / 2, 2)}" y="{round(top + height / 2 + 4, 2)}" '
                f'text-anchor="middle" font-size="{10 if height >= 14 else 8}" '
                f'fill="{"#111" if count else "#999"}" pointer-events="none">{count}</text>'
            )
        if count == 0:  # empty windows fade, so the ones with events stand out
            opacity = EMPTY_OPACITY
        body.append(
            f'<g class="{classes}" data-start="{window.start_ms}" data-end="{window.end_ms}" '
            f'data-count="{count}"><title>{title}</title>'
            f'<rect x="{x0}" y="{top}" width="{max(round(x1 - x0, 2), 1.0)}" height="{height}" '
            f'fill="{fill}" fill-opacity="{opacity}" {outline}/>{label}</g>'
        )

    # Time axis with ticks, at the top.
    step = _tick_step_ms(span_end - span_start)
    tick = tumbling_window(span_start, step).start_ms
    if tick < span_start:
        tick += step
    axis_y = y + 18
    body.append(f'<line x1="{LEFT}" y1="{axis_y}" x2="{LEFT + plot}" y2="{axis_y}" stroke="#333"/>')
    while tick <= span_end:
        body.append(
            f'<line x1="{x(tick)}" y1="{axis_y - 4}" x2="{x(tick)}" y2="{axis_y + 4}" '
            f'stroke="#333"/><text x="{x(tick)}" y="{axis_y - 7}" text-anchor="middle" '
            f'font-size="10" fill="#333">{_clock(tick)}</text>'
        )
        tick += step
    lane_title("event time (UTC)", "", y - 4)
    y = axis_y + 10

    # Events.
    lane_title("events", f"{len(timestamps)} in view", y)
    dots_y = y + 14
    for index, ts in enumerate(timestamps):
        if not span_start <= ts < span_end:
            continue
        mine = highlighted is not None and index == highlight_index
        body.append(
            f'<circle class="event{" highlight" if mine else ""}" data-ts="{ts}" '
            f'cx="{x(ts)}" cy="{dots_y}" r="{5 if mine else 3}" '
            f'fill="{HIGHLIGHT if mine else EVENT_COLOUR}" fill-opacity="{1 if mine else 0.7}">'
            f"<title>event #{index} at {_clock_ms(ts)}</title></circle>"
        )
    y += 34

    # Tumbling lane.
    lane_title("tumbling", f"size {size_ms / SECOND_MS:g} s", y)
    for window in tumbling_in_span(span, size_ms):
        parity = (window.start_ms // size_ms) % 2
        window_box(
            window, "tumbling", y + 4, 24, TUMBLING_FILLS[parity], TUMBLING_STROKES[parity], "0.9"
        )
    y += 38

    # Sliding lane: overlapping windows stacked in rows.
    rows = max(1, math.ceil(size_ms / slide_ms))
    row_height = 16 if rows <= 8 else max(6, 128 // rows)
    lane_title(
        "sliding (hopping)", f"size {size_ms / SECOND_MS:g} s, every {slide_ms / SECOND_MS:g} s", y
    )
    for window in sliding_in_span(span, size_ms, slide_ms):
        row = (window.start_ms // slide_ms) % rows
        window_box(
            window,
            "sliding",
            y + 4 + row * row_height,
            row_height - 2,
            SLIDING_FILL,
            SLIDING_STROKE,
            "0.55",
        )
    y += max(rows * row_height + 12, 38)

    # Session lane.
    if gap_ms is not None:
        lane_title("session", f"gap {gap_ms / SECOND_MS:g} s (one key)", y)
        in_view = [ts for ts in timestamps if span_start <= ts < span_end]
        for window in session_windows(in_view, gap_ms):
            window_box(window, "session", y + 4, 24, SESSION_FILL, SESSION_STROKE, "0.8")
        y += 38

    height = int(y + 4)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="kinesis-window-timeline" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'style="max-width:100%;height:auto;font-family:sans-serif" role="img" '
        f'aria-label="{len(timestamps)} events in tumbling and sliding windows">'
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>'
        + "".join(body)
        + "</svg>"
    )


def window_readout_html(
    timestamps_ms: Sequence[int],
    size_ms: int,
    slide_ms: int,
    highlight_index: int,
    gap_ms: int | None = None,
) -> str:
    """One sentence per window kind: which windows hold the highlighted event."""
    ts = int(timestamps_ms[highlight_index])
    tumbling = tumbling_window(ts, size_ms)
    sliding = sliding_windows(ts, size_ms, slide_ms)

    def span(window: Window) -> str:
        return f"[{_clock(window.start_ms)}, {_clock(window.end_ms)})"

    lines = [
        f"<b style='color:{HIGHLIGHT}'>Event #{highlight_index}</b> at {_clock_ms(ts)} is in:",
        f"• exactly <b>1</b> tumbling window: {span(tumbling)}",
        f"• <b>{len(sliding)}</b> sliding window{'' if len(sliding) == 1 else 's'}"
        + (f": {', '.join(span(w) for w in sliding)}" if len(sliding) <= 6 else ""),
    ]
    if gap_ms is not None:
        sessions = session_windows([int(t) for t in timestamps_ms], gap_ms)
        mine = next(w for w in sessions if w.start_ms <= ts < w.end_ms)
        lines.append(
            f"• session {span(mine)} — one of {len(sessions)} session"
            f"{'' if len(sessions) == 1 else 's'} with a gap of {gap_ms / SECOND_MS:g} s"
        )
    return "<div class='kinesis-window-readout'>" + "<br>".join(lines) + "</div>"


def window_timeline_picture(
    timestamps_ms: Sequence[int], size_ms: int, slide_ms: int, **options: Any
) -> Any:
    """A static timeline (shows in static HTML renderings of a lesson too)."""
    from IPython.display import HTML

    return HTML(window_timeline_svg(timestamps_ms, size_ms, slide_ms, **options))


def window_timeline_explorer(
    timestamps_ms: Sequence[int],
    *,
    size_s: int = 30,
    slide_s: int = 10,
    gap_s: int = 15,
    width: int = WIDTH,
) -> Any:
    """Sliders for window size, slide and session gap, and an event to follow, over one picture."""
    import ipywidgets as widgets

    timestamps = [int(ts) for ts in timestamps_ms]
    span = default_span(timestamps)
    style = {"description_width": "9em"}
    layout = widgets.Layout(width="min(100%, 460px)")
    size = widgets.IntSlider(
        value=size_s, min=5, max=120, step=5, description="window size (s)",
        style=style, layout=layout,
    )  # fmt: skip
    slide = widgets.IntSlider(
        value=slide_s, min=5, max=120, step=5, description="slide every (s)",
        style=style, layout=layout,
    )  # fmt: skip
    gap = widgets.IntSlider(
        value=gap_s, min=1, max=60, step=1, description="session gap (s)",
        style=style, layout=layout,
    )  # fmt: skip
    event = widgets.IntSlider(
        value=len(timestamps) // 2, min=0, max=len(timestamps) - 1,
        description="follow event #", style=style, layout=layout,
    )  # fmt: skip
    readout = widgets.HTML()
    picture = widgets.HTML()

    def draw(_: Any = None) -> None:
        size_ms, slide_ms, gap_ms = (
            size.value * SECOND_MS,
            slide.value * SECOND_MS,
            gap.value * SECOND_MS,
        )
        readout.value = window_readout_html(timestamps, size_ms, slide_ms, event.value, gap_ms)
        picture.value = window_timeline_svg(
            timestamps,
            size_ms,
            slide_ms,
            gap_ms=gap_ms,
            span=span,
            highlight_index=event.value,
            width=width,
        )

    for control in (size, slide, gap, event):
        control.observe(draw, names="value")
    draw()
    return widgets.VBox([size, slide, gap, event, readout, picture])
