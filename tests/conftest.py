"""Shared fixtures: a fresh offline lab per test, and a local endpoint in a subprocess."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from ci_skip_rule import pytest_runtest_makereport  # noqa: F401  (the CI rule for skips)
from scheduling import mark, schedule

REPO = Path(__file__).resolve().parents[1]


def pytest_itemcollected(item):
    mark(item)  # its xdist group (tests/scheduling.py)


@pytest.hookimpl(trylast=True)  # after pytest has ordered tests by their fixtures
def pytest_collection_modifyitems(config, items):
    schedule(items)


@pytest.fixture
def lab():
    """An offline mocked lab, wiped before and stopped after the test."""
    from kinesis_lab import start_lab

    session = start_lab(quiet=True)
    session.reset()
    yield session
    session.stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process exited early: {process.communicate()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listening on port {port} after {timeout} s")


@pytest.fixture(scope="module")
def endpoint():
    """`kinesis-lab endpoint` (what `make endpoint` runs) on a free port, in a subprocess."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "kinesis_lab", "endpoint", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    wait_for_port(port, process)
    yield {"url": f"http://127.0.0.1:{port}", "port": port, "process": process}
    process.terminate()
    process.wait(timeout=20)
