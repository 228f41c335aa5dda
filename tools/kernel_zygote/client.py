"""Starting lesson kernels from the zygote (server.py): the jupyter_client side.

``ForkingKernelManager`` is an ``AsyncKernelManager`` (what nbclient uses) whose provisioner
asks the zygote named by ``$KINESIS_KERNEL_ZYGOTE`` for the kernel instead of starting Python
afresh. Everything else — connection files, ports or IPC sockets, messages, interrupts,
shutdown — is jupyter_client's own. It starts the kernel fresh, as ``LocalProvisioner`` does,
when there is no zygote, when the command is not ``<this python> -m ipykernel_launcher``, or when
the kernel's environment differs from the zygote's in a variable the preloaded modules may read
as they are imported (anything outside ``IMPORT_TIME_SAFE``).
"""

from __future__ import annotations

import functools
import json
import os
import select
import signal
import socket
import subprocess
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner

from kernel_zygote.server import HEADER

ZYGOTE_ENV = "KINESIS_KERNEL_ZYGOTE"  # the zygote's socket path, for this process and its children
SERVER = Path(__file__).with_name("server.py")
# Variables that differ from kernel to kernel and that no preloaded module reads at import.
IMPORT_TIME_SAFE = ("JPY_", "KINESIS_LAB_", "PYTEST_", "COLUMNS", "LINES", ZYGOTE_ENV)


class ZygoteRefused(RuntimeError):
    """The zygote cannot start this kernel; start it fresh."""


@contextmanager
def running_zygote(folder: Path):
    """A zygote for this process and its children, ``$KINESIS_KERNEL_ZYGOTE`` set while it runs.

    It snapshots this process's environment as it starts: kernels whose environment differs
    from it beyond ``IMPORT_TIME_SAFE`` start fresh."""
    path = str(Path(folder) / "zygote.sock")
    process = subprocess.Popen(
        [sys.executable, str(SERVER), path],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        ready = process.stdout.readline().strip()
        if ready != "ready":
            raise RuntimeError(f"the kernel zygote did not start (exit {process.wait()})")
        previous = os.environ.get(ZYGOTE_ENV)
        os.environ[ZYGOTE_ENV] = path
        try:
            yield process
        finally:
            if previous is None:
                os.environ.pop(ZYGOTE_ENV, None)
            else:
                os.environ[ZYGOTE_ENV] = previous
    finally:
        process.terminate()
        process.wait(timeout=30)
        process.stdout.close()


@functools.cache
def zygote_environment(path: str) -> dict[str, str]:
    """The environment the zygote imported its modules under (it writes it beside its socket)."""
    return json.loads(Path(path + ".environ.json").read_text(encoding="utf-8"))


def refusal(cmd: list[str], env: dict[str, str], zygote_env: dict[str, str]) -> str | None:
    """Why the zygote must not start this kernel, or None."""
    if len(cmd) < 3 or cmd[1:3] != ["-m", "ipykernel_launcher"]:
        return f"not an ipykernel command: {cmd[:3]}"
    if os.path.realpath(cmd[0]) != os.path.realpath(sys.executable):
        return f"another Python: {cmd[0]}"
    differing = {
        key
        for key in set(env) | set(zygote_env)
        if env.get(key) != zygote_env.get(key) and not key.startswith(IMPORT_TIME_SAFE)
    }
    return f"environment differs in {sorted(differing)}" if differing else None


def fork_kernel(
    path: str, cmd: list[str], env: dict[str, str], cwd: str, fds: tuple[int, int, int] = (0, 1, 2)
) -> int:
    """Ask the zygote for a kernel running ``cmd``; its stdin, stdout and stderr are ``fds``
    (this process's own by default, as a kernel started with Popen inherits them)."""
    body = json.dumps({"argv": cmd, "env": env, "cwd": cwd}).encode()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.connect(path)
        socket.send_fds(connection, [HEADER.pack(len(body)) + body], list(fds))
        connection.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    reply = json.loads(answer or b"{}")
    if "pid" not in reply:
        raise ZygoteRefused(reply.get("error", "no answer from the kernel zygote"))
    return reply["pid"]


class ForkedProcess:
    """The part of ``subprocess.Popen`` jupyter_client uses, for a kernel the zygote forked.

    Not our child, so it cannot be waited for: a pidfd (Linux ≥ 5.3) tells when it has ended,
    and signals go to that exact process, never to a later one given the same pid."""

    stdin = stdout = stderr = None
    returncode: int | None = None

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self._pidfd = os.pidfd_open(pid)

    def poll(self) -> int | None:
        if self.returncode is None and select.select([self._pidfd], [], [], 0)[0]:
            self.returncode = 0  # ended; its status went to the zygote, which does not keep it
            os.close(self._pidfd)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            if not select.select([self._pidfd], [], [], timeout)[0]:
                raise subprocess.TimeoutExpired(str(self.pid), timeout)
        return self.poll()

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            signal.pidfd_send_signal(self._pidfd, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class ForkingProvisioner(LocalProvisioner):
    """LocalProvisioner, but the kernel comes from the zygote when it can."""

    forked = False  # True once this provisioner's kernel came from the zygote
    started_fresh_because: str | None = None

    async def launch_kernel(self, cmd: list[str], **kwargs: Any):
        self.forked, self.started_fresh_because = False, None  # (a restart asks again)
        path = os.environ.get(ZYGOTE_ENV)
        env = dict(kwargs.get("env") or os.environ)
        env["JPY_PARENT_PID"] = str(os.getpid())  # as jupyter_client's launch_kernel sets it
        why_not = "no zygote" if not path else None
        if path:
            try:
                why_not = refusal(cmd, env, zygote_environment(path))
                if why_not is None:
                    pid = fork_kernel(path, cmd, env, str(kwargs.get("cwd") or os.getcwd()))
                    process = ForkedProcess(pid)
            except (OSError, ValueError, ZygoteRefused) as error:
                why_not = f"the zygote failed: {error}"
            if why_not is None:
                self.process = process
                self.pid = self.pgid = pid  # the child called setsid() before the zygote answered
                self.cwd = kwargs.get("cwd", Path.cwd())
                self.forked = True
                return self.connection_info
        self.log.info("kernel started fresh: %s", why_not)
        self.started_fresh_because = why_not
        return await super().launch_kernel(cmd, **kwargs)


class ForkingKernelManager(AsyncKernelManager):
    """An AsyncKernelManager whose kernels come from the zygote (see ForkingProvisioner)."""

    async def _async_pre_start_kernel(self, **kw: Any):
        if self.provisioner is None:
            self.kernel_id = self.kernel_id or kw.pop("kernel_id", None) or str(uuid.uuid4())
            self.provisioner = ForkingProvisioner(
                kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self
            )
        return await super()._async_pre_start_kernel(**kw)
