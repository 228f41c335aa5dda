"""The network guard refuses non-loopback connections before any packet is sent."""

import socket

import pytest

from kinesis_lab.account import netguard


@pytest.fixture
def guard():
    netguard.activate(reason="test")
    yield
    netguard.deactivate()


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "127.8.9.10", "::1", "[::1]", "localhost", "LOCALHOST.", "a.localhost"]
)
def test_loopback_hosts(host):
    assert netguard.is_loopback_host(host)


@pytest.mark.parametrize(
    "host",
    ["kinesis.us-east-1.amazonaws.com", "169.254.169.254", "10.0.0.1", "0.0.0.0", "8.8.8.8", None],
)
def test_non_loopback_hosts(host):
    assert not netguard.is_loopback_host(host)


def test_connection_to_a_public_address_is_refused(guard):
    before = len(netguard.blocked_attempts())
    with pytest.raises(netguard.RealNetworkBlocked, match="Blocked a network connection"):
        socket.create_connection(("192.0.2.1", 443), timeout=1)
    assert netguard.blocked_attempts()[before:] == ["192.0.2.1:443"]


def test_metadata_service_is_refused(guard):
    with pytest.raises(netguard.RealNetworkBlocked, match="169.254.169.254"):
        socket.create_connection(("169.254.169.254", 80), timeout=1)


def test_name_lookup_of_a_real_endpoint_is_refused(guard):
    with pytest.raises(netguard.RealNetworkBlocked, match="amazonaws.com"):
        socket.getaddrinfo("kinesis.us-east-1.amazonaws.com", 443)


def test_udp_to_a_public_address_is_refused(guard):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        with pytest.raises(netguard.RealNetworkBlocked):
            udp.sendto(b"x", ("192.0.2.1", 53))


def test_message_tells_the_learner_how_to_opt_in(guard):
    with pytest.raises(netguard.RealNetworkBlocked) as blocked:
        netguard.check_outbound("kinesis.us-east-1.amazonaws.com")
    assert 'start_lab(target="local")' in str(blocked.value)
    assert "i_accept_aws_costs=True" in str(blocked.value)


def test_loopback_connections_still_work(guard):
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        client = socket.create_connection(server.getsockname(), timeout=2)
        client.close()


def test_inactive_guard_allows_everything():
    netguard.deactivate()
    netguard.check_outbound("kinesis.us-east-1.amazonaws.com")  # does not raise
    assert not netguard.is_active()
