"""Provisioned stream sizing follows F64: records/s (F1), bytes written (F1) and bytes read by
standard consumers (F2), rounded up, at least one shard; the learner's calculator is checked on
cases where each limit binds."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from kinesis_lab.core.checks import BLANK
from kinesis_lab.patterns.sizing import (
    MINIMUM,
    READ_BYTES,
    RECORDS,
    SHARD_READ_KIB_PER_SEC,
    SHARD_WRITE_KIB_PER_SEC,
    SIZING_CASES,
    WRITE_BYTES,
    check_shard_calculator,
    describe,
    shards_needed,
    size_stream,
)


def test_per_shard_limits_in_kib_are_f1_and_f2():
    assert (SHARD_WRITE_KIB_PER_SEC, SHARD_READ_KIB_PER_SEC) == (1_024, 2_048)


@pytest.mark.parametrize(
    ("records", "kib", "consumers", "shards", "binding"),
    [
        (1_000, 1, 1, 1, RECORDS),  # exactly 1,000 records/s: one shard (F1)
        (1_001, 0.25, 1, 2, RECORDS),  # one more record: two shards
        (2_500, 0.5, 1, 3, RECORDS),
        (500, 8, 1, 4, WRITE_BYTES),  # 4,000 KiB/s ÷ 1,024 = 3.9 → 4
        (1_024, 1, 0, 2, RECORDS),  # 1,024 records/s is over 1,000, although exactly 1 MiB/s
        (512, 2, 1, 1, WRITE_BYTES),  # exactly 1 MiB/s written
        (513, 2, 1, 2, WRITE_BYTES),  # just over
        (900, 1, 6, 3, READ_BYTES),  # 5,400 KiB/s read ÷ 2,048 = 2.6 → 3
        (512, 2, 2, 1, WRITE_BYTES),  # 1 MiB/s in, 2 MiB/s out: exactly one shard either way
        (512, 2, 3, 2, READ_BYTES),  # a third consumer needs a second shard
        (5_000, 200, 3, 1_465, READ_BYTES),
        (0, 1, 1, 1, MINIMUM),  # no traffic: still one shard
        (10_000, 0.1, 0, 10, RECORDS),  # 0.1 KiB exactly one tenth: 1,000 KiB/s, not over
    ],
)
def test_size_stream_takes_the_largest_requirement_rounded_up(
    records, kib, consumers, shards, binding
):
    sizing = size_stream(records, kib, consumers)
    assert sizing.shards == shards == shards_needed(records, kib, consumers)
    assert sizing.binding == binding


def test_requirements_are_exact_fractions_of_f64():
    sizing = size_stream(900, 1, 6)
    assert sizing.for_records == Fraction(900, 1_000)
    assert sizing.for_write_bytes == Fraction(900, 1_024)
    assert sizing.for_read_bytes == Fraction(900 * 6, 2_048)
    assert sizing.write_kib_per_sec == 900
    assert sizing.read_kib_per_sec == 5_400


def test_no_consumers_means_no_read_requirement():
    sizing = size_stream(2_000, 4, 0)
    assert sizing.for_read_bytes == 0
    assert sizing.shards == math.ceil(8_000 / 1_024)


def test_get_records_warning_and_on_demand_default():
    """F3: 5 GetRecords per second per shard; F11: 4 MB/s, 4,000 records/s in, 8 MB/s out."""
    assert not size_stream(100, 1, 5).get_records_over_limit
    assert size_stream(100, 1, 6).get_records_over_limit
    assert size_stream(4_000, 1, 2).fits_new_on_demand_stream  # 4,000 KiB/s = 3.9 MiB/s
    assert not size_stream(4_001, 0.5, 1).fits_new_on_demand_stream  # records over 4,000
    assert not size_stream(1_000, 5, 1).fits_new_on_demand_stream  # 5,000 KiB/s over 4 MiB/s
    assert size_stream(1_024, 4, 2).fits_new_on_demand_stream  # exactly 4 MiB/s in, 8 MiB/s out
    assert not size_stream(1_024, 4, 3).fits_new_on_demand_stream  # 12 MiB/s out


def test_describe_names_the_limit():
    assert (
        describe(size_stream(2_500, 0.5, 1)) == "3 shards, bound by 1,000 records/s per shard (F1)"
    )
    assert "2 MiB/s read" in describe(size_stream(900, 1, 6))
    assert describe(size_stream(0, 1, 1)).startswith("1 shard, the minimum")
    assert describe(size_stream(5_000, 200, 3)).startswith("1,465 shards")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((-1, 1, 1), "negative"),
        ((1, -0.5, 1), "negative"),
        ((1, 1, -1), "consumers"),
        ((1, 1, 1.5), "consumers"),
        (("10", 1, 1), "number"),
        ((float("inf"), 1, 1), "finite"),
        ((True, 1, 1), "number"),
    ],
)
def test_bad_inputs_are_refused(args, message):
    with pytest.raises(ValueError, match=message):
        size_stream(*args)


# --- the learner's calculator ---------------------------------------------------------------


def test_the_cases_cover_every_binding_limit_and_the_edges():
    bindings = {
        size_stream(c.records_per_sec, c.record_kib, c.consumers).binding for c in SIZING_CASES
    }
    assert bindings == {RECORDS, WRITE_BYTES, READ_BYTES, MINIMUM}
    answers = [shards_needed(c.records_per_sec, c.record_kib, c.consumers) for c in SIZING_CASES]
    assert 1 in answers and 2 in answers and max(answers) > 100


def float_calculator(records_per_sec, record_kib, consumers):
    """What a learner writes, in floats."""
    write_kib = records_per_sec * record_kib
    read_kib = write_kib * consumers
    return max(1, math.ceil(max(records_per_sec / 1000, write_kib / 1024, read_kib / 2048)))


def test_a_right_float_calculator_passes(capsys):
    assert check_shard_calculator(float_calculator) is True
    out = capsys.readouterr().out
    assert f"All {len(SIZING_CASES)} cases right." in out
    assert "✗" not in out


def test_a_blank_is_not_yet(capsys):
    assert check_shard_calculator(lambda r, k, c: BLANK) is False
    assert "not yet" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("calculator", "hint"),
    [
        (  # bytes only: forgets 1,000 records/s
            lambda r, k, c: max(1, math.ceil(max(r * k / 1024, r * k * c / 2048))),
            "1,000 records/s",
        ),
        (  # writes only: forgets the consumers
            lambda r, k, c: max(1, math.ceil(max(r / 1000, r * k / 1024))),
            "every standard consumer reads all the data",
        ),
        (  # rounds down
            lambda r, k, c: max(1, math.floor(max(r / 1000, r * k / 1024, r * k * c / 2048))),
            "round UP",
        ),
        (  # forgets the one-shard minimum
            lambda r, k, c: math.ceil(max(r / 1000, r * k / 1024, r * k * c / 2048)),
            "at least one shard",
        ),
        (  # reads at 1 MiB/s instead of 2
            lambda r, k, c: max(1, math.ceil(max(r / 1000, r * k / 1024, r * k * c / 1024))),
            "largest of records/s",
        ),
    ],
)
def test_wrong_calculators_fail_with_a_useful_hint(calculator, hint, capsys):
    assert check_shard_calculator(calculator) is False
    out = capsys.readouterr().out
    assert hint in out
    assert "cases right." in out


def test_a_calculator_that_raises_or_returns_junk_fails_quietly(capsys):
    assert check_shard_calculator(lambda r, k, c: 1 / 0) is False
    assert check_shard_calculator(lambda r, k, c: "three") is False
    assert check_shard_calculator(lambda r, k, c: float_calculator(r, k, c) + 0.5) is False
    out = capsys.readouterr().out
    assert "ZeroDivisionError" in out
    assert "whole number" in out
