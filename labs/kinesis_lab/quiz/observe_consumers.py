"""What quiz test cells need to run a learner's consumer safely, and observe it as plain data.

Why: the consumer items of the quizzes run the learner's own GetRecords loop against the mocked
account on a simulated lab clock, where a loop that never waits never sees time pass. A test
cell must then (1) stop a runaway loop instead of hanging, (2) see the pauses the learner's code
asked for, and (3) make a shard refuse reads the way a second standard consumer would
(SIMULATION, F3). Like :mod:`kinesis_lab.quiz.observe`, these helpers never decide anything:
the test cell hands what they report to :func:`kinesis_lab.quiz.check.expect`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import ClientError

from ..core import clock
from ..core.facts import GET_RECORDS_CALLS_PER_SEC

DEFAULT_MAX_CALLS = 200
THROTTLED = "ProvisionedThroughputExceededException"
# Attributes of a boto3 client that are not API calls: handed through untouched and uncounted.
_NOT_CALLS = frozenset({"exceptions", "meta", "can_paginate", "get_paginator", "get_waiter"})


class CallBudgetExceeded(RuntimeError):
    """The learner's code made more API calls than the test allows (a loop that never ends)."""


class CallBudget:
    """A client wrapper that counts API calls and error codes, and stops a runaway loop.

    Every API call goes to the wrapped client; after ``max_calls`` calls in total the next one
    raises :class:`CallBudgetExceeded` instead, so a loop that retries without ever moving the
    lab clock ends quickly. ``client.exceptions`` and ``client.meta`` are the wrapped client's,
    so ``except kinesis.exceptions.ExpiredIteratorException`` works as usual.
    """

    def __init__(self, client: Any, max_calls: int = DEFAULT_MAX_CALLS) -> None:
        self._client = client
        self.max_calls = max_calls
        self.calls: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if name.startswith("_") or name in _NOT_CALLS or not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            if self.total_calls >= self.max_calls:
                raise CallBudgetExceeded(
                    f"more than {self.max_calls} API calls: a loop that never ends "
                    "(does it wait after a throttle, and stop when it is caught up?)"
                )
            self.calls[name] += 1
            try:
                return attribute(*args, **kwargs)
            except ClientError as error:
                self.errors[error.response.get("Error", {}).get("Code", "ClientError")] += 1
                raise

        return call

    def report(self) -> dict[str, dict[str, int]]:
        """API calls and error codes seen so far, by name (sorted)."""
        return {
            "calls": dict(sorted(self.calls.items())),
            "errors": dict(sorted(self.errors.items())),
        }


class LabWait:
    """A ``wait(seconds)`` for learner code: moves the lab clock and remembers each pause.

    On a simulated lab clock the pause takes no real time (``lab.advance``); on the real clock
    it sleeps. Anything but a non-negative number is recorded as ``None`` and waits nothing.
    """

    def __init__(self, lab: Any) -> None:
        self._lab = lab
        self.waits: list[float | None] = []

    def __call__(self, seconds: Any) -> None:
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
            self.waits.append(None)
            return
        self.waits.append(float(seconds))
        self._lab.advance(float(seconds))

    @property
    def total_seconds(self) -> float:
        return sum(w for w in self.waits if w is not None)


def use_up_reads(kinesis: Any, stream_name: str, shard_id: str) -> int:
    """SIMULATION: another standard consumer uses up the shard's GetRecords calls for the
    current lab-clock second (F3: 5 per second per shard, shared by standard consumers).

    Makes calls with a LATEST iterator (they return no data) until the shard refuses one, and
    returns how many were accepted. Pass a client that does not retry throttled calls
    (:func:`kinesis_lab.patterns.consumers.no_retry_client`): a retrying SDK would wait for the next
    second and so move a simulated clock.
    """
    iterator = kinesis.get_shard_iterator(
        StreamName=stream_name, ShardId=shard_id, ShardIteratorType="LATEST"
    )["ShardIterator"]
    accepted = 0
    for _ in range(GET_RECORDS_CALLS_PER_SEC + 1):
        try:
            response = kinesis.get_records(ShardIterator=iterator, Limit=1)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == THROTTLED:
                break
            raise
        accepted += 1
        iterator = response.get("NextShardIterator") or iterator
    return accepted


@contextmanager
def simulated_lab_clock(lab: Any) -> Iterator[Any]:
    """Run a block on a fresh simulated lab clock; afterwards the lab keeps the kind of clock
    it had (a real clock stays real; a simulated one goes on from where the block left it)."""
    was_simulated = clock.get_clock().simulated
    simulated = lab.use_simulated_clock()
    try:
        yield simulated
    finally:
        if not was_simulated:
            lab.use_real_clock()
