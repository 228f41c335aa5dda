"""Where the simulations run: in this process (the mock), or in a local endpoint's process.

Why: with ``start_lab(target="local")`` the mocked account lives in the ``kinesis-lab
endpoint`` process, so Lambda's pollers, the Firehose buffers, the limits and the shard-level
metrics live there too, and a notebook that looked at them in its own process would see
nothing. The lab session registers the endpoint here; the few read-outs a lesson calls
directly (:func:`~.metrics.shard_metrics`, :func:`~.firehose.buffer_state`,
:func:`~.limits.describe`, :meth:`~.lambda_account.SimulatedLambda.watch`) ask it instead.
This module knows nothing of HTTP: the registered object
(:class:`kinesis_lab.account.endpoint_simulations.EndpointSimulations`) does.
"""

from __future__ import annotations

from typing import Any

_remote: Any = None


def use_remote(simulations: Any) -> None:
    """Send simulation read-outs to ``simulations`` (``None``: back to this process)."""
    global _remote
    _remote = simulations


def remote() -> Any:
    """The simulations of the account this process talks to, when they run elsewhere."""
    return _remote
