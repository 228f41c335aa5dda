"""The lessons' guarded install (tools/colab_setup.py): on Colab, where the toolkit is missing,
the setup cell installs it from the course repository; everywhere else — `make lab`, Binder, the
class hub, this test suite — the install never fires."""

from __future__ import annotations

import builtins
import sys

import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager
from paths import REPO

sys.path.insert(0, str(REPO / "tools"))
import colab_setup  # noqa: E402  (tools/ is not a package)
import course_repository  # noqa: E402

LESSONS = sorted((REPO / "notebooks").glob("*.ipynb"))
REPOSITORY = "octo-org/kinesis-course"
SETUP = (
    "# Setup: an offline, mocked AWS account for this lesson. Safe to re-run at any time.\n"
    "from kinesis_lab import start_lab\n\nlab = start_lab()"
)


class RecordingShell:
    """Stands in for IPython's ``get_ipython()``: records the magics a cell runs."""

    def __init__(self) -> None:
        self.magics: list[tuple[str, str]] = []

    def run_line_magic(self, name: str, line: str, _stack_depth: int = 1) -> None:
        self.magics.append((name, line))


def run_guard(lines: list[str], toolkit_missing: bool, monkeypatch) -> RecordingShell:
    """Run a guard as IPython would (magics transformed), with the toolkit present or not."""
    shell = RecordingShell()
    code = TransformerManager().transform_cell("\n".join(lines) + "\n")
    if toolkit_missing:
        real_import = builtins.__import__

        def no_toolkit(name, *args, **kwargs):
            if name.split(".")[0] == "kinesis_lab":
                raise ModuleNotFoundError(f"No module named {name!r}")
            return real_import(name, *args, **kwargs)

        monkeypatch.setattr(builtins, "__import__", no_toolkit)
    try:
        exec(compile(code, "<setup cell>", "exec"), {"get_ipython": lambda: shell})
    finally:
        monkeypatch.undo()
    return shell


def test_a_missing_toolkit_is_installed_from_the_course_repository(monkeypatch):
    shell = run_guard(
        colab_setup.guard(REPOSITORY, "main"), toolkit_missing=True, monkeypatch=monkeypatch
    )
    assert shell.magics == [
        ("pip", f'install --quiet "kinesis-lab @ git+https://github.com/{REPOSITORY}@main"')
    ]


def test_an_installed_toolkit_is_never_reinstalled(monkeypatch):
    """What the suite's lesson runs, `make lab`, Binder and the hub see: no pip at all."""
    shell = run_guard(colab_setup.guard(REPOSITORY), toolkit_missing=False, monkeypatch=monkeypatch)
    assert shell.magics == []


def test_without_a_repository_the_learner_is_told_in_one_line(monkeypatch):
    lines = colab_setup.guard("")
    assert run_guard(lines, toolkit_missing=False, monkeypatch=monkeypatch).magics == []
    with pytest.raises(ImportError, match="kinesis_lab is not installed: .*make lab"):
        run_guard(lines, toolkit_missing=True, monkeypatch=monkeypatch)


def test_a_placeholder_repository_is_refused():
    with pytest.raises(course_repository.RepositoryError, match="placeholder"):
        colab_setup.guard("your-org/kinesis-course")


def test_the_guard_goes_after_the_setup_comment_and_keeps_the_rest():
    updated = colab_setup.with_guard(SETUP, REPOSITORY)
    lines = updated.split("\n")
    assert lines[0].startswith("# Setup:")
    assert lines[1:5] == colab_setup.guard(REPOSITORY)
    assert "\n".join(lines[5:]) == "from kinesis_lab import start_lab\n\nlab = start_lab()"
    assert colab_setup.install_target(updated) == REPOSITORY


def test_rewriting_is_idempotent_and_replaces_another_repositorys_guard():
    once = colab_setup.with_guard(SETUP, REPOSITORY)
    assert colab_setup.with_guard(once, REPOSITORY) == once
    moved = colab_setup.with_guard(once, "octo-org/kinesis-course-2026", "spring")
    assert colab_setup.install_target(moved) == "octo-org/kinesis-course-2026"
    assert moved.count("    import kinesis_lab\n") == 1
    assert colab_setup.with_guard(moved, REPOSITORY) == once


def test_rewrite_changes_only_the_setup_cell_and_check_reports_stale_lessons(tmp_path):
    copies = []
    for lesson in LESSONS[:2]:
        copies.append(tmp_path / lesson.name)
        copies[-1].write_bytes(lesson.read_bytes())
    before = [nbformat.read(path, as_version=4) for path in copies]
    assert colab_setup.problems(copies, REPOSITORY, "main") != []
    assert colab_setup.rewrite(copies, REPOSITORY, "main") == copies
    assert colab_setup.rewrite(copies, REPOSITORY, "main") == []
    assert colab_setup.problems(copies, REPOSITORY, "main") == []
    for old, path in zip(before, copies, strict=True):
        new = nbformat.read(path, as_version=4)
        changed = [i for i, (a, b) in enumerate(zip(old.cells, new.cells, strict=True)) if a != b]
        first_code = next(i for i, c in enumerate(new.cells) if c.cell_type == "code")
        assert changed == [first_code] and len(old.cells) == len(new.cells)
        assert colab_setup.lesson_install_target(path) == REPOSITORY


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda path: path.stem)
def test_every_lesson_has_the_guard_and_never_a_placeholder(lesson):
    """The committed lessons: guard present; an install, if any, from a real owner/name."""
    source = colab_setup.setup_cell(nbformat.read(lesson, as_version=4)).source
    _, guard, _ = colab_setup.split_guard(source)
    assert guard[:3] == colab_setup.guard("")[:3], f"{lesson.name}: run tools/colab_setup.py"
    target = colab_setup.install_target(source)
    if target:
        assert course_repository.checked(target) == target
    else:
        assert guard == colab_setup.guard("")
