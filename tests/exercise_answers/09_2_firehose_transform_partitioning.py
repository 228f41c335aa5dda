"""Reference answers for notebooks/09_2_firehose_transform_partitioning.ipynb
(CANARY-ANSWER-09_2_firehose_transform_partitioning).

Never shipped to learners: not in notebooks/, labs/ or the site. Each ``# %% <exercise id>``
section replaces the notebook cell whose metadata names that exercise when
tools/run_exercises.py runs the lesson (`make exercises`).
"""
# ruff: noqa: F821

# %% m09-2-gzip-stream
GZIPPED = "m9-gzip"
delete_delivery_stream(lab.firehose, GZIPPED)

destination = {
    "RoleARN": ROLE_ARN,
    "BucketARN": BUCKET_ARN,
    "Prefix": "m9-gzip/",
    "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 60},
    "ProcessingConfiguration": NEWLINE,
    "CompressionFormat": "GZIP",
}
lab.firehose.create_delivery_stream(
    DeliveryStreamName=GZIPPED,
    DeliveryStreamType="DirectPut",
    ExtendedS3DestinationConfiguration=destination,
)


# %% m09-2-transform-handler
def my_transform(event, context):
    answers = []
    for record in event["records"]:
        answer = {"recordId": record["recordId"], "data": record["data"]}
        try:
            reading = json.loads(base64.b64decode(record["data"]))
        except ValueError:  # not JSON
            answer["result"] = "ProcessingFailed"
        else:
            if reading.get("test") is True:
                answer["result"] = "Dropped"
            else:
                reading["temperature_c"] = float(reading["temperature_c"])
                answer["result"] = "Ok"
                answer["data"] = base64.b64encode(json.dumps(reading).encode()).decode()
        answers.append(answer)
    return {"records": answers}


transform_ok = check_transform_handler(my_transform)

# %% m09-2-create-function
FUNCTION = "m9-clean-readings"
handler = my_transform if transform_ok else reference_transform
delete_function(lam, FUNCTION)

created = lam.create_function(
    FunctionName=FUNCTION,
    Runtime="python3.12",
    Role=LAMBDA_ROLE_ARN,
    Handler=LAMBDA_HANDLER,
    Code={"ZipFile": handler_zip(handler)},
)
print(created["FunctionArn"], created["State"])

# %% m09-2-transform-stream
TRANSFORMED = "m9-transformed"
delete_delivery_stream(lab.firehose, TRANSFORMED)

transform_processor = {
    "Type": "Lambda",
    "Parameters": [
        {"ParameterName": "LambdaArn", "ParameterValue": TRANSFORM_ARN},
        {"ParameterName": "BufferSizeInMBs", "ParameterValue": "1"},
        {"ParameterName": "BufferIntervalInSeconds", "ParameterValue": "60"},
    ],
}
destination = {
    "RoleARN": ROLE_ARN,
    "BucketARN": BUCKET_ARN,
    "Prefix": "transformed/",
    "ErrorOutputPrefix": "transformed-errors/!{firehose:error-output-type}/",
    "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 60},
    "ProcessingConfiguration": {
        "Processors": [transform_processor, {"Type": "AppendDelimiterToRecord"}],
        "Enabled": True,
    },
}
lab.firehose.create_delivery_stream(
    DeliveryStreamName=TRANSFORMED,
    DeliveryStreamType="DirectPut",
    ExtendedS3DestinationConfiguration=destination,
)

# %% m09-2-partitioning
BY_DEVICE = "m9-by-device"
delete_delivery_stream(lab.firehose, BY_DEVICE)

extraction = {
    "Parameters": [
        {"ParameterName": "JsonParsingEngine", "ParameterValue": "JQ-1.6"},
        {"ParameterName": "MetadataExtractionQuery", "ParameterValue": "{device_id: .device_id}"},
    ],
    "Type": "MetadataExtraction",
}
destination = {
    "RoleARN": ROLE_ARN,
    "BucketARN": BUCKET_ARN,
    "Prefix": "by-device/device_id=!{partitionKeyFromQuery:device_id}/!{timestamp:yyyy/MM/dd}/",
    "ErrorOutputPrefix": "by-device-errors/!{firehose:error-output-type}/",
    "DynamicPartitioningConfiguration": {"Enabled": True},
    "BufferingHints": {"SizeInMBs": 64, "IntervalInSeconds": 60},
    "ProcessingConfiguration": {
        "Processors": [extraction, {"Type": "AppendDelimiterToRecord"}],
        "Enabled": True,
    },
}
lab.firehose.create_delivery_stream(
    DeliveryStreamName=BY_DEVICE,
    DeliveryStreamType="DirectPut",
    ExtendedS3DestinationConfiguration=destination,
)
