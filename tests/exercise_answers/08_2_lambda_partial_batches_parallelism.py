"""Reference answers for notebooks/08_2_lambda_partial_batches_parallelism.ipynb
(CANARY-ANSWER-08_2_lambda_partial_batches_parallelism).

Never shipped to learners: not in notebooks/, labs/ or the site. Each ``# %% <exercise id>``
section replaces the notebook cell whose metadata names that exercise when
tools/run_exercises.py runs the lesson (`make exercises`).
"""
# ruff: noqa: F821


# %% m08-partial-batch-handler
def score_payments(event, context):
    for record in event["Records"]:
        payment = decode(record)
        try:
            score_payment(payment)
        except ScoringUnavailable:
            return {"batchItemFailures": [{"itemIdentifier": record["kinesis"]["sequenceNumber"]}]}
    return {"batchItemFailures": []}


partial_batch_ok = lesson.check_partial_batch_handler(score_payments, lab.kinesis)

# %% m08-report-mapping
poison_numbers = lesson.write_readings_with_poison(lab.kinesis, POISON, count=40, poison_at=[15])
poison_arn = lab.kinesis.describe_stream_summary(StreamName=POISON)["StreamDescriptionSummary"][
    "StreamARN"
]
dlq_url, dlq_arn = lesson.fresh_queue(sqs, "m8-sensor-failures")
common = {"StartingPosition": "TRIM_HORIZON", "BatchSize": 10, "MaximumRetryAttempts": 2}
common["DestinationConfig"] = {"OnFailure": {"Destination": dlq_arn}}
runs = {}
for mode, bisect in (("retry whole batch", False), ("bisect", True)):
    lesson.clear_logs(lab, STORE_FN)
    made = lambda_client.create_event_source_mapping(
        FunctionName=STORE_FN,
        EventSourceArn=poison_arn,
        BisectBatchOnFunctionError=bisect,
        **common,
    )
    lesson.run_lambda(lab)
    stored = lesson.printed(lab, STORE_FN, "stored")
    runs[mode] = lesson.analyse_run(
        mode, lesson.engine(lab, STORE_FN), poison_numbers, [15], stored
    )
    lambda_client.delete_event_source_mapping(UUID=made["UUID"])

lambda_client.create_event_source_mapping(
    FunctionName=REPORT_FN,
    EventSourceArn=poison_arn,
    FunctionResponseTypes=["ReportBatchItemFailures"],
    **common,
)

# %% m08-parallel-mapping
lambda_client.create_event_source_mapping(
    FunctionName=ORDER_FN,
    EventSourceArn=parallel_arn,
    StartingPosition="TRIM_HORIZON",
    BatchSize=5,
    ParallelizationFactor=3,
)
