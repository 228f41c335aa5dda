"""Graded quizzes ask learners to write the AWS calls (issue 11, item 7).

In each of q01–q05 at least one autograded item's answer is the learner's own boto3 call on a
lab client (``lab.kinesis.create_stream(...)``, ``kinesis.put_records(...)`` inside the
learner's function, ``lab.firehose.create_delivery_stream(...)`` …), and it is scored from
what that call left in the mocked account: the stream's mode and shards, the records stored or
returned, the shard lineage, the encryption, the delivery stream's configuration.

Read from the source notebooks (nothing runs): the calls in each item's solution region whose
receiver is a lab client and whose name is an operation of that service's API (botocore's own
service model). Then, through `make grade`'s trusted path (jailed kernels, decisions outside
them), a submission that leaves exactly that answer cell blank loses exactly that item's
points, and a correct one gets them.
"""

from __future__ import annotations

import ast
from functools import cache

import botocore.session
import nbformat
import pytest
from botocore import xform_name
from ci_skip_rule import needs_grading_sandbox
from quizzes_helpers import REPO, released_copy

from kinesis_grader.authoring import (
    SOLUTION_BEGIN,
    SOLUTION_END,
    nbgrader_meta,
    quiz_items,
    region_lines,
)
from kinesis_grader.course import Course
from kinesis_grader.executor import RunLimits
from kinesis_grader.synthetic import write
from kinesis_grader.trusted import grade_quiz

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
LIMITS = RunLimits(cell_timeout=120, notebook_timeout=600)


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


# --- read from the sources ----------------------------------------------------------------------


def test_the_call_finder_reads_receivers_and_operations():
    source = "\n".join(
        [
            "kms = lab.client('kms')",
            "### BEGIN SOLUTION",
            "lab.kinesis.create_stream(StreamName='s', ShardCount=1)",
            "kms.create_key()",
            "kinesis.put_records(StreamName='s', Records=[])",
            "lab.create_stream('s', shard_count=1)",  # the course's helper, not an AWS call
            "lab.kinesis.not_an_operation()",
            "other.put_records(StreamName='s', Records=[])",
            "### END SOLUTION",
            "lab.kinesis.delete_stream(StreamName='s')",  # outside the solution region
        ]
    )
    assert lab_client_calls(source) == [
        "kinesis.create_stream",
        "kms.create_key",
        "kinesis.put_records",
    ]


@pytest.mark.parametrize("quiz", WRITE_QUIZZES)
def test_each_quiz_has_an_item_whose_answer_is_an_aws_call(quiz):
    items = writer_items(quiz)
    assert items, f"{quiz}: no autograded item whose solution calls AWS on a lab client"
    kinds = {i.grade_id: i.kind for i in quiz_items(nbformat.read(COURSE.source_notebook(quiz), 4))}
    assert all(kinds[item] == "hands-on" for item in items), (items, kinds)


def test_the_expected_calls_are_asked_for():
    """The calls issue 11 names for each quiz are among what the items ask learners to write."""
    written = {
        quiz: {c for calls in writer_items(quiz).values() for c in calls} for quiz in WRITE_QUIZZES
    }
    assert "kinesis.create_stream" in written["q01_core_capacity"]
    assert "kinesis.put_records" in written["q02_producers"]
    assert {"kinesis.get_shard_iterator", "kinesis.get_records"} <= written["q03_consumers"]
    assert {"kinesis.split_shard", "kinesis.start_stream_encryption"} <= written[
        "q04_scaling_security"
    ]
    assert "firehose.create_delivery_stream" in written["q05_lambda_firehose"]


# --- through the trusted path -------------------------------------------------------------------


@pytest.fixture(scope="module", params=WRITE_QUIZZES)
def graded(request, tmp_path_factory):
    quiz = request.param
    course, model, download = released_copy(tmp_path_factory, quiz)
    items = sorted(writer_items(quiz))
    needed = {dep for item in model.items.values() for dep in item.depends_on}
    write(model.submission(), download / "correct.ipynb")
    for item in items:
        assert item not in needed, f"{item}: another item builds on it"
        write(model.submission(set(model.items) - {item}), download / f"without_{item}.ipynb")
    outcome = grade_quiz(course, quiz, download, LIMITS, say=lambda _: None)
    return model, items, outcome["results"]


def scores(result) -> dict[str, float]:
    return {verdict["grade_id"]: verdict["score"] for verdict in result["verdicts"]}


@pytest.mark.slow
@needs_grading_sandbox
def test_a_blank_call_loses_exactly_its_items_points(graded):
    model, items, results = graded
    correct = scores(results["correct"])
    assert not results["correct"].get("held_for_review")
    for item in items:
        assert correct[item] == model.items[item].points, item
        without = results[f"without_{item}"]
        assert not without.get("held_for_review")
        lost = {g: correct[g] - s for g, s in scores(without).items() if s != correct[g]}
        assert lost == {item: model.items[item].points}, (item, lost)
