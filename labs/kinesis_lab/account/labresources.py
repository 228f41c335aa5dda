"""Marking and cleaning up what labs create outside the mock.

Why: on a real AWS account every resource a lab creates costs money until it is deleted. So
when a lab runs against a real endpoint, every resource it creates gets a name prefix and a
tag, and :func:`cleanup_lab_resources` deletes exactly those — both marks must match, so
nothing the learner made outside the course is ever touched.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..clients.resources import delete_bucket, delete_stream

NAME_PREFIX = "kinesis-lab-"
TAG_KEY = "kinesis-lab"
TAG_VALUE = "course"

# The request parameter that names the resource, per service.
_NAME_PARAMS = {
    "kinesis": "StreamName",
    "firehose": "DeliveryStreamName",
    "dynamodb": "TableName",
    "s3": "Bucket",
}


def prefixed(name: str) -> str:
    return name if name.startswith(NAME_PREFIX) else NAME_PREFIX + name


def _prefix_names(service: str) -> Callable[..., None]:
    param = _NAME_PARAMS[service]

    def handler(params: dict[str, Any], context: dict[str, Any] | None = None, **_: Any) -> None:
        if isinstance(params.get(param), str):
            params[param] = prefixed(params[param])
            if isinstance(context, dict):
                context["kinesis_lab_name"] = params[param]

    return handler


def _tag_kinesis_stream(params: dict[str, Any], **_: Any) -> None:
    params.setdefault("Tags", {})[TAG_KEY] = TAG_VALUE


def _tag_list(params: dict[str, Any], **_: Any) -> None:
    tags = [t for t in params.get("Tags", []) if t.get("Key") != TAG_KEY]
    params["Tags"] = [*tags, {"Key": TAG_KEY, "Value": TAG_VALUE}]


def mark_lab_resources(clients: Mapping[str, Any]) -> None:
    """Make every resource these clients create carry the course prefix and tag."""
    for service, client in clients.items():
        if service not in _NAME_PARAMS:
            continue
        client.meta.events.register(f"before-parameter-build.{service}", _prefix_names(service))
    hooks = {
        "kinesis": ("CreateStream", _tag_kinesis_stream),
        "firehose": ("CreateDeliveryStream", _tag_list),
        "dynamodb": ("CreateTable", _tag_list),
    }
    for service, (operation, handler) in hooks.items():
        if service in clients:
            clients[service].meta.events.register(
                f"before-parameter-build.{service}.{operation}", handler
            )
    if "s3" in clients:
        s3 = clients["s3"]

        def tag_bucket(params: dict[str, Any], **_: Any) -> None:
            s3.put_bucket_tagging(
                Bucket=params["Bucket"],
                Tagging={"TagSet": [{"Key": TAG_KEY, "Value": TAG_VALUE}]},
            )

        s3.meta.events.register("after-call.s3.CreateBucket", _after_create_bucket(tag_bucket))


def _after_create_bucket(tag_bucket: Callable[..., None]) -> Callable[..., None]:
    def handler(http_response: Any, parsed: Any, model: Any, context: Any, **_: Any) -> None:
        bucket = (context or {}).get("kinesis_lab_name")
        if bucket and http_response.status_code == 200:
            tag_bucket({"Bucket": bucket})

    return handler


def _has_tag(tags: list[dict[str, str]]) -> bool:
    return any(t.get("Key") == TAG_KEY and t.get("Value") == TAG_VALUE for t in tags)


def _kinesis_targets(kinesis: Any) -> list[str]:
    names: list[str] = []
    for page in kinesis.get_paginator("list_streams").paginate():
        names += [n for n in page.get("StreamNames", []) if n.startswith(NAME_PREFIX)]
    return [n for n in names if _has_tag(kinesis.list_tags_for_stream(StreamName=n)["Tags"])]


def _firehose_targets(firehose: Any) -> list[str]:
    names = firehose.list_delivery_streams(Limit=10000)["DeliveryStreamNames"]
    found = []
    for name in (n for n in names if n.startswith(NAME_PREFIX)):
        tags = firehose.list_tags_for_delivery_stream(DeliveryStreamName=name)["Tags"]
        if _has_tag(tags):
            found.append(name)
    return found


def _dynamodb_targets(dynamodb: Any) -> list[str]:
    found = []
    for page in dynamodb.get_paginator("list_tables").paginate():
        for name in (n for n in page["TableNames"] if n.startswith(NAME_PREFIX)):
            arn = dynamodb.describe_table(TableName=name)["Table"]["TableArn"]
            if _has_tag(dynamodb.list_tags_of_resource(ResourceArn=arn).get("Tags", [])):
                found.append(name)
    return found


def _s3_targets(s3: Any) -> list[str]:
    found = []
    for bucket in s3.list_buckets().get("Buckets", []):
        name = bucket["Name"]
        if not name.startswith(NAME_PREFIX):
            continue
        try:
            tags = s3.get_bucket_tagging(Bucket=name)["TagSet"]
        except s3.exceptions.ClientError:
            continue  # no tags: not ours to delete
        if _has_tag(tags):
            found.append(name)
    return found


def find_lab_resources(clients: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(service, name) of every resource carrying both the course prefix and tag."""
    finders = {
        "kinesis": _kinesis_targets,
        "firehose": _firehose_targets,
        "dynamodb": _dynamodb_targets,
        "s3": _s3_targets,
    }
    found = []
    for service, finder in finders.items():
        if service in clients:
            found += [(service, name) for name in finder(clients[service])]
    return found


def cleanup_lab_resources(clients: Mapping[str, Any], dry_run: bool = False) -> list[str]:
    """Delete every lab-made resource; return what was (or, dry run, would be) deleted."""
    deleters = {
        "kinesis": delete_stream,  # waits out CREATING/UPDATING, then until it is gone (F120)
        "firehose": lambda c, n: c.delete_delivery_stream(DeliveryStreamName=n),
        "dynamodb": lambda c, n: c.delete_table(TableName=n),
        "s3": delete_bucket,
    }
    done = []
    for service, name in find_lab_resources(clients):
        if not dry_run:
            deleters[service](clients[service], name)
        done.append(f"{service}: {name}")
    return done
