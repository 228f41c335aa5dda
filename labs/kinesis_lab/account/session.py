"""The lab session: one call gives a notebook a ready AWS account — mocked by default.

``lab = start_lab()`` starts an in-process mocked account (moto, with the course's fidelity
fixes), fake credentials and a fixed region, and switches on the network guard, so nothing a
lab does can reach a real endpoint. Re-running the cell returns the same session; ``lab.reset()``
wipes every resource. Other endpoints need an explicit opt-in (``target=``), and real AWS a
second one (``i_accept_aws_costs=True``) because it costs money.
"""

from __future__ import annotations

import functools
import math
import os
import urllib.request
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import boto3
import botocore.loaders
import botocore.session
from botocore.config import Config

from ..core import clock
from ..mock.behaviour import apply_mock_behaviour, remove_simulations
from . import browser, netguard, retrysleep
from .awsenv import FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY, ScrubbedEnvironment
from .labresources import cleanup_lab_resources, mark_lab_resources

DEFAULT_REGION = "us-east-1"
MOCK_ACCOUNT_ID = "123456789012"
SERVICES = ("kinesis", "firehose", "s3", "dynamodb", "cloudwatch")
TARGETS = ("mock", "local", "localstack", "aws")
DEFAULT_ENDPOINTS = {"local": "http://127.0.0.1:5000", "localstack": "http://localhost:4566"}

# Opt-in settings that may also come from the environment (e.g. a class JupyterHub).
ENV_TARGET = "KINESIS_LAB_TARGET"
ENV_ENDPOINT_URL = "KINESIS_LAB_ENDPOINT_URL"
ENV_ACCEPT_COSTS = "KINESIS_LAB_I_ACCEPT_AWS_COSTS"
ENV_ENDPOINT_SOCKET = "KINESIS_LAB_ENDPOINT_SOCKET"  # target "local" on a Unix socket

COST_WARNING = (
    "WARNING: this lab is connected to REAL AWS. Streams, shards and delivery streams are "
    "billed by the hour until deleted. Every resource the lab creates is prefixed "
    "'kinesis-lab-' and tagged kinesis-lab=course; delete them all with lab.cleanup() or "
    "`kinesis-lab cleanup --target aws`."
)


class LabConfigurationError(ValueError):
    """A lab setting that cannot be honoured, with what to do instead."""


@dataclass(frozen=True)
class LabSettings:
    target: str = "mock"
    region: str = DEFAULT_REGION
    endpoint_url: str | None = None
    fidelity_fixes: bool = True
    limits: bool = True


@dataclass
class Lab:
    """A connected lab account: boto3 clients plus the few helpers every lesson needs."""

    settings: LabSettings
    clients: dict[str, Any] = field(default_factory=dict)
    _boto_session: Any = None
    _mock: Any = None
    _environment: ScrubbedEnvironment | None = None

    # -- what lessons touch -------------------------------------------------------------
    @property
    def target(self) -> str:
        return self.settings.target

    @property
    def region(self) -> str:
        return self.settings.region

    @property
    def offline(self) -> bool:
        return self.settings.target != "aws"

    @property
    def account_id(self) -> str:
        if self.target == "mock":
            return MOCK_ACCOUNT_ID
        return self.client("sts").get_caller_identity()["Account"]

    @property
    def kinesis(self) -> Any:
        return self.client("kinesis")

    @property
    def firehose(self) -> Any:
        return self.client("firehose")

    @property
    def s3(self) -> Any:
        return self.client("s3")

    @property
    def dynamodb(self) -> Any:
        return self.client("dynamodb")

    @property
    def cloudwatch(self) -> Any:
        return self.client("cloudwatch")

    def client(self, service: str) -> Any:
        """A client for any service, configured like the lab's own; made when first asked for."""
        if service not in self.clients:
            self.clients[service] = _make_client(self._boto_session, service, self.settings)
        return self.clients[service]

    def all_clients(self) -> dict[str, Any]:
        """Every client of this lab: the five lab services' (made now if a lesson has not used
        one yet) and any other made so far. For what must reach all of them (real AWS)."""
        for service in SERVICES:
            self.client(service)
        return self.clients

    def create_stream(
        self, name: str, shard_count: int = 1, on_demand: bool = False, **kwargs: Any
    ) -> str:
        """(Re)create a stream and wait until it is ACTIVE: re-running a cell starts clean (a
        stream still DELETING from an earlier run is waited out, F120)."""
        from ..clients.resources import delete_stream

        kinesis = self.kinesis
        delete_stream(kinesis, name)
        if on_demand:
            kinesis.create_stream(
                StreamName=name, StreamModeDetails={"StreamMode": "ON_DEMAND"}, **kwargs
            )
        else:
            kinesis.create_stream(StreamName=name, ShardCount=shard_count, **kwargs)
        kinesis.get_waiter("stream_exists").wait(
            StreamName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 120}
        )
        return kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"][
            "StreamName"
        ]

    # -- time --------------------------------------------------------------------------
    @property
    def clock(self) -> Any:
        """The lab clock every simulation reads: this process's, or the local endpoint's."""
        if self.target == "local":
            from .clockcontrol import EndpointClock

            return EndpointClock(self.settings.endpoint_url)
        return clock.get_clock()

    def use_simulated_clock(self, start: float | None = None) -> Any:
        """SIMULATION: freeze time; it moves only with ``lab.advance(seconds)``.

        Makes "per second" limits and five-minute expiries instant and repeatable. It starts
        at the current whole second (never before records already written), unless told.
        On the local endpoint this switches the endpoint's clock.
        """
        if self.target == "local":
            self.clock.simulate(start)
            return self.clock
        if self.target != "mock":
            raise LabConfigurationError(
                "Only the mock and the local endpoint can run on a simulated clock; "
                f"{self.target!r} keeps real time."
            )
        if start is None:
            start = float(math.ceil(max(clock.now(), clock.DEFAULT_SIMULATED_START)))
        return clock.use_simulated_clock(start)

    def use_real_clock(self) -> Any:
        if self.target == "local":
            self.clock.use_real_time()
            return self.clock
        return clock.use_real_clock()

    def advance(self, seconds: float) -> float:
        """Move the lab clock forward (on the real clock this sleeps) and let the
        simulations catch up, as if the time had really passed."""
        if self.target == "local":  # the endpoint's simulations catch up there
            return self.clock.advance(seconds)
        now = clock.advance(seconds)
        if self.target == "mock":
            from ..simulation import hooks

            hooks.run_callbacks("", "")
        return now

    def reset(self) -> None:
        """Delete every resource in the lab account (mock and local endpoint only)."""
        if self.target == "mock":
            from moto.moto_api._internal.models import moto_api_backend

            moto_api_backend.reset()
        elif self.target == "local":
            _post(f"{self.settings.endpoint_url}/moto-api/reset")
        else:
            raise LabConfigurationError(
                f"reset() only wipes mocked accounts; on {self.target!r} use lab.cleanup()."
            )

    def cleanup(self, dry_run: bool = False) -> list[str]:
        """Delete every resource this course created (prefixed and tagged) in the account."""
        return cleanup_lab_resources(self.all_clients(), dry_run=dry_run)

    def stop(self) -> None:
        """End the session: stop the mock, give the environment back, lift the guard."""
        global _current
        if self._mock is not None:
            self._mock.stop()
            self._mock = None
            remove_simulations()
        if self.target == "local":
            from ..simulation import host

            host.use_remote(None)
            retrysleep.uninstall()
        if self._environment is not None:
            self._environment.restore()
        netguard.deactivate()
        clock.use_real_clock()
        boto3.DEFAULT_SESSION = None
        if _current is self:
            _current = None

    def describe(self) -> str:
        where = {
            "mock": f"mocked AWS account {MOCK_ACCOUNT_ID} in {self.region}, in this process",
            "local": f"local endpoint {self.settings.endpoint_url} ({self.region})",
            "localstack": f"LocalStack at {self.settings.endpoint_url} ({self.region})",
            "aws": f"REAL AWS in {self.region}",
        }[self.target]
        safety = (
            "offline: nothing leaves this machine"
            if self.offline
            else "ONLINE: requests go to AWS and cost money"
        )
        if self.target == "mock":
            fixes = "fidelity fixes on" if self.settings.fidelity_fixes else "stock moto"
            limits = (
                "throughput limits SIMULATED"
                if self.settings.limits
                else "throughput limits OFF (AWS would throttle)"
            )
            timing = "simulated clock" if clock.get_clock().simulated else "real clock"
            return f"Lab ready — {where}; {safety}; {fixes}; {limits}; {timing}."
        return f"Lab ready — {where}; {safety}."

    def __repr__(self) -> str:
        return f"<Lab target={self.target!r} region={self.region!r} offline={self.offline}>"


_current: Lab | None = None


def start_lab(
    target: str | None = None,
    *,
    region: str = DEFAULT_REGION,
    endpoint_url: str | None = None,
    i_accept_aws_costs: bool = False,
    fidelity_fixes: bool = True,
    limits: bool = True,
    quiet: bool = False,
) -> Lab:
    """Start (or return the running) lab session.

    target: "mock" (default: in-process, offline), "local" (the endpoint `make endpoint`
    starts), "localstack", or "aws" (real AWS; needs ``i_accept_aws_costs=True``). The target
    may also come from the KINESIS_LAB_TARGET environment variable, real AWS then also
    needing KINESIS_LAB_I_ACCEPT_AWS_COSTS=yes. With KINESIS_LAB_ENDPOINT_SOCKET=<path>,
    "local" reaches an endpoint listening on that Unix socket (the grader's, for a jailed
    kernel) through a loopback port of this process (:mod:`.socketforward`).

    limits: simulate Kinesis throughput limits, throttling and iterator expiry (on by
    default; a lab that turns them off says so). They need the fidelity fixes.
    """
    global _current
    settings = resolve_settings(
        target, region, endpoint_url, i_accept_aws_costs, fidelity_fixes, limits
    )
    if settings.target != "mock":
        browser.refuse("target")
    browser.install_messages()
    if _current is not None and _current.settings == settings:
        if not quiet:
            print(_current.describe())
        return _current
    if _current is not None:
        _current.stop()
    _current = _open(settings)
    if not quiet:
        print(_current.describe())
        if settings.target == "aws":
            print(COST_WARNING)
    return _current


def current_lab() -> Lab | None:
    return _current


def resolve_settings(
    target: str | None,
    region: str,
    endpoint_url: str | None,
    i_accept_aws_costs: bool,
    fidelity_fixes: bool,
    limits: bool = True,
) -> LabSettings:
    """Turn arguments and opt-in environment variables into settings, refusing unsafe ones."""
    target = (target or os.environ.get(ENV_TARGET) or "mock").strip().lower()
    if target not in TARGETS:
        raise LabConfigurationError(
            f"Unknown lab target {target!r}; choose one of {', '.join(TARGETS)}."
        )
    endpoint_url = endpoint_url or os.environ.get(ENV_ENDPOINT_URL) or None
    if target == "mock":
        if endpoint_url:
            raise LabConfigurationError(
                "An endpoint URL was given but the target is 'mock' (in-process). "
                'Use start_lab(target="local", endpoint_url=...) to use an endpoint.'
            )
        if limits and not fidelity_fixes:
            raise LabConfigurationError(
                "The simulated limits build on the fidelity fixes: use "
                "start_lab(fidelity_fixes=False, limits=False) to see stock moto."
            )
        return LabSettings("mock", region, None, fidelity_fixes, limits)
    if target == "aws":
        accepted = i_accept_aws_costs or os.environ.get(ENV_ACCEPT_COSTS, "").lower() in (
            "1",
            "yes",
            "true",
        )
        if not accepted:
            raise LabConfigurationError(
                "Real AWS costs money, so it needs a second, explicit opt-in: "
                'start_lab(target="aws", i_accept_aws_costs=True).'
            )
        return LabSettings("aws", region, endpoint_url, fidelity_fixes=False, limits=False)
    if target == "local" and not endpoint_url and os.environ.get(ENV_ENDPOINT_SOCKET):
        # The grader's endpoint on a Unix socket: a jailed kernel has loopback, no network.
        from .socketforward import forwarded_url

        endpoint_url = forwarded_url(os.environ[ENV_ENDPOINT_SOCKET])
    endpoint_url = (endpoint_url or DEFAULT_ENDPOINTS[target]).rstrip("/")
    host = urlparse(endpoint_url).hostname
    if not netguard.is_loopback_host(host):
        raise LabConfigurationError(
            f"The {target!r} target must be on this machine (localhost/127.0.0.1), "
            f"not {host!r}. Only target='aws' leaves the machine."
        )
    # The endpoint process decides fixes and limits for "local"; LocalStack has its own.
    return LabSettings(target, region, endpoint_url, fidelity_fixes, limits)


def _open(settings: LabSettings) -> Lab:
    lab = Lab(settings)
    if settings.target == "aws":
        netguard.deactivate()
        lab._boto_session = _boto_session(region_name=settings.region)
    else:
        netguard.activate(reason=f"the lab target is {settings.target!r}")
        lab._environment = ScrubbedEnvironment()
        lab._environment.apply(settings.region)
        if settings.target == "local":
            _share_the_endpoint(settings)
        if settings.target == "mock":
            apply_mock_behaviour(settings.fidelity_fixes, settings.limits)
            from moto import mock_aws

            # moto would put its own fake keys in os.environ; the scrubbed ones are enough.
            lab._mock = mock_aws(config={"core": {"mock_credentials": False}})
            lab._mock.start()  # which sets boto3.DEFAULT_SESSION to None until it stops
        lab._boto_session = _boto_session(
            aws_access_key_id=FAKE_ACCESS_KEY_ID,
            aws_secret_access_key=FAKE_SECRET_ACCESS_KEY,
            region_name=settings.region,
        )
        # A learner's own boto3.client(...) uses the lab's session: the fake credentials and
        # region the scrubbed environment holds too, nothing a previous session cached, and
        # no service models parsed again.
        boto3.DEFAULT_SESSION = lab._boto_session
    # Clients are made as a lesson first uses them (each parses its service's model: about
    # 0.2 s of CPU for all five, in every kernel), except on real AWS, where every lab client
    # must carry the course's name prefix and tags from the start.
    if settings.target == "aws":
        mark_lab_resources(lab.all_clients())
    return lab


@functools.cache
def _shared_data_loader() -> botocore.loaders.Loader:
    """botocore's data loader, one per process. Why: each new session reads and parses the
    service models, endpoint rules and partitions again (JSON files of up to a few MB) — about
    0.1 s of CPU per lab; re-running start_lab() or a lesson in the same kernel then reuses
    them. The data are read-only once loaded, so sharing them changes nothing a client does."""
    return botocore.loaders.create_loader()


def _boto_session(**kwargs: Any) -> boto3.session.Session:
    """A boto3 session of its own (credentials, region) on the shared data loader."""
    core = botocore.session.get_session()
    core.register_component("data_loader", _shared_data_loader())
    return boto3.session.Session(botocore_session=core, **kwargs)


def _share_the_endpoint(settings: LabSettings) -> None:
    """target="local": the endpoint's clock becomes this notebook's lab clock, so SDK retry
    back-off and waiter polls (:mod:`.retrysleep`) — and ``clock.now()`` in a lesson — move
    and read the endpoint's clock; and the simulations' read-outs ask the endpoint, where
    the account and its simulations live (:mod:`.endpoint_simulations`)."""
    from ..simulation import host
    from .clockcontrol import EndpointClock
    from .endpoint_simulations import EndpointSimulations

    clock.use_clock(EndpointClock(settings.endpoint_url))
    retrysleep.install()
    host.use_remote(EndpointSimulations(settings.endpoint_url, settings.region))


def _make_client(session: Any, service: str, settings: LabSettings) -> Any:
    config = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5)
    kwargs: dict[str, Any] = {"config": config, "region_name": settings.region}
    if settings.target in ("local", "localstack"):
        kwargs["endpoint_url"] = settings.endpoint_url
    return session.client(service, **kwargs)


def _post(url: str) -> None:
    request = urllib.request.Request(url, method="POST", data=b"")
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()
