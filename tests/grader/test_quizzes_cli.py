"""The instructor's commands: `python -m kinesis_grader …` and the Makefile targets calling it."""

from __future__ import annotations

import csv
import os
import subprocess
import sys

import pytest
from quizzes_helpers import REPO, copy_course

from kinesis_grader.__main__ import main


@pytest.fixture
def course(tmp_path):
    return copy_course(tmp_path)


def run(course, *args, capsys):
    code = main(["--course", str(course.root), *args])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_grade_says_which_arguments_are_missing(course, capsys):
    code, text = run(course, "grade", capsys=capsys)
    assert code == 2 and "SUBMISSIONS=<folder or .zip>" in text
    code, text = run(course, "grade", "", "somewhere", capsys=capsys)
    assert code == 2 and "Say which quiz: QUIZ=<quiz>; one of a01_iot" in text


def test_an_unknown_quiz_gets_suggestions(course, capsys):
    code, text = run(course, "export", "q01", capsys=capsys)
    assert code == 2 and "Did you mean q01_core_capacity?" in text


def test_missing_submissions_are_named(course, tmp_path, capsys):
    code, text = run(course, "grade", "q01_core_capacity", str(tmp_path / "nope"), capsys=capsys)
    assert code == 2 and "does not exist" in text


def test_a_folder_that_is_not_a_course(tmp_path, capsys):
    assert main(["--course", str(tmp_path), "check"]) == 2
    assert "not an nbgrader course folder" in capsys.readouterr().err


def test_check_lists_every_quiz_with_its_points(capsys):
    assert main(["check"]) == 0
    text = capsys.readouterr().out
    assert "q01_core_capacity: 13 items, 25 points (3 graded by hand)" in text


def test_the_makefile_targets_call_the_grader():
    env = {**os.environ, "MAKEFLAGS": ""}
    for target, expected in [
        (["release"], "-m kinesis_grader release"),
        (
            ["grade", "QUIZ=q01_core_capacity", "SUBMISSIONS=down load"],
            'grade "q01_core_capacity" "down load"',
        ),
        (["feedback", "QUIZ=q01_core_capacity"], 'feedback "q01_core_capacity"'),
        (["export", "QUIZ=q01_core_capacity"], 'export "q01_core_capacity"'),
    ]:
        result = subprocess.run(
            ["make", "-n", "--no-print-directory", *target],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
        )
        assert expected in result.stdout, result.stdout + result.stderr


@pytest.mark.slow
def test_release_rehearse_and_grade_from_the_command_line(course, tmp_path):
    def cli(*args):
        return subprocess.run(
            [sys.executable, "-m", "kinesis_grader", "--course", str(course.root), *args],
            capture_output=True,
            text=True,
            timeout=600,
            env={**os.environ, "PATH": "/usr/bin:/bin"},  # no virtual environment on PATH
        )

    released = cli("release", "q02_producers")
    assert released.returncode == 0, released.stderr
    download = tmp_path / "download"
    assert cli("demo-class", "q02_producers", str(download), "--students", "2").returncode == 0
    graded = cli("grade", "q02_producers", str(download), "--cell-timeout", "30")
    assert graded.returncode == 0, graded.stdout + graded.stderr
    assert "student 2 of 2 · student002" in graded.stdout
    assert "Grades (CSV):" in graded.stdout
    exported = cli("export", "q02_producers")
    path = exported.stdout.strip().removeprefix("Grades (CSV): ")
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["student_id"] for row in rows] == ["student001", "student002"]
    assert rows[0]["raw_score"] == "20.0"


def test_the_grader_never_imports_the_labs_session_simulations_or_widgets():
    """The trusted side stays small: it uses the check primitives only."""
    code = (
        "import sys, kinesis_grader.__main__, kinesis_grader.grade, kinesis_grader.worker, "
        "kinesis_grader.synthetic, kinesis_grader.release, kinesis_grader.export\n"
        "bad = [m for m in sys.modules if m.startswith(('kinesis_lab.simulation', 'moto', 'boto3'))"
        " or m in ('kinesis_lab.account.session', 'kinesis_lab.widgets.key_space', 'ipywidgets')]\n"
        "print(bad)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "[]", result.stdout + result.stderr
