"""Widgets that make the invisible visible: where partition keys land in the key space.

Why: a learner cannot see MD5 or a hash key range; a picture of the 128-bit key space split
into shards, with each key marked where its hash falls, turns F6 into something to look at.
Drawing is done by pure functions that return SVG or HTML strings (testable without a kernel,
and visible in static renderings of a notebook); the ipywidgets wiring is a thin layer on top.
No plotting library: plain inline SVG inside ``ipywidgets.HTML``.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from ..core.facts import HASH_KEY_SPACE, PARTITION_KEY_MAX_CHARS
from ..core.keys import hash_key_for, hash_range, is_open, position_in_key_space, shard_for_key

# ColorBrewer "Paired": (light fill, dark stroke) per open shard, readable for most colour
# vision types and dark enough for text on the light fill.
SHARD_COLOURS = (
    ("#a6cee3", "#1f78b4"),
    ("#b2df8a", "#33a02c"),
    ("#fdbf6f", "#ff7f00"),
    ("#cab2d6", "#6a3d9a"),
    ("#fb9a99", "#e31a1c"),
    ("#ffff99", "#b15928"),
)
CLOSED_FILL = "#f2f2f2"
CLOSED_STROKE = "#999999"
HIGHLIGHT_COLOUR = "#c00000"
UNROUTED_COLOUR = "#555555"
HATCH_ID = "kinesis-lab-closed-hatch"

MARGIN = 16
FONT = "font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace"
CHAR_WIDTH = 6.6  # approximate width of one 11px monospace character, for label layout
LABEL_ROWS = 3
LABEL_MAX_CHARS = 18

# Axis ticks: quarter points of the key space, labelled the way exam material writes them.
AXIS_TICKS = (
    (0, "0"),
    (2**126, "2¹²⁶"),
    (2**127, "2¹²⁷"),
    (3 * 2**126, "3·2¹²⁶"),
    (HASH_KEY_SPACE - 1, "2¹²⁸−1"),
)


class KeyPlacement(NamedTuple):
    """Where one partition key lands: its hash key, position on the ring and shard."""

    partition_key: str
    hash_key: int
    md5_hex: str
    position: float
    shard_id: str | None  # None when no open shard covers the hash key


def place_key(partition_key: str, shards: Iterable[Mapping[str, Any]]) -> KeyPlacement:
    """Hash a partition key (F6) and find the open shard that owns it."""
    shards = list(shards)
    hash_key = hash_key_for(partition_key)
    try:
        shard_id: str | None = shard_for_key(partition_key, shards)
    except LookupError:
        shard_id = None
    return KeyPlacement(
        partition_key, hash_key, f"{hash_key:032x}", position_in_key_space(hash_key), shard_id
    )


def nice_step(span: float, target: int = 6) -> float:
    """A round axis step (1, 2 or 5 × a power of ten) giving about ``target`` ticks over
    ``span``; the charts of the lessons and capstones share it."""
    if span <= 0:
        return 1.0
    raw = span / target
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return factor * power
    return 10 * power


def short_shard_label(shard_id: str) -> str:
    """'shardId-000000000003' → 'shard 3', for segments too narrow for the full id."""
    digits = shard_id.rsplit("-", 1)[-1]
    return f"shard {int(digits)}" if digits.isdigit() else shard_id


def shard_colours(shard_id: str, fallback_index: int = 0) -> tuple[str, str]:
    """(fill, stroke) of an open shard, keyed by its number so colours survive a reshard."""
    digits = shard_id.rsplit("-", 1)[-1]
    index = int(digits) if digits.isdigit() else fallback_index
    return SHARD_COLOURS[index % len(SHARD_COLOURS)]


def _fit_label(text: str, width: float) -> str:
    if len(text) * CHAR_WIDTH <= width - 6:
        return text
    return ""


def _truncate(text: str, limit: int = LABEL_MAX_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _x(position: float, bar_width: float) -> float:
    return round(MARGIN + position * bar_width, 2)


def _shard_segment(
    shard: Mapping[str, Any], y: float, height: float, bar_width: float, colour_index: int
) -> tuple[str, str]:
    """(shape, label) of one shard: labels are drawn last, over the key markers."""
    start, end = hash_range(shard)
    x = _x(position_in_key_space(start), bar_width)
    x_end = _x((end + 1) / HASH_KEY_SPACE, bar_width)
    width = max(round(x_end - x, 2), 1.0)
    shard_id = str(shard["ShardId"])
    open_ = is_open(shard)
    share = (end - start + 1) / HASH_KEY_SPACE
    if open_:
        fill, stroke = shard_colours(shard_id, colour_index)
        rect_style = f'fill="{fill}" stroke="{stroke}" stroke-width="1.5"'
        text_colour, halo = "#111", fill
    else:
        rect_style = (
            f'fill="url(#{HATCH_ID})" stroke="{CLOSED_STROKE}" stroke-width="1" '
            'stroke-dasharray="4 3"'
        )
        text_colour, halo = "#666", CLOSED_FILL
    state = "OPEN" if open_ else "CLOSED"
    title = html.escape(
        f"{shard_id} ({state})\nStartingHashKey {start}\nEndingHashKey {end}\n"
        f"{share:.1%} of the key space"
    )
    parts = [
        f'<g class="shard {state.lower()}" data-shard-id="{html.escape(shard_id)}" '
        f'data-state="{state}" data-start="{start}" data-end="{end}">',
        f"<title>{title}</title>",
        f'<rect x="{x}" y="{y}" width="{width}" height="{height}" {rect_style}/>',
    ]
    parts.append("</g>")
    label = _fit_label(shard_id, width) or _fit_label(short_shard_label(shard_id), width)
    if not label:
        return "".join(parts), ""
    centre = round(x + width / 2, 2)
    text_style = (
        f'text-anchor="middle" fill="{text_colour}" stroke="{halo}" stroke-width="3" '
        f'paint-order="stroke" style="{FONT}"'
    )
    two_lines = open_ and height >= 30
    label_y = y + height / 2 - (3 if two_lines else -4)
    labels = [
        '<g class="shard-label" pointer-events="none">',
        f'<text x="{centre}" y="{label_y}" font-size="11" {text_style}>{html.escape(label)}</text>',
    ]
    if two_lines:
        labels.append(
            f'<text x="{centre}" y="{y + height / 2 + 11}" font-size="10" {text_style}>'
            f"{share:.1%}</text>"
        )
    labels.append("</g>")
    return "".join(parts), "".join(labels)


def _label_rows(placements: Sequence[KeyPlacement], bar_width: float) -> list[int]:
    """Stagger key labels over a few rows so neighbouring labels do not overlap."""
    row_ends = [-1e9] * LABEL_ROWS
    rows = [0] * len(placements)
    order = sorted(range(len(placements)), key=lambda i: placements[i].position)
    for i in order:
        x = _x(placements[i].position, bar_width)
        half = len(_truncate(placements[i].partition_key)) * CHAR_WIDTH / 2
        free = [r for r in range(LABEL_ROWS) if row_ends[r] < x - half - 4]
        row = free[0] if free else min(range(LABEL_ROWS), key=lambda r: row_ends[r])
        rows[i] = row
        row_ends[row] = x + half
    return rows


def _key_marker(
    placement: KeyPlacement,
    bar_y: float,
    bar_height: float,
    label_y: float,
    bar_width: float,
    colour: str,
    highlight: bool,
) -> str:
    x = _x(placement.position, bar_width)
    width = 2.5 if highlight else 1.5
    weight = "bold" if highlight else "normal"
    owner = placement.shard_id or "no open shard"
    title = html.escape(
        f"partition key {placement.partition_key!r}\nMD5 {placement.md5_hex}\n"
        f"hash key {placement.hash_key}\n{placement.position:.2%} of the key space → {owner}"
    )
    label = html.escape(_truncate(placement.partition_key))
    anchor = "start" if x < MARGIN + 40 else "end" if x > MARGIN + bar_width - 40 else "middle"
    classes = "key highlight" if highlight else "key"
    return (
        f'<g class="{classes}" data-key="{html.escape(placement.partition_key)}" '
        f'data-hash-key="{placement.hash_key}" data-position="{placement.position!r}" '
        f'data-shard-id="{html.escape(placement.shard_id or "")}">'
        f"<title>{title}</title>"
        f'<line x1="{x}" y1="{bar_y - 6}" x2="{x}" y2="{bar_y + bar_height + 4}" '
        f'stroke="{colour}" stroke-width="{width}"/>'
        f'<polygon points="{x - 4},{bar_y - 10} {x + 4},{bar_y - 10} {x},{bar_y - 3}" '
        f'fill="{colour}"/>'
        f'<line x1="{x}" y1="{bar_y + bar_height + 4}" x2="{x}" y2="{label_y - 10}" '
        f'stroke="{colour}" stroke-width="0.75" stroke-dasharray="2 2"/>'
        f'<text x="{x}" y="{label_y}" text-anchor="{anchor}" font-size="11" '
        f'font-weight="{weight}" fill="{colour}" style="{FONT}">{label}</text>'
        "</g>"
    )


def hash_ring_svg(
    shards: Iterable[Mapping[str, Any]],
    keys: Iterable[str] = (),
    highlight: str | None = None,
    width: int = 760,
) -> str:
    """The 128-bit key space as a bar split into shard ranges, with each key marked.

    ``shards`` are shard descriptions as ListShards returns them. Open shards are drawn in
    colour on the main bar; closed shards (after a reshard) on a hatched, dashed lane above
    it, since their ranges overlap their children's. Every key is drawn at its hash key
    position in the colour of the open shard that owns it; ``highlight`` adds one more key,
    drawn boldly (the key typed into the explorer).
    """
    shards = sorted(shards, key=lambda s: (hash_range(s)[0], str(s["ShardId"])))
    open_shards = [s for s in shards if is_open(s)]
    closed_shards = [s for s in shards if not is_open(s)]
    bar_width = width - 2 * MARGIN
    colour_of = {s["ShardId"]: shard_colours(s["ShardId"], i)[1] for i, s in enumerate(open_shards)}

    keys = [k for k in dict.fromkeys(keys) if k != highlight]
    placements = [place_key(k, shards) for k in keys]
    highlighted = place_key(highlight, shards) if highlight else None

    body: list[str] = []
    segments: list[tuple[str, str]] = []
    y = 0.0
    if closed_shards:
        body.append(
            f'<text x="{MARGIN}" y="{y + 12}" font-size="11" fill="#666">'
            "CLOSED shards — read-only until retention expires, no new writes</text>"
        )
        segments += [_shard_segment(s, y + 18, 22, bar_width, 0) for s in closed_shards]
        y += 48
    body.append(
        f'<text x="{MARGIN}" y="{y + 12}" font-size="11" fill="#333">'
        f"OPEN shards — hash key space 0 … 2¹²⁸−1 ({len(open_shards)} shard"
        f"{'' if len(open_shards) == 1 else 's'})</text>"
    )
    bar_y = y + 30
    bar_height = 40.0
    segments += [
        _shard_segment(s, bar_y, bar_height, bar_width, i) for i, s in enumerate(open_shards)
    ]
    body += [shape for shape, _ in segments]

    # Axis under the bar.
    axis_y = bar_y + bar_height
    for value, text in AXIS_TICKS:
        x = _x(position_in_key_space(value), bar_width)
        anchor = "start" if value == 0 else "end" if value == HASH_KEY_SPACE - 1 else "middle"
        body.append(
            f'<line x1="{x}" y1="{axis_y}" x2="{x}" y2="{axis_y + 5}" stroke="#333"/>'
            f'<text x="{x}" y="{axis_y + 16}" text-anchor="{anchor}" font-size="10" '
            f'fill="#333">{text}</text>'
        )

    all_marks = placements + ([highlighted] if highlighted else [])
    rows = _label_rows(all_marks, bar_width)
    first_label_y = axis_y + 36
    for placement, row in zip(all_marks, rows, strict=True):
        is_highlight = placement is highlighted
        if is_highlight:
            colour = HIGHLIGHT_COLOUR
        else:
            colour = colour_of.get(placement.shard_id, UNROUTED_COLOUR)
        body.append(
            _key_marker(
                placement,
                bar_y,
                bar_height,
                first_label_y + 14 * row,
                bar_width,
                colour,
                is_highlight,
            )
        )

    body += [label for _, label in segments]  # over the markers, so they stay readable

    height = int(first_label_y + 14 * (LABEL_ROWS if all_marks else 0) + 4)
    defs = (
        f'<defs><pattern id="{HATCH_ID}" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)">'
        f'<rect width="6" height="6" fill="{CLOSED_FILL}"/>'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="#c8c8c8" stroke-width="2"/></pattern></defs>'
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="kinesis-hash-ring" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'style="max-width:100%;height:auto;font-family:sans-serif" role="img" '
        f'aria-label="Hash key space of {len(open_shards)} open shards with '
        f'{len(all_marks)} partition keys">'
        f"{defs}"
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>'
        + "".join(body)
        + "</svg>"
    )


def key_readout_html(text: str, shards: Iterable[Mapping[str, Any]]) -> str:
    """What the explorer shows for a typed partition key: hash key, position and shard."""
    if text == "":
        return "<i>Type a partition key to see its MD5 hash key and the shard that owns it.</i>"
    if len(text) > PARTITION_KEY_MAX_CHARS:
        return (
            f"<b style='color:{HIGHLIGHT_COLOUR}'>Too long:</b> a partition key has 1 to "
            f"{PARTITION_KEY_MAX_CHARS} characters (F6); this one has {len(text)}. "
            "Kinesis would reject it."
        )
    placement = place_key(text, shards)
    owner = placement.shard_id or "no open shard covers this hash key"
    rows = (
        ("partition key", html.escape(repr(text))),
        ("MD5 (hex, 128 bits)", placement.md5_hex),
        ("hash key (decimal)", str(placement.hash_key)),
        ("position in key space", f"{placement.position:.4%}"),
        ("target shard", f"<b>{html.escape(owner)}</b>"),
    )
    cells = "".join(
        f"<tr><td style='padding-right:1em'>{name}</td><td><code>{value}</code></td></tr>"
        for name, value in rows
    )
    return f"<table class='kinesis-key-readout'>{cells}</table>"


def hash_ring_picture(shards: Iterable[Mapping[str, Any]], keys: Iterable[str] = ()) -> Any:
    """A static picture of the hash ring (shows in static HTML renderings of a lesson too)."""
    from IPython.display import HTML

    return HTML(hash_ring_svg(shards, keys))


def hash_ring_explorer(
    shards: Iterable[Mapping[str, Any]], keys: Iterable[str] = (), width: int = 760
) -> Any:
    """Type a partition key and see at once its hash key, position and target shard.

    ``shards``: shard descriptions as ListShards returns them; ``keys``: partition keys to
    mark on the ring as well.
    """
    import ipywidgets as widgets

    shards = list(shards)
    keys = list(keys)
    key_input = widgets.Text(
        placeholder="type a partition key, e.g. sensor-42",
        description="Partition key",
        continuous_update=True,
        style={"description_width": "initial"},
        layout=widgets.Layout(width="min(100%, 480px)"),
    )
    readout = widgets.HTML(key_readout_html("", shards))
    picture = widgets.HTML(hash_ring_svg(shards, keys, width=width))

    def show(change: Mapping[str, Any]) -> None:
        text = change["new"]
        readout.value = key_readout_html(text, shards)
        valid = 0 < len(text) <= PARTITION_KEY_MAX_CHARS
        picture.value = hash_ring_svg(shards, keys, highlight=text if valid else None, width=width)

    key_input.observe(show, names="value")
    return widgets.VBox([key_input, readout, picture])
