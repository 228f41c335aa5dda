"""CPU-seconds a fresh lesson kernel costs before a lesson does anything (issue 10).

About 190 kernels start in one run of the test suite (lessons blank, answered and against the
endpoint, graded quizzes), so a kernel's start is a fixed cost of the suite. Printed: the median
over ``--repeat`` runs (default 5) of the kernel process's CPU (user + system) for a bare kernel,
and for one that has run the lessons' setup cell (``start_lab()``). Measured on the 2-core
machine, December 2026: bare 0.45–0.5 s, with ``start_lab()`` 0.95 s (it was 1.15 s when
``start_lab()`` still made all five clients).

    python benchmarks/bench_kernel_start.py [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import tempfile

from jupyter_client.manager import KernelManager

SETUP_CELL = "from kinesis_lab import start_lab\nlab = start_lab(quiet=True)"


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    for name, code in (("bare kernel", ""), ("kernel + start_lab()", SETUP_CELL)):
        runs = [kernel_cpu(code) for _ in range(args.repeat)]
        print(
            f"{name:22s} median {statistics.median(runs):.2f} CPU-s "
            f"(min {min(runs):.2f}, max {max(runs):.2f}, {args.repeat} runs)"
        )


if __name__ == "__main__":
    main()
