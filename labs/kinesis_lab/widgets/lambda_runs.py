"""Pictures of the (simulated) Lambda event source mapping: batches, retries, lanes and lag.

Why: the mapping's behaviour is a sequence of invocations nobody sees — a batch failing three
times, halves of halves closing in on a poison record, IteratorAge climbing while a slow
function falls behind. Drawn from the mapping's own invocation log and IteratorAge points,
these pictures make it visible. Drawing is done by pure functions that return SVG strings
(testable without a kernel, visible in static renderings); the explorers wire ipywidgets
controls to a fresh SIMULATION run (:mod:`kinesis_lab.lessons.m08_lambda_scenarios`). No plotting library.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..lessons import m08_lambda_scenarios as lessons
from .key_space import nice_step

FONT = "font-family:sans-serif"
OUTCOME_STYLES = {  # (fill, stroke, legend)
    "success": ("#b2df8a", "#33a02c", "success"),
    "partial-failure": ("#fdbf6f", "#ff7f00", "partial batch response"),
    "function-error": ("#fb9a99", "#e31a1c", "function error"),
    "timeout": ("#fb9a99", "#e31a1c", "timed out"),
    "invalid-response": ("#cab2d6", "#6a3d9a", "invalid response"),
}
DISCARD_FILL, DISCARD_STROKE = "#d9d9d9", "#525252"
POISON_COLOUR = "#e31a1c"
SERIES_COLOURS = ("#1f78b4", "#e31a1c", "#33a02c", "#ff7f00", "#6a3d9a", "#b15928")
KEY_COLOURS = (
    "#a6cee3",
    "#b2df8a",
    "#fdbf6f",
    "#cab2d6",
    "#fb9a99",
    "#ffff99",
    "#1f78b4",
    "#33a02c",
    "#ff7f00",
    "#6a3d9a",
)
_REPORTED = re.compile(r"batchItemFailures from (\d+)")


def _field(item: Any, name: str) -> Any:
    """An invocation's field, whether it is the simulation's dataclass or a plain row."""
    return item[name] if isinstance(item, Mapping) else getattr(item, name)


def _svg_open(width: float, height: float, css_class: str, label: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{css_class}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'style="max-width:100%;height:auto;{FONT}" role="img" '
        f'aria-label="{html.escape(label)}">'
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>'
    )


# ---------------------------------------------------------------------------------------------
# Batches and retries over the records of one shard
# ---------------------------------------------------------------------------------------------


def batch_log_svg(
    invocations: Sequence[Any],
    sequence_numbers: Sequence[str],
    *,
    poison: Iterable[int] = (),
    discards: Sequence[Any] = (),
    title: str | None = None,
    width: int = 760,
    max_rows: int = 40,
) -> str:
    """One row per invocation (top to bottom, in order), a bar over the records it carried.

    Columns are the shard's records in order (``sequence_numbers``, #0 first); ``poison``
    positions get a red band; each discard (records Lambda gave up on, F37/F40) ends the
    picture as a grey row. Bars are coloured by outcome; a partial batch response marks the
    record it reported.
    """
    positions = {n: i for i, n in enumerate(sequence_numbers)}
    count = max(len(sequence_numbers), 1)
    poison = sorted(set(poison))
    label_w, right_w, margin = 150, 150, 10
    grid_x = margin + label_w
    grid_w = width - grid_x - right_w - margin
    cell = grid_w / count
    row_h, top = 18, 58
    shown = list(invocations[:max_rows])
    hidden = len(invocations) - len(shown)
    rows = len(shown) + len(discards) + (1 if hidden > 0 else 0)
    height = top + rows * row_h + 44
    start = _field(shown[0], "started_at") if shown else 0.0

    def x_of(position: int) -> float:
        return round(grid_x + position * cell, 2)

    parts = [_svg_open(width, height, "kinesis-batch-log", title or "invocation log")]
    heading = title or "invocations, in order — each bar spans the records of its batch"
    parts.append(
        f'<text x="{margin}" y="16" font-size="13" font-weight="bold" fill="#222">'
        f"{html.escape(heading)}</text>"
    )
    # the shard itself: one small box per record
    for position in range(len(sequence_numbers)):
        bad = position in poison
        parts.append(
            f'<rect class="record{" poison" if bad else ""}" x="{x_of(position)}" y="30" '
            f'width="{max(round(cell - 1, 2), 0.5)}" height="10" '
            f'fill="{POISON_COLOUR if bad else "#f0f0f0"}" stroke="#999" stroke-width="0.5"/>'
        )
    parts.append(
        f'<text x="{margin}" y="39" font-size="11" fill="#333">records in the shard</text>'
    )
    step = 5 if count <= 50 else 10
    for position in range(0, len(sequence_numbers), step):
        parts.append(
            f'<text x="{round(x_of(position) + cell / 2, 2)}" y="52" font-size="9" '
            f'text-anchor="middle" fill="#666">#{position}</text>'
        )
    band_h = rows * row_h
    for position in poison:
        parts.append(
            f'<rect class="poison-band" x="{x_of(position)}" y="{top - 2}" '
            f'width="{round(cell, 2)}" height="{band_h}" fill="{POISON_COLOUR}" '
            'fill-opacity="0.12"/>'
        )
    y = top
    for invocation in shown:
        outcome = _field(invocation, "outcome")
        fill, stroke, _ = OUTCOME_STYLES.get(outcome, OUTCOME_STYLES["function-error"])
        first = positions.get(_field(invocation, "first_sequence_number") or "", 0)
        last = positions.get(_field(invocation, "last_sequence_number") or "", first)
        number = _field(invocation, "number")
        attempt = _field(invocation, "attempt")
        half = " ½" if _field(invocation, "bisected") else ""
        when = _field(invocation, "started_at") - start
        label = f"#{number} try {attempt}{half}  +{when:.0f} s"
        records = _field(invocation, "records")
        tip = f"invocation {number}: records #{first}–{last} ({records}), {outcome}"
        error = _field(invocation, "error")
        if error:
            tip += f"\n{error}"
        parts.append(
            f'<g class="invocation {outcome}" data-number="{number}" data-first="{first}" '
            f'data-last="{last}" data-attempt="{attempt}" '
            f'data-bisected="{str(bool(half)).lower()}"><title>{html.escape(tip)}</title>'
            f'<text x="{margin}" y="{y + 13}" font-size="11" fill="#333">{label}</text>'
        )
        if records:
            parts.append(
                f'<rect x="{x_of(first)}" y="{y + 3}" '
                f'width="{round((last - first + 1) * cell - 1, 2)}" height="{row_h - 6}" '
                f'fill="{fill}" stroke="{stroke}" stroke-width="1.2" rx="2"/>'
            )
        reported = _REPORTED.search(error or "")
        if reported and reported.group(1) in positions:
            mark = x_of(positions[reported.group(1)]) + cell / 2
            parts.append(
                f'<polygon class="reported" points="{mark - 4:.2f},{y + row_h - 1} '
                f'{mark + 4:.2f},{y + row_h - 1} {mark:.2f},{y + row_h - 8}" fill="{stroke}"/>'
            )
        parts.append(
            f'<text x="{width - right_w - margin + 8}" y="{y + 13}" font-size="11" '
            f'fill="{stroke}">{html.escape(OUTCOME_STYLES.get(outcome, ("", "", outcome))[2])}'
            "</text></g>"
        )
        y += row_h
    if hidden > 0:
        parts.append(
            f'<text x="{margin}" y="{y + 13}" font-size="11" fill="#666">… {hidden} more '
            "invocation(s) not drawn</text>"
        )
        y += row_h
    for discard in discards:
        numbers = [positions[n] for n in _field(discard, "sequence_numbers") if n in positions]
        if not numbers:
            continue
        first, last = min(numbers), max(numbers)
        condition = _field(discard, "condition")
        where = "→ destination" if _field(discard, "destination") else "→ dropped"
        parts.append(
            f'<g class="discard" data-first="{first}" data-last="{last}">'
            f"<title>{html.escape(f'{condition}: records #{first}–{last}')}</title>"
            f'<text x="{margin}" y="{y + 13}" font-size="11" fill="{DISCARD_STROKE}">'
            f"discarded {where}</text>"
            f'<rect x="{x_of(first)}" y="{y + 3}" width="{round((last - first + 1) * cell - 1, 2)}"'
            f' height="{row_h - 6}" fill="{DISCARD_FILL}" stroke="{DISCARD_STROKE}" '
            'stroke-dasharray="3 2"/>'
            f'<text x="{width - right_w - margin + 8}" y="{y + 13}" font-size="11" '
            f'fill="{DISCARD_STROKE}">{html.escape(condition)}</text></g>'
        )
        y += row_h
    legend_y = y + 16
    x = margin
    legend = [
        (OUTCOME_STYLES[k][0], OUTCOME_STYLES[k][1], OUTCOME_STYLES[k][2])
        for k in ("success", "function-error", "partial-failure")
    ]
    legend.append((DISCARD_FILL, DISCARD_STROKE, "discarded (F37, F40)"))
    legend.append((POISON_COLOUR, POISON_COLOUR, "poison record"))
    for fill, stroke, text in legend:
        parts.append(
            f'<rect x="{x}" y="{legend_y}" width="12" height="12" fill="{fill}" '
            f'stroke="{stroke}"/><text x="{x + 16}" y="{legend_y + 10}" font-size="11" '
            f'fill="#333">{html.escape(text)}</text>'
        )
        x += 26 + 6.3 * len(text)
    parts.append("</svg>")
    return "".join(parts)


def poison_summary_html(run: lessons.PoisonRun) -> str:
    """The sentence under a poison-record picture: cost, losses and duplicates."""
    parts = [
        f"<b>{html.escape(run.mode)}</b>: {len(run.invocations)} invocation(s); the shard "
        f"waited {run.blocked_seconds:g} s of lab time behind the poison record."
    ]
    sent = run.good_discarded
    if sent:
        parts.append(
            f" {len(sent)} valid record(s) were discarded with it ({lessons.positions_text(sent)})"
        )
        lost = [p for p in sent if p in run.never_stored]
        if lost:
            parts.append(
                f", <b style='color:{POISON_COLOUR}'>{len(lost)} of them never "
                f"stored</b> ({lessons.positions_text(lost)})."
            )
        else:
            parts.append(", all of them stored before the failure.")
    else:
        parts.append(" Only the poison record was discarded.")
    if run.duplicates:
        parts.append(
            f" {len(run.duplicates)} record(s) were stored more than once "
            f"({lessons.positions_text(run.duplicates)}): the handler had stored them before it "
            "failed, and Lambda sent them again."
        )
    return "<p>" + "".join(parts) + "</p>"


def batch_log_picture(run: lessons.PoisonRun, title: str | None = None) -> Any:
    """A poison run as a static picture plus its summary (shows in static renderings too)."""
    from IPython.display import HTML

    svg = batch_log_svg(
        run.invocations,
        run.sequence_numbers,
        poison=run.poison,
        discards=run.discards,
        title=title or f"SIMULATION — {run.mode}",
    )
    return HTML(svg + poison_summary_html(run))


def poison_explorer(
    kinesis: Any,
    *,
    stream_name: str = "m8-poison-explorer",
    count: int = 24,
    poison_at: int = 9,
    batch_size: int = 8,
    max_retries: int = 2,
) -> Any:
    """SIMULATION: choose how the mapping handles errors, where the poison record sits and how
    often Lambda retries; each change re-runs the mapping over a fresh stream and redraws."""
    import ipywidgets as widgets

    style = {"description_width": "initial"}
    layout = widgets.Layout(width="min(100%, 520px)")
    mode = widgets.ToggleButtons(
        options=list(lessons.POISON_MODES), value=lessons.POISON_MODES[1], description="mode"
    )
    position = widgets.IntSlider(
        value=poison_at,
        min=0,
        max=count - 1,
        description="poison record #",
        style=style,
        layout=layout,
    )
    retries = widgets.IntSlider(
        value=max_retries,
        min=0,
        max=4,
        description="MaximumRetryAttempts",
        style=style,
        layout=layout,
    )
    size = widgets.Dropdown(
        options=[4, 6, 8, 12, 24], value=batch_size, description="BatchSize", style=style
    )
    picture = widgets.HTML()
    summary = widgets.HTML()

    def show(_: Any = None) -> None:
        numbers = lessons.write_readings_with_poison(  # a fresh stream for every run
            kinesis, stream_name, count, (position.value,)
        )
        try:
            run = lessons.run_poison_scenario(
                kinesis,
                stream_name,
                numbers,
                (position.value,),
                mode.value,
                batch_size=size.value,
                max_retries=retries.value,
            )
        finally:
            lessons.delete_stream(kinesis, stream_name)  # nothing left to clean up
        picture.value = batch_log_svg(
            run.invocations,
            run.sequence_numbers,
            poison=run.poison,
            discards=run.discards,
            title=f"SIMULATION — {run.mode}, BatchSize {size.value}, "
            f"MaximumRetryAttempts {retries.value}",
        )
        summary.value = poison_summary_html(run)
        box.last_run = run

    box = widgets.VBox([mode, position, retries, size, picture, summary])
    box.controls = {"mode": mode, "poison_at": position, "retries": retries, "batch_size": size}
    box.outputs = {"picture": picture, "summary": summary}
    for control in box.controls.values():
        control.observe(show, names="value")
    show()
    return box


# ---------------------------------------------------------------------------------------------
# IteratorAge over time
# ---------------------------------------------------------------------------------------------


def iterator_age_svg(
    series: Mapping[str, Sequence[tuple[float, float]]],
    *,
    title: str = "IteratorAge after each batch (SIMULATION)",
    width: int = 760,
    height: int = 280,
) -> str:
    """IteratorAge lines: for each label, (seconds since the start, age in ms) points.

    IteratorAge is the age of the last record of a batch when the batch finishes: near zero
    while the function keeps up, climbing while it falls behind.
    """
    left, right, top, bottom = 56, 20, 34, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    points = [p for values in series.values() for p in values]
    max_t = max([t for t, _ in points] + [1.0])
    max_age = max([a / 1000 for _, a in points] + [1.0])
    t_step, a_step = nice_step(max_t), nice_step(max_age, 5)
    max_t = math.ceil(max_t / t_step) * t_step
    max_age = math.ceil(max_age / a_step) * a_step

    def sx(t: float) -> float:
        return round(left + t / max_t * plot_w, 2)

    def sy(age_s: float) -> float:
        return round(top + plot_h - age_s / max_age * plot_h, 2)

    parts = [_svg_open(width, height, "kinesis-iterator-age", title)]
    parts.append(
        f'<text x="{left}" y="18" font-size="13" font-weight="bold" fill="#222">'
        f"{html.escape(title)}</text>"
    )
    tick = 0.0
    while tick <= max_age + 1e-9:
        y = sy(tick)
        parts.append(
            f'<line x1="{left}" y1="{y}" x2="{left + plot_w}" y2="{y}" stroke="#e5e5e5"/>'
            f'<text x="{left - 6}" y="{y + 4}" font-size="10" text-anchor="end" '
            f'fill="#555">{tick:g} s</text>'
        )
        tick += a_step
    tick = 0.0
    while tick <= max_t + 1e-9:
        x = sx(tick)
        parts.append(
            f'<line x1="{x}" y1="{top + plot_h}" x2="{x}" y2="{top + plot_h + 4}" stroke="#555"/>'
            f'<text x="{x}" y="{top + plot_h + 16}" font-size="10" text-anchor="middle" '
            f'fill="#555">{tick:g}</text>'
        )
        tick += t_step
    parts.append(
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
        'stroke="#555"/>'
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#555"/>'
        f'<text x="{left + plot_w / 2}" y="{height - 6}" font-size="11" text-anchor="middle" '
        'fill="#333">lab seconds since the mapping started</text>'
        f'<text x="14" y="{top + plot_h / 2}" font-size="11" text-anchor="middle" fill="#333" '
        f'transform="rotate(-90 14 {top + plot_h / 2})">IteratorAge</text>'
    )
    for index, (label, values) in enumerate(series.items()):
        colour = SERIES_COLOURS[index % len(SERIES_COLOURS)]
        coords = " ".join(f"{sx(t)},{sy(a / 1000)}" for t, a in values)
        last = values[-1][1] / 1000 if values else 0.0
        parts.append(
            f'<g class="series" data-label="{html.escape(label)}" data-points="{len(values)}" '
            f'data-last-age-ms="{values[-1][1] if values else 0}">'
            f"<title>{html.escape(label)}: last IteratorAge {last:.1f} s</title>"
            f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2"/>'
            f'<rect x="{left + 12}" y="{top + 6 + index * 16}" width="12" height="3" '
            f'fill="{colour}"/><text x="{left + 30}" y="{top + 11 + index * 16}" '
            f'font-size="11" fill="#333">{html.escape(label)}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


def iterator_age_picture(runs: Mapping[str, lessons.LagRun]) -> Any:
    """Several slow-consumer runs on one IteratorAge chart, each described below it."""
    from IPython.display import HTML

    svg = iterator_age_svg({label: run.ages for label, run in runs.items()})
    lines = "".join(
        f"<li><b>{html.escape(label)}</b>: {html.escape(run.describe())}</li>"
        for label, run in runs.items()
    )
    return HTML(svg + f"<ul>{lines}</ul>")


def iterator_age_explorer(
    kinesis: Any,
    *,
    stream_name: str = "m8-lag-explorer",
    records_per_second: float = 20,
    seconds: float = 40,
    batch_size: int = 10,
    seconds_per_invocation: float = 1.0,
    initial: lessons.LagRun | None = None,
) -> Any:
    """SIMULATION: a producer writes steadily; choose BatchSize and how slow the function is,
    and watch IteratorAge stay flat or climb. Each change re-runs the mapping; ``initial``
    (a run already made, e.g. by the lesson) is drawn first without running again."""
    import ipywidgets as widgets

    if initial is not None:  # the controls start where the given run was made
        batch_size = initial.batch_size
        seconds_per_invocation = initial.seconds_per_invocation
        records_per_second = initial.producer.records_per_second
        seconds = initial.seconds
    style = {"description_width": "initial"}
    layout = widgets.Layout(width="min(100%, 520px)")
    size = widgets.SelectionSlider(
        options=sorted({10, 25, 50, 100, 250, 500, batch_size}),
        value=batch_size,
        description="BatchSize",
        style=style,
        layout=layout,
    )
    overhead = widgets.FloatSlider(
        value=seconds_per_invocation,
        min=0.0,
        max=3.0,
        step=0.25,
        description="seconds per invocation (fixed cost)",
        style=style,
        layout=layout,
    )
    per_record = widgets.IntSlider(
        value=5 if initial is None else round(initial.seconds_per_record * 1000),
        min=0,
        max=100,
        step=5,
        description="ms per record",
        style=style,
        layout=layout,
    )
    picture = widgets.HTML()
    summary = widgets.HTML()

    def draw(run: lessons.LagRun) -> None:
        picture.value = iterator_age_svg({f"BatchSize {run.batch_size}": run.ages})
        summary.value = f"<p>{html.escape(run.describe())}</p>"
        box.last_run = run

    def show(_: Any = None) -> None:
        try:
            run = lessons.run_slow_consumer(
                kinesis,
                stream_name,
                batch_size=size.value,
                seconds_per_invocation=overhead.value,
                seconds_per_record=per_record.value / 1000,
                records_per_second=records_per_second,
                seconds=seconds,
            )
        finally:
            lessons.delete_stream(kinesis, stream_name)  # nothing left to clean up
        draw(run)

    box = widgets.VBox([size, overhead, per_record, picture, summary])
    box.controls = {
        "batch_size": size,
        "seconds_per_invocation": overhead,
        "ms_per_record": per_record,
    }
    box.outputs = {"picture": picture, "summary": summary}
    for control in box.controls.values():
        control.observe(show, names="value")
    if initial is not None:
        draw(initial)
    else:
        show()
    return box


# ---------------------------------------------------------------------------------------------
# ParallelizationFactor: batches per shard at once, keys staying on their batcher (F35)
# ---------------------------------------------------------------------------------------------


def lanes_svg(invocations: Sequence[Any], *, title: str | None = None, width: int = 760) -> str:
    """A grid: polling rounds left to right, each shard's batchers top to bottom. Each batch
    is a box split into one coloured stripe per partition key it carried."""
    rows = sorted({(_field(i, "shard_id"), _field(i, "lane")) for i in invocations})
    rounds = sorted({_field(i, "poll") for i in invocations})
    keys = sorted({k for i in invocations for k in _field(i, "partition_keys")})
    colour = {k: KEY_COLOURS[n % len(KEY_COLOURS)] for n, k in enumerate(keys)}
    label_w, margin, row_h, top = 120, 10, 30, 40
    grid_w = width - label_w - 2 * margin
    col_w = grid_w / max(len(rounds), 1)
    legend_rows = math.ceil(len(keys) / 5)
    height = top + len(rows) * row_h + 30 + legend_rows * 18
    heading = title or "batches per polling round (SIMULATION) — one row per batcher"
    parts = [_svg_open(width, height, "kinesis-lanes", heading)]
    parts.append(
        f'<text x="{margin}" y="16" font-size="13" font-weight="bold" fill="#222">'
        f"{html.escape(heading)}</text>"
        f'<text x="{margin + label_w}" y="32" font-size="10" fill="#666">polling round →</text>'
    )
    row_of = {row: n for n, row in enumerate(rows)}
    column_of = {r: n for n, r in enumerate(rounds)}
    for (shard_id, lane), n in row_of.items():
        shard = shard_id.rsplit("-", 1)[-1].lstrip("0") or "0"
        parts.append(
            f'<text x="{margin}" y="{top + n * row_h + 19}" font-size="11" fill="#333">'
            f"shard {shard} · batcher {lane}</text>"
        )
    for invocation in invocations:
        row = row_of[(_field(invocation, "shard_id"), _field(invocation, "lane"))]
        x = margin + label_w + column_of[_field(invocation, "poll")] * col_w
        y = top + row * row_h + 4
        batch_keys = list(_field(invocation, "partition_keys"))
        box_w = max(col_w - 3, 2)
        stripe = box_w / max(len(batch_keys), 1)
        parts.append(
            f'<g class="batch" data-poll="{_field(invocation, "poll")}" '
            f'data-lane="{_field(invocation, "lane")}" data-records="{len(batch_keys)}">'
            f"<title>{html.escape(', '.join(batch_keys))}</title>"
        )
        for k, key in enumerate(batch_keys):
            parts.append(
                f'<rect x="{round(x + k * stripe, 2)}" y="{y}" width="{round(stripe, 2)}" '
                f'height="{row_h - 8}" fill="{colour[key]}"/>'
            )
        parts.append(
            f'<rect x="{round(x, 2)}" y="{y}" width="{round(box_w, 2)}" height="{row_h - 8}" '
            'fill="none" stroke="#555" stroke-width="0.8"/></g>'
        )
    legend_y = top + len(rows) * row_h + 16
    for n, key in enumerate(keys):
        x = margin + (n % 5) * 150
        y = legend_y + (n // 5) * 18
        parts.append(
            f'<rect x="{x}" y="{y}" width="12" height="12" fill="{colour[key]}" stroke="#555" '
            f'stroke-width="0.5"/><text x="{x + 16}" y="{y + 10}" font-size="11" '
            f'fill="#333">{html.escape(key)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def lanes_picture(invocations: Sequence[Any], title: str | None = None) -> Any:
    from IPython.display import HTML

    return HTML(lanes_svg(invocations, title=title))
