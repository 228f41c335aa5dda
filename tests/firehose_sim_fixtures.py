"""Fixtures for the tests of kinesis_lab.simulation.firehose: a fake account with the Kinesis
fixes and the Firehose simulation installed, real boto3 clients.

Imported by the conftest.py of the folders that use them (tests/lab/simulation/firehose/,
tests/lab/lessons/m09_firehose/): their names ``aws`` and ``shared_clients`` are also the
Lambda SIMULATION's (tests/sim_lambda_fixtures.py), so no common parent can hold both.
``fake_aws_credentials`` and ``lab_clock`` come from tests/lab/conftest.py; helpers are in
firehose_sim_helpers.py."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from firehose_sim_helpers import BUCKET, Lab, make_clients
from moto import mock_aws

from kinesis_lab.core import clock
from kinesis_lab.mock import fidelity
from kinesis_lab.simulation import firehose


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
