"""lessons.exercise_checks: the IAM policy a learner creates, read back from the mocked IAM.

``check_iam_policy`` reads the policy's default version (GetPolicy, GetPolicyVersion) and
passes only least privilege: the needed actions on the named ARN, no wildcard, nothing more.
It says "not yet" while no such policy exists, and ``remove_iam_policy`` clears the way for a
re-run, old versions included.
"""

from __future__ import annotations

import json

import pytest

from kinesis_lab.lessons.exercise_checks import check_iam_policy, remove_iam_policy

STREAM_ARN = "arn:aws:kinesis:us-east-1:123456789012:stream/orders"
WRITES = {"kinesis:PutRecord", "kinesis:PutRecords"}


def document(actions, resource=STREAM_ARN, effect="Allow"):
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": effect, "Action": sorted(actions), "Resource": resource}],
        }
    )


@pytest.fixture
def iam(lab):
    return lab.client("iam")


def create(iam, text, name="orders-producer"):
    return iam.create_policy(PolicyName=name, PolicyDocument=text)["Policy"]["Arn"]


def test_not_yet_until_the_policy_exists(iam, capsys):
    arn = "arn:aws:iam::123456789012:policy/orders-producer"
    assert check_iam_policy(iam, arn, {STREAM_ARN: WRITES}) is False
    assert "not yet" in capsys.readouterr().out


def test_least_privilege_passes(iam, capsys):
    arn = create(iam, document(WRITES))
    assert check_iam_policy(iam, arn, {STREAM_ARN: WRITES}) is True
    assert "✓" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (document(WRITES, resource="*"), "wildcard resource"),
        (document({"kinesis:Put*"}), "wildcard actions kinesis:Put*"),
        (document({"kinesis:PutRecord"}), "missing kinesis:PutRecords"),
        (document(WRITES | {"kinesis:DeleteStream"}), "more than needed: kinesis:DeleteStream"),
        (document(WRITES, effect="Deny"), "missing"),
    ],
)
def test_anything_but_least_privilege_fails(iam, capsys, text, says):
    arn = create(iam, text)
    assert check_iam_policy(iam, arn, {STREAM_ARN: WRITES}) is False
    out = capsys.readouterr().out
    assert "✗" in out and says in out


def test_allowed_extra_actions_and_the_default_version(iam):
    arn = create(iam, document(WRITES | {"kinesis:DescribeStreamSummary"}))
    assert check_iam_policy(iam, arn, {STREAM_ARN: WRITES}) is False
    assert check_iam_policy(
        iam, arn, {STREAM_ARN: WRITES}, allowed_extra={"kinesis:DescribeStreamSummary"}
    )
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=document(WRITES), SetAsDefault=True)
    assert check_iam_policy(iam, arn, {STREAM_ARN: WRITES}) is True  # the default version


def test_remove_iam_policy_deletes_it_with_its_versions(iam):
    arn = create(iam, document({"kinesis:PutRecord"}))
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=document(WRITES), SetAsDefault=True)
    remove_iam_policy(iam, arn)
    remove_iam_policy(iam, arn)  # again: nothing to do
    assert create(iam, document(WRITES)) == arn  # the name is free again
