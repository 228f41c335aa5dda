"""Fresh clone → JupyterLab serving: how long `make lab` takes on a new checkout.

Why: "nothing to set up" means a learner's first `make lab` must be quick. This clones the
repository (its committed HEAD) into a temporary folder, runs `make lab` there and times it
until JupyterLab answers /api/status. The package caches are left as they are (warm after the
first run on a machine); pass --cold to point uv and pip at empty caches, which downloads
everything again. Prints each run and the median.

    python benchmarks/bench_fresh_lab.py [--runs 3] [--cold]
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TOKEN = "bench-fresh-lab"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serving(port: int) -> bool:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/status", headers={"Authorization": f"token {TOKEN}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def one_run(cold: bool, timeout: float = 900) -> tuple[float, int]:
    """Seconds from `make lab` to a serving JupyterLab, and the environment's size in MB."""
    with tempfile.TemporaryDirectory(prefix="fresh-lab-") as tmp:
        clone = Path(tmp) / "course"
        subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True)
        env = {**os.environ, "JUPYTER_TOKEN": TOKEN, "BROWSER": "true"}
        if cold:
            env["UV_CACHE_DIR"] = str(Path(tmp) / "uv-cache")
            env["PIP_NO_CACHE_DIR"] = "1"
        port = free_port()
        began = time.monotonic()
        process = subprocess.Popen(
            ["make", "--no-print-directory", "lab", f"LAB_PORT={port}", "LAB_ARGS=--no-browser"],
            cwd=clone,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            while not serving(port):
                if process.poll() is not None:
                    raise RuntimeError(f"make lab exited with {process.returncode}")
                if time.monotonic() - began > timeout:
                    raise TimeoutError("JupyterLab did not answer")
                time.sleep(0.2)
            elapsed = time.monotonic() - began
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
        size = subprocess.run(
            ["du", "-sm", str(clone / ".venv")], capture_output=True, text=True, check=True
        ).stdout.split()[0]
        return elapsed, int(size)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cold", action="store_true", help="empty uv/pip caches")
    args = parser.parse_args()
    times = []
    for number in range(1, args.runs + 1):
        elapsed, size = one_run(args.cold)
        times.append(elapsed)
        print(f"run {number}: JupyterLab serving after {elapsed:.1f} s (.venv {size} MB)")
    kind = "cold" if args.cold else "warm"
    print(f"fresh clone → JupyterLab ({kind} cache): median {statistics.median(times):.1f} s")


if __name__ == "__main__":
    main()
