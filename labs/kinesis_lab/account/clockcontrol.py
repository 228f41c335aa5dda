"""Driving the lab clock of a local endpoint over HTTP, so CLI labs can simulate time too.

Why: in a notebook ``lab.advance(301)`` shows an iterator expiring instantly. A learner using
the AWS CLI or a second process against ``make endpoint`` deserves the same, so the endpoint
answers a tiny control API beside the AWS APIs (loopback only, like the endpoint itself):

    GET  /_kinesis_lab/clock            → {"now": 1768467600.0, "simulated": true}
    POST /_kinesis_lab/clock/simulate   {"start": 1768467600}   (start optional)
    POST /_kinesis_lab/clock/advance    {"seconds": 301}
    POST /_kinesis_lab/clock/real

:class:`ClockControlMiddleware` is the server side; :class:`EndpointClock` the client side
with the same ``now()`` / ``advance()`` / ``simulated`` as :mod:`kinesis_lab.core.clock`.
"""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from typing import Any

from ..core import clock

CONTROL_PATH = "/_kinesis_lab/clock"


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


_ACTIONS: dict[tuple[str, str], Callable[[dict[str, Any]], dict[str, Any]]] = {
    ("GET", CONTROL_PATH): lambda _: _state(),
    ("POST", CONTROL_PATH + "/simulate"): _simulate,
    ("POST", CONTROL_PATH + "/advance"): _advance,
    ("POST", CONTROL_PATH + "/real"): _real,
}


class ClockControlMiddleware:
    """WSGI wrapper: answers the clock control API, passes everything else to moto."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "")
        if not path.startswith(CONTROL_PATH):
            return self.app(environ, start_response)
        action = _ACTIONS.get((environ.get("REQUEST_METHOD", "GET"), path.rstrip("/")))
        if action is None:
            return _reply(start_response, "404 Not Found", {"error": f"no such action: {path}"})
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            raw = environ["wsgi.input"].read(length) if length else b""
            body = json.loads(raw or b"{}")
            return _reply(start_response, "200 OK", action(body))
        except (ValueError, TypeError) as error:
            return _reply(start_response, "400 Bad Request", {"error": str(error)})


def _reply(start_response: Callable[..., Any], status: str, payload: dict[str, Any]) -> list:
    body = json.dumps(payload).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


class EndpointClock:
    """The lab clock of a local endpoint, used like :mod:`kinesis_lab.core.clock`."""

    def __init__(self, endpoint_url: str) -> None:
        self.url = endpoint_url.rstrip("/") + CONTROL_PATH

    def _call(self, suffix: str = "", body: dict[str, Any] | None = None) -> dict[str, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + suffix, data=data, method="GET" if body is None else "POST"
        )
        request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            raise ValueError(json.loads(error.read()).get("error", str(error))) from None

    @property
    def simulated(self) -> bool:
        return bool(self._call()["simulated"])

    def now(self) -> float:
        return float(self._call()["now"])

    def simulate(self, start: float | None = None) -> float:
        return float(self._call("/simulate", {} if start is None else {"start": start})["now"])

    def advance(self, seconds: float) -> float:
        return float(self._call("/advance", {"seconds": seconds})["now"])

    def use_real_time(self) -> float:
        return float(self._call("/real", {})["now"])
