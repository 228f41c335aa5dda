"""Housekeeping that runs before every mocked AWS request, in-process and over HTTP.

Why: simulated behaviour that depends on time (a Firehose buffer whose interval has passed,
a Kinesis source that has new records) must be brought up to date before anyone looks. Doing
it lazily, just before each request, keeps the simulation deterministic and thread-free: the
state a learner observes is always "as of the lab clock now". Every request — from boto3
in-process or from the AWS CLI through `make endpoint` — passes through moto's
``BaseResponse.call_action``, so that is where the hook sits; except S3, whose requests go
through ``S3Response.bucket_response`` / ``key_response`` instead (a learner checking a bucket
for Firehose output must see it up to date), so the hook sits there too.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from moto.core.responses import BaseResponse
from moto.s3.responses import S3Response

RequestCallback = Callable[[str, str], None]  # (service name, action name)

_callbacks: list[RequestCallback] = []
_lock = threading.RLock()
_stock_call_action = BaseResponse.call_action
_stock_s3_entry_points = {
    name: S3Response.__dict__[name] for name in ("bucket_response", "key_response")
}


def _call_action_with_hooks(self: BaseResponse) -> Any:
    service = getattr(self, "service_name", None) or ""
    try:
        action = self._get_action()
    except Exception:  # an unparseable request: let moto report it as usual
        action = ""
    run_callbacks(service, action)
    return _stock_call_action(self)


def _s3_entry_point_with_hooks(name: str) -> Any:
    stock = _stock_s3_entry_points[name]

    def entry_point(self: S3Response, *args: Any, **kwargs: Any) -> Any:
        run_callbacks("s3", "")  # the action is only known deep inside moto's S3 dispatch
        return stock(self, *args, **kwargs)

    return entry_point


_s3_entry_points_with_hooks = {
    name: _s3_entry_point_with_hooks(name) for name in _stock_s3_entry_points
}


def run_callbacks(service: str, action: str) -> None:
    """Run every registered callback (serialised: simulations are not thread-safe)."""
    with _lock:
        for callback in list(_callbacks):
            callback(service, action)


def before_each_request(callback: RequestCallback) -> None:
    """Register ``callback(service, action)``; registering twice has no effect."""
    with _lock:
        if callback not in _callbacks:
            _callbacks.append(callback)
        BaseResponse.call_action = _call_action_with_hooks  # type: ignore[method-assign]
        for name, entry_point in _s3_entry_points_with_hooks.items():
            setattr(S3Response, name, entry_point)


def remove(callback: RequestCallback) -> None:
    with _lock:
        if callback in _callbacks:
            _callbacks.remove(callback)
        if not _callbacks:
            BaseResponse.call_action = _stock_call_action  # type: ignore[method-assign]
            for name, stock in _stock_s3_entry_points.items():
                setattr(S3Response, name, stock)


def registered() -> list[RequestCallback]:
    with _lock:
        return list(_callbacks)
