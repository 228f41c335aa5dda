"""Every real quiz through `make grade`'s default (trusted) path: jailed kernels, rebuilt
notebooks, decisions from plain data, answers read against the answer rules.

A correct class member gets every autograded point and a blank one none; in the IoT capstone a
learner who forges what the routing check observes (patching the course's observation helpers
instead of writing the records) would score full marks — the answer rules hold it at 0.
"""

from __future__ import annotations

import os
import shutil

import pytest
from ci_skip_rule import needs_grading_sandbox
from quizzes_helpers import QUIZZES, released_copy

from kinesis_grader.executor import RunLimits
from kinesis_grader.synthetic import write
from kinesis_grader.trusted import grade_quiz

pytestmark = [
    pytest.mark.slow,
    needs_grading_sandbox,
]
LIMITS = RunLimits(cell_timeout=120, notebook_timeout=600)

FORGED_ROUTING = """\
import kinesis_lab.quizobserve as observe

home = {"shards": ["shardId-000000000003"], "hash_shard": "shardId-000000000003", "records": 50}
observe.stream_records = lambda kinesis, stream: [{"data": {}}] * 600
observe.key_placement = lambda kinesis, stream: {"dev-00003": home, "dev-00008": home}
"""


@pytest.fixture(scope="module", params=QUIZZES)
def graded(request, tmp_path_factory):
    quiz = request.param
    course, model, download = released_copy(tmp_path_factory, quiz)
    write(model.submission(), download / "correct.ipynb")
    shutil.copy(course.release_notebook(quiz), download / "blank.ipynb")
    if quiz == "a01_iot":
        forged = model.submission()
        forged.cells[model.answer_cell_index(forged, "a01_routing")].source = FORGED_ROUTING
        write(forged, download / "forger.ipynb")
    outcome = grade_quiz(course, quiz, download, LIMITS, say=lambda _: None)
    return quiz, model, outcome["results"]


def total(result):
    return sum(verdict["score"] for verdict in result["verdicts"])


def test_a_correct_submission_gets_every_autograded_point(graded):
    _, model, results = graded
    result = results["correct"]
    failed = [v for v in result["verdicts"] if v["score"] != v["points"]]
    assert failed == [] and not result.get("held_for_review"), result
    assert total(result) == model.autograded_points


def test_the_released_blank_gets_zero(graded):
    _, _, results = graded
    assert total(results["blank"]) == 0.0
    assert not results["blank"].get("held_for_review")


@pytest.mark.parametrize("graded", ["a01_iot"], indirect=True)
def test_a_forged_observation_is_held_at_zero(graded):
    _, model, results = graded
    result = results["forger"]
    assert result["score_before_review"] == model.autograded_points  # the forgery "worked"
    assert total(result) == 0.0
    assert any("kinesis_lab.quizobserve" in why for why in result["held_for_review"])
