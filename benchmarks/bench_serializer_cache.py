"""CPU per call with moto's own serializer lookups against the remembered ones (serializer_cache).

Why: kinesis_lab.mock.serializer_cache claims the same responses for less CPU; this prints how
much less, per call, for the answers a lab serializes most: a 500-entry PutRecords reply, and
ListShards and DescribeStream of a 50-shard stream. The fidelity fixes are on in both, as in a
lab. Time is this process's CPU time around each call (boto3 and moto run in this thread), in
alternating blocks; the medians are printed.

    .venv/bin/python benchmarks/bench_serializer_cache.py            # 7 blocks of 40 calls
    .venv/bin/python benchmarks/bench_serializer_cache.py --blocks 3 --calls 20
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

import boto3
from moto import mock_aws

from kinesis_lab.core.facts import PUT_RECORDS_MAX_RECORDS
from kinesis_lab.mock import fidelity, serializer_cache

REGION = "us-east-1"
RECORDS = [
    {"Data": b'{"sensor": "bench", "reading": 21.5}', "PartitionKey": f"device-{i}"}
    for i in range(PUT_RECORDS_MAX_RECORDS)
]


def use_fake_credentials() -> None:
    """Nothing from a real AWS setup may reach the benchmark: fake keys, no other AWS_*."""
    for name in [n for n in os.environ if n.startswith("AWS_")]:
        del os.environ[name]
    os.environ["AWS_ACCESS_KEY_ID"] = "testing"
    os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"


def cpu_ms_per_call(call: Callable[[], object], calls: int) -> float:
    started = time.process_time()
    for _ in range(calls):
        call()
    return (time.process_time() - started) * 1000 / calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=7, help="blocks each way, alternating")
    parser.add_argument("--calls", type=int, default=40, help="calls per block")
    args = parser.parse_args()
    use_fake_credentials()
    fidelity.install()
    with mock_aws():
        kinesis = boto3.client("kinesis", region_name=REGION)
        kinesis.create_stream(StreamName="wide", ShardCount=50)
        kinesis.create_stream(StreamName="bench", ShardCount=1)
        calls = {
            "PutRecords, 500 entries": lambda: kinesis.put_records(
                StreamName="bench", Records=RECORDS
            ),
            "ListShards, 50 shards": lambda: kinesis.list_shards(StreamName="wide"),
            "DescribeStream, 50 shards": lambda: kinesis.describe_stream(StreamName="wide"),
        }
        print(f"CPU ms per call, median of {args.blocks} blocks of {args.calls} calls each way")
        print(f"{'call':<28}{'moto lookups':>14}{'remembered':>12}{'less CPU':>10}")
        for name, call in calls.items():
            stock, remembered = [], []
            for _ in range(args.blocks):
                serializer_cache.uninstall()
                stock.append(cpu_ms_per_call(call, args.calls))
                serializer_cache.install()
                remembered.append(cpu_ms_per_call(call, args.calls))
            before, after = statistics.median(stock), statistics.median(remembered)
            print(f"{name:<28}{before:>14.2f}{after:>12.2f}{1 - after / before:>10.0%}")


if __name__ == "__main__":
    main()
