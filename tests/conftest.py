"""Shared fixtures: a fresh offline lab per test, and a local endpoint in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from ci_skip_rule import pytest_runtest_makereport  # noqa: F401  (the CI rule for skips)
from port_helpers import free_port, wait_for_port
from scheduling import mark, schedule

# Each folder has its own conftest.py, and pytest imports every one as module "conftest",
# replacing the last. A test module written before the folders (`from conftest import
# free_port`) meant this file: point "conftest" back at it before each test module is
# imported. New code imports port_helpers (or paths) instead.
_THIS = sys.modules[__name__]


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makemodule(module_path, parent):
    sys.modules["conftest"] = _THIS


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
