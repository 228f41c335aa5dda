"""The mocked AWS account of one graded run, in a process (and a jail) of its own.

Why: in the default mode the account lives inside the learner's kernel, so what a hidden test
observes of it (a stream's shards, a delivery stream's settings) is computed where the learner's
code runs and could be forged there. Here the account is ``kinesis-lab endpoint`` — the whole
mock with the course's limits, lifecycle, Lambda and Firehose simulations — listening on a Unix
socket, since jailed kernels have no network. The learner's kernel and the observer
(:mod:`.observer`) both reach it with ``KINESIS_LAB_TARGET=local`` and the socket's path.

The endpoint runs the learner's Lambda handlers and Firehose transforms, so it is jailed like a
kernel (:func:`.sandbox.sandbox_command`: no network, read-only system, its own uid, limits).
The socket sits in a folder of its own, owned by the account's uid and bound read-only into
the kernels' jails: they can connect to it but not put another socket in its place.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from kinesis_lab.account.session import ENV_ENDPOINT_SOCKET, ENV_TARGET

from .sandbox import SandboxPolicy, fresh_uid, prepare_folder, sandbox_command

SOCKET_NAME = "account.sock"
STOP_GRACE_SECONDS = 5.0


class AccountDidNotStart(RuntimeError):
    """The account process exited or stayed silent past the start-up limit (see its log)."""


@dataclass
class AccountProcess:
    """A running account: its socket, its process and log; :meth:`stop` ends it."""

    socket_path: Path
    process: subprocess.Popen
    log: Path
    sandboxed: bool

    @property
    def kernel_env(self) -> dict[str, str]:
        """What a kernel needs to use this account as its lab (``start_lab()`` unchanged)."""
        return {ENV_TARGET: "local", ENV_ENDPOINT_SOCKET: str(self.socket_path)}

    @property
    def shared(self) -> tuple[Path, ...]:
        """The folder a kernel's jail binds read-only to reach the socket."""
        return (self.socket_path.parent,)

    def alive(self) -> bool:
        return self.process.poll() is None

    def wait_until_listening(self, timeout: float) -> None:
        """Return once the socket accepts a connection; raise if the process exits first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                tail = self.log.read_text(errors="replace")[-400:]
                raise AccountDidNotStart(f"the account process exited: {tail}")
            if self.socket_path.exists():
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
                    try:
                        probe.connect(str(self.socket_path))
                    except OSError:
                        pass
                    else:
                        if self.sandboxed:  # connectable by the kernels' uids (a write)
                            self.socket_path.chmod(0o666)
                        return
            time.sleep(0.05)
        self.stop()
        raise AccountDidNotStart(f"the account process did not listen within {timeout:g} s")

    def stop(self) -> None:
        """End the process (SIGTERM, then SIGKILL); a jailed one takes its jail with it
        (bubblewrap's ``--die-with-parent``)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=STOP_GRACE_SECONDS)


def start_account(folder: Path, sandboxed: bool, uid: int | None = None) -> AccountProcess:
    """Start the account for one run in ``folder`` (made fresh); it takes about a second to
    listen (:meth:`AccountProcess.wait_until_listening`), while the kernels start."""
    shutil.rmtree(folder, ignore_errors=True)
    home, socket_dir = folder / "home", folder / "socket"
    socket_path = socket_dir / SOCKET_NAME
    log = folder / "account.log"
    argv = [sys.executable, "-m", "kinesis_lab", "endpoint", "--unix-socket", str(socket_path)]
    folder.mkdir(parents=True)
    if sandboxed:
        policy = SandboxPolicy(uid=uid or fresh_uid())
        prepare_folder(home, policy)
        prepare_folder(socket_dir, policy)
        socket_dir.chmod(0o755)  # the kernels' uids may look in, not write
        argv = sandbox_command(argv, home, socket_dir, policy, {"PYTHONUNBUFFERED": "1"})
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    else:
        home.mkdir()
        socket_dir.mkdir()
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.pop(ENV_ENDPOINT_SOCKET, None)
    with open(log, "wb") as sink:
        process = subprocess.Popen(
            argv, cwd=home, stdout=sink, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
    return AccountProcess(socket_path, process, log, sandboxed)
