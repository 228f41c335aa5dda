"""Producers resend only the failed PutRecords entries, after exponential backoff with jitter;
the checks of the learner's pieces catch each classic mistake (F1, F5, SIMULATION limits)."""

from __future__ import annotations

import random
import xml.etree.ElementTree as ET
from collections import Counter

import pytest

from kinesis_lab.clients.readers import list_all_shards, read_shard
from kinesis_lab.core.checks import BLANK
from kinesis_lab.patterns.producers import (
    BASE_DELAY_SECONDS,
    FAILED_ENTRY_CASES,
    MAX_DELAY_SECONDS,
    PRODUCER_SCENARIOS,
    RetryReport,
    Round,
    backoff_delay,
    check_backoff,
    check_failed_entries,
    check_producer,
    failed_entries,
    put_all_with_retries,
    put_with_retries,
    record_rounds,
    retry_rounds_svg,
)

SVG = "{http://www.w3.org/2000/svg}"


# --- the two ideas --------------------------------------------------------------------------


@pytest.mark.parametrize(("label", "entries", "response", "expected"), FAILED_ENTRY_CASES)
def test_failed_entries_keeps_exactly_the_entries_with_an_error_code(
    label, entries, response, expected
):
    assert failed_entries(entries, response) == [entries[i] for i in expected]


def test_failed_entries_refuses_a_response_of_another_batch():
    with pytest.raises(ValueError):
        failed_entries([{"Data": b"x", "PartitionKey": "k"}], {"Records": []})


def test_backoff_is_full_jitter_under_a_doubling_capped_bound():
    rng = random.Random(1)
    for attempt in range(8):
        bound = min(MAX_DELAY_SECONDS, BASE_DELAY_SECONDS * 2**attempt)
        waits = [backoff_delay(attempt, rng=rng) for _ in range(500)]
        assert 0 <= min(waits) and max(waits) <= bound
        assert max(waits) > 0.9 * bound and min(waits) < 0.1 * bound  # the whole range is used
    with pytest.raises(ValueError):
        backoff_delay(-1)


# --- the reference producer against the SIMULATED limits --------------------------------------


@pytest.fixture
def stream(lab):
    lab.use_simulated_clock()
    lab.create_stream("producer", shard_count=1)
    return lab


def entries(count, tag="r"):
    return [{"Data": f"{tag}-{n}".encode(), "PartitionKey": f"{tag}-{n}"} for n in range(count)]


def stored_data(lab, name="producer"):
    shard = list_all_shards(lab.kinesis, name)[0]["ShardId"]
    return Counter(record["Data"] for record in read_shard(lab.kinesis, name, shard))


def test_put_with_retries_resends_only_the_failed_entries_and_stores_each_once(stream):
    lab = stream
    lab.kinesis.put_records(StreamName="producer", Records=entries(700, "fill")[:500])
    lab.kinesis.put_records(StreamName="producer", Records=entries(700, "fill")[500:])
    batch = entries(500)

    report = put_with_retries(lab.kinesis, "producer", batch, rng=random.Random(3))

    first = report.rounds[0]
    assert (len(first.sent), len(first.written), len(first.failed)) == (500, 300, 200)
    assert first.error_codes == {"ProvisionedThroughputExceededException": 200}
    for later in report.rounds[1:]:
        assert set(later.sent) == set(first.failed)  # never a written entry again
        assert later.wait_before > 0
    assert report.written == 500 and not report.unwritten
    assert report.rounds[-1].at >= first.at + (1 - first.at % 1)  # it waited into a new second
    stored = stored_data(lab)
    assert all(stored[entry["Data"]] == 1 for entry in batch)
    assert "first send: 500 sent, 300 written, 200 failed" in report.describe()


def test_put_with_retries_gives_up_after_max_attempts(stream):
    lab = stream
    for part in range(2):
        lab.kinesis.put_records(StreamName="producer", Records=entries(500, f"fill{part}"))
    waits = []
    report = put_with_retries(
        lab.kinesis, "producer", entries(10), sleep=waits.append, max_attempts=3
    )
    assert report.calls == 3 and len(waits) == 2  # no wait after the last try
    assert len(report.unwritten) == 10
    assert "gave up: 10 entries never written" in report.describe()


def test_put_with_retries_refuses_an_oversized_batch(stream):
    with pytest.raises(ValueError):
        put_with_retries(stream.kinesis, "producer", entries(501))
    with pytest.raises(ValueError):
        put_with_retries(stream.kinesis, "producer", [])


def test_put_all_with_retries_writes_two_seconds_worth(stream):
    lab = stream
    batch = entries(1_500)
    reports = put_all_with_retries(lab.kinesis, "producer", batch, rng=random.Random(5))
    assert len(reports) == 3
    assert sum(r.written for r in reports) == 1_500
    assert reports[2].rounds[0].failed == tuple(range(500))  # the third batch met a full second
    assert sum(r.retried_entries for r in reports) > 0
    assert set(stored_data(lab).values()) == {1}


# --- checks of the learner's pieces -----------------------------------------------------------


def reference_failed(entries, response):
    return [e for e, r in zip(entries, response["Records"], strict=True) if "ErrorCode" in r]


def test_check_failed_entries_passes_the_reference(capsys):
    assert check_failed_entries(reference_failed) is True
    assert "All 4 answers right." in capsys.readouterr().out


@pytest.mark.parametrize(
    ("function", "hint"),
    [
        (
            lambda e, r: [x for x, y in zip(e, r["Records"], strict=True) if "ErrorCode" not in y],
            "WRITTEN",
        ),
        (lambda e, r: [y for y in r["Records"] if "ErrorCode" in y], "not their results"),
        (lambda e, r: e[: r["FailedRecordCount"]], "FailedRecordCount says how many"),
        (lambda e, r: list(reversed(reference_failed(e, r))), "original order"),
        (
            lambda e, r: [
                x
                for x, y in zip(e, r["Records"], strict=True)
                if y.get("ErrorCode") == "ProvisionedThroughputExceededException"
            ],
            "whatever the code",
        ),
    ],
)
def test_check_failed_entries_catches_mistakes(function, hint, capsys):
    assert check_failed_entries(function) is False
    assert hint in capsys.readouterr().out


def test_check_failed_entries_blank(capsys):
    assert check_failed_entries(lambda e, r: BLANK) is False
    assert "not yet" in capsys.readouterr().out


def test_check_backoff_passes_full_and_equal_jitter(capsys):
    def full(attempt):
        return random.uniform(0, min(MAX_DELAY_SECONDS, BASE_DELAY_SECONDS * 2**attempt))

    def equal(attempt):
        bound = min(MAX_DELAY_SECONDS, BASE_DELAY_SECONDS * 2**attempt)
        return bound / 2 + random.uniform(0, bound / 2)

    assert check_backoff(full) is True
    assert check_backoff(equal) is True
    assert "All 7 attempts right." in capsys.readouterr().out


@pytest.mark.parametrize(
    ("function", "hint"),
    [
        (lambda a: min(MAX_DELAY_SECONDS, BASE_DELAY_SECONDS * 2**a), "jitter"),
        (lambda a: random.uniform(0, BASE_DELAY_SECONDS), "exponential"),
        (lambda a: random.uniform(0, BASE_DELAY_SECONDS * 2**a), "up to the cap"),
        (lambda a: random.uniform(-0.1, 0.1), "never negative"),
        (lambda a: "soon", "a number of seconds"),
        (lambda a: 1 / 0, "random.uniform"),
    ],
)
def test_check_backoff_catches_mistakes(function, hint, capsys):
    assert check_backoff(function) is False
    assert hint in capsys.readouterr().out


def test_check_backoff_uses_the_given_base_and_cap(capsys):
    def slow(attempt):
        return random.uniform(0, min(8.0, 0.5 * 2**attempt))

    assert check_backoff(slow, base=0.5, cap=8.0) is True
    assert check_backoff(slow) is False  # over the default bounds
    capsys.readouterr()


def make_producer(select_failed, backoff):
    """The producer the lesson assembles from the learner's two pieces."""

    def put_batch(kinesis, stream_name, batch, sleep):
        pending = list(batch)
        attempt = 0
        while pending:
            response = kinesis.put_records(StreamName=stream_name, Records=pending)
            pending = select_failed(pending, response)
            if pending:
                sleep(backoff(attempt))
                attempt += 1

    return put_batch


def good_backoff(attempt):
    return backoff_delay(attempt)


@pytest.fixture
def simulated(lab):
    lab.use_simulated_clock()
    return lab


def test_check_producer_passes_a_right_producer_and_cleans_up(simulated, capsys):
    lab = simulated
    assert check_producer(make_producer(reference_failed, good_backoff), lab) is True
    out = capsys.readouterr().out
    assert f"All {len(PRODUCER_SCENARIOS)} scenarios right." in out
    assert "every record stored once" in out
    assert "producer-check" not in lab.kinesis.list_streams()["StreamNames"]


def test_check_producer_catches_resending_written_entries(simulated, capsys):
    resend_all = make_producer(lambda e, r: list(e) if r["FailedRecordCount"] else [], good_backoff)
    assert check_producer(resend_all, simulated) is False
    assert "resent after they had been written" in capsys.readouterr().out


def test_check_producer_catches_no_retry_and_no_wait(simulated, capsys):
    def once(kinesis, stream_name, batch, sleep):
        kinesis.put_records(StreamName=stream_name, Records=batch)

    assert check_producer(once, simulated) is False
    assert "never reached the stream" in capsys.readouterr().out

    no_wait = make_producer(reference_failed, lambda attempt: 0)
    assert check_producer(no_wait, simulated) is False
    assert "still calling after" in capsys.readouterr().out


def test_check_producer_blanks_are_not_yet(simulated, capsys):
    assert check_producer(make_producer(lambda e, r: BLANK, good_backoff), simulated) is False
    assert check_producer(make_producer(reference_failed, lambda a: BLANK), simulated) is False
    out = capsys.readouterr().out
    assert out.count("not yet") == 2


def test_check_producer_says_not_yet_for_a_skeleton_that_never_calls(simulated, capsys):
    def skeleton(kinesis, stream_name, batch, sleep):
        """Still blank: the body is only ``...``."""

    assert check_producer(skeleton, simulated) is False
    out = capsys.readouterr().out
    assert "not yet" in out and "✗" not in out


def test_record_rounds_draws_the_learners_own_calls(simulated):
    lab = simulated
    lab.create_stream("rounds", shard_count=1)
    lab.advance(1)
    fill = [{"PartitionKey": f"f{n}", "Data": b"x"} for n in range(500)]
    lab.kinesis.put_records(StreamName="rounds", Records=fill)
    lab.kinesis.put_records(StreamName="rounds", Records=fill[:200])
    batch = [{"PartitionKey": f"k{n}", "Data": f"r{n}".encode()} for n in range(500)]
    report = record_rounds(
        make_producer(reference_failed, good_backoff), lab.kinesis, "rounds", batch
    )
    assert report.rounds[0].sent == tuple(range(500))
    assert len(report.rounds[0].failed) == 200  # 700 already in this second: 300 fit
    assert report.written == 500 and report.unwritten == ()
    assert all(
        set(r.sent) == set(p.failed) for p, r in zip(report.rounds, report.rounds[1:], strict=False)
    )
    assert record_rounds(lambda *args: None, lab.kinesis, "rounds", batch) is None


def test_check_producer_needs_the_simulated_clock(lab, capsys):
    assert check_producer(make_producer(reference_failed, good_backoff), lab) is False
    assert "use_simulated_clock" in capsys.readouterr().out


# --- the picture -----------------------------------------------------------------------------


def test_retry_rounds_svg_colours_each_entry_per_round():
    report = RetryReport(
        10,
        [
            Round(0, tuple(range(10)), (6, 7, 8, 9), {"X": 4}, 0.0, 0.0),
            Round(1, (6, 7, 8, 9), (8, 9), {"X": 2}, 0.05, 0.05),
            Round(2, (8, 9), (), {}, 0.3, 0.35),
        ],
    )
    root = ET.fromstring(retry_rounds_svg(report))
    rounds = [g for g in root.iter(f"{SVG}g") if g.get("class") == "round"]
    assert [g.get("data-sent") for g in rounds] == ["10", "4", "2"]

    def runs(group):
        return [
            (r.get("class"), int(r.get("data-first")), int(r.get("data-count")))
            for r in group.iter(f"{SVG}rect")
        ]

    assert runs(rounds[0]) == [("written", 0, 6), ("failed", 6, 4)]
    assert runs(rounds[1]) == [("done", 0, 6), ("written", 6, 2), ("failed", 8, 2)]
    assert runs(rounds[2]) == [("done", 0, 8), ("written", 8, 2)]
    text = "".join(root.itertext())
    assert "after a 0.050 s backoff · t = 0.05 s" in text
    assert "after a 0.300 s backoff · t = 0.35 s" in text
    assert "3 PutRecords call(s); 4 entries needed retries" in text
