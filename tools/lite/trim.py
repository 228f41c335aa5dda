"""botocore without the service models the course never calls (17.5 MB → a few MB).

Why: botocore's data folder is most of the lite site's size, and a browser downloads it on
every kernel start. A service kept here keeps its whole folder; botocore's shared files
(endpoints, partitions, retry rules, …) are all kept.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from . import wheelfile

# The service models loaded when every lesson ran (botocore's loader traced, November 2026),
# and the few more the toolkit names or a learner's next step would call.
TRACED = (
    "cloudwatch dynamodb dynamodbstreams ec2 firehose iam kinesis kinesis-video-archived-media "
    "kinesis-video-media kinesis-video-signaling kinesis-video-webrtc-storage kinesisanalyticsv2 "
    "kinesisvideo kms lambda logs pipes s3 sqs"
)
NEARBY = "events glue kinesisanalytics secretsmanager sns sts"
KEEP_SERVICES: frozenset[str] = frozenset((TRACED + " " + NEARBY).split())


def is_botocore(wheel: Path) -> bool:
    return wheel.name.startswith("botocore-")


def botocore_trimmed(wheel: Path, cache: Path) -> Path:
    if not KEEP_SERVICES:
        return wheel
    key = hashlib.sha256(" ".join(sorted(KEEP_SERVICES)).encode() + wheel.name.encode())
    target = cache / "trimmed" / key.hexdigest()[:16] / wheel.name
    if target.is_file():
        return target
    files = wheelfile.read_files(wheel)
    kept = {}
    for name, data in files.items():
        parts = name.split("/")
        if parts[:2] == ["botocore", "data"] and len(parts) > 3 and parts[2] not in KEEP_SERVICES:
            continue
        kept[name] = data
    return wheelfile.write_wheel(target, kept, wheelfile.dist_info_dir(files))
