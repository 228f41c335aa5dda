"""Generate events from each data generator and turn them into PutRecords entries, timed.

Why: labs and capstones generate their data on the spot, on learners' laptops; 100,000 events
of any kind should take well under a second, and so should encoding them for PutRecords. This
prints, per step, the median and best of several runs and the events per second at the median.

    .venv/bin/python benchmarks/bench_data.py                      # 100,000 events, 5 runs
    .venv/bin/python benchmarks/bench_data.py --events 20000 --runs 3
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

from kinesis_lab.data import (
    READING_TRUTH_FIELDS,
    TRANSACTION_TRUTH_FIELDS,
    batched,
    posts,
    readings,
    to_put_records_entries,
    transactions,
)

# name: (generator of n events with default options, partition key, truth fields to drop)
GENERATORS: dict[str, tuple[Callable[[int], list[dict]], str, tuple[str, ...]]] = {
    "iot.readings": (readings, "device_id", READING_TRUTH_FIELDS),
    "payments.transactions": (transactions, "account_id", TRANSACTION_TRUTH_FIELDS),
    "social.posts": (posts, "user", ()),
}


def timed(step: Callable[[], Any], runs: int) -> tuple[list[float], Any]:
    """Seconds of each run, and the last run's result."""
    seconds, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = step()
        seconds.append(time.perf_counter() - start)
    return seconds, result


def row(name: str, seconds: Sequence[float], events: int) -> str:
    median = statistics.median(seconds)
    return f"{name:<38} {median:>8.3f} {min(seconds):>8.3f} {events / median:>12,.0f}"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000, help="events per run")
    parser.add_argument("--runs", type=int, default=5, help="runs per step")
    args = parser.parse_args(argv)
    n = args.events

    print(f"{n:,} events per run, {args.runs} runs per step (default generator options)")
    print(f"{'step':<38} {'median s':>8} {'best s':>8} {'events/s':>12}")
    sizes = []
    for name, (generate, key, truth) in GENERATORS.items():
        seconds, events = timed(lambda generate=generate: generate(n), args.runs)
        print(row(name, seconds, n))
        seconds, entries = timed(
            lambda events=events, key=key, truth=truth: to_put_records_entries(
                events, key, drop=truth
            ),
            args.runs,
        )
        print(row(f"  to_put_records_entries({key})", seconds, n))
        seconds, batches = timed(lambda entries=entries: list(batched(entries)), args.runs)
        print(row("  batched", seconds, n))
        payload = sum(len(e["Data"]) for e in entries) / len(entries)
        sizes.append(f"{name}: {payload:.0f} B/record, {len(batches)} PutRecords calls")
    print("average payload (truth fields dropped): " + "; ".join(sizes))


if __name__ == "__main__":
    main()
