"""Reference answers for notebooks/09_3_firehose_sources_destinations_operations.ipynb
(CANARY-ANSWER-09_3_firehose_sources_destinations_operations).

Never shipped to learners: not in notebooks/, labs/ or the site. Each ``# %% <exercise id>``
section replaces the notebook cell whose metadata names that exercise when
tools/run_exercises.py runs the lesson (`make exercises`).
"""
# ruff: noqa: F821

# %% m93-encrypt-direct-put
ENCRYPTED = "m9-orders-encrypted"
delete_delivery_stream(lab.firehose, ENCRYPTED)  # setup: re-running the cell starts clean

lab.firehose.create_delivery_stream(
    DeliveryStreamName=ENCRYPTED,
    DeliveryStreamType="DirectPut",
    DeliveryStreamEncryptionConfigurationInput={"KeyType": "AWS_OWNED_CMK"},
    ExtendedS3DestinationConfiguration=S3_DESTINATION,
)

# %% m93-freshness-alarm
ALARM = "m9-orders-delivery-falling-behind"
lab.cloudwatch.delete_alarms(AlarmNames=[ALARM])  # setup: re-running the cell starts clean

lab.cloudwatch.put_metric_alarm(
    AlarmName=ALARM,
    Namespace="AWS/Firehose",
    MetricName="DeliveryToS3.DataFreshness",
    Dimensions=[{"Name": "DeliveryStreamName", "Value": ENCRYPTED}],
    Statistic="Maximum",
    Period=300,
    EvaluationPeriods=1,
    Threshold=900,
    ComparisonOperator="GreaterThanThreshold",
)
