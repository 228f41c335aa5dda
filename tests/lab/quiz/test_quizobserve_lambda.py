"""kinesis_lab.quiz.observe_lambda: what a quiz observes of a learner's Lambda handlers."""

from __future__ import annotations

import base64
import json

import pytest

from kinesis_lab.core import clock
from kinesis_lab.lessons.m08_lambda_scenarios import make_event
from kinesis_lab.lessons.m09_firehose import sample_transform_event
from kinesis_lab.quiz.observe_lambda import (
    FlakyService,
    batch_response,
    run_mapping,
    transform_answers,
)


class Busy(Exception):
    pass


def test_a_flaky_service_fails_first_then_works_and_reports():
    service = FlakyService(Busy, key_of=lambda order: order["id"], fail_first={"o2": 1})
    service({"id": "o1"})
    with pytest.raises(Busy):
        service({"id": "o2"})
    service({"id": "o2"})
    service({"id": "o1"})
    service({"id": "zz"})
    assert service.calls == [["o1", True], ["o2", False], ["o2", True], ["o1", True], ["zz", True]]
    assert service.report(["o1", "o2", "o3"]) == {
        "never": ["o3"],
        "more_than_once": ["o1"],
        "unexpected": ["zz"],
    }


def test_partial_batch_responses_are_read_as_lambda_reads_them():
    event = make_event([{"n": n} for n in range(4)])
    numbers = [r["kinesis"]["sequenceNumber"] for r in event["Records"]]

    def failures(*identifiers):
        return {"batchItemFailures": [{"itemIdentifier": i} for i in identifiers]}

    assert batch_response(failures(numbers[2]), event) == {"reported": [3], "invalid": False}
    assert batch_response(failures(numbers[3], numbers[1]), event)["reported"] == [2, 4]
    for success in (None, {}, {"batchItemFailures": []}):
        assert batch_response(success, event) == {"reported": [], "invalid": False}
    for broken in (failures(""), failures("not-in-batch"), "oops", {"batchItemFailures": 3}):
        assert batch_response(broken, event) == {"reported": None, "invalid": True}
    eventid = {"batchItemFailures": [{"itemIdentifier": event["Records"][1]["eventID"]}]}
    assert batch_response(eventid, event)["invalid"] is True


def test_transform_answers_record_by_record():
    event = sample_transform_event([b'{"a": 1}', b'{"a": 2}', b"cut o"])
    ids = [r["recordId"] for r in event["records"]]

    def b64(data):
        return base64.b64encode(data).decode()

    response = {
        "records": [
            {"recordId": ids[0], "result": "Ok", "data": b64(b'{"a": 10}\n')},
            {"recordId": ids[1], "result": "Dropped", "data": event["records"][1]["data"]},
            {"recordId": ids[2], "result": "ProcessingFailed", "data": event["records"][2]["data"]},
        ]
    }
    assert transform_answers(event, response) == {
        "contract_ok": True,
        "records": [
            {"recordId": ids[0], "result": "Ok", "payload": {"a": 10}, "newline": True},
            {"recordId": ids[1], "result": "Dropped"},
            {"recordId": ids[2], "result": "ProcessingFailed"},
        ],
    }
    forgetful = {"records": [{"recordId": ids[0], "result": "Ok", "data": b64(b"not json")}]}
    answers = transform_answers(event, forgetful)
    assert answers["contract_ok"] is False
    assert answers["records"][0] == {
        "recordId": ids[0],
        "result": "Ok",
        "payload": None,
        "newline": False,
    }
    assert [r["result"] for r in answers["records"][1:]] == [None, None]
    assert transform_answers(event, None)["contract_ok"] is False


def test_a_handler_behind_the_simulated_mapping(lab):
    orders = [{"id": f"o{n}", "n": n} for n in range(12)]
    seen = []

    def handler(event, context):
        for record in event["Records"]:
            order = json.loads(base64.b64decode(record["kinesis"]["data"]))
            if order["n"] == 5 and 5 not in seen:
                seen.append(5)
                return {
                    "batchItemFailures": [{"itemIdentifier": record["kinesis"]["sequenceNumber"]}]
                }
            seen.append(order["n"])
        return {"batchItemFailures": []}

    outcome = run_mapping(
        lab,
        "mapped",
        handler,
        orders,
        "id",
        BatchSize=4,
        MaximumRetryAttempts=2,
        FunctionResponseTypes=["ReportBatchItemFailures"],
    )
    assert outcome == {
        "invocations": 4,
        "outcomes": {"partial-failure": 1, "success": 3},
        "discarded": 0,
    }
    assert seen == [0, 1, 2, 3, 4, 5, 5, 6, 7, 8, 9, 10, 11]
    assert not clock.get_clock().simulated
    assert "mapped" not in lab.kinesis.list_streams()["StreamNames"]
