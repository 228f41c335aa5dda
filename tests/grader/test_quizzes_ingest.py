"""Reading a learning platform's bulk download: folders, zips, names, broken files."""

from __future__ import annotations

import zipfile
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from kinesis_grader.ingest import (
    find_submissions,
    notebook_problem,
    place,
    student_id_problem,
    unpack_zip,
)

QUIZ = "q01_core_capacity"


def notebook_file(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(new_notebook(cells=[new_code_cell("x = 1")]), path)
    return path


def found(intake):
    return {
        s.student_id: (s.notebook.name if s.notebook else None, s.problem)
        for s in intake.submissions
    }


@pytest.mark.parametrize(
    "student_id", ["alice", "s1234567", "jane.doe", "j_doe-2", "zoë", "a@b.edu"]
)
def test_usable_student_ids(student_id):
    assert student_id_problem(student_id) is None


@pytest.mark.parametrize(
    ("student_id", "reason"),
    [
        ("Jane Doe", "space"),
        ("alice+bob", "'+'"),
        (".hidden", "start with a letter"),
        ("_x", "start with a letter"),
        ("a/b", "only letters"),
        ("x" * 65, "longer than"),
        ("", "empty"),
    ],
)
def test_unusable_student_ids_get_a_reason(student_id, reason):
    assert reason in student_id_problem(student_id)


def test_one_notebook_per_student(tmp_path):
    download = tmp_path / "download"
    for name in ("alice", "bob"):
        notebook_file(download / f"{name}.ipynb")
    (download / "Jane Doe.ipynb").write_text("{}")
    (download / "notes.txt").write_text("hello")
    notebook_file(download / ".ipynb_checkpoints" / "alice-checkpoint.ipynb")
    notebook_file(download / f"{QUIZ}.ipynb")
    intake = find_submissions(download, QUIZ, tmp_path / "work")
    assert found(intake) == {"alice": ("alice.ipynb", None), "bob": ("bob.ipynb", None)}
    skipped = "\n".join(intake.skipped)
    assert "Jane Doe.ipynb" in skipped and "contains a space" in skipped
    assert "notes.txt: not a notebook" in skipped
    assert f"{QUIZ}.ipynb" in skipped and "quiz name" in skipped
    assert "checkpoint" not in skipped


def test_one_folder_per_student_in_every_shape(tmp_path):
    download = tmp_path / "download"
    notebook_file(download / "alice" / f"{QUIZ}.ipynb")
    (download / "alice" / "timestamp.txt").write_text("2026-11-20 10:00:00 UTC")
    notebook_file(download / "bob" / "my answers.ipynb")  # the only notebook: used, with a note
    notebook_file(download / "carol" / QUIZ / f"{QUIZ}.ipynb")  # nbgrader's own layout
    notebook_file(download / "dave" / "a.ipynb")
    notebook_file(download / "dave" / "b.ipynb")
    (download / "erin").mkdir()
    intake = find_submissions(download, QUIZ, tmp_path / "work")
    result = found(intake)
    assert result["alice"] == (f"{QUIZ}.ipynb", None)
    assert result["bob"] == ("my answers.ipynb", None)
    assert result["carol"] == (f"{QUIZ}.ipynb", None)
    assert "several notebooks" in result["dave"][1]
    assert result["erin"][1] == "the folder has no notebook"
    alice = next(s for s in intake.submissions if s.student_id == "alice")
    bob = next(s for s in intake.submissions if s.student_id == "bob")
    assert alice.timestamp is not None and "graded my answers.ipynb" in bob.notes[0]


def test_a_student_with_a_file_and_a_folder_is_asked_to_keep_one(tmp_path):
    download = tmp_path / "download"
    notebook_file(download / "alice.ipynb")
    notebook_file(download / "alice" / f"{QUIZ}.ipynb")
    assert "two submissions" in found(find_submissions(download, QUIZ, tmp_path / "w"))["alice"][1]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "empty file"),
        (b'{"cells": [', "not valid JSON"),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
        (b'{"hello": 1}', "not a Jupyter notebook"),
        (b'{"cells": [], "nbformat": 3, "metadata": {}}', "format 3"),
        (
            b'{"cells": [{"cell_type": "nonsense"}], "nbformat": 4, "nbformat_minor": 5, "metadata": {}}',
            "not a valid notebook",
        ),
    ],
)
def test_broken_files_are_reported_with_their_reason(tmp_path, content, problem):
    path = tmp_path / "x.ipynb"
    path.write_bytes(content)
    assert problem in notebook_problem(path)


def test_a_zip_of_a_wrapping_folder_is_unwrapped(tmp_path):
    download = tmp_path / "export" / "Quiz 1 submissions"
    notebook_file(download / "alice.ipynb")
    notebook_file(download / "bob" / f"{QUIZ}.ipynb")
    (download / "carol.ipynb").write_text("")
    archive = tmp_path / "bulk.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        for path in (tmp_path / "export").rglob("*"):
            bundle.write(path, path.relative_to(tmp_path))
        bundle.writestr("__MACOSX/._alice.ipynb", "junk")
    intake = find_submissions(archive, QUIZ, tmp_path / "work")
    assert found(intake) == {
        "alice": ("alice.ipynb", None),
        "bob": (f"{QUIZ}.ipynb", None),
        "carol": ("carol.ipynb", "empty file"),
    }


def test_a_zip_cannot_write_outside_its_folder(tmp_path):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("../escaped.ipynb", "{}")
    with pytest.raises(ValueError, match="unsafe path"):
        unpack_zip(archive, tmp_path / "out")
    assert not (tmp_path / "escaped.ipynb").exists()


def test_neither_a_folder_nor_a_zip(tmp_path):
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(ValueError, match="neither a folder nor a .zip"):
        find_submissions(tmp_path / "file.txt", QUIZ, tmp_path / "w")
    with pytest.raises(FileNotFoundError):
        find_submissions(tmp_path / "missing", QUIZ, tmp_path / "w")


def test_placing_replaces_an_earlier_batch(tmp_path):
    download = tmp_path / "download"
    notebook_file(download / "alice" / "answers.ipynb")
    (download / "alice" / "timestamp.txt").write_text("2026-11-20 10:00:00 UTC")
    submission = find_submissions(download, QUIZ, tmp_path / "w").submissions[0]
    target = tmp_path / "submitted" / "alice" / QUIZ
    target.mkdir(parents=True)
    (target / "stale.txt").write_text("from last week")
    place(submission, target, QUIZ)
    assert sorted(p.name for p in target.iterdir()) == [f"{QUIZ}.ipynb", "timestamp.txt"]


def test_the_courses_own_submitted_folder_is_graded_in_place(tmp_path):
    """The exchange route: `nbgrader collect` fills submitted/; grading reads it where it is."""
    submitted = tmp_path / "submitted"
    notebook_file(submitted / "alice" / QUIZ / f"{QUIZ}.ipynb")
    notebook_file(submitted / "bob" / "q02_producers" / "q02_producers.ipynb")  # another quiz
    intake = find_submissions(submitted, QUIZ, tmp_path / "w", collected=True)
    assert found(intake) == {"alice": (f"{QUIZ}.ipynb", None)} and intake.skipped == []
    alice = intake.submissions[0]
    target = place(alice, submitted / "alice" / QUIZ, QUIZ)
    assert target.exists() and target.read_text().startswith("{")
