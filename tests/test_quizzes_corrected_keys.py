"""Two graded keys were wrong and are corrected; the grader proves it, end to end.

- q02_producers ``q02_kpl_facts`` keyed "the KCL, Lambda and Firehose de-aggregate" as true;
  Lambda does not (F69).
- q05_lambda_firehose ``q05_destination_down`` keyed "Direct PUT records are lost after 24 h"
  for an HTTP endpoint that is down 30 hours; Firehose retries for the RetryOptions duration and
  then writes the records to the S3 backup bucket, so nothing is lost (F50).

Each quiz is released in a private copy and graded like a class (``make grade``'s logic): a
learner who gives the right answer gets the item's full points, a learner who gives the old key
gets 0 for it — both the old letters and, since the options moved, the old statements.
The statements are found by their text, so a later reordering cannot make this test lie.
"""

from __future__ import annotations

import pytest
from quizzes_helpers import released_copy
from test_quizzes_balance import options_of

from kinesis_grader.authoring import nbgrader_meta
from kinesis_grader.grade import grade
from kinesis_grader.synthetic import write

pytestmark = pytest.mark.slow

# item: (fragments of the statements that are true, fragments of the old key's statements,
#        the old key's letters)
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


def letters(options: dict[str, str], fragments: list[str]) -> set[str]:
    found = {letter for letter, text in options.items() if any(f in text for f in fragments)}
    assert len(found) == len(fragments), (fragments, options)
    return found


def answer(value: set[str] | str) -> str:
    return (
        repr(value if isinstance(value, str) else sorted(value)).replace("[", "{").replace("]", "}")
    )


@pytest.fixture(scope="module", params=sorted(CORRECTED), ids=lambda key: key[1])
def graded(request, tmp_path_factory):
    quiz, item = request.param
    right_fragments, old_fragments, old_letters = CORRECTED[request.param]
    course, model, download = released_copy(tmp_path_factory, quiz)
    question = next(
        model.source.cells[index - 1].source
        for index, cell in enumerate(model.source.cells)
        if nbgrader_meta(cell).get("grade_id") == f"{item}_answer"
    )
    options = options_of(question)
    single = model.items[item].kind == "choice"
    right = letters(options, right_fragments)
    old_statements = letters(options, old_fragments)
    answers = {
        "right": next(iter(right)) if single else right,
        "old_statements": next(iter(old_statements)) if single else old_statements,
        "old_letters": old_letters,
    }
    for student, value in answers.items():
        notebook = model.submission()
        cell = notebook.cells[model.answer_cell_index(notebook, item)]
        cell.source = f"{item} = {answer(value)}"
        write(notebook, download / f"{student}.ipynb")
    batch = grade(course, quiz, download, cell_timeout=60, say=lambda _: None)
    with course.gradebook() as gradebook:
        scores = {
            student: gradebook.find_grade(item, quiz, quiz, student).auto_score
            for student in answers
        }
    return {
        "model": model,
        "item": item,
        "answers": answers,
        "expected_key": model.items[item].expectations[0].expected,
        "totals": {s: batch.results[s]["autograded"] for s in answers},
        "scores": scores,
    }


def test_the_hidden_test_keys_the_true_statements(graded):
    expected = graded["expected_key"]
    right = graded["answers"]["right"]
    assert (expected == right) if isinstance(right, str) else (set(expected) == right)


def test_a_right_answer_scores_full_marks(graded):
    points = graded["model"].items[graded["item"]].points
    assert graded["scores"]["right"] == points
    assert graded["totals"]["right"] == graded["model"].autograded_points


def test_the_old_key_scores_zero(graded):
    points = graded["model"].items[graded["item"]].points
    for student in ("old_statements", "old_letters"):
        assert graded["answers"][student] != graded["answers"]["right"]
        assert graded["scores"][student] == 0, student
        assert graded["totals"][student] == graded["model"].autograded_points - points
