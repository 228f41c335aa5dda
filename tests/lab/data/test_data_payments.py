"""Card transactions: deterministic, ordered per account, with planted fraud that the stated
rules find and that the labels describe truthfully."""

from __future__ import annotations

import json
import random
import re
import statistics
from collections import Counter, defaultdict
from itertools import pairwise

import pytest

from kinesis_lab.data import (
    AMOUNT_OUTLIER_FACTOR,
    IMPOSSIBLE_TRAVEL_KMH,
    TRANSACTION_TRUTH_FIELDS,
    VELOCITY_BURST_MIN_TXNS,
    VELOCITY_BURST_WINDOW_S,
    account_profiles,
    epoch_ms,
    haversine_km,
    iter_transactions,
    payments,
    transactions,
)
from kinesis_lab.data.payments import CITIES

ACCOUNTS = 5_000
RATE = 50.0
ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.fixture(scope="module")
def txns() -> list[dict]:
    """20 minutes of traffic at the default fraud rate (1.5 %)."""
    return transactions(60_000, accounts=ACCOUNTS, rate_per_s=RATE, seed=11)


def _by_account(txns: list[dict]) -> dict[str, list[dict]]:
    series = defaultdict(list)
    for txn in txns:
        series[txn["account_id"]].append(txn)
    return series


@pytest.fixture(scope="module")
def by_account(txns) -> dict[str, list[dict]]:
    return _by_account(txns)


@pytest.fixture(scope="module")
def profiles() -> dict[str, dict]:
    return {p["account_id"]: p for p in account_profiles(ACCOUNTS, seed=11)}


def _kmh(a: dict, b: dict) -> float:
    hours = (b["ts_ms"] - a["ts_ms"]) / 3_600_000
    return haversine_km(a["lat"], a["lon"], b["lat"], b["lon"]) / hours


def test_same_seed_same_transactions_other_seed_differs():
    small = {"accounts": 1_000, "rate_per_s": 10.0}
    first = transactions(3_000, seed=3, **small)
    random.seed(999)  # global random state must not matter
    assert transactions(3_000, seed=3, **small) == first
    assert transactions(3_000, seed=4, **small) != first


def test_a_shorter_run_is_a_prefix_of_a_longer_one():
    small = {"accounts": 1_000, "rate_per_s": 10.0}
    assert transactions(1_000, seed=8, **small) == transactions(3_000, seed=8, **small)[:1_000]
    endless = iter_transactions(seed=8, **small)  # would hang here if it were not lazy
    assert [next(endless) for _ in range(1_000)] == transactions(1_000, seed=8, **small)


def test_schema_and_types(txns, profiles):
    city_country = {c.name: c.country for c in CITIES}
    for txn in txns[:5_000]:
        assert list(txn) == [
            "txn_id", "account_id", "card_id", "ts", "ts_ms", "amount", "currency", "merchant",
            "merchant_category", "city", "country", "lat", "lon", "is_fraud", "fraud_type",
        ]  # fmt: skip
        profile = profiles[txn["account_id"]]
        assert txn["card_id"] in profile["card_ids"]
        assert txn["currency"] == profile["currency"]  # billing currency
        assert ISO_MS.match(txn["ts"]) and epoch_ms(txn["ts"]) == txn["ts_ms"]
        assert isinstance(txn["amount"], float) and txn["amount"] >= 1
        if txn["currency"] in {"JPY", "KRW"}:
            assert txn["amount"] == int(txn["amount"])
        else:
            assert round(txn["amount"], 2) == txn["amount"]
        assert city_country[txn["city"]] == txn["country"]
        assert isinstance(txn["lat"], float) and isinstance(txn["lon"], float)
        assert isinstance(txn["is_fraud"], bool)
    assert len({t["txn_id"] for t in txns}) == len(txns)
    assert TRANSACTION_TRUTH_FIELDS == ("is_fraud", "fraud_type")


def test_transactions_are_json_serialisable(txns):
    assert json.loads(json.dumps(txns[:2_000])) == txns[:2_000]


def test_time_order_globally_and_strictly_per_account(txns, by_account):
    times = [t["ts_ms"] for t in txns]
    assert times == sorted(times)
    assert times[0] >= epoch_ms("2026-01-15T09:00:00Z")
    for series in by_account.values():
        assert all(a["ts_ms"] < b["ts_ms"] for a, b in pairwise(series))


def test_the_stream_runs_at_the_requested_rate(txns):
    span_s = (txns[-1]["ts_ms"] - txns[0]["ts_ms"]) / 1000
    assert len(txns) / span_s == pytest.approx(RATE, rel=0.05)
    fast = transactions(5_000, accounts=ACCOUNTS, rate_per_s=80.0, seed=2)
    assert len(fast) / ((fast[-1]["ts_ms"] - fast[0]["ts_ms"]) / 1000) == pytest.approx(
        80.0, rel=0.1
    )


def test_fraud_appears_at_about_the_requested_rate(txns):
    assert sum(t["is_fraud"] for t in txns) / len(txns) == pytest.approx(0.015, rel=0.25)
    kinds = Counter(t["fraud_type"] for t in txns if t["is_fraud"])
    assert set(kinds) == {"velocity_burst", "impossible_travel", "amount_outlier"}
    heavy = transactions(20_000, accounts=ACCOUNTS, fraud_rate=0.05, seed=4)
    assert sum(t["is_fraud"] for t in heavy) / len(heavy) == pytest.approx(0.05, rel=0.25)
    assert not any(t["is_fraud"] for t in transactions(5_000, accounts=ACCOUNTS, fraud_rate=0))
    only = transactions(
        5_000, accounts=ACCOUNTS, fraud_mix={"amount_outlier": 1}, fraud_rate=0.02, seed=4
    )
    assert {t["fraud_type"] for t in only} == {None, "amount_outlier"}


def test_labels_agree_with_each_other(txns):
    for txn in txns:
        assert txn["is_fraud"] == (txn["fraud_type"] is not None)


def test_impossible_travel_implies_an_impossible_speed(by_account):
    planted = 0
    for series in by_account.values():
        for before, txn in pairwise(series):
            if txn["fraud_type"] == "impossible_travel":
                assert _kmh(before, txn) > IMPOSSIBLE_TRAVEL_KMH
                assert haversine_km(before["lat"], before["lon"], txn["lat"], txn["lon"]) > 1_990
                planted += 1
    assert planted > 50


def test_genuine_travel_is_possible_and_does_happen(by_account, profiles):
    abroad = 0
    for account, series in by_account.items():
        genuine = [t for t in series if not t["is_fraud"]]
        for before, txn in pairwise(genuine):
            assert _kmh(before, txn) < IMPOSSIBLE_TRAVEL_KMH
        abroad += sum(t["country"] != profiles[account]["home_country"] for t in genuine)
    assert abroad > 100  # so "foreign = fraud" is not a working rule


def test_genuine_trips_never_beat_a_plane(monkeypatch):
    monkeypatch.setattr(payments, "_TRIP_P_AT_HOME", 0.1)  # trips are rare; make many
    monkeypatch.setattr(payments, "_TRIP_P_HOME_AGAIN", 0.3)
    slow = transactions(10_000, accounts=1_000, rate_per_s=1.0, fraud_rate=0, seed=21)
    trips = []
    for series in _by_account(slow).values():
        trips += [(a, b) for a, b in pairwise(series) if a["city"] != b["city"]]
    assert len(trips) > 50
    assert any(haversine_km(a["lat"], a["lon"], b["lat"], b["lon"]) > 1_000 for a, b in trips)
    assert max(_kmh(a, b) for a, b in trips) < IMPOSSIBLE_TRAVEL_KMH


def test_a_speed_rule_flags_all_planted_travel_and_otherwise_only_the_victims_next_txn(
    by_account,
):
    for series in by_account.values():
        for i in range(1, len(series)):
            if _kmh(series[i - 1], series[i]) > IMPOSSIBLE_TRAVEL_KMH:
                flagged_fraud = series[i]["fraud_type"] == "impossible_travel"
                follows_fraud = series[i - 1]["fraud_type"] == "impossible_travel"
                assert flagged_fraud or follows_fraud


def _velocity_flags(series: list[dict]) -> set[str]:
    """The rule: flag a transaction that makes N or more on its card within the window."""
    window_ms = VELOCITY_BURST_WINDOW_S * 1000
    flagged, by_card = set(), defaultdict(list)
    for txn in series:
        card = by_card[txn["card_id"]]
        card.append(txn)
        if sum(txn["ts_ms"] - t["ts_ms"] <= window_ms for t in card[-20:]) >= (
            VELOCITY_BURST_MIN_TXNS
        ):
            flagged.add(txn["txn_id"])
    return flagged


def test_the_velocity_rule_finds_bursts_and_never_fires_on_genuine_traffic(by_account):
    window_ms = VELOCITY_BURST_WINDOW_S * 1000
    truth, flagged, genuine_flags = set(), set(), set()
    last_burst_on_card: dict[str, int] = {}
    for series in by_account.values():
        truth |= {t["txn_id"] for t in series if t["fraud_type"] == "velocity_burst"}
        flagged |= _velocity_flags(series)
        genuine_flags |= _velocity_flags([t for t in series if not t["is_fraud"]])
        for txn in series:
            if txn["txn_id"] in flagged and txn["txn_id"] not in truth:
                # a genuine payment just after a burst: the burst, not it, filled the window
                assert txn["ts_ms"] - last_burst_on_card[txn["card_id"]] <= window_ms
            if txn["fraud_type"] == "velocity_burst":
                last_burst_on_card[txn["card_id"]] = txn["ts_ms"]
    assert not genuine_flags
    assert len(flagged & truth) > len(truth) / 3


def test_each_burst_has_at_least_six_txns_within_a_minute(by_account):
    bursts = 0
    for series in by_account.values():
        flagged = _velocity_flags(series)
        run: list[dict] = []
        for txn in [*series, None]:
            if txn is not None and txn["fraud_type"] == "velocity_burst":
                run.append(txn)
                continue
            if run and run[-1] is not series[-1]:  # a burst cut by the end of the stream is short
                assert len(run) >= 6
                assert run[5]["ts_ms"] - run[0]["ts_ms"] <= VELOCITY_BURST_WINDOW_S * 1000
                assert len({t["card_id"] for t in run}) == 1
                # the rule catches every charge from the fifth on
                assert {t["txn_id"] for t in run[VELOCITY_BURST_MIN_TXNS - 1 :]} <= flagged
                bursts += 1
            run = []
    assert bursts > 20


def test_amount_outliers_stand_far_above_the_accounts_usual(txns, profiles):
    for txn in txns:
        ratio = txn["amount"] / profiles[txn["account_id"]]["usual_amount"]
        if txn["fraud_type"] == "amount_outlier":
            assert ratio > AMOUNT_OUTLIER_FACTOR
        else:
            assert ratio < AMOUNT_OUTLIER_FACTOR * 0.7


def test_a_learner_finds_outliers_from_the_accounts_own_history(by_account):
    hits = false_alarms = misses = 0
    for series in by_account.values():
        for i in range(5, len(series)):
            usual = statistics.median(t["amount"] for t in series[:i])
            flagged = series[i]["amount"] > AMOUNT_OUTLIER_FACTOR * usual
            planted = series[i]["fraud_type"] == "amount_outlier"
            hits += flagged and planted
            false_alarms += flagged and not planted
            misses += planted and not flagged
    assert hits > 20 and misses == 0
    assert false_alarms <= hits  # realistic, not perfect: small histories mislead


def test_profiles_match_the_transactions(txns, profiles):
    assert len(profiles) == ACCOUNTS
    assert {t["account_id"] for t in txns} <= set(profiles)
    assert account_profiles(ACCOUNTS, seed=12) != list(profiles.values())


def test_haversine_knows_london_to_paris():
    assert haversine_km(51.5074, -0.1278, 48.8566, 2.3522) == pytest.approx(344, abs=2)


def test_nonsense_options_are_refused():
    with pytest.raises(ValueError):
        transactions(1, accounts=0)
    with pytest.raises(ValueError):
        transactions(1, accounts=100, rate_per_s=50)  # 100 accounts cannot keep up
    with pytest.raises(ValueError):
        transactions(1, fraud_rate=0.9)
    with pytest.raises(ValueError):
        transactions(1, fraud_mix={"phishing": 1})
