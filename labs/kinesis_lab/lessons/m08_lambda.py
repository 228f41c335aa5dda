"""Scaffolding of lesson M8 (Lambda with Kinesis): setup, the simulated pollers, checks, fallbacks.

In M8 the learner writes the handler and makes the Lambda calls — ``create_function`` and
``create_event_source_mapping`` with BatchSize, StartingPosition, retries, record age, bisect,
an on-failure destination, ReportBatchItemFailures, ParallelizationFactor (F34-F40). This
module never makes those calls for the learner, except in the ``ensure_*`` fallbacks that keep
the lesson going after a blank "Your turn" and say so. What it does:

- setup: the function's execution role (IAM), a deployment package zipped from a handler
  written in the notebook (:func:`package`), clean re-runs (:func:`remove_function`);
- SIMULATION: :func:`run_lambda` lets Lambda's pollers run on the lab clock for the mappings
  in the account (:mod:`kinesis_lab.simulation.lambda_account`); on AWS they run by themselves;
- observation: what the handler printed to its log group, the simulated invocation log of a
  mapping, and checks that read the function and the mapping back from the account.

The rest of the lesson's helpers (events, the poison stream, the payments, the tables) live in
:mod:`kinesis_lab.lessons.m08_lambda_scenarios` and are re-exported here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from ..clients import lambda_functions
from ..core.checks import PASS_MARK, could_not_check, is_blank
from ..core.checks import failed as _fail
from ..core.checks import not_yet as _not_yet
from ..simulation.lambda_account import SimulatedLambda, load_handler
from ..simulation.lambda_esm import EventSourceMapping, Invocation, simulation_notes  # noqa: F401
from .m08_lambda_scenarios import (  # noqa: F401  (re-exported: the lesson's other scaffolding)
    ESM_PARAMETERS,
    MODE_PARAMETERS,
    POISON_DATA,
    ScoringUnavailable,
    SteadyProducer,
    analyse_run,
    batchers_by_key,
    check_decode,
    check_partial_batch_handler,
    compare_runs,
    concurrent_rounds,
    delete_stream,
    destination_documents,
    fresh_queue,
    invocation_table,
    make_context,
    make_event,
    out_of_order_keys,
    records_of_batch_info,
    run_slow_consumer,
    run_with_producer,
    score_payment,
    write_readings_with_poison,
)

RUNTIME = "python3.12"
MODULE = lambda_functions.MODULE
ROLE_NAME = "kinesis-lab-lambda-role"
TRUST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}
# The AWS managed policy a Kinesis-reading function needs (read the stream, write its logs).
KINESIS_EXECUTION_POLICY = "arn:aws:iam::aws:policy/service-role/AWSLambdaKinesisExecutionRole"
PROBE_FUNCTION = "settings-probe"

_services: dict[int, SimulatedLambda] = {}


# --- setup ------------------------------------------------------------------------------------


def lambda_role(lab: Any) -> str:
    """Setup: the function's execution role (Lambda may assume it); its ARN. Idempotent."""
    iam = lab.client("iam")
    try:
        return iam.get_role(RoleName=ROLE_NAME)["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        pass
    arn = iam.create_role(RoleName=ROLE_NAME, AssumeRolePolicyDocument=json.dumps(TRUST_POLICY))[
        "Role"
    ]["Arn"]
    try:  # the mock may not know AWS managed policies; on AWS this one exists
        iam.attach_role_policy(RoleName=ROLE_NAME, PolicyArn=KINESIS_EXECUTION_POLICY)
    except iam.exceptions.NoSuchEntityException:
        pass
    return arn


def package(*handlers: Callable[..., Any], **constants: Any) -> bytes:
    """Setup: a deployment package — ``lambda_function.py`` with ``import base64, json``, the
    given constants and the source of each handler written in the notebook — zipped, for
    ``Code={"ZipFile": ...}``. The handler must be self-contained, as on AWS: it sees only
    what its module imports, not the notebook's variables."""
    return lambda_functions.handler_zip(*handlers, **constants)


def do_nothing(event: Mapping[str, Any], context: Any) -> None:
    return None


def probe_function(lab: Any) -> str:
    """Setup: a function that does nothing, with no mappings yet, for the learner's calls to
    map streams to while trying settings; its name."""
    remove_function(lab, PROBE_FUNCTION)
    lab.client("lambda").create_function(
        FunctionName=PROBE_FUNCTION,
        Runtime=RUNTIME,
        Role=lambda_role(lab),
        Handler=f"{MODULE}.{do_nothing.__name__}",
        Code={"ZipFile": package(do_nothing)},
    )
    return PROBE_FUNCTION


def service(lab: Any) -> SimulatedLambda:
    """SIMULATION: Lambda's pollers for this lab's account (one per lab, watching for new
    mappings before every mocked request)."""
    lambda_client = lab.client("lambda")
    simulated = _services.get(id(lambda_client))
    if simulated is None:
        for previous in _services.values():  # a new lab: the old one's pollers stop watching
            previous.unwatch()
        _services.clear()
        simulated = SimulatedLambda(lambda_client, lab.kinesis).watch()
        _services[id(lambda_client)] = simulated
    return simulated


def run_lambda(lab: Any, max_seconds: float = 300) -> list[Invocation]:
    """SIMULATION: let Lambda's pollers run on the lab clock until every mapping is caught up
    (or ``max_seconds`` of lab time have passed). On AWS they poll all the time: you wait."""
    return service(lab).run_until_idle(max_seconds=max_seconds)


def mappings_of(lab: Any, function_name: str) -> list[dict[str, Any]]:
    """The function's event source mappings, as ListEventSourceMappings returns them."""
    try:
        return lab.client("lambda").list_event_source_mappings(FunctionName=function_name)[
            "EventSourceMappings"
        ]
    except lab.client("lambda").exceptions.ResourceNotFoundException:
        return []


def engine(lab: Any, function_name: str) -> EventSourceMapping:
    """SIMULATION: the simulated poller of the function's (newest) mapping: its invocation
    log, discards and IteratorAge — what Lambda's own logs and metrics would show."""
    mappings = mappings_of(lab, function_name)
    if not mappings:
        raise LookupError(f"{function_name!r} has no event source mapping")
    return service(lab).engine(mappings[-1]["UUID"])


def remove_function(lab: Any, function_name: str) -> None:
    """Setup: delete the function, its mappings and its log group if they exist (re-runs
    start clean)."""
    lambda_client = lab.client("lambda")
    for mapping in mappings_of(lab, function_name):
        lambda_client.delete_event_source_mapping(UUID=mapping["UUID"])
    try:
        lambda_client.delete_function(FunctionName=function_name)
    except lambda_client.exceptions.ResourceNotFoundException:
        pass
    clear_logs(lab, function_name)


def clear_logs(lab: Any, function_name: str) -> None:
    """Setup: delete the function's log group, so the next run's lines stand alone."""
    logs = lab.client("logs")
    try:
        logs.delete_log_group(logGroupName=f"/aws/lambda/{function_name}")
    except logs.exceptions.ResourceNotFoundException:
        pass
    service(lab).forget_logs(function_name)


def printed(lab: Any, function_name: str, prefix: str | None = None) -> list[str]:
    """What the function printed, read from its log group ``/aws/lambda/<name>`` in
    CloudWatch Logs, oldest first; with ``prefix``, only those lines, without the prefix."""
    logs = lab.client("logs")
    lines: list[str] = []
    try:
        for page in logs.get_paginator("filter_log_events").paginate(
            logGroupName=f"/aws/lambda/{function_name}"
        ):
            lines += [event["message"] for event in page["events"]]
    except logs.exceptions.ResourceNotFoundException:
        return []
    if prefix is None:
        return lines
    return [line[len(prefix) :].strip() for line in lines if line.startswith(prefix)]


# --- checks: they read the account --------------------------------------------------------------


def check_mapping(lab: Any, function_name: str, stream_arn: str, **expected: Any) -> bool:
    """✓ when the function has an Enabled mapping on the stream whose settings (as
    GetEventSourceMapping returns them) are ``expected``."""
    label = f"mapping {stream_arn.rsplit('/', 1)[-1]} → {function_name}"
    try:
        mappings = [m for m in mappings_of(lab, function_name) if m["EventSourceArn"] == stream_arn]
        if not mappings:
            return _not_yet(label, "the function has no mapping on this stream yet.")
        if len(mappings) > 1:
            return _fail(label, f"{len(mappings)} mappings", "one mapping per stream and function")
        mapping = lab.client("lambda").get_event_source_mapping(UUID=mappings[0]["UUID"])
        wrong = [
            f"{name} is {mapping.get(name)!r}, not {value!r}"
            for name, value in expected.items()
            if mapping.get(name) != value
        ]
        if wrong:
            return _fail(label, "; ".join(wrong))
        if mapping.get("State") not in ("Enabled", "Creating"):
            return _fail(label, f"its State is {mapping.get('State')}")
        settings = ", ".join(f"{name}={value}" for name, value in expected.items())
        print(f"{PASS_MARK} {label}: {settings}"[:300])
        return True
    except Exception as error:
        return could_not_check(label, error)


def check_update(lab: Any, function_name: str, stream_arn: str, **expected: Any) -> bool:
    """Like :func:`check_mapping`, for settings changed with ``update_event_source_mapping``:
    "not yet" while every one of them still has Lambda's default (F34-F40)."""
    defaults = {parameter.name: parameter.default for parameter in ESM_PARAMETERS}
    for mapping in mappings_of(lab, function_name):
        if mapping["EventSourceArn"] == stream_arn and all(
            mapping.get(name, defaults.get(name)) in (None, defaults.get(name)) for name in expected
        ):
            settings = ", ".join(f"{name}={value}" for name, value in expected.items())
            label = f"mapping {stream_arn.rsplit('/', 1)[-1]} → {function_name}"
            return _not_yet(label, f"its settings are as created (update: {settings}).")
    return check_mapping(lab, function_name, stream_arn, **expected)


def check_discarded(lab: Any, queue_url: str, condition: str, shards: int = 1) -> bool:
    """✓ when the SQS on-failure destination holds ``shards`` invocation record(s) with this
    condition (F40). Reads them without deleting them."""
    label = "on-failure destination"
    try:
        sqs = lab.client("sqs")
        attributes = sqs.get_queue_attributes(
            QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]
        count = int(attributes["ApproximateNumberOfMessages"])
        if count == 0:
            return _not_yet(label, "no invocation record has reached the queue.")
        if count != shards:
            return _fail(label, f"{count} messages, expected {shards}")
        print(f"{PASS_MARK} {label}: {count} invocation record(s) ({condition} expected)")
        return True
    except Exception as error:
        return could_not_check(label, error)


def check_refusal(refusal: Any, expected_code: str) -> bool:
    """✓ when ``refusal`` is the error code Lambda answered the learner's call with."""
    label = "Lambda's answer"
    if is_blank(refusal):
        return _not_yet(label, "refusal still holds the ... (keep the ClientError's code in it).")
    if refusal != expected_code:
        hint = 'error.response["Error"]["Code"] of the ClientError your call raised'
        return _fail(label, f"refusal is {refusal!r}", hint)
    print(f"{PASS_MARK} {label}: {refusal} — the call was refused, nothing was created")
    return True


# --- fallbacks ----------------------------------------------------------------------------------


def check_function(lab: Any, function_name: str, handler: str) -> bool:
    """✓ when the function exists with the Python runtime and ``handler``, and that handler
    loads from its deployment package."""
    return lambda_functions.check_function(lab.client("lambda"), function_name, handler, _loads)


def _loads(lambda_client: Any, function_name: str, handler: str) -> None:
    from ..simulation.lambda_account import deployment_package

    load_handler(deployment_package(lambda_client, function_name), handler)


def ensure_function(
    lab: Any, function_name: str, handler: Callable[..., Any], **constants: Any
) -> None:
    """Fallback: create the function from ``handler`` when the learner has not (yet)."""
    lambda_client = lab.client("lambda")
    try:
        lambda_client.get_function(FunctionName=function_name)
        return
    except lambda_client.exceptions.ResourceNotFoundException:
        pass
    lambda_client.create_function(
        FunctionName=function_name,
        Runtime=RUNTIME,
        Role=lambda_role(lab),
        Handler=f"{MODULE}.{handler.__name__}",
        Code={"ZipFile": package(handler, **constants)},
    )
    print(f"(so that the lesson can go on, the lab created the function {function_name!r} for you)")


def ensure_mapping(lab: Any, function_name: str, stream_arn: str, **parameters: Any) -> None:
    """Fallback: map the stream to the function when the learner has not (yet)."""
    if any(m["EventSourceArn"] == stream_arn for m in mappings_of(lab, function_name)):
        return
    lab.client("lambda").create_event_source_mapping(
        FunctionName=function_name, EventSourceArn=stream_arn, **parameters
    )
    print(f"(so that the lesson can go on, the lab mapped the stream to {function_name!r} for you)")


def ensure_settings(lab: Any, function_name: str, stream_arn: str, **settings: Any) -> None:
    """Fallback: update the function's mapping on the stream to ``settings`` when the learner
    has not (yet)."""
    for mapping in mappings_of(lab, function_name):
        if mapping["EventSourceArn"] != stream_arn:
            continue
        if any(mapping.get(name) != value for name, value in settings.items()):
            lab.client("lambda").update_event_source_mapping(UUID=mapping["UUID"], **settings)
            print(
                f"(so that the lesson can go on, the lab updated the mapping of {function_name!r})"
            )


def describe(mapping: Mapping[str, Any]) -> str:
    """A mapping's settings on one line (no UUID or dates), for printing."""
    keep = ("BatchSize", "StartingPosition", "State", "ParallelizationFactor")
    keep += ("MaximumRetryAttempts", "BisectBatchOnFunctionError", "FunctionResponseTypes")
    return ", ".join(f"{k}={mapping[k]}" for k in keep if k in mapping)
