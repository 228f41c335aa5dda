"""The nbgrader course folder (quizzes/): its quizzes, paths, configuration and nbgrader API.

Why in one place: nbgrader reads nbgrader_config.py from the working directory, so every
command here loads the course's own file explicitly and works from any directory.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import alembic_head

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_ROOT = REPO_ROOT / "quizzes"
ROOT_ENV = "KINESIS_COURSE_ROOT"
QUIZ_NAME = re.compile(r"^[a-z]\d\d_[a-z0-9_]+$")

# Markers that must never reach anything a learner receives.
LEAK_MARKERS = (
    "BEGIN SOLUTION",
    "END SOLUTION",
    "BEGIN HIDDEN TESTS",
    "END HIDDEN TESTS",
    "BEGIN MARK SCHEME",
    "CANARY-",
)


class CourseError(RuntimeError):
    """A problem the instructor must fix before a command can run (said plainly)."""


@dataclass(frozen=True)
class Course:
    root: Path

    @classmethod
    def at(cls, root: str | os.PathLike[str] | None = None) -> Course:
        """The course at ``root``, else $KINESIS_COURSE_ROOT, else the repository's quizzes/."""
        path = Path(root or os.environ.get(ROOT_ENV) or DEFAULT_ROOT).resolve()
        if not (path / "nbgrader_config.py").is_file() or not (path / "source").is_dir():
            raise CourseError(
                f"{path} is not an nbgrader course folder (needs nbgrader_config.py and source/)."
            )
        return cls(path)

    # -- layout ------------------------------------------------------------------------------
    def quizzes(self) -> list[str]:
        """Every assignment: source/<quiz>/<quiz>.ipynb."""
        return sorted(
            folder.name
            for folder in (self.root / "source").iterdir()
            if (folder / f"{folder.name}.ipynb").is_file()
        )

    def require_quiz(self, quiz: str | None) -> str:
        known = self.quizzes()
        if not quiz:
            raise CourseError("Say which quiz: QUIZ=<quiz>; one of " + ", ".join(known) + ".")
        if quiz not in known:
            close = [name for name in known if name.startswith(quiz) or quiz in name]
            hint = f" Did you mean {' or '.join(close)}?" if close else ""
            raise CourseError(
                f"There is no quiz {quiz!r} in {self.root / 'source'}.{hint} "
                f"Quizzes: {', '.join(known)}."
            )
        return quiz

    def source_notebook(self, quiz: str) -> Path:
        return self.root / "source" / quiz / f"{quiz}.ipynb"

    def release_notebook(self, quiz: str) -> Path:
        return self.root / "release" / quiz / f"{quiz}.ipynb"

    def submitted_folder(self, student: str, quiz: str) -> Path:
        return self.root / "submitted" / student / quiz

    def autograded_notebook(self, student: str, quiz: str) -> Path:
        return self.root / "autograded" / student / quiz / f"{quiz}.ipynb"

    def feedback_file(self, student: str, quiz: str) -> Path:
        return self.root / "feedback" / student / quiz / f"{quiz}.html"

    def grading_folder(self, quiz: str) -> Path:
        """Logs, per-student check records and batch status (git-ignored)."""
        return self.root / "grading" / quiz

    def export_file(self, quiz: str) -> Path:
        return self.root / "exports" / f"{quiz}_grades.csv"

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.root / 'gradebook.db'}"

    # -- nbgrader -----------------------------------------------------------------------------
    def config(self, cell_timeout: int | None = None) -> Any:
        """The course's nbgrader configuration (optionally another per-cell time limit)."""
        from traitlets.config.loader import PyFileConfigLoader

        config = PyFileConfigLoader("nbgrader_config.py", path=str(self.root)).load_config()
        config.CourseDirectory.root = str(self.root)
        if cell_timeout is not None:
            config.Execute.timeout = int(cell_timeout)
        return config

    def api(self, cell_timeout: int | None = None) -> Any:
        """nbgrader's own high-level API on this course (what the formgrader uses)."""
        from nbgrader.apps import NbGraderAPI
        from nbgrader.coursedir import CourseDirectory

        use_this_environment()
        alembic_head.install()
        config = self.config(cell_timeout)
        exchange = Path(config.Exchange.root)
        if not exchange.exists():  # as `make` does: nbgrader refuses a missing exchange
            exchange.mkdir(parents=True)
            exchange.chmod(0o777)
        return NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)

    @contextmanager
    def gradebook(self) -> Iterator[Any]:
        from nbgrader.api import Gradebook

        alembic_head.install()
        with Gradebook(self.db_url, self.config().CourseDirectory.course_id) as gradebook:
            yield gradebook

    @property
    def course_id(self) -> str:
        return str(self.config().CourseDirectory.course_id)


def use_this_environment() -> None:
    """Put this interpreter's scripts first on PATH: nbgrader runs the `alembic` command (and
    kernels) by name, which fails when the virtual environment is not activated."""
    scripts = str(Path(sys.executable).parent)
    path = os.environ.get("PATH", "")
    if path.split(os.pathsep)[0] != scripts:
        os.environ["PATH"] = scripts + os.pathsep + path


def leaks_in(text: str) -> list[str]:
    """The leak markers present in ``text`` (solution, hidden-test and rubric markers, canaries)."""
    return [marker for marker in LEAK_MARKERS if marker in text]


@contextmanager
def working_directory(path: Path) -> Iterator[None]:
    """nbgrader resolves some paths against the working directory: run it from the course."""
    previous = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)
