"""Checks for the exercises in which the learner makes the AWS calls: they observe the account.

Why: when a lesson asks "create an on-demand stream" or "split the hot shard", the check must
look at what exists in the (mocked) account afterwards — the stream's mode and shard count,
the records stored, the item in the table, the policy attached — not re-run or copy the
learner's code. So the same check works whatever correct call shape the learner chose, and on
LocalStack or real AWS too. Like :mod:`kinesis_lab.core.checks`, every check prints ✓ / ✗ / "not yet"
lines and never raises: a blank exercise says "not yet".

The rule these helpers follow (issue 11, design.md): a helper may set up, generate data, check
or draw; it never makes the call a lesson teaches. ``remove_*`` clear the way so an exercise
cell can be re-run; ``ensure_*`` are the lesson's fallbacks — when the learner has not (yet)
built something later cells need, they build it and say so, so the lesson keeps flowing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from ..clients.readers import list_all_shards, read_shard
from ..clients.resources import WAIT
from ..clients.resources import delete_stream as remove_stream  # the lessons' name
from ..core.checks import PASS_MARK
from ..core.checks import could_not_check as _could_not
from ..core.checks import failed as _fail
from ..core.checks import not_yet as _not_yet

# --- streams ------------------------------------------------------------------------------------


def stream_summary(kinesis: Any, name: str) -> dict[str, Any] | None:
    """DescribeStreamSummary of a stream, or None when there is no such stream."""
    try:
        return kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    except kinesis.exceptions.ResourceNotFoundException:
        return None


def stream_mode(summary: Mapping[str, Any]) -> str:
    return summary.get("StreamModeDetails", {}).get("StreamMode", "PROVISIONED")


def check_stream(
    kinesis: Any,
    name: str,
    mode: str,
    shards: int | None = None,
    hint: str | None = None,
    was: tuple[str, int | None] | None = None,
) -> bool:
    """✓ when the stream exists, is ACTIVE, in ``mode``, with ``shards`` open shards.

    ``was``: (mode, open shards) before the exercise — a stream still like that is "not yet"
    (the exercise changes an existing stream)."""
    label = f"stream {name!r}"
    try:
        summary = stream_summary(kinesis, name)
        if summary is None:
            return _not_yet(label, "there is no such stream yet.")
        found = stream_mode(summary)
        if was is not None and (found, summary["OpenShardCount"]) == (
            was[0],
            was[1] if was[1] is not None else summary["OpenShardCount"],
        ):
            return _not_yet(label, f"it is still {found} with {summary['OpenShardCount']} shards.")
        if found != mode:
            return _fail(label, f"its capacity mode is {found}, not {mode}", hint)
        if shards is not None and summary["OpenShardCount"] != shards:
            return _fail(label, f"it has {summary['OpenShardCount']} open shards, not {shards}")
        if summary["StreamStatus"] != "ACTIVE":
            return _fail(label, f"it is {summary['StreamStatus']}", "wait until it is ACTIVE")
        count = f", {summary['OpenShardCount']} open shards" if shards is not None else ""
        print(f"{PASS_MARK} {label}: {found}{count}, ACTIVE")
        return True
    except Exception as error:
        return _could_not(label, error)


def ensure_stream(kinesis: Any, name: str, shards: int | None = None) -> None:
    """Fallback: make sure the stream later cells use exists as described (``shards=None``:
    on-demand), creating it only when it is missing or different, and saying so."""
    summary = stream_summary(kinesis, name)
    wanted = "ON_DEMAND" if shards is None else "PROVISIONED"
    if (
        summary is not None
        and stream_mode(summary) == wanted
        and (shards is None or summary["OpenShardCount"] == shards)
    ):
        return
    remove_stream(kinesis, name)
    if shards is None:
        kinesis.create_stream(StreamName=name, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    else:
        kinesis.create_stream(StreamName=name, ShardCount=shards)
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig=WAIT)
    size = "on-demand" if shards is None else f"{shards} shards"
    print(f"(so that the lesson can go on, the lab created {name!r}, {size}, for you)")


def _stored(kinesis: Any, stream: str) -> list[dict[str, Any]]:
    records = []
    for shard in list_all_shards(kinesis, stream):
        for record in read_shard(kinesis, stream, shard["ShardId"]):
            records.append({**record, "ShardId": shard["ShardId"]})
    return records


def check_records_stored(
    kinesis: Any,
    stream: str,
    expected: Mapping[str, bytes],
    reported: Mapping[str, Any] | None = None,
) -> bool:
    """✓ for each partition key whose record (key and data) is in the stream — and, when
    ``reported`` maps key → ShardId as the learner's code saw it, sits in that shard."""
    label = f"records in {stream!r}"
    try:
        stored = _stored(kinesis, stream)
        where = {}
        for record in stored:
            key = record["PartitionKey"]
            if key in expected and record["Data"] == expected[key]:
                where.setdefault(key, record["ShardId"])
        if not where:
            return _not_yet(label, "none of the records is in the stream yet.")
        if len(expected) > 10:  # a whole batch: one line
            missing = [key for key in expected if key not in where]
            if missing:
                return _fail(label, f"{len(missing)} of {len(expected)} records are missing")
            print(f"{PASS_MARK} {label}: all {len(expected)} records stored")
            return True
        right = 0
        for key in expected:
            if key not in where:
                _fail(f"record {key!r}", "not in the stream", "write one record per key")
            elif reported is not None and reported.get(key) != where[key]:
                _fail(
                    f"record {key!r}",
                    f"stored in {where[key]}, but you noted {reported.get(key, 'nothing')!r}",
                    "keep the ShardId that PutRecord returns",
                )
            else:
                right += 1
                print(f"{PASS_MARK} record {key!r}: stored in {where[key]}")
        return right == len(expected)
    except Exception as error:
        return _could_not(label, error)


def check_split(kinesis: Any, stream: str, parent: str) -> bool:
    """✓ when ``parent`` is CLOSED and has two OPEN children whose ranges cover its own."""
    label = f"split of {parent}"
    try:
        shards = list_all_shards(kinesis, stream)
        children = [s for s in shards if s.get("ParentShardId") == parent]
        if not children:
            return _not_yet(label, f"{parent} has no children yet.")
        closed = [s for s in shards if s["ShardId"] == parent][0]
        if "EndingSequenceNumber" not in closed.get("SequenceNumberRange", {}):
            return _fail(label, f"{parent} is still open")
        if len(children) != 2 or any(c.get("AdjacentParentShardId") for c in children):
            return _fail(label, "that is not a split into two children", "use SplitShard")
        children.sort(key=lambda s: int(s["HashKeyRange"]["StartingHashKey"]))
        at = children[1]["HashKeyRange"]["StartingHashKey"]
        print(
            f"{PASS_MARK} {label}: CLOSED; children {children[0]['ShardId']} and "
            f"{children[1]['ShardId']} (the upper one starts at {at})"
        )
        return True
    except Exception as error:
        return _could_not(label, error)


def check_enhanced_monitoring(kinesis: Any, stream: str, metrics: Iterable[str]) -> bool:
    """✓ when the stream's enhanced shard-level metrics include every one of ``metrics``."""
    label = f"enhanced monitoring of {stream!r}"
    wanted = set(metrics)
    try:
        description = kinesis.describe_stream(StreamName=stream)["StreamDescription"]
        enabled = {
            m
            for entry in description["EnhancedMonitoring"]
            for m in entry.get("ShardLevelMetrics", [])
        }
        if not enabled:
            return _not_yet(label, "no shard-level metric is enabled yet.")
        if "ALL" in enabled:
            return _fail(label, "ALL is on", "name only the metrics you need: each one costs")
        missing = sorted(wanted - enabled)
        if missing:
            return _fail(label, f"{', '.join(missing)} not enabled")
        print(f"{PASS_MARK} {label}: {', '.join(sorted(enabled))}")
        return True
    except Exception as error:
        return _could_not(label, error)


def check_encryption(kinesis: Any, stream: str, key_id: str) -> bool:
    """✓ when the stream is encrypted with KMS and the given key."""
    label = f"encryption of {stream!r}"
    try:
        summary = stream_summary(kinesis, stream)
        if summary is None:
            return _fail(label, "there is no such stream")
        if summary.get("EncryptionType", "NONE") == "NONE":
            return _not_yet(label, "the stream is not encrypted yet.")
        if summary["EncryptionType"] != "KMS" or summary.get("KeyId") != key_id:
            return _fail(
                label,
                f"EncryptionType {summary['EncryptionType']}, KeyId {summary.get('KeyId')!r}",
                f"EncryptionType='KMS' with KeyId={key_id!r}",
            )
        if summary["StreamStatus"] != "ACTIVE":
            return _fail(label, f"it is {summary['StreamStatus']}", "wait until it is ACTIVE")
        print(f"{PASS_MARK} {label}: KMS with {key_id}, ACTIVE")
        return True
    except Exception as error:
        return _could_not(label, error)


# --- DynamoDB -----------------------------------------------------------------------------------


def check_idempotent_sink(
    store_once: Callable[[Any], Any],
    dynamodb: Any,
    table: str,
    records: Sequence[Mapping[str, Any]],
    key: str,
    expected: Mapping[str, Mapping[str, Any]],
) -> bool:
    """✓ when the table holds one item per event (``expected``: key value → attributes) and a
    repeated event leaves its item alone — observed by marking one item, then writing its
    event again through ``store_once``: a conditional write must leave the mark in place."""
    label = f"idempotent sink into {table!r}"
    try:
        items = dynamodb.scan(TableName=table)["Items"]
        if not items:
            return _not_yet(label, "the table is empty.")
        found = {item[key]["S"]: item for item in items if key in item}
        missing = [k for k in expected if k not in found]
        if missing:
            return _fail(label, f"{len(missing)} of {len(expected)} events missing")
        for k, attributes in expected.items():
            for name, value in attributes.items():
                stored = found[k].get(name)
                stored = next(iter(stored.values())) if stored else None
                if str(stored) != str(value):
                    return _fail(label, f"item {k}: {name} is {stored!r}, not {value!r}")
        print(f"{PASS_MARK} {label}: {len(found)} items, one per event")
        record = records[0]
        first = json.loads(record["Data"])[key]
        dynamodb.update_item(
            TableName=table,
            Key={key: {"S": first}},
            UpdateExpression="SET check_mark = :m",
            ExpressionAttributeValues={":m": {"S": "still here"}},
        )
        again = store_once(record)
        item = dynamodb.get_item(TableName=table, Key={key: {"S": first}})["Item"]
        dynamodb.update_item(
            TableName=table, Key={key: {"S": first}}, UpdateExpression="REMOVE check_mark"
        )
        if "check_mark" not in item:
            return _fail(
                label,
                "writing a duplicate replaced the item",
                "PutItem with ConditionExpression='attribute_not_exists(...)'",
            )
        if again is not False:
            return _fail(
                label,
                f"for a duplicate your function returned {again!r}, not False",
                "catch ConditionalCheckFailedException and return False",
            )
        print(f"{PASS_MARK} {label}: a duplicate left the item untouched and returned False")
        return True
    except Exception as error:
        return _could_not(label, error)


# --- IAM policies --------------------------------------------------------------------------------


def remove_iam_policy(iam: Any, arn: str) -> None:
    """Setup: delete a customer managed IAM policy (and its other versions) if it exists, so
    the exercise cell that creates it can be re-run."""
    try:
        for version in iam.list_policy_versions(PolicyArn=arn)["Versions"]:
            if not version["IsDefaultVersion"]:
                iam.delete_policy_version(PolicyArn=arn, VersionId=version["VersionId"])
        iam.delete_policy(PolicyArn=arn)
    except iam.exceptions.NoSuchEntityException:
        pass


def _statements(document: Any) -> list[dict[str, Any]]:
    if isinstance(document, str):
        document = json.loads(document)
    statements = document.get("Statement", [])
    return [statements] if isinstance(statements, dict) else list(statements)


def _listed(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


def check_iam_policy(
    iam: Any, arn: str, needed: Mapping[str, Iterable[str]], allowed_extra: Iterable[str] = ()
) -> bool:
    """✓ when the IAM policy exists and its default version allows exactly the ``needed``
    actions (resource ARN → the actions needed on it) — no wildcard, nothing more. Read with
    GetPolicy and GetPolicyVersion, as the account keeps it."""
    label = f"IAM policy {arn.rsplit('/', 1)[-1]!r}"
    try:
        try:
            version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
        except iam.exceptions.NoSuchEntityException:
            return _not_yet(label, "there is no such policy yet.")
        document = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"][
            "Document"
        ]
        granted: dict[str, set[str]] = {}
        for item in _statements(document):
            if item.get("Effect") != "Allow":
                continue
            for resource in _listed(item.get("Resource")):
                granted.setdefault(resource, set()).update(_listed(item.get("Action")))
        extra = set(allowed_extra)
        problems = []
        for resource, actions in granted.items():
            if "*" in resource:
                problems.append(f"a wildcard resource {resource!r}")
            wide = sorted(a for a in actions if "*" in a)
            if wide:
                problems.append(f"wildcard actions {', '.join(wide)}")
        for resource, actions in needed.items():
            missing = set(actions) - granted.get(resource, set())
            if missing:
                problems.append(f"missing {', '.join(sorted(missing))} on {resource}")
        for resource, actions in granted.items():
            more = actions - set(needed.get(resource, ())) - extra
            if more and not any("*" in a for a in more):
                problems.append(f"more than needed: {', '.join(sorted(more))} on {resource}")
        if problems:
            return _fail(label, "; ".join(problems), "least privilege: these actions, this ARN")
        count = sum(len(set(actions)) for actions in needed.values())
        print(f"{PASS_MARK} {label}: least privilege — {count} actions, no wildcard")
        return True
    except Exception as error:
        return _could_not(label, error)


# --- resource policies -------------------------------------------------------------------------


def stored_resource_policy(kinesis: Any, arn: str) -> dict[str, Any] | None:
    """The resource-based policy attached to a stream, or None."""
    text = kinesis.get_resource_policy(ResourceARN=arn).get("Policy")
    if not text or text == "{}":
        return None
    return json.loads(text)


def check_resource_policy(
    kinesis: Any,
    arn: str,
    evaluate_access: Callable[..., Any],
    principal: str,
    identity_policy: Mapping[str, Any],
    allowed: Iterable[str],
    denied: Iterable[str],
) -> bool:
    """✓ when the policy attached to the stream lets ``principal`` (with its identity policy)
    do each ``allowed`` action and not the ``denied`` ones, under the course's evaluator."""
    label = "the stream's resource policy"
    try:
        document = stored_resource_policy(kinesis, arn)
        if document is None:
            return _not_yet(label, "no policy is attached to the stream yet.")
        right = True
        for action, should in [(a, True) for a in allowed] + [(a, False) for a in denied]:
            decision = evaluate_access(principal, action, arn, identity_policy, document)
            if decision.allowed != should:
                right = _fail(
                    f"{action} by {principal.split(':')[4]}",
                    f"{decision.effect} — {decision.reason}",
                    "Principal: the other account's root ARN; only the reading actions",
                )
        if right:
            print(
                f"{PASS_MARK} {label}: the other account may read "
                f"({', '.join(sorted(allowed))}) and nothing else"
            )
        return right
    except Exception as error:
        return _could_not(label, error)


def ensure_enhanced_monitoring(kinesis: Any, stream: str, metrics: Sequence[str]) -> None:
    """Fallback: switch the shard-level metrics on when the learner has not (yet), saying so."""
    description = kinesis.describe_stream(StreamName=stream)["StreamDescription"]
    enabled = {m for e in description["EnhancedMonitoring"] for m in e.get("ShardLevelMetrics", [])}
    if set(metrics) <= enabled:
        return
    kinesis.enable_enhanced_monitoring(StreamName=stream, ShardLevelMetrics=list(metrics))
    print(f"(so that the lesson can go on, the lab switched on {', '.join(metrics)} for you)")


def ensure_split(kinesis: Any, stream: str, shard_id: str, hash_key: int) -> None:
    """Fallback: split the shard at ``hash_key`` when the learner has not (yet), saying so."""
    if any(s.get("ParentShardId") == shard_id for s in list_all_shards(kinesis, stream)):
        return
    kinesis.split_shard(StreamName=stream, ShardToSplit=shard_id, NewStartingHashKey=str(hash_key))
    kinesis.get_waiter("stream_exists").wait(StreamName=stream, WaiterConfig=WAIT)
    print(f"(so that the lesson can go on, the lab split {shard_id} at {hash_key} for you)")


def remove_resource_policy(kinesis: Any, arn: str) -> None:
    """Setup: detach a stream's resource-based policy if it has one (re-runs start clean)."""
    try:
        kinesis.delete_resource_policy(ResourceARN=arn)
    except kinesis.exceptions.ResourceNotFoundException:
        pass


def ensure_resource_policy(kinesis: Any, arn: str, document: Mapping[str, Any]) -> None:
    """Fallback: attach ``document`` when the stream has no resource policy yet, saying so."""
    if stored_resource_policy(kinesis, arn) is None:
        kinesis.put_resource_policy(ResourceARN=arn, Policy=json.dumps(document))
        print("(so that the lesson can go on, the lab attached the course's policy for you)")
