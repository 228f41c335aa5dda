"""Dynamic partitioning (F49), simulated: keys from inline jq (a subset) or from the transform,
each partition buffered and delivered under its own prefix; the rules AWS enforces."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from firehose_sim_helpers import (
    LAMBDA_ARN,
    NEWLINES,
    Lab,
    create_stream,
    error_code,
    error_message,
    hints,
    json_lines,
    objects,
    processors,
    put,
)

from kinesis_lab.core.facts import KIB
from kinesis_lab.simulation import firehose

QUERY = "{customer_id: .customer_id, device: .type.device}"
PREFIX = "customer_id=!{partitionKeyFromQuery:customer_id}/device=!{partitionKeyFromQuery:device}/"
ERRORS = "errors/!{firehose:error-output-type}/"


def extraction(query: str = QUERY) -> tuple[str, dict[str, str]]:
    return ("MetadataExtraction", {"MetadataExtractionQuery": query, "JsonParsingEngine": "JQ-1.6"})


def partitioned(**overrides: Any) -> dict[str, Any]:
    settings = {
        "Prefix": PREFIX,
        "ErrorOutputPrefix": ERRORS,
        "BufferingHints": hints(1, 60),
        "DynamicPartitioningConfiguration": {"Enabled": True},
        "ProcessingConfiguration": processors(extraction(), NEWLINES),
    }
    return {**settings, **overrides}


def event(customer: str, device: str | None, n: int) -> bytes:
    record: dict[str, Any] = {"customer_id": customer, "n": n}
    if device is not None:
        record["type"] = {"device": device}
    return json.dumps(record).encode()


def test_each_record_is_delivered_under_its_own_prefix(aws: Lab) -> None:
    create_stream(aws, "by-customer", **partitioned())
    put(
        aws,
        "by-customer",
        event("a", "mobile", 1),
        event("b", "web", 2),
        event("a", "mobile", 3),
        event("a", "web", 4),
        event("b", None, 5),  # no device: partitioning fails for this record
        b"not json",
    )
    aws.clock.advance(60)
    delivered = objects(aws.s3)

    by_prefix = {key.rsplit("/", 1)[0]: body for key, body in delivered.items()}
    assert (
        by_prefix.pop("customer_id=a/device=mobile")
        == event("a", "mobile", 1) + b"\n" + event("a", "mobile", 3) + b"\n"
    )
    assert by_prefix.pop("customer_id=a/device=web") == event("a", "web", 4) + b"\n"
    assert by_prefix.pop("customer_id=b/device=web") == event("b", "web", 2) + b"\n"
    [(error_prefix, body)] = by_prefix.items()
    assert error_prefix == "errors/partitioning-failed"
    failures = json_lines(body)
    assert [base64.b64decode(f["rawData"]) for f in failures] == [event("b", None, 5), b"not json"]
    assert {f["errorCode"] for f in failures} == {"DynamicPartitioning.MetadataExtractionFailed"}
    object_name = next(key for key in delivered if key.startswith("customer_id=a/device=web/"))
    assert object_name.split("/")[-1].startswith("by-customer-1-2026-01-15-09-01-00-")


def test_partitions_fill_and_flush_on_their_own(aws: Lab) -> None:
    """Each partition has its own buffer: one reaching 1 MiB is delivered, the others wait."""
    create_stream(aws, "split-buffers", **partitioned(BufferingHints=hints(1, 300)))
    padding = KIB - len(event("a", "tv", 0)) - len(',"pad":""')
    big = json.loads(event("a", "tv", 0))
    big["pad"] = "p" * padding
    one_kib = json.dumps(big, separators=(",", ":")).encode()
    assert len(one_kib) <= KIB
    put(aws, "split-buffers", event("b", "tv", 1))
    records_per_mib = 1024 * KIB // len(one_kib)
    for start in range(0, records_per_mib + 1, 256):
        put(aws, "split-buffers", *[one_kib] * min(256, records_per_mib + 1 - start))

    assert [key.split("/")[0] for key in objects(aws.s3)] == ["customer_id=a"]
    state = firehose.buffer_state("split-buffers")
    assert state["partitions"]["b/tv"]["records"] == 1
    aws.clock.advance(300)
    assert sorted(key.split("/")[0] for key in objects(aws.s3)) == [
        "customer_id=a",
        "customer_id=a",
        "customer_id=b",
    ]


def test_keys_from_the_transform_and_a_timestamp_prefix(aws: Lab) -> None:
    """partitionKeyFromLambda: keys from the response's metadata.partitionKeys; a record the
    function gives no key goes to partitioning-failed (as in AWS's own integration test)."""

    def tenant_keys(event_: dict[str, Any], context: Any) -> dict[str, Any]:
        answers = []
        for record in event_["records"]:
            tenant = json.loads(base64.b64decode(record["data"])).get("tenant")
            keys = {"tenant": tenant} if tenant else {}
            answers.append(
                {
                    "recordId": record["recordId"],
                    "result": "Ok",
                    "data": record["data"],
                    "metadata": {"partitionKeys": keys},
                }
            )
        return {"records": answers}

    firehose.register_transform(LAMBDA_ARN, tenant_keys)
    create_stream(
        aws,
        "tenants",
        **partitioned(
            Prefix="year=!{timestamp:yyyy}/tenant=!{partitionKeyFromLambda:tenant}/",
            ProcessingConfiguration=processors(("Lambda", {"LambdaArn": LAMBDA_ARN})),
        ),
    )
    put(aws, "tenants", b'{"tenant":"north"}', b'{"tenant":"south"}', b'{"other":1}')
    firehose.deliver_now("tenants")
    prefixes = sorted(key.rsplit("/", 1)[0] for key in objects(aws.s3))
    assert prefixes == [
        "errors/partitioning-failed",
        "year=2026/tenant=north",
        "year=2026/tenant=south",
    ]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"BufferingHints": hints(64, 0)}, "Zero buffering"),
        ({"ErrorOutputPrefix": ""}, "ErrorOutputPrefix is required"),
        ({"Prefix": "plain/"}, "must use partitioning keys"),
        ({"ProcessingConfiguration": processors(NEWLINES)}, "needs partitioning keys"),
        (
            {"ProcessingConfiguration": processors(extraction('{day: .ts | strftime("%d")}'))},
            "SIMULATION",
        ),
    ],
)
def test_dynamic_partitioning_rules(aws: Lab, overrides: dict[str, Any], expected: str) -> None:
    """F43: no zero buffering; an error prefix is required; keys must come from somewhere and
    be used in the Prefix. jq beyond the subset is refused as a simulation limit."""
    with pytest.raises(ClientError) as error:
        create_stream(aws, "refused", **partitioned(**overrides))
    assert error_code(error) == "InvalidArgumentException"
    assert expected in error_message(error)


def test_prefix_rules_without_partitioning(aws: Lab) -> None:
    """Firehose DG prefix rules: expressions in Prefix need an ErrorOutputPrefix, which must
    name the error output type; partitioning keys need dynamic partitioning."""
    cases = [
        {"Prefix": "d=!{timestamp:yyyy-MM-dd}/"},
        {"Prefix": "d=!{timestamp:yyyy}/", "ErrorOutputPrefix": "err/!{timestamp:yyyy}/"},
        {"Prefix": "c=!{partitionKeyFromQuery:c}/", "ErrorOutputPrefix": ERRORS},
    ]
    for settings in cases:
        with pytest.raises(ClientError) as error:
            create_stream(aws, "refused", **settings)
        assert error_code(error) == "InvalidArgumentException"

    create_stream(
        aws,
        "dated",
        Prefix="d=!{timestamp:yyyy-MM-dd}/h=!{timestamp:HH}/",
        ErrorOutputPrefix=ERRORS,
        BufferingHints=hints(1, 0),
    )
    put(aws, "dated", b"x")
    [key] = objects(aws.s3)
    assert key.startswith("d=2026-01-15/h=09/dated-1-")


def test_dynamic_partitioning_cannot_be_switched_on_later(aws: Lab) -> None:
    create_stream(aws, "plain", BufferingHints=hints(5, 60))
    with pytest.raises(ClientError) as error:
        aws.firehose.update_destination(
            DeliveryStreamName="plain",
            CurrentDeliveryStreamVersionId="1",
            DestinationId="destinationId-000000000001",
            ExtendedS3DestinationUpdate=partitioned(),
        )
    assert error_code(error) == "InvalidArgumentException"
