"""The learner-style producer and consumer work unchanged through `make endpoint`.

Same code as in-process (tests/sim_learners.py): retry only the failed PutRecords entries with
backoff and jitter; wait after a read throttle; re-acquire an expired iterator after the last
sequence number. Here it runs against `kinesis-lab endpoint --simulated-clock` in another
process, with lab time driven over the clock control API.
"""

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request

import pytest
from port_helpers import free_port, wait_for_port
from sim_learners import consume, produce

from kinesis_lab import start_lab

pytestmark = pytest.mark.slow

RECORDS = 2_500


@pytest.fixture(scope="module")
def simulated_endpoint():
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "kinesis_lab", "endpoint", "--port", str(port), "--simulated-clock"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    wait_for_port(port, process)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture
def lab(simulated_endpoint):
    session = start_lab(target="local", endpoint_url=simulated_endpoint, quiet=True)
    session.reset()
    yield session
    session.stop()


def entries(count):
    return [{"Data": f"r{i:05d}".encode(), "PartitionKey": f"k{i % 7}"} for i in range(count)]


def test_endpoint_starts_on_a_simulated_clock(lab):
    assert lab.clock.simulated
    before = lab.clock.now()
    assert lab.advance(301) == before + 301


def test_producer_retrying_only_failed_entries_gets_every_record_in(lab):
    lab.create_stream("throttled", shard_count=1)
    report = produce(lab.kinesis, "throttled", entries(RECORDS), sleep=lab.advance)
    assert report.retried_entries > 0  # 2,500 records cannot fit one shard's second (F1)
    assert report.error_codes == {"ProvisionedThroughputExceededException"}
    assert len(set(report.sequence_numbers)) == RECORDS


def test_consumer_reacquires_an_expired_iterator_and_misses_nothing(lab):
    lab.create_stream("slow-reader", shard_count=1)
    produce(lab.kinesis, "slow-reader", entries(RECORDS), sleep=lab.advance)
    shard_id = lab.kinesis.list_shards(StreamName="slow-reader")["Shards"][0]["ShardId"]

    def slow_processing(batch):
        lab.advance(301)  # each slow batch outlives the 5-minute iterator (F9)

    report = consume(
        lab.kinesis,
        "slow-reader",
        shard_id,
        sleep=lab.advance,
        wanted=RECORDS,
        limit=500,
        process=slow_processing,
    )
    assert report.expired > 0
    assert [r["Data"] for r in report.records] == [e["Data"] for e in entries(RECORDS)]


def test_clock_control_refuses_going_back_in_time(simulated_endpoint):
    request = urllib.request.Request(
        simulated_endpoint + "/_kinesis_lab/clock/advance",
        data=json.dumps({"seconds": -5}).encode(),
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 400
    assert "forward" in json.loads(refused.value.read())["error"]
