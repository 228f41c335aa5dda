"""The numbers the course teaches, each named after its row in shared/kinesis-facts.md.

Why a module of constants: every lesson, simulation and check reads limits from here, so a
number changes in one place and a reader can trace it (``F1`` → the fact sheet row F1).
Sizes are in bytes unless the name says otherwise.
"""

KIB = 1024
MIB = 1024 * KIB

# F1 — per-shard write: 1 MiB/s or 1,000 records/s.
SHARD_WRITE_BYTES_PER_SEC = 1 * MIB  # F1
SHARD_WRITE_RECORDS_PER_SEC = 1_000  # F1

# F2, F3 — per-shard reads shared by standard consumers; GetRecords limits.
SHARD_READ_BYTES_PER_SEC = 2 * MIB  # F2
GET_RECORDS_CALLS_PER_SEC = 5  # F3
GET_RECORDS_MAX_RECORDS = 10_000  # F3
GET_RECORDS_MAX_BYTES = 10 * MIB  # F3

# F4, F5 — record and request sizes.
MAX_RECORD_SIZE_DEFAULT = 1 * MIB  # F4
MAX_RECORD_SIZE_KIB_MIN = 1_024  # F4 (UpdateMaxRecordSize lower bound, KiB)
MAX_RECORD_SIZE_KIB_MAX = 10_240  # F4 (UpdateMaxRecordSize upper bound, KiB)
PUT_RECORDS_MAX_RECORDS = 500  # F5
PUT_RECORDS_MAX_REQUEST_BYTES = 10 * MIB  # F5 (was 5 MiB before 2025: a trap)

# F6 — partition keys and the hash key space.
PARTITION_KEY_MAX_CHARS = 256  # F6
HASH_KEY_SPACE = 2**128  # F6: MD5 gives a 128-bit integer
MAX_HASH_KEY = HASH_KEY_SPACE - 1

# F8 — retention.
RETENTION_HOURS_DEFAULT = 24  # F8
RETENTION_HOURS_MIN = 24  # F8
RETENTION_HOURS_MAX = 8_760  # F8 (365 days; "7 days max" is a trap)

# F9, F10 — iterators.
SHARD_ITERATOR_TTL_SECONDS = 5 * 60  # F9 (15 min is DynamoDB Streams: a trap)
ITERATOR_TYPES = (  # F10
    "AT_SEQUENCE_NUMBER",
    "AFTER_SEQUENCE_NUMBER",
    "AT_TIMESTAMP",
    "TRIM_HORIZON",
    "LATEST",
)

# F11, F13, F14 — capacity modes and account quotas.
ON_DEMAND_DEFAULT_WRITE_BYTES_PER_SEC = 4 * MIB  # F11 (4 MB/s)
ON_DEMAND_DEFAULT_WRITE_RECORDS_PER_SEC = 4_000  # F11
ON_DEMAND_DEFAULT_READ_BYTES_PER_SEC = 8 * MIB  # F11
PARTITION_KEY_WRITE_BYTES_PER_SEC = 1 * MIB  # F63: one partition key, even on-demand
PARTITION_KEY_WRITE_RECORDS_PER_SEC = 1_000  # F63
ON_DEMAND_STREAMS_PER_ACCOUNT = 50  # F13
SHARDS_PER_STREAM_UPDATE_SHARD_COUNT_MAX = 10_000  # F14, F21

# F15 — capacity mode switches.
MODE_SWITCHES_PER_24H = 2  # F15

# F17, F18 — enhanced fan-out.
EFO_BYTES_PER_SEC_PER_SHARD = 2 * MIB  # F17
EFO_CONSUMERS_PER_STREAM = 20  # F18 (50 with On-demand Advantage)
EFO_CONSUMERS_PER_STREAM_ADVANTAGE = 50  # F18

# F21 — UpdateShardCount.
UPDATE_SHARD_COUNT_MAX_SCALINGS_PER_24H = 10  # F21
UPDATE_SHARD_COUNT_MAX_FACTOR_UP = 2  # F21: at most double
UPDATE_SHARD_COUNT_MIN_FACTOR_DOWN = 0.5  # F21: at least half

# F34-F40 — the Lambda event source mapping for Kinesis (CreateEventSourceMapping names).
ESM_BATCH_SIZE_DEFAULT = 100  # F34
ESM_BATCH_SIZE_MIN = 1  # F34 (API model: minimum 1)
ESM_BATCH_SIZE_MAX = 10_000  # F34
ESM_PARALLELIZATION_FACTOR_DEFAULT = 1  # F35
ESM_PARALLELIZATION_FACTOR_MAX = 10  # F35
ESM_BATCHING_WINDOW_DEFAULT_SECONDS = 0  # F36
ESM_BATCHING_WINDOW_MAX_SECONDS = 300  # F36 (5 minutes)
ESM_INFINITE = -1  # F37: -1 means "no limit" for retries and record age
ESM_MAX_RETRY_ATTEMPTS_MAX = 10_000  # F37
ESM_MAX_RECORD_AGE_MIN_SECONDS = 60  # F37 (API model: values 0-59 are refused)
ESM_MAX_RECORD_AGE_MAX_SECONDS = 604_800  # F37 (7 days)
ESM_TUMBLING_WINDOW_MAX_SECONDS = 900  # F38
ESM_FUNCTION_RESPONSE_TYPES = ("ReportBatchItemFailures",)  # F39
ESM_ON_FAILURE_DESTINATION_SERVICES = ("sqs", "sns", "s3")  # F40

# F66 — after ProvisionedThroughputExceededException, wait about 1 s before the next GetRecords.
GET_RECORDS_THROTTLE_BACKOFF_SECONDS = 1.0  # F66

# Lambda numbers the ESM simulation needs that have no fact row yet (source: Lambda DG "Using
# Lambda with Kinesis" and "Lambda quotas"); to be verified and given rows before a lesson
# states them.
ESM_POLL_INTERVAL_SECONDS = 1.0  # pending row: "polls each shard ... once per second"
LAMBDA_SYNC_PAYLOAD_MAX_BYTES = 6 * MIB  # pending row: 6 MB synchronous invocation payload
LAMBDA_TIMEOUT_DEFAULT_SECONDS = 3  # pending row: function timeout default
LAMBDA_MEMORY_DEFAULT_MB = 128  # pending row: function memory default

# F42, F43 — Firehose buffering hints for an S3 destination (BufferingHints).
FIREHOSE_BUFFER_SIZE_MIB_MIN = 1  # F42
FIREHOSE_BUFFER_SIZE_MIB_MAX = 128  # F42
FIREHOSE_BUFFER_SIZE_MIB_DEFAULT = 5  # F42
FIREHOSE_BUFFER_INTERVAL_SECONDS_MIN = 0  # F42, F43 (zero buffering; not with partitioning)
FIREHOSE_BUFFER_INTERVAL_SECONDS_MAX = 900  # F42
FIREHOSE_BUFFER_INTERVAL_SECONDS_DEFAULT = 300  # F42 ("minimum latency 60 s" is a trap)

# F44 — Direct PUT record and PutRecordBatch limits.
FIREHOSE_RECORD_MAX_BYTES = 1_000 * KIB  # F44: 1,000 KiB before base64 (API: 1,024,000)
FIREHOSE_PUT_RECORD_BATCH_MAX_RECORDS = 500  # F44
FIREHOSE_PUT_RECORD_BATCH_MAX_BYTES = 4 * MIB  # F44

# F45 — Direct PUT throughput quota of one Firehose stream (not with a Kinesis source).
FIREHOSE_DIRECT_PUT_LARGE_REGIONS = ("us-east-1", "us-west-2", "eu-west-1")  # F45
FIREHOSE_DIRECT_PUT_LARGE = (500_000, 2_000, 5)  # F45: records/s, requests/s, MiB/s
FIREHOSE_DIRECT_PUT_OTHER = (100_000, 1_000, 1)  # F45: every other Region

# F46 — Lambda transformation (processor parameters BufferSizeInMBs, BufferIntervalInSeconds,
# NumberOfRetries).
FIREHOSE_TRANSFORM_BUFFER_SIZE_MB_MIN = 0.2  # F46
FIREHOSE_TRANSFORM_BUFFER_SIZE_MB_MAX = 3  # F46
FIREHOSE_TRANSFORM_BUFFER_SIZE_MB_DEFAULT = 1  # F46 (256 KB for Splunk/Snowflake)
FIREHOSE_TRANSFORM_INTERVAL_SECONDS_MIN = 0  # F46
FIREHOSE_TRANSFORM_INTERVAL_SECONDS_MAX = 900  # F46
FIREHOSE_TRANSFORM_INTERVAL_SECONDS_DEFAULT = 60  # F46 (30 s for Snowflake)
FIREHOSE_TRANSFORM_RETRIES_DEFAULT = 3  # F46
FIREHOSE_TRANSFORM_INVOCATION_MAX_SECONDS = 5 * 60  # F46

# F49 — dynamic partitioning.
FIREHOSE_ACTIVE_PARTITIONS_DEFAULT = 500  # F49 (up to 5,000 by request)

# F20 — propagation delay, the only points the Developer Guide gives.
STANDARD_DELAY_MS_ONE_CONSUMER = 200  # F20: ~200 ms with one consumer
STANDARD_DELAY_MS_FIVE_CONSUMERS = 1_000  # F20: ~1,000 ms with five
EFO_DELAY_MS = 70  # F20

# F43, F49, F50, F52, F61 — more Firehose figures the lessons use.
MULTIPART_BELOW_SECONDS = 60  # F43: an interval under 60 s to S3 uses multipart uploads
DIRECT_PUT_RETENTION_HOURS = 24  # F50: Direct PUT keeps undeliverable records 24 h
REDSHIFT_RETRY_SECONDS_MIN = 0  # F50
REDSHIFT_RETRY_SECONDS_MAX = 7_200  # F50
REDSHIFT_RETRY_SECONDS_DEFAULT = 3_600  # F50
ACTIVE_PARTITIONS_MAX_BY_REQUEST = 5_000  # F49 (500 by default)
PARTITIONING_BUFFER_TIME_FACTOR = 1.5  # F49: end-to-end up to 1.5x the buffer time
FIREHOSE_STREAMS_PER_REGION = 5_000  # F61 (older notes say 50: a trap)
PRICING_ROUNDING_KB = 5  # F52: each record is billed in 5 KB steps

# F55 — Managed Service for Apache Flink: one Kinesis Processing Unit (KPU) and its limits.
KPU_VCPUS = 1  # F55
KPU_MEMORY_GB = 4  # F55: 1 GB native + 3 GB heap
KPU_NATIVE_MEMORY_GB = 1  # F55
KPU_HEAP_MEMORY_GB = 3  # F55
KPU_STORAGE_GB = 50  # F55: running application storage (disk)
PARALLELISM_PER_KPU_MAX = 8  # F55
PARALLELISM_MAX = 256  # F55 (Flink application parallelism)
KPUS_PER_APPLICATION_DEFAULT_LIMIT = 64  # F55 (a default quota, raisable)
ORCHESTRATION_KPUS = 1  # F55: one extra KPU per application, billed for orchestration

# F57 — Kinesis Video Streams DataRetentionInHours.
KVS_RETENTION_HOURS_DEFAULT = 0  # F57: 0 = the stream does not persist data
KVS_RETENTION_HOURS_MAX = 87_600  # F57: ten years
KVS_BUFFER_MINUTES = 5  # F57: with retention 0, fragments stay in a service buffer this long...
KVS_BUFFER_MB = 200  # F57: ...or until it holds this much, whichever comes first

# Units.
DAY_SECONDS = 24 * 60 * 60
