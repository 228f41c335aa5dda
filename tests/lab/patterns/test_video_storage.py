"""Kinesis Video Streams retention rules (F57) and storage arithmetic."""

from __future__ import annotations

import pytest

from kinesis_lab.core.facts import KVS_RETENTION_HOURS_DEFAULT, KVS_RETENTION_HOURS_MAX
from kinesis_lab.patterns.video_storage import (
    RETENTION_HOURS_MAX,
    STORAGE_CASES,
    archived_playback_possible,
    check_retention,
    check_stored_gb,
    retention_hours_for,
    stored_gb,
)


def test_retention_defaults_to_zero_and_tops_out_at_ten_years():
    assert KVS_RETENTION_HOURS_DEFAULT == 0
    assert RETENTION_HOURS_MAX == KVS_RETENTION_HOURS_MAX == 87_600 == 10 * 365 * 24


@pytest.mark.parametrize(
    ("hours", "valid", "persists"),
    [(0, True, False), (1, True, True), (168, True, True), (87_600, True, True),
     (87_601, False, False), (-1, False, False), (1.5, False, False), (True, False, False)],
)  # fmt: skip
def test_check_retention(hours, valid, persists):
    verdict = check_retention(hours)
    assert (verdict.valid, verdict.persists) == (valid, persists)
    assert verdict.message


def test_zero_retention_mentions_the_service_buffer_and_no_playback():
    message = check_retention(0).message
    assert "5 min" in message and "200 MB" in message
    assert not archived_playback_possible(0)
    assert archived_playback_possible(24)
    assert not archived_playback_possible(87_601)


@pytest.mark.parametrize(
    ("mbps", "hours", "cameras", "gb"),
    [(1, 1, 1, 0.45), (2, 24, 1, 21.6), (2, 168, 50, 7_560.0), (4, 0, 10, 0.0), (0, 24, 3, 0.0)],
)
def test_stored_gb_is_bitrate_times_time(mbps, hours, cameras, gb):
    assert stored_gb(mbps, hours, cameras) == pytest.approx(gb)


def test_stored_gb_refuses_a_retention_aws_refuses():
    with pytest.raises(ValueError, match="87,600"):
        stored_gb(2, 87_601)
    with pytest.raises(ValueError):
        stored_gb(-1, 24)


def test_retention_hours_for_days_rounds_up():
    assert retention_hours_for(7) == 168
    assert retention_hours_for(0.01) == 1
    assert retention_hours_for(3650) == RETENTION_HOURS_MAX


def test_check_stored_gb_blank_wrong_right_and_raising(capsys):
    assert check_stored_gb(lambda mbps, hours, cameras: ...) is False
    assert "not yet" in capsys.readouterr().out

    assert check_stored_gb(lambda mbps, hours, cameras: mbps * hours * cameras) is False
    out = capsys.readouterr().out
    assert "✗" in out and "hint:" in out

    def right(mbps, hours, cameras):
        return mbps * 1_000_000 / 8 * 3_600 * hours * cameras / 1_000_000_000

    assert check_stored_gb(right) is True
    assert capsys.readouterr().out.count("✓") == len(STORAGE_CASES)

    assert check_stored_gb(lambda mbps, hours, cameras: 1 / 0) is False
    assert "ZeroDivisionError" in capsys.readouterr().out
