"""PutRecords throughput with the limits SIMULATION off and on (fidelity fixes on in both).

Why: the limits layer routes and meters every record (F1) and records shard metrics (F26); it
must not make labs noticeably slower. Each run writes ``--records`` ~100-byte records in
500-record batches into a 2-shard stream on a simulated clock that advances one second per
batch, so nothing is ever throttled and both sides do the same work. Runs alternate off/on;
the medians and the overhead are printed. Time is this process's CPU time around each
put_records call (boto3 and moto run in this thread), so other load on a shared machine does
not skew the comparison; wall-clock records/s are printed too. The budget: the limits may cost
at most 20 % more CPU time per record.

    .venv/bin/python benchmarks/bench_limits_overhead.py            # 7 runs of 20,000 records
    .venv/bin/python benchmarks/bench_limits_overhead.py --runs 5 --records 10000
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Sequence

import boto3
from moto import mock_aws

from kinesis_lab.core import clock
from kinesis_lab.core.facts import PUT_RECORDS_MAX_RECORDS
from kinesis_lab.mock import fidelity
from kinesis_lab.simulation import limits

REGION = "us-east-1"
PAYLOAD = b'{"sensor": "bench", "reading": 21.5, "unit": "C", "note": "' + b"x" * 40 + b'"}'
SHARDS = 2
OVERHEAD_BUDGET_PERCENT = 20.0


def use_fake_credentials() -> None:
    """Nothing from a real AWS setup may reach the benchmark: fake keys, no other AWS_*."""
    for name in [n for n in os.environ if n.startswith("AWS_")]:
        del os.environ[name]
    os.environ["AWS_ACCESS_KEY_ID"] = "testing"
    os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"


def batches(total: int) -> list[list[dict[str, object]]]:
    records = [{"Data": PAYLOAD, "PartitionKey": f"device-{i}"} for i in range(total)]
    size = PUT_RECORDS_MAX_RECORDS
    return [records[first : first + size] for first in range(0, total, size)]


def records_per_second(total: int) -> tuple[float, float]:
    """One run: a fresh mocked account, ``total`` records; (records per CPU second, records
    per wall-clock second), counting only the put_records calls."""
    work = batches(total)
    lab_clock = clock.use_simulated_clock()
    cpu = wall = 0.0
    with mock_aws():
        kinesis = boto3.client("kinesis", region_name=REGION)
        kinesis.create_stream(StreamName="bench", ShardCount=SHARDS)
        for batch in work:
            cpu_start, wall_start = time.process_time(), time.perf_counter()
            response = kinesis.put_records(StreamName="bench", Records=batch)
            cpu += time.process_time() - cpu_start
            wall += time.perf_counter() - wall_start
            if response["FailedRecordCount"]:
                raise RuntimeError("a record was throttled: the comparison would be unfair")
            lab_clock.advance(1)
    return total / cpu, total / wall


Runs = list[tuple[float, float]]


def measure(runs: int, total: int) -> tuple[Runs, Runs]:
    """(runs with limits off, runs with limits on), alternating run by run."""
    off: Runs = []
    on: Runs = []
    records_per_second(total // 4)  # warm-up: imports, botocore model loading
    for _ in range(runs):
        limits.uninstall()
        off.append(records_per_second(total))
        limits.install()
        on.append(records_per_second(total))
    return off, on


def side(label: str, runs: Runs) -> str:
    cpu = [r[0] for r in runs]
    return (
        f"{label}: {statistics.median(cpu):>9,.0f} records/s CPU (median; runs: "
        + ", ".join(f"{r:,.0f}" for r in cpu)
        + f"); wall-clock median {statistics.median(r[1] for r in runs):,.0f} records/s"
    )


def report(off: Runs, on: Runs, total: int) -> str:
    median_off = statistics.median(r[0] for r in off)
    median_on = statistics.median(r[0] for r in on)
    overhead = (median_off / median_on - 1) * 100  # extra CPU time per record, in %
    return "\n".join(
        [
            f"put_records: {total:,} records of {len(PAYLOAD)} B per run, "
            f"{PUT_RECORDS_MAX_RECORDS}-record batches, {SHARDS} shards, "
            f"{len(off)} runs each, nothing throttled",
            side("limits off", off),
            side("limits on ", on),
            f"overhead:   {overhead:>9.1f} % more CPU time per record with the limits SIMULATION",
            f"budget:     {OVERHEAD_BUDGET_PERCENT:>9.1f} % — "
            + ("within" if overhead <= OVERHEAD_BUDGET_PERCENT else "OVER BUDGET"),
        ]
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000, help="records per run")
    parser.add_argument("--runs", type=int, default=7, help="runs per side (at least 5)")
    args = parser.parse_args(argv)
    if args.runs < 5:
        parser.error("--runs must be at least 5 for a meaningful median")

    use_fake_credentials()
    had_fidelity, had_limits = fidelity.is_installed(), limits.is_installed()
    fidelity.install()
    try:
        off, on = measure(args.runs, args.records)
    finally:
        clock.use_real_clock()
        if not had_limits:
            limits.uninstall()
        if not had_fidelity:
            fidelity.uninstall()
    print(report(off, on, args.records))


if __name__ == "__main__":
    main()
