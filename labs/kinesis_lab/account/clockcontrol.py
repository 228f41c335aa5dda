"""Driving the lab clock of a local endpoint over HTTP, so CLI labs can simulate time too.

Why: in a notebook ``lab.advance(301)`` shows an iterator expiring instantly. A learner using
the AWS CLI or a second process against ``make endpoint`` deserves the same, so the endpoint
answers a tiny control API beside the AWS APIs (loopback only, like the endpoint itself):

    GET  /_kinesis_lab/clock            → {"now": 1768467600.0, "simulated": true}
    POST /_kinesis_lab/clock/simulate   {"start": 1768467600}   (start optional)
    POST /_kinesis_lab/clock/advance    {"seconds": 301}
    POST /_kinesis_lab/clock/real

:class:`ClockControlMiddleware` is the server side; :class:`EndpointClock` the client side
with the same ``now()`` / ``advance()`` / ``simulated`` as :mod:`kinesis_lab.core.clock`. A
notebook on ``target="local"`` makes it *its* lab clock (:func:`kinesis_lab.core.clock.use_clock`),
so its SDK retry back-off and waiter polls (:mod:`.retrysleep`) move the endpoint's clock.
Other ``/_kinesis_lab/`` actions (the simulations the endpoint hosts,
:mod:`.endpoint_simulations`) register here with :func:`register_action` and use the same
channel (:func:`call`).
"""

from __future__ import annotations

import http.client
import json
import math
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable
from typing import Any

from ..core import clock

CONTROL_PREFIX = "/_kinesis_lab/"
CONTROL_PATH = CONTROL_PREFIX + "clock"


def _state() -> dict[str, Any]:
    return {"now": clock.now(), "simulated": clock.get_clock().simulated}


def _catch_up() -> None:
    """Let time-driven simulations (Firehose buffers, Kinesis sources) see the new time."""
    from ..simulation import hooks

    hooks.run_callbacks("", "")


def _simulate(body: dict[str, Any]) -> dict[str, Any]:
    start = body.get("start")
    if start is None:
        start = math.ceil(max(clock.now(), clock.DEFAULT_SIMULATED_START))
    clock.use_simulated_clock(float(start))
    return _state()


def _advance(body: dict[str, Any]) -> dict[str, Any]:
    seconds = float(body.get("seconds", 0))
    if seconds < 0:
        raise ValueError("time only moves forward")
    if not clock.get_clock().simulated:
        raise ValueError("the endpoint runs on real time: POST .../simulate first")
    clock.advance(seconds)
    _catch_up()
    return _state()


def _real(_: dict[str, Any]) -> dict[str, Any]:
    clock.use_real_clock()
    return _state()


Action = Callable[[dict[str, Any]], dict[str, Any]]

_ACTIONS: dict[tuple[str, str], Action] = {
    ("GET", CONTROL_PATH): lambda _: _state(),
    ("POST", CONTROL_PATH + "/simulate"): _simulate,
    ("POST", CONTROL_PATH + "/advance"): _advance,
    ("POST", CONTROL_PATH + "/real"): _real,
}


def register_action(method: str, path: str, action: Action) -> None:
    """Serve ``action(json body) → json`` at ``/_kinesis_lab/<path>`` beside the clock."""
    _ACTIONS[(method, CONTROL_PREFIX + path.strip("/"))] = action


class ClockControlMiddleware:
    """WSGI wrapper: answers the ``/_kinesis_lab/`` control API (the clock and the hosted
    simulations' actions), passes everything else to moto."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "")
        if not path.startswith(CONTROL_PREFIX):
            return self.app(environ, start_response)
        action = _ACTIONS.get((environ.get("REQUEST_METHOD", "GET"), path.rstrip("/")))
        if action is None:
            return _reply(start_response, "404 Not Found", {"error": f"no such action: {path}"})
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            raw = environ["wsgi.input"].read(length) if length else b""
            body = json.loads(raw or b"{}")
            return _reply(start_response, "200 OK", action(body))
        except (ValueError, TypeError, LookupError) as error:
            return _reply(start_response, "400 Bad Request", {"error": str(error)})
        except Exception as error:  # a hosted simulation failed: say how, keep serving
            message = f"{type(error).__name__}: {error}"
            return _reply(start_response, "500 Internal Server Error", {"error": message})


def _reply(start_response: Callable[..., Any], status: str, payload: dict[str, Any]) -> list:
    body = json.dumps(payload).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


class EndpointError(RuntimeError):
    """The endpoint refused a control action or failed while doing it (its message)."""


_connections = threading.local()  # one kept-alive connection per thread and endpoint
_calls_made = 0  # control calls from this process that may have moved an endpoint's clock


def call(
    endpoint_url: str, path: str, body: dict[str, Any] | None = None, timeout: float = 120
) -> dict[str, Any]:
    """One control action: GET without a body, POST with one; its JSON answer. A 400 raises
    ValueError (bad input), any other error status :class:`EndpointError`.

    The connection is kept alive: a notebook on ``target="local"`` reads the lab clock this
    way at every ``clock.now()``, and a new TCP connection each time cost ~3x as much."""
    parts = urllib.parse.urlsplit(endpoint_url)
    method = "GET" if body is None else "POST"
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"} if data is not None else {}
    target = parts.path.rstrip("/") + CONTROL_PREFIX + path.strip("/")
    if body is not None:  # an advance, a hosted Lambda run …: clock readings are stale now
        global _calls_made
        _calls_made += 1
    for attempt in (1, 2):
        connection = _connection(parts.hostname or "127.0.0.1", parts.port or 80, timeout)
        try:
            connection.request(method, target, body=data, headers=headers)
            response = connection.getresponse()
            status, raw = response.status, response.read()
            break
        except (http.client.HTTPException, ConnectionError):
            _drop(connection)  # the endpoint closed a kept-alive connection (or restarted)
            if attempt == 2:
                raise
    if status == 200:
        return json.loads(raw)
    try:
        message = json.loads(raw).get("error", raw.decode(errors="replace"))
    except ValueError:
        message = raw.decode(errors="replace")
    if status == 400:
        raise ValueError(message)
    raise EndpointError(message)


def _connection(host: str, port: int, timeout: float) -> http.client.HTTPConnection:
    pool = _connections.__dict__.setdefault("pool", {})
    connection = pool.get((host, port))
    if connection is None:
        connection = pool[(host, port)] = http.client.HTTPConnection(host, port)
    connection.timeout = timeout
    if connection.sock is not None:
        connection.sock.settimeout(timeout)
    return connection


def _drop(connection: http.client.HTTPConnection) -> None:
    connection.close()
    pool = _connections.__dict__.get("pool", {})
    for key in [k for k, v in pool.items() if v is connection]:
        del pool[key]


class EndpointClock:
    """The lab clock of a local endpoint, used like :mod:`kinesis_lab.core.clock`.

    ``advance`` on an endpoint that keeps real time sleeps here (as the real lab clock does),
    so this object can stand in for the notebook's own lab clock. Reads are cheap: a
    simulated clock moves only when advanced, and this process's own control calls (an
    advance, a hosted Lambda run) forget what was read, so the endpoint is asked again at
    most every ``RECHECK_SECONDS`` — what another process does to the clock (a ``curl``, a
    second notebook) is seen within that time. On real time, ``now()`` is this machine's
    clock, which is the endpoint's. (A capstone read the clock ~29,000 times: 0.8 ms each.)"""

    RECHECK_SECONDS = 0.2

    def __init__(self, endpoint_url: str) -> None:
        self.endpoint_url = endpoint_url.rstrip("/")
        self.url = self.endpoint_url + CONTROL_PATH
        self._known: tuple[int, float, bool, float] | None = None  # calls, read at, sim, now

    def _call(self, suffix: str = "", body: dict[str, Any] | None = None) -> dict[str, Any]:
        state = call(self.endpoint_url, "clock" + suffix, body)
        self._known = (_calls_made, time.monotonic(), bool(state["simulated"]), state["now"])
        return state

    def _state(self) -> tuple[bool, float]:
        known = self._known
        fresh = (
            known is not None
            and known[0] == _calls_made
            and time.monotonic() - known[1] < self.RECHECK_SECONDS
        )
        if not fresh:
            self._call()
            known = self._known
        assert known is not None
        return known[2], known[3]

    @property
    def simulated(self) -> bool:
        return self._state()[0]

    def now(self) -> float:
        simulated, now = self._state()
        return float(now) if simulated else time.time()

    def simulate(self, start: float | None = None) -> float:
        return float(self._call("/simulate", {} if start is None else {"start": start})["now"])

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("time only moves forward")
        if not self.simulated:
            time.sleep(seconds)  # the endpoint's real clock is this machine's
            return time.time()
        return float(self._call("/advance", {"seconds": seconds})["now"])

    def use_real_time(self) -> float:
        return float(self._call("/real", {})["now"])

    def __repr__(self) -> str:
        return f"<EndpointClock {self.endpoint_url}>"
