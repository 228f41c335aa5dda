"""Fraud capstone helpers: impossible travel and its check, the stateful detector against the
generator's ground truth, state snapshot/restore across a restart, per-account order, the
idempotent alert table and the threshold explorer."""

from __future__ import annotations

import json

import pytest

from kinesis_lab.capstones import fraud
from kinesis_lab.data import account_profiles, transactions
from kinesis_lab.data.payments import CITIES


@pytest.fixture(scope="module")
def book():
    txns = transactions(
        3_000,
        accounts=720,
        rate_per_s=12,
        fraud_rate=0.06,
        fraud_mix={"velocity_burst": 0.1, "impossible_travel": 0.7, "amount_outlier": 0.2},
        seed=5,
    )
    usual = {p["account_id"]: p["usual_amount"] for p in account_profiles(720, seed=5)}
    return txns, usual, fraud.truth_of(txns)


def place(city: str, minutes: float) -> dict:
    spot = next(c for c in CITIES if c.name == city)
    return {"lat": spot.lat, "lon": spot.lon, "ts_ms": 1_000_000 + int(minutes * 60_000)}


def test_implied_speed_and_the_reference_rule():
    assert fraud.implied_speed_kmh(place("London", 0), place("Paris", 60)) == pytest.approx(
        343.5, abs=1
    )
    assert fraud.implied_speed_kmh(place("Berlin", 0), place("Madrid", 0)) == float("inf")
    assert fraud.implied_speed_kmh(place("Berlin", 0), place("Berlin", 0)) == 0.0
    assert fraud.reference_impossible_travel(place("New York", 0), place("London", 10))
    assert not fraud.reference_impossible_travel(place("Tokyo", 0), place("Sydney", 9 * 60))


def test_check_impossible_travel(capsys):
    assert fraud.check_impossible_travel(fraud.reference_impossible_travel)

    def naive(previous, current):
        km = fraud.haversine_km(previous["lat"], previous["lon"], current["lat"], current["lon"])
        return km / ((current["ts_ms"] - previous["ts_ms"]) / 3_600_000) > 1_000

    assert not fraud.check_impossible_travel(naive)
    assert "ZeroDivisionError" in capsys.readouterr().out

    def minutes_not_hours(previous, current):
        km = fraud.haversine_km(previous["lat"], previous["lon"], current["lat"], current["lon"])
        minutes = (current["ts_ms"] - previous["ts_ms"]) / 60_000
        return km > 0 if minutes <= 0 else km / minutes > 1_000

    assert not fraud.check_impossible_travel(minutes_not_hours)
    assert "3,600,000" in capsys.readouterr().out

    def blank(previous, current):
        hours = ...
        if hours <= 0:
            return ...
        return True

    assert not fraud.check_impossible_travel(blank)
    assert "not yet" in capsys.readouterr().out


def test_detector_catches_outliers_and_travel_in_full(book):
    txns, usual, truth = book
    scores = fraud.scores_for(txns, usual, truth)
    for kind in (fraud.OUTLIER, fraud.TRAVEL):
        assert scores[kind].tp > 5 and scores[kind].fp == 0 and scores[kind].fn == 0
    velocity = scores[fraud.VELOCITY]
    assert velocity.precision > 0.8 and 0.3 < velocity.recall < 0.8  # the first 4 are missed


def test_flagging_the_whole_burst_raises_velocity_recall(book):
    txns, usual, truth = book
    plain = fraud.scores_for(txns, usual, truth)[fraud.VELOCITY]
    whole = fraud.scores_for(txns, usual, truth, whole_burst=True)[fraud.VELOCITY]
    assert whole.recall > 0.9 > plain.recall + 0.2  # only bursts cut short by the end stay
    assert whole.precision > 0.8


def test_velocity_fires_from_the_fifth_charge():
    detector = fraud.FraudDetector({"a": 10.0})
    base = {"account_id": "a", "card_id": "c", "merchant": "m", "amount": 1.0, "lat": 0, "lon": 0}
    flags = [
        detector.process({**base, "txn_id": f"t{n}", "ts_ms": 1_000_000 + n * 2_000})
        for n in range(6)
    ]
    assert [bool(f) for f in flags] == [False] * 4 + [True] * 2
    late = detector.process({**base, "txn_id": "t9", "ts_ms": 1_000_000 + 200_000})
    assert late == []  # two minutes later: the window has emptied


def test_a_flagged_travel_never_becomes_the_trusted_place():
    """The cardholder's next payment at home must not look impossible (see payments.py)."""
    detector = fraud.FraudDetector({"a": 50.0})

    def pay(txn_id, city, minutes):
        return detector.process(
            {"txn_id": txn_id, "account_id": "a", "card_id": "c", "merchant": "m",
             "amount": 20.0, **place(city, minutes)}
        )  # fmt: skip

    assert pay("home-1", "London", 0) == []
    assert pay("clone", "Tokyo", 5) == [("clone", fraud.TRAVEL)]
    assert pay("home-2", "London", 40) == []
    assert detector.flags == {"clone": fraud.TRAVEL}


def test_state_restored_from_snapshots_gives_the_same_flags(book):
    """A detector that stops halfway, saves per-shard snapshots and is replaced by a fresh one
    that restores them, flags exactly what one uninterrupted detector does."""
    txns, usual, _ = book
    shard_of = {f"acct-{n:06d}": f"shard-{n % 2}" for n in range(720)}
    one_pass = fraud.run_detector(txns, usual)

    first = fraud.FraudDetector(usual)
    half = len(txns) // 2
    for txn in txns[:half]:
        first.process(txn, shard_of[txn["account_id"]])
    saved = {
        shard: json.loads(json.dumps(first.snapshot(shard))) for shard in ("shard-0", "shard-1")
    }
    second = fraud.FraudDetector(usual)
    for shard, state in saved.items():
        second.restore(shard, state)
    for txn in txns[half:]:
        second.process(txn, shard_of[txn["account_id"]])

    assert {**first.flags, **second.flags} == one_pass.flags
    assert second.restored_accounts == first.accounts()
    assert set(saved["shard-0"]).isdisjoint(saved["shard-1"])


def test_order_violations_and_out_of_order_arrivals(book):
    txns, usual, truth = book
    assert fraud.order_violations(txns) == 0
    shuffled = sorted(txns, key=lambda t: t["txn_id"])
    assert fraud.order_violations(shuffled) > 100
    detector = fraud.run_detector(shuffled, usual)
    assert detector.out_of_order == fraud.order_violations(shuffled)
    assert fraud.scores_for(shuffled, usual, truth)[fraud.TRAVEL].fp > 50


def test_alert_table_writes_each_txn_once(lab):
    table = fraud.AlertTable(lab.dynamodb, "alerts").recreate()
    alert = {"txn_id": "t1", "account_id": "a", "type": fraud.TRAVEL, "ts_ms": 5, "latency_s": 0.5}
    assert table(alert) is True
    assert table({**alert, "type": fraud.VELOCITY}) is False
    assert table.written == 1 and table.duplicates == 1
    items = table.items()
    assert len(items) == 1 and items[0]["type"] == fraud.TRAVEL and items[0]["latency_s"] == 0.5
    rows = fraud.alert_rows(items, start=0)
    assert rows[0][1:4] == ("a", "t1", fraud.TRAVEL)


def test_threshold_explorer_follows_its_controls(book):
    txns, usual, truth = book
    box = fraud.threshold_explorer(txns[:1_000], usual, truth)
    before = box.outputs["table"].value
    box.controls["whole_burst"].value = True
    assert box.outputs["table"].value != before
    box.controls["outlier_factor"].value = 2
    assert "false alarms" in box.outputs["table"].value
    assert "data-measure" in box.outputs["picture"].value
