"""What the labs simulate, how, and where the simulation is simpler than AWS — one home.

Why: a learner must always know whether a behaviour comes from the mock (moto, with the
course's fixes), from the course's SIMULATION, or only from the text. This catalogue is the
single source of the "What is simulated" page on the site and of the section in lesson 00;
the simpler-than-AWS notes are read from the simulation modules themselves, so the page
cannot drift from the code.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import firehose, lambda_esm


@dataclass(frozen=True)
class Simulated:
    behaviour: str
    facts: str
    how: str


FIXED_IN_THE_MOCK = (
    Simulated(
        "After a split, merge or UpdateShardCount, new writes go only to OPEN shards; the "
        "CLOSED parent keeps its records and ends with no NextShardIterator and ChildShards",
        "F22",
        "fix to moto (kinesis_lab.mock.fidelity)",
    ),
    Simulated(
        "Merging adjacent shards in either order; UpdateShardCount reaches exactly the target "
        "and refuses more than 2x, less than 1/2 or over 10,000",
        "F21, F22",
        "fix to moto",
    ),
    Simulated(
        "ExplicitHashKey up to 2^128 - 1 (inclusive ranges); 256-character partition keys",
        "F6",
        "fix to moto",
    ),
    Simulated(
        "AWS error codes instead of crashes (bad iterators, missing arguments, GetRecords "
        "Limit above 10,000); sequence numbers shaped like AWS's 56-digit strings",
        "F3, F7, F10",
        "fix to moto",
    ),
    Simulated(
        "Lambda refuses Kinesis event source mapping settings outside AWS's ranges "
        "(ValidationException) or that the Lambda API allows but Lambda refuses: a record age "
        "of 0-59 s, an on-failure destination other than SQS, SNS or S3, no StartingPosition "
        "(InvalidParameterValueException)",
        "F34-F40",
        "fix to moto (kinesis_lab.mock.lambda_fidelity)",
    ),
)

SIMULATED = (
    Simulated(
        "Per-shard writes: 1 MiB/s or 1,000 records/s; PutRecord throttles, PutRecords "
        "partially fails (FailedRecordCount, per-record ErrorCode)",
        "F1, F5",
        "SIMULATION on the lab clock (kinesis_lab.simulation.limits)",
    ),
    Simulated(
        "Per-shard reads: 5 GetRecords calls/s and 2 MiB/s; a 10 MiB read blocks the shard "
        "for about 5 s",
        "F2, F3, F66",
        "SIMULATION on the lab clock",
    ),
    Simulated(
        "Shard iterators expire 5 minutes after they are issued (ExpiredIteratorException)",
        "F9",
        "SIMULATION on the lab clock",
    ),
    Simulated(
        "Record size: 1 MiB by default, up to 10 MiB with UpdateMaxRecordSize; PutRecords "
        "requests up to 10 MiB",
        "F4, F5",
        "SIMULATION (a real UpdateMaxRecordSize action on the mock)",
    ),
    Simulated(
        "On-demand default capacity (4 MB/s and 4,000 records/s in, 8 MB/s out) and the "
        "per-partition-key cap",
        "F11, F63",
        "SIMULATION (4 shards x per-shard limits)",
    ),
    Simulated(
        "UpdateShardCount: at most 10 scalings per stream in a rolling 24 hours "
        "(LimitExceededException for the 11th; refused calls do not count)",
        "F21",
        "SIMULATION on the lab clock",
    ),
    Simulated(
        "Lifecycle states: a stream CREATING, UPDATING (split, merge, UpdateShardCount, "
        "encryption, mode switch) or DELETING, a consumer CREATING or DELETING, for 1 s of the "
        "lab clock (on a simulated clock, until a describe call has shown it); "
        "ResourceInUseException for changing a stream that is not ACTIVE; consumer ARNs end in "
        "their creation time; a consumer name used twice on a stream, and DeleteStream of a "
        "stream with consumers without EnforceConsumerDeletion=True, get ResourceInUseException "
        "(moto accepts both); on the real clock a waiter polls every 1.05 s, not every 10 s",
        "F120, F121, F122, F123",
        "SIMULATION on the lab clock (kinesis_lab.simulation.lifecycle)",
    ),
    Simulated(
        "Enhanced shard-level metrics per minute, published to the mocked CloudWatch when enabled",
        "F26",
        "SIMULATION (kinesis_lab.simulation.metrics)",
    ),
    Simulated(
        "Amazon Data Firehose buffering by size or interval (whichever first), newline "
        "delimiter, GZIP, Kinesis stream as source (KPL records de-aggregated with "
        "aws-kinesis-agg), Lambda transformation contract, dynamic partitioning",
        "F42, F43, F44, F46, F49, F68",
        "SIMULATION (kinesis_lab.simulation.firehose)",
    ),
    Simulated(
        "Lambda event source mapping for Kinesis: batching, window, parallelization, bisect, "
        "retries, record age, partial batch responses, on-failure destinations, iterator age",
        "F34-F40",
        "SIMULATION (kinesis_lab.simulation.lambda_esm)",
    ),
)

LIMITS_SIMPLER_THAN_AWS = (
    "AWS does not document how it meters; its large-record page pictures write capacity as a "
    "tank that refills at a steady rate, tolerating short bursts. The simulation holds the "
    "documented figure over any one-second interval of the lab clock (a sliding window): exactly "
    "that number fits within any second, one more is throttled, wherever a burst falls against "
    "the clock; use beyond the budget comes back a whole second's budget at a time.",
    "On-demand streams keep the mock's 4 shards and never scale up.",
    "GetRecords' 2,000 records/s and GetShardIterator's 5 calls/s are not simulated.",
    "Retention is not simulated: records are never trimmed from the mocked stream.",
)

NOT_SIMULATED = (
    "Enhanced fan-out push delivery (SubscribeToShard): registering consumers works on the "
    "mock; push delivery is taught as a concept.",
    "Managed Service for Apache Flink and Kinesis Video Streams run nothing: their lessons use "
    "concepts, pure-Python window exercises and calculators.",
    "IAM and resource policies are stored but never enforced by the mock; lesson M7's policy "
    "checker is a simplified evaluator.",
)


def _table(rows: tuple[Simulated, ...]) -> list[str]:
    lines = ["| behaviour | facts | how |", "|---|---|---|"]
    lines += [f"| {r.behaviour} | {r.facts} | {r.how} |" for r in rows]
    return lines


def _bullets(notes: tuple[str, ...] | list[str]) -> list[str]:
    return [f"- {note}" for note in notes]


def what_is_simulated_markdown(heading_level: int = 1) -> str:
    """The whole page, as Markdown (for the site and for lesson 00)."""
    h = "#" * heading_level
    lines = [
        f"{h} What the labs simulate",
        "",
        "The labs run against moto, a mocked AWS account, in your Python process. A mock is "
        "not AWS, so the course does three things and always tells you which one you see:",
        "",
        "1. **Fixes** make the mock do what AWS documents where moto gets it wrong.",
        "2. **SIMULATION** adds what AWS enforces and moto lacks. It is labelled SIMULATION in "
        "every lab, runs on the lab clock (real time, or a simulated clock that only moves when "
        "a lab advances it), and takes every number from the course fact sheet (the F-rows).",
        "3. **Concepts** cover what cannot run offline; the lessons say so.",
        "",
        f"{h}# Fixed in the mock",
        "",
        *_table(FIXED_IN_THE_MOCK),
        "",
        f"{h}# Simulated",
        "",
        *_table(SIMULATED),
        "",
        f"{h}# Where the simulation is simpler than AWS",
        "",
        f"{h}## Kinesis Data Streams limits",
        "",
        *_bullets(LIMITS_SIMPLER_THAN_AWS),
        "",
        f"{h}## Amazon Data Firehose",
        "",
        *_bullets(firehose.simulation_notes()),
        "",
        f"{h}## Lambda event source mapping",
        "",
        *_bullets(lambda_esm.simulation_notes()),
        "",
        f"{h}# Not simulated",
        "",
        *_bullets(NOT_SIMULATED),
        "",
    ]
    return "\n".join(lines)


def show_what_is_simulated() -> object:
    """Display the catalogue in a notebook (section level headings)."""
    from IPython.display import Markdown

    return Markdown(what_is_simulated_markdown(heading_level=3))
