"""Fixtures for the tests of kinesis_lab.simulation.limits and .metrics: a fresh mocked account
with the fidelity fixes and the limits installed, on a simulated lab clock.

``fake_aws_credentials``, ``shared_kinesis_client`` and ``lab_clock`` come from
tests/lab/conftest.py; the learner-style producer and consumer live in tests/sim_learners.py
(the endpoint's tests use them too), small helpers in sim_helpers.py beside this file. The
Firehose and Lambda SIMULATION tests have their own folders (firehose/, lambda/).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from moto import mock_aws

from kinesis_lab.core import clock
from kinesis_lab.mock import fidelity
from kinesis_lab.simulation import limits

REGION = "us-east-1"


@pytest.fixture
def limits_installed() -> Iterator[None]:
    """Fidelity fixes plus the limits SIMULATION for one test; the previous state restored."""
    had_fidelity, had_limits = fidelity.is_installed(), limits.is_installed()
    fidelity.install()
    limits.install()
    yield
    if not had_limits:
        limits.uninstall()
    if not had_fidelity:
        fidelity.uninstall()


@pytest.fixture
def kinesis(
    fake_aws_credentials: None,
    lab_clock: clock.SimulatedClock,
    limits_installed: None,
    shared_kinesis_client: Any,
) -> Iterator[Any]:
    """A boto3 Kinesis client with retries off (one throttle reaches the test as it is) on a
    fresh mocked account with limits on and a simulated clock."""
    with mock_aws():
        yield shared_kinesis_client


@pytest.fixture(scope="session")
def shared_cloudwatch_client() -> Any:
    return boto3.client(
        "cloudwatch",
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"total_max_attempts": 1}),
    )
