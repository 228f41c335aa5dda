"""The Lambda SIMULATION follows UpdateEventSourceMapping at once, and stops only what it started.

- A learner's ``update_event_source_mapping`` (a batching window, F36) reaches the simulated
  pollers at the next request, even in the same wall-clock second as the create: moto stamps
  LastModified to the second, so the settings themselves are compared.
- moto's own per-record invocation (Docker) stays silenced while any SimulatedLambda watches —
  a lesson's pollers and the endpoint's, per region — and comes back, exactly, after the last.
"""

from __future__ import annotations

import io
import json
import zipfile

import boto3
import pytest
from moto.awslambda.models import LambdaBackend
from sim_lambda_helpers import REGION

from kinesis_lab.simulation import lambda_account
from kinesis_lab.simulation.lambda_account import SimulatedLambda

TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)
HANDLER = 'def handler(event, context):\n    print("batch", len(event["Records"]))\n'


def zipped(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("lambda_function.py", source)
    return buffer.getvalue()


@pytest.fixture
def lam(aws):
    client = boto3.client("lambda", region_name=REGION)
    role = boto3.client("iam", region_name=REGION).create_role(
        RoleName="fn-role", AssumeRolePolicyDocument=TRUST
    )["Role"]["Arn"]
    client.create_function(
        FunctionName="fn",
        Runtime="python3.12",
        Role=role,
        Handler="lambda_function.handler",
        Code={"ZipFile": zipped(HANDLER)},
    )
    return client


def test_an_update_in_the_same_second_reaches_the_pollers(aws, lam):
    aws.stream("s")
    arn = aws.kinesis.describe_stream_summary(StreamName="s")["StreamDescriptionSummary"][
        "StreamARN"
    ]
    service = SimulatedLambda(lam, aws.kinesis, clients=aws.clients, write_logs=False).watch()
    try:
        uuid = lam.create_event_source_mapping(
            FunctionName="fn", EventSourceArn=arn, StartingPosition="TRIM_HORIZON"
        )["UUID"]
        assert service.engine(uuid).settings.maximum_batching_window_seconds == 0
        lam.update_event_source_mapping(UUID=uuid, MaximumBatchingWindowInSeconds=10)
        assert service.engine(uuid).settings.maximum_batching_window_seconds == 10

        aws.put("s", 3)  # the window (F36) now holds the batch back for 10 s of lab time
        started = aws.clock.now()
        (invocation,) = service.run_until_idle(max_seconds=60)
        assert invocation.records == 3
        assert invocation.started_at - started == pytest.approx(10, abs=1.5)
    finally:
        service.unwatch()


def test_moto_stays_silenced_until_the_last_watcher_stops(aws, lam, monkeypatch):
    # Only this test's watchers count: a lesson's pollers from an earlier test in this process
    # (kinesis_lab.lessons.m08_lambda keeps one per lab) must not make moto look silenced.
    monkeypatch.setattr(lambda_account, "_silencers", set())
    monkeypatch.setattr(lambda_account, "_stock_send", [])
    stock = LambdaBackend.__dict__["send_kinesis_message"]
    monkeypatch.setattr(LambdaBackend, "send_kinesis_message", stock)  # put back afterwards
    first = SimulatedLambda(lam, aws.kinesis, clients=aws.clients).watch()
    second = SimulatedLambda(lam, aws.kinesis, clients=aws.clients).watch()
    try:
        assert LambdaBackend.__dict__["send_kinesis_message"] is not stock
        SimulatedLambda(lam, aws.kinesis).unwatch()  # never watched: changes nothing
        first.unwatch()
        assert LambdaBackend.__dict__["send_kinesis_message"] is not stock
        second.unwatch()
        assert LambdaBackend.__dict__["send_kinesis_message"] is stock
        second.unwatch()  # again: still nothing to put back
        assert LambdaBackend.__dict__["send_kinesis_message"] is stock
    finally:
        first.unwatch()
        second.unwatch()
