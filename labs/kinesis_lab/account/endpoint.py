"""The local AWS endpoint for AWS CLI labs: a moto server with the course's fixes.

Why: some exam skills are CLI skills. ``make endpoint`` serves the same fixed mock the
notebooks use, on 127.0.0.1 only, so ``aws --endpoint-url …`` works offline and behaves like
the lessons. It refuses any non-loopback address: the endpoint is for this machine alone.
"""

from __future__ import annotations

import errno
import math
import signal
import socket
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

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        self.server.stop()
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
) -> RunningEndpoint:
    """Start the fixed moto server in a background thread; port 0 picks a free port.

    With ``simulated_clock`` lab time stands still until advanced through the clock control
    API (:mod:`kinesis_lab.account.clockcontrol`)."""
    browser.refuse("endpoint")
    if not netguard.is_loopback_host(host):
        raise EndpointError(
            f"The lab endpoint only listens on this machine (127.0.0.1), not {host!r}."
        )
    if port:
        check_port_free(host, port)
    apply_mock_behaviour(fidelity_fixes, limits and fidelity_fixes)
    netguard.activate(reason="the local endpoint serves this machine only")
    if simulated_clock:
        clock.use_simulated_clock(float(math.ceil(clock.now())))
    simulations = None
    if fidelity_fixes:  # SIMULATION: Lambda's pollers run here, on this process's lab clock
        from . import endpoint_simulations

        simulations = endpoint_simulations.acquire()
    server = _lab_server_class()(ip_address=host, port=port, verbose=False)
    server.start()
    bound_host, bound_port = server.get_host_and_port()
    return RunningEndpoint(server, bound_host, bound_port, simulations)


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
        def _server_entry(self) -> None:
            app = ClockControlMiddleware(DomainDispatcherApplication(create_backend_app))
            self._server = make_server(
                self._ip_address, self._port, app, True, request_handler=QuietRequestHandler
            )
            self._server_ready_event.set()
            self._server.serve_forever()

    return LabEndpointServer


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
) -> None:
    """Run the endpoint in the foreground until Ctrl-C or SIGTERM."""
    stop = threading.Event()
    # Before the port opens: a SIGTERM that comes while it starts is kept, not lost.
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    endpoint = start_endpoint(host, port, limits=limits, simulated_clock=simulated_clock)
    print("\n".join(usage_lines(endpoint.url, limits=limits)), flush=True)
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        endpoint.stop()
        print("Endpoint stopped.", flush=True)
