"""Names shared by the tests of the Lambda event source mapping SIMULATION."""

from __future__ import annotations

import base64
import json
from typing import Any

REGION = "us-east-1"
ACCOUNT = "123456789012"


def data_of(record: dict[str, Any]) -> str:
    """The decoded data of an event record."""
    return base64.b64decode(record["kinesis"]["data"]).decode()


def recorder() -> tuple[Any, list[dict[str, Any]]]:
    """A handler that keeps every event it receives, and the list it keeps them in."""
    seen: list[dict[str, Any]] = []

    def handler(event: dict[str, Any], context: Any) -> None:
        seen.append(event)

    return handler, seen


def received(seen: list[dict[str, Any]]) -> list[str]:
    """The data of every record the handler received, in order."""
    return [data_of(record) for event in seen for record in event["Records"]]


def payload_bytes(event: dict[str, Any]) -> int:
    return len(json.dumps(event))
