"""Fixtures for the tests of kinesis_lab.mock.fidelity: a fake account with the fixes installed.

``fake_aws_credentials`` and ``shared_kinesis_client`` come from tests/lab/conftest.py; the
helpers the tests share live in fidelity_helpers.py beside them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from moto import mock_aws

from kinesis_lab.mock import fidelity


@pytest.fixture
def fidelity_installed() -> Iterator[None]:
    """The fixes applied for one test; the previous state is restored afterwards."""
    was_installed = fidelity.is_installed()
    fidelity.install()
    yield
    if not was_installed:
        fidelity.uninstall()


@pytest.fixture
def kinesis_client(
    fake_aws_credentials: None, fidelity_installed: None, shared_kinesis_client: Any
) -> Iterator[Any]:
    """A boto3 Kinesis client on a fresh mocked account with the fixes installed."""
    with mock_aws():
        yield shared_kinesis_client
