"""From a learning platform's bulk download to nbgrader's submitted/<student>/<quiz>/ layout.

Accepted shapes (a folder, or a .zip of either):

- one notebook per student: ``<student_id>.ipynb``;
- one folder per student: ``<student_id>/<quiz>.ipynb`` (or its only notebook, or nbgrader's
  own ``<student_id>/<quiz>/<quiz>.ipynb``), with an optional ``timestamp.txt`` beside it.

Every entry either becomes a :class:`Submission` (possibly with a ``problem``: it is then
reported, never graded) or a line in ``Intake.skipped`` saying why it is not a submission.
Nothing here stops at the first bad file.
"""

from __future__ import annotations

import json
import re
import shutil
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import nbformat

MAX_NOTEBOOK_BYTES = 50 * 1024 * 1024
MAX_ZIP_BYTES = 2 * 1024 * 1024 * 1024
MAX_ZIP_FILES = 20_000
MAX_ID_CHARS = 64
TIMESTAMP_FILE = "timestamp.txt"
IGNORED_NAMES = {"__MACOSX", ".ipynb_checkpoints", "__pycache__", "Thumbs.db"}
STUDENT_ID = re.compile(r"^[^\W_][\w.@-]*$")


@dataclass
class Submission:
    student_id: str
    notebook: Path | None
    origin: str  # where it came from, as the instructor sees it in the download
    problem: str | None = None  # why it cannot be graded
    notes: list[str] = field(default_factory=list)
    timestamp: Path | None = None


@dataclass
class Intake:
    submissions: list[Submission]
    skipped: list[str]  # entries that are not submissions, each with its reason

    @property
    def gradable(self) -> list[Submission]:
        return [s for s in self.submissions if s.problem is None]


def student_id_problem(student_id: str) -> str | None:
    """Why ``student_id`` cannot be an nbgrader student id, or None if it can."""
    if not student_id:
        return "the student id is empty"
    if any(ch.isspace() for ch in student_id):
        return "it contains a space"
    if "+" in student_id:
        return "'+' is not allowed (nbgrader's exchange uses it to separate fields)"
    if len(student_id) > MAX_ID_CHARS:
        return f"it is longer than {MAX_ID_CHARS} characters"
    if not STUDENT_ID.match(student_id):
        if not (student_id[0].isalnum()):
            return "it must start with a letter or a digit"
        return "use only letters, digits, '.', '_', '-' and '@'"
    return None


def notebook_problem(path: Path) -> str | None:
    """Why the file at ``path`` is not a gradable notebook, or None."""
    try:
        size = path.stat().st_size
    except OSError as error:
        return f"cannot be read ({error.strerror})"
    if size == 0:
        return "empty file"
    if size > MAX_NOTEBOOK_BYTES:
        return (
            f"too large ({size / 1024 / 1024:.0f} MB; the limit is {MAX_NOTEBOOK_BYTES >> 20} MB)"
        )
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return "not a text file (not UTF-8): not a notebook"
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        return f"not valid JSON ({error.msg} at line {error.lineno}, column {error.colno})"
    if not isinstance(data, dict) or "cells" not in data or "nbformat" not in data:
        return "valid JSON, but not a Jupyter notebook (no cells/nbformat)"
    if data.get("nbformat") != 4:
        return f"a notebook in format {data.get('nbformat')}, not 4 (save it with Jupyter 4+)"
    try:
        notebook = nbformat.reads(text, as_version=4)
        nbformat.validate(notebook)
    except Exception as error:  # nbformat raises several types for invalid notebooks
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
        return f"not a valid notebook ({type(error).__name__}: {first_line[:150]})"
    return None


def _ignored(path: Path) -> bool:
    return path.name in IGNORED_NAMES or path.name.startswith(".")


def _notebooks_in(folder: Path, depth: int = 2) -> list[Path]:
    found = []
    for entry in sorted(folder.iterdir()):
        if _ignored(entry) or entry.is_symlink():
            continue
        if entry.is_file() and entry.suffix == ".ipynb":
            found.append(entry)
        elif entry.is_dir() and depth > 1:
            found += _notebooks_in(entry, depth - 1)
    return found


def _from_folder(folder: Path, quiz: str, origin: str) -> Submission:
    student_id = folder.name
    notebooks = _notebooks_in(folder)
    named = [nb for nb in notebooks if nb.name == f"{quiz}.ipynb"]
    submission = Submission(student_id, None, origin)
    if len(named) == 1:
        submission.notebook = named[0]
    elif len(named) > 1:
        where = ", ".join(str(nb.relative_to(folder)) for nb in named)
        submission.problem = f"several {quiz}.ipynb in the folder ({where}); keep one"
    elif len(notebooks) == 1:
        submission.notebook = notebooks[0]
        submission.notes.append(f"graded {notebooks[0].name} as {quiz}.ipynb")
    elif notebooks:
        names = ", ".join(nb.name for nb in notebooks[:5])
        submission.problem = f"no {quiz}.ipynb in the folder, and several notebooks ({names})"
    else:
        submission.problem = "the folder has no notebook"
    if submission.notebook is not None:
        stamp = submission.notebook.parent / TIMESTAMP_FILE
        submission.timestamp = stamp if stamp.is_file() else None
    return submission


def find_submissions(path: Path, quiz: str, workdir: Path, collected: bool = False) -> Intake:
    """Every submission in a folder or zip at ``path`` (a zip is unpacked into ``workdir``).

    ``collected``: ``path`` is the course's own submitted/ folder (what `nbgrader collect` fills
    from the exchange); a student folder without this quiz is someone else's, not a problem."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist")
    if path.is_file():
        if not zipfile.is_zipfile(path):
            raise ValueError(f"{path} is neither a folder nor a .zip file")
        path = unpack_zip(path, workdir / "unpacked")
    top = _unwrap(path, quiz)
    submissions: dict[str, list[Submission]] = {}
    skipped: list[str] = []
    for entry in sorted(top.iterdir()):
        label = entry.name + ("/" if entry.is_dir() else "")
        if _ignored(entry):
            continue
        if entry.is_symlink():
            skipped.append(f"{label}: a symbolic link, not a submission")
            continue
        if entry.is_file() and entry.suffix != ".ipynb":
            skipped.append(f"{label}: not a notebook (.ipynb) — skipped")
            continue
        student_id = entry.stem if entry.is_file() else entry.name
        problem = student_id_problem(student_id)
        if problem is None and quiz in student_id:
            problem = (
                f"it contains the quiz name {quiz!r}; name each file <student_id>.ipynb "
                "(or each folder <student_id>/)"
            )
        if problem is not None:
            skipped.append(
                f"{label}: {student_id!r} is not a usable student id — {problem}. "
                f"Rename it to <student_id>{'.ipynb' if entry.is_file() else '/'}."
            )
            continue
        if entry.is_file():
            submission = Submission(student_id, entry, label)
        elif collected and not (entry / quiz / f"{quiz}.ipynb").is_file():
            continue  # this student has submitted other quizzes, not this one
        else:
            submission = _from_folder(entry, quiz, label)
        submissions.setdefault(student_id, []).append(submission)
    found = []
    for student_id, candidates in submissions.items():
        if len(candidates) > 1:
            origins = " and ".join(c.origin for c in candidates)
            found.append(
                Submission(
                    student_id, None, origins, problem=f"two submissions ({origins}); keep one"
                )
            )
            continue
        submission = candidates[0]
        if submission.problem is None and submission.notebook is not None:
            submission.problem = notebook_problem(submission.notebook)
        found.append(submission)
    return Intake(found, skipped)


def _unwrap(folder: Path, quiz: str) -> Path:
    """Look inside wrapping folders (a zip of "the download folder"): a lone folder that is not
    itself a student's (no <quiz>.ipynb, <quiz>/ or timestamp.txt in it) is a wrapper."""
    for _ in range(3):
        entries = [e for e in folder.iterdir() if not _ignored(e)]
        if len(entries) != 1 or not entries[0].is_dir() or entries[0].is_symlink():
            return folder
        inner = entries[0]
        if any((inner / name).exists() for name in (f"{quiz}.ipynb", quiz, TIMESTAMP_FILE)):
            return folder
        folder = inner
    return folder


def unpack_zip(archive: Path, destination: Path) -> Path:
    """Unpack a zip safely: no absolute paths or '..', no links, bounded size and count."""
    destination.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(archive) as bundle:
        members = bundle.infolist()
        if len(members) > MAX_ZIP_FILES:
            raise ValueError(f"{archive.name}: more than {MAX_ZIP_FILES} files")
        if sum(m.file_size for m in members) > MAX_ZIP_BYTES:
            raise ValueError(f"{archive.name}: more than {MAX_ZIP_BYTES >> 30} GB unpacked")
        for member in members:
            name = PurePosixPath(member.filename.replace("\\", "/"))
            if name.is_absolute() or ".." in name.parts:
                raise ValueError(f"{archive.name}: unsafe path {member.filename!r} in the zip")
            if stat.S_ISLNK(member.external_attr >> 16):
                continue
            target = destination.joinpath(*name.parts)
            if member.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with bundle.open(member) as source, open(target, "wb") as sink:
                shutil.copyfileobj(source, sink)
    return destination


def place(submission: Submission, submitted_folder: Path, quiz: str) -> Path:
    """Copy one submission into nbgrader's layout, replacing what an earlier batch put there."""
    if submission.notebook is None:
        raise ValueError(f"{submission.student_id}: nothing to place")
    target = submitted_folder / f"{quiz}.ipynb"
    if target.exists() and target.resolve() == submission.notebook.resolve():
        return target  # already in place (collected from the exchange)
    if submitted_folder.exists():
        shutil.rmtree(submitted_folder)
    submitted_folder.mkdir(parents=True)
    shutil.copyfile(submission.notebook, target)
    if submission.timestamp is not None:
        shutil.copyfile(submission.timestamp, submitted_folder / TIMESTAMP_FILE)
    return target
