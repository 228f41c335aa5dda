"""M8's scaffolding around the learner's own Lambda calls, on a lab account.

- ``probe_function`` sets up a do-nothing function with no mappings (section 3's calls map to it);
- ``check_refusal`` says "not yet" while the learner's ``refusal`` is blank, ✓ for the code
  Lambda answered, ✗ otherwise;
- ``ensure_settings`` updates the learner's mapping only when it differs, and says so;
- ``run_with_producer`` drives the account's pollers (the mappings the learner created) while a
  producer writes: a batching window set with ``update_event_source_mapping`` holds batches back.
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from kinesis_lab.lessons import m08_lambda as lesson


@pytest.fixture
def m8(lab):
    lab.use_simulated_clock()
    lab.create_stream("helpers", shard_count=1)
    arn = lab.kinesis.describe_stream_summary(StreamName="helpers")["StreamDescriptionSummary"][
        "StreamARN"
    ]
    return lab, arn


def test_probe_function_starts_without_mappings(m8):
    lab, arn = m8
    name = lesson.probe_function(lab)
    lam = lab.client("lambda")
    lam.create_event_source_mapping(
        FunctionName=name, EventSourceArn=arn, StartingPosition="LATEST"
    )
    assert lesson.probe_function(lab) == name  # again: a clean function
    assert lesson.mappings_of(lab, name) == []
    assert lam.get_function(FunctionName=name)["Configuration"]["Handler"].endswith("do_nothing")


def test_check_refusal(m8, capsys):
    lab, arn = m8
    assert not lesson.check_refusal(..., "InvalidParameterValueException")
    assert "not yet" in capsys.readouterr().out
    try:
        lab.client("lambda").create_event_source_mapping(
            FunctionName=lesson.probe_function(lab),
            EventSourceArn=arn,
            StartingPosition="LATEST",
            MaximumRecordAgeInSeconds=10,
        )
    except ClientError as error:
        refusal = error.response["Error"]["Code"]
    assert lesson.check_refusal(refusal, "InvalidParameterValueException")
    assert "✓" in capsys.readouterr().out
    assert not lesson.check_refusal("ValidationException", "InvalidParameterValueException")
    assert "✗" in capsys.readouterr().out


def test_ensure_settings_updates_only_what_differs(m8, capsys):
    lab, arn = m8
    name = lesson.probe_function(lab)
    lam = lab.client("lambda")
    uuid = lam.create_event_source_mapping(
        FunctionName=name, EventSourceArn=arn, StartingPosition="LATEST"
    )["UUID"]
    lesson.ensure_settings(lab, name, arn, MaximumBatchingWindowInSeconds=10)
    assert "updated the mapping" in capsys.readouterr().out
    assert lam.get_event_source_mapping(UUID=uuid)["MaximumBatchingWindowInSeconds"] == 10
    lesson.ensure_settings(lab, name, arn, MaximumBatchingWindowInSeconds=10)
    assert capsys.readouterr().out == ""


def test_run_with_producer_drives_the_mappings_the_learner_created(m8):
    lab, arn = m8
    name = lesson.probe_function(lab)
    lam = lab.client("lambda")
    uuid = lam.create_event_source_mapping(
        FunctionName=name, EventSourceArn=arn, StartingPosition="LATEST"
    )["UUID"]
    producer = lesson.SteadyProducer(lab.kinesis, "helpers", records_per_second=4)
    quick = lesson.run_with_producer(lesson.service(lab), producer, seconds=12)
    lam.update_event_source_mapping(UUID=uuid, MaximumBatchingWindowInSeconds=5)
    held = lesson.run_with_producer(lesson.service(lab), producer, seconds=12)
    assert len(quick) >= 10 and max(i.records for i in quick[1:]) <= 4
    assert 1 <= len(held) < len(quick) // 2  # F36: fewer, fuller batches
    assert min(i.records for i in held) >= 16


def test_check_update_says_not_yet_until_a_setting_leaves_its_default(m8, capsys):
    lab, arn = m8
    name = lesson.probe_function(lab)
    lam = lab.client("lambda")
    uuid = lam.create_event_source_mapping(
        FunctionName=name, EventSourceArn=arn, StartingPosition="LATEST"
    )["UUID"]
    assert not lesson.check_update(lab, name, arn, MaximumBatchingWindowInSeconds=10)
    assert "not yet" in capsys.readouterr().out
    lam.update_event_source_mapping(UUID=uuid, MaximumBatchingWindowInSeconds=5)
    assert not lesson.check_update(lab, name, arn, MaximumBatchingWindowInSeconds=10)
    assert "✗" in capsys.readouterr().out
    lam.update_event_source_mapping(UUID=uuid, MaximumBatchingWindowInSeconds=10)
    assert lesson.check_update(lab, name, arn, MaximumBatchingWindowInSeconds=10)
    assert "✓" in capsys.readouterr().out
