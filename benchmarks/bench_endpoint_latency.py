"""Single-call latency through `make endpoint`: PutRecord with plain boto3, on the real clock.

Why: a learner's producer loop makes one call after another; issue 13 measured 13.6 ms per
PutRecord through the course's endpoint on a loaded machine. This starts ``kinesis-lab
endpoint`` (what ``make endpoint`` runs) and, for comparison, stock moto's server
(``python -m moto.server``), each in its own process on a free port, and times ``--calls``
PutRecord calls (~100-byte records, one 2-shard stream, one boto3 client each) in blocks that
alternate between the two, so load on a shared machine falls on both alike. It prints the
median and p90 of each, and the course's cost over stock moto (the fixes, the simulations,
the control channel). Wall-clock time around each call, after a warm-up.

    .venv/bin/python benchmarks/bench_endpoint_latency.py            # 500 calls each
    .venv/bin/python benchmarks/bench_endpoint_latency.py --calls 200 --no-stock
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator

import boto3
from botocore.config import Config

REGION = "us-east-1"
PAYLOAD = b'{"sensor": "bench", "reading": 21.5, "unit": "C", "note": "' + b"x" * 40 + b'"}'
BLOCK = 50  # calls per block; blocks alternate between the endpoints
WARM_UP = 30


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def serving(command: list[str], port: int) -> Iterator[str]:
    """A server process on ``port`` (its output to a temporary file); its URL."""
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                    break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        log.seek(0)
                        raise RuntimeError(
                            f"{command} did not start: {log.read()[-2000:]!r}"
                        ) from None
                    time.sleep(0.1)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            process.wait(timeout=20)


def kinesis_client(url: str):
    return boto3.client(
        "kinesis",
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"max_attempts": 1}),
    )


def prepare(client) -> None:
    client.create_stream(StreamName="latency", ShardCount=2)
    client.get_waiter("stream_exists").wait(
        StreamName="latency", WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )
    for i in range(WARM_UP):
        client.put_record(StreamName="latency", Data=PAYLOAD, PartitionKey=f"warm-{i}")


def time_block(client, first: int, count: int) -> list[float]:
    """Milliseconds of each of ``count`` PutRecord calls."""
    times = []
    for i in range(first, first + count):
        started = time.perf_counter()
        client.put_record(StreamName="latency", Data=PAYLOAD, PartitionKey=f"device-{i}")
        times.append((time.perf_counter() - started) * 1000)
    return times


def p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10)[-1]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--no-stock", action="store_true", help="skip stock moto's server")
    args = parser.parse_args(argv)
    for name in [n for n in os.environ if n.startswith("AWS_")]:
        del os.environ[name]  # nothing of a real AWS setup reaches the benchmark

    course_port, stock_port = free_port(), free_port()
    course_cmd = [sys.executable, "-m", "kinesis_lab", "endpoint", "--port", str(course_port)]
    stock_cmd = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(stock_port)]
    with contextlib.ExitStack() as stack:
        clients = {
            "kinesis-lab endpoint": kinesis_client(
                stack.enter_context(serving(course_cmd, course_port))
            )
        }
        if not args.no_stock:
            clients["stock moto server"] = kinesis_client(
                stack.enter_context(serving(stock_cmd, stock_port))
            )
        for client in clients.values():
            prepare(client)
        times: dict[str, list[float]] = {name: [] for name in clients}
        done = 0
        while done < args.calls:
            count = min(BLOCK, args.calls - done)
            for name, client in clients.items():
                times[name] += time_block(client, done, count)
            done += count

    print(f"PutRecord latency, plain boto3 over HTTP, real clock, {args.calls} calls each")
    for name, values in times.items():
        print(f"  {name:22} median {statistics.median(values):6.2f} ms   p90 {p90(values):6.2f} ms")
    if len(times) == 2:
        course, stock = (statistics.median(v) for v in times.values())
        print(
            f"  the course adds {course - stock:+.2f} ms per call at the median "
            f"({course / stock:.2f}x stock moto)"
        )


if __name__ == "__main__":
    main()
