"""Sizing a provisioned stream: shards from records/s AND bytes/s, written and read (F64).

Why: exam questions give a producer rate, a record size and a number of consumer applications
and ask for the shard count — and the trap is to size from one number only. A shard takes
1 MiB/s **or** 1,000 records/s of writes (F1) and serves 2 MiB/s of reads shared by all
standard consumers (F2), so the count is the largest of three requirements (F64):

    shards = ceil(max(records/s ÷ 1,000,  KiB/s in ÷ 1,024,  KiB/s out ÷ 2,048))

where KiB/s out = KiB/s in × the number of standard consumers (each reads everything). A
stream has at least one shard. Enhanced fan-out consumers get their own 2 MiB/s per shard
(F17) and do not count against the shared read limit.

Pure functions (no AWS client), exact arithmetic (``fractions.Fraction``) so that edges such as
exactly 1,000 records/s or exactly 1 MiB/s give exactly one shard. The lesson's "Your turn"
calculator is checked here, against cases where each of the three limits binds.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, NamedTuple

from ..core.checks import FAIL_MARK, PASS_MARK, TODO_MARK, is_blank
from ..core.facts import (
    GET_RECORDS_CALLS_PER_SEC,
    KIB,
    ON_DEMAND_DEFAULT_READ_BYTES_PER_SEC,
    ON_DEMAND_DEFAULT_WRITE_BYTES_PER_SEC,
    ON_DEMAND_DEFAULT_WRITE_RECORDS_PER_SEC,
    SHARD_READ_BYTES_PER_SEC,
    SHARD_WRITE_BYTES_PER_SEC,
    SHARD_WRITE_RECORDS_PER_SEC,
)

# F1, F2 in KiB: what F64's formula divides by.
SHARD_WRITE_KIB_PER_SEC = SHARD_WRITE_BYTES_PER_SEC // KIB  # 1,024 (F1, F64)
SHARD_READ_KIB_PER_SEC = SHARD_READ_BYTES_PER_SEC // KIB  # 2,048 (F2, F64)

# The limit that decides the shard count.
RECORDS = "records/s written"
WRITE_BYTES = "bytes/s written"
READ_BYTES = "bytes/s read"
MINIMUM = "minimum of one shard"

BINDING_EXPLAINED = {
    RECORDS: "1,000 records/s per shard (F1)",
    WRITE_BYTES: "1 MiB/s written per shard (F1)",
    READ_BYTES: "2 MiB/s read per shard, shared by the standard consumers (F2)",
    MINIMUM: "a stream has at least one shard",
}


def _exact(value: Any, name: str) -> Fraction:
    """A non-negative number as an exact fraction (0.1 is one tenth, not 0.1000000000000000055)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Fraction)):
        raise ValueError(f"{name} is a number, not {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{name} must be finite, not {value!r}")
    exact = Fraction(repr(value)) if isinstance(value, float) else Fraction(value)
    if exact < 0:
        raise ValueError(f"{name} cannot be negative ({value!r})")
    return exact


@dataclass(frozen=True)
class StreamSizing:
    """The three requirements of F64, in shards (exact fractions), and the answer."""

    records_per_sec: Fraction
    record_kib: Fraction
    consumers: int
    for_records: Fraction  # records/s ÷ 1,000 (F1)
    for_write_bytes: Fraction  # KiB/s in ÷ 1,024 (F1)
    for_read_bytes: Fraction  # KiB/s out ÷ 2,048 (F2)
    shards: int
    binding: str  # RECORDS, WRITE_BYTES, READ_BYTES or MINIMUM

    @property
    def write_kib_per_sec(self) -> Fraction:
        return self.records_per_sec * self.record_kib

    @property
    def read_kib_per_sec(self) -> Fraction:
        return self.write_kib_per_sec * self.consumers

    @property
    def requirements(self) -> dict[str, Fraction]:
        return {
            RECORDS: self.for_records,
            WRITE_BYTES: self.for_write_bytes,
            READ_BYTES: self.for_read_bytes,
        }

    @property
    def get_records_calls_per_shard(self) -> int:
        """GetRecords calls per second each shard gets if every standard consumer polls it once
        a second (an assumption: consumers choose how often they poll)."""
        return self.consumers

    @property
    def get_records_over_limit(self) -> bool:
        """More than 5 GetRecords calls per second per shard would be throttled (F3)."""
        return self.get_records_calls_per_shard > GET_RECORDS_CALLS_PER_SEC

    @property
    def fits_new_on_demand_stream(self) -> bool:
        """Within a new on-demand stream's default capacity: 4 MB/s and 4,000 records/s in,
        8 MB/s out (F11). Above it, on-demand still scales, to 2× the previous peak (F11)."""
        return (
            self.records_per_sec <= ON_DEMAND_DEFAULT_WRITE_RECORDS_PER_SEC
            and self.write_kib_per_sec * KIB <= ON_DEMAND_DEFAULT_WRITE_BYTES_PER_SEC
            and self.read_kib_per_sec * KIB <= ON_DEMAND_DEFAULT_READ_BYTES_PER_SEC
        )


def size_stream(records_per_sec: float, record_kib: float, consumers: int = 1) -> StreamSizing:
    """Shards a provisioned stream needs (F64), with each requirement and the binding limit.

    ``records_per_sec``: records written per second at peak; ``record_kib``: average record
    size in KiB (data + partition key); ``consumers``: standard (shared-throughput) consumer
    applications, each reading every record.
    """
    if isinstance(consumers, bool) or not isinstance(consumers, int) or consumers < 0:
        raise ValueError(f"consumers is a whole number of at least 0, not {consumers!r}")
    records = _exact(records_per_sec, "records_per_sec")
    size = _exact(record_kib, "record_kib")
    write_kib = records * size
    needs = {
        RECORDS: records / SHARD_WRITE_RECORDS_PER_SEC,
        WRITE_BYTES: write_kib / SHARD_WRITE_KIB_PER_SEC,
        READ_BYTES: write_kib * consumers / SHARD_READ_KIB_PER_SEC,
    }
    largest = max(needs.values())
    shards = max(1, math.ceil(largest))
    # The binding limit is the largest requirement (the first to run out as traffic grows);
    # with no traffic at all, only the one-shard minimum is left.
    binding = MINIMUM if largest == 0 else max(needs, key=lambda name: needs[name])
    return StreamSizing(
        records_per_sec=records,
        record_kib=size,
        consumers=consumers,
        for_records=needs[RECORDS],
        for_write_bytes=needs[WRITE_BYTES],
        for_read_bytes=needs[READ_BYTES],
        shards=shards,
        binding=binding,
    )


def shards_needed(records_per_sec: float, record_kib: float, consumers: int = 1) -> int:
    """Just the shard count of :func:`size_stream` (F64)."""
    return size_stream(records_per_sec, record_kib, consumers).shards


def describe(sizing: StreamSizing) -> str:
    """One line: the shard count and the limit that decides it."""
    if sizing.binding == MINIMUM:
        return "1 shard, the minimum: a stream has at least one shard"
    plural = "" if sizing.shards == 1 else "s"
    return f"{sizing.shards:,} shard{plural}, bound by {BINDING_EXPLAINED[sizing.binding]}"


# ---------------------------------------------------------------------------------------------
# Checking a learner's calculator (never raises; hints, not answers)
# ---------------------------------------------------------------------------------------------


class SizingCase(NamedTuple):
    label: str
    records_per_sec: float
    record_kib: float
    consumers: int


# Each case names the limit that binds; the values are exact in binary floating point, so a
# learner's float arithmetic meets the edges exactly as the exact reference does.
SIZING_CASES: tuple[SizingCase, ...] = (
    SizingCase("records-bound: 2,500 small records/s", 2_500, 0.5, 1),
    SizingCase("records-bound: 10,000 records/s, no consumer yet", 10_000, 0.125, 0),
    SizingCase("bytes-bound (write): 500 records/s of 8 KiB", 500, 8, 1),
    SizingCase("read-bound: 900 records/s of 1 KiB, 6 consumers", 900, 1, 6),
    SizingCase("read-bound at scale: 5,000 records/s of 200 KiB, 3 consumers", 5_000, 200, 3),
    SizingCase("exactly 1,000 records/s", 1_000, 1, 1),
    SizingCase("one record more: 1,001 records/s", 1_001, 0.25, 1),
    SizingCase("exactly 1 MiB/s in and 2 MiB/s out", 512, 2, 2),
    SizingCase("no traffic at all", 0, 1, 1),
)


def _diagnose(got: Any, case: SizingCase) -> str | None:
    """A hint for a wrong answer: which part of F64 the learner's number seems to miss."""
    sizing = size_stream(case.records_per_sec, case.record_kib, case.consumers)
    needs = sizing.requirements

    def ceil_of(*names: str) -> int:
        return max(1, math.ceil(max(needs[name] for name in names)))

    try:
        number = float(got)
    except (TypeError, ValueError):
        return "return a number of shards (an int), e.g. with math.ceil(...)"
    if number != int(number):
        return "a shard count is a whole number: round UP with math.ceil"
    if number < 1:
        return "a stream always has at least one shard, even with no traffic"
    if number == ceil_of(WRITE_BYTES, READ_BYTES) != sizing.shards:
        return "you sized from bytes only: a shard also takes at most 1,000 records/s (F1)"
    if number == ceil_of(RECORDS, WRITE_BYTES) != sizing.shards:
        return (
            "reads matter too: every standard consumer reads all the data, and they share "
            "2 MiB/s per shard (F2) — KiB/s out = KiB/s in × consumers"
        )
    if number == ceil_of(RECORDS, READ_BYTES) != sizing.shards:
        return "writes are limited to 1 MiB/s = 1,024 KiB/s per shard (F1)"
    floor = max(1, math.floor(max(needs.values())))
    if number == floor:
        return "round UP: 2.1 shards of work needs 3 shards (math.ceil)"
    return (
        "take the largest of records/s ÷ 1,000, KiB/s in ÷ 1,024 and KiB/s out ÷ 2,048, "
        "then round up (F64)"
    )


def check_shard_calculator(function: Callable[[Any, Any, Any], Any]) -> bool:
    """Check a learner's ``shards_needed(records_per_sec, record_kib, consumers)`` on cases
    where the records limit, the write-bytes limit or the read limit binds, and on the edges."""
    right = 0
    hints: list[str] = []
    for case in SIZING_CASES:
        expected = shards_needed(case.records_per_sec, case.record_kib, case.consumers)
        try:
            got = function(case.records_per_sec, case.record_kib, case.consumers)
        except Exception as error:
            print(f"{FAIL_MARK} {case.label}: raised {type(error).__name__}: {error}"[:160])
            continue
        if is_blank(got):
            print(f"{TODO_MARK} shards_needed: not yet — replace the ... with your answer.")
            return False
        try:
            matched = got == expected and float(got) == int(got)
        except (TypeError, ValueError):
            matched = False
        if matched:
            right += 1
            shown = f"{got:,}" if isinstance(got, int) else str(got)
            print(f"{PASS_MARK} {case.label}: {shown} shard(s)")
            continue
        print(f"{FAIL_MARK} {case.label}: you have {str(got)[:40]}")
        hint = _diagnose(got, case)
        if hint:
            hints.append(hint)
    for hint in dict.fromkeys(hints):
        print(f"    hint: {hint}")
    total = len(SIZING_CASES)
    print(f"{right} of {total} cases right." if right < total else f"All {total} cases right.")
    return right == total
