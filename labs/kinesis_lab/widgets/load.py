"""Pictures of shard load: per-shard writes over time with throttled seconds, and a split
explorer.

Why: "which shard is hot, and does the split fix it?" is easiest to answer by looking. The
timeline draws what :func:`kinesis_lab.patterns.scaling.drive_load` logged — one lane per shard, one
bar per second, the part over the 1,000 records/s limit (F1) in red. The split explorer moves a
NewStartingHashKey across a hot shard and shows what each child would take. Pure functions
return SVG strings (testable, visible in static renderings); ipywidgets wiring is a thin layer.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from ..core.facts import SHARD_WRITE_RECORDS_PER_SEC
from ..core.keys import hash_range
from ..patterns.scaling import LoadLog, child_loads, keys_in_shard
from .key_space import short_shard_label

ACCEPTED_FILL, ACCEPTED_STROKE = "#a6cee3", "#1f78b4"
THROTTLED_FILL, THROTTLED_STROKE = "#fb9a99", "#e31a1c"
OK_FILL, OK_STROKE = "#b2df8a", "#33a02c"
IDLE_FILL = "#f2f2f2"
MARK_COLOUR = "#6a3d9a"
FONT = "font-family:sans-serif"


def _svg_open(width: int, height: int, css_class: str, label: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{css_class}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'style="max-width:100%;height:auto;{FONT}" role="img" aria-label="{html.escape(label)}">',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
    ]


def load_timeline_svg(
    log: LoadLog, limit: int = SHARD_WRITE_RECORDS_PER_SEC, width: int = 760
) -> str:
    """One lane per shard, one bar per second: records accepted (blue) and refused (red,
    ProvisionedThroughputExceeded); the dashed line is the shard's 1,000 records/s (F1).
    ``log.marks`` (second → label) draws a vertical marker, e.g. where the split happened."""
    shards = log.shard_ids()
    seconds = max(log.seconds, 1)
    label_width, right, top, lane_height, gap = 92, 96, 26, 44, 10
    plot_width = width - label_width - right
    height = top + len(shards) * (lane_height + gap) + 44
    scale = max([limit * 1.5] + [row.offered for row in log.rows])
    step = plot_width / seconds
    bar = max(step * 0.8, 1.0)
    parts = _svg_open(
        width, height, "kinesis-load-timeline", f"Writes per shard over {seconds} seconds"
    )
    parts.append(
        f'<text x="{label_width}" y="16" font-size="12" fill="#333">records written per second, '
        f"per shard — {seconds} s of lab time</text>"
    )
    by_cell = {(row.shard_id, row.second): row for row in log.rows}
    for lane, shard_id in enumerate(shards):
        y0 = top + lane * (lane_height + gap)
        base = y0 + lane_height
        active = [row for row in log.rows if row.shard_id == shard_id]
        throttled = sum(row.throttled for row in active)
        throttled_seconds = sum(1 for row in active if row.throttled)
        parts.append(
            f'<g class="lane" data-shard-id="{html.escape(shard_id)}" '
            f'data-throttled="{throttled}" data-throttled-seconds="{throttled_seconds}">'
            f'<text x="{label_width - 8}" y="{y0 + lane_height / 2 + 4}" font-size="11" '
            f'text-anchor="end" fill="#111">{html.escape(short_shard_label(shard_id))}</text>'
            f'<line x1="{label_width}" y1="{base}" x2="{label_width + plot_width}" y2="{base}" '
            'stroke="#999"/>'
        )
        last_active = max((row.second for row in active), default=-1)
        if 0 <= last_active < seconds - 1:
            x = round(label_width + (last_active + 1) * step, 2)
            parts.append(
                f'<rect class="idle" x="{x}" y="{y0}" width="{round(label_width + plot_width - x, 2)}" '
                f'height="{lane_height}" fill="{IDLE_FILL}"/>'
                f'<text x="{round(x + 6, 2)}" y="{y0 + lane_height / 2 + 4}" font-size="10" '
                'fill="#666">no new writes (CLOSED)</text>'
            )
        for second in range(seconds):
            row = by_cell.get((shard_id, second))
            if row is None or not row.offered:
                continue
            x = round(label_width + second * step + (step - bar) / 2, 2)
            accepted_h = round(row.accepted / scale * lane_height, 2)
            throttled_h = round(row.throttled / scale * lane_height, 2)
            state = "throttled" if row.throttled else "ok"
            parts.append(
                f'<g class="second {state}" data-second="{second}" data-offered="{row.offered}" '
                f'data-accepted="{row.accepted}" data-throttled="{row.throttled}">'
                f"<title>{html.escape(shard_id)}, second {second}: {row.offered:,} offered, "
                f"{row.accepted:,} accepted, {row.throttled:,} throttled</title>"
                f'<rect x="{x}" y="{round(base - accepted_h, 2)}" width="{round(bar, 2)}" '
                f'height="{accepted_h}" fill="{ACCEPTED_FILL}" stroke="{ACCEPTED_STROKE}" '
                'stroke-width="0.5"/>'
            )
            if row.throttled:
                parts.append(
                    f'<rect x="{x}" y="{round(base - accepted_h - throttled_h, 2)}" '
                    f'width="{round(bar, 2)}" height="{throttled_h}" fill="{THROTTLED_FILL}" '
                    f'stroke="{THROTTLED_STROKE}" stroke-width="1"/>'
                )
            parts.append("</g>")
        limit_y = round(base - limit / scale * lane_height, 2)
        parts.append(
            f'<line x1="{label_width}" y1="{limit_y}" x2="{label_width + plot_width}" '
            f'y2="{limit_y}" stroke="#333" stroke-dasharray="4 3" stroke-width="0.8"/>'
        )
        summary = f"{throttled_seconds} s throttled" if throttled else "no throttling"
        colour = THROTTLED_STROKE if throttled else "#333"
        parts.append(
            f'<text x="{label_width + plot_width + 8}" y="{y0 + lane_height / 2 + 4}" '
            f'font-size="11" fill="{colour}">{summary}</text></g>'
        )
    for second, label in sorted(log.marks.items()):
        x = round(label_width + second * step, 2)
        parts.append(
            f'<g class="mark" data-second="{second}"><line x1="{x}" y1="{top - 4}" x2="{x}" '
            f'y2="{height - 40}" stroke="{MARK_COLOUR}" stroke-width="1.5"/>'
            f'<text x="{x + 4}" y="{top + 6}" font-size="11" fill="{MARK_COLOUR}">'
            f"{html.escape(label)}</text></g>"
        )
    axis_y = height - 30
    for second in range(0, seconds, max(1, seconds // 10)):
        x = round(label_width + (second + 0.5) * step, 2)
        parts.append(
            f'<text x="{x}" y="{axis_y}" font-size="10" text-anchor="middle" fill="#333">'
            f"{second}</text>"
        )
    legend_y = height - 14
    parts.append(
        f'<text x="{label_width - 8}" y="{axis_y}" font-size="10" text-anchor="end" '
        'fill="#333">second</text>'
        f'<rect x="{label_width}" y="{legend_y - 9}" width="10" height="10" '
        f'fill="{ACCEPTED_FILL}" stroke="{ACCEPTED_STROKE}"/>'
        f'<text x="{label_width + 14}" y="{legend_y}" font-size="11" fill="#333">accepted</text>'
        f'<rect x="{label_width + 80}" y="{legend_y - 9}" width="10" height="10" '
        f'fill="{THROTTLED_FILL}" stroke="{THROTTLED_STROKE}"/>'
        f'<text x="{label_width + 94}" y="{legend_y}" font-size="11" fill="#333">refused: '
        "ProvisionedThroughputExceeded</text>"
        f'<line x1="{label_width + 330}" y1="{legend_y - 4}" x2="{label_width + 352}" '
        f'y2="{legend_y - 4}" stroke="#333" stroke-dasharray="4 3"/>'
        f'<text x="{label_width + 356}" y="{legend_y}" font-size="11" fill="#333">'
        f"{limit:,} records/s per shard (F1)</text>"
    )
    parts.append("</svg>")
    return "".join(parts)


def load_timeline(log: LoadLog) -> Any:
    """The timeline as a static picture (shows in static renderings of a lesson too)."""
    from IPython.display import HTML

    return HTML(load_timeline_svg(log))


def split_svg(
    shard: Mapping[str, Any],
    key_rates: Mapping[str, float],
    split: int,
    limit: int = SHARD_WRITE_RECORDS_PER_SEC,
    width: int = 760,
) -> str:
    """The hot shard's hash key range with its keys (bigger dot = busier key), a split line at
    ``split``, and what each child would take against the 1,000 records/s limit (F1)."""
    start, end = hash_range(shard)
    loads = keys_in_shard(shard, key_rates)
    lower, upper = child_loads(shard, key_rates, split)
    margin, bar_y, bar_h = 20, 48, 26
    bar_w = width - 2 * margin
    height = 198
    position = (split - start) / (end - start)
    busiest = max((load.rate for load in loads), default=1.0) or 1.0
    parts = _svg_open(width, height, "kinesis-split", f"Split of {shard['ShardId']}")
    parts.append(
        f'<text x="{margin}" y="16" font-size="12" fill="#333">{html.escape(shard["ShardId"])}: '
        "its hash key range, and the partition keys in it</text>"
        f'<rect x="{margin}" y="{bar_y}" width="{bar_w}" height="{bar_h}" fill="#fdbf6f" '
        'stroke="#ff7f00"/>'
        f'<text x="{margin}" y="{bar_y + bar_h + 14}" font-size="10" fill="#333">StartingHashKey'
        "</text>"
        f'<text x="{margin + bar_w}" y="{bar_y + bar_h + 14}" font-size="10" text-anchor="end" '
        'fill="#333">EndingHashKey</text>'
    )
    last_label_x, row = -1e9, 0
    for load in loads:
        x = round(margin + load.position * bar_w, 2)
        radius = round(2 + 7 * (load.rate / busiest) ** 0.5, 2)
        parts.append(
            f'<g class="key" data-key="{html.escape(load.key)}" data-rate="{load.rate:g}">'
            f"<title>{html.escape(load.key)}: {load.rate:,.0f} records/s, "
            f"hash key {load.hash_key}</title>"
            f'<circle cx="{x}" cy="{bar_y + bar_h / 2}" r="{radius}" fill="#6a3d9a" '
            'fill-opacity="0.75"/></g>'
        )
        if load.rate >= busiest / 2:  # label the busy keys, on two rows when they crowd
            row = 1 - row if x - last_label_x < 7 * len(load.key) else 0
            last_label_x = x
            parts.append(
                f'<text x="{x}" y="{bar_y - 6 - 12 * row}" font-size="10" text-anchor="middle" '
                f'fill="#6a3d9a">{html.escape(load.key)}</text>'
            )
    split_x = round(margin + position * bar_w, 2)
    parts.append(
        f'<g class="split" data-split="{split}"><line x1="{split_x}" y1="{bar_y - 4}" '
        f'x2="{split_x}" y2="{bar_y + bar_h + 24}" stroke="#c00000" stroke-width="2" '
        'stroke-dasharray="5 3"/>'
        f'<text x="{split_x}" y="{bar_y + bar_h + 36}" font-size="11" text-anchor="middle" '
        f'fill="#c00000">NewStartingHashKey ({position:.1%})</text></g>'
    )
    child_y = bar_y + bar_h + 54
    scale = max(limit * 1.5, lower, upper)
    label_w = 110
    for row, (name, value) in enumerate((("lower child", lower), ("upper child", upper))):
        y = child_y + row * 26
        over = value > limit
        fill, stroke = (THROTTLED_FILL, THROTTLED_STROKE) if over else (OK_FILL, OK_STROKE)
        length = round(value / scale * (bar_w - label_w - 150), 2)
        parts.append(
            f'<g class="child" data-child="{name}" data-rate="{value:g}" data-over="{over}">'
            f'<text x="{margin}" y="{y + 13}" font-size="11" fill="#111">{name}</text>'
            f'<rect x="{margin + label_w}" y="{y}" width="{length}" height="18" fill="{fill}" '
            f'stroke="{stroke}"/>'
            f'<text x="{margin + label_w + length + 6}" y="{y + 13}" font-size="11" '
            f'fill="{stroke}">{value:,.0f} records/s{" — over the limit" if over else ""}'
            "</text></g>"
        )
    limit_x = round(margin + label_w + limit / scale * (bar_w - label_w - 150), 2)
    parts.append(
        f'<line x1="{limit_x}" y1="{child_y - 4}" x2="{limit_x}" y2="{child_y + 48}" '
        'stroke="#333" stroke-dasharray="4 3"/>'
        f'<text x="{limit_x}" y="{child_y + 60}" font-size="10" text-anchor="middle" '
        f'fill="#333">{limit:,} records/s (F1)</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def split_picture(shard: Mapping[str, Any], key_rates: Mapping[str, float], split: int) -> Any:
    """One split as a static picture (shows in static renderings of a lesson too)."""
    from IPython.display import HTML

    return HTML(
        split_svg(shard, key_rates, split)
        + "<p>"
        + split_readout_html(shard, key_rates, split)
        + "</p>"
    )


def split_readout_html(
    shard: Mapping[str, Any],
    key_rates: Mapping[str, float],
    split: int,
    limit: int = SHARD_WRITE_RECORDS_PER_SEC,
) -> str:
    lower, upper = child_loads(shard, key_rates, split)
    fine = lower <= limit and upper <= limit
    verdict = (
        "<b style='color:#33a02c'>both children under the limit</b>"
        if fine
        else "<b style='color:#e31a1c'>a child is still over the limit</b>"
    )
    return (
        f"<code>NewStartingHashKey = {split}</code><br>lower child ≈ {lower:,.0f} records/s, "
        f"upper child ≈ {upper:,.0f} records/s: {verdict}"
    )


def split_explorer(
    shard: Mapping[str, Any], key_rates: Mapping[str, float], position: float = 0.5
) -> Any:
    """Slide the split point across the shard's range; see what each child would take."""
    import ipywidgets as widgets

    start, end = hash_range(shard)

    def split_at(fraction: float) -> int:
        return start + round(fraction * (end - start))

    slider = widgets.FloatSlider(
        value=position,
        min=0.005,
        max=0.995,
        step=0.005,
        readout_format=".1%",
        description="split at (share of the range)",
        style={"description_width": "initial"},
        layout=widgets.Layout(width="min(100%, 560px)"),
    )
    readout = widgets.HTML()
    picture = widgets.HTML()

    def show(_: Any = None) -> None:
        split = split_at(slider.value)
        readout.value = split_readout_html(shard, key_rates, split)
        picture.value = split_svg(shard, key_rates, split)

    slider.observe(show, names="value")
    show()
    box = widgets.VBox([slider, readout, picture])
    box.controls = {"position": slider}
    box.outputs = {"readout": readout, "picture": picture}
    return box
