"""SIMULATION hosted by the local endpoint: Lambda's pollers, and what lessons read of the
simulations, in the ``kinesis-lab endpoint`` process.

Why: with ``start_lab(target="local")`` the mocked account lives in the endpoint, so the
simulations that act on it must run there: a learner's plain boto3 calls
(``lambda.create_function`` with the handler's .zip, ``create_event_source_mapping``,
``firehose.create_delivery_stream``) go to the endpoint, and the endpoint runs them from the
account's own configuration, exactly as the in-process mock does. The Firehose, limits and
lifecycle simulations already sit on every request there (:func:`apply_mock_behaviour`); this
module adds Lambda's pollers (:class:`~kinesis_lab.simulation.lambda_account.SimulatedLambda`
over boto3 clients that reach moto *inside* the endpoint, no HTTP) and a few actions on the
endpoint's control channel (:mod:`.clockcontrol`), all POST with a JSON body::

    /_kinesis_lab/lambda/run          {"region", "max_seconds"}  poll until idle (lab clock)
    /_kinesis_lab/lambda/poll         {"region"}                 one polling cycle
    /_kinesis_lab/lambda/mappings     {"region", "uuid"?}        the simulated mappings' logs
    /_kinesis_lab/lambda/forget_logs  {"region", "function_name"}
    /_kinesis_lab/firehose/buffer     {"stream_name", "region"?, "account_id"?}
    /_kinesis_lab/metrics/shard       {"stream_name", "metric"?, "region"?, "account_id"?}
    /_kinesis_lab/limits              {}                          the limits' note ("" if off)

:class:`EndpointSimulations` is the notebook's side: the lab session registers it
(:mod:`kinesis_lab.simulation.host`) so ``lesson.run_lambda(lab)``, ``shard_metrics(...)``
and ``buffer_state(...)`` work unchanged against the endpoint.

Trust boundary: the endpoint runs the handler it finds in a function's .zip in its own Python
process, with no isolation — as the in-process mock runs it in the notebook's kernel. That is
sound because the endpoint is the learner's own local process (loopback only, started by the
learner for their own notebooks): it runs the code they would run in their kernel anyway. An
endpoint that serves code someone else wrote (a grader's) must be confined like that code
(INSTRUCTORS.md, "The grader and the local endpoint").
"""

from __future__ import annotations

import threading
from dataclasses import asdict, fields
from datetime import datetime, timezone
from typing import Any

from ..simulation.lambda_config import MappingSettings
from ..simulation.lambda_esm import Discard, EventSourceMapping, Invocation
from . import clockcontrol
from .awsenv import FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY

HOSTED_CLIENTS = ("lambda", "kinesis", "logs", "sqs", "sns", "s3", "cloudwatch")
DEFAULT_REGION = "us-east-1"
RUN_TIMEOUT_SECONDS = 900  # a run on the real clock takes as long as the lab time it covers


# --- the endpoint's side ------------------------------------------------------------------------


class HostedSimulations:
    """Lambda's pollers for the endpoint's account, one :class:`SimulatedLambda` per region,
    each watching for new mappings before every request (so LATEST starts where the stream
    was when the mapping was created)."""

    def __init__(self, regions: tuple[str, ...] = (DEFAULT_REGION,)) -> None:
        from moto import mock_aws

        # boto3 clients in this process reach moto here, never the network; the server's
        # state is kept (reset=False) and the environment untouched.
        self._mock = mock_aws(
            config={"core": {"mock_credentials": False, "reset_boto3_session": False}}
        )
        self._mock.start(reset=False)
        self._lock = threading.RLock()
        self._pollers: dict[str, Any] = {}
        for region in regions:
            self.pollers(region)

    def pollers(self, region: str | None = None) -> Any:
        from ..simulation.lambda_account import SimulatedLambda

        region = region or DEFAULT_REGION
        with self._lock:
            if region not in self._pollers:
                import boto3

                session = boto3.session.Session(
                    aws_access_key_id=FAKE_ACCESS_KEY_ID,
                    aws_secret_access_key=FAKE_SECRET_ACCESS_KEY,
                    region_name=region,
                )
                clients = {name: session.client(name) for name in HOSTED_CLIENTS}
                self._pollers[region] = SimulatedLambda(
                    clients["lambda"], clients["kinesis"], clients=clients
                ).watch()
            return self._pollers[region]

    def stop(self) -> None:
        with self._lock:
            for pollers in self._pollers.values():
                pollers.unwatch()
            self._pollers.clear()
        self._mock.stop(remove_data=False)

    # -- actions --------------------------------------------------------------------------------
    def run(self, body: dict[str, Any]) -> dict[str, Any]:
        max_seconds = float(body.get("max_seconds", 300))
        if max_seconds < 0:
            raise ValueError("max_seconds must be 0 or more")
        with self._lock:
            made = self.pollers(body.get("region")).run_until_idle(max_seconds=max_seconds)
        return {"invocations": [invocation_to_json(i) for i in made]}

    def poll(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            made = self.pollers(body.get("region")).poll_once()
        return {"invocations": [invocation_to_json(i) for i in made]}

    def mappings(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            pollers = self.pollers(body.get("region"))
            if body.get("uuid"):
                engines = [pollers.engine(str(body["uuid"]))]
            else:
                pollers.sync()
                engines = pollers.engines
            return {"mappings": [mapping_to_json(engine) for engine in engines]}

    def forget_logs(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self.pollers(body.get("region")).forget_logs(str(body["function_name"]))
        return {}


def buffer_state_action(body: dict[str, Any]) -> dict[str, Any]:
    from ..simulation.firehose import buffer_state

    return {"state": buffer_state(str(body["stream_name"]), **_where(body))}


def shard_metrics_action(body: dict[str, Any]) -> dict[str, Any]:
    from ..simulation.metrics import shard_metrics

    rows = shard_metrics(str(body["stream_name"]), body.get("metric"), **_where(body))
    return {"rows": [{**row, "timestamp": row["timestamp"].timestamp()} for row in rows]}


def limits_action(_: dict[str, Any]) -> dict[str, Any]:
    from ..simulation import limits

    return {"note": limits.describe()}


def _where(body: dict[str, Any]) -> dict[str, Any]:
    return {"region": body.get("region"), "account_id": body.get("account_id")}


_hosted: HostedSimulations | None = None
_users = 0
_hosting_lock = threading.Lock()


def acquire() -> HostedSimulations:
    """Start Lambda's pollers in this (the endpoint's) process and answer the actions. One
    set per process, however many endpoints it serves: they share moto's one account."""
    global _hosted, _users
    with _hosting_lock:
        if _hosted is None:
            _hosted = HostedSimulations()
            for path, action in (
                ("lambda/run", _hosted.run),
                ("lambda/poll", _hosted.poll),
                ("lambda/mappings", _hosted.mappings),
                ("lambda/forget_logs", _hosted.forget_logs),
                ("firehose/buffer", buffer_state_action),
                ("metrics/shard", shard_metrics_action),
                ("limits", limits_action),
            ):
                clockcontrol.register_action("POST", path, action)
        _users += 1
        return _hosted


def release() -> None:
    """An endpoint stopped; the last one stops the pollers."""
    global _hosted, _users
    with _hosting_lock:
        _users = max(0, _users - 1)
        if _users == 0 and _hosted is not None:
            _hosted.stop()
            _hosted = None


# --- the wire format --------------------------------------------------------------------------


def invocation_to_json(invocation: Invocation) -> dict[str, Any]:
    return asdict(invocation)


def invocation_from_json(data: dict[str, Any]) -> Invocation:
    return Invocation(
        **{
            **data,
            "sequence_numbers": tuple(data["sequence_numbers"]),
            "partition_keys": tuple(data["partition_keys"]),
        }
    )


def mapping_to_json(engine: EventSourceMapping) -> dict[str, Any]:
    return {
        "uuid": engine.uuid,
        "stream_name": engine.stream_name,
        "stream_arn": engine.stream_arn,
        "function_arn": engine.function_arn,
        "created_at": engine.created_at,
        "enabled": engine.enabled,
        "settings": asdict(engine.settings),
        "configuration": engine.configuration,
        "invocations": [invocation_to_json(i) for i in engine.invocations],
        "discards": [asdict(d) for d in engine.discards],
        "iterator_age": [
            {**point, "Timestamp": point["Timestamp"].timestamp()} for point in engine.iterator_age
        ],
        "throttled_reads": engine.throttled_reads(),
    }


class HostedMapping:
    """SIMULATION: what an event source mapping hosted by the endpoint has done, as of the
    moment it was read — the read-only side of
    :class:`~kinesis_lab.simulation.lambda_esm.EventSourceMapping` (invocations, discards,
    IteratorAge) that lessons and widgets look at."""

    invocation_rows = EventSourceMapping.invocation_rows
    iterator_age_by_shard = EventSourceMapping.iterator_age_by_shard

    def __init__(self, data: dict[str, Any]) -> None:
        self.uuid: str = data["uuid"]
        self.stream_name: str = data["stream_name"]
        self.stream_arn: str = data["stream_arn"]
        self.function_arn: str = data["function_arn"]
        self.created_at: float = data["created_at"]
        self.enabled: bool = data["enabled"]
        names = {f.name for f in fields(MappingSettings)}
        self.settings = MappingSettings(**{k: v for k, v in data["settings"].items() if k in names})
        self.configuration: dict[str, Any] = data["configuration"]
        self.invocations = [invocation_from_json(i) for i in data["invocations"]]
        self.discards = [
            Discard(**{**d, "sequence_numbers": tuple(d["sequence_numbers"])})
            for d in data["discards"]
        ]
        self.iterator_age = [
            {**p, "Timestamp": datetime.fromtimestamp(p["Timestamp"], timezone.utc)}
            for p in data["iterator_age"]
        ]
        self._throttled_reads: dict[str, int] = data["throttled_reads"]

    def throttled_reads(self) -> dict[str, int]:
        return dict(self._throttled_reads)

    def __repr__(self) -> str:
        return (
            f"<HostedMapping {self.uuid} {self.stream_name} → "
            f"{self.function_arn.rsplit(':', 1)[-1]}: {len(self.invocations)} invocations "
            "(SIMULATION, in the endpoint)>"
        )


# --- the notebook's side ------------------------------------------------------------------------


class EndpointSimulations:
    """The simulations of a local endpoint's account, asked over its control channel."""

    def __init__(self, endpoint_url: str, region: str = DEFAULT_REGION) -> None:
        self.endpoint_url = endpoint_url.rstrip("/")
        self.region = region

    def _call(self, path: str, body: dict[str, Any], timeout: float = 120) -> dict[str, Any]:
        try:
            return clockcontrol.call(self.endpoint_url, path, body, timeout=timeout)
        except clockcontrol.EndpointError as error:
            if "no such action" in str(error):
                raise clockcontrol.EndpointError(
                    f"{self.endpoint_url} does not host the course's simulations: start it "
                    "with `make endpoint` (kinesis-lab endpoint)."
                ) from None
            raise

    def serves(self, client: Any) -> bool:
        """Whether a boto3 client talks to this endpoint."""
        url = (getattr(client.meta, "endpoint_url", "") or "").rstrip("/")
        return url == self.endpoint_url

    def lambda_pollers(self, region: str | None = None) -> HostedLambda:
        return HostedLambda(self, region or self.region)

    def shard_metrics(self, stream_name: str, metric: str | None, **where: Any) -> list:
        body = {"stream_name": stream_name, "metric": metric, **where}
        rows = self._call("metrics/shard", body)["rows"]
        return [
            {**row, "timestamp": datetime.fromtimestamp(row["timestamp"], timezone.utc)}
            for row in rows
        ]

    def buffer_state(self, stream_name: str, **where: Any) -> dict[str, Any]:
        return self._call("firehose/buffer", {"stream_name": stream_name, **where})["state"]

    def limits_note(self) -> str:
        return str(self._call("limits", {})["note"])


class HostedLambda:
    """SIMULATION: Lambda's pollers running in the endpoint, driven from a notebook — the
    methods of :class:`~kinesis_lab.simulation.lambda_account.SimulatedLambda` a lesson uses.
    Invocations and mappings come back as snapshots (:class:`HostedMapping`)."""

    def __init__(self, simulations: EndpointSimulations, region: str) -> None:
        self._simulations = simulations
        self.region = region

    def _call(self, path: str, timeout: float = 120, **body: Any) -> dict[str, Any]:
        return self._simulations._call(path, {"region": self.region, **body}, timeout)

    def run_until_idle(self, max_seconds: float = 300) -> list[Invocation]:
        made = self._call("lambda/run", RUN_TIMEOUT_SECONDS, max_seconds=max_seconds)
        return [invocation_from_json(i) for i in made["invocations"]]

    def poll_once(self) -> list[Invocation]:
        return [invocation_from_json(i) for i in self._call("lambda/poll")["invocations"]]

    def engine(self, uuid: str) -> HostedMapping:
        return HostedMapping(self._call("lambda/mappings", uuid=uuid)["mappings"][0])

    @property
    def engines(self) -> list[HostedMapping]:
        return [HostedMapping(m) for m in self._call("lambda/mappings")["mappings"]]

    def sync(self) -> None:
        self._call("lambda/mappings")

    def forget_logs(self, function_name: str) -> None:
        self._call("lambda/forget_logs", function_name=function_name)

    def watch(self) -> HostedLambda:
        return self

    def unwatch(self) -> None:
        """The endpoint's pollers keep watching its account (they belong to the endpoint)."""

    def __repr__(self) -> str:
        return f"<HostedLambda {self._simulations.endpoint_url} {self.region} (SIMULATION)>"
