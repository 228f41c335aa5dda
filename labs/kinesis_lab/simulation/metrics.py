"""SIMULATION of Kinesis enhanced shard-level metrics (F26), in 1-minute buckets on the lab clock.

Why: exam questions read shard-level CloudWatch graphs ("WriteProvisionedThroughputExceeded on
one shard: a hot partition key"; "IteratorAgeMilliseconds rising: the consumer falls behind"),
and moto publishes only the stream-level IncomingBytes/IncomingRecords. The limits simulation
(:mod:`kinesis_lab.simulation.limits`) reports every accepted, throttled or read record here,
so metrics exist only while limits are installed.

Two ways to look:

* :func:`shard_metrics` — rows (timestamp, shard, metric, statistic, value, unit) for any
  stream, ready for ``pandas.DataFrame(rows)`` and a plot; recorded whether or not enhanced
  monitoring is on (the lab's view, labelled SIMULATION).
* The mocked CloudWatch — like AWS, only for the metrics a learner switched on with
  ``enable_enhanced_monitoring`` (or ``ALL``): namespace ``AWS/Kinesis``, dimensions
  ``StreamName`` and ``ShardId``, so ``cloudwatch.get_metric_statistics`` finds them.

Simpler than AWS: a datapoint is published per request and shard (CloudWatch aggregates them
per period); the throttle counts appear only in minutes that had a throttle (AWS reports 0s);
a request's values all fall in the minute of its lab-clock time. Shard-level datapoints reach
CloudWatch only from the moment monitoring is enabled (AWS does not backfill either), while
:func:`shard_metrics` has everything since the limits were installed.

The mocked CloudWatch is also made to match dimensions exactly for AWS/Kinesis in
GetMetricStatistics (see :func:`get_metric_statistics_exact_dimensions`), or stream-level
queries would count the shard-level datapoints too.
"""

from __future__ import annotations

import math
import threading
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from moto.cloudwatch.models import cloudwatch_backends
from moto.kinesis.models import kinesis_backends

from . import host

NAMESPACE = "AWS/Kinesis"
BUCKET_SECONDS = 60  # F26 enhanced metrics are per minute

# F26: the enhanced shard-level metrics, their CloudWatch unit and the statistic AWS suggests
# reading them with (IteratorAge: Maximum, the oldest record a consumer saw; the rest: Sum).
METRICS: Mapping[str, tuple[str, str]] = {
    "IncomingBytes": ("Bytes", "Sum"),
    "IncomingRecords": ("Count", "Sum"),
    "OutgoingBytes": ("Bytes", "Sum"),
    "OutgoingRecords": ("Count", "Sum"),
    "WriteProvisionedThroughputExceeded": ("Count", "Sum"),
    "ReadProvisionedThroughputExceeded": ("Count", "Sum"),
    "IteratorAgeMilliseconds": ("Milliseconds", "Maximum"),
}
ALL = "ALL"  # F26: EnableEnhancedMonitoring's shorthand for every metric


@dataclass
class _Cell:
    """One metric of one shard in one minute: enough for Sum, Maximum, Minimum, SampleCount."""

    total: float = 0.0
    samples: int = 0
    maximum: float = -math.inf
    minimum: float = math.inf

    def add(self, value: float) -> None:
        self.total += value
        self.samples += 1
        self.maximum = max(self.maximum, value)
        self.minimum = min(self.minimum, value)


# Keyed by moto's Stream object: a stream deleted and re-created, or wiped by a backend reset,
# starts with no metrics, and nothing is stored on moto's objects.
_series: weakref.WeakKeyDictionary[Any, dict[tuple[int, str, str], _Cell]] = (
    weakref.WeakKeyDictionary()
)
_lock = threading.Lock()


def record(stream: Any, shard_id: str, values: Mapping[str, float], now: float) -> None:
    """Add one request's values for one shard (metric name → value), at lab time ``now``."""
    bucket = int(now // BUCKET_SECONDS) * BUCKET_SECONDS
    with _lock:
        cells = _series.setdefault(stream, {})
        for metric, value in values.items():
            cells.setdefault((bucket, shard_id, metric), _Cell()).add(value)
    _publish(stream, shard_id, values, now)


def _enabled(stream: Any, metric: str) -> bool:
    chosen = stream.shard_level_metrics
    return metric in chosen or ALL in chosen


def _publish(stream: Any, shard_id: str, values: Mapping[str, float], now: float) -> None:
    """Send the enabled metrics to the mocked CloudWatch, as AWS does once a learner calls
    EnableEnhancedMonitoring (F26)."""
    if not stream.shard_level_metrics:
        return
    timestamp = datetime.fromtimestamp(now, timezone.utc).replace(tzinfo=None)
    dimensions = [
        {"Name": "StreamName", "Value": stream.stream_name},
        {"Name": "ShardId", "Value": shard_id},
    ]
    data = [
        {
            "MetricName": metric,
            "Value": value,
            "Unit": METRICS[metric][0],
            "Dimensions": dimensions,
            "Timestamp": timestamp,
        }
        for metric, value in values.items()
        if _enabled(stream, metric)
    ]
    if data:
        cloudwatch_backends[stream.account_id][stream.region].put_metric_data(NAMESPACE, data)


class _OnlyThese:
    """Stands in for the CloudWatch backend inside moto's get_metric_statistics, which reads
    datapoints only through ``get_all_metrics()``."""

    def __init__(self, datapoints: list[Any]) -> None:
        self._datapoints = datapoints

    def get_all_metrics(self) -> list[Any]:
        return self._datapoints


def _dimension_set(dimensions: Any) -> set[tuple[Any, Any]]:
    return {
        (d.name, d.value) if hasattr(d, "name") else (d["Name"], d.get("Value")) for d in dimensions
    }


def get_metric_statistics_exact_dimensions(
    stock: Callable[..., Any],
) -> Callable[..., Any]:
    """moto's ``CloudWatchBackend.get_metric_statistics`` with AWS's exact dimension match for
    AWS/Kinesis (GetMetricStatistics: a metric is identified by *all* its dimensions). moto
    matches any superset, so once shard-level datapoints (StreamName + ShardId) exist, a
    stream-level query (StreamName) would add them in and double the stream's numbers."""

    def get_metric_statistics(
        self: Any, namespace: str, metric_name: str, *args: Any, **kwargs: Any
    ) -> Any:
        if namespace != NAMESPACE:
            return stock(self, namespace, metric_name, *args, **kwargs)
        dimensions = kwargs.get("dimensions", args[4] if len(args) > 4 else None) or []
        wanted = _dimension_set(dimensions)
        exact = [md for md in self.get_all_metrics() if _dimension_set(md.dimensions) == wanted]
        return stock(_OnlyThese(exact), namespace, metric_name, *args, **kwargs)

    return get_metric_statistics


def shard_metrics(
    stream_name: str,
    metric: str | None = None,
    *,
    region: str | None = None,
    account_id: str | None = None,
) -> list[dict[str, Any]]:
    """SIMULATION — per-shard, per-minute metrics of a mocked stream (F26), oldest first.

    Each row: ``timestamp`` (start of the minute, UTC), ``stream_name``, ``shard_id``,
    ``metric``, ``statistic`` (Sum, or Maximum for IteratorAgeMilliseconds), ``value``,
    ``unit``, ``samples``. ``metric`` picks one metric; ``region``/``account_id`` are needed
    only when streams of that name exist in several places."""
    if metric is not None and metric not in METRICS:
        raise ValueError(f"unknown shard-level metric {metric!r}; F26 lists {', '.join(METRICS)}")
    if host.remote() is not None:  # the stream lives in a local endpoint: ask it
        return host.remote().shard_metrics(
            stream_name, metric, region=region, account_id=account_id
        )
    stream = _live_stream(stream_name, region, account_id)
    if stream is None:
        return []
    with _lock:
        cells = dict(_series.get(stream, {}))
    rows = [
        _row(stream_name, bucket, shard_id, name, cell)
        for (bucket, shard_id, name), cell in cells.items()
        if metric is None or name == metric
    ]
    return sorted(rows, key=lambda row: (row["timestamp"], row["shard_id"], row["metric"]))


def _row(stream_name: str, bucket: int, shard_id: str, metric: str, cell: _Cell) -> dict[str, Any]:
    unit, statistic = METRICS[metric]
    return {
        "timestamp": datetime.fromtimestamp(bucket, timezone.utc),
        "stream_name": stream_name,
        "shard_id": shard_id,
        "metric": metric,
        "statistic": statistic,
        "value": cell.maximum if statistic == "Maximum" else cell.total,
        "unit": unit,
        "samples": cell.samples,
    }


def _live_stream(stream_name: str, region: str | None, account_id: str | None) -> Any:
    """The mocked stream of that name that exists now (metrics of deleted streams are gone)."""
    with _lock:
        known = list(_series.keys())
    matches = [
        stream
        for stream in known
        if stream.stream_name == stream_name
        and region in (None, stream.region)
        and account_id in (None, stream.account_id)
        and _exists(stream)
    ]
    if len(matches) > 1:
        raise ValueError(f"streams named {stream_name!r} exist in several places; pass region=")
    if matches:
        return matches[0]
    if _find_in_backends(stream_name, region, account_id) is None:
        raise ValueError(f"no mocked stream named {stream_name!r}")
    return None  # the stream exists but has seen no traffic yet


def _exists(stream: Any) -> bool:
    backend = kinesis_backends[stream.account_id][stream.region]
    return backend.streams.get(stream.stream_name) is stream


def _find_in_backends(stream_name: str, region: str | None, account_id: str | None) -> Any:
    for account, regions in list(kinesis_backends.items()):
        if account_id not in (None, account):
            continue
        for region_name, backend in list(regions.items()):
            if region in (None, region_name) and stream_name in backend.streams:
                return backend.streams[stream_name]
    return None
