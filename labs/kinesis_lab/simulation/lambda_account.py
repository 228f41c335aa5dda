"""SIMULATION: Lambda's pollers for the functions and event source mappings in the account.

Why: a learner creates the function (``lambda.create_function``, the handler in a deployment
package) and the mapping (``lambda.create_event_source_mapping``) with the real API, exactly as
on AWS. moto 5.2.5 stores both and returns them (``get_function``,
``list_event_source_mappings``, ``get_event_source_mapping``) but cannot run them: its invoke
needs Docker and nothing polls the stream. This thin layer reads what the learner built from
the account and hands it to the tested engine, :class:`~.lambda_esm.EventSourceMapping`
(batching, retries, bisect, partial batch responses, destinations, windows):

    lam.create_function(FunctionName="alerts", Handler="lambda_function.handler", ...)
    lam.create_event_source_mapping(FunctionName="alerts", EventSourceArn=stream_arn, ...)
    service = SimulatedLambda(lam, kinesis)
    service.run_until_idle()              # on AWS: Lambda polls all the time, you just wait
    service.engine(uuid).invocations      # what the simulated mapping did, batch by batch

The handler is loaded from the function's deployment package (its ``Handler`` setting,
``module.function``) and runs in this Python process, in a module of its own: it sees only
what the package imports, as on AWS. What it prints goes to the function's log group
``/aws/lambda/<name>`` in the (mocked) CloudWatch Logs, as on AWS, and to
:attr:`SimulatedLambda.printed`.

A mapping is picked up at the first request after ``CreateEventSourceMapping`` (a hook before
every mocked request, :mod:`.hooks`), so that ``StartingPosition="LATEST"`` starts where the
stream was when the mapping was created. Updates, disabling and deletion are read the same way.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import sys
import tempfile
import time
import urllib.request
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from ..core import clock
from ..core.facts import ESM_BATCHING_WINDOW_MAX_SECONDS, ESM_POLL_INTERVAL_SECONDS
from . import hooks, host
from .lambda_config import MAPPING_PARAMETERS
from .lambda_esm import LABEL, EventSourceMapping, Invocation

CHANGES = {  # Lambda actions after which the mappings are read again
    "CreateEventSourceMapping",
    "UpdateEventSourceMapping",
    "DeleteEventSourceMapping",
    "CreateFunction",
    "UpdateFunctionCode",
    "UpdateFunctionConfiguration",
    "DeleteFunction",
}
LAMBDA_SERVICES = ("awslambda", "lambda")
GONE = ("ResourceNotFoundException",)


def stream_name_of(event_source_arn: str) -> str:
    """``arn:aws:kinesis:…:stream/NAME`` (or an enhanced fan-out consumer of it) → NAME."""
    resource = event_source_arn.split(":", 5)[5]
    return resource.split("/")[1]


# --- deployment packages --------------------------------------------------------------------


def package_code(zip_bytes: bytes, module: str) -> str:
    """The source of ``module`` (``lambda_function`` → lambda_function.py) in a zip."""
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as archive:
        return archive.read(module.replace(".", "/") + ".py").decode("utf-8")


def load_handler(zip_bytes: bytes, handler: str) -> Any:
    """The function named by a ``Handler`` setting (``module.function``), loaded from a
    deployment package into a fresh module — not into ``sys.modules``, so two functions with
    a module of the same name never meet. Raises ``ImportError``/``AttributeError`` as the
    Python runtime's ``Runtime.ImportModuleError``/``Runtime.HandlerNotFound`` would."""
    module_name, _, function_name = handler.rpartition(".")
    if not module_name or not function_name:
        raise ImportError(f"Bad handler {handler!r}: expected module.function")
    directory = tempfile.mkdtemp(prefix="kinesis-lab-lambda-")
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as archive:
        archive.extractall(directory)
    path = Path(directory, *module_name.split(".")).with_suffix(".py")
    if not path.exists():
        raise ImportError(f"Unable to import module {module_name!r}: no {path.name} in the package")
    spec = importlib.util.spec_from_file_location(f"_lambda_package_{module_name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, directory)  # the package's other modules, as in /var/task
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(directory)
    function = getattr(module, function_name, None)
    if not callable(function):
        raise AttributeError(f"Handler {function_name!r} missing on module {module_name!r}")
    return function


def deployment_package(lambda_client: Any, function_name: str) -> bytes:
    """The function's zip: from moto's store in this process, else downloaded from the
    ``Code.Location`` that GetFunction returns (a local endpoint, LocalStack, AWS)."""
    described = lambda_client.get_function(FunctionName=function_name)
    arn = described["Configuration"]["FunctionArn"]
    _, _, _, region, account, _ = arn.split(":", 5)
    try:
        from moto.awslambda.models import lambda_backends

        function = lambda_backends[account][region].get_function(function_name)
        return bytes(function.code_bytes)
    except Exception:  # not an in-process moto account
        with urllib.request.urlopen(described["Code"]["Location"], timeout=30) as response:
            return response.read()


# --- moto's own mapping ------------------------------------------------------------------------

_stock_send: list[Any] = []
_silencers: set[int] = set()  # id() of each SimulatedLambda that is watching


def _silence_moto_invocations(watcher: object, silent: bool) -> None:
    """moto's Kinesis ``put_record`` invokes a mapped function once per record, through
    Docker (moto-fidelity.md); with this simulation in charge that must not happen. Silenced
    while any watcher watches (a lesson's pollers, the endpoint's per region); moto's method
    is put back when the last one stops, and only if it was replaced here."""
    from moto.awslambda.models import LambdaBackend

    if silent:
        _silencers.add(id(watcher))
        if not _stock_send:
            _stock_send.append(LambdaBackend.send_kinesis_message)
            LambdaBackend.send_kinesis_message = lambda self, *args, **kwargs: None  # type: ignore[method-assign]
        return
    _silencers.discard(id(watcher))
    if not _silencers and _stock_send:
        LambdaBackend.send_kinesis_message = _stock_send.pop()  # type: ignore[method-assign]


# --- the simulated service ------------------------------------------------------------------


@dataclass
class _Running:
    engine: EventSourceMapping
    last_modified: Any
    function_sha: str
    parameters: dict[str, Any]


@dataclass
class SimulatedLambda:
    """Lambda's pollers, for every Kinesis event source mapping in one (mocked) account."""

    lambda_client: Any
    kinesis: Any
    clients: Mapping[str, Any] | None = None
    publish_metrics: bool = False
    write_logs: bool = True
    printed: dict[str, list[str]] = field(default_factory=dict)  # function → printed lines
    _running: dict[str, _Running] = field(default_factory=dict)
    _handlers: dict[str, tuple[str, Any]] = field(default_factory=dict)  # name → (sha, fn)
    _stale: bool = True
    _syncing: bool = False
    _log_streams: set[str] = field(default_factory=set)

    # -- reading the account -----------------------------------------------------------------
    def watch(self) -> Any:
        """Read the mappings again at the first request after any change to them, and stop
        moto's own per-record invocation (it needs Docker) — mock only. When the account
        lives in a local endpoint (``target="local"``), its pollers run there: this returns
        the endpoint's (:mod:`kinesis_lab.account.endpoint_simulations`), with the same
        methods."""
        remote = host.remote()
        if remote is not None and remote.serves(self.lambda_client):
            return remote.lambda_pollers(self.lambda_client.meta.region_name)
        hooks.before_each_request(self._before_request)
        _silence_moto_invocations(self, True)
        return self

    def unwatch(self) -> None:
        """Stop reading the account before requests; other watchers keep moto silenced."""
        hooks.remove(self._before_request)
        _silence_moto_invocations(self, False)

    def _before_request(self, service: str, action: str) -> None:
        if service in LAMBDA_SERVICES and action in CHANGES:
            self._stale = True
        elif self._stale and not self._syncing:
            self.sync()

    def sync(self) -> None:
        """Start engines for new Enabled Kinesis mappings, restart changed ones, stop the
        ones that are disabled or deleted."""
        if self._syncing:
            return
        self._syncing = True
        try:
            self._stale = False
            mappings = []
            pages = self.lambda_client.get_paginator("list_event_source_mappings").paginate()
            for page in pages:
                mappings += page["EventSourceMappings"]
            alive = set()
            for mapping in mappings:
                arn = mapping.get("EventSourceArn", "")
                if ":kinesis:" not in arn or mapping.get("State") not in ("Enabled", "Creating"):
                    continue
                try:
                    self._start(mapping)
                except ClientError as error:  # its stream or function is gone
                    if error.response["Error"]["Code"] not in GONE:
                        raise
                    continue
                alive.add(mapping["UUID"])
            for uuid in set(self._running) - alive:
                self._running[uuid].engine.enabled = False
                del self._running[uuid]
        finally:
            self._syncing = False

    def _start(self, mapping: Mapping[str, Any]) -> None:
        uuid = mapping["UUID"]
        function_name = mapping["FunctionArn"].split(":")[6]
        configuration = self.lambda_client.get_function(FunctionName=function_name)["Configuration"]
        sha = configuration.get("CodeSha256", "")
        parameters = {name: mapping[name] for name in MAPPING_PARAMETERS if name in mapping}
        if parameters.get("DestinationConfig") == {}:
            del parameters["DestinationConfig"]
        running = self._running.get(uuid)
        # LastModified alone may miss an update: moto stamps it to the wall-clock second.
        if running and (running.last_modified, running.function_sha, running.parameters) == (
            mapping.get("LastModified"),
            sha,
            parameters,
        ):
            return
        engine = EventSourceMapping(
            self.kinesis,
            stream_name_of(mapping["EventSourceArn"]),
            self._handler(function_name, configuration),
            FunctionName=function_name,
            Timeout=configuration.get("Timeout", 3),
            MemorySize=configuration.get("MemorySize", 128),
            clients=self.clients,
            publish_metrics=self.publish_metrics,
            UUID=uuid,
            Role=configuration.get("Role"),
            **parameters,
        )
        if running:  # a changed mapping goes on from where the old one was (same batchers)
            old = running.engine
            if old.settings.parallelization_factor == engine.settings.parallelization_factor:
                engine.poller = old.poller
                engine.poller.settings = engine.settings
            old.enabled = False
        self._running[uuid] = _Running(engine, mapping.get("LastModified"), sha, parameters)

    def _handler(self, function_name: str, configuration: Mapping[str, Any]) -> Any:
        sha = configuration.get("CodeSha256", "")
        known = self._handlers.get(function_name)
        if known is None or known[0] != sha:
            package = deployment_package(self.lambda_client, function_name)
            known = (sha, load_handler(package, configuration["Handler"]))
            self._handlers[function_name] = known
        function = known[1]

        def invoke(event: dict[str, Any], context: Any) -> Any:
            out = io.StringIO()
            try:
                with contextlib.redirect_stdout(out):
                    return function(event, context)
            finally:
                self._log(function_name, context.aws_request_id, out.getvalue())

        return invoke

    def _log(self, function_name: str, request_id: str, text: str) -> None:
        lines = [line for line in text.splitlines() if line.strip()]
        self.printed.setdefault(function_name, []).extend(lines)
        if not (self.write_logs and lines):
            return
        logs = self._client("logs")
        group = f"/aws/lambda/{function_name}"
        stream = f"{time.strftime('%Y/%m/%d')}/[$LATEST]{LABEL.lower()}"
        if (group, stream) not in self._log_streams:
            with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
                logs.create_log_group(logGroupName=group)
            with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
                logs.create_log_stream(logGroupName=group, logStreamName=stream)
            self._log_streams.add((group, stream))
        # Stamped with the wall clock: CloudWatch Logs refuses events more than 14 days old,
        # and a simulated lab clock may be anywhere.
        millis = int(time.time() * 1000)
        logs.put_log_events(
            logGroupName=group,
            logStreamName=stream,
            logEvents=[{"timestamp": millis, "message": line} for line in lines],
        )

    def forget_logs(self, function_name: str) -> None:
        """Drop what a function printed (when it is deleted, with its log group)."""
        self.printed.pop(function_name, None)
        self._log_streams = {
            (g, s) for g, s in self._log_streams if g != f"/aws/lambda/{function_name}"
        }

    def _client(self, service: str) -> Any:
        given = dict(self.clients or {})
        if service in given:
            return given[service]
        from .lambda_destinations import _sibling_client

        return _sibling_client(self.kinesis, service)

    # -- what a lesson reads -----------------------------------------------------------------
    def engine(self, uuid: str) -> EventSourceMapping:
        """The simulated mapping with this UUID (its invocation log, discards, IteratorAge)."""
        if self._stale or uuid not in self._running:
            self.sync()
        return self._running[uuid].engine

    @property
    def engines(self) -> list[EventSourceMapping]:
        return [running.engine for running in self._running.values()]

    # -- driving it ----------------------------------------------------------------------------
    def poll_once(self) -> list[Invocation]:
        """One polling cycle of every mapping at the current lab time."""
        self.sync()
        made: list[Invocation] = []
        for engine in self.engines:
            made += self._poll(engine)
        return made

    @staticmethod
    def _poll(engine: EventSourceMapping) -> list[Invocation]:
        try:
            return engine.poll_once()
        except ClientError as error:  # the stream was deleted under the mapping
            if error.response["Error"]["Code"] not in GONE:
                raise
            engine.enabled = False
            return []

    def run_until_idle(
        self, max_seconds: float = ESM_BATCHING_WINDOW_MAX_SECONDS
    ) -> list[Invocation]:
        """Poll every mapping until all are caught up and nothing waits for a retry or a
        window, or until ``max_seconds`` of lab time have passed; moves the lab clock to each
        next thing due (as each engine's own ``run_until_idle`` does, for all of them at once).
        """
        self.sync()
        made: list[Invocation] = []
        deadline = clock.now() + max_seconds
        while True:
            engines = [engine for engine in self.engines if engine.enabled]
            if not engines:
                break
            progress = sum(e._progress + e.poller.progress for e in engines)
            for engine in engines:
                made += self._poll(engine)
            now = clock.now()
            dues = [d for d in (e.poller.next_due(now) for e in engines) if d is not None]
            if not dues:
                break
            due = min(dues)
            if due > deadline:
                clock.advance(max(0.0, deadline - now))
                break
            moved = sum(e._progress + e.poller.progress for e in engines) != progress
            if due <= now and not moved:
                due = now + ESM_POLL_INTERVAL_SECONDS
            if due > now:
                clock.advance(min(due, deadline) - now)
        return made
