"""The Direct PUT throughput quota of a Firehose stream (F45). SIMULATION.

Why: moto accepts any amount of data, so ``FailedPutCount`` is always 0 and a producer's
"resend only the failed records" loop never runs. AWS limits Direct PUT per stream (F45:
500,000 records/s, 2,000 requests/s and 5 MiB/s in us-east-1, us-west-2 and eu-west-1;
100,000 / 1,000 / 1 MiB/s elsewhere; not with a Kinesis data stream as source), and
PutRecordBatch answers per record: an accepted record gets a ``RecordId``, a failed one an
``ErrorCode`` (``ServiceUnavailableException`` or ``InternalFailure``) and ``ErrorMessage``
(the SDK's documentation of PutRecordBatch).

Simpler than AWS: the quota is counted per second of the lab clock, in records and bytes
(not requests), with no burst allowance; the ErrorMessage is the simulation's.
"""

from __future__ import annotations

from typing import Any

from moto.firehose.exceptions import FirehoseException

from ..core.facts import (
    FIREHOSE_DIRECT_PUT_LARGE,
    FIREHOSE_DIRECT_PUT_LARGE_REGIONS,
    FIREHOSE_DIRECT_PUT_OTHER,
    MIB,
)

SLOW_DOWN = "Slow down."
_WINDOW = "_kinesis_lab_direct_put_window"  # on the stream's simulation state


class ServiceUnavailableException(FirehoseException):
    """PutRecord beyond the stream's Direct PUT quota (F45)."""

    def __init__(self, message: str = SLOW_DOWN):
        super().__init__("ServiceUnavailableException", message)


FAILED = {"ErrorCode": "ServiceUnavailableException", "ErrorMessage": SLOW_DOWN}


def within_quota(state: Any, region: str, size: int, now: float) -> bool:
    """Count one record of ``size`` bytes against the stream's quota for this lab second;
    False (and not counted) when it does not fit."""
    records_quota, _, mib_quota = (
        FIREHOSE_DIRECT_PUT_LARGE
        if region in FIREHOSE_DIRECT_PUT_LARGE_REGIONS
        else FIREHOSE_DIRECT_PUT_OTHER
    )
    window = state.__dict__.setdefault(_WINDOW, [-1, 0, 0])  # second, records, bytes
    second = int(now // 1)
    if window[0] != second:
        window[:] = [second, 0, 0]
    if window[1] + 1 > records_quota or window[2] + size > mib_quota * MIB:
        return False
    window[1] += 1
    window[2] += size
    return True
