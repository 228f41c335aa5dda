"""Every "Your turn" exercise is tested both ways, and its answer stays out of learners' hands.

- Each exercise cell (metadata ``kinesis_lab.exercise``) has exactly one reference answer in
  tests/exercise_answers/<notebook stem>.py, and each answer belongs to an exercise cell.
- With the answers filled in (`make exercises`, tools/run_exercises.py) every check passes,
  and a botocore ``before-call`` hook, injected into the kernel by the runner, proves that
  each operation the metadata names is called from the learner's cell itself — not by a
  course helper. Blank, the checks say "not yet", nothing raises and the skeleton makes none
  of those calls.
- No distinctive line of an answer appears in notebooks/ (the built site is scanned by
  tests/course/test_site_leaks.py, which includes these answers in its secrets).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import boto3
import nbformat
import pytest
from botocore import xform_name
from paths import REPO

sys.path.insert(0, str(REPO / "tools"))

import run_exercises  # noqa: E402
from run_exercises import (  # noqa: E402
    ANSWER_DIR,
    exercises_in,
    lesson_paths,
    read_answers,
    run_lesson,
)

LESSONS = lesson_paths()
WITH_EXERCISES = [p for p in LESSONS if exercises_in(nbformat.read(p, as_version=4))]
MIN_CHARS = 40  # two short lines (`}`, `)`) are not distinctive
LINE = re.compile(
    r"^(?P<stem>\S+): (?P<e>\d+) exercises, (?P<a>\d+) write AWS calls, (?P<rest>.+)$"
)


def notebook(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def code_lines(source: str) -> list[str]:
    """Code lines, whitespace normalised, comments (whole-line and trailing) dropped."""
    lines = (" ".join(line.split("  # ")[0].split()) for line in source.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def answer_windows(answer: str, skeleton: str) -> set[str]:
    """Pairs of consecutive answer lines a learner must write (not both in the skeleton).

    One line alone (`answer = lab.kinesis.put_record(`) may well be taught elsewhere; two
    consecutive lines of an answer in a notebook are a leak."""
    given = set(code_lines(skeleton))
    lines = code_lines(answer)
    return {
        f"{first}\n{second}"
        for first, second in zip(lines, lines[1:], strict=False)
        if not (first in given and second in given) and len(first + second) >= MIN_CHARS
    }


def test_some_lessons_have_exercises():
    assert len(WITH_EXERCISES) >= 6, [p.stem for p in WITH_EXERCISES]


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_every_exercise_has_one_answer_and_every_answer_an_exercise(path):
    exercises = exercises_in(notebook(path))
    answer_file = ANSWER_DIR / f"{path.stem}.py"
    answers = read_answers(answer_file) if answer_file.exists() else {}
    ids = [e.id for e in exercises]
    assert len(ids) == len(set(ids)), f"{path.name}: an exercise id is used twice: {ids}"
    assert set(ids) == set(answers), (
        f"{path.name}: exercises without an answer {sorted(set(ids) - set(answers))}, "
        f"answers without an exercise {sorted(set(answers) - set(ids))}"
    )
    checked = {
        exercise_id
        for cell in notebook(path).cells
        for exercise_id in run_exercises._as_list(
            cell.metadata.get("kinesis_lab", {}).get("checks")
        )
    }
    assert checked <= set(ids), f"{path.name}: checks name no exercise: {checked - set(ids)}"


def test_exercise_ids_are_unique_across_the_course():
    ids = [e.id for path in LESSONS for e in exercises_in(notebook(path))]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


def test_named_operations_exist_in_boto3():
    session = boto3.session.Session(region_name="us-east-1")
    for path in WITH_EXERCISES:
        for exercise in exercises_in(notebook(path)):
            for operation in exercise.writes:
                service, _, name = operation.partition(".")
                model = session.client(
                    service, aws_access_key_id="x", aws_secret_access_key="x"
                ).meta.service_model
                snake = {xform_name(op) for op in model.operation_names}
                assert name in snake, f"{path.stem}/{exercise.id}: {operation} is not in boto3"


def test_exercises_that_write_calls_have_a_check_cell_that_observes():
    for path in WITH_EXERCISES:
        for exercise in exercises_in(notebook(path)):
            if exercise.writes:
                assert exercise.check_indexes, f"{path.stem}/{exercise.id}: no check cell"


def test_answers_do_not_leak_into_notebooks():
    leaks = []
    cells = {
        path.name: ["\n".join(code_lines(cell.source)) for cell in notebook(path).cells]
        for path in NOTEBOOK_FILES()
    }
    for path in WITH_EXERCISES:
        nb = notebook(path)
        answers = read_answers(ANSWER_DIR / f"{path.stem}.py")
        for exercise in exercises_in(nb):
            skeleton = nb.cells[exercise.cell_index].source
            for window in answer_windows(answers[exercise.id], skeleton):
                leaks += [
                    f"{name}: {exercise.id}: {window!r}"
                    for name, sources in cells.items()
                    if any(window in source for source in sources)
                ]
    for path in NOTEBOOK_FILES():
        text = path.read_text(encoding="utf-8")
        leaks += [f"{path.name}: {hit}" for hit in re.findall(r"CANARY-ANSWER-\S+", text)]
    assert not leaks, "reference answers found in notebooks/:\n" + "\n".join(leaks)


def NOTEBOOK_FILES() -> list[Path]:
    return sorted((REPO / "notebooks").rglob("*.ipynb"))


def test_answer_files_carry_a_canary():
    for path in sorted(ANSWER_DIR.glob("*.py")):
        assert f"CANARY-ANSWER-{path.stem}" in path.read_text(), path.name


# --- the hook itself, on a tiny lesson ----------------------------------------------------------

SETUP = "from kinesis_lab import start_lab\n\nlab = start_lab(quiet=True)"
SKELETON = 'NAME = "hook-demo"\n# Your code here'
CHECK = (
    "from kinesis_lab.lessons.exercise_checks import check_stream\n\n"
    'check_stream(lab.kinesis, NAME, "PROVISIONED", shards=1)'
)


def tiny_lesson(tmp_path: Path, answer: str) -> tuple[Path, Path]:
    cells = [
        nbformat.v4.new_code_cell(SETUP),
        nbformat.v4.new_code_cell(SKELETON),
        nbformat.v4.new_code_cell(CHECK),
    ]
    cells[1].metadata["kinesis_lab"] = {"exercise": "t-create", "writes": ["kinesis.create_stream"]}
    cells[2].metadata["kinesis_lab"] = {"checks": ["t-create"]}
    lesson = nbformat.v4.new_notebook(cells=cells)
    lesson.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    path = tmp_path / "99_hook_demo.ipynb"
    nbformat.write(lesson, path)
    answers = tmp_path / "answers"
    answers.mkdir()
    (answers / "99_hook_demo.py").write_text(f"# %% t-create\n{answer}\n")
    return path, answers


@pytest.mark.slow
@pytest.mark.usefixtures("kernel_zygote")  # its kernels forked: tests/conftest.py
def test_the_hook_tells_the_learners_call_from_a_helpers(tmp_path):
    direct = (
        'NAME = "hook-demo"\nlab.kinesis.create_stream(StreamName=NAME, ShardCount=1)\n'
        'lab.kinesis.get_waiter("stream_exists").wait(StreamName=NAME)  # CREATING → ACTIVE'
    )
    path, answers = tiny_lesson(tmp_path, direct)
    result = run_lesson(path, answer_dir=answers)
    assert result.ok, result.line()
    assert result.exercises[0].direct[0] == "kinesis.create_stream"  # then the waiter's polls

    # The same stream made by a course helper: the check passes, the hook does not.
    helper = 'NAME = "hook-demo"\nlab.create_stream(NAME, shard_count=1)'
    (tmp_path / "helper").mkdir()
    path, answers = tiny_lesson(tmp_path / "helper", helper)
    result = run_lesson(path, answer_dir=answers)
    assert not result.ok
    assert "kinesis.create_stream" in result.exercises[0].indirect
    assert "kinesis.create_stream is not called from the cell" in result.line()

    # Blank, the check says "not yet" and nothing is called.
    blank = run_lesson(path, blank=True, answer_dir=answers)
    assert blank.ok, blank.line()
    assert blank.exercises[0].direct == []


# --- every lesson, both ways --------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.usefixtures("kernel_zygote")  # its kernels forked: tests/conftest.py
@pytest.mark.parametrize("path", WITH_EXERCISES, ids=lambda p: p.stem)
def test_lesson_with_answers_passes_every_check_and_makes_the_named_calls(path):
    """Answers filled in, top to bottom and again in the same kernel (learners re-run cells
    all the time; an answered lesson is where "stream already exists" shows). The blank lesson
    runs in tests/course/test_notebooks.py; together they are every lesson's both ways and again."""
    result = run_lesson(path, reruns=1)
    assert len(result.pass_seconds) == 2  # first pass, run again (speed: bench_lessons.py)
    for exercise in result.exercises:
        for operation in exercise.writes:
            assert operation in exercise.direct, (
                f"{exercise.id}: {operation} not called from the cell "
                f"(called there: {exercise.direct}; by other code: {exercise.indirect})"
            )
    writing = sum(1 for e in result.exercises if e.writes)
    assert result.line() == (
        f"{path.stem}: {len(result.exercises)} exercises, {writing} write AWS calls, "
        "all checks pass"
    ), result.line()
    assert writing >= 2, f"{path.stem}: fewer than two exercises write AWS calls"


@pytest.mark.parametrize("path", WITH_EXERCISES, ids=lambda p: p.stem)
def test_blank_skeletons_leave_the_named_calls_to_the_learner(path):
    """Read, not run: that the blank lesson's checks say "not yet" is checked on the run
    tests/course/test_notebooks.py makes of every lesson (run_exercises.blank_problems)."""
    notebook = nbformat.read(path, as_version=4)
    assert run_exercises.skeleton_calls(notebook) == {}


@pytest.mark.slow
@pytest.mark.usefixtures("kernel_zygote")  # its kernels forked: tests/conftest.py
def test_make_exercises_prints_one_line_per_lesson(tmp_path):
    stem = "02_capacity"  # a short lesson with exercises (simulated clock: no real waiting)
    done = subprocess.run(
        [sys.executable, str(REPO / "tools" / "run_exercises.py"), stem],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 1, lines
    match = LINE.match(lines[0])
    assert match and match["stem"] == stem and match["rest"] == "all checks pass", lines[0]


def test_answer_sections_parse(tmp_path):
    path = tmp_path / "x.py"
    path.write_text('"""doc"""\n# %% a-one\nx = 1\n\n# %% b-two\ny = 2\n')
    assert read_answers(path) == {"a-one": "x = 1\n", "b-two": "y = 2\n"}
    assert json.dumps(read_answers(path))
