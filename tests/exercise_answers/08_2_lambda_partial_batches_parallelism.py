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
lambda_client.create_event_source_mapping(
    FunctionName=REPORT_FN,
    EventSourceArn=poison_arn,
    FunctionResponseTypes=["ReportBatchItemFailures"],
    **common,
)

# %% m08-parallel-mapping
parallel_mapping = lambda_client.create_event_source_mapping(
    EventSourceArn=parallel_arn,
    FunctionName=ORDER_FN,
    ParallelizationFactor=3,
    BatchSize=5,
    StartingPosition="TRIM_HORIZON",
)

# %% m08-batching-window
lambda_client.update_event_source_mapping(UUID=trickle["UUID"], MaximumBatchingWindowInSeconds=10)

# %% m08-tumbling-window
tumbling = lambda_client.create_event_source_mapping(
    EventSourceArn=windowed_arn,
    FunctionName=WINDOW_FN,
    StartingPosition="TRIM_HORIZON",
    TumblingWindowInSeconds=30,
)
