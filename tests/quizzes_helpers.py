"""Shared by the quiz tests: a private copy of the course, so tests never write into quizzes/."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path

import botocore.session
import nbformat
from botocore import xform_name
from paths import REPO

from kinesis_grader.authoring import (
    SOLUTION_BEGIN,
    SOLUTION_END,
    nbgrader_meta,
    quiz_items,
    region_lines,
)
from kinesis_grader.course import Course, leaks_in
from kinesis_grader.feedback import feedback_text

QUIZZES = Course.at(REPO / "quizzes").quizzes()
# Test cells that show an expected value use these keywords; visible tests never do.
EXPECTATION_TEXT = re.compile(r"\b(equals|close_to|one_of|same_items)\s*=")


def copy_course(destination: Path) -> Course:
    """quizzes/nbgrader_config.py and quizzes/source/ in ``destination``/quizzes."""
    root = destination / "quizzes"
    shutil.copytree(REPO / "quizzes" / "source", root / "source")
    shutil.copy(REPO / "quizzes" / "nbgrader_config.py", root / "nbgrader_config.py")
    return Course.at(root)


def released_copy(tmp_path_factory, quiz: str):
    """A private course copy with ``quiz`` released; its model; the folder a download goes in."""
    from kinesis_grader.release import release
    from kinesis_grader.synthetic import Quiz

    course = copy_course(tmp_path_factory.mktemp(quiz))
    release(course, [quiz], say=lambda _: None)
    return course, Quiz(course, quiz), course.root.parent / "download"


def nbgrader(course: Course, *args: str) -> subprocess.CompletedProcess[str]:
    """The nbgrader command line, run from the course folder as its docs say."""
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
    return subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=course.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def learner_files(course: Course) -> list[Path]:
    """Everything a learner receives: release notebooks and feedback files."""
    return sorted(
        p
        for folder in ("release", "feedback")
        for p in (course.root / folder).rglob("*")
        if p.is_file()
    )


def hidden_text_in(path: Path) -> list[str]:
    """Leak markers or expected-value keywords in a file a learner receives."""
    text = feedback_text(path) if path.suffix == ".html" else path.read_text(encoding="utf-8")
    found = leaks_in(text)
    if EXPECTATION_TEXT.search(text):
        found.append(EXPECTATION_TEXT.search(text).group(0))
    return found


# --- items whose answer is the learner's own AWS call (issue 11, item 7) -------------------

COURSE = Course.at(REPO / "quizzes")
WRITE_QUIZZES = [
    "q01_core_capacity",
    "q02_producers",
    "q03_consumers",
    "q04_scaling_security",
    "q05_lambda_firehose",
]
# How a lab client is reached in an answer: the session's clients (``lab.kinesis``), a client
# from ``lab.client("kms")``, or a name that holds one (a parameter the tests pass a client in,
# or ``kinesis = lab.kinesis``).
LAB_CLIENT_ATTRIBUTES = ("kinesis", "firehose", "s3", "dynamodb", "cloudwatch")


@cache
def operations(service: str) -> frozenset[str]:
    """The snake_case operation names of an AWS service, from botocore's model."""
    model = botocore.session.get_session().get_service_model(service)
    return frozenset(xform_name(name) for name in model.operation_names)


def _service_of(node: ast.AST, names: dict[str, str]) -> str | None:
    """The service of a lab client expression, or None when it is not one."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        if node.value.id == "lab" and node.attr in LAB_CLIENT_ATTRIBUTES:
            return node.attr
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        func = node.func
        if isinstance(func.value, ast.Name) and func.value.id == "lab" and func.attr == "client":
            if node.args and isinstance(node.args[0], ast.Constant):
                return str(node.args[0].value)
    if isinstance(node, ast.Name):
        return names.get(node.id)
    return None


def lab_client_calls(source: str) -> list[str]:
    """``service.operation`` of every AWS call on a lab client inside the solution region."""
    tree = ast.parse(source)
    solution = region_lines(source, SOLUTION_BEGIN, SOLUTION_END)
    names = {service: service for service in ("kinesis", "firehose")}  # client parameters
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            service = _service_of(node.value, names)
            if isinstance(target, ast.Name) and service:
                names[target.id] = service
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.lineno not in solution:
            continue
        service = _service_of(node.func.value, names)
        if service and node.func.attr in operations(service):
            found.append(f"{service}.{node.func.attr}")
    return found


def writer_items(quiz: str) -> dict[str, list[str]]:
    """Autograded items whose solution calls AWS on a lab client → the calls it writes."""
    notebook = nbformat.read(COURSE.source_notebook(quiz), as_version=4)
    sources = {nbgrader_meta(c).get("grade_id"): c.source for c in notebook.cells}
    found = {}
    for item in quiz_items(notebook):
        if item.manual:
            continue
        calls = [call for answer in item.answers for call in lab_client_calls(sources[answer])]
        if calls:
            found[item.grade_id] = calls
    return found
