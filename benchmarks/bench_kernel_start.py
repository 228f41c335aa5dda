"""CPU-seconds a fresh lesson kernel costs before a lesson does anything (issue 10).

About 190 kernels start in one run of the test suite (lessons blank, answered and against the
endpoint, graded quizzes), so a kernel's start is a fixed cost of the suite. Printed: the median
over ``--repeat`` runs (default 5) of the kernel process's CPU (user + system) for a bare kernel,
for one that has run the lessons' setup cell (``start_lab()``), and for one that has also made
six clients, a stream and a waiter, as a lesson's first cells do; then the same three for kernels
forked from the test suite's kernel zygote (tools/kernel_zygote, one per test worker, which has
imported the kernel's libraries and read botocore's data for the lab's services). Measured on the
2-core machine, December 2026: bare 0.45–0.5 s, with ``start_lab()`` 0.95 s (it was 1.15 s when
``start_lab()`` still made all five clients), with the clients 1.6 s; forked: bare 0.17–0.24 s,
with ``start_lab()`` 0.27–0.30 s, with the clients 0.44 s (0.71 s before the zygote read
botocore's data).

    python benchmarks/bench_kernel_start.py [--repeat N]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from jupyter_client.manager import KernelManager

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
from kernel_zygote.client import ForkingKernelManager, running_zygote  # noqa: E402

SETUP_CELL = "from kinesis_lab import start_lab\nlab = start_lab(quiet=True)"
# What a lesson's first cells then do: clients for the services it uses, a stream, a waiter.
CLIENTS_CELL = (
    SETUP_CELL + "\nfor name in ('kinesis', 'firehose', 's3', 'lambda', 'iam', 'logs'):\n"
    "    lab.client(name)\n"
    "lab.kinesis.create_stream(StreamName='bench', ShardCount=1)\n"
    "lab.kinesis.get_waiter('stream_exists').wait(StreamName='bench')"
)


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def kernel_cpu(code: str) -> float:
    """One kernel: start it (local sockets), run ``code``, shut it down; its CPU-seconds."""
    folder = tempfile.mkdtemp(prefix="bench-kernel-")
    before = children_cpu()
    try:
        manager = KernelManager(
            kernel_name="python3", transport="ipc", ip=os.path.join(folder, "kernel")
        )
        manager.start_kernel()
        client = manager.client()
        client.start_channels()
        try:
            client.wait_for_ready(timeout=120)
            if code:
                reply = client.execute_interactive(code, timeout=120, output_hook=lambda _: None)
                assert reply["content"]["status"] == "ok", reply["content"]
        finally:
            client.stop_channels()
            manager.shutdown_kernel(now=False)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return children_cpu() - before  # the kernel is reaped by the shutdown: counted here


def reaped_cpu(pid: int) -> float:
    """CPU-seconds of the children process ``pid`` has waited for (/proc: cutime + cstime)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")


def forked_kernel_cpu(code: str, zygote_pid: int) -> float:
    """As kernel_cpu, for a kernel the zygote forks (and reaps: its CPU is counted there)."""

    async def one() -> None:
        folder = tempfile.mkdtemp(prefix="bench-kernel-")
        try:
            manager = ForkingKernelManager(
                kernel_name="python3", transport="ipc", ip=os.path.join(folder, "kernel")
            )
            await manager.start_kernel()
            assert manager.provisioner.forked, manager.provisioner.started_fresh_because
            client = manager.client()
            client.start_channels()
            try:
                await client.wait_for_ready(timeout=120)
                if code:
                    reply = await client.execute_interactive(
                        code, timeout=120, output_hook=lambda _: None
                    )
                    assert reply["content"]["status"] == "ok", reply["content"]
            finally:
                client.stop_channels()
                await manager.shutdown_kernel(now=False)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    before = reaped_cpu(zygote_pid)
    asyncio.run(one())
    deadline = 50
    while reaped_cpu(zygote_pid) == before and deadline:  # the zygote reaps it a moment later
        deadline -= 1
        asyncio.run(asyncio.sleep(0.1))
    return reaped_cpu(zygote_pid) - before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    cases = (
        ("bare kernel", ""),
        ("kernel + start_lab()", SETUP_CELL),
        ("kernel + start_lab() + clients", CLIENTS_CELL),
    )
    for name, code in cases:
        report(name, [kernel_cpu(code) for _ in range(args.repeat)])
    with tempfile.TemporaryDirectory() as folder, running_zygote(Path(folder)) as zygote:
        for name, code in cases:
            report(
                f"forked {name}", [forked_kernel_cpu(code, zygote.pid) for _ in range(args.repeat)]
            )


def report(name: str, runs: list[float]) -> None:
    print(
        f"{name:38s} median {statistics.median(runs):.2f} CPU-s "
        f"(min {min(runs):.2f}, max {max(runs):.2f}, {len(runs)} runs)"
    )


if __name__ == "__main__":
    main()
