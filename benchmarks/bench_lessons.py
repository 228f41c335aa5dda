"""Execute every lesson notebook and print per-notebook and total times (issue 4: < 20 s each).

Each notebook runs in a fresh kernel, ``--repeat`` times (default 3); the figure is the median
wall-clock time of a run, kernel start included, and the kernel start alone is shown beside it.

    python benchmarks/bench_lessons.py [--repeat N] [notebooks/NN_*.ipynb ...]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[1]
BUDGET_SECONDS = 20.0


def run_once(path: Path) -> tuple[float, float]:
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    started = time.perf_counter()
    with client.setup_kernel():
        kernel_ready = time.perf_counter()
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type == "code":
                client.execute_cell(cell, index)
    finished = time.perf_counter()
    return finished - started, kernel_ready - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("notebooks", nargs="*", type=Path)
    args = parser.parse_args()
    paths = args.notebooks or sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    print(
        f"{'notebook':38} {'median s':>9} {'kernel s':>9} {'runs':>5}  budget {BUDGET_SECONDS:g} s"
    )
    total, over = 0.0, []
    for path in paths:
        runs = [run_once(path) for _ in range(args.repeat)]
        median = statistics.median(r[0] for r in runs)
        kernel = statistics.median(r[1] for r in runs)
        total += median
        flag = "" if median < BUDGET_SECONDS else "  OVER BUDGET"
        if flag:
            over.append(path.name)
        print(f"{path.name:38} {median:9.2f} {kernel:9.2f} {args.repeat:5d}{flag}", flush=True)
    print(f"{'total (sum of medians)':38} {total:9.2f}")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
