"""Kinesis Video Streams retention and storage arithmetic (lesson M11), from fact F57.

Why: moto's Kinesis Video Streams only creates, describes, lists and deletes streams — no media
flows — so the lesson's hands-on part is the arithmetic an architect does: is this retention
allowed, does the stream persist anything, and how much video will it keep? Storage is
bitrate × time; prices are not modelled.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from ..core.checks import FAIL_MARK, check_equal
from ..core.facts import KVS_BUFFER_MB as BUFFER_MB  # F57
from ..core.facts import KVS_BUFFER_MINUTES as BUFFER_MINUTES
from ..core.facts import KVS_RETENTION_HOURS_MAX as RETENTION_HOURS_MAX

HOURS_PER_DAY = 24
BITS_PER_BYTE = 8
SECONDS_PER_HOUR = 3_600
BYTES_PER_GB = 1_000_000_000  # decimal gigabytes, as storage is usually quoted
BITS_PER_MEGABIT = 1_000_000


class RetentionVerdict(NamedTuple):
    """Whether a DataRetentionInHours value is allowed, and what it means."""

    hours: int
    valid: bool
    persists: bool
    message: str


def check_retention(hours: int) -> RetentionVerdict:
    """Judge a DataRetentionInHours value against F57 (0 … 87,600 whole hours)."""
    if isinstance(hours, bool) or not isinstance(hours, int):
        return RetentionVerdict(hours, False, False, "retention is a whole number of hours")
    if hours < 0:
        return RetentionVerdict(hours, False, False, "retention cannot be negative")
    if hours > RETENTION_HOURS_MAX:
        return RetentionVerdict(
            hours,
            False,
            False,
            f"above the maximum of {RETENTION_HOURS_MAX:,} h (ten years, F57): AWS refuses it",
        )
    if hours == 0:
        return RetentionVerdict(
            hours,
            True,
            False,
            f"no persistence (the default, F57): consumers can read fragments only from a "
            f"service buffer of {BUFFER_MINUTES} min / {BUFFER_MB} MB; no HLS/DASH playback "
            "or clips of stored video",
        )
    return RetentionVerdict(
        hours,
        True,
        True,
        f"stored for {hours:,} h ({hours / HOURS_PER_DAY:,.1f} days); playback of stored "
        "video with HLS, DASH and clips is possible",
    )


def archived_playback_possible(hours: int) -> bool:
    """HLS/DASH sessions and GetClip need data retention greater than 0 (KVS API reference)."""
    verdict = check_retention(hours)
    return verdict.valid and verdict.persists


def stored_gb(bitrate_mbps: float, retention_hours: int, cameras: int = 1) -> float:
    """Video kept at any moment once the stream is full: bitrate × retention × cameras, in GB.

    ``bitrate_mbps`` is each camera's average bitrate in megabits per second. Retention 0
    stores nothing (only the short service buffer). Raises ValueError for a retention AWS
    would refuse.
    """
    verdict = check_retention(retention_hours)
    if not verdict.valid:
        raise ValueError(f"DataRetentionInHours={retention_hours!r}: {verdict.message}")
    if bitrate_mbps < 0 or cameras < 0:
        raise ValueError("bitrate and camera count cannot be negative")
    bits = bitrate_mbps * BITS_PER_MEGABIT * SECONDS_PER_HOUR * retention_hours * cameras
    return bits / BITS_PER_BYTE / BYTES_PER_GB


def retention_hours_for(days: float) -> int:
    """Days → DataRetentionInHours (whole hours, rounded up so nothing expires early)."""
    hours = days * HOURS_PER_DAY
    whole = int(hours)
    return whole if whole == hours else whole + 1


STORAGE_CASES = ((2, 24, 1), (2, 168, 50), (4, 0, 10), (1.5, 720, 8))
STORAGE_HINT = (
    "megabits/s × 1,000,000 ÷ 8 = bytes/s; × 3,600 × hours × cameras; ÷ 1,000,000,000 = GB"
)


def check_stored_gb(
    function: Any, cases: tuple[tuple[float, int, int], ...] = STORAGE_CASES
) -> bool:
    """Check a learner's storage function against :func:`stored_gb` (to 3 decimals).

    A blank (``...``) is "not yet"; an exception inside the learner's function is reported,
    not raised, so the lesson keeps running.
    """
    right = True
    for bitrate_mbps, hours, cameras in cases:
        label = f"my_stored_gb({bitrate_mbps}, {hours}, {cameras})"
        try:
            got = function(bitrate_mbps, hours, cameras)
        except Exception as error:  # the learner's code: report, never stop the lesson
            print(f"{FAIL_MARK} {label}: your function raised {type(error).__name__}: {error}")
            right = False
            continue
        if isinstance(got, (int, float)) and not isinstance(got, bool):
            got = round(got, 3)
        expected = round(stored_gb(bitrate_mbps, hours, cameras), 3)
        right = check_equal(label, got, expected, hint=STORAGE_HINT) and right
    return right
