"""kinesis_lab — the lab toolkit of the hands-on Amazon Kinesis course.

Start a lab with::

    from kinesis_lab import start_lab
    lab = start_lab()

The session is imported lazily so that pure modules (facts, keys, data) load without boto3
or moto.
"""

from typing import Any

__version__ = "0.1.0"
__all__ = ["Lab", "LabConfigurationError", "current_lab", "start_lab"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from . import session

        return getattr(session, name)
    raise AttributeError(f"module 'kinesis_lab' has no attribute {name!r}")
