"""kinesis_lab.mock.serializer_cache: every response moto serializes is the same, byte for byte.

Two tests let the lab's services answer a learner's calls while every serialization moto makes
is done twice — with moto's own lookups and with the remembered ones — and compared. The others
pin down what those calls may not meet: objects of other kinds in the same place, a picker with
response transformers, the lab switching it on, and the bound on what it remembers.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from moto.core import serialize
from moto.core.utils import get_service_model

from kinesis_lab.mock import serializer_cache
from kinesis_lab.mock.behaviour import apply_mock_behaviour


@pytest.fixture
def both_ways(monkeypatch) -> list[str]:
    """Serialize every response moto makes both ways; assert they match; list the operations."""
    compared: list[str] = []
    serialize_once = serialize.ResponseSerializer.serialize

    def serialize_both_ways(self: Any, result: Any) -> Any:
        serializer_cache.uninstall()
        try:
            stock = serialize_once(self, result)
        finally:
            serializer_cache.install()
        remembered = serialize_once(self, result)
        assert remembered == stock, self.operation_name
        compared.append(f"{self.service_model.service_name}.{self.operation_name}")
        return remembered

    monkeypatch.setattr(serialize.ResponseSerializer, "serialize", serialize_both_ways)
    assert serializer_cache.is_installed()  # start_lab installed it (the lab fixture ran first)
    return compared


def test_the_lab_installs_it_with_the_fixes_or_without():
    serializer_cache.uninstall()
    apply_mock_behaviour(fidelity_fixes=False, limits=False)
    assert serializer_cache.is_installed()
    apply_mock_behaviour(fidelity_fixes=True, limits=True)
    assert serializer_cache.is_installed()


def test_kinesis_answers_are_unchanged_including_throttled_entries(lab, lab_clock, both_ways):
    """On the simulated clock the three PutRecords calls fall in one second, however slowly
    they run (on the real clock, a loaded machine spread them over more than one: no throttle)."""
    kinesis = lab.kinesis
    kinesis.create_stream(StreamName="same", ShardCount=1)
    kinesis.get_waiter("stream_exists").wait(StreamName="same")
    kinesis.add_tags_to_stream(StreamName="same", Tags={"team": "lab"})
    entries = [{"Data": b"x" * 1000, "PartitionKey": f"k{i}"} for i in range(500)]
    outcomes = [kinesis.put_records(StreamName="same", Records=entries) for _ in range(3)]
    assert sum(outcome["FailedRecordCount"] for outcome in outcomes) > 0  # 1.5 MB in a second
    arn = kinesis.describe_stream_summary(StreamName="same")["StreamDescriptionSummary"]
    kinesis.register_stream_consumer(StreamARN=arn["StreamARN"], ConsumerName="reader")
    for call in (
        lambda: kinesis.describe_stream(StreamName="same"),
        lambda: kinesis.list_shards(StreamName="same"),
        lambda: kinesis.list_streams(),
        lambda: kinesis.list_tags_for_stream(StreamName="same"),
        lambda: kinesis.list_stream_consumers(StreamARN=arn["StreamARN"]),
        lambda: kinesis.describe_stream_consumer(StreamARN=arn["StreamARN"], ConsumerName="reader"),
    ):
        call()
    assert {"kinesis.PutRecords", "kinesis.ListShards", "kinesis.DescribeStream"} <= set(both_ways)


def test_answers_in_every_protocol_the_lab_uses_are_unchanged(lab, both_ways):
    """JSON (Firehose, DynamoDB), rest-xml (S3), query (IAM), and CloudWatch's protocol."""
    lab.s3.create_bucket(Bucket="same-bucket")
    lab.s3.put_object(Bucket="same-bucket", Key="a/b.json", Body=b"{}")
    lab.s3.list_objects_v2(Bucket="same-bucket", Prefix="a/")
    iam = lab.client("iam")
    trust = {"Version": "2012-10-17", "Statement": []}
    role = iam.create_role(RoleName="same-role", AssumeRolePolicyDocument=json.dumps(trust))
    iam.get_role(RoleName="same-role")
    lab.firehose.create_delivery_stream(
        DeliveryStreamName="same-firehose",
        S3DestinationConfiguration={
            "RoleARN": role["Role"]["Arn"],
            "BucketARN": "arn:aws:s3:::same-bucket",
        },
    )
    lab.firehose.describe_delivery_stream(DeliveryStreamName="same-firehose")
    lab.firehose.put_record_batch(
        DeliveryStreamName="same-firehose", Records=[{"Data": b"one\n"}, {"Data": b"two\n"}]
    )
    lab.dynamodb.create_table(
        TableName="same-table",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    lab.dynamodb.put_item(TableName="same-table", Item={"id": {"S": "1"}})
    lab.dynamodb.scan(TableName="same-table")
    lab.cloudwatch.list_metrics(Namespace="AWS/Kinesis")
    services = {operation.split(".")[0] for operation in both_ways}
    assert {"s3", "iam", "firehose", "dynamodb", "cloudwatch"} <= services, services


def test_a_picker_with_response_transformers_keeps_motos_own_path():
    """moto applies a transformer by the member's key path; the remembered path has none."""
    serializer_cache.install()
    operation = get_service_model("kinesis").operation_model("DescribeStreamSummary")
    picker = serialize.XFormedAttributePicker(
        response_transformers={"StreamName": lambda name: name.upper()}
    )
    result = {"StreamDescriptionSummary": {"StreamName": "quiet", "OpenShardCount": 1}}
    body = serialize.JSONSerializer(operation, value_picker=picker).serialize(result)["body"]
    assert json.loads(body)["StreamDescriptionSummary"]["StreamName"] == "QUIET"


class Stream:
    """Named as moto's model is: its ``name`` answers StreamName (moto's class-prefix alias)."""

    def __init__(self, name: str):
        self.name = name


class Summary:
    """Both spellings, different values: moto reads ``StreamName`` first."""

    StreamName = "pascal"
    stream_name = "snake"


def test_objects_of_other_kinds_in_the_same_place_each_get_what_moto_reads_from_them():
    """The names to try depend on the kind of object and keep moto's order."""
    operation = get_service_model("kinesis").operation_model("DescribeStreamSummary")
    bodies = []
    for summary in ({"StreamName": "from-a-dict"}, Stream("from-a-model"), Summary(), Stream("b")):
        result = {"StreamDescriptionSummary": summary}
        answers = []
        for switch in (serializer_cache.install, serializer_cache.uninstall):
            switch()
            serializer = serialize.JSONSerializer(
                operation, value_picker=serialize.XFormedAttributePicker()
            )
            answers.append(serializer.serialize(result))
        serializer_cache.install()
        assert answers[0] == answers[1]
        bodies.append(json.loads(answers[0]["body"])["StreamDescriptionSummary"]["StreamName"])
    assert bodies == ["from-a-dict", "from-a-model", "pascal", "b"]


def test_what_it_remembers_stays_bounded(monkeypatch):
    """Objects that each brought a Meta of their own would each add an entry: capped."""
    monkeypatch.setattr(serializer_cache, "MAX_REMEMBERED", 3)
    serializer_cache.install()
    operation = get_service_model("kinesis").operation_model("DescribeStreamSummary")
    for number in range(10):
        summary = type("Summary", (), {"Meta": type("Meta", (), {}), "StreamName": f"s{number}"})
        serializer = serialize.JSONSerializer(
            operation, value_picker=serialize.XFormedAttributePicker()
        )
        body = serializer.serialize({"StreamDescriptionSummary": summary()})["body"]
        assert json.loads(body)["StreamDescriptionSummary"]["StreamName"] == f"s{number}"
        assert len(serializer_cache._names) <= 3
