"""The in-browser course (issue 14): its size on disk, kernel-ready and Run-All times.

Budgets: build/site/lite at most 60 MB; lesson 01's page → kernel-ready time at most 20 s,
the median of ``--repeat`` (default 3) fresh browser contexts — a cold cache each, as on a
learner's first visit. Run-All of the same lesson is printed beside it (no budget: the
lesson's own work). Exits 1 when a budget is missed, 2 when the browser cannot be driven here.

Builds the site first (``mkdocs build --strict``, as ``make site`` does) when build/site/lite
is missing, then serves build/site on 127.0.0.1 and drives Debian's headless chromium,
/usr/bin/chromium-headless-shell (tools/lite/driver.py, shared with
tests/course/test_lite_browser.py)::

    python benchmarks/bench_lite.py [--repeat N] [--lesson 01_core_data_model.ipynb]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))

import build_lite  # noqa: E402  (tools/ is not a package)
from bench_site import build as build_site  # noqa: E402  (the strict build, timed; one home)
from lite import driver  # noqa: E402

SITE = REPO / "build" / "site"
LITE = SITE / build_lite.SITE_FOLDER
SIZE_BUDGET_MB = build_lite.BUDGET_MB
KERNEL_READY_BUDGET_S = 20.0
LESSON = "01_core_data_model.ipynb"


def measure(lesson: str, repeat: int) -> list[dict]:
    """Open and run the lesson in ``repeat`` fresh contexts of one browser."""
    runs = []
    with driver.serve(SITE) as url, driver.chromium() as browser:
        for _ in range(repeat):
            session = driver.LiteSession(browser, url)
            try:
                times = session.open_lesson(lesson)
                started = time.monotonic()
                executed = session.run_all()
                times["run_all"] = time.monotonic() - started
                times["problems"] = driver.problems_in(executed)
                times["off_host"] = list(session.off_host)
            finally:
                session.close()
            print(
                f"  context {len(runs) + 1}: UI {times['ui']:.1f} s, kernel ready "
                f"{times['kernel']:.1f} s, run all {times['run_all']:.1f} s",
                flush=True,
            )
            runs.append(times)
    return runs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--lesson", default=LESSON)
    args = parser.parse_args()

    if not (LITE / "lab" / "index.html").is_file():
        print(f"{LITE} is missing: building the site …", flush=True)
        print(f"site built in {build_site():.0f} s")
    size = build_lite.size_mb(LITE)
    missed = []
    print(f"lite site size: {size:.1f} MB (budget ≤ {SIZE_BUDGET_MB} MB)")
    if size > SIZE_BUDGET_MB:
        missed.append(f"size {size:.1f} MB > {SIZE_BUDGET_MB} MB")

    reason = driver.browser_unavailable()
    if reason:
        print(f"cannot measure in the browser: {reason}", file=sys.stderr)
        return 2
    print(f"{args.lesson}, {args.repeat} fresh browser contexts:", flush=True)
    runs = measure(args.lesson, args.repeat)
    kernel = statistics.median(run["kernel"] for run in runs)
    run_all = statistics.median(run["run_all"] for run in runs)
    print(f"page → kernel ready: median {kernel:.1f} s (budget ≤ {KERNEL_READY_BUDGET_S:g} s)")
    print(f"Run All: median {run_all:.1f} s")
    if kernel > KERNEL_READY_BUDGET_S:
        missed.append(f"kernel ready {kernel:.1f} s > {KERNEL_READY_BUDGET_S:g} s")
    for run in runs:  # a figure from a lesson that failed or reached off the machine is no figure
        if run["problems"] or run["off_host"]:
            missed.append(f"the run was not clean: {run['problems'] + run['off_host']}"[:2000])
    if missed:
        print("budget missed: " + "; ".join(missed), file=sys.stderr)
        return 1
    print("all budgets met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
