"""Stream and consumer administration: CreateStream keeps its tags, DeregisterStreamConsumer
removes exactly one consumer."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from fidelity_helpers import create_stream, error_code


def test_create_stream_applies_its_tags(kinesis_client):
    """API_CreateStream: Tags are applied when the stream is created."""
    kinesis_client.create_stream(StreamName="s", ShardCount=1, Tags={"course": "kinesis"})

    tags = kinesis_client.list_tags_for_stream(StreamName="s")["Tags"]

    assert tags == [{"Key": "course", "Value": "kinesis"}]


def register_consumers(kinesis, names):
    create_stream(kinesis, "s", 1)
    arn = kinesis.describe_stream_summary(StreamName="s")["StreamDescriptionSummary"]["StreamARN"]
    consumers = {
        name: kinesis.register_stream_consumer(StreamARN=arn, ConsumerName=name)["Consumer"]
        for name in names
    }
    return arn, consumers


def consumer_names(kinesis, arn):
    return {c["ConsumerName"] for c in kinesis.list_stream_consumers(StreamARN=arn)["Consumers"]}


def test_deregister_consumer_by_stream_arn_and_name_removes_only_that_one(kinesis_client):
    arn, _ = register_consumers(kinesis_client, ["a", "b", "c"])

    kinesis_client.deregister_stream_consumer(StreamARN=arn, ConsumerName="b")

    assert consumer_names(kinesis_client, arn) == {"a", "c"}


def test_deregister_consumer_by_consumer_arn_removes_only_that_one(kinesis_client):
    arn, consumers = register_consumers(kinesis_client, ["a", "b", "c"])

    kinesis_client.deregister_stream_consumer(ConsumerARN=consumers["a"]["ConsumerARN"])

    assert consumer_names(kinesis_client, arn) == {"b", "c"}


def test_deregister_unknown_consumer_is_not_found(kinesis_client):
    arn, _ = register_consumers(kinesis_client, ["a"])

    with pytest.raises(ClientError) as error:
        kinesis_client.deregister_stream_consumer(StreamARN=arn, ConsumerName="nobody")

    assert error_code(error) == "ResourceNotFoundException"
    assert consumer_names(kinesis_client, arn) == {"a"}
