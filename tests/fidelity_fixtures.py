"""Fixtures for the tests of kinesis_lab.mock.fidelity: a fake account with the fixes installed.

Loaded by the fidelity test modules with ``pytest_plugins = ["fidelity_fixtures"]``; the
helpers they share live in fidelity_helpers.py.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from moto import mock_aws

from kinesis_lab.mock import fidelity

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


@pytest.fixture
def fidelity_installed() -> Iterator[None]:
    """The fixes applied for one test; the previous state is restored afterwards."""
    was_installed = fidelity.is_installed()
    fidelity.install()
    yield
    if not was_installed:
        fidelity.uninstall()


@pytest.fixture(scope="session")
def shared_kinesis_client() -> Any:
    """One boto3 client for all fidelity tests (building one costs ~0.1 s). Fake credentials,
    and no retries, so an error reaches the test at once; mock_aws() intercepts it per test."""
    return boto3.client(
        "kinesis",
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"total_max_attempts": 1}),
    )


@pytest.fixture
def kinesis_client(
    fake_aws_credentials: None, fidelity_installed: None, shared_kinesis_client: Any
) -> Iterator[Any]:
    """A boto3 Kinesis client on a fresh mocked account with the fixes installed."""
    with mock_aws():
        yield shared_kinesis_client
