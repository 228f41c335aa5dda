"""Execute the lesson notebooks for the site, in parallel, with a cache.

Why a separate step: mkdocs-jupyter executes notebooks one after the other inside the build,
and its cache only looks at the notebook's own bytes. Here every lesson runs in its own
process (2 at a time by default), errors are not allowed (a failing cell fails the build and
names the lesson and cell), widget state is stored so sliders and pictures render on the
page, and the cache key also covers the lab toolkit, so a change to ``labs/`` re-executes.

The site hook (tools/site_hooks.py) calls :func:`execute_all` on every build; run it by hand
to warm the cache or to see timings::

    python tools/execute_lessons.py            # every notebooks/NN_*.ipynb → build/lessons/
    python tools/execute_lessons.py --force    # ignore the cache
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = REPO / "notebooks"
OUT_DIR = REPO / "build" / "lessons"
LESSON_GLOB = "[0-9][0-9]_*.ipynb"
CELL_TIMEOUT_SECONDS = 120
# Versions that change what a lesson prints; part of the cache key.
KEY_PACKAGES = ("moto", "boto3", "botocore", "ipywidgets", "ipykernel", "nbclient")


def lesson_paths(notebook_dir: Path = NOTEBOOK_DIR) -> list[Path]:
    """The lessons: notebooks named NN_slug.ipynb, in course order."""
    return sorted(notebook_dir.glob(LESSON_GLOB))


def toolkit_fingerprint() -> str:
    """Hash of everything outside a notebook that changes its outputs."""
    digest = hashlib.sha256()
    for path in sorted((REPO / "labs").rglob("*.py")):
        digest.update(str(path.relative_to(REPO)).encode())
        digest.update(path.read_bytes())
    for name in KEY_PACKAGES:
        try:
            digest.update(f"{name}={metadata.version(name)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name}=missing".encode())
    digest.update(sys.version.encode())
    digest.update(f"timeout={CELL_TIMEOUT_SECONDS}".encode())
    return digest.hexdigest()


def notebook_hash(notebook: Path) -> str:
    return hashlib.sha256(notebook.read_bytes()).hexdigest()


def cache_key(notebook: Path, fingerprint: str) -> str:
    return hashlib.sha256(notebook.read_bytes() + fingerprint.encode()).hexdigest()


@dataclass(frozen=True)
class Executed:
    source: Path
    executed: Path
    seconds: float  # 0.0 when it came from the cache
    cached: bool


class LessonExecutionError(RuntimeError):
    """A lesson raised while executing: the build must stop."""


PASS_NAMES = ("first run", "re-run in the same kernel")


@contextlib.contextmanager
def lesson_lock(target: Path):
    """One execution of a lesson at a time, across processes.

    The test suite runs the lessons on both of its workers while the site build, on one of
    them, may want the same lesson: the second waits for the first and then finds the
    executed copy fresh, instead of running the lesson again. (No lock where fcntl is missing,
    i.e. on Windows: there nothing runs lessons concurrently.)"""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    locks = target.parent / ".locks"
    locks.mkdir(parents=True, exist_ok=True)
    with open(locks / f"{target.name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def execute_lesson(source: Path, target: Path, key: str, reruns: int = 0) -> list[float]:
    """Run a lesson top to bottom in a fresh kernel and write the executed copy to ``target``.

    With ``reruns`` the lesson then runs again in the same kernel (learners re-run cells all
    the time, so a lesson must be idempotent: "stream already exists" and the like show up
    only then). tests/course/test_notebooks.py runs every lesson this way and so fills the site's
    cache as it goes: one execution serves both. Returns the seconds of each pass, kernel
    start excluded; raises LessonExecutionError naming the lesson, the pass and the cells.
    """
    with lesson_lock(target):
        return _execute_lesson(source, target, key, reruns)


def learner_environment() -> dict[str, str]:
    """This process's environment without the test suite's lab settings: the executed copy is
    what the site shows, so it must print what a learner sees (1 s transitions, not the
    suite's shorter ones; kinesis_lab.simulation.lifecycle)."""
    return {name: value for name, value in os.environ.items() if name not in SUITE_ONLY_SETTINGS}


SUITE_ONLY_SETTINGS = ("KINESIS_LAB_TRANSITION_SECONDS",)


def _execute_lesson(source: Path, target: Path, key: str, reruns: int) -> list[float]:
    import copy

    import nbformat

    source_sha256 = notebook_hash(source)  # of the bytes executed, read before running
    notebook = nbformat.read(source, as_version=4)
    seconds: list[float] = []
    with lesson_client(notebook, source.parent, store_widget_state=True) as client:
        with client.setup_kernel(env=learner_environment()):
            reply = client.wait_for_reply(client.kc.kernel_info())
            notebook.metadata["language_info"] = reply["content"]["language_info"]
            for number in range(1 + reruns):
                started = time.monotonic()
                for index, cell in enumerate(notebook.cells):
                    if cell.cell_type == "code":
                        cell.outputs = []
                        client.execute_cell(
                            cell, index, execution_count=client.code_cells_executed + 1
                        )
                seconds.append(time.monotonic() - started)
                problems = problems_in(notebook)
                if problems:
                    raise LessonExecutionError(
                        f"{source.name} ({PASS_NAMES[min(number, 1)]}):\n" + "\n".join(problems)
                    )
                if number == 0:
                    client.set_widgets_metadata()
                    _write_executed(copy.deepcopy(notebook), target, key, source_sha256)
    return seconds


TOOLS_DIR = str(Path(__file__).resolve().parent)


@contextlib.contextmanager
def lesson_client(notebook, folder: Path, timeout: int = CELL_TIMEOUT_SECONDS, **options):
    """An nbclient client for a lesson, its kernel talking over local sockets in a private
    folder (IPC: no "running over TCP without encryption" warning from ipykernel 7 at every
    start), cells run from ``folder``; every failing cell is named, not just the first.
    Its kernel is forked from the test suite's zygote when one runs (tools/kernel_zygote).
    Shared by this module and tools/run_exercises.py."""
    from nbclient import NotebookClient
    from traitlets.config import Config

    if os.environ.get("KINESIS_KERNEL_ZYGOTE"):
        # tools/ itself: mkdocs takes it off sys.path once the site hooks are imported, and the
        # site build runs stale lessons in worker processes that import this only then.
        if TOOLS_DIR not in sys.path:
            sys.path.insert(0, TOOLS_DIR)
        from kernel_zygote.client import ForkingKernelManager

        options.setdefault("kernel_manager_class", ForkingKernelManager)
    ipc_dir = tempfile.mkdtemp(prefix="lesson-kernel-")
    ipc = Config({"KernelManager": {"transport": "ipc", "ip": os.path.join(ipc_dir, "kernel")}})
    try:
        yield NotebookClient(
            notebook,
            config=ipc,
            kernel_name="python3",
            timeout=timeout,
            allow_errors=True,
            resources={"metadata": {"path": str(folder)}},
            **options,
        )
    finally:
        shutil.rmtree(ipc_dir, ignore_errors=True)


def problems_in(notebook) -> list[str]:
    """Error outputs and tracebacks printed to stderr, one line per cell."""
    found = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                found.append(
                    f"cell {cell.get('id')}: {output.get('ename')}: {output.get('evalue')}"
                )
            elif (
                output.get("output_type") == "stream"
                and output.get("name") == "stderr"
                and "Traceback" in output.get("text", "")
            ):
                found.append(f"cell {cell.get('id')}: traceback on stderr: {output['text'][-500:]}")
    return found


def _write_executed(notebook, target: Path, key: str, source_sha256: str) -> None:
    import nbformat

    notebook.metadata["kinesis_course"] = {"cache_key": key, "notebook_sha256": source_sha256}
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
    nbformat.write(notebook, partial)
    os.replace(partial, target)


def _execute_one(source: str, target: str, key: str) -> float:
    """One lesson, once, in a worker process of :func:`execute_all` — unless another process
    (a test run of the same lesson) wrote a fresh copy while this one waited for the lock."""
    with lesson_lock(Path(target)):
        if _cached_keys(Path(target)).get("cache_key") == key:
            return 0.0
        return _execute_lesson(Path(source), Path(target), key, 0)[0]


def _cached_keys(executed: Path) -> dict:
    try:
        notebook = json.loads(executed.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return notebook.get("metadata", {}).get("kinesis_course", {})


def execute_all(
    sources: list[Path] | None = None,
    out_dir: Path = OUT_DIR,
    jobs: int | None = None,
    force: bool = False,
) -> list[Executed]:
    """Execute every stale lesson into ``out_dir``; return one entry per lesson, in order."""
    sources = lesson_paths() if sources is None else sources
    # LESSONS_CACHE=reuse keeps any executed copy whose toolkit changed (notebook edits still
    # re-execute): handy while writing site pages; never set in CI.
    reuse = os.environ.get("LESSONS_CACHE") == "reuse"
    out_dir.mkdir(parents=True, exist_ok=True)
    fingerprint = toolkit_fingerprint()
    plan = []
    for source in sources:
        target = out_dir / source.name
        key = cache_key(source, fingerprint)
        cached = _cached_keys(target) if target.exists() and not force else {}
        fresh = cached.get("cache_key") == key or (
            reuse and cached.get("notebook_sha256") == notebook_hash(source)
        )
        plan.append((source, target, key, fresh))

    stale = [(s, t, k) for s, t, k, fresh in plan if not fresh]
    seconds: dict[Path, float] = {}
    if stale:
        workers = jobs or min(len(stale), max(1, os.cpu_count() or 1))
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = {
                source: pool.submit(_execute_one, str(source), str(target), key)
                for source, target, key in stale
            }
            failures = []
            for source, future in futures.items():
                try:
                    seconds[source] = future.result()
                except LessonExecutionError as error:
                    failures.append(str(error))
            if failures:
                raise LessonExecutionError("\n\n".join(failures))

    # Executed copies of lessons that no longer exist must not reach the site.
    wanted = {source.name for source in sources}
    for leftover in out_dir.glob("*.ipynb"):
        if leftover.name not in wanted:
            leftover.unlink()

    return [
        Executed(source, target, seconds.get(source, 0.0), fresh)
        for source, target, _key, fresh in plan
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="ignore the cache")
    parser.add_argument("--jobs", type=int, default=None, help="parallel kernels")
    args = parser.parse_args(argv)
    started = time.monotonic()
    results = execute_all(force=args.force, jobs=args.jobs)
    for result in results:
        how = "cached" if result.cached else f"{result.seconds:5.1f} s"
        print(f"{result.source.name:40} {how}")
    print(f"{len(results)} lessons in {time.monotonic() - started:.1f} s → {OUT_DIR}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
