"""Delivery semantics helpers: dedupe by payload ID (F31), the restart model, and the sink."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from kinesis_lab.clients.readers import list_all_shards, read_shard
from kinesis_lab.core.checks import BLANK
from kinesis_lab.data import decode
from kinesis_lab.patterns.delivery import (
    DEDUPE_CASES,
    ConsumerCrash,
    check_dedupe,
    check_event_id,
    consume_shard,
    dedupe,
    duplicate_count,
    event_id,
    plain,
    recreate_table,
    restart_explorer,
    restart_outcome,
    restart_summary_html,
    restart_svg,
    summary_table,
    table_items,
)

SVG = "{http://www.w3.org/2000/svg}"


def record(txn_id: str, sequence_number: str, account: str = "acct-1") -> dict:
    data = json.dumps({"txn_id": txn_id, "account_id": account}).encode()
    return {"SequenceNumber": sequence_number, "PartitionKey": account, "Data": data}


# --- event IDs and dedupe -------------------------------------------------------------------


def test_event_id_reads_the_payload_not_the_sequence_number():
    original, retried = record("txn-1", "100"), record("txn-1", "205")
    assert event_id(original) == event_id(retried) == "txn-1"
    assert event_id(record("x", "1"), field="account_id") == "acct-1"


def test_dedupe_keeps_the_first_copy_in_stream_order():
    stream = [record("a", "1"), record("b", "2"), record("a", "3"), record("c", "4")]
    stream += [record("b", "5")]
    kept = dedupe(stream)
    assert [r["SequenceNumber"] for r in kept] == ["1", "2", "4"]
    assert duplicate_count(stream) == 2


def test_dedupe_with_another_key():
    stream = [record("a", "1"), record("a", "1"), record("a", "2")]
    assert len(dedupe(stream, key=lambda r: r["SequenceNumber"])) == 2
    assert duplicate_count(stream, key=lambda r: r["SequenceNumber"]) == 1


def test_the_dedupe_cases_agree_with_the_reference():
    for _, records, expected in DEDUPE_CASES:
        assert dedupe(records) == expected


# --- the learner checks ---------------------------------------------------------------------


def learner_dedupe(records):
    seen, kept = set(), []
    for r in records:
        key = decode(r)["txn_id"]
        if key not in seen:
            seen.add(key)
            kept.append(r)
    return kept


def keeps_last_copy(records):
    latest = {}
    for r in records:
        latest[decode(r)["txn_id"]] = r
    return list(latest.values())


def by_sequence_number(records):
    return dedupe(records, key=lambda r: r["SequenceNumber"])


def test_check_event_id_blank_is_not_yet(capsys):
    assert check_event_id(lambda r: BLANK) is False
    out = capsys.readouterr().out
    assert "not yet" in out and "txn" not in out


def test_check_event_id_accepts_the_payload_id(capsys):
    assert check_event_id(lambda r: decode(r)["txn_id"]) is True
    assert capsys.readouterr().out.count("✓") == 3


def test_check_event_id_explains_why_the_sequence_number_is_wrong(capsys):
    assert check_event_id(lambda r: r["SequenceNumber"]) is False
    out = capsys.readouterr().out
    assert "NEW sequence number" in out
    assert out.count("hint:") == 1  # said once, not once per case


def test_check_event_id_explains_why_the_partition_key_is_wrong(capsys):
    assert check_event_id(lambda r: r["PartitionKey"]) is False
    assert "many different payments" in capsys.readouterr().out


def test_check_event_id_never_raises(capsys):
    assert check_event_id(lambda r: 1 / 0) is False
    assert "ZeroDivisionError" in capsys.readouterr().out


def test_check_dedupe_blank_is_not_yet(capsys):
    assert check_dedupe(lambda records: BLANK) is False
    assert "not yet" in capsys.readouterr().out


def test_check_dedupe_accepts_a_right_answer_even_as_a_generator(capsys):
    assert check_dedupe(learner_dedupe) is True
    assert check_dedupe(lambda records: iter(learner_dedupe(records))) is True
    assert "All 5 streams right." in capsys.readouterr().out


@pytest.mark.parametrize(
    ("function", "hint"),
    [
        (keeps_last_copy, "FIRST copy"),
        (by_sequence_number, "different sequence numbers"),
        (lambda records: [], "is missing"),
        (lambda records: [decode(r)["txn_id"] for r in records], "not their IDs"),
        (lambda records: None, "return"),
        (lambda records: list(reversed(learner_dedupe(records))), "stream order"),
    ],
)
def test_check_dedupe_rejects_wrong_answers_with_a_hint(capsys, function, hint):
    assert check_dedupe(function) is False
    out = capsys.readouterr().out
    assert hint in out
    assert "All 5" not in out


def test_check_dedupe_never_raises(capsys):
    assert check_dedupe(lambda records: records[10]) is False
    assert "IndexError" in capsys.readouterr().out


# --- the restart model ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "crash", "every", "start", "checkpoints", "duplicates", "lost"),
    [
        (30, 17, 5, "TRIM_HORIZON", (5, 10, 15), 2, 0),
        (30, 17, 0, "TRIM_HORIZON", (), 17, 0),
        (30, 17, 0, "LATEST", (), 0, 13),
        (30, 17, 1, "TRIM_HORIZON", tuple(range(1, 17)), 1, 0),
        (30, 17, 5, "LATEST", (5, 10, 15), 2, 0),  # a checkpoint wins over the start position
        (30, 5, 5, "TRIM_HORIZON", (), 5, 0),  # died before its first checkpoint
        (30, 0, 3, "TRIM_HORIZON", (), 0, 0),
        (30, 30, 10, "TRIM_HORIZON", (10, 20), 10, 0),
    ],
)
def test_restart_outcome(total, crash, every, start, checkpoints, duplicates, lost):
    outcome = restart_outcome(total, crash, every, start)
    assert outcome.checkpoints == checkpoints
    assert outcome.duplicates == duplicates
    assert outcome.lost == lost
    assert len(outcome.times_handled) == total
    assert sum(outcome.times_handled) == total + duplicates - lost


@pytest.mark.parametrize(
    "args", [(10, 11, 1), (10, -1, 1), (10, 5, -1), (10, 5, 1, "AT_TIMESTAMP"), (-1, 0, 0)]
)
def test_restart_outcome_rejects_nonsense(args):
    with pytest.raises(ValueError):
        restart_outcome(*args)


# --- the consumer against the mock: it must do what the model says --------------------------

RECORDS = 12


@pytest.fixture
def one_shard_stream(lab):
    lab.create_stream("restarts", shard_count=1)
    lab.kinesis.put_records(
        StreamName="restarts",
        Records=[{"PartitionKey": "k", "Data": f"r{n}".encode()} for n in range(RECORDS)],
    )
    return lab, "restarts", list_all_shards(lab.kinesis, "restarts")[0]["ShardId"]


@pytest.mark.parametrize(
    ("crash", "every", "start"),
    [
        (7, 3, "TRIM_HORIZON"),
        (7, 0, "TRIM_HORIZON"),
        (7, 0, "LATEST"),
        (7, 1, "LATEST"),
        (3, 5, "TRIM_HORIZON"),
    ],
)
def test_consume_shard_matches_the_model(one_shard_stream, crash, every, start):
    lab, stream, shard = one_shard_stream
    handled, checkpoints = [], {}
    with pytest.raises(ConsumerCrash):  # the first run reads the shard from its start
        consume_shard(
            lab.kinesis, stream, shard, handled.append, checkpoints,
            crash_after=crash, checkpoint_every=every,
        )  # fmt: skip
    consume_shard(  # the restart: from the checkpoint, or from `start` without one
        lab.kinesis, stream, shard, handled.append, checkpoints,
        checkpoint_every=every, start_without_checkpoint=start,
    )  # fmt: skip
    numbers = [r["SequenceNumber"] for r in handled]
    all_numbers = [r["SequenceNumber"] for r in read_shard(lab.kinesis, stream, shard)]
    model = restart_outcome(RECORDS, crash, every, start)
    assert len(numbers) - len(set(numbers)) == model.duplicates
    assert len(set(all_numbers) - set(numbers)) == model.lost
    assert [numbers.count(n) for n in all_numbers] == list(model.times_handled)


def test_a_clean_run_checkpoints_the_last_record_and_a_rerun_handles_nothing(one_shard_stream):
    lab, stream, shard = one_shard_stream
    handled, checkpoints = [], {}
    assert (
        consume_shard(lab.kinesis, stream, shard, handled.append, checkpoints, checkpoint_every=5)
        == RECORDS
    )
    assert checkpoints[shard] == handled[-1]["SequenceNumber"]
    assert consume_shard(lab.kinesis, stream, shard, handled.append, checkpoints) == 0


def test_consume_shard_rejects_an_unknown_start(one_shard_stream):
    lab, stream, shard = one_shard_stream
    with pytest.raises(ValueError):
        consume_shard(lab.kinesis, stream, shard, print, {}, start_without_checkpoint="NOW")


# --- the picture and the widget -------------------------------------------------------------


def test_restart_svg_marks_every_record_the_crash_and_the_checkpoints():
    outcome = restart_outcome(20, 9, 4)
    root = ET.fromstring(restart_svg(outcome))
    boxes = root.findall(f".//{SVG}g[@data-record]")
    assert [int(b.get("data-count")) for b in boxes] == list(outcome.times_handled)
    assert [b.get("class") for b in boxes].count("record twice") == outcome.duplicates == 1
    assert [int(g.get("data-after")) for g in root.findall(f".//{SVG}g[@data-after]")][:-1] == [
        4,
        8,
    ]
    crash = root.find(f".//{SVG}g[@class='crash']")
    assert crash is not None and crash.get("data-after") == "9"
    assert "1 duplicates and 0 lost" in root.get("aria-label")


def test_restart_svg_shows_lost_records():
    root = ET.fromstring(restart_svg(restart_outcome(10, 4, 0, "LATEST")))
    lost = [g for g in root.findall(f".//{SVG}g[@data-record]") if g.get("class") == "record lost"]
    assert len(lost) == 6


def test_restart_summary_says_where_the_restart_resumes():
    assert "after record 15" in restart_summary_html(restart_outcome(30, 17, 5))
    assert "TRIM_HORIZON" in restart_summary_html(restart_outcome(30, 17, 0))
    assert "LATEST" in restart_summary_html(restart_outcome(30, 17, 0, "LATEST"))


def test_restart_explorer_follows_its_controls():
    box = restart_explorer(total=30, crash_after=17, checkpoint_every=0)
    summary = box.outputs["summary"]
    assert "17 duplicate(s)" in summary.value
    box.controls["checkpoint_every"].value = 5
    assert "2 duplicate(s)" in summary.value
    box.controls["checkpoint_every"].value = 0
    box.controls["start"].value = "LATEST"
    assert "13 lost record(s)" in summary.value
    assert 'data-count="0"' in box.outputs["picture"].value


# --- DynamoDB helpers -----------------------------------------------------------------------


def test_recreate_table_starts_empty_and_table_items_gives_plain_values_by_key(lab):
    ddb = lab.dynamodb
    recreate_table(ddb, "sink", "txn_id")
    ddb.put_item(TableName="sink", Item={"txn_id": {"S": "b"}, "amount": {"N": "12.5"}})
    ddb.put_item(TableName="sink", Item={"txn_id": {"S": "a"}, "count": {"N": "3"}})
    assert table_items(ddb, "sink") == [
        {"count": 3, "txn_id": "a"},
        {"amount": 12.5, "txn_id": "b"},
    ]
    recreate_table(ddb, "sink", "txn_id")
    assert table_items(ddb, "sink") == []


class PagedScans:
    """A stand-in DynamoDB client that answers Scan in two pages."""

    def __init__(self):
        self.calls = []

    def describe_table(self, TableName):  # boto3's parameter name
        return {"Table": {"KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}]}}

    def scan(self, **kwargs):
        self.calls.append(kwargs)
        if "ExclusiveStartKey" not in kwargs:
            return {"Items": [{"k": {"S": "2"}}], "LastEvaluatedKey": {"k": {"S": "2"}}}
        return {"Items": [{"k": {"S": "1"}}]}


def test_table_items_follows_every_scan_page():
    client = PagedScans()
    assert table_items(client, "t") == [{"k": "1"}, {"k": "2"}]
    assert client.calls[1]["ExclusiveStartKey"] == {"k": {"S": "2"}}


def test_plain_turns_decimals_into_numbers():
    value = {"a": Decimal("2"), "b": [Decimal("1.5")], "c": {Decimal("3")}, "d": "x"}
    assert plain(value) == {"a": 2, "b": [1.5], "c": {3}, "d": "x"}
    assert isinstance(plain(Decimal("2")), int)


def test_summary_table_aligns_columns():
    text = summary_table([("a", 1), ("bbb", 22)], ("name", "n"))
    lines = text.splitlines()
    assert lines[0].startswith("name") and set(lines[1]) <= {"-", " "}
    assert len({line.index(line.split()[1]) for line in lines[2:]}) == 1
