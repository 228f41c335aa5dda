"""S3 prefixes and dynamic partitioning keys for the Firehose simulation (F49). SIMULATION.

Prefix expressions follow the Firehose DG "Custom prefixes for Amazon S3 objects":
``!{timestamp:<pattern>}`` (UTC; the arrival time of the oldest record in the object),
``!{firehose:error-output-type}`` (ErrorOutputPrefix only), ``!{firehose:random-string}``
(11 random characters), and with dynamic partitioning ``!{partitionKeyFromQuery:<key>}`` and
``!{partitionKeyFromLambda:<key>}``.

Partitioning keys from inline parsing use jq 1.6 in AWS. The simulation understands the subset
labs need — one object of keys mapped to paths::

    {customer_id: .customer_id, device: .type.device, "event-day": ."event day"}

Keys are identifiers or double-quoted strings; each value is a path of ``.name`` or
``."quoted name"`` steps into JSON objects. Anything else (pipes, functions such as
``strftime``, array indexes, literals) is refused with an error that says so: it may be valid
jq, but the simulation cannot evaluate it.
"""

from __future__ import annotations

import json
import re
import secrets
import string
from datetime import datetime, timezone
from typing import Any

EXPRESSION = re.compile(r"!\{([A-Za-z]+):([^}]*)\}")
NAMESPACES = ("timestamp", "firehose", "partitionKeyFromQuery", "partitionKeyFromLambda")
PARTITION_NAMESPACES = ("partitionKeyFromQuery", "partitionKeyFromLambda")
FIREHOSE_VALUES = ("error-output-type", "random-string")
DEFAULT_TIME_PREFIX = "yyyy/MM/dd/HH/"  # appended when a Prefix has no timestamp expression
RANDOM_STRING_LENGTH = 11  # Firehose DG: "Evaluates to a random string of 11 characters"

# Java DateTimeFormatter letters the simulation evaluates, with their strftime equivalents.
_JAVA_PATTERN_LETTERS = {
    "yyyy": "%Y",
    "yy": "%y",
    "MM": "%m",
    "dd": "%d",
    "HH": "%H",
    "mm": "%M",
    "ss": "%S",
}


class PrefixError(ValueError):
    """A Prefix or ErrorOutputPrefix the simulation refuses (the message says why)."""


class QueryError(ValueError):
    """A MetadataExtractionQuery outside the supported jq subset."""


class PartitionKeyError(ValueError):
    """A record whose partitioning keys cannot be extracted (it goes to partitioning-failed)."""


# ---------------------------------------------------------------------------------------------
# Prefix expressions
# ---------------------------------------------------------------------------------------------


def expressions(prefix: str) -> list[tuple[str, str]]:
    """Every ``(namespace, value)`` in a prefix, in order."""
    return EXPRESSION.findall(prefix or "")


def has_expressions(prefix: str) -> bool:
    return bool(expressions(prefix))


def partition_key_names(prefix: str) -> list[tuple[str, str]]:
    """The ``(namespace, key)`` pairs of the partitioning expressions in a prefix, in order."""
    return [(ns, value) for ns, value in expressions(prefix) if ns in PARTITION_NAMESPACES]


def check_prefix(prefix: str, *, error_prefix: bool) -> None:
    """Semantic rules of the Firehose DG ("Custom prefixes", rules section) that the simulation
    can check when the stream is created; raises PrefixError."""
    field = "ErrorOutputPrefix" if error_prefix else "Prefix"
    if "!{" in EXPRESSION.sub("", prefix or ""):
        raise PrefixError(f"{field}: the sequence !{{ can only appear in !{{namespace:value}}.")
    for namespace, value in expressions(prefix):
        if namespace not in NAMESPACES:
            raise PrefixError(f"{field}: unknown namespace '{namespace}' in !{{{namespace}:...}}.")
        if namespace == "firehose" and value not in FIREHOSE_VALUES:
            raise PrefixError(f"{field}: !{{firehose:{value}}} is not a firehose expression.")
        if namespace == "timestamp":
            strftime_pattern(value)
        if error_prefix and namespace in PARTITION_NAMESPACES:
            raise PrefixError(f"{field} can't contain partitioning keys.")
    used = {value for ns, value in expressions(prefix) if ns == "firehose"}
    if not error_prefix and "error-output-type" in used:
        raise PrefixError("Prefix can't contain !{firehose:error-output-type}.")
    if error_prefix and has_expressions(prefix) and "error-output-type" not in used:
        raise PrefixError(
            "ErrorOutputPrefix with expressions must contain !{firehose:error-output-type}."
        )


def strftime_pattern(java_pattern: str) -> str:
    """A Java DateTimeFormatter pattern as a strftime pattern (subset: yyyy yy MM dd HH mm ss,
    'quoted literals' and punctuation). Raises PrefixError for anything else."""
    out: list[str] = []
    position = 0
    while position < len(java_pattern):
        char = java_pattern[position]
        if char == "'":
            end = java_pattern.find("'", position + 1)
            if end < 0:
                raise PrefixError(f"timestamp pattern '{java_pattern}': unterminated quote.")
            literal = java_pattern[position + 1 : end]
            out.append(literal.replace("%", "%%") if literal else "'")
            position = end + 1
        elif char.isalpha():
            end = position
            while end < len(java_pattern) and java_pattern[end] == char:
                end += 1
            token = java_pattern[position:end]
            if token not in _JAVA_PATTERN_LETTERS:
                raise PrefixError(
                    f"SIMULATION: timestamp pattern letter(s) '{token}' are not simulated; "
                    f"use {', '.join(_JAVA_PATTERN_LETTERS)} or 'quoted text'."
                )
            out.append(_JAVA_PATTERN_LETTERS[token])
            position = end
        else:
            out.append("%%" if char == "%" else char)
            position += 1
    return "".join(out)


def format_time(java_pattern: str, timestamp: float) -> str:
    moment = datetime.fromtimestamp(timestamp, tz=timezone.utc)
    return moment.strftime(strftime_pattern(java_pattern))


def _random_string() -> str:
    alphabet = string.ascii_lowercase + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(RANDOM_STRING_LENGTH))


def evaluate(
    prefix: str,
    *,
    timestamp: float,
    partition_keys: dict[tuple[str, str], str] | None = None,
    error_output_type: str | None = None,
) -> str:
    """Evaluate every expression of a prefix. ``partition_keys`` maps ``(namespace, key)`` to
    the record's value; ``timestamp`` is the oldest record's arrival (Firehose DG)."""

    def replace(match: re.Match[str]) -> str:
        namespace, value = match.group(1), match.group(2)
        if namespace == "timestamp":
            return format_time(value, timestamp)
        if namespace == "firehose" and value == "error-output-type":
            return error_output_type or ""
        if namespace == "firehose":
            return _random_string()
        return (partition_keys or {})[(namespace, value)]

    return EXPRESSION.sub(replace, prefix or "")


def object_prefix(
    prefix: str, *, timestamp: float, partition_keys: dict[tuple[str, str], str], dynamic: bool
) -> str:
    """The evaluated Prefix of a delivered object. Without a timestamp expression, Firehose
    appends ``!{timestamp:yyyy/MM/dd/HH/}`` (the "YYYY/MM/DD/HH/" default); with dynamic
    partitioning the partition keys take that role (Firehose DG example keys)."""
    evaluated = evaluate(prefix, timestamp=timestamp, partition_keys=partition_keys)
    uses_time = any(ns == "timestamp" for ns, _ in expressions(prefix))
    if not uses_time and not dynamic:
        evaluated += format_time(DEFAULT_TIME_PREFIX, timestamp)
    return evaluated


def error_prefix(
    prefix: str, error_output_prefix: str, *, timestamp: float, error_output_type: str
) -> str:
    """Where failed records go. No ErrorOutputPrefix: ``<Prefix><error-output-type>/YYYY/MM/DD/
    HH/`` (Firehose DG rules; the slash after the type is what AWS writes, e.g.
    ``processing-failed/2019/11/29/09/``). Otherwise the ErrorOutputPrefix, evaluated."""
    if not error_output_prefix:
        return f"{prefix}{error_output_type}/{format_time(DEFAULT_TIME_PREFIX, timestamp)}"
    return evaluate(error_output_prefix, timestamp=timestamp, error_output_type=error_output_type)


# ---------------------------------------------------------------------------------------------
# Inline parsing: the jq subset
# ---------------------------------------------------------------------------------------------

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_QUOTED = r'"(?:[^"\\]|\\.)*"'
_STEP = rf"\.(?:{_NAME}|{_QUOTED})"
_ENTRY = re.compile(rf"\s*({_NAME}|{_QUOTED})\s*:\s*((?:{_STEP})+)\s*(,|$)")
_STEPS = re.compile(rf"\.({_NAME}|{_QUOTED})")

Query = dict[str, tuple[str, ...]]


def _unquote(token: str) -> str:
    return json.loads(token) if token.startswith('"') else token


def parse_query(query: str) -> Query:
    """``{key: .path, ...}`` as ``{key: (step, ...)}``; QueryError for anything else."""
    text = (query or "").strip()
    unsupported = QueryError(
        f"SIMULATION: the MetadataExtractionQuery {query!r} is outside the jq subset the "
        "simulation evaluates: one object of keys mapped to paths, e.g. "
        "{customer_id: .customer_id, device: .type.device}."
    )
    if not (text.startswith("{") and text.endswith("}")):
        raise unsupported
    body, position, parsed = text[1:-1], 0, {}
    while position < len(body):
        match = _ENTRY.match(body, position)
        if match is None:
            raise unsupported
        key = _unquote(match.group(1))
        parsed[key] = tuple(_unquote(step) for step in _STEPS.findall(match.group(2)))
        position = match.end()
        if match.group(3) == "" and position < len(body):
            raise unsupported
    if not parsed:
        raise unsupported
    return parsed


def _key_text(name: str, value: Any) -> str:
    """A jq result as partition key text: strings as they are, numbers and booleans as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return json.dumps(value)
    kind = "null (missing)" if value is None else type(value).__name__
    raise PartitionKeyError(f"partition key '{name}' evaluated to {kind}, not a scalar value")


def extract_keys(query: Query, data: bytes) -> dict[str, str]:
    """Evaluate the query against one record (JSON); PartitionKeyError if it can't."""
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, ValueError):
        raise PartitionKeyError("Non JSON record provided") from None
    keys = {}
    for name, steps in query.items():
        value: Any = document
        for step in steps:
            if value is not None and not isinstance(value, dict):
                raise PartitionKeyError(f"cannot index {type(value).__name__} with '{step}'")
            value = None if value is None else value.get(step)
        keys[name] = _key_text(name, value)
    return keys


def lambda_keys(metadata: Any) -> dict[str, str]:
    """``metadata.partitionKeys`` of a transform response record, as text."""
    keys = (metadata or {}).get("partitionKeys") if isinstance(metadata, dict) else None
    if not isinstance(keys, dict):
        return {}
    return {str(name): _key_text(str(name), value) for name, value in keys.items()}


def record_partition(
    prefix: str, query_keys: dict[str, str], lambda_keys_: dict[str, str]
) -> dict[tuple[str, str], str]:
    """The values of every partitioning expression in the Prefix for one record."""
    values = {}
    for namespace, name in partition_key_names(prefix):
        source = query_keys if namespace == "partitionKeyFromQuery" else lambda_keys_
        if name not in source:
            raise PartitionKeyError(f"partition key '{name}' ({namespace}) was not found")
        values[(namespace, name)] = source[name]
    return values
