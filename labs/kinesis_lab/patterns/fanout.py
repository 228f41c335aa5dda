"""Standard (shared) vs enhanced fan-out (dedicated) read throughput, as numbers and a picture.

Why: "five applications read one stream and fall behind" is an exam classic. Standard consumers
*share* each shard's 2 MiB/s and 5 GetRecords calls per second (F2, F3); every enhanced fan-out
consumer gets its *own* 2 MiB/s per shard, pushed over HTTP/2 (F17). The picture shows what
each consumer gets as the number of consumers grows. Pure functions return numbers and SVG
(testable without a kernel); :func:`fanout_explorer` adds a slider.
"""

from __future__ import annotations

import html
from typing import Any

from ..core.facts import (
    EFO_BYTES_PER_SEC_PER_SHARD,
    EFO_CONSUMERS_PER_STREAM,
    EFO_CONSUMERS_PER_STREAM_ADVANTAGE,
    EFO_DELAY_MS,
    GET_RECORDS_CALLS_PER_SEC,
    MIB,
    SHARD_READ_BYTES_PER_SEC,
    STANDARD_DELAY_MS_FIVE_CONSUMERS,
    STANDARD_DELAY_MS_ONE_CONSUMER,
)

STANDARD = "standard"
EFO = "enhanced fan-out"
MODES = (STANDARD, EFO)

# F20: propagation delay, the only points the Developer Guide gives.
STANDARD_DELAY_MS = {1: STANDARD_DELAY_MS_ONE_CONSUMER, 5: STANDARD_DELAY_MS_FIVE_CONSUMERS}

STANDARD_FILL, STANDARD_STROKE = "#a6cee3", "#1f78b4"
EFO_FILL, EFO_STROKE = "#b2df8a", "#33a02c"


def read_per_consumer(consumers: int, mode: str) -> float:
    """Bytes per second ONE consumer can read from ONE shard when ``consumers`` read it.

    Standard: the shard's 2 MiB/s is shared (F2). Enhanced fan-out: 2 MiB/s each (F17)."""
    if consumers < 1:
        raise ValueError("at least one consumer")
    if mode == STANDARD:
        return SHARD_READ_BYTES_PER_SEC / consumers
    if mode == EFO:
        return float(EFO_BYTES_PER_SEC_PER_SHARD)
    raise ValueError(f"mode is one of {MODES}")


def shard_read_total(consumers: int, mode: str) -> float:
    """Bytes per second read from one shard by all its consumers together."""
    return read_per_consumer(consumers, mode) * consumers


def get_records_calls_per_consumer(consumers: int) -> float:
    """GetRecords calls per second each standard consumer may make: 5 per shard, shared (F3)."""
    if consumers < 1:
        raise ValueError("at least one consumer")
    return GET_RECORDS_CALLS_PER_SEC / consumers


def delay_note(consumers: int, mode: str) -> str:
    """The documented propagation delay (F20), or a plain 'between' where none is given."""
    if mode == EFO:
        return f"about {EFO_DELAY_MS} ms (F20)"
    if consumers in STANDARD_DELAY_MS:
        return f"about {STANDARD_DELAY_MS[consumers]:,} ms (F20)"
    if consumers < 5:
        return "between about 200 ms (1 consumer) and 1,000 ms (5 consumers) (F20)"
    return "more than with 5 consumers (about 1,000 ms, F20): polls are spread thinner"


def _mib(value: float) -> str:
    text = f"{value / MIB:.2f}".rstrip("0").rstrip(".")
    return f"{text} MiB/s"


def fanout_svg(consumers: int, width: int = 760) -> str:
    """Two panels: what each of ``consumers`` consumers reads from one shard, standard vs EFO."""
    if not 1 <= consumers <= EFO_CONSUMERS_PER_STREAM_ADVANTAGE:
        raise ValueError(f"1 to {EFO_CONSUMERS_PER_STREAM_ADVANTAGE} consumers")
    height, top, plot_height = 250, 46, 130
    panel_width = (width - 60) / 2
    scale_max = 2.5 * MIB
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="kinesis-fanout" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'style="max-width:100%;height:auto;font-family:sans-serif" role="img" '
        f'aria-label="Read throughput per consumer with {consumers} consumers: standard vs '
        f'enhanced fan-out">',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="12" y="16" font-size="12" fill="#333">read throughput per consumer from ONE '
        f"shard, with {consumers} consumer{'s' if consumers != 1 else ''}</text>",
    ]
    for index, (mode, fill, stroke, title) in enumerate(
        (
            (STANDARD, STANDARD_FILL, STANDARD_STROKE, "Standard: GetRecords, shared"),
            (EFO, EFO_FILL, EFO_STROKE, "Enhanced fan-out: SubscribeToShard, dedicated"),
        )
    ):
        x0 = 40 + index * (panel_width + 20)
        base = top + plot_height
        parts.append(
            f'<g class="panel" data-mode="{mode}">'
            f'<text x="{x0}" y="{top - 10}" font-size="12" font-weight="bold" fill="{stroke}">'
            f"{html.escape(title)}</text>"
            f'<line x1="{x0}" y1="{base}" x2="{x0 + panel_width}" y2="{base}" stroke="#333"/>'
        )
        for tick in (0, 1, 2):
            y = round(base - tick * MIB / scale_max * plot_height, 2)
            parts.append(
                f'<line x1="{x0 - 4}" y1="{y}" x2="{x0 + panel_width}" y2="{y}" '
                f'stroke="#ddd" stroke-width="{1 if tick else 0}"/>'
                f'<text x="{x0 - 6}" y="{y + 4}" font-size="10" text-anchor="end" '
                f'fill="#333">{tick}</text>'
            )
        limit_y = round(base - SHARD_READ_BYTES_PER_SEC / scale_max * plot_height, 2)
        parts.append(
            f'<line x1="{x0}" y1="{limit_y}" x2="{x0 + panel_width}" y2="{limit_y}" '
            'stroke="#c00000" stroke-dasharray="5 3"/>'
            f'<text x="{x0 + panel_width}" y="{limit_y - 4}" font-size="10" text-anchor="end" '
            'fill="#c00000">2 MiB/s</text>'
        )
        each = read_per_consumer(consumers, mode)
        slot = panel_width / consumers
        bar = max(min(slot * 0.7, 40), 2)
        bar_height = round(each / scale_max * plot_height, 2)
        for number in range(consumers):
            x = round(x0 + number * slot + (slot - bar) / 2, 2)
            parts.append(
                f'<rect class="bar" data-consumer="{number + 1}" data-bytes-per-sec="{each!r}" '
                f'x="{x}" y="{round(base - bar_height, 2)}" width="{round(bar, 2)}" '
                f'height="{bar_height}" fill="{fill}" stroke="{stroke}">'
                f"<title>consumer {number + 1}: {_mib(each)}</title></rect>"
            )
        total = shard_read_total(consumers, mode)
        lines = [
            f"each consumer: {_mib(each)}; all together: {_mib(total)}",
            f"delay: {delay_note(consumers, mode)}",
        ]
        if mode == STANDARD:
            calls = get_records_calls_per_consumer(consumers)
            lines.insert(1, f"GetRecords per consumer: {calls:.2g} call(s)/s (5/s shared, F3)")
        else:
            lines.insert(1, "pushed over HTTP/2; own 2 MiB/s per consumer per shard (F17)")
        for row, text in enumerate(lines):
            parts.append(
                f'<text x="{x0}" y="{base + 18 + 15 * row}" font-size="11" fill="#333">'
                f"{html.escape(text)}</text>"
            )
        parts.append("</g>")
    parts.append(
        f'<text x="40" y="{height - 4}" font-size="10" fill="#666">MiB/s per consumer per shard. '
        f"Enhanced fan-out: up to {EFO_CONSUMERS_PER_STREAM} consumers per stream, "
        f"{EFO_CONSUMERS_PER_STREAM_ADVANTAGE} with On-demand Advantage (F18).</text>"
    )
    parts.append("</svg>")
    return "".join(parts)


def fanout_picture(consumers: int) -> Any:
    """The static picture (shows in static renderings of a lesson too)."""
    from IPython.display import HTML

    return HTML(fanout_svg(consumers))


def fanout_explorer(consumers: int = 5) -> Any:
    """A slider for the number of consumers; the picture follows it."""
    import ipywidgets as widgets

    slider = widgets.IntSlider(
        value=consumers,
        min=1,
        max=EFO_CONSUMERS_PER_STREAM,
        description="consumers reading the stream",
        style={"description_width": "initial"},
        layout=widgets.Layout(width="min(100%, 520px)"),
    )
    picture = widgets.HTML(fanout_svg(consumers))

    def show(change: Any) -> None:
        picture.value = fanout_svg(change["new"])

    slider.observe(show, names="value")
    box = widgets.VBox([slider, picture])
    box.controls = {"consumers": slider}
    box.outputs = {"picture": picture}
    return box


def cross_account_consumer_policy(consumer_arn: str, reader_account: str) -> dict[str, Any]:
    """A resource-based policy on an enhanced fan-out consumer letting another account read
    through it (F25): describe the consumer and subscribe to its shards."""
    partition = consumer_arn.split(":")[1] if consumer_arn.startswith("arn:") else "aws"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "LetTheAnalyticsAccountSubscribe",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{partition}:iam::{reader_account}:root"},
                "Action": ["kinesis:DescribeStreamConsumer", "kinesis:SubscribeToShard"],
                "Resource": consumer_arn,
            }
        ],
    }
