"""`make endpoint`: the fixed mock over HTTP on 127.0.0.1, used by an opted-in lab."""

import subprocess
import sys

import pytest

from kinesis_lab import start_lab
from kinesis_lab.account.endpoint import EndpointError, start_endpoint, usage_lines
from kinesis_lab.clients.readers import read_shard

pytestmark = pytest.mark.slow


@pytest.fixture
def local_lab(endpoint):
    session = start_lab(target="local", endpoint_url=endpoint["url"], quiet=True)
    session.reset()
    yield session
    session.stop()


def test_opt_in_lab_works_against_the_local_endpoint(local_lab, endpoint):
    assert local_lab.kinesis.meta.endpoint_url == endpoint["url"]
    local_lab.create_stream("cli-lab", shard_count=2)
    response = local_lab.kinesis.put_record(StreamName="cli-lab", Data=b"hi", PartitionKey="a")
    records = read_shard(local_lab.kinesis, "cli-lab", response["ShardId"])
    assert [r["Data"] for r in records] == [b"hi"]


def test_endpoint_serves_the_fixed_mock(local_lab):
    """After a split, writes go to the open children (F22) — over HTTP too."""
    k = local_lab.kinesis
    local_lab.create_stream("split-me", shard_count=1)
    parent = k.list_shards(StreamName="split-me")["Shards"][0]
    k.split_shard(
        StreamName="split-me", ShardToSplit=parent["ShardId"], NewStartingHashKey=str(2**127)
    )
    shard_ids = {
        k.put_record(StreamName="split-me", Data=b"x", PartitionKey=str(i))["ShardId"]
        for i in range(50)
    }
    assert parent["ShardId"] not in shard_ids
    assert len(shard_ids) == 2


def test_reset_wipes_the_endpoint(local_lab):
    local_lab.create_stream("temp", shard_count=1)
    local_lab.reset()
    assert local_lab.kinesis.list_streams()["StreamNames"] == []


def test_guard_still_blocks_real_hosts_with_a_local_target(local_lab):
    import boto3
    from botocore.exceptions import HTTPClientError

    with pytest.raises(HTTPClientError, match="Blocked a network connection"):
        boto3.client("kinesis", endpoint_url="https://192.0.2.7").list_streams()


def test_usage_prints_the_exact_cli_line(endpoint):
    lines = usage_lines(endpoint["url"])
    assert f"  aws --endpoint-url {endpoint['url']} kinesis list-streams" in lines


def test_busy_port_gives_a_clear_message(endpoint):
    result = subprocess.run(
        [sys.executable, "-m", "kinesis_lab", "endpoint", "--port", str(endpoint["port"])],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert f"Port {endpoint['port']} on 127.0.0.1 is already in use" in result.stderr
    assert f"make endpoint PORT={endpoint['port'] + 1}" in result.stderr


def test_endpoint_refuses_to_listen_beyond_this_machine():
    with pytest.raises(EndpointError, match="only listens on this machine"):
        start_endpoint(host="0.0.0.0", port=0)


def test_cli_cleanup_lists_then_deletes_only_lab_resources(endpoint, local_lab):
    from kinesis_lab.account.labresources import mark_lab_resources

    mark_lab_resources(local_lab.all_clients())  # as on AWS
    local_lab.kinesis.create_stream(StreamName="tagged", ShardCount=1)
    local_lab.stop()
    start_lab(target="local", endpoint_url=endpoint["url"], quiet=True).kinesis.create_stream(
        StreamName="learners-own", ShardCount=1
    )
    base = [
        sys.executable,
        "-m",
        "kinesis_lab",
        "cleanup",
        "--target",
        "local",
        "--endpoint-url",
        endpoint["url"],
    ]
    listed = subprocess.run(base, capture_output=True, text=True, timeout=60)
    assert "kinesis: kinesis-lab-tagged" in listed.stdout
    assert "Dry run: nothing deleted" in listed.stdout
    deleted = subprocess.run([*base, "--yes"], capture_output=True, text=True, timeout=60)
    assert "Deleted 1 resource(s)." in deleted.stdout
    remaining = start_lab(target="local", endpoint_url=endpoint["url"], quiet=True)
    assert remaining.kinesis.list_streams()["StreamNames"] == ["learners-own"]


def test_endpoint_simulates_write_throttling(local_lab):
    """F1 over HTTP: 2,500 records in well under two seconds cannot all fit one shard."""
    local_lab.create_stream("hot", shard_count=1)
    failed = 0
    for _ in range(5):
        response = local_lab.kinesis.put_records(
            StreamName="hot", Records=[{"Data": b"x", "PartitionKey": "k"}] * 500
        )
        failed += response["FailedRecordCount"]
        codes = {r.get("ErrorCode") for r in response["Records"] if "ErrorCode" in r}
        assert codes <= {"ProvisionedThroughputExceededException"}
    assert failed >= 500


def _time_wait_on(port: int) -> None:
    """Leave a connection in TIME_WAIT on ``port``, as a stopped endpoint's server side does."""
    import socket

    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen()
    client = socket.create_connection(("127.0.0.1", port))
    accepted, _ = listener.accept()
    accepted.close()  # the server closes first: its side goes to TIME_WAIT
    client.recv(1)
    client.close()
    listener.close()


def test_a_port_left_in_time_wait_counts_as_free():
    import errno
    import socket

    from port_helpers import free_port

    from kinesis_lab.account.endpoint import check_port_free

    port = free_port()
    _time_wait_on(port)
    plain = socket.socket()
    with pytest.raises(OSError) as busy:  # what the old probe did: refused for up to a minute
        plain.bind(("127.0.0.1", port))
    plain.close()
    assert busy.value.errno == errno.EADDRINUSE
    check_port_free("127.0.0.1", port)  # no error: a restart may use the port at once


def test_a_live_listener_still_counts_as_busy():
    import socket

    from port_helpers import free_port

    from kinesis_lab.account.endpoint import check_port_free

    port = free_port()
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen()
        with pytest.raises(EndpointError, match="already in use"):
            check_port_free("127.0.0.1", port)


def test_endpoint_killed_and_restarted_on_its_port_answers_at_once():
    """A learner restarts `make endpoint` on the same port: no "already in use", no wait."""
    import http.client
    import os
    import signal
    import time

    from port_helpers import free_port, wait_for_port

    port = free_port()
    command = [sys.executable, "-m", "kinesis_lab", "endpoint", "--port", str(port)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}

    def start() -> tuple[subprocess.Popen, float]:
        began = time.monotonic()
        process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env
        )
        wait_for_port(port, process, timeout=60)
        return process, time.monotonic() - began

    first, first_start = start()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", "/moto-api/")  # a keep-alive connection, open while it dies
    connection.getresponse().read()
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    connection.close()

    second, second_start = start()
    try:
        assert second.poll() is None, second.stderr.read()
        # As quick as a first start (within a second, plus slack for a busy machine): no
        # waiting for TIME_WAIT (the old probe refused the port for up to a minute).
        assert second_start < first_start + 1.0 + 0.5 * first_start, (first_start, second_start)
    finally:
        second.terminate()
        try:
            second.wait(timeout=30)
        except subprocess.TimeoutExpired:  # not what this test is about; never leave it running
            second.kill()
            second.wait(timeout=10)
