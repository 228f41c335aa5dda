"""SIMULATION of the lifecycle states of Kinesis streams and enhanced fan-out consumers.

Why: AWS answers CreateStream, resharding, encryption and mode changes at once and finishes the
work later, so a new stream is CREATING before it is ACTIVE, a reshard shows UPDATING, a delete
shows DELETING, and a new consumer is CREATING (F120, F121). moto does everything at once and
shows ACTIVE, so waiters never wait and a learner never meets the ResourceInUseException that
AWS returns for acting on a stream that is not ACTIVE — a classic exam and production trap.

Rules (F120-F122; AWS's own durations are "a few seconds" to minutes and not documented):

* A transition lasts ``TRANSITION_SECONDS`` (1 s) of the lab clock: on the real clock the state
  is visible for a second, then final.
* A simulated lab clock stands still, so there a transition is "instant but visible": it also
  ends once a DescribeStream, DescribeStreamSummary, ListStreams, DescribeStreamConsumer or
  ListStreamConsumers answer has shown it. The first look after CreateStream shows CREATING,
  the next ACTIVE; advancing the clock by 1 s ends it too. Deterministic on every run.
* Operations whose AWS error list has ResourceInUseException ("the resource must be in the
  ACTIVE state") and that change the stream — SplitShard, MergeShards, UpdateShardCount,
  Start/StopStreamEncryption, UpdateStreamMode, tags, retention, enhanced monitoring,
  UpdateMaxRecordSize, RegisterStreamConsumer, DeleteStream — are refused with it (HTTP 400,
  "Stream s under account a not ACTIVE, instead in state UPDATING") unless the stream is ACTIVE.
* Writes and reads continue while UPDATING (AWS documents it) and DELETING ("might continue to
  accept"). On a CREATING stream PutRecord(s), GetShardIterator and ListShards are refused with
  ResourceNotFoundException, the error PutRecord documents ("Stream s under account a not
  found."), not ResourceInUseException, which PutRecord's error list does not have (F122).
* SubscribeToShard with a consumer that is not ACTIVE → ResourceInUseException ("A consumer
  can't read data while in the CREATING or DELETING states").
* On an ACTIVE stream, two more refusals with ResourceInUseException (F123): RegisterStreamConsumer
  with a name a consumer of that stream already has ("each consumer must have a unique name"),
  and DeleteStream of a stream with registered consumers unless ``EnforceConsumerDeletion`` is
  true. moto registers the name twice and deletes the stream with its consumers. The messages'
  words are the lab's: AWS documents the error, not its text.

Only requests are checked (the hook sits on ``KinesisResponse.call_action``): the course's other
simulations, which call moto's backend directly, are never refused. State lives here, keyed by
moto's objects; ``install()`` / ``uninstall()`` layer on :mod:`kinesis_lab.mock.fidelity` like
:mod:`kinesis_lab.simulation.limits`, replacing no method the limits replace.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from moto.core.exceptions import JsonRESTError
from moto.core.responses import BaseResponse, EmptyResult
from moto.kinesis import models as kinesis_models

from ..core import clock
from ..mock import fidelity
from . import hooks

KinesisBackend = fidelity.KinesisBackend
KinesisResponse = fidelity.KinesisResponse
Stream = fidelity.Stream
Consumer = kinesis_models.Consumer

TRANSITION_ENV = "KINESIS_LAB_TRANSITION_SECONDS"


def _transition_seconds(default: float = 1.0) -> float:
    """The length of a transition: 1 s, or what KINESIS_LAB_TRANSITION_SECONDS says.

    Why a setting: the test suite runs every lesson and quiz several times on the real clock,
    and a second per stream created added minutes of pure waiting; it runs them with a shorter
    transition (the states still show, the waiters still wait). Learners keep the default.
    """
    text = os.environ.get(TRANSITION_ENV, "").strip()
    if not text:
        return default
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0.05 <= seconds <= 60:
        raise ValueError(
            f"{TRANSITION_ENV}={text!r}: give the length of CREATING/UPDATING/DELETING in "
            "seconds, between 0.05 and 60 (unset: 1)."
        )
    return seconds


# Lab-clock length of CREATING, UPDATING and DELETING (a course choice, not an AWS figure).
TRANSITION_SECONDS = _transition_seconds()

SIMULATION_NOTE = (
    "SIMULATION: streams are CREATING, UPDATING (resharding, encryption, mode changes) or "
    f"DELETING for {TRANSITION_SECONDS:g} s of the lab clock — on a simulated clock until a "
    "describe call has shown the state once — and consumers CREATING or DELETING; acting on a "
    "stream that is not ACTIVE gets AWS's ResourceInUseException (F120-F122), as do a "
    "consumer name used twice and deleting a stream that has consumers without "
    "EnforceConsumerDeletion (F123)."
)

ACTIVE, CREATING, UPDATING, DELETING = "ACTIVE", "CREATING", "UPDATING", "DELETING"

# Change the stream; ResourceInUseException is in each one's AWS error list (F120).
NEEDS_ACTIVE_STREAM = frozenset(
    {
        "SplitShard",
        "MergeShards",
        "UpdateShardCount",
        "StartStreamEncryption",
        "StopStreamEncryption",
        "UpdateStreamMode",
        "AddTagsToStream",
        "RemoveTagsFromStream",
        "IncreaseStreamRetentionPeriod",
        "DecreaseStreamRetentionPeriod",
        "EnableEnhancedMonitoring",
        "DisableEnhancedMonitoring",
        "UpdateMaxRecordSize",
        "RegisterStreamConsumer",
        "DeleteStream",
    }
)
# Reads and writes: refused only while the stream is CREATING, as not found (F122).
NOT_WHILE_CREATING = frozenset({"PutRecord", "PutRecords", "GetShardIterator", "ListShards"})
# Asynchronous on AWS: answered at once, the stream UPDATING until done (F120).
STARTS_UPDATING = frozenset(
    {
        "SplitShard",
        "MergeShards",
        "UpdateShardCount",
        "StartStreamEncryption",
        "StopStreamEncryption",
        "UpdateStreamMode",
    }
)


# Requests that start or end a transition, looked at even when nothing is in transition.
_CHANGES_STATE = STARTS_UPDATING | {
    "CreateStream",
    "DeleteStream",
    "RegisterStreamConsumer",
    "DeregisterStreamConsumer",
}


# ---------------------------------------------------------------------------------------------
# Transitions
# ---------------------------------------------------------------------------------------------


@dataclass
class _Transition:
    status: str  # CREATING, UPDATING or DELETING
    started: float  # lab clock
    shown: bool = False  # a describe/list answer showed it (ends it on a simulated clock)
    finish: Callable[[], None] | None = None  # what ending it does (a delete removes the object)


_pending: dict[int, tuple[Any, _Transition]] = {}  # id(stream or consumer) → (it, transition)
_lock = threading.RLock()  # the server answers requests on several threads


def _is_over(transition: _Transition, now: float) -> bool:
    elapsed = now - transition.started
    # < 0: the lab clock was replaced. The margin: an epoch-sized clock plus 0.3 s minus the
    # start is 0.29999995 s, and advancing by a transition's length must end it.
    if elapsed < 0 or elapsed >= TRANSITION_SECONDS - 1e-6:
        return True
    return transition.shown and clock.get_clock().simulated


def _begin(item: Any, status: str, finish: Callable[[], None] | None = None) -> None:
    with _lock:
        _pending[id(item)] = (item, _Transition(status, clock.now(), finish=finish))


def _settle(now: float) -> None:
    """End every transition whose time is up: deleted streams and consumers disappear."""
    with _lock:
        over = [key for key, (_, t) in _pending.items() if _is_over(t, now)]
        finishes = [_pending.pop(key)[1].finish for key in over]
    for finish in finishes:
        if finish is not None:
            _finish_quietly(finish)


def _finish_quietly(finish: Callable[[], None]) -> None:
    try:
        finish()
    except JsonRESTError:  # already gone (a reset account, a second delete): nothing to do
        pass


def _transition_of(item: Any) -> _Transition | None:
    with _lock:
        entry = _pending.get(id(item))
    return entry[1] if entry is not None and entry[0] is item else None


def status_of(item: Any, default: str = ACTIVE) -> str:
    """The lifecycle state of a moto Stream or Consumer now, without counting as a look."""
    transition = _transition_of(item)
    if transition is None or (transition.status != DELETING and _is_over(transition, clock.now())):
        return default
    return transition.status


def _shown_status(item: Any, default: str) -> str:
    """The state an answer shows; on a simulated clock, showing it ends the transition."""
    status = status_of(item, default)
    transition = _transition_of(item)
    if transition is not None and status == transition.status:
        transition.shown = True
    return status


# ---------------------------------------------------------------------------------------------
# What describe and list answers show
# ---------------------------------------------------------------------------------------------


def _get_stream_status(self: Any) -> str:
    """``Stream.status`` as DescribeStream(Summary) and ListStreams show it (F120)."""
    return _shown_status(self, self.__dict__.get("status", ACTIVE))


def _set_stream_status(self: Any, value: str) -> None:
    self.__dict__["status"] = value  # moto's own value, seen again after uninstall()


_stream_status = property(_get_stream_status, _set_stream_status)


def _consumer_to_json(self: Any, include_stream_arn: bool = False) -> dict[str, Any]:
    """A consumer with its lifecycle state (F121); moto always says ACTIVE."""
    body: dict[str, Any] = {
        "ConsumerName": self.consumer_name,
        "ConsumerARN": self.consumer_arn,
        "ConsumerStatus": _shown_status(self, ACTIVE),
        "ConsumerCreationTimestamp": self.created,
    }
    if include_stream_arn:
        body["StreamARN"] = self.stream_arn
    return body


def _register_consumer_creating(self: Any, stream_arn: str, consumer_name: str) -> Any:
    """RegisterStreamConsumer: the consumer starts CREATING, created on the lab clock, its ARN
    ending in ``:<creation epoch seconds>`` (F121). moto: ACTIVE at once, no suffix."""
    consumer = _previous(KinesisBackend, "register_stream_consumer")(
        self, stream_arn, consumer_name
    )
    created = int(clock.now())
    consumer.created = datetime.fromtimestamp(created, timezone.utc).replace(tzinfo=None)
    consumer.consumer_arn = f"{consumer.consumer_arn}:{created}"
    _begin(consumer, CREATING)
    return consumer


# ---------------------------------------------------------------------------------------------
# Requests: refuse what AWS refuses, start what AWS starts
# ---------------------------------------------------------------------------------------------


def _not_active(stream: Any, status: str) -> JsonRESTError:
    """AWS's text, e.g. "Stream orders under account 123456789012 not ACTIVE, instead in state
    UPDATING" (F120)."""
    return JsonRESTError(
        "ResourceInUseException",
        f"Stream {stream.stream_name} under account {stream.account_id} not ACTIVE, "
        f"instead in state {status}",
    )


def _not_found_yet(stream: Any) -> JsonRESTError:
    """What a write to a CREATING stream gets: PutRecord's documented not-found error (F122)."""
    return JsonRESTError(
        "ResourceNotFoundException",
        f"Stream {stream.stream_name} under account {stream.account_id} not found.",
    )


def _consumer_not_active(consumer: Any, status: str) -> JsonRESTError:
    return JsonRESTError(
        "ResourceInUseException",
        f"Consumer {consumer.consumer_arn} not ACTIVE, instead in state {status}",
    )


def _consumer_name_taken(stream: Any, name: str) -> JsonRESTError:
    """RegisterStreamConsumer with a name the stream's consumers already have (F123)."""
    return JsonRESTError(
        "ResourceInUseException",
        f"Consumer {name} under stream {stream.stream_name} already exists; "
        "each consumer of a stream must have a unique name",
    )


def _has_consumers(stream: Any) -> JsonRESTError:
    """DeleteStream of a stream with registered consumers, EnforceConsumerDeletion unset (F123)."""
    names = ", ".join(sorted(consumer.consumer_name for consumer in stream.consumers))
    return JsonRESTError(
        "ResourceInUseException",
        f"Stream {stream.stream_name} under account {stream.account_id} has registered "
        f"consumers ({names}); deregister them first or set EnforceConsumerDeletion=True",
    )


def _stream_named(response: Any) -> Any | None:
    """The stream a request names (StreamName or StreamARN), or None (moto reports it)."""
    backend = response.kinesis_backend
    name, arn = response._get_param("StreamName"), response._get_param("StreamARN")
    if name and name in backend.streams:
        return backend.streams[name]
    for stream in backend.streams.values():
        if arn and stream.arn == arn:
            return stream
    return None


def _consumer_with_arn(response: Any, consumer_arn: Any) -> Any | None:
    for stream in response.kinesis_backend.streams.values():
        for consumer in stream.consumers:
            if consumer.consumer_arn == consumer_arn:
                return consumer
    return None


def _refusal(response: Any, action: str) -> JsonRESTError | None:
    """AWS's error for ``action`` on a stream or consumer in its current state, or None."""
    if action == "SubscribeToShard":
        consumer = _consumer_with_arn(response, response._get_param("ConsumerARN"))
        status = status_of(consumer) if consumer is not None else ACTIVE
        return _consumer_not_active(consumer, status) if status != ACTIVE else None
    if action not in NEEDS_ACTIVE_STREAM and action not in NOT_WHILE_CREATING:
        return None
    stream = _stream_named(response)
    if stream is None:
        return None
    status = status_of(stream)
    if action in NEEDS_ACTIVE_STREAM and status != ACTIVE:
        return _not_active(stream, status)
    if action == "RegisterStreamConsumer":
        name = response._get_param("ConsumerName")
        if any(consumer.consumer_name == name for consumer in stream.consumers):
            return _consumer_name_taken(stream, name)
    if action == "DeleteStream" and stream.consumers:
        if not response._get_param("EnforceConsumerDeletion"):
            return _has_consumers(stream)
    if action in NOT_WHILE_CREATING and status == CREATING:
        return _not_found_yet(stream)
    return None


def _delete_stream_later(response: Any) -> Any:
    """DeleteStream: the stream is DELETING, then gone (F120). moto removes it at once."""
    stream = _stream_named(response)
    if stream is None:
        return _stock_call_action(response)  # moto's ResourceNotFoundException
    backend = response.kinesis_backend
    delete = _current(KinesisBackend, "delete_stream")

    def gone() -> None:
        # By name, but only this stream: a deletion that ends late (a request on another
        # thread took it out of _pending and had not removed it yet when a second
        # DeleteStream began it again) must not remove a newer stream of the same name.
        if backend.streams.get(stream.stream_name) is stream:
            delete(backend, None, stream.stream_name)

    _begin(stream, DELETING, gone)
    return _answer(response, EmptyResult())


def _deregister_consumer_later(response: Any) -> Any:
    """DeregisterStreamConsumer: the consumer is DELETING, then gone (F121)."""
    consumer = _consumer_with_arn(response, response._get_param("ConsumerARN"))
    if consumer is None:
        stream = _stream_named(response)
        name = response._get_param("ConsumerName")
        matches = [c for c in (stream.consumers if stream else []) if c.consumer_name == name]
        consumer = matches[0] if matches else None
    if consumer is None:
        return _stock_call_action(response)  # moto's (fixed) ResourceNotFoundException
    backend = response.kinesis_backend
    deregister = _current(KinesisBackend, "deregister_stream_consumer")
    _begin(consumer, DELETING, lambda: deregister(backend, None, None, consumer.consumer_arn))
    return _answer(response, EmptyResult())


def _answer(response: Any, result: Any) -> Any:
    status, headers, body = response.serialized(result)
    headers, body = response._enrich_response(headers, body)
    return status, headers, body


def _error(response: Any, error: JsonRESTError) -> Any:
    """The HTTP 400 answer moto gives for an error raised inside an action."""
    headers: dict[str, Any] = dict(error.get_headers() or [])
    headers["status"] = error.code
    status, headers, body = response._transform_response(
        response.response_headers, (error.description, headers)
    )
    headers, body = response._enrich_response(headers, body)
    return status, headers, body


def _stock_call_action(response: Any) -> Any:
    return BaseResponse.call_action(response)  # looked up now: the request hooks stay in front


def _call_action_with_lifecycle(self: Any) -> Any:
    """Every Kinesis request: end the transitions whose time is up, refuse what AWS refuses in
    the current state, and start the transitions AWS starts."""
    if _pending:
        _settle(clock.now())
    action = self._get_action()
    if not _pending and action not in _CHANGES_STATE:  # nothing in transition: moto as is
        return _stock_call_action(self)
    refusal = _refusal(self, action)
    if refusal is not None or action in ("DeleteStream", "DeregisterStreamConsumer"):
        hooks.run_callbacks("kinesis", action)  # as for every request that reaches moto
    if refusal is not None:
        return _error(self, refusal)
    if action == "DeleteStream":
        return _delete_stream_later(self)
    if action == "DeregisterStreamConsumer":
        return _deregister_consumer_later(self)
    answer = _stock_call_action(self)
    if answer[0] == 200:
        _after_success(self, action)
    return answer


def _after_success(response: Any, action: str) -> None:
    """Start the transition an accepted request starts on AWS."""
    if action == "RegisterStreamConsumer":  # its own answer is not a look at the consumer
        stream = _stream_named(response)
        name = response._get_param("ConsumerName")
        for consumer in stream.consumers if stream is not None else []:
            transition = _transition_of(consumer)
            if consumer.consumer_name == name and transition is not None:
                transition.shown = False
    elif action == "CreateStream" or action in STARTS_UPDATING:
        stream = _stream_named(response)
        if stream is not None:
            _begin(stream, CREATING if action == "CreateStream" else UPDATING)


# ---------------------------------------------------------------------------------------------
# install / uninstall
# ---------------------------------------------------------------------------------------------

_originals: dict[tuple[type, str], Any] = {}


def _previous(owner: type, name: str) -> Callable[..., Any]:
    """What ``owner.name`` was before install() (fidelity's fix or moto's own)."""
    return _originals.get((owner, name)) or owner.__dict__[name]


def _current(owner: type, name: str) -> Callable[..., Any]:
    """``owner.name`` as it is now (with every layer), for the work a transition ends with."""
    return getattr(owner, name)


def _replacements() -> list[tuple[type, str, Any]]:
    return [
        (Stream, "status", _stream_status),
        (Consumer, "to_json", _consumer_to_json),
        (KinesisBackend, "register_stream_consumer", _register_consumer_creating),
        (KinesisResponse, "call_action", _call_action_with_lifecycle),
    ]


def install() -> None:
    """Switch the SIMULATION on (idempotent); needs :func:`kinesis_lab.mock.fidelity.install`."""
    with _lock:
        if is_installed():
            return
        if not fidelity.is_installed():
            raise RuntimeError(
                "kinesis_lab.simulation.lifecycle builds on the fidelity fixes: call "
                "kinesis_lab.mock.fidelity.install() first."
            )
        fidelity.replace_methods(_replacements(), _originals)
        fidelity.add_layer(uninstall)


def uninstall() -> None:
    """Switch the SIMULATION off: pending deletes complete, every state is ACTIVE again, and
    exactly what install() replaced is restored (no-op when off)."""
    with _lock:
        if not is_installed():
            return
        finishes = [transition.finish for _, transition in _pending.values()]
        _pending.clear()
        for finish in finishes:
            if finish is not None:
                _finish_quietly(finish)
        fidelity.remove_layer(uninstall)
        fidelity.restore_methods(_originals)


def is_installed() -> bool:
    return bool(_originals)


def describe() -> str:
    """One line a lab can show to say what is simulated (empty when off)."""
    return SIMULATION_NOTE if is_installed() else ""
