"""The local endpoint for a notebook's AWS CLI cells, and a shell environment that stays local.

Why: a CLI lab types ``!aws kinesis … --endpoint-url …`` in a notebook. The commands run in a
subprocess, out of reach of the kernel's network guard, so this module gives them their own
guard: :func:`start_cli_endpoint` starts ``kinesis-lab endpoint`` (what ``make endpoint`` runs)
on a free port and sets, for the kernel and every ``!`` command it runs:

- fake credentials, region us-east-1 and temporary config and credentials files, so nothing
  of the learner's own AWS configuration is read;
- the course's AWS CLI (the one installed in this environment, v1) first on ``PATH``;
- an HTTP(S) proxy on a closed local port for every host but 127.0.0.1 and localhost, so a
  command that forgets ``--endpoint-url`` fails at once on this machine instead of reaching
  AWS; one attempt per command (``AWS_MAX_ATTEMPTS=1``: CLI v1 would otherwise back off and
  retry that refusal for seconds, and nothing local needs a retry — a command takes ~0.5 s,
  far below any simulated limit).

``stop()`` ends the endpoint and restores the environment. A helper sets up; the learner
types the ``aws`` commands.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from .awsenv import FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY, is_removed

REGION = "us-east-1"
HOST = "127.0.0.1"
START_TIMEOUT_SECONDS = 60
LOCAL_HOSTS = "127.0.0.1,localhost"


class CliEndpointError(RuntimeError):
    """The endpoint for the CLI cells could not start, with its log."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def closed_port() -> socket.socket:
    """A port bound on 127.0.0.1 that never listens: connecting to it is refused at once.
    Held open (not just probed) so that no other program can start listening there."""
    holder = socket.socket()
    holder.bind((HOST, 0))
    return holder


def write_aws_files(folder: Path, region: str = REGION) -> tuple[Path, Path]:
    """A config file (region, JSON output) and a credentials file (fake keys) in ``folder``."""
    config = folder / "config"
    config.write_text(f"[default]\nregion = {region}\noutput = json\n", encoding="utf-8")
    credentials = folder / "credentials"
    credentials.write_text(
        "[default]\n"
        f"aws_access_key_id = {FAKE_ACCESS_KEY_ID}\n"
        f"aws_secret_access_key = {FAKE_SECRET_ACCESS_KEY}\n",
        encoding="utf-8",
    )
    return config, credentials


def cli_environment(
    base: Mapping[str, str], folder: Path, proxy_port: int, region: str = REGION
) -> dict[str, str]:
    """``base`` with the learner's AWS settings removed and the lab's set (see module doc)."""
    config, credentials = write_aws_files(folder, region)
    proxy = f"http://{HOST}:{proxy_port}"
    bin_dir = str(Path(sys.executable).parent)
    # Without PYTHONDONTWRITEBYTECODE the CLI's modules are compiled once, not at every command.
    env = {
        name: value
        for name, value in base.items()
        if not is_removed(name) and name not in ("AWS_RETRY_MODE", "PYTHONDONTWRITEBYTECODE")
    }
    env.update(
        {
            "AWS_ACCESS_KEY_ID": FAKE_ACCESS_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": FAKE_SECRET_ACCESS_KEY,
            "AWS_DEFAULT_REGION": region,
            "AWS_REGION": region,
            "AWS_CONFIG_FILE": str(config),
            "AWS_SHARED_CREDENTIALS_FILE": str(credentials),
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_MAX_ATTEMPTS": "1",
            "PATH": os.pathsep.join([bin_dir, base.get("PATH", "")]),
        }
    )
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        env[name] = proxy
    for name in ("NO_PROXY", "no_proxy"):
        env[name] = LOCAL_HOSTS
    return env


def cli_version(environment: Mapping[str, str]) -> str:
    """The version of the ``aws`` command the CLI cells will run; a clear error without one."""
    if shutil.which("aws", path=environment.get("PATH")) is None:
        raise CliEndpointError(
            "The AWS CLI is not installed in this environment: run `make lab` "
            '(or pip install -e ".[course]"), which installs it with the course.'
        )
    try:  # read, not imported: importing awscli sets AWS_DATA_PATH for the whole kernel
        return metadata.version("awscli")
    except metadata.PackageNotFoundError:  # an aws command from elsewhere on the PATH
        return "(not the course's)"


def _wait_until_listening(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise CliEndpointError(f"the endpoint exited early:\n{log.read_text()[-2000:]}")
        try:
            socket.create_connection((HOST, port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise CliEndpointError(f"the endpoint did not answer within {START_TIMEOUT_SECONDS} s")


@dataclass
class CliEndpoint:
    """A running ``kinesis-lab endpoint`` and the environment its CLI cells use."""

    process: subprocess.Popen
    port: int
    folder: Path
    environment: dict[str, str]
    _dead_proxy: socket.socket
    _saved: dict[str, str | None] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def kinesis(self):
        """A boto3 client on this endpoint, for checks that observe what a command did."""
        import boto3

        return boto3.client(
            "kinesis",
            endpoint_url=self.url,
            region_name=self.environment["AWS_DEFAULT_REGION"],
            aws_access_key_id=FAKE_ACCESS_KEY_ID,
            aws_secret_access_key=FAKE_SECRET_ACCESS_KEY,
        )

    def apply(self, environ: MutableMapping[str, str]) -> None:
        """Use this endpoint's environment in ``environ`` (remembering what it replaces)."""
        for name in set(environ) | set(self.environment):
            if environ.get(name) != self.environment.get(name):
                self._saved.setdefault(name, environ.get(name))
                if name in self.environment:
                    environ[name] = self.environment[name]
                else:
                    del environ[name]

    def restore(self, environ: MutableMapping[str, str]) -> None:
        for name, value in self._saved.items():
            if value is None:
                environ.pop(name, None)
            else:
                environ[name] = value
        self._saved.clear()

    def stop(self) -> None:
        """End the endpoint, restore the environment, remove the temporary files."""
        global _current
        self.restore(os.environ)
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._dead_proxy.close()
        shutil.rmtree(self.folder, ignore_errors=True)
        if _current is self:
            _current = None


_current: CliEndpoint | None = None


def start_cli_endpoint(quiet: bool = False) -> CliEndpoint:
    """Start the endpoint on a free port and switch this process's environment to it.

    Re-running starts a fresh one (an empty account), so a notebook re-runs cleanly."""
    global _current
    if _current is not None:
        _current.stop()
    folder = Path(tempfile.mkdtemp(prefix="kinesis-lab-cli-"))
    dead_proxy = closed_port()
    environment = cli_environment(os.environ, folder, dead_proxy.getsockname()[1])
    try:
        version = cli_version(environment)
    except CliEndpointError:
        dead_proxy.close()
        shutil.rmtree(folder, ignore_errors=True)
        raise
    port = free_port()
    log = folder / "endpoint.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "kinesis_lab", "endpoint", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**environment, "PYTHONUNBUFFERED": "1"},
        )
    endpoint = CliEndpoint(process, port, folder, environment, dead_proxy)
    try:
        _wait_until_listening(port, process, log)
    except BaseException:
        endpoint.stop()
        raise
    endpoint.apply(os.environ)
    _current = endpoint
    if not quiet:
        print(
            f"Local endpoint (kinesis-lab endpoint, as `make endpoint` runs) at {endpoint.url}\n"
            f"`aws` in this notebook: AWS CLI {version}, fake credentials, region {REGION}, "
            "none of your AWS config; any other host goes to a closed local port."
        )
    return endpoint


@atexit.register
def _stop_at_exit() -> None:  # a kernel that shuts down leaves no endpoint behind
    if _current is not None:
        _current.stop()
