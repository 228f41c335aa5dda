"""Least-privilege policies and the simplified policy evaluator (F25, F28)."""

from __future__ import annotations

import json

import botocore.session
import pytest

from kinesis_lab.core.checks import BLANK
from kinesis_lab.patterns import policies
from kinesis_lab.patterns.policies import (
    ACTION_MENU,
    ROLE_NEEDS,
    check_actions,
    check_kcl_services,
    consumer_policy,
    cross_account_read_policy,
    decision_html,
    evaluate,
    evaluate_access,
    kcl_policy,
    matches,
    policy,
    policy_checker,
    producer_policy,
    statement,
)

OWNER = "123456789012"
OTHER = "111122223333"
STREAM = f"arn:aws:kinesis:us-east-1:{OWNER}:stream/orders"
PAYROLL = f"arn:aws:kinesis:us-east-1:{OWNER}:stream/payroll"
KEY = f"arn:aws:kms:us-east-1:{OWNER}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
READER = f"arn:aws:iam::{OTHER}:role/analytics-reader"
LOCAL_ROLE = f"arn:aws:iam::{OWNER}:role/order-consumer"
# IAM service prefix → botocore service name, for the services this module names.
BOTOCORE_NAME = {
    "kinesis": "kinesis",
    "kms": "kms",
    "dynamodb": "dynamodb",
    "cloudwatch": "cloudwatch",
}


def all_actions() -> set[str]:
    """Every action the module names: constants, role needs, the menu and generated policies."""
    names = set(ACTION_MENU)
    for needs in ROLE_NEEDS.values():
        names |= needs.required | needs.optional
    documents = [
        producer_policy(STREAM, KEY),
        consumer_policy(STREAM, KEY),
        kcl_policy(STREAM, "app", efo=True),
        cross_account_read_policy(STREAM, OTHER),
    ]
    for document in documents:
        for item in document["Statement"]:
            names |= set(item["Action"])
    return {n for n in names if "*" not in n}


def test_every_action_named_is_a_real_operation_of_its_service():
    session = botocore.session.get_session()
    unknown = []
    for action in sorted(all_actions()):
        prefix, operation = action.split(":")
        model = session.get_service_model(BOTOCORE_NAME[prefix])
        if operation not in model.operation_names:
            unknown.append(action)
    assert not unknown, unknown


# --- the least-privilege policies -----------------------------------------------------------


def test_producer_policy_writes_one_stream_and_encrypts_with_its_key():
    document = producer_policy(STREAM, KEY)
    assert evaluate(document, "kinesis:PutRecords", STREAM).allowed
    assert evaluate(document, "kinesis:PutRecord", STREAM).allowed
    assert evaluate(document, "kms:GenerateDataKey", KEY).allowed
    assert not evaluate(document, "kinesis:GetRecords", STREAM).allowed
    assert not evaluate(document, "kinesis:PutRecords", PAYROLL).allowed
    assert not evaluate(document, "kms:Decrypt", KEY).allowed
    assert len(producer_policy(STREAM)["Statement"]) == 1  # no key, no KMS statement


def test_consumer_policy_reads_and_decrypts_but_never_writes():
    document = consumer_policy(STREAM, KEY)
    for action in ("kinesis:ListShards", "kinesis:GetShardIterator", "kinesis:GetRecords"):
        assert evaluate(document, action, STREAM).allowed
    assert evaluate(document, "kms:Decrypt", KEY).allowed
    assert not evaluate(document, "kinesis:PutRecord", STREAM).allowed
    assert not evaluate(document, "kms:GenerateDataKey", KEY).allowed


def test_kcl_policy_covers_the_stream_its_tables_and_cloudwatch():
    document = kcl_policy(STREAM, "order-dashboard")
    table = f"arn:aws:dynamodb:us-east-1:{OWNER}:table/order-dashboard"
    assert evaluate(document, "kinesis:GetRecords", STREAM).allowed
    assert evaluate(document, "dynamodb:CreateTable", table).allowed  # lease table (F28)
    assert evaluate(document, "dynamodb:UpdateTable", table).allowed
    assert evaluate(document, "dynamodb:PutItem", table + "-WorkerMetricStats").allowed
    assert evaluate(document, "dynamodb:PutItem", table + "-CoordinatorState").allowed
    assert not evaluate(document, "dynamodb:UpdateTable", table + "-CoordinatorState").allowed
    assert evaluate(document, "dynamodb:Query", table + "/index/leaseOwner-index").allowed
    assert evaluate(document, "cloudwatch:PutMetricData", "*").allowed
    assert not evaluate(document, "dynamodb:PutItem", f"{table[:-15]}other-app").allowed
    assert not evaluate(document, "kinesis:SubscribeToShard", f"{STREAM}/consumer/c:1").allowed
    with_efo = kcl_policy(STREAM, "order-dashboard", efo=True)
    assert evaluate(with_efo, "kinesis:SubscribeToShard", f"{STREAM}/consumer/c:1").allowed


def test_cross_account_read_policy_names_the_other_account():
    document = cross_account_read_policy(STREAM, OTHER)
    (item,) = document["Statement"]
    assert item["Principal"] == {"AWS": f"arn:aws:iam::{OTHER}:root"}
    assert "kinesis:GetRecords" in item["Action"] and "kinesis:PutRecord" not in item["Action"]


def test_arn_parts_refuses_a_non_arn():
    with pytest.raises(ValueError):
        policies.arn_parts("stream/orders")


# --- matching and evaluation ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("glob", "value", "case_sensitive", "expected"),
    [
        ("kinesis:*", "kinesis:GetRecords", False, True),
        ("kinesis:get*", "kinesis:GetRecords", False, True),
        ("kinesis:get*", "kinesis:GetRecords", True, False),
        ("kinesis:Get?ecords", "kinesis:GetRecords", False, True),
        ("kinesis:Get?ecords", "kinesis:GetXXecords", False, False),
        ("arn:aws:kinesis:*:*:stream/orders", STREAM, True, True),
        ("arn:aws:kinesis:*:*:stream/orders", PAYROLL, True, False),
        ("arn.aws", "arnXaws", True, False),  # a dot is a dot, not a regex wildcard
        ("stream/[ab]", "stream/a", True, False),
        ("stream/[ab]", "stream/[ab]", True, True),
    ],
)
def test_matches(glob, value, case_sensitive, expected):
    assert matches(glob, value, case_sensitive) is expected


def test_explicit_deny_beats_allow_and_silence_is_deny():
    document = policy(
        statement("All", ["kinesis:*"], "*"),
        statement("Guard", ["kinesis:DeleteStream"], "*", effect="Deny"),
    )
    assert evaluate(document, "kinesis:UpdateShardCount", STREAM).effect == "Allow"
    denied = evaluate(document, "kinesis:DeleteStream", STREAM)
    assert denied.effect == "ExplicitDeny" and denied.statements == ("Guard",)
    assert evaluate(policy(), "kinesis:GetRecords", STREAM).effect == "ImplicitDeny"


def test_not_action_and_not_resource():
    document = {
        "Statement": [
            {"Effect": "Allow", "NotAction": "kinesis:Delete*", "Resource": "*"},
            {"Effect": "Deny", "Action": "kinesis:*", "NotResource": STREAM},
        ]
    }
    assert evaluate(document, "kinesis:PutRecord", STREAM).allowed
    assert not evaluate(document, "kinesis:DeleteStream", STREAM).allowed
    assert evaluate(document, "kinesis:PutRecord", PAYROLL).effect == "ExplicitDeny"


def test_statements_with_a_condition_are_skipped_and_reported():
    document = {
        "Statement": {
            "Sid": "OnlyFromTheVpc",
            "Effect": "Allow",
            "Action": "kinesis:PutRecord",
            "Resource": STREAM,
            "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1"}},
        }
    }
    decision = evaluate(document, "kinesis:PutRecord", STREAM)
    assert decision.effect == "ImplicitDeny" and decision.skipped == ("OnlyFromTheVpc",)
    assert "does not evaluate" in decision_html(decision)


def test_evaluate_reads_json_text_and_refuses_broken_json():
    text = json.dumps(producer_policy(STREAM))
    assert evaluate(text, "kinesis:PutRecord", STREAM).allowed
    with pytest.raises(ValueError, match="not valid JSON"):
        evaluate("{not json", "kinesis:PutRecord", STREAM)
    with pytest.raises(ValueError, match="Statement"):
        evaluate("[]", "kinesis:PutRecord", STREAM)


def test_cross_account_needs_both_policies():
    identity = consumer_policy(STREAM)
    resource = cross_account_read_policy(STREAM, OTHER)
    both = evaluate_access(READER, "kinesis:GetRecords", STREAM, identity, resource)
    assert both.allowed and both.statements == (
        "identity: ReadTheStream",
        "resource: LetTheAnalyticsAccountRead",
    )
    assert not evaluate_access(READER, "kinesis:GetRecords", STREAM, identity, None).allowed
    assert not evaluate_access(READER, "kinesis:GetRecords", STREAM, policy(), resource).allowed
    assert not evaluate_access(READER, "kinesis:PutRecord", STREAM, identity, resource).allowed
    stranger = "arn:aws:iam::444455556666:role/x"
    assert not evaluate_access(stranger, "kinesis:GetRecords", STREAM, identity, resource).allowed


def test_cross_account_explicit_deny_in_the_resource_policy_wins():
    resource = cross_account_read_policy(STREAM, OTHER)
    resource["Statement"].append(
        {
            "Sid": "NoReader",
            "Effect": "Deny",
            "Principal": {"AWS": READER},
            "Action": "kinesis:*",
            "Resource": STREAM,
        }
    )
    decision = evaluate_access(
        READER, "kinesis:GetRecords", STREAM, consumer_policy(STREAM), resource
    )
    assert decision.effect == "ExplicitDeny" and "resource: NoReader" in decision.statements


def test_same_account_one_allow_is_enough_unless_the_grant_is_to_the_account():
    # identity policy alone
    assert evaluate_access(
        LOCAL_ROLE, "kinesis:GetRecords", STREAM, consumer_policy(STREAM)
    ).allowed
    # a resource policy naming the role itself
    naming_the_role = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": LOCAL_ROLE},
                "Action": "kinesis:GetRecords",
                "Resource": STREAM,
            }
        ]
    }
    assert evaluate_access(
        LOCAL_ROLE, "kinesis:GetRecords", STREAM, policy(), naming_the_role
    ).allowed
    # a resource policy naming only the account delegates to IAM: the identity policy must allow
    naming_the_account = cross_account_read_policy(STREAM, OWNER)
    decision = evaluate_access(
        LOCAL_ROLE, "kinesis:GetRecords", STREAM, policy(), naming_the_account
    )
    assert decision.effect == "ImplicitDeny" and "identity policy must allow" in decision.reason


def test_decision_html_says_allowed_or_denied():
    assert "ALLOWED" in decision_html(
        evaluate(producer_policy(STREAM), "kinesis:PutRecord", STREAM)
    )
    assert "DENIED (implicit)" in decision_html(evaluate(policy(), "kinesis:PutRecord", STREAM))


# --- the checker widget ---------------------------------------------------------------------


def test_policy_checker_follows_its_controls():
    box = policy_checker(
        consumer_policy(STREAM),
        cross_account_read_policy(STREAM, OTHER),
        [READER, LOCAL_ROLE],
        [STREAM, PAYROLL],
    )
    controls, result = box.controls, box.result
    controls["action"].value = "kinesis:GetRecords"
    assert "ALLOWED" in result.value
    controls["action"].value = "kinesis:PutRecord"
    assert "DENIED" in result.value
    controls["action"].value = "kinesis:GetRecords"
    controls["resource_policy"].value = ""
    assert "does not grant" in result.value
    controls["identity_policy"].value = "{oops"
    assert "Cannot evaluate" in result.value


# --- the "Your turn" checks -----------------------------------------------------------------


def test_check_actions_blank_is_not_yet(capsys):
    assert check_actions("producer", BLANK) is False
    out = capsys.readouterr().out
    assert "not yet" in out and "kms" not in out


@pytest.mark.parametrize(
    ("role", "answer"),
    [
        ("producer", {"kinesis:PutRecord", "kinesis:PutRecords", "kms:GenerateDataKey"}),
        ("producer", ["Kinesis:putrecord", "kinesis:PutRecords ", "kms:GenerateDataKey"]),
        (
            "consumer",
            {"kinesis:ListShards", "kinesis:GetShardIterator", "kinesis:GetRecords", "kms:Decrypt"},
        ),
        (
            "consumer",
            {
                "kinesis:ListShards",
                "kinesis:GetShardIterator",
                "kinesis:GetRecords",
                "kms:Decrypt",
                "kinesis:DescribeStreamSummary",
            },
        ),
    ],
)
def test_check_actions_accepts_least_privilege(capsys, role, answer):
    assert check_actions(role, answer) is True
    assert "least privilege" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("role", "answer", "message"),
    [
        ("producer", {"kinesis:PutRecord", "kinesis:PutRecords"}, "missing 1 action(s) from kms"),
        ("producer", {"kinesis:*", "kms:GenerateDataKey"}, "too broad: kinesis:*"),
        (
            "producer",
            {"kinesis:PutRecord", "kinesis:PutRecords", "kms:GenerateDataKey", "kms:Decrypt"},
            "more than it needs: kms:Decrypt",
        ),
        ("consumer", {"kinesis:GetRecords", "kms:Decrypt"}, "missing 2 action(s) from kinesis"),
        ("consumer", "kinesis:GetRecords", "write a set of strings"),
    ],
)
def test_check_actions_rejects_with_a_reason(capsys, role, answer, message):
    assert check_actions(role, answer) is False
    out = capsys.readouterr().out
    assert message in out


def test_check_actions_missing_never_names_the_missing_action(capsys):
    check_actions("consumer", {"kinesis:GetRecords", "kms:Decrypt"})
    out = capsys.readouterr().out
    assert "ListShards" not in out and "GetShardIterator" not in out


def test_check_actions_never_raises(capsys):
    class Broken:
        def __iter__(self):
            raise RuntimeError("no")

    assert check_actions("producer", Broken()) is False
    assert "could not check" in capsys.readouterr().out


def test_check_kcl_services(capsys):
    assert check_kcl_services(BLANK) is False
    assert "not yet" in capsys.readouterr().out
    assert check_kcl_services({"kinesis", "DynamoDB", "cloudwatch"}) is True
    capsys.readouterr()
    assert check_kcl_services({"kinesis", "dynamodb"}) is False
    out = capsys.readouterr().out
    assert "missing 1 service" in out and "cloudwatch" not in out
    assert check_kcl_services({"kinesis", "dynamodb", "cloudwatch", "s3"}) is False
    assert "not needed: s3" in capsys.readouterr().out


# --- the mock keeps (but never enforces) resource policies ----------------------------------


def test_the_mock_stores_a_stream_resource_policy(lab):
    lab.create_stream("orders", shard_count=1)
    arn = lab.kinesis.describe_stream_summary(StreamName="orders")["StreamDescriptionSummary"][
        "StreamARN"
    ]
    document = cross_account_read_policy(arn, OTHER)
    lab.kinesis.put_resource_policy(ResourceARN=arn, Policy=json.dumps(document))
    assert json.loads(lab.kinesis.get_resource_policy(ResourceARN=arn)["Policy"]) == document
