"""Capacity made visible: the shard sizing explorer and the per-second throttling picture (M2).

Why: "which limit binds?" is the whole of provisioned sizing (F1, F2, F64), and throttling is a
per-second event that a learner never sees in a log. Two pictures answer both:

- :func:`sizing_svg` draws the three requirements of F64 (records/s, bytes/s written, bytes/s
  read) as bars measured in shards, with the binding one marked; :func:`sizing_explorer` puts
  sliders on it.
- :func:`throttle_svg` draws, second by second, how many records a stream accepted and how
  many it throttled, against the 1,000 records/s per-shard line (F1). :func:`offer_records`
  is the lab's driver: it offers N records to a stream within one second of the lab clock and
  counts what PutRecords accepted (SIMULATION: the lab's limits make the mock throttle).

Drawing is done by pure functions returning SVG/HTML strings (testable without a kernel, and
visible in static renderings); the ipywidgets wiring is a thin layer on top. No plotting
library: plain inline SVG.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import Any, NamedTuple

from ..core.facts import GET_RECORDS_CALLS_PER_SEC, SHARD_WRITE_RECORDS_PER_SEC
from ..data.records import batched
from ..patterns.sizing import (
    BINDING_EXPLAINED,
    MINIMUM,
    READ_BYTES,
    RECORDS,
    WRITE_BYTES,
    StreamSizing,
    describe,
    size_stream,
)

ACCEPTED_FILL, ACCEPTED_STROKE = "#b2df8a", "#33a02c"
THROTTLED_FILL, THROTTLED_STROKE = "#fb9a99", "#e31a1c"
BAR_FILL, BAR_STROKE = "#a6cee3", "#1f78b4"
BINDING_FILL, BINDING_STROKE = "#fdbf6f", "#ff7f00"
LIMIT_COLOUR = "#6a3d9a"
TEXT = "#222"
FONT = "font-family:sans-serif"

# The record sizes the explorer offers (KiB): from tiny IoT readings to the 1 MiB default
# maximum record size (F4).
RECORD_SIZES_KIB = (0.125, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)


def _svg_open(width: int, height: int, label: str, css_class: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{css_class}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'style="max-width:100%;height:auto;{FONT}" role="img" aria-label="{html.escape(label)}">'
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>'
    )


def _nice_step(maximum: float, ticks: int = 5) -> int:
    """A round axis step (1, 2, 2.5 or 5 × 10^n, at least 1) giving about ``ticks`` ticks."""
    raw = max(maximum / ticks, 1)
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * power:
            return max(1, int(factor * power))
    return int(10 * power)  # pragma: no cover - the loop always returns


def _number(value: float) -> str:
    """1234.5 → '1,234.5'; whole numbers without decimals."""
    if value == int(value):
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


# ---------------------------------------------------------------------------------------------
# The sizing picture and explorer (F1, F2, F64)
# ---------------------------------------------------------------------------------------------


def _requirement_rows(sizing: StreamSizing) -> list[tuple[str, str, str, float]]:
    """(name, label, formula, shards needed) for the three requirements of F64."""
    records = float(sizing.records_per_sec)
    write_kib = float(sizing.write_kib_per_sec)
    read_kib = float(sizing.read_kib_per_sec)
    return [
        (
            RECORDS,
            "records/s written",
            f"{_number(records)} ÷ 1,000",
            float(sizing.for_records),
        ),
        (
            WRITE_BYTES,
            "KiB/s written",
            f"{_number(write_kib)} ÷ 1,024",
            float(sizing.for_write_bytes),
        ),
        (
            READ_BYTES,
            f"KiB/s read ({sizing.consumers} consumer{'' if sizing.consumers == 1 else 's'})",
            f"{_number(read_kib)} ÷ 2,048",
            float(sizing.for_read_bytes),
        ),
    ]


def sizing_svg(sizing: StreamSizing, width: int = 760) -> str:
    """Three bars, one per F64 requirement, measured in shards; the binding one is orange.

    The scale runs from 0 to the answer (the shard count, a dashed line); the binding bar is
    the one that reaches furthest.
    """
    label_width, right_pad, top, row_height = 250, 120, 40, 34
    bar_width = width - label_width - right_pad
    rows = _requirement_rows(sizing)
    scale_max = max(sizing.shards, 1)
    bottom = top + row_height * len(rows)
    height = bottom + 30

    def x(shards: float) -> float:
        return round(label_width + min(shards, scale_max) / scale_max * bar_width, 2)

    title = describe(sizing)
    parts = [
        _svg_open(width, height, title, "kinesis-sizing"),
        f'<text x="8" y="18" font-size="13" font-weight="bold" fill="{TEXT}">'
        f"{html.escape(title)}</text>",
        f'<text x="{label_width - 8}" y="{bottom + 16}" font-size="10" text-anchor="end" '
        'fill="#555">shards needed →</text>',
    ]
    step = _nice_step(scale_max, 6)
    for whole in range(0, scale_max + 1, step):
        gx = x(whole)
        parts.append(
            f'<line x1="{gx}" y1="{top - 4}" x2="{gx}" y2="{bottom}" stroke="#ddd"/>'
            f'<text x="{gx}" y="{bottom + 16}" font-size="10" text-anchor="middle" '
            f'fill="#555">{whole:,}</text>'
        )
    for index, (name, label, formula, need) in enumerate(rows):
        y = top + index * row_height
        binding = name == sizing.binding
        fill, stroke = (BINDING_FILL, BINDING_STROKE) if binding else (BAR_FILL, BAR_STROKE)
        bar_end = x(need)
        weight = ' font-weight="bold"' if binding else ""
        parts.append(
            f'<g class="requirement{" binding" if binding else ""}" data-name="{name}" '
            f'data-shards="{need!r}">'
            f"<title>{html.escape(f'{label}: {formula} = {need:.3f} shards')}</title>"
            f'<text x="8" y="{y + 14}" font-size="12" fill="{TEXT}">{html.escape(label)}</text>'
            f'<text x="8" y="{y + 27}" font-size="10" fill="#555">{html.escape(formula)}</text>'
            f'<rect x="{label_width}" y="{y + 4}" width="{max(round(bar_end - label_width, 2), 0)}" '
            f'height="20" fill="{fill}" stroke="{stroke}" stroke-width="{2 if binding else 1}"/>'
            f'<text x="{bar_end + 5}" y="{y + 18}" font-size="11" fill="{TEXT}" '
            'stroke="#ffffff" stroke-width="3" paint-order="stroke"'
            f"{weight}>"
            f"{need:,.2f}{' ← binds' if binding else ''}</text></g>"
        )
    ax = x(sizing.shards)
    parts.append(
        f'<g class="answer" data-shards="{sizing.shards}">'
        f'<line x1="{ax}" y1="{top - 8}" x2="{ax}" y2="{bottom}" stroke="{LIMIT_COLOUR}" '
        'stroke-width="2" stroke-dasharray="5 3"/>'
        f'<text x="{ax}" y="{top - 11}" font-size="11" text-anchor="middle" '
        f'fill="{LIMIT_COLOUR}">{sizing.shards:,} shard{"" if sizing.shards == 1 else "s"}</text></g>'
    )
    parts.append("</svg>")
    return "".join(parts)


def sizing_summary_html(sizing: StreamSizing) -> str:
    """The sentences under the picture: the answer, why, and what it means for the design."""
    lines = [f"<b>{html.escape(describe(sizing))}.</b>"]
    if sizing.binding == MINIMUM:
        lines.append(
            "No traffic yet: even an idle provisioned stream is billed per shard-hour (F27)."
        )
    if sizing.get_records_over_limit:
        lines.append(
            f"⚠ {sizing.consumers} standard consumers polling each shard once a second make "
            f"{sizing.get_records_calls_per_shard} GetRecords calls/s per shard — over the "
            f"{GET_RECORDS_CALLS_PER_SEC} per shard allowed (F3). More shards do not fix that: "
            "use enhanced fan-out (2 MiB/s per consumer per shard, F17) or fewer consumers."
        )
    elif sizing.binding == RECORDS and sizing.for_write_bytes < sizing.for_records / 2:
        lines.append(
            "Records decide while the bytes are small: aggregating small records into larger "
            "ones (KPL aggregation, lesson M3) moves the bottleneck to bytes."
        )
    elif sizing.binding == READ_BYTES:
        lines.append(
            "Reads decide: enhanced fan-out consumers get their own 2 MiB/s per shard (F17) "
            "and would not count against the shared 2 MiB/s."
        )
    if sizing.fits_new_on_demand_stream:
        lines.append(
            "On-demand alternative: fits a new on-demand stream's default capacity "
            "(4 MB/s and 4,000 records/s in, 8 MB/s out, F11)."
        )
    else:
        lines.append(
            "On-demand alternative: above a new on-demand stream's default capacity (F11); "
            "it scales to 2× its previous peak (F11), and a jump beyond that within 15 minutes "
            "can be throttled (F63)."
        )
    return "<p>" + "<br>".join(lines) + "</p>"


def sizing_picture(records_per_sec: float, record_kib: float, consumers: int = 1) -> Any:
    """A static sizing picture (shows in static HTML renderings of a lesson too)."""
    from IPython.display import HTML

    sizing = size_stream(records_per_sec, record_kib, consumers)
    return HTML(sizing_svg(sizing) + sizing_summary_html(sizing))


def sizing_explorer(records_per_sec: int = 2_500, record_kib: float = 1, consumers: int = 2) -> Any:
    """Sliders for records/s, record size and standard consumers; the picture follows them."""
    import ipywidgets as widgets

    style = {"description_width": "initial"}
    layout = widgets.Layout(width="min(100%, 560px)")
    rate = widgets.IntSlider(
        value=records_per_sec,
        min=0,
        max=20_000,
        step=100,
        description="records/s written",
        style=style,
        layout=layout,
    )
    size_options = [(f"{kib:g} KiB", kib) for kib in RECORD_SIZES_KIB]
    if record_kib not in RECORD_SIZES_KIB:
        raise ValueError(f"record_kib is one of {RECORD_SIZES_KIB}")
    size = widgets.SelectionSlider(
        options=size_options,
        value=record_kib,
        description="average record size",
        style=style,
        layout=layout,
    )
    readers = widgets.IntSlider(
        value=consumers,
        min=0,
        max=10,
        description="standard consumer applications",
        style=style,
        layout=layout,
    )
    picture = widgets.HTML()
    summary = widgets.HTML()

    def show(_: Any = None) -> None:
        sizing = size_stream(rate.value, size.value, readers.value)
        picture.value = sizing_svg(sizing)
        summary.value = sizing_summary_html(sizing)

    for control in (rate, size, readers):
        control.observe(show, names="value")
    show()
    box = widgets.VBox([rate, size, readers, picture, summary])
    box.controls = {"records_per_sec": rate, "record_kib": size, "consumers": readers}
    box.outputs = {"picture": picture, "summary": summary}
    return box


# ---------------------------------------------------------------------------------------------
# The throttling lab: offer N records in one second, and the per-second picture (F1)
# ---------------------------------------------------------------------------------------------


class SecondResult(NamedTuple):
    """What one second of the lab clock saw: records offered, accepted and throttled."""

    second: int  # 0, 1, 2 … since the lab started offering
    offered: int
    accepted: int
    throttled: int
    requests: int  # PutRecords calls made


def offer_records(
    kinesis: Any,
    stream_name: str,
    count: int,
    *,
    second: int = 0,
    payload_bytes: int | None = None,
    key_prefix: str = "device",
    partition_key: str | None = None,
) -> SecondResult:
    """Offer ``count`` records to a stream in PutRecords batches (≤500, F5), all at the current
    lab time, and count what was accepted. Nothing is retried: the lab wants to see the
    throttled entries (SIMULATION: per-shard limits F1, from kinesis_lab.simulation.limits).

    Each record gets its own partition key (``key_prefix``-0, -1, …) unless ``partition_key``
    gives them all the same one (a hot key); ``payload_bytes`` pads every record's data to
    that size (default: a small JSON reading of about 30 bytes)."""
    if count < 0:
        raise ValueError("count cannot be negative")
    entries = []
    for index in range(count):
        data = f'{{"second":{second},"n":{index}}}'.encode()
        if payload_bytes is not None:
            data = data.ljust(payload_bytes, b" ")[: max(payload_bytes, 0)]
        key = partition_key if partition_key is not None else f"{key_prefix}-{index}"
        entries.append({"Data": data, "PartitionKey": key})
    accepted = requests = 0
    for batch in batched(entries):
        response = kinesis.put_records(StreamName=stream_name, Records=batch)
        requests += 1
        accepted += len(batch) - response["FailedRecordCount"]
    return SecondResult(second, count, accepted, count - accepted, requests)


def first_throttled(results: Sequence[SecondResult]) -> SecondResult | None:
    """The first second in which any record was throttled, or None."""
    return next((result for result in results if result.throttled), None)


def throttle_svg(
    results: Sequence[SecondResult],
    limit: int = SHARD_WRITE_RECORDS_PER_SEC,
    shards: int = 1,
    width: int = 760,
) -> str:
    """One stacked bar per second: accepted (green) under throttled (red), the stream's
    records/s limit as a dashed line (``shards`` × 1,000, F1); the first throttled second is
    marked."""
    margin_left, margin_right, top, plot_height = 56, 16, 44, 220
    height = top + plot_height + 56
    plot_width = width - margin_left - margin_right
    capacity = limit * shards
    y_max = max([capacity * 1.25] + [r.offered * 1.08 for r in results]) or 1
    slot = plot_width / max(len(results), 1)
    bar = min(slot * 0.7, 80)
    first = first_throttled(results)

    def y(value: float) -> float:
        return round(top + plot_height - value / y_max * plot_height, 2)

    total_throttled = sum(r.throttled for r in results)
    label = (
        f"{len(results)} seconds; {total_throttled} records throttled; "
        f"limit {capacity} records per second"
    )
    parts = [
        _svg_open(width, height, label, "kinesis-throttle"),
        f'<text x="8" y="16" font-size="13" font-weight="bold" fill="{TEXT}">'
        f"Records offered per second to a {shards}-shard stream: accepted vs throttled</text>",
        '<text x="8" y="32" font-size="11" fill="#555">SIMULATION of the per-shard write limit '
        "(F1), held over any one second of the lab clock</text>",
    ]
    # y axis ticks
    for value in range(0, int(y_max) + 1, _nice_step(y_max)):
        ty = y(value)
        parts.append(
            f'<line x1="{margin_left - 4}" y1="{ty}" x2="{margin_left + plot_width}" y2="{ty}" '
            f'stroke="#eee"/><text x="{margin_left - 6}" y="{ty + 4}" font-size="10" '
            f'text-anchor="end" fill="#555">{value:,}</text>'
        )
    for index, result in enumerate(results):
        cx = margin_left + slot * index + slot / 2
        bx = round(cx - bar / 2, 2)
        accepted_top = y(result.accepted)
        offered_top = y(result.offered)
        state = "throttled" if result.throttled else "ok"
        is_first = first is not None and result is first
        parts.append(
            f'<g class="second {state}{" first-throttled" if is_first else ""}" '
            f'data-second="{result.second}" data-offered="{result.offered}" '
            f'data-accepted="{result.accepted}" data-throttled="{result.throttled}">'
            f"<title>second {result.second}: {result.offered:,} offered, "
            f"{result.accepted:,} accepted, {result.throttled:,} throttled</title>"
            f'<rect class="accepted" x="{bx}" y="{accepted_top}" width="{round(bar, 2)}" '
            f'height="{round(y(0) - accepted_top, 2)}" fill="{ACCEPTED_FILL}" '
            f'stroke="{ACCEPTED_STROKE}"/>'
        )
        if result.throttled:
            parts.append(
                f'<rect class="throttled" x="{bx}" y="{offered_top}" width="{round(bar, 2)}" '
                f'height="{max(round(accepted_top - offered_top, 2), 1.5)}" '
                f'fill="{THROTTLED_FILL}" stroke="{THROTTLED_STROKE}"/>'
                f'<text x="{round(cx, 2)}" y="{offered_top - 4}" font-size="10" '
                f'text-anchor="middle" fill="{THROTTLED_STROKE}">−{result.throttled:,}</text>'
            )
        parts.append(
            f'<text x="{round(cx, 2)}" y="{y(0) + 14}" font-size="11" text-anchor="middle" '
            f'fill="{TEXT}">{result.offered:,}</text>'
            f'<text x="{round(cx, 2)}" y="{y(0) + 27}" font-size="10" text-anchor="middle" '
            f'fill="#555">s{result.second}</text></g>'
        )
    ly = y(capacity)
    parts.append(
        f'<line class="limit" x1="{margin_left}" y1="{ly}" x2="{margin_left + plot_width}" '
        f'y2="{ly}" stroke="{LIMIT_COLOUR}" stroke-width="2" stroke-dasharray="6 4"/>'
        f'<text x="{margin_left + 4}" y="{ly - 5}" font-size="11" fill="{LIMIT_COLOUR}">'
        f"{capacity:,} records/s = {shards} × 1,000 per shard (F1)</text>"
    )
    legend_y = height - 14
    parts.append(
        f'<rect x="{margin_left}" y="{legend_y - 10}" width="12" height="12" '
        f'fill="{ACCEPTED_FILL}" stroke="{ACCEPTED_STROKE}"/>'
        f'<text x="{margin_left + 16}" y="{legend_y}" font-size="11" fill="{TEXT}">accepted</text>'
        f'<rect x="{margin_left + 90}" y="{legend_y - 10}" width="12" height="12" '
        f'fill="{THROTTLED_FILL}" stroke="{THROTTLED_STROKE}"/>'
        f'<text x="{margin_left + 106}" y="{legend_y}" font-size="11" fill="{TEXT}">'
        "throttled (ProvisionedThroughputExceededException)</text>"
        f'<text x="{margin_left + plot_width}" y="{legend_y}" font-size="10" text-anchor="end" '
        'fill="#555">records offered · second</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def throttle_summary_html(results: Sequence[SecondResult]) -> str:
    first = first_throttled(results)
    if first is None:
        return "<p>No second was throttled.</p>"
    return (
        f"<p>First throttled second: <b>s{first.second}</b> — {first.offered:,} records offered, "
        f"{first.accepted:,} accepted, <b style='color:{THROTTLED_STROKE}'>{first.throttled:,} "
        "throttled</b>.</p>"
    )


def throttle_picture(
    results: Sequence[SecondResult], limit: int = SHARD_WRITE_RECORDS_PER_SEC, shards: int = 1
) -> Any:
    """The per-second picture and its sentence (static: shows in static renderings too)."""
    from IPython.display import HTML

    return HTML(throttle_svg(results, limit, shards) + throttle_summary_html(results))


__all__ = [
    "BINDING_EXPLAINED",
    "RECORD_SIZES_KIB",
    "SecondResult",
    "first_throttled",
    "offer_records",
    "sizing_explorer",
    "sizing_picture",
    "sizing_summary_html",
    "sizing_svg",
    "throttle_picture",
    "throttle_summary_html",
    "throttle_svg",
]
