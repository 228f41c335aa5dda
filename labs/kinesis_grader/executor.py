"""Run one notebook in the sandbox, with a watchdog on time and on output.

Why: a submission may loop forever (and ignore interrupts), kill its own kernel, or print
gigabytes. The grader must survive all of it, score what did run, and say why the rest did
not: ``timeout``, ``kernel_died`` or ``output_limit``. The notebook runs cell by cell with
nbclient against a kernel started by :mod:`kinesis_grader.sandbox`; output is counted as it
arrives and never stored past the budget, so the grader's memory stays small.

With an :class:`~.observer.AccountPlan` (``grade --account-process``) each run also gets the
mocked account in its own process (:mod:`.account_process`) and an observer kernel
(:mod:`.observer`) that runs the plan's cells in their place; both end with the run.
"""

from __future__ import annotations

import asyncio
import atexit
import json
import math
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import zmq
import zmq.asyncio
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from .account_process import AccountProcess, start_account
from .kernel_launcher import LIMIT_ENV, MARKER_ENV
from .observer import AccountPlan, Observer
from .sandbox import SandboxPolicy, fresh_uid, prepare_folder, sandbox_command

OK = "ok"
TIMEOUT = "timeout"
KERNEL_DIED = "kernel_died"
OUTPUT_LIMIT = "output_limit"


@dataclass(frozen=True)
class RunLimits:
    cell_timeout: float = 30.0
    notebook_timeout: float = 120.0
    output_bytes: int = 2 * 1024**2
    startup_timeout: float = 60.0


@dataclass
class RunResult:
    notebook: Any
    status: str
    reason: str = ""
    cells_run: list[int] = field(default_factory=list)
    seconds: float = 0.0
    skipped_cells: list[int] = field(default_factory=list)
    stopped_at: int | None = None  # the cell the watchdog stopped, if the last run was cut short


class BudgetedClient(NotebookClient):
    """nbclient that stops storing output past a byte budget and then stops the run."""

    def __init__(self, nb: Any, output_budget: int, **kwargs: Any) -> None:
        super().__init__(nb, **kwargs)
        self.output_budget = output_budget
        self.output_used = 0
        self.over_budget = False

    def process_message(self, msg: dict[str, Any], cell: Any, cell_index: int) -> Any:
        if msg.get("msg_type") in ("stream", "display_data", "execute_result", "error"):
            if self.over_budget:
                return None  # never store output past the budget
            self.output_used += len(json.dumps(msg.get("content", {}), default=str))
            if self.output_used > self.output_budget:
                self.over_budget = True
                # Stop the flood at its source, now: the jail dies, the run ends with a reason.
                process = getattr(getattr(self.km, "provisioner", None), "process", None)
                if process is not None:
                    process.kill()
                asyncio.ensure_future(self.km.shutdown_kernel(now=True))
                return None
        return super().process_message(msg, cell, cell_index)


def _kernel_spec_dir(
    rundir: Path,
    workdir: Path,
    policy: SandboxPolicy,
    sandboxed: bool,
    env: dict[str, str],
    shared: tuple[Path, ...] = (),
) -> Path:
    """A throwaway kernelspec whose command starts ipykernel (jailed unless told otherwise)."""
    argv = [sys.executable, "-m", "kinesis_grader.kernel_launcher", "-f", "{connection_file}"]
    if sandboxed:
        argv = sandbox_command(argv, workdir, rundir, policy, extra_env=env, shared=shared)
    spec_dir = rundir / "kernelspec" / "graded"
    spec_dir.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": argv,
        "display_name": "graded",
        "language": "python",
        "interrupt_mode": "message",
        "env": {} if sandboxed else env,
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    return spec_dir.parent


class JailedKernelManager(AsyncKernelManager):
    """Hands the connection file (written by root, mode 0600) to the jail's uid."""

    jail_uid: int | None = None

    def client(self, **kwargs: Any) -> Any:
        """The client shares our ZeroMQ context, so its sockets get the size and queue limits."""
        return super().client(context=self.context, **kwargs)

    def write_connection_file(self, **kwargs: Any) -> None:
        super().write_connection_file(**kwargs)
        if self.jail_uid is not None:
            os.chown(self.connection_file, self.jail_uid, self.jail_uid)


def _kernel_manager(
    rundir: Path, spec_root: Path, limits: RunLimits, jail_uid: int | None
) -> AsyncKernelManager:
    context = zmq.asyncio.Context()
    # A single oversized message is dropped by ZeroMQ instead of landing in our memory.
    context.setsockopt(zmq.MAXMSGSIZE, max(4 * 1024**2, 2 * limits.output_bytes))
    # Past this many queued messages ZeroMQ drops output instead of buffering it for us.
    context.setsockopt(zmq.RCVHWM, 16)
    manager = JailedKernelManager(
        kernel_name="graded",
        kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(spec_root)]),
        transport="ipc",
        ip=str(rundir / "kernel"),
        context=context,
    )
    manager.connection_file = str(rundir / "kernel.json")
    manager.jail_uid = jail_uid
    return manager


class NotebookTimeout(Exception):
    """The whole-notebook time limit was reached (raised instead of a cell timeout)."""


async def _run(
    client: BudgetedClient,
    limits: RunLimits,
    result: RunResult,
    observer: Observer | None,
    account: AccountProcess | None,
) -> None:
    log = open(Path(client.resources["kernel_log"]), "ab")  # noqa: SIM115 (closed below)
    observer_log = Path(observer.client.resources["kernel_log"]) if observer else None
    second = open(observer_log, "ab") if observer_log else None  # noqa: SIM115 (closed below)
    try:
        if observer is not None:  # it starts while the learner's kernel does
            await observer.client.async_start_new_kernel(cwd=None, stdout=second, stderr=second)
        async with client.async_setup_kernel(cwd=None, stdout=log, stderr=log):
            if account is not None:
                account.wait_until_listening(limits.startup_timeout)
            if observer is None:
                await _run_cells(client, limits, result)
                return
            async with observer.client.async_setup_kernel():
                await _run_cells(client, limits, result, observer)
    finally:
        log.close()
        if second is not None:
            second.close()


async def _run_cells(
    client: BudgetedClient, limits: RunLimits, result: RunResult, observer: Observer | None = None
) -> None:
    """Each cell gets the cell limit or what is left of the notebook limit, if less; a cell
    the observer observes runs there, and its outputs are the observer's."""
    deadline = time.monotonic() + limits.notebook_timeout
    for index, cell in enumerate(client.nb.cells):
        if cell.cell_type != "code":
            continue
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise NotebookTimeout()
        client.timeout = max(1, math.ceil(min(limits.cell_timeout, remaining)))
        result.cells_run.append(index)
        try:
            if observer is not None and observer.observes(index):
                client.nb.cells[index] = await observer.run(cell, index, client.timeout)
            else:
                await client.async_execute_cell(cell, index)
        except CellTimeoutError:
            if remaining < limits.cell_timeout:
                raise NotebookTimeout() from None
            raise


async def _run_with_watchdog(
    client: BudgetedClient,
    limits: RunLimits,
    result: RunResult,
    observer: Observer | None = None,
    account: AccountProcess | None = None,
) -> None:
    try:
        await _run(client, limits, result, observer, account)
    except CellTimeoutError:
        result.status = TIMEOUT
        result.reason = (
            f"a cell ran longer than {limits.cell_timeout:g} s and did not stop when interrupted"
        )
    except NotebookTimeout:
        result.status = TIMEOUT
        result.reason = f"the whole notebook ran longer than {limits.notebook_timeout:g} s"
    except DeadKernelError:
        result.status, result.reason = KERNEL_DIED, "the kernel stopped (exit, crash or memory)"
    except RuntimeError as error:  # e.g. the kernel never started or died while starting
        if "kernel" not in str(error).lower():
            raise
        result.status, result.reason = KERNEL_DIED, str(error)[:200]
    finally:
        await _stop_kernel(client)
        if observer is not None:
            await _stop_kernel(observer.client)
    if client.over_budget:
        result.status = OUTPUT_LIMIT
        result.reason = f"the notebook printed more than {client.output_budget:,} bytes of output"
    if result.status != OK and result.cells_run:
        result.stopped_at = result.cells_run[-1]


async def _stop_kernel(client: BudgetedClient) -> None:
    manager = client.km
    if manager is None:
        return
    try:
        if await manager.is_alive():
            await manager.shutdown_kernel(now=True)
    except Exception:  # the kernel is gone either way; make sure its process is too
        try:
            await manager.kill_kernel()
        except Exception:
            pass
    try:
        await manager.cleanup_resources()
    except Exception:
        pass


def _run_once(
    notebook: Any,
    workdir: Path,
    rundir: Path,
    limits: RunLimits,
    policy: SandboxPolicy,
    sandboxed: bool,
    kernel_env: dict[str, str],
    plan: AccountPlan | None = None,
) -> RunResult:
    marker = rundir / "output-limit.flag"
    account: AccountProcess | None = None
    if plan is not None:  # a fresh account per run: a re-run starts from an empty one
        account_folder = rundir.with_name(rundir.name + "-account")
        account = start_account(account_folder, sandboxed)
        kernel_env = {**kernel_env, **account.kernel_env}
    shared = account.shared if account else ()
    clients: list[BudgetedClient] = []
    try:
        env = {**kernel_env, LIMIT_ENV: str(limits.output_bytes), MARKER_ENV: str(marker)}
        spec_root = _kernel_spec_dir(rundir, workdir, policy, sandboxed, env, shared)
        manager = _kernel_manager(rundir, spec_root, limits, policy.uid if sandboxed else None)
        client = _client(notebook, manager, limits, workdir, rundir)
        clients.append(client)
        observer = None
        if plan is not None and plan.observed:
            observer = Observer(
                _observer_client(notebook, rundir, limits, sandboxed, kernel_env, shared), plan
            )
            clients.append(observer.client)
        result = RunResult(notebook=notebook, status=OK)
        asyncio.run(_run_with_watchdog(client, limits, result, observer, account))
    finally:
        for started in clients:
            atexit.unregister(started._cleanup_kernel)
        if account is not None:
            account.stop()
    if result.status != OK and marker.exists():
        result.status = OUTPUT_LIMIT
        result.reason = f"the notebook printed more than {limits.output_bytes:,} bytes of output"
    return result


def _client(
    notebook: Any, manager: AsyncKernelManager, limits: RunLimits, workdir: Path, rundir: Path
) -> BudgetedClient:
    return BudgetedClient(
        notebook,
        output_budget=limits.output_bytes,
        km=manager,
        timeout=math.ceil(limits.cell_timeout),
        startup_timeout=math.ceil(limits.startup_timeout),
        allow_errors=True,
        interrupt_on_timeout=False,
        resources={"metadata": {"path": str(workdir)}, "kernel_log": str(rundir / "kernel.log")},
    )


def _observer_client(
    notebook: Any,
    rundir: Path,
    limits: RunLimits,
    sandboxed: bool,
    kernel_env: dict[str, str],
    shared: tuple[Path, ...],
) -> BudgetedClient:
    """The observer's kernel: its own empty folders, its own uid, the account's socket."""
    base = rundir.with_name(rundir.name + "-observer")
    workdir, own_rundir = base / "work", base / "run"
    policy = SandboxPolicy(uid=fresh_uid())
    for folder in (workdir, own_rundir):
        if sandboxed:
            prepare_folder(folder, policy)
        else:
            folder.mkdir(parents=True, exist_ok=True)
    marker = own_rundir / "output-limit.flag"
    env = {**kernel_env, LIMIT_ENV: str(limits.output_bytes), MARKER_ENV: str(marker)}
    spec_root = _kernel_spec_dir(own_rundir, workdir, policy, sandboxed, env, shared)
    manager = _kernel_manager(own_rundir, spec_root, limits, policy.uid if sandboxed else None)
    return _client(nbformat.from_dict(notebook), manager, limits, workdir, own_rundir)


def run_notebook(
    notebook: Any,
    workdir: Path,
    rundir: Path,
    limits: RunLimits | None = None,
    policy: SandboxPolicy | None = None,
    sandboxed: bool = True,
    kernel_env: dict[str, str] | None = None,
    max_restarts: int = 2,
    plan: AccountPlan | None = None,
) -> RunResult:
    """Execute ``notebook`` (an nbformat node) cell by cell; cell errors do not stop the run
    (each test cell is judged on its own), the watchdog does.

    A cell that outlives the cell limit is killed with its kernel; the notebook then runs again
    in a fresh kernel without that cell (up to ``max_restarts`` times, within the whole-notebook
    limit), so one stuck answer costs its own items, not the ones after it.

    ``plan``: run the mocked account in its own process and the plan's cells in an observer
    kernel (see the module docstring)."""
    limits = limits or RunLimits()
    policy = policy or SandboxPolicy(uid=fresh_uid())
    original = nbformat.from_dict(notebook)
    if sandboxed:
        prepare_folder(workdir, policy)
        prepare_folder(rundir, policy)
    started = time.monotonic()
    skipped: list[int] = []
    while True:
        attempt = nbformat.from_dict(original)
        for index in skipped:
            attempt.cells[index].source = "# stopped by the grader: it ran past the time limit\n"
        remaining = limits.notebook_timeout - (time.monotonic() - started)
        budget = RunLimits(
            limits.cell_timeout, max(1.0, remaining), limits.output_bytes, limits.startup_timeout
        )
        result = _run_once(
            attempt, workdir, rundir, budget, policy, sandboxed, kernel_env or {}, plan
        )
        stuck = result.cells_run[-1] if result.cells_run else None
        cell_timed_out = result.status == TIMEOUT and "a cell ran longer" in result.reason
        if not cell_timed_out or stuck is None or len(skipped) >= max_restarts:
            break
        skipped.append(stuck)
    if skipped and result.status == OK:
        result.status = TIMEOUT
        result.reason = (
            f"{len(skipped)} cell(s) ran longer than {limits.cell_timeout:g} s and were stopped; "
            "the rest of the notebook was graded without them"
        )
    result.skipped_cells = skipped
    result.seconds = time.monotonic() - started
    return result
