"""Fixtures shared by the toolkit's tests (tests/lab/…): no real AWS setting can leak in, one
boto3 Kinesis client for the session, a simulated lab clock.

The mocked-account fixtures of one folder live in that folder's conftest.py (mock/,
simulation/, patterns/); the Firehose and Lambda SIMULATION accounts, which share the names
``aws`` and ``shared_clients``, live in tests/firehose_sim_fixtures.py and
tests/sim_lambda_fixtures.py and are imported by the conftest.py of each folder that uses them.
"""

from __future__ import annotations

import os
from typing import Any

import boto3
import pytest
from botocore.config import Config

from kinesis_lab.core import clock

REGION = "us-east-1"


@pytest.fixture
def fake_aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """No real AWS setting can leak in: clear every AWS_* variable, then set fake ones."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)


@pytest.fixture(scope="session")
def shared_kinesis_client() -> Any:
    """One boto3 client for all tests (building one costs ~0.1 s). Fake credentials, and no
    retries, so an error reaches the test at once; mock_aws() intercepts it per test."""
    return boto3.client(
        "kinesis",
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"total_max_attempts": 1}),
    )


@pytest.fixture
def lab_clock(monkeypatch: pytest.MonkeyPatch) -> clock.SimulatedClock:
    """A simulated lab clock for one test at 2026-01-15T09:00:00Z (a whole second); the
    previous clock afterwards."""
    simulated = clock.SimulatedClock()
    monkeypatch.setattr(clock, "_clock", simulated)
    return simulated
