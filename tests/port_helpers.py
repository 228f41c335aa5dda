"""A free local port, waiting until a process listens on it, and a `kinesis-lab endpoint` in a
subprocess (the endpoint fixture in tests/conftest.py, and the tests that start their own)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process exited early with {process.returncode}: see its log")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listening on port {port} after {timeout} s")


@contextlib.contextmanager
def running_endpoint(log: Path, *options: str) -> Iterator[dict]:
    """`kinesis-lab endpoint` (what `make endpoint` runs) on a free port, in a subprocess, its
    output in ``log`` (a pipe nobody reads would fill and stall it); stopped on the way out."""
    port = free_port()
    with open(log, "w") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "kinesis_lab", "endpoint", "--port", str(port), *options],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    try:
        wait_for_port(port, process)
        yield {"url": f"http://127.0.0.1:{port}", "port": port, "process": process, "log": log}
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
