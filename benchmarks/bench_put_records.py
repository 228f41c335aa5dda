"""PutRecords into one shard, stock moto against moto with kinesis_lab.mock.fidelity installed.

Why: stock moto scans a shard's records on every put, so a batch gets slower as the shard
fills (quadratic overall); the fixes make a put constant-time. This prints the median time of
each block of batches as the shard grows, side by side, and the overall records/s of each.

    .venv/bin/python benchmarks/bench_put_records.py                 # 100,000 records
    .venv/bin/python benchmarks/bench_put_records.py --records 20000 # a quicker run
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Sequence

import boto3
from moto import mock_aws

from kinesis_lab.core.facts import PUT_RECORDS_MAX_RECORDS
from kinesis_lab.mock import fidelity

REGION = "us-east-1"
PAYLOAD = b'{"sensor": "bench", "reading": 21.5, "unit": "C", "note": "' + b"x" * 40 + b'"}'


def use_fake_credentials() -> None:
    """Nothing from a real AWS setup may reach the benchmark: fake keys, no other AWS_*."""
    for name in [n for n in os.environ if n.startswith("AWS_")]:
        del os.environ[name]
    os.environ["AWS_ACCESS_KEY_ID"] = "testing"
    os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"


def batch_of(first: int, count: int) -> list[dict[str, object]]:
    return [{"Data": PAYLOAD, "PartitionKey": f"device-{i}"} for i in range(first, first + count)]


def time_batches(total_records: int, batch_size: int) -> list[float]:
    """Seconds per put_records call, writing ``total_records`` into a fresh 1-shard stream."""
    durations: list[float] = []
    with mock_aws():
        kinesis = boto3.client("kinesis", region_name=REGION)
        kinesis.create_stream(StreamName="bench", ShardCount=1)
        for first in range(0, total_records, batch_size):
            records = batch_of(first, min(batch_size, total_records - first))
            start = time.perf_counter()
            kinesis.put_records(StreamName="bench", Records=records)
            durations.append(time.perf_counter() - start)
    return durations


def block_medians(
    durations: Sequence[float], block: int, batch_size: int
) -> list[tuple[int, float]]:
    """(records written by the end of the block, median ms per batch in the block)."""
    return [
        (min(end, len(durations)) * batch_size, statistics.median(durations[start:end]) * 1000)
        for start, end in ((s, s + block) for s in range(0, len(durations), block))
    ]


def records_per_second(durations: Sequence[float], total_records: int) -> float:
    return total_records / sum(durations)


def report(stock: list[float], fixed: list[float], total: int, block: int, batch: int) -> str:
    lines = [
        f"put_records: {total:,} records of {len(PAYLOAD)} B, {batch}-record batches, 1 shard",
        f"median ms per batch over each block of {block} batches",
        f"{'records so far':>15} {'stock moto':>12} {'with fixes':>12}",
    ]
    for (written, stock_ms), (_, fixed_ms) in zip(
        block_medians(stock, block, batch), block_medians(fixed, block, batch), strict=True
    ):
        lines.append(f"{written:>15,} {stock_ms:>10.1f}ms {fixed_ms:>10.1f}ms")
    lines.append(
        f"{'records/s':>15} {records_per_second(stock, total):>12,.0f} "
        f"{records_per_second(fixed, total):>12,.0f}"
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000, help="records per run")
    parser.add_argument("--batch", type=int, default=PUT_RECORDS_MAX_RECORDS, help="batch size")
    parser.add_argument("--block", type=int, default=20, help="batches per printed median")
    args = parser.parse_args(argv)

    use_fake_credentials()
    was_installed = fidelity.is_installed()
    fidelity.uninstall()
    stock = time_batches(args.records, args.batch)
    fidelity.install()
    fixed = time_batches(args.records, args.batch)
    if not was_installed:
        fidelity.uninstall()
    print(report(stock, fixed, args.records, args.block, args.batch))


if __name__ == "__main__":
    main()
