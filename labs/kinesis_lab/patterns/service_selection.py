"""Which AWS streaming or messaging service fits a scenario? (lesson M12)

Why: exam questions describe requirements — "several consumers", "replay", "no code into S3",
"existing Kafka clients" — and offer near-miss services as distractors. :func:`recommend` turns
a few yes/no answers into one recommended service with the reason, in the order exam cues
usually decide (the data's kind first, then the strongest requirement). It is a study aid that
encodes the course's decision rules, not an architecture tool. The decision helper widget and
the lesson's "Your turn" both use it; numbers in the reasons name their fact-sheet rows.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from ..core.checks import BLANK, FAIL_MARK, PASS_MARK, TODO_MARK, is_blank

KDS = "KDS"
FIREHOSE = "FIREHOSE"
SQS = "SQS"
SNS = "SNS"
MSK = "MSK"
EVENTBRIDGE = "EVENTBRIDGE"
MSF = "MSF"
KVS = "KVS"
DDB_STREAMS = "DDB_STREAMS"
KDS_FOR_DDB = "KDS_FOR_DDB"

SERVICE_NAMES = {
    KDS: "Amazon Kinesis Data Streams",
    FIREHOSE: "Amazon Data Firehose",
    SQS: "Amazon SQS",
    SNS: "Amazon SNS",
    MSK: "Amazon MSK",
    EVENTBRIDGE: "Amazon EventBridge",
    MSF: "Amazon Managed Service for Apache Flink",
    KVS: "Amazon Kinesis Video Streams",
    DDB_STREAMS: "Amazon DynamoDB Streams",
    KDS_FOR_DDB: "Kinesis Data Streams for DynamoDB",
}

# What learners may type, after normalising (lower case, no "amazon"/"aws", no punctuation).
_ALIASES = {
    KDS: ("kds", "kinesis", "kinesis data streams", "kinesis data stream", "data streams"),
    FIREHOSE: ("firehose", "data firehose", "kinesis data firehose", "kdf"),
    SQS: ("sqs", "simple queue service", "sqs fifo", "sqs standard"),
    SNS: ("sns", "simple notification service", "sns fifo"),
    MSK: (
        "msk",
        "managed streaming for apache kafka",
        "managed streaming for kafka",
        "msk serverless",
    ),
    EVENTBRIDGE: ("eventbridge", "eventbridge bus", "eventbridge pipes", "event bus"),
    MSF: ("msf", "managed service for apache flink", "flink", "managed flink"),
    KVS: ("kvs", "kinesis video streams", "kinesis video stream", "video streams"),
    DDB_STREAMS: ("dynamodb streams", "dynamodb stream", "ddb streams"),
    KDS_FOR_DDB: (
        "kinesis data streams for dynamodb",
        "kds for dynamodb",
        "kinesis for dynamodb",
    ),
}
_LOOKUP = {alias: code for code, aliases in _ALIASES.items() for alias in aliases}
_LOOKUP.update({code.lower(): code for code in SERVICE_NAMES})
_LOOKUP.update(
    {_name.lower().removeprefix("amazon "): code for code, _name in SERVICE_NAMES.items()}
)
# Old names that are not a service to choose in 2026 (F53, F54): answered with a note.
RETIRED_NAMES = {
    "kinesis data analytics": "renamed Amazon Managed Service for Apache Flink on 2023-08-30 "
    "(F53); its SQL flavour is discontinued (F54)",
    "kda": "renamed Amazon Managed Service for Apache Flink on 2023-08-30 (F53)",
    "kinesis data analytics for sql": "discontinued: no new apps from 2025-10-15, apps deleted "
    "from 2026-01-27 (F54)",
    "kda sql": "discontinued: no new apps from 2025-10-15, apps deleted from 2026-01-27 (F54)",
}

DATA_KINDS = ("events", "video", "table_changes")
CONSUMER_KINDS = (
    "own_code",
    "managed_destination",
    "one_worker_per_message",
    "push_subscribers",
    "rule_routing",
)


def _normal_text(name: str) -> str:
    """Lower case, no "amazon"/"aws", punctuation as spaces, single spaces."""
    text = re.sub(r"[()\-_/,.]", " ", name.lower())
    text = re.sub(r"\b(amazon|aws)\b", " ", text)
    return " ".join(text.split())


def normalize_service(name: Any) -> str | None:
    """A service code (``"KDS"``, ``"FIREHOSE"``, …) for what a learner typed, or None."""
    if not isinstance(name, str):
        return None
    return _LOOKUP.get(_normal_text(name))


def retired_name_note(name: Any) -> str | None:
    """Why an old name (Kinesis Data Analytics, KDA for SQL) is not an answer, or None."""
    if not isinstance(name, str):
        return None
    return RETIRED_NAMES.get(_normal_text(name))


@dataclass(frozen=True)
class Requirements:
    """The answers to the decision helper's questions.

    data: ``"events"`` (records, messages, logs, clicks), ``"video"`` (video or audio from
    devices) or ``"table_changes"`` (item changes in a DynamoDB table).
    consumers: ``"own_code"`` (your applications read it, several may), ``"managed_destination"``
    (delivered without code to S3, Redshift, OpenSearch, Splunk…), ``"one_worker_per_message"``
    (a work queue), ``"push_subscribers"`` (notify many subscribers) or ``"rule_routing"``
    (route by content to targets, SaaS events).
    """

    data: str = "events"
    consumers: str = "own_code"
    replay: bool = False  # re-read data already processed
    kafka: bool = False  # existing Kafka clients or Kafka APIs
    stateful_analytics: bool = False  # windows, joins, aggregations over time
    ordering: bool = False  # order per key matters
    sub_second: bool = False  # must reach consumers well under a second
    long_retention: bool = False  # keep table changes longer than DynamoDB Streams does

    def __post_init__(self) -> None:
        if self.data not in DATA_KINDS:
            raise ValueError(f"data is one of {DATA_KINDS}, not {self.data!r}")
        if self.consumers not in CONSUMER_KINDS:
            raise ValueError(f"consumers is one of {CONSUMER_KINDS}, not {self.consumers!r}")


class Recommendation(NamedTuple):
    """One recommended service, why, and what to consider beside it."""

    code: str
    reason: str
    also: str = ""

    @property
    def service(self) -> str:
        return SERVICE_NAMES[self.code]


_KDS_REASON = (
    "an ordered (per shard / partition key), replayable log: several independent consumers, "
    "replay within retention (24 h–365 d, F8), real-time (about 200 ms standard, about 70 ms "
    "with enhanced fan-out, F20)"
)


def recommend(req: Requirements) -> Recommendation:
    """The service the course's decision rules pick for ``req``, with the reason."""
    if req.data == "video":
        return Recommendation(
            KVS,
            "video and audio from cameras and devices: ingest with the producer SDK, store "
            "(retention 0–87,600 h, F57), play back with HLS/DASH, two-way live with WebRTC",
            "Rekognition Video or SageMaker can analyse the stream",
        )
    if req.data == "table_changes":
        if (
            req.replay
            or req.long_retention
            or req.stateful_analytics
            or req.consumers == "managed_destination"
        ):
            return Recommendation(
                KDS_FOR_DDB,
                "the table's changes go into a Kinesis data stream: KDS retention (up to "
                "365 d, F8), replay, many consumers, Firehose delivery or Flink analytics",
                "DynamoDB Streams is simpler when a Lambda trigger is all you need",
            )
        return Recommendation(
            DDB_STREAMS,
            "built-in change data capture for the table, e.g. a Lambda trigger; its shard "
            "iterators last 15 minutes (F9, vs 5 minutes in KDS)",
            "Kinesis Data Streams for DynamoDB when you need longer retention or more consumers",
        )
    if req.kafka:
        return Recommendation(
            MSK,
            "existing Kafka producers and consumers keep their Kafka APIs: topics, partitions "
            "(ordered per partition), configurable retention and replay",
            "Managed Service for Apache Flink can read from MSK for stateful analytics",
        )
    if req.stateful_analytics:
        return Recommendation(
            MSF,
            "stateful stream processing with Apache Flink: event-time windows, joins, "
            "aggregations, exactly-once state through checkpoints",
            "source: Kinesis Data Streams or MSK; Kinesis Data Analytics for SQL is "
            "discontinued (F54)",
        )
    if req.consumers == "managed_destination":
        if req.replay or req.sub_second:
            return Recommendation(
                KDS,
                _KDS_REASON + "; Firehose alone is near-real-time and cannot replay",
                "add Amazon Data Firehose with the stream as its source for the no-code load",
            )
        return Recommendation(
            FIREHOSE,
            "fully managed, near-real-time delivery to S3, Redshift, OpenSearch, Splunk, HTTP "
            "endpoints and more, with no consumer code; buffers by size or time, 0–900 s (F42)",
            "no replay: put Kinesis Data Streams in front if you need it",
        )
    if req.consumers == "rule_routing":
        return Recommendation(
            EVENTBRIDGE,
            "routes events by rules and content patterns to many targets and integrates SaaS "
            "partners; the bus can archive and replay; Pipes connect a source to a target",
            "event size: 1 MB since 2026-01 (older material: 256 KB, F59)",
        )
    if req.replay or (req.consumers == "own_code"):
        return Recommendation(
            KDS,
            _KDS_REASON,
            "SQS and SNS cannot replay a message once it has been delivered and deleted",
        )
    if req.consumers == "push_subscribers":
        return Recommendation(
            SNS,
            "pub/sub: pushes each message to every subscriber (SQS queues, Lambda, HTTP, "
            "email, SMS); FIFO topics for ordering",
            "SNS → several SQS queues is the classic fan-out for work queues",
        )
    return Recommendation(
        SQS,
        "a decoupled work queue: each message is processed by one worker and deleted; FIFO "
        "queues when order matters"
        + (" (your answers ask for order: use FIFO)" if req.ordering else ""),
        "messages up to 1 MiB (F58); no replay after delete",
    )


def recommendation_html(rec: Recommendation) -> str:
    """What the decision helper shows for one recommendation."""
    also = f"<br><i>Also consider:</i> {html.escape(rec.also)}" if rec.also else ""
    return (
        f"<div class='kinesis-recommendation'>Recommended: <b>{html.escape(rec.service)}</b>"
        f"<br><i>Why:</i> {html.escape(rec.reason)}{also}</div>"
    )


# --- scenario practice ------------------------------------------------------------------------


class Scenario(NamedTuple):
    text: str
    requirements: Requirements
    hint: str  # the cue to look for — never the answer


PRACTICE_SCENARIOS: dict[str, Scenario] = {
    "clickstream": Scenario(
        "A web shop sends clickstream events. Three teams each run their own real-time "
        "application on the same events, and a new team must re-process the last 3 days.",
        Requirements(consumers="own_code", replay=True, sub_second=True),
        "several independent real-time consumers + replay",
    ),
    "logs_to_s3": Scenario(
        "Application logs must land in S3 and OpenSearch within a few minutes, with no "
        "consumer code to write or run.",
        Requirements(consumers="managed_destination"),
        "no code, near-real-time delivery to a destination",
    ),
    "image_jobs": Scenario(
        "A web app hands thumbnail jobs to a fleet of workers; each job must be done once by "
        "one worker, and the app and the workers scale independently.",
        Requirements(consumers="one_worker_per_message"),
        "a decoupled work queue: one worker per message",
    ),
    "kafka_lift": Scenario(
        "A team moves its on-premises Kafka cluster to AWS and wants to keep its Kafka "
        "producers, consumers and Kafka Connect jobs unchanged.",
        Requirements(kafka=True, replay=True),
        "existing Kafka clients",
    ),
    "saas_routing": Scenario(
        "Events from a SaaS partner (a ticketing system) must be routed by their content to "
        "different Lambda functions and Step Functions workflows.",
        Requirements(consumers="rule_routing"),
        "SaaS integration and routing by rules",
    ),
    "doorbell": Scenario(
        "Smart doorbells stream video to the cloud for recording and face detection, and "
        "owners talk to visitors live from a phone app.",
        Requirements(data="video"),
        "video, and two-way live media",
    ),
    "fraud_windows": Scenario(
        "Card payments arrive on a Kinesis data stream; flag a card with more than 5 payments "
        "in any 2-minute window, by event time, joined with the card's home country.",
        Requirements(stateful_analytics=True, sub_second=True),
        "stateful analytics: event-time windows and a join",
    ),
    "order_changes": Scenario(
        "Every change to items in a DynamoDB orders table must trigger a Lambda function "
        "that sends a confirmation email.",
        Requirements(data="table_changes"),
        "change data capture on one DynamoDB table, a Lambda trigger",
    ),
}


def check_service_choices(choices: Mapping[str, Any]) -> bool:
    """Check a learner's scenario → service answers; one ✓ / ✗ / "not yet" line per scenario.

    Accepts common names and abbreviations ("KDS", "Data Firehose", "Amazon SQS", "Flink"…).
    Never shows the expected service; a wrong answer gets the scenario's cue as a hint.
    """
    right = blank = 0
    for key, scenario in PRACTICE_SCENARIOS.items():
        choice = choices.get(key, BLANK)
        label = key
        if is_blank(choice):
            blank += 1
            print(f"{TODO_MARK} {label}: not yet — replace the ... with a service name.")
            continue
        expected = recommend(scenario.requirements).code
        retired = retired_name_note(choice)
        if retired:
            print(f"{FAIL_MARK} {label}: {choice!r} — {retired}.")
            continue
        code = normalize_service(choice)
        if code is None:
            print(
                f"{FAIL_MARK} {label}: {choice!r} is not a service name this check knows "
                "(try e.g. 'Kinesis Data Streams', 'Data Firehose', 'SQS', 'MSK')."
            )
        elif code == expected:
            right += 1
            print(f"{PASS_MARK} {label}: {SERVICE_NAMES[code]}")
        else:
            print(f"{FAIL_MARK} {label}: not {SERVICE_NAMES[code]}\n    hint: {scenario.hint}")
    total = len(PRACTICE_SCENARIOS)
    if blank == total:
        print(f"Not yet: {total} scenarios to answer.")
    elif right == total:
        print(f"All {total} scenarios right.")
    else:
        print(f"{right} of {total} right" + (f", {blank} not yet." if blank else "."))
    return right == total


# --- the decision helper widget ---------------------------------------------------------------

_DATA_LABELS = {
    "events / messages / logs / clicks": "events",
    "video or audio from cameras and devices": "video",
    "changes to items in a DynamoDB table": "table_changes",
}
_CONSUMER_LABELS = {
    "my own applications read it (maybe several)": "own_code",
    "delivered to S3 / Redshift / OpenSearch / Splunk with no code": "managed_destination",
    "one worker handles each message (a work queue)": "one_worker_per_message",
    "pushed to many subscribers (email, SMS, HTTP, queues)": "push_subscribers",
    "routed by rules to targets, or SaaS events": "rule_routing",
}
_FLAGS = (
    ("replay", "must re-read (replay) data"),
    ("kafka", "existing Kafka clients / Kafka APIs"),
    ("stateful_analytics", "windows, joins or aggregations over time"),
    ("ordering", "order per key matters"),
    ("sub_second", "consumers need it in under a second"),
    ("long_retention", "keep table changes longer than DynamoDB Streams"),
)


def decision_helper() -> Any:
    """Answer a few requirement questions and see the recommended service and why."""
    import ipywidgets as widgets

    wide = widgets.Layout(width="min(100%, 560px)")
    style = {"description_width": "11em"}
    data = widgets.Dropdown(
        options=list(_DATA_LABELS), description="What flows?", style=style, layout=wide
    )
    consumers = widgets.Dropdown(
        options=list(_CONSUMER_LABELS), description="Who consumes it?", style=style, layout=wide
    )
    flags = {
        name: widgets.Checkbox(value=False, description=text, indent=False) for name, text in _FLAGS
    }
    result = widgets.HTML()

    def requirements() -> Requirements:
        return Requirements(
            data=_DATA_LABELS[data.value],
            consumers=_CONSUMER_LABELS[consumers.value],
            **{name: box.value for name, box in flags.items()},
        )

    def update(_: Any = None) -> None:
        result.value = recommendation_html(recommend(requirements()))

    for control in (data, consumers, *flags.values()):
        control.observe(update, names="value")
    update()
    box = widgets.VBox([data, consumers, *flags.values(), result])
    box.requirements = requirements  # lets a test or a curious learner read the answers
    return box
