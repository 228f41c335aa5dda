"""Where the simulated event source mapping writes: on-failure destinations and CloudWatch.

SIMULATION support for :mod:`kinesis_lab.simulation.lambda_esm`. Why a module: delivery is what
a learner inspects with ordinary clients afterwards — an SQS message, an SNS notification (read
through a subscribed queue), an S3 object (F40), an ``IteratorAge`` datapoint in the
``AWS/Lambda`` namespace — so it goes through the mocked services exactly as Lambda's own
delivery would.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

import boto3
from botocore.exceptions import ClientError

from ..core import clock
from . import lambda_events as events
from .lambda_events import StreamRecord

METRIC_NAMESPACE = "AWS/Lambda"
ITERATOR_AGE = "IteratorAge"


class Outbox:
    """Clients for the services the mapping writes to, made on first use."""

    def __init__(
        self,
        kinesis: Any,
        clients: Mapping[str, Any] | None,
        esm_uuid: str,
        function_name: str,
        publish_metrics: bool,
    ) -> None:
        self._kinesis = kinesis
        self._clients = dict(clients or {})
        self._esm_uuid = esm_uuid
        self._function_name = function_name
        self._publish_metrics = publish_metrics

    def client(self, service: str) -> Any:
        """The given client, else the lab's, else one made like the Kinesis client."""
        if service not in self._clients:
            self._clients[service] = _sibling_client(self._kinesis, service)
        return self._clients[service]

    def deliver(
        self,
        destination: str,
        document: Mapping[str, Any],
        records: Sequence[StreamRecord],
        at: float,
    ) -> None:
        """Send an invocation record to the on-failure destination (F40): the JSON document
        to SQS and SNS; to S3 the document plus the invocation ``payload``."""
        _, _, service, _, account, resource = destination.split(":", 5)
        if service == "sqs":
            sqs = self.client("sqs")
            url = sqs.get_queue_url(QueueName=resource, QueueOwnerAWSAccountId=account)["QueueUrl"]
            sqs.send_message(QueueUrl=url, MessageBody=json.dumps(document))
        elif service == "sns":
            self.client("sns").publish(TopicArn=destination, Message=json.dumps(document))
        else:
            body = json.dumps(events.with_payload(document, records))
            self.client("s3").put_object(
                Bucket=resource,
                Key=events.s3_failure_object_key(self._esm_uuid, records[0].shard_id, at),
                Body=body.encode(),
                ContentType="application/json",
            )

    def iterator_age_point(self, age_ms: float, shard_id: str) -> dict[str, Any]:
        """An IteratorAge datapoint shaped like put_metric_data's MetricData, plus the shard
        (kept for plotting; Lambda's metric is per function). Put to CloudWatch if asked."""
        point: dict[str, Any] = {
            "MetricName": ITERATOR_AGE,
            "Dimensions": [{"Name": "FunctionName", "Value": self._function_name}],
            "Timestamp": datetime.fromtimestamp(clock.now(), tz=timezone.utc),
            "Value": age_ms,
            "Unit": "Milliseconds",
        }
        if self._publish_metrics:
            self._publish(point)
        return {**point, "ShardId": shard_id}

    def _publish(self, point: Mapping[str, Any]) -> None:
        try:
            self.client("cloudwatch").put_metric_data(
                Namespace=METRIC_NAMESPACE, MetricData=[point]
            )
        except ClientError as error:  # real CloudWatch keeps "AWS/" namespaces to AWS
            self._publish_metrics = False
            warnings.warn(
                f"IteratorAge is no longer put to CloudWatch ({error}); it is still in "
                "EventSourceMapping.iterator_age.",
                stacklevel=3,
            )


def _sibling_client(kinesis: Any, service: str) -> Any:
    from ..account import session

    lab = session.current_lab()
    if lab is not None and lab.clients.get("kinesis") is kinesis:
        return lab.client(service)
    kwargs: dict[str, Any] = {"region_name": kinesis.meta.region_name}
    endpoint = kinesis.meta.endpoint_url or ""
    if "amazonaws.com" not in endpoint:  # a local endpoint serves every service
        kwargs["endpoint_url"] = endpoint
    return boto3.client(service, **kwargs)
