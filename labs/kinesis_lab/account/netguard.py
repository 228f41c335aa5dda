"""The network guard: while active, this process may only talk to loopback addresses.

Why: a lab in default mode must never reach a real AWS endpoint, whatever credentials or
``AWS_ENDPOINT_URL`` the learner's shell carries. The guard is a Python audit hook
(PEP 578) on ``socket.connect``, ``socket.sendto`` and name lookups, so it sees every
connection attempt made through the ``socket`` module — botocore, urllib3, requests alike —
and refuses the non-loopback ones before a single packet is sent. Audit hooks cannot be
removed, so the hook is installed once and switched on and off by :func:`activate` and
:func:`deactivate`.
"""

from __future__ import annotations

import ipaddress
import socket
import sys
import threading
from dataclasses import dataclass, field

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})

OPT_IN_HELP = (
    "This lab runs offline against a mocked AWS account, so nothing may leave your "
    "machine. To use another endpoint, opt in explicitly:\n"
    '  start_lab(target="local")      # the course endpoint started by `make endpoint`\n'
    '  start_lab(target="localstack") # LocalStack on localhost:4566\n'
    '  start_lab(target="aws", i_accept_aws_costs=True)  # real AWS: costs money'
)


class RealNetworkBlocked(RuntimeError):
    """Raised instead of a connection to a non-loopback address while the guard is on.

    Not an OSError on purpose: HTTP libraries retry or rephrase OSErrors, and the learner
    must see this message, not a vague timeout.
    """


@dataclass
class GuardState:
    active: bool = False
    reason: str = "the lab is in offline mode"
    blocked: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


_state = GuardState()
_hook_installed = False


def is_loopback_host(host: object) -> bool:
    """True for loopback IPs (127.0.0.0/8, ::1) and the usual localhost names."""
    if not isinstance(host, str):
        return False
    name = host.strip("[]").lower().rstrip(".")
    if name in LOOPBACK_NAMES or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name.split("%")[0]).is_loopback
    except ValueError:
        return False


def _destination(event: str, args: tuple) -> tuple[str, object] | None:
    """(host, port) an audited socket event is about, or None when it is not about a host."""
    if event in ("socket.connect", "socket.sendto", "socket.sendmsg"):
        address = args[1] if len(args) > 1 else None
        if isinstance(address, tuple) and address:
            return str(address[0]), address[1] if len(address) > 1 else None
        return None  # AF_UNIX paths and other local families
    if event == "socket.getaddrinfo":
        return (str(args[0]), args[1]) if args and args[0] is not None else None
    if event in ("socket.gethostbyname", "socket.gethostbyname_ex", "socket.gethostbyaddr"):
        return (str(args[0]), None) if args else None
    return None


def _audit(event: str, args: tuple) -> None:
    if not _state.active or not event.startswith("socket."):
        return
    destination = _destination(event, args)
    if destination is None or is_loopback_host(destination[0]):
        return
    host, port = destination
    target = f"{host}:{port}" if port is not None else host
    with _state.lock:
        _state.blocked.append(target)
    raise RealNetworkBlocked(
        f"Blocked a network connection to {target} ({_state.reason}).\n{OPT_IN_HELP}"
    )


def _install_hook() -> None:
    global _hook_installed
    if not _hook_installed:
        sys.addaudithook(_audit)
        _hook_installed = True


def activate(reason: str = "the lab is in offline mode") -> None:
    """Refuse every non-loopback connection from now on."""
    _install_hook()
    _state.reason = reason
    _state.active = True


def deactivate() -> None:
    """Allow connections again (only an explicit real-AWS opt-in does this)."""
    _state.active = False


def is_active() -> bool:
    return _state.active


def blocked_attempts() -> list[str]:
    """Destinations refused so far in this process (host:port), oldest first."""
    with _state.lock:
        return list(_state.blocked)


def check_outbound(host: str, port: int = 443) -> None:
    """Ask the guard about a destination without sending anything (raises if refused)."""
    _audit("socket.connect", (socket.socket, (host, port)))
