"""The parameters of a Kinesis event source mapping, checked the way boto3 and Lambda check them.

SIMULATION support for :mod:`kinesis_lab.simulation.lambda_esm`. Why: learners meet these names
in ``create_event_source_mapping`` and on the exam (F34-F40), and a wrong value must fail here
exactly where it fails against AWS, so that the mistake teaches the real limit. Three layers,
as with a real ``boto3`` Lambda client:

1. boto3 itself (botocore's parameter validation, run here against botocore's own Lambda
   model): a wrong type or a value below the model's minimum raises ``ParamValidationError``
   before any request — e.g. ``BatchSize=0``.
2. The Lambda API model, server side: a value above the model's maximum or outside an enum is
   a ``ValidationException`` with the AWS-wide message shape "1 validation error detected:
   Value '10001' at 'batchSize' failed to satisfy constraint: Member must have value less
   than or equal to 10000".
3. The Lambda service: values the model allows but Lambda refuses (a record age of 0-59 s,
   F37; a destination that is not SQS, SNS or S3, F40; a missing StartingPosition) are an
   ``InvalidParameterValueException``. These messages are written in Lambda's style; only the
   error code is Lambda's own.

Layers 2 and 3 raise botocore ``ClientError`` subclasses of the ``CreateEventSourceMapping``
operation, so code that catches ``ClientError`` and reads ``error.response["Error"]["Code"]``
works unchanged against AWS.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError, ParamValidationError
from botocore.session import get_session
from botocore.validate import ParamValidator

from ..core.facts import (
    ESM_BATCH_SIZE_DEFAULT,
    ESM_BATCHING_WINDOW_DEFAULT_SECONDS,
    ESM_FUNCTION_RESPONSE_TYPES,
    ESM_INFINITE,
    ESM_MAX_RECORD_AGE_MIN_SECONDS,
    ESM_ON_FAILURE_DESTINATION_SERVICES,
    ESM_PARALLELIZATION_FACTOR_DEFAULT,
)

OPERATION = "CreateEventSourceMapping"
# A Kinesis mapping's settings, as CreateEventSourceMapping takes them and
# GetEventSourceMapping returns them (the simulation's engine and the mock's checks read these).
MAPPING_PARAMETERS = (
    "StartingPosition",
    "StartingPositionTimestamp",
    "BatchSize",
    "MaximumBatchingWindowInSeconds",
    "ParallelizationFactor",
    "BisectBatchOnFunctionError",
    "MaximumRetryAttempts",
    "MaximumRecordAgeInSeconds",
    "FunctionResponseTypes",
    "DestinationConfig",
    "TumblingWindowInSeconds",
)
STARTING_POSITIONS = ("TRIM_HORIZON", "LATEST", "AT_TIMESTAMP")
REPORT_BATCH_ITEM_FAILURES = ESM_FUNCTION_RESPONSE_TYPES[0]


class _LambdaError(ClientError):
    code = ""

    def __init__(self, message: str) -> None:
        super().__init__(
            {
                "Error": {"Code": self.code, "Message": message},
                "ResponseMetadata": {"HTTPStatusCode": 400},
            },
            OPERATION,
        )


class ValidationException(_LambdaError):
    """A value outside the Lambda API model (a range maximum or an enum)."""

    code = "ValidationException"


class InvalidParameterValueException(_LambdaError):
    """A value the model allows but Lambda refuses for a Kinesis event source."""

    code = "InvalidParameterValueException"


@dataclass(frozen=True)
class MappingSettings:
    """The checked settings, with Lambda's defaults filled in (F34-F40)."""

    function_name: str
    starting_position: str
    starting_position_timestamp: float | None
    batch_size: int
    maximum_batching_window_seconds: int
    parallelization_factor: int
    bisect_batch_on_function_error: bool
    maximum_retry_attempts: int
    maximum_record_age_seconds: int
    report_batch_item_failures: bool
    on_failure_destination: str | None
    tumbling_window_seconds: int
    enabled: bool

    def configuration(
        self, esm_uuid: str, stream_arn: str, function_arn: str, enabled: bool
    ) -> dict[str, Any]:
        """The mapping as GetEventSourceMapping shows it."""
        config: dict[str, Any] = {
            "UUID": esm_uuid,
            "StartingPosition": self.starting_position,
            "BatchSize": self.batch_size,
            "MaximumBatchingWindowInSeconds": self.maximum_batching_window_seconds,
            "ParallelizationFactor": self.parallelization_factor,
            "EventSourceArn": stream_arn,
            "FunctionArn": function_arn,
            "State": "Enabled" if enabled else "Disabled",
            "DestinationConfig": (
                {"OnFailure": {"Destination": self.on_failure_destination}}
                if self.on_failure_destination
                else {}
            ),
            "MaximumRecordAgeInSeconds": self.maximum_record_age_seconds,
            "BisectBatchOnFunctionError": self.bisect_batch_on_function_error,
            "MaximumRetryAttempts": self.maximum_retry_attempts,
            "TumblingWindowInSeconds": self.tumbling_window_seconds,
            "FunctionResponseTypes": (
                [REPORT_BATCH_ITEM_FAILURES] if self.report_batch_item_failures else []
            ),
        }
        if self.starting_position_timestamp is not None:
            config["StartingPositionTimestamp"] = self.starting_position_timestamp
        return config

    def retries_exhausted(self, retries: int) -> bool:
        """F37: -1 retries forever; otherwise a batch may be retried this many times."""
        return self.maximum_retry_attempts != ESM_INFINITE and retries > (
            self.maximum_retry_attempts
        )


@functools.lru_cache(maxsize=1)
def _input_shape() -> Any:
    """CreateEventSourceMapping's input shape from botocore's bundled Lambda model (no network)."""
    return get_session().get_service_model("lambda").operation_model(OPERATION).input_shape


def _model_errors(parameters: Mapping[str, Any]) -> list[str]:
    """Server-side model checks botocore leaves to the service: maxima and enums."""
    shape = _input_shape()
    errors = []
    for name, value in parameters.items():
        member = shape.members[name]
        where = name[0].lower() + name[1:]
        maximum = member.metadata.get("max")
        if member.type_name == "integer" and maximum is not None and value > maximum:
            errors.append(
                f"Value '{value}' at '{where}' failed to satisfy constraint: "
                f"Member must have value less than or equal to {maximum}"
            )
        if member.type_name == "string" and member.enum and value not in member.enum:
            errors.append(
                f"Value '{value}' at '{where}' failed to satisfy constraint: "
                f"Member must satisfy enum value set: [{', '.join(member.enum)}]"
            )
        if member.type_name == "list" and member.member.enum:
            if maximum is not None and len(value) > maximum:
                errors.append(
                    f"Value '{value}' at '{where}' failed to satisfy constraint: "
                    f"Member must have length less than or equal to {maximum}"
                )
            for item in value:
                if item not in member.member.enum:
                    errors.append(
                        f"Value '[{item}]' at '{where}' failed to satisfy constraint: Member "
                        f"must satisfy constraint: [Member must satisfy enum value set: "
                        f"[{', '.join(member.member.enum)}]]"
                    )
    return errors


def _destination(destination_config: Mapping[str, Any] | None) -> str | None:
    """The OnFailure ARN of a DestinationConfig: an SQS queue, SNS topic or S3 bucket (F40)."""
    if not destination_config:
        return None
    if "OnSuccess" in destination_config:
        raise InvalidParameterValueException(
            "Unsupported DestinationConfig parameter for given event source mapping type: "
            "OnSuccess. A Kinesis event source mapping supports OnFailure only."
        )
    arn = (destination_config.get("OnFailure") or {}).get("Destination")
    if not arn:
        return None
    parts = str(arn).split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] not in ESM_ON_FAILURE_DESTINATION_SERVICES:
        raise InvalidParameterValueException(
            f"The provided destination config DestinationConfig(OnFailure={arn}) is invalid: "
            "the destination must be the ARN of an Amazon SQS queue, Amazon SNS topic or "
            "Amazon S3 bucket."
        )
    return str(arn)


def _epoch_seconds(timestamp: Any) -> float | None:
    if timestamp is None:
        return None
    if isinstance(timestamp, datetime):
        return timestamp.timestamp()
    return float(timestamp)


def check_parameters(function_name: str, stream_arn: str, **parameters: Any) -> MappingSettings:
    """Check CreateEventSourceMapping parameters (given ones only) and fill in the defaults.

    Raises ``ParamValidationError``, :class:`ValidationException` or
    :class:`InvalidParameterValueException`, as boto3 + Lambda would.
    """
    given = {name: value for name, value in parameters.items() if value is not None}
    request = {"FunctionName": function_name, "EventSourceArn": stream_arn, **given}
    report = ParamValidator().validate(request, _input_shape())
    if report.has_errors():
        raise ParamValidationError(report=report.generate_report())
    errors = _model_errors(given)
    if errors:
        count = f"{len(errors)} validation error{'s' if len(errors) > 1 else ''} detected"
        raise ValidationException(f"{count}: {'; '.join(errors)}")

    position = given.get("StartingPosition")
    if position is None:
        raise InvalidParameterValueException(
            "StartingPosition is required for a Kinesis event source: "
            f"one of {', '.join(STARTING_POSITIONS)}."
        )
    timestamp = _epoch_seconds(given.get("StartingPositionTimestamp"))
    if (position == "AT_TIMESTAMP") != (timestamp is not None):
        raise InvalidParameterValueException(
            "StartingPositionTimestamp must be given with StartingPosition AT_TIMESTAMP, "
            "and only with it."
        )
    record_age = given.get("MaximumRecordAgeInSeconds", ESM_INFINITE)
    if record_age != ESM_INFINITE and record_age < ESM_MAX_RECORD_AGE_MIN_SECONDS:
        raise InvalidParameterValueException(
            f"MaximumRecordAgeInSeconds must be -1 (infinite) or at least "
            f"{ESM_MAX_RECORD_AGE_MIN_SECONDS} seconds; got {record_age}."
        )
    return MappingSettings(
        function_name=function_name,
        starting_position=position,
        starting_position_timestamp=timestamp,
        batch_size=given.get("BatchSize", ESM_BATCH_SIZE_DEFAULT),
        maximum_batching_window_seconds=given.get(
            "MaximumBatchingWindowInSeconds", ESM_BATCHING_WINDOW_DEFAULT_SECONDS
        ),
        parallelization_factor=given.get(
            "ParallelizationFactor", ESM_PARALLELIZATION_FACTOR_DEFAULT
        ),
        bisect_batch_on_function_error=given.get("BisectBatchOnFunctionError", False),
        maximum_retry_attempts=given.get("MaximumRetryAttempts", ESM_INFINITE),
        maximum_record_age_seconds=record_age,
        report_batch_item_failures=REPORT_BATCH_ITEM_FAILURES
        in given.get("FunctionResponseTypes", []),
        on_failure_destination=_destination(given.get("DestinationConfig")),
        tumbling_window_seconds=given.get("TumblingWindowInSeconds", 0),
        enabled=given.get("Enabled", True),
    )
