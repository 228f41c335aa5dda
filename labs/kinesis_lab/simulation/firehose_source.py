"""A Kinesis data stream as the source of a Firehose stream (F62). SIMULATION.

Real Firehose is a consumer of the stream: it "starts reading data from the LATEST position"
when the Firehose stream is created and calls GetRecords about once per second per shard
(Firehose DG "Writing to Firehose using Kinesis Data Streams"), and those calls count against
the shard's shared read throughput (F2, F3) like any other consumer's. The simulation reads
moto's stream objects directly instead — so its reads are free, never throttled, and see
every new record at each tick.

Resharding (F22): a closed parent is read to its end before its children; children are read
from their first record. With kinesis_lab.mock.fidelity installed, a parent keeps its records after
a split or merge, as in AWS.

KPL aggregation (F68): Firehose de-aggregates KPL-aggregated records read from its source
stream before the transform and the destination see them (KDS DG "Use the KPL with Amazon Data
Firehose"). :func:`_user_records` does that with AWS's own module, aws-kinesis-agg; a record
that is not in the KPL format passes through unchanged.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass, field
from typing import Any

import aws_kinesis_agg
from moto.kinesis.models import kinesis_backends

from .firehose_records import BufferedRecord, millis


def source_stream(stream_arn: str) -> Any | None:
    """moto's Stream for an ARN (arn:aws:kinesis:<region>:<account>:stream/<name>), or None."""
    parts = stream_arn.split(":")
    if len(parts) != 6 or "/" not in parts[5]:
        return None
    region, account = parts[3], parts[4]
    try:
        return kinesis_backends[account][region].describe_stream(
            stream_arn=stream_arn, stream_name=None
        )
    except Exception:  # deleted, or never existed
        return None


def _last_sequence_number(shard: Any) -> int:
    return next(reversed(shard.records), 0) if shard.records else 0


def _records_after(shard: Any, position: int) -> list[tuple[int, Any]]:
    """(sequence number, record) after ``position``, oldest first. moto appends records in
    sequence order, so new ones are at the end: walk back from the newest. (A put on another
    server thread may append meanwhile: then walk again; the rest waits for the next tick.)"""
    for _ in range(3):
        newer = []
        try:
            for sequence_number in reversed(shard.records):
                if sequence_number <= position:
                    break
                newer.append((sequence_number, shard.records[sequence_number]))
        except RuntimeError:  # "OrderedDict mutated during iteration"
            continue
        newer.reverse()
        return newer
    return []


@dataclass
class SourceReader:
    """Where Firehose is in each shard of its source stream (last sequence number read)."""

    stream_arn: str
    positions: dict[str, int] = field(default_factory=dict)

    @classmethod
    def at_latest(cls, stream_arn: str) -> SourceReader:
        """A reader that starts after the newest record of every existing shard (LATEST)."""
        reader = cls(stream_arn)
        stream = source_stream(stream_arn)
        for shard_id, shard in (stream.shards if stream is not None else {}).items():
            reader.positions[shard_id] = _last_sequence_number(shard)
        return reader

    def _parents_done(self, stream: Any, shard: Any) -> bool:
        """A child waits until each parent still in the stream is closed and read to its end."""
        for parent_id in (shard.parent, shard.adjacent_parent):
            parent = stream.shards.get(parent_id) if parent_id else None
            if parent is None:
                continue
            if parent.is_open or self.positions.get(parent_id, 0) < _last_sequence_number(parent):
                return False
        return True

    def read_new(self, arrival: float) -> list[BufferedRecord]:
        """Every record added since the last read, parents before children (shards are
        numbered in creation order, so a parent always comes before its children)."""
        stream = source_stream(self.stream_arn)
        if stream is None:
            return []
        records = []
        for shard_id, shard in sorted(stream.shards.items(), key=lambda item: item[1]._shard_id):
            if not self._parents_done(stream, shard):
                continue
            for sequence_number, record in _records_after(shard, self.positions.get(shard_id, 0)):
                for subsequence, (key, data) in enumerate(_user_records(record)):
                    records.append(
                        _buffered(shard_id, sequence_number, subsequence, key, data, arrival)
                    )
                self.positions[shard_id] = sequence_number
        return records


def _user_records(record: Any) -> list[tuple[str, bytes]]:
    """(partition key, data) of each user record in a stored record (F68): the user records of
    a KPL-aggregated record, de-aggregated by aws-kinesis-agg, or the record itself."""
    data = base64.b64decode(record.data)
    if not data.startswith(aws_kinesis_agg.MAGIC):  # the cheap test first: most are plain
        return [(record.partition_key, data)]
    from aws_kinesis_agg.deaggregator import iter_deaggregate_records  # protobuf, on demand

    # The module's Lambda-event shape keeps every user record's data base64-encoded; a record
    # whose MD5 or protobuf does not check out comes back whole, as a plain record.
    event = {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "sequenceNumber": "0",
            "approximateArrivalTimestamp": 0,
            "partitionKey": record.partition_key,
            "data": record.data,  # moto keeps it base64-encoded, as a Lambda event does
        }
    }
    return [
        (user["kinesis"]["partitionKey"], base64.b64decode(user["kinesis"]["data"]))
        for user in iter_deaggregate_records([event])
    ]


def _buffered(
    shard_id: str, sequence_number: int, subsequence: int, key: str, data: bytes, arrival: float
) -> BufferedRecord:
    return BufferedRecord(
        record_id=str(uuid.uuid4()),
        data=data,
        arrival=arrival,
        kinesis={
            "shardId": shard_id,
            "partitionKey": key,
            "approximateArrivalTimestamp": millis(arrival),
            "sequenceNumber": str(sequence_number),
            "subsequenceNumber": subsequence,
        },
    )
