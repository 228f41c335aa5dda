"""Default mode never leaves the machine, whatever the learner's shell holds.

The proof runs in a fresh interpreter with real-looking credentials, a profile, endpoint
overrides and container-credential variables set, and with an independent audit hook (not the
course's guard) recording every socket event the whole lab makes.
"""

import json
import os
import subprocess
import sys
import textwrap

import pytest

from kinesis_lab import LabConfigurationError
from kinesis_lab.account import netguard
from kinesis_lab.account.session import resolve_settings

HOSTILE_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
    "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "AWS_SESSION_TOKEN": "FwoGZXIvYXdzEXAMPLE",
    "AWS_PROFILE": "production",
    "AWS_ENDPOINT_URL": "https://kinesis.us-east-1.amazonaws.com",
    "AWS_ENDPOINT_URL_KINESIS": "http://10.20.30.40:4566",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://169.254.170.2/v2/credentials",
    "AWS_DEFAULT_REGION": "eu-west-1",
}

LAB_SCRIPT = textwrap.dedent(
    """
    import json, sys
    events = []
    def record(event, args):
        if event in ("socket.connect", "socket.sendto", "socket.getaddrinfo",
                     "socket.gethostbyname", "socket.gethostbyaddr"):
            events.append([event, repr(args[1] if event != "socket.getaddrinfo" else args[:2])])
    sys.addaudithook(record)

    import boto3
    from kinesis_lab import start_lab
    lab = start_lab()
    k = lab.kinesis
    lab.create_stream("safety", shard_count=2)
    k.put_record(StreamName="safety", Data=b"hello", PartitionKey="device-1")
    k.put_records(StreamName="safety",
                  Records=[{"Data": b"x", "PartitionKey": str(i)} for i in range(10)])
    shard = k.list_shards(StreamName="safety")["Shards"][0]["ShardId"]
    it = k.get_shard_iterator(StreamName="safety", ShardId=shard,
                              ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    k.get_records(ShardIterator=it)
    lab.s3.create_bucket(Bucket="safety-bucket")
    lab.s3.put_object(Bucket="safety-bucket", Key="k", Body=b"v")
    lab.dynamodb.create_table(TableName="t", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    lab.cloudwatch.list_metrics()
    lab.firehose.list_delivery_streams()
    plain = boto3.client("kinesis")          # a learner's own client, default chain
    streams = plain.list_streams()["StreamNames"]
    creds = boto3.session.Session().get_credentials().get_frozen_credentials()
    print(json.dumps({"events": events, "streams": streams,
                      "access_key": creds.access_key,
                      "region": plain.meta.region_name,
                      "endpoint": plain.meta.endpoint_url,
                      "lab_endpoint": k.meta.endpoint_url}))
    """
)


@pytest.mark.slow
def test_default_lab_makes_no_network_connection_at_all():
    env = {**os.environ, **HOSTILE_ENVIRONMENT}
    result = subprocess.run(
        [sys.executable, "-c", LAB_SCRIPT], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["events"] == []  # not one connect, send or lookup, loopback included
    assert report["streams"] == ["safety"]  # the learner's own client reached the mock
    assert report["access_key"] != HOSTILE_ENVIRONMENT["AWS_ACCESS_KEY_ID"]
    assert report["region"] == "us-east-1"
    assert "10.20.30.40" not in report["endpoint"]
    assert report["lab_endpoint"] == "https://kinesis.us-east-1.amazonaws.com"


def test_a_client_pointed_at_a_real_host_is_stopped_with_a_clear_message(lab):
    import boto3
    from botocore.exceptions import HTTPClientError

    rogue = boto3.client("kinesis", endpoint_url="https://192.0.2.44")
    with pytest.raises(HTTPClientError) as failure:
        rogue.list_streams()
    assert "Blocked a network connection to 192.0.2.44:443" in str(failure.value)
    assert 'start_lab(target="aws", i_accept_aws_costs=True)' in str(failure.value)


def test_guard_is_on_while_a_lab_runs_and_off_after(lab):
    assert netguard.is_active()
    lab.stop()
    assert not netguard.is_active()


@pytest.mark.parametrize(
    ("target", "kwargs", "message"),
    [
        ("aws", {}, "i_accept_aws_costs=True"),
        ("cloud", {}, "Unknown lab target"),
        ("local", {"endpoint_url": "http://10.0.0.8:5000"}, "must be on this machine"),
        ("localstack", {"endpoint_url": "https://example.com"}, "must be on this machine"),
        ("mock", {"endpoint_url": "http://127.0.0.1:5000"}, "target is 'mock'"),
    ],
)
def test_unsafe_or_unclear_settings_are_refused(target, kwargs, message):
    with pytest.raises(LabConfigurationError, match=message):
        resolve_settings(
            target,
            "us-east-1",
            kwargs.get("endpoint_url"),
            i_accept_aws_costs=False,
            fidelity_fixes=True,
        )


def test_environment_opt_in_to_aws_needs_the_cost_acknowledgement(monkeypatch):
    monkeypatch.setenv("KINESIS_LAB_TARGET", "aws")
    with pytest.raises(LabConfigurationError, match="costs money"):
        resolve_settings(None, "us-east-1", None, False, True)
    monkeypatch.setenv("KINESIS_LAB_I_ACCEPT_AWS_COSTS", "yes")
    assert resolve_settings(None, "us-east-1", None, False, True).target == "aws"


def test_default_target_is_the_in_process_mock(monkeypatch):
    monkeypatch.delenv("KINESIS_LAB_TARGET", raising=False)
    monkeypatch.delenv("KINESIS_LAB_ENDPOINT_URL", raising=False)
    settings = resolve_settings(None, "us-east-1", None, False, True)
    assert (settings.target, settings.endpoint_url) == ("mock", None)
