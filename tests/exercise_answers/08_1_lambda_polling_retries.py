"""Reference answers for notebooks/08_1_lambda_polling_retries.ipynb
(CANARY-ANSWER-08_1_lambda_polling_retries).

Never shipped to learners: not in notebooks/, labs/ or the site. Each ``# %% <exercise id>``
section replaces the notebook cell whose metadata names that exercise when
tools/run_exercises.py runs the lesson (`make exercises`).
"""
# ruff: noqa: F821


# %% m08-decode
def my_decode(record):
    return json.loads(base64.b64decode(record["kinesis"]["data"]))


decode_ok = lesson.check_decode(my_decode)

# %% m08-refused-setting
for old in lesson.mappings_of(lab, PROBE_FN):
    lambda_client.delete_event_source_mapping(UUID=old["UUID"])
try:
    lambda_client.create_event_source_mapping(
        EventSourceArn=settings_arn,
        FunctionName=PROBE_FN,
        StartingPosition="LATEST",
        MaximumRecordAgeInSeconds=10,
    )
except ClientError as error:
    refusal = error.response["Error"]["Code"]
    print(refusal, "—", error.response["Error"]["Message"])
lambda_client.create_event_source_mapping(
    EventSourceArn=settings_arn,
    FunctionName=PROBE_FN,
    StartingPosition="LATEST",
    MaximumRecordAgeInSeconds=60,
)

# %% m08-create-function
ALERTS_FN = "sensor-alerts"
lesson.remove_function(lab, ALERTS_FN)
code = lesson.package(movement_alerts, MOVEMENT_RULE_ACCEL_G=MOVEMENT_RULE_ACCEL_G)

lambda_client.create_function(
    FunctionName=ALERTS_FN,
    Runtime="python3.12",
    Role=role_arn,
    Handler="lambda_function.movement_alerts",
    Code={"ZipFile": code},
)

# %% m08-create-mapping
lambda_client.create_event_source_mapping(
    FunctionName=ALERTS_FN,
    EventSourceArn=stream_arn,
    StartingPosition="TRIM_HORIZON",
    BatchSize=50,
)

# %% m08-retry-destination
lambda_client.delete_event_source_mapping(UUID=blocked["UUID"])
lesson.clear_logs(lab, STORE_FN)
dlq_url, dlq_arn = lesson.fresh_queue(sqs, "m8-sensor-failures")
poison_numbers = lesson.write_readings_with_poison(lab.kinesis, POISON, count=40, poison_at=[15])

retry_mapping = lambda_client.create_event_source_mapping(
    EventSourceArn=poison_arn,
    FunctionName=STORE_FN,
    BatchSize=10,
    StartingPosition="TRIM_HORIZON",
    DestinationConfig={"OnFailure": {"Destination": dlq_arn}},
    MaximumRetryAttempts=2,
)
