"""A picture of a Firehose buffer filling and flushing, and sliders to play with it (M9).

Why: "size or interval, whichever comes first" (F42) is one sentence, but the consequences —
small objects at low rates, multipart uploads below 60 s (F43), a producer that outgrows the
Direct PUT quota (F45) — show best as a timeline. The buffer model is
:func:`kinesis_lab.lessons.m09_firehose.delivery_timeline` (the rules of the course's Firehose
SIMULATION); this module only draws it. Drawing is pure (SVG strings, testable without a
kernel, visible in static renderings); the ipywidgets explorer re-draws on slider changes.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import Any

from ..core.facts import (
    FIREHOSE_BUFFER_INTERVAL_SECONDS_MAX,
    FIREHOSE_BUFFER_INTERVAL_SECONDS_MIN,
    FIREHOSE_BUFFER_SIZE_MIB_MAX,
    FIREHOSE_BUFFER_SIZE_MIB_MIN,
    KIB,
    MIB,
    MULTIPART_BELOW_SECONDS,
)
from ..lessons.m09_firehose import (
    Delivery,
    delivery_timeline,
    direct_put_quota,
    first_delivery_seconds,
    first_trigger,
    record_bytes,
)

WIDTH = 760
LEFT = 64
RIGHT = 16
PLOT_TOP = 34
PLOT_HEIGHT = 150
TRIGGER_COLOURS = {"size": "#1f78b4", "interval": "#ff7f00"}
TRIGGER_FILLS = {"size": "#a6cee3", "interval": "#fdbf6f"}
NICE_STEPS_S = (1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600, 900, 1800)
MAX_TICKS = 10
MAX_DRAWN = 400  # deliveries drawn; more would only blacken the picture
MAX_HORIZON_SECONDS = 3_600


def default_horizon(first_delivery: float) -> float:
    """A time span that shows the first few deliveries (at least 10 s, at most one hour)."""
    if first_delivery <= 0:
        return 10.0
    return float(min(max(math.ceil(first_delivery * 3.2), 10), MAX_HORIZON_SECONDS))


def _tick_step(span: float) -> int:
    for step in NICE_STEPS_S:
        if span / step <= MAX_TICKS:
            return step
    return NICE_STEPS_S[-1]


def _mib(size: float) -> str:
    return f"{size / MIB:.2f} MiB" if size < 10 * MIB else f"{size / MIB:.1f} MiB"


def _seconds(value: float) -> str:
    return f"{value:,.0f} s" if value >= 100 else f"{value:.3g} s"


def _count(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def buffer_timeline_svg(
    deliveries: Sequence[Delivery],
    *,
    size_mib: float,
    interval_seconds: float,
    horizon_seconds: float,
    width: int = WIDTH,
) -> str:
    """The buffer over time: each buffer a ramp from when it opened to when it was delivered
    (its height: the bytes it held), SizeInMBs as a dashed line, and a marker per delivery
    coloured by what triggered it. Every delivery is a ``<g class="delivery TRIGGER">`` with
    ``data-at``, ``data-records`` and ``data-bytes``, so tests can check the picture."""
    if horizon_seconds <= 0:
        raise ValueError("the horizon must be positive")
    plot = width - LEFT - RIGHT
    limit = size_mib * MIB
    bottom = PLOT_TOP + PLOT_HEIGHT

    def x(seconds: float) -> float:
        return round(LEFT + min(max(seconds, 0.0), horizon_seconds) / horizon_seconds * plot, 2)

    def y(size: float) -> float:
        return round(bottom - min(size, limit) / limit * PLOT_HEIGHT, 2)

    body: list[str] = [
        f'<text x="{LEFT}" y="16" font-size="12" font-weight="bold" fill="#222">'
        f"Buffer fill (SIMULATION model): SizeInMBs {size_mib:g} MiB, IntervalInSeconds "
        f"{interval_seconds:g} s</text>",
        f'<line class="size-limit" x1="{LEFT}" y1="{y(limit)}" x2="{LEFT + plot}" '
        f'y2="{y(limit)}" stroke="#c00000" stroke-dasharray="5,4"/>',
        f'<text x="{LEFT - 6}" y="{y(limit) + 4}" text-anchor="end" font-size="10" '
        f'fill="#c00000">{size_mib:g} MiB</text>',
        f'<text x="{LEFT - 6}" y="{bottom + 4}" text-anchor="end" font-size="10" '
        f'fill="#333">0</text>',
        f'<line x1="{LEFT}" y1="{bottom}" x2="{LEFT + plot}" y2="{bottom}" stroke="#333"/>',
        f'<line x1="{LEFT}" y1="{PLOT_TOP}" x2="{LEFT}" y2="{bottom}" stroke="#333"/>',
    ]
    shown = [d for d in deliveries if d.delivered_at <= horizon_seconds][:MAX_DRAWN]
    for delivery in shown:
        colour, fill = TRIGGER_COLOURS[delivery.trigger], TRIGGER_FILLS[delivery.trigger]
        x0, x1, top = x(delivery.opened_at), x(delivery.delivered_at), y(delivery.bytes)
        title = html.escape(
            f"delivered at {delivery.delivered_at:g} s by {delivery.trigger}: "
            f"{delivery.records:,} records, {_mib(delivery.bytes)} (buffer opened at "
            f"{delivery.opened_at:g} s)"
        )
        shape = (
            f'<polygon points="{x0},{bottom} {x1},{top} {x1},{bottom}" fill="{fill}" '
            f'fill-opacity="0.8" stroke="{colour}" stroke-width="1"/>'
            if x1 - x0 >= 1
            else f'<line x1="{x1}" y1="{bottom}" x2="{x1}" y2="{top}" stroke="{colour}" '
            f'stroke-width="1.5"/>'
        )
        marker = f'<path d="M{x1},{bottom + 3} l-5,9 h10 z" fill="{colour}"/>'  # a small triangle
        body.append(
            f'<g class="delivery {delivery.trigger}" data-at="{delivery.delivered_at:g}" '
            f'data-records="{delivery.records}" data-bytes="{delivery.bytes}">'
            f"<title>{title}</title>{shape}{marker}</g>"
        )
    step = _tick_step(horizon_seconds)
    tick = 0
    axis = bottom + 26
    while tick <= horizon_seconds:
        body.append(
            f'<line x1="{x(tick)}" y1="{bottom}" x2="{x(tick)}" y2="{bottom + 14}" '
            f'stroke="#bbb"/><text x="{x(tick)}" y="{axis}" text-anchor="middle" '
            f'font-size="10" fill="#333">{tick} s</text>'
        )
        tick += step
    legend_y = axis + 18
    hidden = len(deliveries) > len(shown)
    legend = (
        f'<text x="{LEFT}" y="{legend_y}" font-size="11" fill="{TRIGGER_COLOURS["size"]}">'
        f"▲ delivered because the buffer reached SizeInMBs</text>"
        f'<text x="{LEFT + 300}" y="{legend_y}" font-size="11" '
        f'fill="{TRIGGER_COLOURS["interval"]}">▲ delivered because IntervalInSeconds passed</text>'
    )
    if hidden:
        legend += (
            f'<text x="{LEFT}" y="{legend_y + 15}" font-size="10" fill="#555">'
            f"(only the first {len(shown)} deliveries are drawn; more follow)</text>"
        )
    body.append(legend)
    height = legend_y + (22 if hidden else 8)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="kinesis-firehose-buffer" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'style="max-width:100%;height:auto;font-family:sans-serif" role="img" '
        f'aria-label="Firehose buffer timeline with {len(shown)} deliveries">'
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>'
        + "".join(body)
        + "</svg>"
    )


def buffer_readout_html(
    records_per_second: float,
    record_kib: float,
    size_mib: float,
    interval_seconds: float,
    *,
    region: str = "us-east-1",
) -> str:
    """What the hints mean for this producer: when the first object lands and why, how big
    objects are and how many an hour, and the warnings the exam likes (F42, F43, F45)."""
    first = first_delivery_seconds(records_per_second, record_kib, size_mib, interval_seconds)
    trigger = first_trigger(records_per_second, record_kib, size_mib, interval_seconds)
    rate_bytes = records_per_second * record_bytes(record_kib)
    why = {
        "size": "the buffer reaches SizeInMBs first",
        "interval": "IntervalInSeconds passes first",
        "both": "size and interval are reached together",
    }[trigger]
    rate = f"{rate_bytes / KIB:.3g} KiB" if rate_bytes < MIB else _mib(rate_bytes)
    lines = [f"Producer: {records_per_second:,g} records/s × {record_kib:.3g} KiB = {rate}/s"]
    if interval_seconds == 0:
        lines.append(
            "<b>Zero buffering</b> (IntervalInSeconds 0): records are delivered within "
            "seconds (F43) — one object per request here."
        )
    else:
        per_object = min(size_mib * MIB, rate_bytes * first)
        lines.append(f"First object after <b>{_seconds(first)}</b>: {why} (F42).")
        lines.append(
            f"Then about <b>{_count(3600 / first)} objects per hour</b> of about "
            f"{_mib(per_object)} each."
        )
    if interval_seconds < MULTIPART_BELOW_SECONDS:
        lines.append(
            f"⚠ An interval under {MULTIPART_BELOW_SECONDS} s to Amazon S3 uses multipart "
            "uploads: more S3 PUT requests, more cost (F43)."
        )
    quota = direct_put_quota(region)
    if rate_bytes > quota.mib_per_second * MIB or records_per_second > quota.records_per_second:
        lines.append(
            f"⚠ Above the default Direct PUT quota in {html.escape(region)}: "
            f"{quota.records_per_second:,} records/s, {quota.requests_per_second:,} requests/s, "
            f"{quota.mib_per_second} MiB/s per Firehose stream (F45) — ask for more, or "
            "send through a Kinesis data stream."
        )
    return "<div class='kinesis-firehose-readout'>" + "<br>".join(lines) + "</div>"


def buffer_timeline_picture(
    records_per_second: float,
    record_kib: float,
    size_mib: float,
    interval_seconds: float,
    *,
    horizon_seconds: float | None = None,
) -> Any:
    """A static timeline with its readout (shows in static HTML renderings too)."""
    from IPython.display import HTML

    return HTML(
        _picture(records_per_second, record_kib, size_mib, interval_seconds, horizon_seconds)
    )


def _picture(
    records_per_second: float,
    record_kib: float,
    size_mib: float,
    interval_seconds: float,
    horizon_seconds: float | None = None,
) -> str:
    first = first_delivery_seconds(records_per_second, record_kib, size_mib, interval_seconds)
    horizon = horizon_seconds or default_horizon(first)
    deliveries = delivery_timeline(
        records_per_second,
        record_kib,
        size_mib,
        interval_seconds,
        horizon_seconds=horizon,
        max_deliveries=MAX_DRAWN + 1,
    )
    if len(deliveries) > MAX_DRAWN and horizon_seconds is None:
        # A very fast producer: zoom in on the first MAX_DRAWN deliveries.
        horizon = max(1.0, float(math.ceil(deliveries[MAX_DRAWN - 1].delivered_at)))
        deliveries = [d for d in deliveries if d.delivered_at <= horizon]
    return buffer_readout_html(
        records_per_second, record_kib, size_mib, interval_seconds
    ) + buffer_timeline_svg(
        deliveries, size_mib=size_mib, interval_seconds=interval_seconds, horizon_seconds=horizon
    )


def buffer_explorer(
    records_per_second: int = 100,
    record_kib: float = 1.0,
    size_mib: int = 5,
    interval_seconds: int = 300,
) -> Any:
    """Sliders for the producer (records/s, record size) and the buffering hints (SizeInMBs,
    IntervalInSeconds, F42 ranges), over the readout and the timeline."""
    import ipywidgets as widgets

    style = {"description_width": "11em"}
    layout = widgets.Layout(width="min(100%, 520px)")
    rate = widgets.IntSlider(
        value=records_per_second, min=1, max=5_000, step=1, description="records per second",
        style=style, layout=layout,
    )  # fmt: skip
    size = widgets.FloatLogSlider(
        value=record_kib, base=10, min=-1, max=3, step=0.05, description="record size (KiB)",
        readout_format=".3g", style=style, layout=layout,
    )  # fmt: skip
    hint_size = widgets.IntSlider(
        value=size_mib, min=FIREHOSE_BUFFER_SIZE_MIB_MIN, max=FIREHOSE_BUFFER_SIZE_MIB_MAX,
        description="SizeInMBs (MiB)", style=style, layout=layout,
    )  # fmt: skip
    hint_interval = widgets.IntSlider(
        value=interval_seconds, min=FIREHOSE_BUFFER_INTERVAL_SECONDS_MIN,
        max=FIREHOSE_BUFFER_INTERVAL_SECONDS_MAX, step=5, description="IntervalInSeconds",
        style=style, layout=layout,
    )  # fmt: skip
    picture = widgets.HTML()

    def draw(_: Any = None) -> None:
        picture.value = _picture(
            rate.value, min(size.value, 1_000.0), hint_size.value, hint_interval.value
        )

    for control in (rate, size, hint_size, hint_interval):
        control.observe(draw, names="value")
    draw()
    return widgets.VBox([rate, size, hint_size, hint_interval, picture])
