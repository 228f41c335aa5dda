"""Reference answers for notebooks/07_security_networking.ipynb
(CANARY-ANSWER-07_security_networking).

Never shipped to learners: not in notebooks/, labs/ or the site. Each ``# %% <exercise id>``
section replaces the notebook cell whose metadata names that exercise when
tools/run_exercises.py runs the lesson (`make exercises`).
"""
# ruff: noqa: F821

# %% m07-encrypt
STREAM = "orders"
lab.create_stream(STREAM, shard_count=1)
stream_arn = lab.kinesis.describe_stream_summary(StreamName=STREAM)["StreamDescriptionSummary"][
    "StreamARN"
]


def encryption_status():
    summary = lab.kinesis.describe_stream_summary(StreamName=STREAM)["StreamDescriptionSummary"]
    return {key: summary.get(key) for key in ("StreamStatus", "EncryptionType", "KeyId")}


def wait_until_active():
    lab.kinesis.get_waiter("stream_exists").wait(StreamName=STREAM, WaiterConfig={"Delay": 1})


lab.kinesis.start_stream_encryption(
    StreamName=STREAM, EncryptionType="KMS", KeyId="alias/aws/kinesis"
)
wait_until_active()

# %% m07-producer-policy
producer_policy_arn = f"arn:aws:iam::{lab.account_id}:policy/orders-producer"
remove_iam_policy(lab.client("iam"), producer_policy_arn)

least_privilege = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": ["kinesis:PutRecords", "kinesis:PutRecord"],
            "Resource": stream_arn,
        },
        {"Effect": "Allow", "Action": "kms:GenerateDataKey", "Resource": key["Arn"]},
    ],
}
created = lab.client("iam").create_policy(
    PolicyName="orders-producer", PolicyDocument=json.dumps(least_privilege)
)


# %% m07-consumer-actions
my_consumer_actions = {
    "kinesis:ListShards",
    "kinesis:GetShardIterator",
    "kinesis:GetRecords",
    "kms:Decrypt",
}
consumer_ok = check_actions("consumer", my_consumer_actions)

# %% m07-kcl-services
my_kcl_services = {"kinesis", "dynamodb", "cloudwatch"}
kcl_ok = check_kcl_services(my_kcl_services)

# %% m07-resource-policy
ANALYTICS_ACCOUNT = "111122223333"
remove_resource_policy(lab.kinesis, stream_arn)

sharing = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ANALYTICS_ACCOUNT}:root"},
            "Action": [
                "kinesis:DescribeStreamSummary",
                "kinesis:ListShards",
                "kinesis:GetShardIterator",
                "kinesis:GetRecords",
            ],
            "Resource": stream_arn,
        }
    ],
}
lab.kinesis.put_resource_policy(ResourceARN=stream_arn, Policy=json.dumps(sharing))
