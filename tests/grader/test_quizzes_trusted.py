"""Every real quiz through `make grade`'s default (trusted) path: jailed kernels, rebuilt
notebooks, decisions from plain data, answers read against the answer rules.

For every quiz, three class members prove its answer keys on the path instructors use: a
correct one gets every autograded point, a blank one none, and a mixed one exactly the points
of what it solved, item by item. The mixed one answers every choice item with a wrong option,
leaves every item answered by the learner's own AWS call blank (the calls no other item builds
on), and solves every other item in turn, leaving the rest blank. So every item is seen right
(correct), blank (blank) and, where it can be, wrong (mixed), and each verdict must be its own:
a wrong option or a missing call loses exactly its item's points and nothing else. (One mixed
member instead of a partial, a wrong-options and a no-calls one: the same states, item by
item, for one or two fewer graded kernels a quiz.) In the IoT capstone a learner who forges
what the routing check observes (patching the course's observation helpers instead of writing
the records) would score full marks — the answer rules hold it at 0. Two keys that were wrong
are proven corrected in the same class (CORRECTED): the right answer scores the item's points,
the old key — its letters or its statements — scores 0. (The trouble cases — runaway loops,
deleted or edited tests, broken files — are in test_grader_corpus.py for this path, and
test_quizzes_roundtrip.py for the nbgrader engine.)
"""

from __future__ import annotations

import os
import shutil

import pytest
from ci_skip_rule import needs_grading_sandbox
from quizzes_helpers import QUIZZES, WRITE_QUIZZES, released_copy, writer_items
from test_quizzes_balance import options_of

from kinesis_grader.authoring import nbgrader_meta
from kinesis_grader.executor import RunLimits
from kinesis_grader.synthetic import write
from kinesis_grader.trusted import grade_quiz

pytestmark = [
    pytest.mark.slow,
    needs_grading_sandbox,
]
LIMITS = RunLimits(cell_timeout=120, notebook_timeout=600)

FORGED_ROUTING = """\
import kinesis_lab.quiz.observe as observe

home = {"shards": ["shardId-000000000003"], "hash_shard": "shardId-000000000003", "records": 50}
observe.stream_records = lambda kinesis, stream: [{"data": {}}] * 600
observe.key_placement = lambda kinesis, stream: {"dev-00003": home, "dev-00008": home}
"""

# Keys corrected after the first release. item: (fragments of the statements that are true,
# fragments of the old key's statements, the old key's letters).
# - q02_kpl_facts keyed "the KCL, Lambda and Firehose de-aggregate" as true; Lambda does not (F69).
# - q05_destination_down keyed "Direct PUT records are lost after 24 h" for an HTTP endpoint down
#   30 hours; Firehose retries for the RetryOptions duration, then writes the records to the S3
#   backup bucket, so nothing is lost (F50).
# The statements are found by their text, so a later reordering cannot make this test lie.
CORRECTED = {
    ("q02_producers", "q02_kpl_facts"): (
        ["`RecordMaxBufferedTime` = 100 ms", "Collection sends many records"],
        [
            "`RecordMaxBufferedTime` = 100 ms",
            "the KCL, Lambda and Firehose do it",
            "Collection sends many records",
        ],
        {"a", "b", "e"},
    ),
    ("q05_lambda_firehose", "q05_destination_down"): (
        ["write the records they could not deliver to their S3 backup bucket"],
        ["keeps them for 24 hours and then discards them"],
        "b",
    ),
}
OLD_KEYS = ("old_statements", "old_letters")


def letters(options: dict[str, str], fragments: list[str]) -> set[str]:
    found = {letter for letter, text in options.items() if any(f in text for f in fragments)}
    assert len(found) == len(fragments), (fragments, options)
    return found


def as_answer(value: set[str] | str) -> str:
    return (
        repr(value if isinstance(value, str) else sorted(value)).replace("[", "{").replace("]", "}")
    )


def corrected_answers(model, item: str) -> dict[str, set[str] | str]:
    """The right answer and the two forms of the old key, from the question's own text."""
    right_fragments, old_fragments, old_letters = CORRECTED[(model.name, item)]
    question = next(
        model.source.cells[index - 1].source
        for index, cell in enumerate(model.source.cells)
        if nbgrader_meta(cell).get("grade_id") == f"{item}_answer"
    )
    options = options_of(question)
    single = model.items[item].kind == "choice"
    right = letters(options, right_fragments)
    old_statements = letters(options, old_fragments)
    return {
        "right": next(iter(right)) if single else right,
        "old_statements": next(iter(old_statements)) if single else old_statements,
        "old_letters": old_letters,
    }


@pytest.fixture(scope="module", params=QUIZZES)
def graded(request, tmp_path_factory):
    quiz = request.param
    course, model, download = released_copy(tmp_path_factory, quiz)
    expected = {"correct": model.autograded_points, "blank": 0.0}
    write(model.submission(), download / "correct.ipynb")
    shutil.copy(course.release_notebook(quiz), download / "blank.ipynb")
    solved, wrong = mixed_answers(model)
    mixed = model.submission(solved, wrong=wrong)
    for item in wrong:  # answered, with another option: not left as handed out
        index = model.answer_cell_index(mixed, item)
        assert mixed.cells[index].source != model.release.cells[index].source, item
    write(mixed, download / "mixed.ipynb")
    expected["mixed"] = model.score_of(solved)
    assert 0 < expected["mixed"] < model.autograded_points
    if quiz == "a01_iot":
        forged = model.submission()
        forged.cells[model.answer_cell_index(forged, "a01_routing")].source = FORGED_ROUTING
        write(forged, download / "forger.ipynb")
    for (corrected_quiz, item), _ in CORRECTED.items():
        if corrected_quiz == quiz:
            for student in OLD_KEYS:
                notebook = model.submission()
                cell = notebook.cells[model.answer_cell_index(notebook, item)]
                cell.source = f"{item} = {as_answer(corrected_answers(model, item)[student])}"
                write(notebook, download / f"{student}.ipynb")
    outcome = grade_quiz(course, quiz, download, LIMITS, say=lambda _: None)
    return quiz, model, outcome["results"], expected


def total(result):
    return sum(verdict["score"] for verdict in result["verdicts"])


def test_a_correct_submission_gets_every_autograded_point(graded):
    _, model, results, _ = graded
    result = results["correct"]
    failed = [v for v in result["verdicts"] if v["score"] != v["points"]]
    assert failed == [] and not result.get("held_for_review"), result
    assert total(result) == model.autograded_points


def test_the_released_blank_gets_zero(graded):
    _, _, results, _ = graded
    assert total(results["blank"]) == 0.0
    assert not results["blank"].get("held_for_review")


@pytest.mark.parametrize("graded", ["a01_iot"], indirect=True)
def test_a_forged_observation_is_held_at_zero(graded):
    _, model, results, _ = graded
    result = results["forger"]
    assert result["score_before_review"] == model.autograded_points  # the forgery "worked"
    assert total(result) == 0.0
    assert any("kinesis_lab.quiz.observe" in why for why in result["held_for_review"])


def test_every_submission_gets_exactly_its_score(graded):
    """The mixed member's score, item by item, from the quiz's own answer keys."""
    _, model, results, expected = graded
    totals = {student: total(results[student]) for student in expected}
    assert totals == expected
    assert not any(results[student].get("held_for_review") for student in expected)
    solved, _ = mixed_answers(model)
    mixed = scores(results["mixed"])
    assert {grade_id: mixed.get(grade_id) for grade_id in autograded_ids(model)} == {
        item.grade_id: item.points if item.grade_id in solved else 0.0 for item in model.autograded
    }


def choice_items(model) -> list[str]:
    return [item.grade_id for item in model.autograded if item.kind in ("choice", "choices")]


def autograded_ids(model) -> list[str]:
    return [item.grade_id for item in model.autograded]


def leaf_writers(model) -> list[str]:
    """Items whose answer is the learner's own AWS call and that no other item builds on
    (blanking one of those would also cost the items after it: a capstone's stream)."""
    needed = {dep for item in model.items.values() for dep in item.depends_on}
    return sorted(item for item in writer_items(model.name) if item not in needed)


def mixed_answers(model) -> tuple[set[str], list[str]]:
    """The mixed member: (items it solves, choice items it answers wrongly). Every choice item
    wrong, every leaf AWS call blank, the other autograded items solved in turn (first, third,
    ...) — the rest blank."""
    wrong, blank_calls = choice_items(model), set(leaf_writers(model))
    others = [g for g in autograded_ids(model) if g not in wrong and g not in blank_calls]
    return model.closed(others[::2]), wrong


def scores(result) -> dict[str, float]:
    return {verdict["grade_id"]: verdict["score"] for verdict in result["verdicts"]}


def test_a_blank_aws_call_loses_exactly_its_items_points(graded):
    """Items whose answer is the learner's own boto3 call are scored from what it built: full
    marks with the call, 0 without it (the mixed member; its other items are checked above)."""
    quiz, model, results, _ = graded
    items = leaf_writers(model)
    assert items or quiz not in WRITE_QUIZZES, f"{quiz}: no item asks for an AWS call"
    correct, mixed = scores(results["correct"]), scores(results["mixed"])
    for item in items:
        assert correct[item] == model.items[item].points, item
        assert mixed[item] == 0.0, item
    assert not results["mixed"].get("held_for_review")


CORRECTED_QUIZZES = sorted({quiz for quiz, _ in CORRECTED})


@pytest.mark.parametrize("graded", CORRECTED_QUIZZES, indirect=True)
def test_a_corrected_key_scores_the_true_statements_and_the_old_key_zero(graded):
    quiz, model, results, _ = graded
    for (corrected_quiz, item), _ in CORRECTED.items():
        if corrected_quiz != quiz:
            continue
        answers = corrected_answers(model, item)
        expected = model.items[item].expectations[0].expected
        right = answers["right"]
        assert (expected == right) if isinstance(right, str) else (set(expected) == right)
        points = model.items[item].points
        assert scores(results["correct"])[item] == points  # the correct class member: the key
        for student in OLD_KEYS:
            assert answers[student] != right
            assert scores(results[student])[item] == 0, (item, student)
            assert total(results[student]) == model.autograded_points - points, student
