"""The capstones' result views: small SVG charts and HTML tables, drawn by pure functions.

Why no plotting library: the course ships no matplotlib; plain inline SVG shows in JupyterLab,
in static renderings of a notebook and on the course site alike, and a test can read it back
(every bar, point and band carries ``data-*`` attributes). Notebooks display the strings with
``IPython.display.HTML`` (see :func:`show`).
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .key_space import nice_step, shard_colours

WIDTH = 760
THROTTLED_COLOUR = "#c00000"
CAPACITY_COLOUR = "#222222"
MARKER_COLOUR = "#6a3d9a"
FONT = "font-family:sans-serif"


def show(markup: str) -> Any:
    """Display SVG or HTML markup in a notebook."""
    from IPython.display import HTML

    return HTML(markup)


def html_table(header: Sequence[str], rows: Iterable[Sequence[Any]], caption: str = "") -> str:
    """A plain HTML table; every cell is escaped."""
    head = "".join(f"<th>{html.escape(str(name))}</th>" for name in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(cell))}</td>" for cell in row) + "</tr>"
        for row in rows
    )
    title = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f"<table class='kinesis-capstone'>{title}<tr>{head}</tr>{body}</table>"


def _ticks(low: float, high: float, target: int = 6) -> list[float]:
    step = nice_step(high - low, target)
    first = math.ceil(low / step) * step
    ticks, value = [], first
    while value <= high + 1e-9:
        ticks.append(round(value, 10))
        value += step
    return ticks


def _label(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}".rstrip("0")


# ---------------------------------------------------------------------------------------------
# Write throughput per second: written by shard, throttled attempts, capacity (F1)
# ---------------------------------------------------------------------------------------------


def throughput_svg(
    timeline: Sequence[Mapping[str, Any]],
    *,
    start: int,
    capacity: Mapping[int, int] | None = None,
    markers: Sequence[tuple[int, str]] = (),
    title: str = "Records written per second, by shard, and throttled attempts",
    width: int = WIDTH,
    height: int = 280,
) -> str:
    """Stacked bars per lab second: records written to each shard (shard colours) and, on top,
    entry attempts refused with ProvisionedThroughputExceededException (red). ``timeline`` is
    :meth:`SendReport.timeline`; ``capacity`` maps a second to the stream's write capacity in
    records/s (a dashed step line); ``markers`` are (second, label) events such as "fleet
    doubles". The x axis counts seconds from ``start``."""
    left, right, top, bottom = 56, 12, 34, 58
    plot_w, plot_h = width - left - right, height - top - bottom
    seconds = [int(row["second"]) for row in timeline]
    if not seconds:
        raise ValueError("nothing to draw: the timeline is empty")
    first, last = min(seconds + [m for m, _ in markers]), max(seconds + [m for m, _ in markers])
    first = min(first, start)
    slots = last - first + 1
    bar_w = plot_w / slots
    peak = max(row["written"] + row["throttled"] for row in timeline)
    if capacity:
        peak = max(peak, max(capacity.values()))
    y_max = peak * 1.1 or 1

    def x(second: float) -> float:
        return round(left + (second - first) * bar_w, 2)

    def y(value: float) -> float:
        return round(top + plot_h - value / y_max * plot_h, 2)

    shards = sorted({shard for row in timeline for shard in row.get("shards", {})})
    body = [
        f'<text x="{left}" y="18" font-size="13" font-weight="bold" fill="#222">'
        f"{html.escape(title)}</text>"
    ]
    for tick in _ticks(0, y_max):
        body.append(
            f'<line x1="{left}" y1="{y(tick)}" x2="{left + plot_w}" y2="{y(tick)}" '
            f'stroke="#e5e5e5"/><text x="{left - 6}" y="{y(tick) + 4}" font-size="10" '
            f'text-anchor="end" fill="#444">{_label(tick)}</text>'
        )
    for row in timeline:
        second = int(row["second"])
        base = 0.0
        bar_x, w = x(second) + 1, max(bar_w - 2, 1)
        for shard in shards:
            value = row.get("shards", {}).get(shard, 0)
            if not value:
                continue
            fill, stroke = shard_colours(shard)
            body.append(
                f'<rect class="written" data-second="{second - start}" '
                f'data-shard-id="{html.escape(shard)}" data-value="{value}" x="{bar_x}" '
                f'y="{y(base + value)}" width="{w}" height="{round(y(base) - y(base + value), 2)}" '
                f'fill="{fill}" stroke="{stroke}" stroke-width="0.6"><title>t+{second - start} s: '
                f"{value} records written to {html.escape(shard)}</title></rect>"
            )
            base += value
        throttled = row.get("throttled", 0)
        if throttled:
            body.append(
                f'<rect class="throttled" data-second="{second - start}" data-value="{throttled}" '
                f'x="{bar_x}" y="{y(base + throttled)}" width="{w}" '
                f'height="{round(y(base) - y(base + throttled), 2)}" fill="{THROTTLED_COLOUR}" '
                f'fill-opacity="0.55"><title>t+{second - start} s: {throttled} entry attempts '
                f"throttled</title></rect>"
            )
    if capacity:
        step_points = []
        current = None
        for second in range(first, last + 1):  # a step line: capacity holds until it changes
            current = capacity.get(second, current)
            if current is None:
                continue
            step_points += [f"{x(second)},{y(current)}", f"{x(second + 1)},{y(current)}"]
        body.append(
            f'<polyline class="capacity" points="{" ".join(step_points)}" fill="none" '
            f'stroke="{CAPACITY_COLOUR}" stroke-width="1.5" stroke-dasharray="6 3"/>'
        )
    for second, text in markers:
        mx = x(second)
        body.append(
            f'<g class="marker" data-second="{second - start}"><line x1="{mx}" y1="{top - 4}" '
            f'x2="{mx}" y2="{top + plot_h}" stroke="{MARKER_COLOUR}" stroke-width="1.5"/>'
            f'<text x="{mx + 3}" y="{top + 8}" font-size="10" fill="{MARKER_COLOUR}">'
            f"{html.escape(text)}</text></g>"
        )
    axis_y = top + plot_h
    body.append(
        f'<line x1="{left}" y1="{axis_y}" x2="{left + plot_w}" y2="{axis_y}" stroke="#333"/>'
    )
    for tick in _ticks(first - start, last - start, 10):
        tx = x(start + tick) + bar_w / 2
        body.append(
            f'<text x="{tx}" y="{axis_y + 14}" font-size="10" text-anchor="middle" '
            f'fill="#444">{_label(tick)}</text>'
        )
    body.append(
        f'<text x="{left + plot_w / 2}" y="{axis_y + 28}" font-size="10" text-anchor="middle" '
        f'fill="#444">seconds of lab time since the start</text>'
    )
    legend = [(shard_colours(s)[0], s) for s in shards] + [(THROTTLED_COLOUR, "throttled")]
    lx = left
    for colour, name in legend:
        body.append(
            f'<rect x="{lx}" y="{height - 16}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{lx + 14}" y="{height - 7}" font-size="10" fill="#333">'
            f"{html.escape(name)}</text>"
        )
        lx += 24 + len(name) * 6
    if capacity:
        body.append(
            f'<line x1="{lx}" y1="{height - 11}" x2="{lx + 18}" y2="{height - 11}" '
            f'stroke="{CAPACITY_COLOUR}" stroke-dasharray="6 3"/><text x="{lx + 22}" '
            f'y="{height - 7}" font-size="10" fill="#333">write capacity (records/s)</text>'
        )
    return _svg(width, height, "kinesis-throughput", title, body)


# ---------------------------------------------------------------------------------------------
# A time series with shaded bands (social: sentiment and trend windows)
# ---------------------------------------------------------------------------------------------


def timeseries_svg(
    series: Sequence[tuple[str, str, Sequence[tuple[float, float]]]],
    *,
    bands: Sequence[tuple[float, float, str, str]] = (),
    markers: Sequence[tuple[float, str]] = (),
    y_range: tuple[float, float] | None = None,
    x_label: str = "minutes since the start",
    title: str = "",
    width: int = WIDTH,
    height: int = 260,
) -> str:
    """Lines over time. ``series``: (name, colour, [(x, y), …]); ``bands``: shaded x ranges
    (x0, x1, label, colour) such as planted trend windows; ``markers``: (x, label) such as
    "detected". x and y are plain numbers (say, minutes and a mean sentiment)."""
    left, right, top, bottom = 48, 12, 30, 56
    plot_w, plot_h = width - left - right, height - top - bottom
    xs = [px for _, _, points in series for px, _ in points] + [
        b for band in bands for b in band[:2]
    ]
    ys = [py for _, _, points in series for _, py in points]
    if not xs or not ys:
        raise ValueError("nothing to draw: the series are empty")
    x_lo, x_hi = min(xs), max(xs)
    y_lo, y_hi = y_range if y_range else (min(ys), max(ys))
    if x_hi == x_lo:
        x_hi = x_lo + 1
    if y_hi == y_lo:
        y_hi = y_lo + 1

    def x(value: float) -> float:
        return round(left + (value - x_lo) / (x_hi - x_lo) * plot_w, 2)

    def y(value: float) -> float:
        clipped = min(max(value, y_lo), y_hi)
        return round(top + plot_h - (clipped - y_lo) / (y_hi - y_lo) * plot_h, 2)

    body = []
    if title:
        body.append(
            f'<text x="{left}" y="18" font-size="13" font-weight="bold" fill="#222">'
            f"{html.escape(title)}</text>"
        )
    for x0, x1, label, colour in bands:
        body.append(
            f'<g class="band" data-x0="{x0}" data-x1="{x1}" data-label="{html.escape(label)}">'
            f'<rect x="{x(x0)}" y="{top}" width="{max(x(x1) - x(x0), 1)}" height="{plot_h}" '
            f'fill="{colour}" fill-opacity="0.25"/><text x="{x(x0) + 2}" y="{top + plot_h - 4}" '
            f'font-size="9" fill="#333">{html.escape(label)}</text></g>'
        )
    for tick in _ticks(y_lo, y_hi, 5):
        body.append(
            f'<line x1="{left}" y1="{y(tick)}" x2="{left + plot_w}" y2="{y(tick)}" '
            f'stroke="#e5e5e5"/><text x="{left - 6}" y="{y(tick) + 4}" font-size="10" '
            f'text-anchor="end" fill="#444">{_label(tick)}</text>'
        )
    for name, colour, points in series:
        path = " ".join(f"{x(px)},{y(py)}" for px, py in points)
        body.append(
            f'<polyline class="series" data-name="{html.escape(name)}" '
            f'data-points="{len(points)}" points="{path}" fill="none" stroke="{colour}" '
            'stroke-width="1.8"/>'
        )
    for mx, label in markers:
        body.append(
            f'<g class="marker" data-x="{mx}"><line x1="{x(mx)}" y1="{top}" x2="{x(mx)}" '
            f'y2="{top + plot_h}" stroke="{MARKER_COLOUR}" stroke-dasharray="3 2"/>'
            f'<text x="{x(mx) + 2}" y="{top + 10}" font-size="9" fill="{MARKER_COLOUR}">'
            f"{html.escape(label)}</text></g>"
        )
    axis_y = top + plot_h
    body.append(
        f'<line x1="{left}" y1="{axis_y}" x2="{left + plot_w}" y2="{axis_y}" stroke="#333"/>'
    )
    for tick in _ticks(x_lo, x_hi, 10):
        body.append(
            f'<text x="{x(tick)}" y="{axis_y + 14}" font-size="10" text-anchor="middle" '
            f'fill="#444">{_label(tick)}</text>'
        )
    body.append(
        f'<text x="{left + plot_w / 2}" y="{axis_y + 28}" font-size="10" text-anchor="middle" '
        f'fill="#444">{html.escape(x_label)}</text>'
    )
    lx = left
    for name, colour, _ in series:
        body.append(
            f'<line x1="{lx}" y1="{height - 11}" x2="{lx + 16}" y2="{height - 11}" '
            f'stroke="{colour}" stroke-width="2"/><text x="{lx + 20}" y="{height - 7}" '
            f'font-size="10" fill="#333">{html.escape(name)}</text>'
        )
        lx += 30 + len(name) * 6
    return _svg(width, height, "kinesis-timeseries", title or "time series", body)


# ---------------------------------------------------------------------------------------------
# Precision and recall bars (fraud)
# ---------------------------------------------------------------------------------------------


def precision_recall_svg(
    scores: Mapping[str, Any], title: str = "Precision and recall", width: int = 560
) -> str:
    """Two horizontal bars per type: precision and recall (0-100 %). ``scores`` maps a type to
    an object with ``precision`` and ``recall`` (a :class:`~.scoring.Score`)."""
    left, top, row_h = 150, 30, 40
    plot_w = width - left - 60
    height = top + row_h * len(scores) + 24
    body = [
        f'<text x="8" y="18" font-size="13" font-weight="bold" fill="#222">'
        f"{html.escape(title)}</text>"
    ]
    for index, (kind, result) in enumerate(scores.items()):
        row_y = top + index * row_h
        body.append(
            f'<text x="{left - 8}" y="{row_y + 20}" font-size="11" text-anchor="end" '
            f'fill="#222">{html.escape(kind)}</text>'
        )
        for offset, (name, value, colour) in enumerate(
            (("precision", result.precision, "#1f78b4"), ("recall", result.recall, "#33a02c"))
        ):
            bar_y = row_y + 4 + offset * 16
            body.append(
                f'<g class="bar" data-type="{html.escape(kind)}" data-measure="{name}" '
                f'data-value="{value:.4f}"><rect x="{left}" y="{bar_y}" '
                f'width="{round(plot_w * value, 2)}" height="13" fill="{colour}"/>'
                f'<text x="{left + plot_w * value + 4}" y="{bar_y + 11}" font-size="10" '
                f'fill="#333">{name} {value:.0%}</text></g>'
            )
    body.append(f'<line x1="{left}" y1="{top - 2}" x2="{left}" y2="{height - 20}" stroke="#333"/>')
    return _svg(width, height, "kinesis-precision-recall", title, body)


def _svg(width: int, height: int, css_class: str, label: str, body: Sequence[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{css_class}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'style="max-width:100%;height:auto;{FONT}" role="img" '
        f'aria-label="{html.escape(label)}"><rect width="{width}" height="{height}" '
        f'fill="#ffffff"/>' + "".join(body) + "</svg>"
    )
