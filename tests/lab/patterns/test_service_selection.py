"""The decision rules pick the exam's answer for every M12 scenario and avoid its distractors."""

from __future__ import annotations

import pytest

from kinesis_lab.core.checks import BLANK
from kinesis_lab.patterns.service_selection import (
    DDB_STREAMS,
    EVENTBRIDGE,
    FIREHOSE,
    KDS,
    KDS_FOR_DDB,
    KVS,
    MSF,
    MSK,
    PRACTICE_SCENARIOS,
    SERVICE_NAMES,
    SNS,
    SQS,
    Requirements,
    check_service_choices,
    decision_helper,
    normalize_service,
    recommend,
    recommendation_html,
    retired_name_note,
)

# The curriculum's typical scenarios (M12), each with the answer the exams expect.
TYPICAL = [
    (Requirements(consumers="own_code", replay=True, sub_second=True), KDS),
    (Requirements(consumers="managed_destination"), FIREHOSE),
    (Requirements(consumers="one_worker_per_message"), SQS),
    (Requirements(kafka=True), MSK),
    (Requirements(consumers="rule_routing"), EVENTBRIDGE),
    (Requirements(data="video"), KVS),
    (Requirements(stateful_analytics=True), MSF),
    (Requirements(data="table_changes"), DDB_STREAMS),
    (Requirements(data="table_changes", long_retention=True), KDS_FOR_DDB),
    (Requirements(consumers="push_subscribers"), SNS),
]


@pytest.mark.parametrize(("req", "expected"), TYPICAL)
def test_typical_scenarios(req, expected):
    rec = recommend(req)
    assert rec.code == expected
    assert rec.reason and rec.service == SERVICE_NAMES[expected]


def test_firehose_cannot_replay_so_replay_to_a_destination_needs_kds():
    rec = recommend(Requirements(consumers="managed_destination", replay=True))
    assert rec.code == KDS
    assert "Firehose" in rec.also


def test_sqs_is_not_the_answer_for_ordered_multi_consumer_replay():
    for consumers in ("one_worker_per_message", "push_subscribers", "own_code"):
        rec = recommend(Requirements(consumers=consumers, replay=True, ordering=True))
        assert rec.code == KDS, consumers


def test_ordered_work_queue_is_sqs_fifo():
    rec = recommend(Requirements(consumers="one_worker_per_message", ordering=True))
    assert rec.code == SQS and "FIFO" in rec.reason


def test_video_wins_over_other_answers_and_kafka_over_analytics():
    assert recommend(Requirements(data="video", kafka=True, replay=True)).code == KVS
    assert recommend(Requirements(kafka=True, stateful_analytics=True)).code == MSK


def test_dynamodb_changes_to_a_destination_or_analytics_use_kds_for_dynamodb():
    for req in (
        Requirements(data="table_changes", consumers="managed_destination"),
        Requirements(data="table_changes", stateful_analytics=True),
        Requirements(data="table_changes", replay=True),
    ):
        assert recommend(req).code == KDS_FOR_DDB


def test_reasons_cite_fact_rows_for_their_numbers():
    assert "F8" in recommend(Requirements(replay=True)).reason
    assert "F57" in recommend(Requirements(data="video")).reason
    assert "F59" in recommend(Requirements(consumers="rule_routing")).also
    assert "F58" in recommend(Requirements(consumers="one_worker_per_message")).also
    assert "F54" in recommend(Requirements(stateful_analytics=True)).also


def test_requirements_refuse_unknown_answers():
    with pytest.raises(ValueError):
        Requirements(data="audio")
    with pytest.raises(ValueError):
        Requirements(consumers="everyone")


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("KDS", KDS),
        ("Amazon Kinesis Data Streams", KDS),
        ("kinesis", KDS),
        ("Amazon Data Firehose", FIREHOSE),
        ("Kinesis Data Firehose", FIREHOSE),
        ("AWS SQS", SQS),
        ("SQS FIFO", SQS),
        ("Amazon SNS", SNS),
        ("Amazon MSK", MSK),
        ("EventBridge Pipes", EVENTBRIDGE),
        ("Managed Service for Apache Flink", MSF),
        ("Flink", MSF),
        ("Kinesis Video Streams", KVS),
        ("DynamoDB Streams", DDB_STREAMS),
        ("Kinesis Data Streams for DynamoDB", KDS_FOR_DDB),
        ("S3", None),
        (3, None),
        (BLANK, None),
    ],
)
def test_normalize_service(typed, code):
    assert normalize_service(typed) == code


def test_retired_names_get_a_note_not_a_match():
    assert normalize_service("Kinesis Data Analytics") is None
    assert "F53" in retired_name_note("Kinesis Data Analytics")
    assert "F54" in retired_name_note("KDA-SQL")
    assert retired_name_note("SQS") is None


def test_practice_scenarios_cover_the_typical_answers():
    answers = {recommend(s.requirements).code for s in PRACTICE_SCENARIOS.values()}
    assert answers == {KDS, FIREHOSE, SQS, MSK, EVENTBRIDGE, KVS, MSF, DDB_STREAMS}
    for scenario in PRACTICE_SCENARIOS.values():
        assert SERVICE_NAMES[recommend(scenario.requirements).code] not in scenario.hint


def _right_answers():
    return {k: SERVICE_NAMES[recommend(s.requirements).code] for k, s in PRACTICE_SCENARIOS.items()}


def test_check_service_choices_all_blank_is_not_yet(capsys):
    assert check_service_choices(dict.fromkeys(PRACTICE_SCENARIOS, BLANK)) is False
    out = capsys.readouterr().out
    assert "Not yet" in out and "✓" not in out


def test_check_service_choices_all_right(capsys):
    assert check_service_choices(_right_answers()) is True
    assert f"All {len(PRACTICE_SCENARIOS)} scenarios right." in capsys.readouterr().out


def test_check_service_choices_wrong_gives_a_hint_not_the_answer(capsys):
    answers = _right_answers()
    answers["clickstream"] = "SQS"
    answers["fraud_windows"] = "Kinesis Data Analytics for SQL"
    answers["logs_to_s3"] = "S3"
    assert check_service_choices(answers) is False
    out = capsys.readouterr().out
    assert "hint: several independent real-time consumers + replay" in out
    assert "Kinesis Data Streams" not in out.split("clickstream")[1].split("\n")[0]
    assert "discontinued" in out
    assert "not a service name" in out


def test_recommendation_html_escapes_and_names_the_service():
    page = recommendation_html(recommend(Requirements(data="video")))
    assert "Amazon Kinesis Video Streams" in page and "<b>" in page


def test_decision_helper_updates_with_the_answers():
    helper = decision_helper()
    result = helper.children[-1]
    assert "Kinesis Data Streams" in result.value  # own code, nothing else ticked
    data, consumers = helper.children[0], helper.children[1]
    data.value = "video or audio from cameras and devices"
    assert "Kinesis Video Streams" in result.value
    data.value = "events / messages / logs / clicks"
    consumers.value = "delivered to S3 / Redshift / OpenSearch / Splunk with no code"
    assert "Amazon Data Firehose" in result.value
    replay_box = helper.children[2]
    replay_box.value = True
    assert "Amazon Kinesis Data Streams" in result.value
    assert helper.requirements() == Requirements(consumers="managed_destination", replay=True)
