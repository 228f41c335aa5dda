"""Bad input gets the error AWS documents for the operation, never a crash of the mock."""

from __future__ import annotations

import base64

import pytest
from botocore.exceptions import ClientError
from fidelity_helpers import REGION, create_stream, error_code, error_message, put_many
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.exceptions import JsonRESTError
from moto.kinesis.models import kinesis_backends

from kinesis_lab.core.facts import GET_RECORDS_MAX_RECORDS, HASH_KEY_SPACE

SHARD_0 = "shardId-000000000000"


def trim_horizon(kinesis, name="s", shard_id=SHARD_0):
    return kinesis.get_shard_iterator(
        StreamName=name, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]


@pytest.mark.parametrize(
    "iterator",
    [
        "garbage",
        "!!!not base64!!!",
        base64.b64encode(b"s:shardId-000000000000").decode(),
        base64.b64encode(b"s:shardId-000000000000:not-a-number").decode(),
        base64.b64encode(bytes(range(200, 250))).decode(),
    ],
)
def test_malformed_shard_iterator_is_an_invalid_argument(kinesis_client, iterator):
    """API_GetRecords: a ShardIterator that is not one → InvalidArgumentException."""
    create_stream(kinesis_client, "s", 1)

    with pytest.raises(ClientError) as error:
        kinesis_client.get_records(ShardIterator=iterator)

    assert error_code(error) == "InvalidArgumentException"
    assert error_message(error) == "Invalid ShardIterator."


@pytest.mark.parametrize("iterator_type", ["AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"])
def test_sequence_iterator_without_a_sequence_number_is_rejected(kinesis_client, iterator_type):
    """F10: AT_/AFTER_SEQUENCE_NUMBER need StartingSequenceNumber."""
    create_stream(kinesis_client, "s", 1)

    with pytest.raises(ClientError) as error:
        kinesis_client.get_shard_iterator(
            StreamName="s", ShardId=SHARD_0, ShardIteratorType=iterator_type
        )

    assert error_code(error) == "InvalidArgumentException"
    assert "StartingSequenceNumber" in error_message(error)


def test_trim_horizon_with_a_sequence_number_is_rejected(kinesis_client):
    create_stream(kinesis_client, "s", 1)
    (written,) = put_many(kinesis_client, "s", 1)

    with pytest.raises(ClientError) as error:
        kinesis_client.get_shard_iterator(
            StreamName="s",
            ShardId=SHARD_0,
            ShardIteratorType="TRIM_HORIZON",
            StartingSequenceNumber=written["SequenceNumber"],
        )

    assert error_code(error) == "InvalidArgumentException"


@pytest.mark.parametrize("sequence_number", ["abc", "-5", "0123"])
def test_malformed_starting_sequence_number_is_rejected(kinesis_client, sequence_number):
    create_stream(kinesis_client, "s", 1)

    with pytest.raises(ClientError) as error:
        kinesis_client.get_shard_iterator(
            StreamName="s",
            ShardId=SHARD_0,
            ShardIteratorType="AT_SEQUENCE_NUMBER",
            StartingSequenceNumber=sequence_number,
        )

    assert error_code(error) == "InvalidArgumentException"


def test_sequence_number_from_another_shard_is_rejected(kinesis_client):
    create_stream(kinesis_client, "s", 2)
    written = put_many(kinesis_client, "s", 50)
    from_shard_1 = next(w for w in written if w["ShardId"] == "shardId-000000000001")

    with pytest.raises(ClientError) as error:
        kinesis_client.get_shard_iterator(
            StreamName="s",
            ShardId=SHARD_0,
            ShardIteratorType="AT_SEQUENCE_NUMBER",
            StartingSequenceNumber=from_shard_1["SequenceNumber"],
        )

    assert error_code(error) == "InvalidArgumentException"


def test_at_timestamp_without_a_timestamp_is_rejected(kinesis_client):
    """F10: AT_TIMESTAMP reads from the record at Timestamp, so Timestamp is required."""
    create_stream(kinesis_client, "s", 1)

    with pytest.raises(ClientError) as error:
        kinesis_client.get_shard_iterator(
            StreamName="s", ShardId=SHARD_0, ShardIteratorType="AT_TIMESTAMP"
        )

    assert error_code(error) == "InvalidArgumentException"
    assert "AT_TIMESTAMP" in error_message(error)


def test_unknown_iterator_type_is_rejected(kinesis_client):
    """F10 lists the five types; API_GetShardIterator's only argument error is
    InvalidArgumentException."""
    create_stream(kinesis_client, "s", 1)

    with pytest.raises(ClientError) as error:
        kinesis_client.get_shard_iterator(
            StreamName="s", ShardId=SHARD_0, ShardIteratorType="OLDEST"
        )

    assert error_code(error) == "InvalidArgumentException"


@pytest.mark.parametrize("mode", [None, {"StreamMode": "PROVISIONED"}])
def test_provisioned_stream_without_shard_count_is_rejected(kinesis_client, mode):
    """API_CreateStream: a provisioned stream must say how many shards it has."""
    kwargs = {"StreamModeDetails": mode} if mode else {}

    with pytest.raises(ClientError) as error:
        kinesis_client.create_stream(StreamName="s", **kwargs)

    assert error_code(error) == "InvalidArgumentException"
    assert "ShardCount" in error_message(error)
    assert kinesis_client.list_streams()["StreamNames"] == []


def test_get_records_limit_above_ten_thousand_is_rejected(kinesis_client):
    """F3; API_GetRecords: "greater than 10,000, GetRecords throws InvalidArgumentException"."""
    create_stream(kinesis_client, "s", 1)

    with pytest.raises(ClientError) as error:
        kinesis_client.get_records(ShardIterator=trim_horizon(kinesis_client), Limit=10_001)

    assert error_code(error) == "InvalidArgumentException"


def test_get_records_limit_below_one_is_rejected_by_the_service_too(kinesis_client):
    """boto3 refuses Limit=0 before sending; a raw request reaches the service, which refuses."""
    create_stream(kinesis_client, "s", 1)
    backend = kinesis_backends[DEFAULT_ACCOUNT_ID][REGION]

    with pytest.raises(JsonRESTError) as error:
        backend.get_records(None, trim_horizon(kinesis_client), 0)

    assert error.value.error_type == "InvalidArgumentException"


def test_get_records_returns_at_most_ten_thousand_records(kinesis_client):
    """F3: ≤10,000 records per call, the default Limit; the rest come on the next call."""
    create_stream(kinesis_client, "s", 1)
    put_many(kinesis_client, "s", GET_RECORDS_MAX_RECORDS + 500)

    first = kinesis_client.get_records(ShardIterator=trim_horizon(kinesis_client))
    second = kinesis_client.get_records(ShardIterator=first["NextShardIterator"])

    assert len(first["Records"]) == GET_RECORDS_MAX_RECORDS
    assert len(second["Records"]) == 500


def test_get_records_returns_at_most_ten_mebibytes(kinesis_client):
    """F3: ≤10 MB per call — eleven 1 MB records need two calls."""
    create_stream(kinesis_client, "s", 1)
    for i in range(11):
        kinesis_client.put_record(StreamName="s", Data=bytes(1_000_000), PartitionKey=str(i))

    first = kinesis_client.get_records(ShardIterator=trim_horizon(kinesis_client))
    second = kinesis_client.get_records(ShardIterator=first["NextShardIterator"])

    assert len(first["Records"]) == 10
    assert len(second["Records"]) == 1


@pytest.mark.parametrize(
    "hash_key", [str(HASH_KEY_SPACE), str(10**39), "abc", "-1", "0x10", "012", " 5"]
)
def test_out_of_range_or_non_decimal_explicit_hash_key_is_rejected(kinesis_client, hash_key):
    """F6: ExplicitHashKey is a decimal integer in [0, 2^128 − 1]."""
    create_stream(kinesis_client, "s", 1)

    with pytest.raises(ClientError) as error:
        kinesis_client.put_record(
            StreamName="s", Data=b"x", PartitionKey="p", ExplicitHashKey=hash_key
        )

    assert error_code(error) == "InvalidArgumentException"


def test_put_records_with_one_bad_hash_key_writes_nothing(kinesis_client):
    """API_PutRecords: a request-level error fails the whole request."""
    create_stream(kinesis_client, "s", 1)
    records = [{"Data": b"x", "PartitionKey": str(i)} for i in range(5)]
    records.append({"Data": b"x", "PartitionKey": "p", "ExplicitHashKey": str(HASH_KEY_SPACE)})

    with pytest.raises(ClientError) as error:
        kinesis_client.put_records(StreamName="s", Records=records)

    assert error_code(error) == "InvalidArgumentException"
    assert kinesis_client.get_records(ShardIterator=trim_horizon(kinesis_client))["Records"] == []


def test_partition_key_over_256_characters_is_a_validation_error(kinesis_client):
    """F6: at most 256 characters; AWS enforces it as a model constraint (ValidationException)."""
    kinesis = kinesis_client
    kinesis.create_stream(StreamName="keys", ShardCount=1)
    kinesis.put_record(StreamName="keys", Data=b"x", PartitionKey="k" * 256)
    with pytest.raises(ClientError) as error:
        kinesis.put_record(StreamName="keys", Data=b"x", PartitionKey="k" * 257)
    assert error.value.response["Error"]["Code"] == "ValidationException"
    assert "less than or equal to 256" in error.value.response["Error"]["Message"]
