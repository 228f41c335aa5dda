"""Fixtures for the tests of the Lambda event source mapping SIMULATION: a fake account with
the fidelity fixes, a simulated lab clock and real boto3 clients.

Imported by the conftest.py of the folders that use them (tests/lab/simulation/lambda/,
tests/lab/lessons/m08_lambda/, tests/lab/widgets/): their names ``aws`` and ``shared_clients``
are also the Firehose SIMULATION's (tests/firehose_sim_fixtures.py), so no common parent can
hold both. What the tests import lives in sim_lambda_helpers.py. Clients are
made once per session (building one costs ~0.1 s) and ``mock_aws()`` intercepts them per test;
they are passed to every mapping so that it makes none of its own.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.config import Config
from moto import mock_aws
from sim_lambda_helpers import ACCOUNT, REGION

from kinesis_lab.core import clock
from kinesis_lab.mock import fidelity
from kinesis_lab.simulation.lambda_esm import EventSourceMapping

SERVICES = ("kinesis", "sqs", "sns", "s3", "cloudwatch")


@dataclass
class Account:
    kinesis: Any
    sqs: Any
    sns: Any
    s3: Any
    cloudwatch: Any
    clock: clock.SimulatedClock

    @property
    def clients(self) -> dict[str, Any]:
        return {"sqs": self.sqs, "sns": self.sns, "s3": self.s3, "cloudwatch": self.cloudwatch}

    def stream(self, name: str = "s", shards: int = 1) -> str:
        self.kinesis.create_stream(StreamName=name, ShardCount=shards)
        return name

    def put(self, stream: str, count: int, prefix: str = "r", key: Any = None) -> list[str]:
        """``count`` records ``prefix0, prefix1, …`` (partition key ``key(i)`` or the data),
        in PutRecords calls of 500; returns their sequence numbers in order."""
        numbers: list[str] = []
        for first in range(0, count, 500):
            batch = [
                {
                    "Data": f"{prefix}{i}".encode(),
                    "PartitionKey": key(i) if key else f"{prefix}{i}",
                }
                for i in range(first, min(count, first + 500))
            ]
            result = self.kinesis.put_records(StreamName=stream, Records=batch)
            numbers += [entry["SequenceNumber"] for entry in result["Records"]]
        return numbers

    def mapping(self, stream: str, handler: Any, **parameters: Any) -> EventSourceMapping:
        parameters.setdefault("StartingPosition", "TRIM_HORIZON")
        return EventSourceMapping(self.kinesis, stream, handler, clients=self.clients, **parameters)

    def queue(self, name: str = "dlq") -> tuple[str, str]:
        url = self.sqs.create_queue(QueueName=name)["QueueUrl"]
        return url, f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"


@pytest.fixture(scope="session")
def shared_clients() -> dict[str, Any]:
    config = Config(retries={"total_max_attempts": 1})
    return {
        service: boto3.client(
            service,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=config,
        )
        for service in SERVICES
    }


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, shared_clients: dict[str, Any]) -> Iterator[Account]:
    """A fresh mocked account with the fidelity fixes and a simulated clock for one test."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    was_installed = fidelity.is_installed()
    fidelity.install()
    simulated = clock.use_simulated_clock()
    try:
        with mock_aws():
            yield Account(**shared_clients, clock=simulated)
    finally:
        clock.use_real_clock()
        if not was_installed:
            fidelity.uninstall()
