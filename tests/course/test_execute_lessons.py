"""tools/execute_lessons.py: one execution of a lesson serves the tests and the site's cache."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from paths import REPO

sys.path.insert(0, str(REPO / "tools"))
import execute_lessons  # noqa: E402  (tools/ is not a package)

# The kernels these tests start are forked from the worker's zygote (tests/conftest.py).
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("kernel_zygote")]


def lesson(folder: Path, name: str, *sources: str) -> Path:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell("# A tiny lesson")] + [
        nbformat.v4.new_code_cell(source) for source in sources
    ]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    path = folder / name
    nbformat.write(notebook, path)
    return path


def test_execute_all_runs_stale_lessons_and_reuses_fresh_ones(tmp_path):
    source = lesson(tmp_path, "01_tiny.ipynb", "print(6 * 7)")
    out = tmp_path / "out"
    first = execute_lessons.execute_all([source], out_dir=out, jobs=1)
    assert [result.cached for result in first] == [False]
    executed = nbformat.read(out / "01_tiny.ipynb", as_version=4)
    assert executed.cells[1].outputs[0]["text"] == "42\n"
    assert executed.metadata["kinesis_course"]["notebook_sha256"] == (
        execute_lessons.notebook_hash(source)
    )
    assert [result.cached for result in execute_lessons.execute_all([source], out, 1)] == [True]
    lesson(tmp_path, "01_tiny.ipynb", "print(6 * 8)")  # an edited lesson runs again
    again = execute_lessons.execute_all([source], out_dir=out, jobs=1)
    assert [result.cached for result in again] == [False]
    assert nbformat.read(out / "01_tiny.ipynb", as_version=4).cells[1].outputs[0]["text"] == "48\n"


def test_a_lesson_run_by_the_tests_is_a_fresh_cache_entry_for_the_site(tmp_path):
    source = lesson(tmp_path, "02_tiny.ipynb", "value = 1", "print(value)")
    out = tmp_path / "out"
    key = execute_lessons.cache_key(source, execute_lessons.toolkit_fingerprint())
    passes = execute_lessons.execute_lesson(source, out / source.name, key, reruns=1)
    assert len(passes) == 2 and all(seconds >= 0 for seconds in passes)
    results = execute_lessons.execute_all([source], out_dir=out, jobs=1)
    assert [result.cached for result in results] == [True]
    executed = nbformat.read(out / source.name, as_version=4)
    assert [cell.execution_count for cell in executed.cells[1:]] == [1, 2]  # the first pass


def test_a_failing_cell_is_named_and_nothing_is_cached(tmp_path):
    source = lesson(tmp_path, "03_tiny.ipynb", "print('fine')", "1 / 0")
    out = tmp_path / "out"
    with pytest.raises(
        execute_lessons.LessonExecutionError,
        match=r"(?s)03_tiny.ipynb \(first run\).*ZeroDivisionError",
    ):
        execute_lessons.execute_all([source], out_dir=out, jobs=1)
    assert not (out / source.name).exists()


def test_a_lesson_that_fails_only_when_re_run_is_caught(tmp_path):
    source = lesson(
        tmp_path,
        "04_tiny.ipynb",
        "assert 'made' not in globals(), 'already exists'\nmade = True",
    )
    with pytest.raises(execute_lessons.LessonExecutionError, match="re-run in the same kernel"):
        execute_lessons.execute_lesson(source, tmp_path / "out" / source.name, "k", reruns=1)


def test_a_build_waiting_for_a_lesson_being_run_reuses_that_run(tmp_path):
    """The suite runs lessons on two workers while the site build may reach the same lesson:
    the build waits for the lock and then takes the fresh copy instead of running it again."""
    import threading

    source = lesson(tmp_path, "01_tiny.ipynb", "raise SystemExit('must not run here')")
    target = tmp_path / "out" / source.name
    key = execute_lessons.cache_key(source, "fingerprint")
    finished: list[float] = []
    with execute_lessons.lesson_lock(target):  # a test worker is running the lesson
        waiting = threading.Thread(
            target=lambda: finished.append(
                execute_lessons._execute_one(str(source), str(target), key)
            )
        )
        waiting.start()
        waiting.join(timeout=1.0)
        assert waiting.is_alive() and finished == []  # it waits
        executed = nbformat.read(source, as_version=4)
        execute_lessons._write_executed(executed, target, key, "sha")  # what the worker wrote
    waiting.join(timeout=60)
    assert finished == [0.0]  # reused, not run (running it would raise)
    assert nbformat.read(target, as_version=4).metadata["kinesis_course"]["cache_key"] == key


def test_the_sites_lessons_run_with_a_learners_settings(monkeypatch):
    """The suite shortens lab transitions; the executed copy the site shows must not."""
    monkeypatch.setenv("KINESIS_LAB_TRANSITION_SECONDS", "0.3")
    monkeypatch.setenv("KINESIS_LAB_SOMETHING_ELSE", "kept")
    environment = execute_lessons.learner_environment()
    assert "KINESIS_LAB_TRANSITION_SECONDS" not in environment
    assert environment["KINESIS_LAB_SOMETHING_ELSE"] == "kept"


def test_a_lesson_client_finds_the_zygote_with_tools_off_the_path(tmp_path):
    """As in the site build: mkdocs imports tools/site_hooks.py with tools/ on sys.path, then
    takes it off again, and the build runs stale lessons in worker processes. With a zygote
    running (a test worker's), their kernel manager must still be found (a fresh-clone run
    failed with ModuleNotFoundError: kernel_zygote)."""
    code = f"""
import importlib.util, os, sys
import nbformat
os.environ["KINESIS_KERNEL_ZYGOTE"] = {str(tmp_path / "zygote.sock")!r}
before = list(sys.path)
sys.path.insert(0, {str(REPO / "tools")!r})  # as mkdocs does, only while it imports the hooks
spec = importlib.util.spec_from_file_location(
    "execute_lessons", {str(REPO / "tools" / "execute_lessons.py")!r}
)
module = importlib.util.module_from_spec(spec)
sys.modules["execute_lessons"] = module
spec.loader.exec_module(module)
sys.path[:] = before
with module.lesson_client(nbformat.v4.new_notebook(), {str(tmp_path)!r}) as client:
    print(client.kernel_manager_class.__name__)
"""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "ForkingKernelManager"
