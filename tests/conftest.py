"""Shared fixtures: a fresh offline lab per test, and a local endpoint in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys

# Lab transitions (CREATING, UPDATING, DELETING) last 0.3 s in the suite, not a learner's 1 s:
# every lesson and quiz runs several times on the real clock, and a second per stream created
# was minutes of pure waiting. Set before anything imports kinesis_lab; kernels, endpoints and
# the grader's jail inherit it. The site's executed lessons keep 1 s
# (tools/execute_lessons.learner_environment).
os.environ.setdefault("KINESIS_LAB_TRANSITION_SECONDS", "0.3")

import pytest
from ci_skip_rule import pytest_runtest_makereport  # noqa: F401  (the CI rule for skips)
from paths import REPO
from port_helpers import running_endpoint
from scheduling import mark, schedule


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


@pytest.fixture(scope="session")
def kernel_zygote(tmp_path_factory):
    """A kernel zygote for this worker (tools/kernel_zygote): from here on, the lesson kernels
    it and its subprocesses start through tools/execute_lessons.lesson_client are forked from
    it, 0.3 CPU-s each with start_lab() instead of 1.0 (benchmarks/bench_kernel_start.py).
    Requested by the modules that run lessons and quizzes."""
    if str(REPO / "tools") not in sys.path:
        sys.path.insert(0, str(REPO / "tools"))
    from kernel_zygote.client import running_zygote

    with running_zygote(tmp_path_factory.mktemp("zygote")) as process:
        yield process


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory):
    """`kinesis-lab endpoint` (what `make endpoint` runs) on a free port, in a subprocess."""
    with running_endpoint(tmp_path_factory.mktemp("endpoint") / "endpoint.log") as running:
        yield running
