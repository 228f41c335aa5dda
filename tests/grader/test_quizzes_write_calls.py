"""Graded quizzes ask learners to write the AWS calls (issue 11, item 7).

In each of q01–q05 at least one autograded item's answer is the learner's own boto3 call on a
lab client (``lab.kinesis.create_stream(...)``, ``kinesis.put_records(...)`` inside the
learner's function, ``lab.firehose.create_delivery_stream(...)`` …), and it is scored from
what that call left in the mocked account: the stream's mode and shards, the records stored or
returned, the shard lineage, the encryption, the delivery stream's configuration.

Read here from the source notebooks (nothing runs): the calls in each item's solution region
whose receiver is a lab client and whose name is an operation of that service's API (botocore's
own service model; tests/quizzes_helpers.py). Through `make grade`'s trusted path, a submission
that leaves exactly that answer cell blank loses exactly that item's points and a correct one
gets them: tests/grader/test_quizzes_trusted.py grades those submissions with each quiz's class.
"""

from __future__ import annotations

import nbformat
import pytest
from quizzes_helpers import COURSE, WRITE_QUIZZES, lab_client_calls, writer_items

from kinesis_grader.authoring import quiz_items

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
