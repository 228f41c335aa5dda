"""Fixtures for the tests of kinesis_lab.simulation.firehose: a fake account with the Kinesis
fixes and the Firehose simulation installed, a simulated lab clock, real boto3 clients. Loaded
with ``pytest_plugins = ["firehose_sim_fixtures"]``; helpers are in firehose_sim_helpers.py."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from firehose_sim_helpers import BUCKET, REGION, START, Lab, make_clients
from moto import mock_aws

from kinesis_lab.core import clock
from kinesis_lab.mock import fidelity
from kinesis_lab.simulation import firehose


@pytest.fixture
def fake_aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """No real AWS setting can leak in."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)


@pytest.fixture
def lab_clock(monkeypatch: pytest.MonkeyPatch) -> clock.SimulatedClock:
    """A simulated lab clock at 2026-01-15T09:00:00Z for one test; the previous clock after."""
    simulated = clock.SimulatedClock(START)
    monkeypatch.setattr(clock, "_clock", simulated)
    return simulated


@pytest.fixture
def simulation_installed() -> Iterator[None]:
    """The Kinesis fixes and the Firehose simulation for one test, then the previous state."""
    had_fidelity, had_firehose = fidelity.is_installed(), firehose.is_installed()
    fidelity.install()
    firehose.install()
    yield
    firehose.clear_transforms()
    if not had_firehose:
        firehose.uninstall()
    if not had_fidelity:
        fidelity.uninstall()


@pytest.fixture(scope="session")
def shared_clients() -> dict[str, Any]:
    """One set of clients for all tests (building one costs ~0.1 s); mock_aws intercepts them."""
    return make_clients()


@pytest.fixture
def aws(
    fake_aws_credentials: None,
    lab_clock: clock.SimulatedClock,
    simulation_installed: None,
    shared_clients: dict[str, Any],
) -> Iterator[Lab]:
    """A fresh mocked account with the output bucket already created."""
    with mock_aws():
        shared_clients["s3"].create_bucket(Bucket=BUCKET)
        yield Lab(clock=lab_clock, **shared_clients)
