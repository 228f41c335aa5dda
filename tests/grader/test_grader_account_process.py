"""`grade --account-process`: the mocked account in its own jailed process, the quiz's pure
observations of it run by the grader in an observer kernel that runs no learner code.

On q01 (the smallest quiz): a correct submission gets every autograded point; a learner who
forges the q01_streams observation in an answer cell — patching the observation helper and
``expect`` — does not get that item, because the observer saw the real account (the answer
rules hold the forger at 0 anyway, so the would-be score is what shows it; in the default mode
the same forgery scores full marks); a kernel that kills itself ends the run, and after every
run the account process and the observer kernel are gone. Also: the authoring check
refuses an observation that reads something the learner defines.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nbformat
import pytest
from ci_skip_rule import needs_grading_sandbox
from quizzes_helpers import COURSE, released_copy

from kinesis_grader.authoring import AuthoringError, nbgrader_meta, quiz_items
from kinesis_grader.executor import RunLimits
from kinesis_grader.observer import literal_constants
from kinesis_grader.synthetic import write
from kinesis_grader.trusted import grade_quiz

pytestmark = pytest.mark.xdist_group("account-process")
QUIZ, ITEM = "q01_core_capacity", "q01_streams"
LIMITS = RunLimits(cell_timeout=60, notebook_timeout=300)
# What only this mode starts: the account's socket and the observer's folders (executor.py).
MARKERS = ("-account/socket/account.sock", "-observer/run/kernel.json")

# Both routes in one answer (each alone forges the item in the default mode).
FORGED = """\
import kinesis_lab.quiz.observe as observe
from kinesis_lab.quiz import check

facts = {"status": "ACTIVE", "mode": "PROVISIONED", "open_shards": 3, "retention_hours": 168}
observe.stream_facts = lambda kinesis, name: (
    dict(facts, mode="ON_DEMAND") if name == "q01-clicks" else facts
)
real_expect = check.expect
right = {
    "orders": {"mode": "PROVISIONED", "open_shards": 3, "retention_hours": 168},
    "clicks": {"mode": "ON_DEMAND"},
}
check.expect = lambda check_id, value, **kw: real_expect(
    check_id, right if check_id == "q01_streams" else value, **kw
)
"""
KILLS_ITS_KERNEL = "import os\n\nos._exit(1)\n"


def account_processes() -> set[int]:
    """Processes of this mode still running (their command line names its folders)."""
    found = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if any(marker in command for marker in MARKERS):
            found.add(int(pid))
    return found


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course, model, download = released_copy(tmp_path_factory, QUIZ)
    write(model.submission(), download / "correct.ipynb")
    forger = model.submission()
    forger.cells[model.answer_cell_index(forger, ITEM)].source = FORGED
    write(forger, download / "forger.ipynb")
    crasher = model.submission()
    crasher.cells[model.answer_cell_index(crasher, "q01_shard_for_key")].source = KILLS_ITS_KERNEL
    write(crasher, download / "crasher.ipynb")
    # The same forgery in the default mode, where the observation runs in the learner's kernel.
    default_download = download.with_name("download-default")
    default_download.mkdir()
    shutil.copy(download / "forger.ipynb", default_download)
    before = account_processes()
    default = grade_quiz(course, QUIZ, default_download, LIMITS, say=lambda _: None)
    results = grade_quiz(course, QUIZ, download, LIMITS, say=lambda _: None, account_process=True)
    left = account_processes() - before
    return model, results["results"], default["results"], left


@needs_grading_sandbox
def test_a_correct_submission_gets_full_marks_with_its_observation_made_by_the_grader(graded):
    model, results, _, _ = graded
    correct = results["correct"]
    assert correct["observed_by_grader"] == [ITEM]
    assert sum(v["score"] for v in correct["verdicts"]) == model.autograded_points
    assert not correct.get("held_for_review")


@needs_grading_sandbox
def test_a_forged_observation_does_not_earn_the_item(graded):
    model, results, default, _ = graded
    forger = results["forger"]
    assert forger["held_for_review"], "the answer rules still hold the forger"
    # The observer saw the real account (no streams), so only the forged item is lost.
    assert forger["score_before_review"] == model.autograded_points - model.items[ITEM].points
    # Where the learner's kernel observes (the default mode), the forgery scores.
    assert default["forger"]["score_before_review"] == model.autograded_points


@needs_grading_sandbox
def test_a_kernel_that_dies_ends_the_run_and_is_reported(graded):
    model, results, _, _ = graded
    crasher = results["crasher"]
    assert crasher["reason"].startswith("kernel_died")
    ids = [item.grade_id for item in model.autograded]
    before = ids[: ids.index("q01_shard_for_key")]
    assert crasher["score_before_review"] == sum(model.items[i].points for i in before)


@needs_grading_sandbox
def test_the_account_process_and_the_observer_are_gone_after_every_run(graded):
    *_, left = graded
    assert left == set()


def test_only_literal_constants_of_the_given_cells_reach_the_observer():
    given = 'STREAM = "a01-iot"\nA, B = 1, [2]\nDATA = readings(600)\nlab.use_simulated_clock()\n'
    assert literal_constants(given) == ["STREAM = 'a01-iot'", "A, B = (1, [2])"]


def test_an_observation_that_reads_a_learner_name_is_refused():
    notebook = nbformat.read(COURSE.source_notebook(QUIZ), as_version=4)
    cell = next(c for c in notebook.cells if nbgrader_meta(c).get("grade_id") == ITEM)
    assert cell.metadata["kinesis_quiz"]["observe"] == "account"
    quiz_items(notebook)  # as shipped: only its imports
    cell.source = cell.source.replace('"q01-orders")', "shard_index('x', 3))", 1)
    with pytest.raises(AuthoringError, match=r"it reads \['shard_index'\]"):
        quiz_items(notebook)
