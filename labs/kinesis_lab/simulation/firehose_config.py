"""Reading and checking a Firehose stream's S3 destination configuration. SIMULATION.

Why a module: CreateDeliveryStream and UpdateDestination must refuse what AWS refuses
(buffering hints out of range F42, zero buffering with dynamic partitioning F43, transform
hints F46, prefix rules, the error prefix dynamic partitioning requires F49), and delivery
needs the same configuration as plain settings. Errors are AWS-shaped: a model constraint is a
``ValidationException`` ("1 validation error detected: ..."), a rule is an
``InvalidArgumentException``. A configuration the simulation can't reproduce (ZIP or Snappy
compression, other processors, jq beyond the subset) is refused with a message that starts
with "SIMULATION:", so nobody mistakes it for an AWS rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from moto.firehose.exceptions import InvalidArgumentException, ValidationException

from ..core.facts import (
    FIREHOSE_BUFFER_INTERVAL_SECONDS_DEFAULT,
    FIREHOSE_BUFFER_INTERVAL_SECONDS_MAX,
    FIREHOSE_BUFFER_INTERVAL_SECONDS_MIN,
    FIREHOSE_BUFFER_SIZE_MIB_DEFAULT,
    FIREHOSE_BUFFER_SIZE_MIB_MAX,
    FIREHOSE_BUFFER_SIZE_MIB_MIN,
    FIREHOSE_TRANSFORM_BUFFER_SIZE_MB_DEFAULT,
    FIREHOSE_TRANSFORM_BUFFER_SIZE_MB_MAX,
    FIREHOSE_TRANSFORM_BUFFER_SIZE_MB_MIN,
    FIREHOSE_TRANSFORM_INTERVAL_SECONDS_DEFAULT,
    FIREHOSE_TRANSFORM_INTERVAL_SECONDS_MAX,
    FIREHOSE_TRANSFORM_INTERVAL_SECONDS_MIN,
    FIREHOSE_TRANSFORM_RETRIES_DEFAULT,
    MIB,
)
from . import firehose_partitioning as partitioning

SIMULATED_PROCESSORS = ("AppendDelimiterToRecord", "Lambda", "MetadataExtraction")
SIMULATED_COMPRESSION = ("UNCOMPRESSED", "GZIP")
JQ_ENGINE = "JQ-1.6"  # F49: inline parsing is jq 1.6


@dataclass(frozen=True)
class TransformSettings:
    """A Lambda processor (F46)."""

    lambda_arn: str
    retries: int
    size_bytes: int
    interval_seconds: float


@dataclass(frozen=True)
class DestinationSettings:
    """What delivery to S3 needs, read from a checked configuration."""

    bucket: str
    prefix: str
    error_output_prefix: str
    size_bytes: int
    interval_seconds: int
    gzip: bool
    file_extension: str
    append_newline: bool
    transform: TransformSettings | None
    partitioning: bool
    query: partitioning.Query | None


def destination_config(delivery_stream: Any) -> dict[str, Any] | None:
    """The (extended) S3 destination of a moto DeliveryStream; None for other destinations.
    moto stores an ExtendedS3 destination twice (also as "S3"); the extended one wins."""
    destination = delivery_stream.destinations[0]
    return destination.get("ExtendedS3") or destination.get("S3")


def apply_defaults(config: dict[str, Any]) -> None:
    """Fill in what AWS shows in DescribeDeliveryStream when it was not given (F42)."""
    config.setdefault(
        "BufferingHints",
        {
            "SizeInMBs": FIREHOSE_BUFFER_SIZE_MIB_DEFAULT,
            "IntervalInSeconds": FIREHOSE_BUFFER_INTERVAL_SECONDS_DEFAULT,
        },
    )
    config.setdefault("CompressionFormat", "UNCOMPRESSED")


def _processors(config: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Enabled processors as ``{type: {parameter name: value}}``."""
    processing = config.get("ProcessingConfiguration") or {}
    if not processing.get("Enabled", True):
        return {}
    found: dict[str, dict[str, str]] = {}
    for processor in processing.get("Processors") or []:
        parameters = processor.get("Parameters") or []
        found[processor.get("Type", "")] = {
            p.get("ParameterName", ""): p.get("ParameterValue", "") for p in parameters
        }
    return found


def _dynamic_partitioning(config: dict[str, Any]) -> bool:
    return bool((config.get("DynamicPartitioningConfiguration") or {}).get("Enabled"))


def _hints(config: dict[str, Any]) -> tuple[int, int]:
    hints = config.get("BufferingHints") or {}
    return (
        hints.get("SizeInMBs", FIREHOSE_BUFFER_SIZE_MIB_DEFAULT),
        hints.get("IntervalInSeconds", FIREHOSE_BUFFER_INTERVAL_SECONDS_DEFAULT),
    )


def settings_of(config: dict[str, Any]) -> DestinationSettings:
    """Plain settings from a configuration that passed :func:`check`."""
    processors = _processors(config)
    size_mib, interval = _hints(config)
    dynamic = _dynamic_partitioning(config)
    query_text = processors.get("MetadataExtraction", {}).get("MetadataExtractionQuery")
    compression = config.get("CompressionFormat", "UNCOMPRESSED")
    return DestinationSettings(
        bucket=config["BucketARN"].split(":")[-1],
        prefix=config.get("Prefix") or "",
        error_output_prefix=config.get("ErrorOutputPrefix") or "",
        size_bytes=int(size_mib * MIB),
        interval_seconds=int(interval),
        gzip=compression == "GZIP",
        file_extension=config.get("FileExtension") or (".gz" if compression == "GZIP" else ""),
        append_newline="AppendDelimiterToRecord" in processors,
        transform=_transform(processors.get("Lambda")),
        partitioning=dynamic,
        query=partitioning.parse_query(query_text) if dynamic and query_text else None,
    )


def _transform(parameters: dict[str, str] | None) -> TransformSettings | None:
    if parameters is None:
        return None
    size_mb = float(parameters.get("BufferSizeInMBs", FIREHOSE_TRANSFORM_BUFFER_SIZE_MB_DEFAULT))
    return TransformSettings(
        lambda_arn=parameters.get("LambdaArn", ""),
        retries=int(parameters.get("NumberOfRetries", FIREHOSE_TRANSFORM_RETRIES_DEFAULT)),
        size_bytes=int(size_mb * MIB),
        interval_seconds=float(
            parameters.get("BufferIntervalInSeconds", FIREHOSE_TRANSFORM_INTERVAL_SECONDS_DEFAULT)
        ),
    )


# ---------------------------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------------------------


def _invalid(message: str) -> InvalidArgumentException:
    return InvalidArgumentException(message)


def _range_violations(hints: dict[str, Any], member: str) -> list[str]:
    """Model constraints of BufferingHints (API_BufferingHints, F42)."""
    bounds = {
        "SizeInMBs": (FIREHOSE_BUFFER_SIZE_MIB_MIN, FIREHOSE_BUFFER_SIZE_MIB_MAX),
        "IntervalInSeconds": (
            FIREHOSE_BUFFER_INTERVAL_SECONDS_MIN,
            FIREHOSE_BUFFER_INTERVAL_SECONDS_MAX,
        ),
    }
    violations = []
    for name, (low, high) in bounds.items():
        value = hints.get(name)
        if value is None:
            continue
        path = f"{member}.bufferingHints.{name[0].lower()}{name[1:]}"
        if value < low:
            constraint = f"greater than or equal to {low}"
        elif value > high:
            constraint = f"less than or equal to {high}"
        else:
            continue
        violations.append(
            f"Value '{value}' at '{path}' failed to satisfy constraint: "
            f"Member must have value {constraint}"
        )
    return violations


def _check_hints(config: dict[str, Any], member: str) -> None:
    hints = config.get("BufferingHints")
    if hints is None:
        return
    violations = _range_violations(hints, member)
    if violations:
        count = len(violations)
        raise ValidationException(
            f"{count} validation error{'s' if count > 1 else ''} detected: " + "; ".join(violations)
        )
    if ("SizeInMBs" in hints) != ("IntervalInSeconds" in hints):
        raise _invalid(
            "BufferingHints: if you specify SizeInMBs you must also specify "
            "IntervalInSeconds, and vice versa."
        )


def _number(parameters: dict[str, str], name: str, default: float) -> float:
    try:
        return float(parameters.get(name, default))
    except ValueError:
        raise _invalid(f"Lambda processor parameter {name} must be a number.") from None


def _check_lambda(parameters: dict[str, str]) -> None:
    """LambdaArn is required; transform hints within F46's ranges; retries a count."""
    if not parameters.get("LambdaArn"):
        raise _invalid("Processor of type Lambda requires the parameter LambdaArn.")
    size = _number(parameters, "BufferSizeInMBs", FIREHOSE_TRANSFORM_BUFFER_SIZE_MB_DEFAULT)
    if not FIREHOSE_TRANSFORM_BUFFER_SIZE_MB_MIN <= size <= FIREHOSE_TRANSFORM_BUFFER_SIZE_MB_MAX:
        raise _invalid(
            f"BufferSizeInMBs of a Lambda processor must be between "
            f"{FIREHOSE_TRANSFORM_BUFFER_SIZE_MB_MIN} and {FIREHOSE_TRANSFORM_BUFFER_SIZE_MB_MAX}."
        )
    interval = _number(
        parameters, "BufferIntervalInSeconds", FIREHOSE_TRANSFORM_INTERVAL_SECONDS_DEFAULT
    )
    low, high = FIREHOSE_TRANSFORM_INTERVAL_SECONDS_MIN, FIREHOSE_TRANSFORM_INTERVAL_SECONDS_MAX
    if not low <= interval <= high:
        raise _invalid(
            f"BufferIntervalInSeconds of a Lambda processor must be between {low} and {high}."
        )
    retries = _number(parameters, "NumberOfRetries", FIREHOSE_TRANSFORM_RETRIES_DEFAULT)
    if retries < 0 or retries != int(retries):
        raise _invalid("NumberOfRetries of a Lambda processor must be a whole number >= 0.")


def _check_simulated(config: dict[str, Any], processors: dict[str, dict[str, str]]) -> None:
    compression = config.get("CompressionFormat", "UNCOMPRESSED")
    if compression not in SIMULATED_COMPRESSION:
        raise _invalid(
            f"SIMULATION: CompressionFormat {compression} is not simulated; use "
            f"{' or '.join(SIMULATED_COMPRESSION)}."
        )
    for kind in processors:
        if kind not in SIMULATED_PROCESSORS:
            raise _invalid(
                f"SIMULATION: processor type {kind} is not simulated; the simulation runs "
                f"{', '.join(SIMULATED_PROCESSORS)}."
            )


def _check_prefixes(prefix: str, error_output_prefix: str) -> None:
    try:
        partitioning.check_prefix(prefix, error_prefix=False)
        partitioning.check_prefix(error_output_prefix, error_prefix=True)
    except partitioning.PrefixError as error:
        raise _invalid(str(error)) from None
    if partitioning.has_expressions(prefix) and not error_output_prefix:
        raise _invalid("ErrorOutputPrefix can't be null when Prefix contains expressions.")


def _check_dynamic_partitioning(
    config: dict[str, Any], processors: dict[str, dict[str, str]], prefix: str
) -> None:
    """F43, F49 and the Firehose DG on dynamic partitioning: an error prefix is required, no
    zero buffering, keys from inline jq and/or Lambda, and a Prefix that uses them."""
    if not config.get("ErrorOutputPrefix"):
        raise _invalid(
            "ErrorOutputPrefix is required when dynamic partitioning is enabled (records "
            "whose keys can't be extracted are delivered there)."
        )
    if _hints(config)[1] == 0:
        raise _invalid(
            "Zero buffering (IntervalInSeconds 0) is not available with dynamic partitioning."
        )
    extraction = processors.get("MetadataExtraction")
    if extraction is None and "Lambda" not in processors:
        raise _invalid(
            "Dynamic partitioning needs partitioning keys: a MetadataExtraction processor "
            "(inline jq) and/or a Lambda processor."
        )
    if extraction is not None:
        engine = extraction.get("JsonParsingEngine", JQ_ENGINE)
        if engine != JQ_ENGINE:
            raise _invalid(f"JsonParsingEngine must be {JQ_ENGINE}, not {engine}.")
        try:
            partitioning.parse_query(extraction.get("MetadataExtractionQuery", ""))
        except partitioning.QueryError as error:
            raise _invalid(str(error)) from None
    if not partitioning.partition_key_names(prefix):
        raise _invalid(
            "With dynamic partitioning the Prefix must use partitioning keys, e.g. "
            "customer_id=!{partitionKeyFromQuery:customer_id}/."
        )


def check(config: dict[str, Any], member: str) -> None:
    """Refuse a destination configuration AWS (or the simulation) would refuse. ``member`` is
    the request member for error paths, e.g. ``extendedS3DestinationConfiguration``."""
    _check_hints(config, member)
    processors = _processors(config)
    _check_simulated(config, processors)
    if "Lambda" in processors:
        _check_lambda(processors["Lambda"])
    prefix = config.get("Prefix") or ""
    if _dynamic_partitioning(config):
        _check_dynamic_partitioning(config, processors, prefix)
    elif partitioning.partition_key_names(prefix):
        raise _invalid("Partitioning keys in the Prefix need dynamic partitioning enabled.")
    _check_prefixes(prefix, config.get("ErrorOutputPrefix") or "")


def check_update(current: dict[str, Any], update: dict[str, Any], member: str) -> None:
    """UpdateDestination: the merged configuration must pass :func:`check`, and dynamic
    partitioning can't be switched on or off after creation (Firehose DG)."""
    merged = {**current, **update}
    if _dynamic_partitioning(merged) != _dynamic_partitioning(current):
        raise _invalid(
            "Dynamic partitioning can only be enabled when a Firehose stream is created, and "
            "can't be disabled once enabled."
        )
    check(merged, member)
