"""The fault corpus (issue 6): hostile and broken submissions through `make grade`'s trusted path.

Expected: 0 grader crashes, 0 aborted batches, every well-formed submission scored exactly,
every other one with its reason, nothing read or written outside the submission's copy, no
network. A tiny quiz keeps the corpus fast; the real quizzes go through the same code.
"""

import copy
import json
import os
import shutil
import textwrap

import nbformat
import paths
import pytest
from ci_skip_rule import needs_grading_sandbox

from kinesis_grader.course import Course
from kinesis_grader.executor import RunLimits
from kinesis_grader.trusted import GradingInProgress, GradingLock, grade_quiz

pytestmark = [
    pytest.mark.slow,
    needs_grading_sandbox,
]
QUIZ = "t01_tiny"
LIMITS = RunLimits(cell_timeout=8, notebook_timeout=90, output_bytes=500_000)

REPO = str(paths.REPO)


def meta(grade_id, **flags):
    return {"nbgrader": {"grade_id": grade_id, "schema_version": 3, "locked": False, **flags}}


def code(source, grade_id=None, **flags):
    new = nbformat.v4.new_code_cell(textwrap.dedent(source))
    if grade_id:
        new.metadata = meta(grade_id, **{"solution": False, "grade": False, "task": False, **flags})
    return new


def answer(grade_id, solution):
    return code(f"### BEGIN SOLUTION\n{solution}\n### END SOLUTION", grade_id, solution=True)


def checks_cell(grade_id, points, visible, hidden):
    source = f"from kinesis_lab.quiz.check import expect\n{visible}\n### BEGIN HIDDEN TESTS\n# CANARY-HIDDEN-{grade_id}\n{hidden}\n### END HIDDEN TESTS"
    return code(source, grade_id, grade=True, points=points, locked=True)


def source_notebook():
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [
        code("SETUP = True", "t01_setup", locked=True),
        answer("t01_choice_answer", '# CANARY-SOLUTION-t01_choice\nt01_choice = "b"'),
        checks_cell(
            "t01_choice",
            1,
            "",
            't01_value = t01_choice\nexpect("t01_choice", t01_value, equals="b")',
        ),
        answer("t01_shards_answer", "def shards(rps):\n    return -(-rps // 1000)"),
        checks_cell(
            "t01_shards",
            2,
            "",
            'expect("t01_shards:a", shards(1000), equals=1)\nexpect("t01_shards:b", shards(2500), equals=3)',
        ),
        answer("t01_total_answer", "t01_total = 3.0"),
        checks_cell(
            "t01_total", 1, "", 'expect("t01_total", abs(t01_total), close_to=3.0, tol=0.01)'
        ),
    ]
    return nb


CORRECT = {
    "t01_choice_answer": 't01_choice = "b"',
    "t01_shards_answer": "def shards(rps):\n    return -(-rps // 1000)",
    "t01_total_answer": "t01_total = 3.0",
}
FULL, PARTIAL_CHOICE_WRONG = 4.0, 3.0


def student(answers=None, extra_cells=(), edit=None):
    nb = copy.deepcopy(source_notebook())
    chosen = {**CORRECT, **(answers or {})}
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in chosen:
            cell.source = chosen[grade_id]
    nb.cells += [code(c) for c in extra_cells]
    if edit:
        edit(nb)
    return nb


class Held(float):
    """Held at 0 for review (the answer rules); the value is the score it would have had."""


LOOP = "while True:\n    try:\n        pass\n    except BaseException:\n        pass"

CORPUS = {
    # name: (notebook or raw bytes, expected autograded score, Held(would-be score), or a status)
    # Held entries prove two layers: the jail and the plain-data decision give the would-be
    # score; the answer rules then hold it at 0.
    "correct": (student(), FULL),
    "wrong": (
        student(
            {
                "t01_choice_answer": 't01_choice = "a"',
                "t01_shards_answer": "def shards(r):\n    return 0",
                "t01_total_answer": "t01_total = 9",
            }
        ),
        0.0,
    ),
    "partial": (student({"t01_choice_answer": 't01_choice = "c"'}), PARTIAL_CHOICE_WRONG),
    "loop": (student({"t01_choice_answer": "while True:\n    pass"}), PARTIAL_CHOICE_WRONG),
    "stubborn_loop": (student({"t01_choice_answer": LOOP}), PARTIAL_CHOICE_WRONG),
    "sleep": (student({"t01_choice_answer": "import time\ntime.sleep(600)"}), PARTIAL_CHOICE_WRONG),
    "sys_exit": (
        student({"t01_choice_answer": "import sys\nsys.exit(1)"}),
        Held(PARTIAL_CHOICE_WRONG),
    ),
    "os_exit": (student({"t01_total_answer": "import os\nos._exit(0)"}), Held(3.0)),
    "memory_hog": (
        student({"t01_choice_answer": 'hog = bytearray(8 * 1024**3)\nt01_choice = "b"'}),
        1.0 + 3.0 - 1.0,
    ),
    "process_flood": (
        student(
            {
                "t01_choice_answer": 'import os\nfor _ in range(200):\n    try:\n        os.fork() or os._exit(0)\n    except OSError:\n        break\nt01_choice = "b"'
            }
        ),
        # its unreaped children exhaust its own process limit: that item fails
        Held(PARTIAL_CHOICE_WRONG),
    ),
    "output_flood": (
        student({"t01_total_answer": "while True:\n    print('x' * 100000)"}),
        "output_limit",
    ),
    "large_file": (
        student(
            {
                "t01_choice_answer": 'try:\n    open("big", "wb").write(b"0" * 300 * 1024**2)\nexcept OSError:\n    pass\nt01_choice = "b"'
            }
        ),
        Held(FULL),
    ),
    "reads_outside": (
        student(
            {
                "t01_choice_answer": "import glob, os\n"
                f"secrets = [os.path.exists({os.path.join(REPO, 'quizzes')!r}), "
                "os.path.exists('/root/.bashrc')] + glob.glob('/tmp/**/*.ipynb', recursive=True)"
                " + glob.glob('/tmp/**/gradebook.db', recursive=True)\n"
                't01_choice = "b" if not any(secrets) else "z"'
            }
        ),
        Held(FULL),
    ),
    "writes_outside": (
        student(
            {
                "t01_choice_answer": 'import pathlib\nfor target in ["/usr/hack", "/work/main/labs/hack", "/root/hack"]:\n    try:\n        pathlib.Path(target).write_text("x")\n    except OSError:\n        pass\nt01_choice = "b"'
            }
        ),
        Held(FULL),
    ),
    "network": (
        student(
            {
                "t01_choice_answer": 'import socket\ntry:\n    socket.create_connection(("192.0.2.1", 80), timeout=2)\n    t01_choice = "z"\nexcept OSError:\n    t01_choice = "b"'
            }
        ),
        Held(FULL),
    ),
    "magic_equality": (
        student(
            {
                "t01_choice_answer": 'class Yes(str):\n    def __eq__(self, other):\n        return True\n    __hash__ = str.__hash__\nt01_choice = Yes("zzz")'
            }
        ),
        Held(PARTIAL_CHOICE_WRONG),
    ),
    "patched_expect": (
        student(
            {
                "t01_choice_answer": 'import kinesis_lab.quiz.check as q\nq.expect = lambda *a, **k: None\nt01_choice = "a"'
            }
        ),
        Held(0.0),
    ),
    "fake_records": (
        student(
            {
                "t01_choice_answer": 'import json\nprint("KINESIS-QUIZCHECK " + json.dumps({"v": 1, "check": "t01_choice", "kind": "answer", "value": "b", "error": None, "passed": True}))\nt01_choice = "a"'
            }
        ),
        Held(PARTIAL_CHOICE_WRONG),
    ),
    "forged_builtin": (  # the check reads abs(): without the rules this scores full marks
        student({"t01_total_answer": "abs = lambda value: 3.0\nt01_total = 9"}),
        Held(FULL),
    ),
    "code_from_text": (
        student({"t01_choice_answer": "exec('t01_choice = ' + repr('b'))"}),
        Held(FULL),
    ),
    "thread_prints_records": (
        student(
            {
                "t01_choice_answer": "import threading\nthreading.Thread(target=print, args=('x',)).start()\nt01_choice = 'b'"
            }
        ),
        Held(FULL),
    ),
    "magic_command": (student({"t01_choice_answer": "%time t01_choice = 'b'"}), Held(FULL)),
    "deleted_test_cells": (
        student(
            edit=lambda nb: nb.cells.__setitem__(
                slice(None),
                [c for c in nb.cells if not c.metadata.get("nbgrader", {}).get("grade")],
            )
        ),
        FULL,
    ),
    "edited_test_cell": (
        student({"t01_choice": 'print("all good")', "t01_choice_answer": 't01_choice = "a"'}),
        PARTIAL_CHOICE_WRONG,
    ),
    "added_cells": (
        student(
            extra_cells=["import kinesis_lab.quiz.check as q\nq.expect = lambda *a, **k: None"]
        ),
        FULL,
    ),
    "edited_metadata": (
        student(
            edit=lambda nb: nb.metadata.update(kernelspec={"name": "evil", "display_name": "x"})
        ),
        FULL,
    ),
    "other_quiz": (
        nbformat.v4.new_notebook(cells=[code("x = 1", "q99_answer", solution=True)]),
        "wrong_notebook",
    ),
    "malformed_json": (b"{not json", "invalid_submission"),
    "empty_file": (b"", "invalid_submission"),
    "huge_file": (
        b'{"cells": [], "nbformat": 4, "pad": "' + b"x" * (60 * 1024**2) + b'"}',
        "invalid_submission",
    ),
    "étudiant_üñí": (student(), FULL),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    course_dir = root / "quizzes"
    (course_dir / "source" / QUIZ).mkdir(parents=True)
    shutil.copy("quizzes/nbgrader_config.py", course_dir / "nbgrader_config.py")
    nbformat.write(source_notebook(), course_dir / "source" / QUIZ / f"{QUIZ}.ipynb")
    download = root / "download"
    download.mkdir()
    for name, (content, _) in CORPUS.items():
        path = download / f"{name}.ipynb"
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            nbformat.write(content, path)
    (download / "notes.txt").write_text("not a submission")
    course = Course.at(course_dir)
    lines = []
    outcome = grade_quiz(
        course,
        QUIZ,
        download,
        LIMITS,
        say=lines.append,
    )
    return course, outcome, lines


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_every_submission_gets_its_exact_score_or_reason(graded, name):
    _, outcome, _ = graded
    result = outcome["results"][name]
    expected = CORPUS[name][1]
    if isinstance(expected, Held):
        assert result["held_for_review"], result
        assert result["score_before_review"] == float(expected), result
        assert sum(v["score"] for v in result["verdicts"]) == 0.0, result
        assert all(v["status"] == "held_for_review" for v in result["verdicts"]), result
    elif isinstance(expected, float):
        assert result["status"] in ("graded", "needs_manual_grading"), result
        assert sum(v["score"] for v in result["verdicts"]) == expected, result
    else:
        assert expected in (result["status"], result["reason"].split(":")[0]), result
        assert result["reason"], "every ungraded submission says why"


def test_the_batch_reports_what_it_skipped_and_exports_everyone(graded):
    course, outcome, lines = graded
    assert any("notes.txt" in line for line in outcome["skipped"])
    rows = outcome["csv"].read_text(encoding="utf-8").splitlines()
    assert len(rows) == 1 + len(CORPUS)
    assert any("Grades (CSV):" in line for line in lines)


def test_feedback_reveals_no_hidden_tests_or_expected_values(graded):
    course, outcome, _ = graded
    for name in CORPUS:
        path = course.feedback_file(name, QUIZ)
        if path.exists():
            text = path.read_text(encoding="utf-8")
            assert "CANARY" not in text and "HIDDEN" not in text
            assert "equals" not in text and "2500" not in text


def test_a_rerun_resumes_and_gives_the_same_scores(graded):
    course, outcome, _ = graded
    download = course.root.parent / "download"
    again = grade_quiz(
        course,
        QUIZ,
        download,
        LIMITS,
        say=lambda _: None,
    )
    for name, result in outcome["results"].items():
        assert again["results"][name]["verdicts"] == result["verdicts"], name
    assert all(
        r.get("resumed") for r in again["results"].values() if r["status"] != "invalid_submission"
    )
    assert again["seconds"] < outcome["seconds"] / 3


def test_a_second_grading_command_is_refused(graded):
    course, _, _ = graded
    with GradingLock(course.root / "grading" / ".lock"):
        with pytest.raises(GradingInProgress, match="Another grading command is running"):
            with GradingLock(course.root / "grading" / ".lock"):
                pass


def test_nothing_was_written_outside_the_submission_copies(graded):
    for target in ("/usr/hack", os.path.join(REPO, "labs", "hack"), "/root/hack"):
        assert not os.path.exists(target)


def test_results_are_written_as_complete_json(graded):
    course, outcome, _ = graded
    for path in (course.root / "grading" / QUIZ / "results").glob("*.json"):
        assert json.loads(path.read_text(encoding="utf-8"))["status"]
