"""The local AWS endpoint for AWS CLI labs: a moto server with the course's fixes.

Why: some exam skills are CLI skills. ``make endpoint`` serves the same fixed mock the
notebooks use, on 127.0.0.1 only, so ``aws --endpoint-url …`` works offline and behaves like
the lessons. It refuses any non-loopback address: the endpoint is for this machine alone. It can also
listen on a Unix socket instead of a port (``--unix-socket PATH``): the trusted grader runs it
that way for a jailed kernel, which has no network (the kernel's lab session forwards a
loopback port to the socket, :mod:`.socketforward`).
"""

from __future__ import annotations

import errno
import math
import os
import signal
import socket
import stat
import threading
from dataclasses import dataclass

from ..core import clock
from ..mock.behaviour import apply_mock_behaviour
from . import browser, netguard

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5000
DEFAULT_REGION = "us-east-1"


class EndpointError(RuntimeError):
    """The endpoint cannot start, with the reason and what to do."""


@dataclass
class RunningEndpoint:
    server: object
    host: str
    port: int
    simulations: object = None  # Lambda's pollers hosted here (endpoint_simulations)
    unix_socket: str | None = None  # the socket's path, when it listens on one, not a port

    @property
    def url(self) -> str:
        if self.unix_socket:
            return f"unix://{self.unix_socket}"
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        self.server.stop()
        if self.unix_socket and os.path.exists(self.unix_socket):
            os.unlink(self.unix_socket)  # nothing listens there any more
        if self.simulations is not None:
            from . import endpoint_simulations

            endpoint_simulations.release()
            self.simulations = None


def check_port_free(host: str, port: int) -> None:
    """Fail early with a clear message (moto's server would hang on a busy port).

    The probe binds with SO_REUSEADDR, as the server itself does: connections left in
    TIME_WAIT by an endpoint that was just stopped do not count as "in use" (so a restart on
    the same port works at once), while a live endpoint listening there still does."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise EndpointError(
                    f"Port {port} on {host} is already in use (another endpoint?). "
                    f"Stop it, or pick another port: make endpoint PORT={port + 1}"
                ) from None
            raise


def start_endpoint(
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    fidelity_fixes: bool = True,
    limits: bool = True,
    simulated_clock: bool = False,
    unix_socket: str | None = None,
) -> RunningEndpoint:
    """Start the fixed moto server in a background thread; port 0 picks a free port;
    ``unix_socket`` (a path) listens there instead of on a port.

    With ``simulated_clock`` lab time stands still until advanced through the clock control
    API (:mod:`kinesis_lab.account.clockcontrol`)."""
    browser.refuse("endpoint")
    if not netguard.is_loopback_host(host):
        raise EndpointError(
            f"The lab endpoint only listens on this machine (127.0.0.1), not {host!r}."
        )
    if unix_socket:
        check_socket_path(unix_socket)
    elif port:
        check_port_free(host, port)
    apply_mock_behaviour(fidelity_fixes, limits and fidelity_fixes)
    netguard.activate(reason="the local endpoint serves this machine only")
    if simulated_clock:
        clock.use_simulated_clock(float(math.ceil(clock.now())))
    simulations = None
    if fidelity_fixes:  # SIMULATION: Lambda's pollers run here, on this process's lab clock
        from . import endpoint_simulations

        simulations = endpoint_simulations.acquire()
    if unix_socket:  # werkzeug's own form for a Unix socket; a stale file is replaced
        server = _lab_server_class()(ip_address=f"unix://{unix_socket}", port=0, verbose=False)
        server.start()
        return RunningEndpoint(server, host, 0, simulations, unix_socket)
    server = _lab_server_class()(ip_address=host, port=port, verbose=False)
    server.start()
    bound_host, bound_port = server.get_host_and_port()
    return RunningEndpoint(server, bound_host, bound_port, simulations)


def check_socket_path(path: str) -> None:
    """Fail early, clearly, on a socket path the endpoint cannot bind: its folder must exist,
    and the path must fit a Unix socket address (108 bytes on Linux)."""
    if len(os.fsencode(os.path.abspath(path))) >= 108:
        raise EndpointError(f"The socket path is too long for a Unix socket: {path}")
    if not os.path.isdir(os.path.dirname(os.path.abspath(path))):
        raise EndpointError(f"The socket's folder does not exist: {os.path.dirname(path)}")
    if os.path.exists(path) and not stat.S_ISSOCK(os.stat(path).st_mode):
        raise EndpointError(f"{path} exists and is not a socket; pick another path.")


def _lab_server_class() -> type:
    """moto's threaded server with the clock control API in front of its WSGI app."""
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    from .clockcontrol import ClockControlMiddleware

    _list_moto_modules_once()

    class QuietRequestHandler(MotoRequestHandler):
        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            """No line per request: it cost time on every call, and a learner's terminal
            (or a pipe nobody reads) filled with it. Errors are still logged."""

    class LabEndpointServer(ThreadedMotoServer):
        failed: BaseException | None = None

        def _server_entry(self) -> None:
            app = ClockControlMiddleware(DomainDispatcherApplication(create_backend_app))
            try:
                listening = _listen_on_unix_socket(self._ip_address)
                self._server = make_server(
                    self._ip_address,
                    self._port,
                    app,
                    True,
                    request_handler=QuietRequestHandler,
                    fd=listening.fileno() if listening else None,
                )
            except BaseException as error:  # werkzeug exits on a bind error (SystemExit)
                self.failed = error
                self._server_ready_event.set()
                return
            self._server_ready_event.set()
            self._server.serve_forever()

        def start(self) -> None:
            """moto's start, except that a server that could not start says so instead of
            leaving the caller waiting forever (and deaf to SIGTERM)."""
            super().start()
            if self.failed is not None:
                raise EndpointError(f"The endpoint could not start: {self.failed!r}")

    return LabEndpointServer


def _listen_on_unix_socket(address: str) -> socket.socket | None:
    """A listening Unix socket for ``unix://PATH`` (None for a host): bound here, not by
    werkzeug, whose bind looks the path up as a host name (the network guard refuses that)."""
    if not address.startswith("unix://"):
        return None
    path = address.removeprefix("unix://")
    if os.path.exists(path):
        os.unlink(path)  # a stale socket (check_socket_path refused anything else)
    listening = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listening.bind(path)
    listening.listen(64)
    return listening


def _list_moto_modules_once() -> None:
    """moto's server lists its own package folder (~180 stat calls) on every request to find
    the service; the folder does not change while it runs, so list it once (measured: about
    40 % of the server's time per PutRecord, benchmarks/bench_endpoint_latency.py)."""
    import functools

    from moto import backends

    if not hasattr(backends.list_of_moto_modules, "cache_info"):
        stock = backends.list_of_moto_modules
        backends.list_of_moto_modules = functools.cache(lambda: frozenset(stock()))


def usage_lines(url: str, region: str = DEFAULT_REGION, limits: bool = True) -> list[str]:
    """What a learner types to use the endpoint from a shell or a notebook."""
    if url.startswith("unix://"):
        path = url.removeprefix("unix://")
        return [
            f"Local AWS endpoint (moto with the course's fidelity fixes) on the Unix socket {path}",
            "A notebook reaches it with KINESIS_LAB_TARGET=local "
            f"KINESIS_LAB_ENDPOINT_SOCKET={path}. Ctrl-C stops it.",
        ]
    simulated = (
        "SIMULATED throughput limits, throttling and iterator expiry are on."
        if limits
        else "Throughput limits are OFF (AWS would throttle)."
    )
    return [
        f"Local AWS endpoint (moto with the course's fidelity fixes) at {url}",
        "Offline: fake credentials, nothing leaves this machine. Ctrl-C stops it.",
        simulated,
        "",
        "In a shell (AWS CLI):",
        "  export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing "
        f"AWS_DEFAULT_REGION={region}",
        f"  aws --endpoint-url {url} kinesis list-streams",
        "",
        "Lab time (SIMULATION): "
        f"curl -X POST {url}/_kinesis_lab/clock/simulate -d '{{}}', then "
        f"curl -X POST {url}/_kinesis_lab/clock/advance -d '{{\"seconds\": 301}}'",
        "",
        "In a notebook:",
        f'  lab = start_lab(target="local", endpoint_url="{url}")',
    ]


def serve(
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    limits: bool = True,
    simulated_clock: bool = False,
    unix_socket: str | None = None,
) -> None:
    """Run the endpoint in the foreground until Ctrl-C or SIGTERM."""
    stop = threading.Event()
    # Before the port opens: a SIGTERM that comes while it starts is kept, not lost.
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    endpoint = start_endpoint(
        host, port, limits=limits, simulated_clock=simulated_clock, unix_socket=unix_socket
    )
    print("\n".join(usage_lines(endpoint.url, limits=limits)), flush=True)
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        endpoint.stop()
        print("Endpoint stopped.", flush=True)
