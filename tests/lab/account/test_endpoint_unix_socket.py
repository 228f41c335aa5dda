"""`kinesis-lab endpoint --unix-socket PATH`, and a lab session that reaches it through a
loopback port (``KINESIS_LAB_ENDPOINT_SOCKET``): how the grader's jailed kernel, which has no
network, uses the mocked account in its own process."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time

import pytest

from kinesis_lab import start_lab
from kinesis_lab.account.endpoint import EndpointError, check_socket_path
from kinesis_lab.account.session import ENV_ENDPOINT_SOCKET, ENV_TARGET

pytestmark = pytest.mark.slow


class UnixHTTPConnection(http.client.HTTPConnection):
    """Plain HTTP over a Unix socket, as any client of the socket would speak it."""

    def __init__(self, path: str) -> None:
        super().__init__("127.0.0.1", timeout=10)
        self.path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)


@pytest.fixture(scope="module")
def socket_endpoint(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sock")
    path = str(folder / "account.sock")
    with open(folder / "endpoint.log", "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "kinesis_lab", "endpoint", "--unix-socket", path],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 30
    while not os.path.exists(path):
        assert process.poll() is None and time.monotonic() < deadline, "the endpoint did not start"
        time.sleep(0.05)
    yield {"path": path, "process": process}
    process.terminate()
    process.wait(timeout=20)
    assert not os.path.exists(path), "a stopped endpoint leaves no socket behind"


@pytest.fixture
def socket_lab(socket_endpoint, monkeypatch):
    monkeypatch.setenv(ENV_TARGET, "local")
    monkeypatch.setenv(ENV_ENDPOINT_SOCKET, socket_endpoint["path"])
    lab = start_lab(quiet=True)
    lab.reset()
    yield lab
    lab.stop()


def test_the_endpoint_answers_plain_http_on_its_unix_socket(socket_endpoint):
    connection = UnixHTTPConnection(socket_endpoint["path"])
    connection.request("GET", "/_kinesis_lab/clock")
    state = json.loads(connection.getresponse().read())
    assert state["simulated"] is False and state["now"] > 0
    assert socket_endpoint["process"].poll() is None


def test_a_lab_session_reaches_the_socket_through_a_loopback_port(socket_lab):
    url = socket_lab.settings.endpoint_url
    assert socket_lab.target == "local" and url.startswith("http://127.0.0.1:")
    assert socket_lab.kinesis.meta.endpoint_url == url
    socket_lab.create_stream("through-the-socket", shard_count=2)  # the waiter polls too
    summary = socket_lab.kinesis.describe_stream_summary(StreamName="through-the-socket")
    assert summary["StreamDescriptionSummary"]["OpenShardCount"] == 2
    socket_lab.use_simulated_clock(1_000_000.0)  # the clock control channel goes through too
    assert socket_lab.advance(5) == pytest.approx(1_000_005.0)
    socket_lab.use_real_clock()
    assert start_lab(quiet=True) is socket_lab, "a re-run start_lab keeps the same session"


def test_a_bad_socket_path_is_refused_with_the_reason(tmp_path):
    with pytest.raises(EndpointError, match="folder does not exist"):
        check_socket_path(str(tmp_path / "missing" / "a.sock"))
    (tmp_path / "file").write_text("not a socket")
    with pytest.raises(EndpointError, match="not a socket"):
        check_socket_path(str(tmp_path / "file"))
    with pytest.raises(EndpointError, match="too long"):
        check_socket_path(str(tmp_path / ("x" * 120)))


def test_a_socket_it_cannot_bind_ends_the_endpoint_with_the_reason_not_a_hang():
    """/proc exists but takes no socket: the server thread fails, the command says so."""
    done = subprocess.run(
        [sys.executable, "-m", "kinesis_lab", "endpoint", "--unix-socket", "/proc/lab.sock"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "could not start" in done.stderr
