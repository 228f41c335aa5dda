"""Card transactions with planted fraud: velocity bursts, impossible travel, amount outliers.

Why: the fraud capstone detects fraud in real time from a Kinesis stream partitioned by
account. Each kind of fraud is planted so that one simple, stateful rule finds it, and normal
traffic is shaped so that the same rule stays quiet on it.

Ground truth: ``is_fraud`` (bool) and ``fraud_type`` (``None``, ``"velocity_burst"``,
``"impossible_travel"`` or ``"amount_outlier"``) — ``TRANSACTION_TRUTH_FIELDS``. Strip them
before learners see the payload:
``to_put_records_entries(txns, "account_id", drop=TRANSACTION_TRUTH_FIELDS)``.
``account_profiles`` gives each account's usual amount, which the outlier rule is measured
against.

The rules (all per account, in event-time order — the stream yields each account's
transactions in strictly increasing ``ts_ms``):
- velocity burst: ``VELOCITY_BURST_MIN_TXNS`` or more transactions on one card within
  ``VELOCITY_BURST_WINDOW_S``. Bursts are 6–12 small charges at one merchant, 1–5 s apart;
  genuine transactions on an account are at least 30 s apart.
- impossible travel: the speed implied by this transaction and the account's previous one
  exceeds ``IMPOSSIBLE_TRAVEL_KMH``. The fraudulent one comes 1–10 min after a genuine one,
  at least 2,000 km away. Genuine travel exists (about 3 % of accounts start away from home, and
  accounts take trips) but never beats 700 km/h. The genuine transaction right *after* a
  fraudulent one also implies an impossible speed: a rule must not blame it.
- amount outlier: ``amount`` more than ``AMOUNT_OUTLIER_FACTOR`` × the account's usual amount
  (15–40 ×); genuine amounts stay below 7 ×.

Amounts are in the card's billing currency (the account's home currency), wherever the
merchant is, so an account's amounts are comparable with each other.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import math
import random
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any, NamedTuple

from .records import DEFAULT_START, Event, epoch_ms, iso_utc_ms

DEFAULT_ACCOUNTS = 10_000
DEFAULT_RATE_PER_S = 50.0  # transactions per second across all accounts
DEFAULT_FRAUD_RATE = 0.015  # share of transactions that are fraudulent
DEFAULT_FRAUD_MIX = {"velocity_burst": 0.1, "impossible_travel": 0.45, "amount_outlier": 0.45}
"""Share of fraud *episodes* of each kind. A burst holds 6–12 transactions, so with these
weights about half the fraudulent transactions are bursts and a quarter each the others."""

TRANSACTION_TRUTH_FIELDS = ("is_fraud", "fraud_type")  # drop these before learners see a txn
FRAUD_TYPES = tuple(DEFAULT_FRAUD_MIX)
VELOCITY_BURST_MIN_TXNS = 5  # the rule: this many on one card...
VELOCITY_BURST_WINDOW_S = 60  # ...within this many seconds
IMPOSSIBLE_TRAVEL_KMH = 1_000  # the rule: faster than this since the account's previous txn
AMOUNT_OUTLIER_FACTOR = 10  # the rule: more than this × the account's usual amount

_LEGIT_MIN_GAP_MS = 30_000
_PICK_TRIES = 20
_BURST_TXNS = (6, 12)
_BURST_GAP_S = (1.0, 5.0)
_TRAVEL_FRAUD_MIN_KM = 2_000
_TRAVEL_FRAUD_DELAY_S = (60, 600)
_OUTLIER_FACTOR = (15.0, 40.0)
_TRIP_KMH = 700  # genuine travel: distance at this speed, plus half an hour at the airport
_TRIP_P_AT_HOME = 0.002
_TRIP_P_HOME_AGAIN = 0.02
_STARTS_AWAY_P = 0.03
_AMOUNT_SPREAD = 0.4  # genuine amounts: usual × category factor × e^(±3 spread at most)
_MERCHANT_SPREAD_DEG = 0.01  # each merchant has a branch within ~1 km of each city centre


class City(NamedTuple):
    name: str
    country: str
    currency: str
    lat: float
    lon: float


CITIES = (
    City("New York", "US", "USD", 40.7128, -74.0060),
    City("Chicago", "US", "USD", 41.8781, -87.6298),
    City("San Francisco", "US", "USD", 37.7749, -122.4194),
    City("Toronto", "CA", "CAD", 43.6532, -79.3832),
    City("Mexico City", "MX", "MXN", 19.4326, -99.1332),
    City("São Paulo", "BR", "BRL", -23.5505, -46.6333),
    City("London", "GB", "GBP", 51.5074, -0.1278),
    City("Manchester", "GB", "GBP", 53.4808, -2.2426),
    City("Paris", "FR", "EUR", 48.8566, 2.3522),
    City("Berlin", "DE", "EUR", 52.5200, 13.4050),
    City("Madrid", "ES", "EUR", 40.4168, -3.7038),
    City("Amsterdam", "NL", "EUR", 52.3676, 4.9041),
    City("Lagos", "NG", "NGN", 6.5244, 3.3792),
    City("Johannesburg", "ZA", "ZAR", -26.2041, 28.0473),
    City("Dubai", "AE", "AED", 25.2048, 55.2708),
    City("Mumbai", "IN", "INR", 19.0760, 72.8777),
    City("Singapore", "SG", "SGD", 1.3521, 103.8198),
    City("Seoul", "KR", "KRW", 37.5665, 126.9780),
    City("Tokyo", "JP", "JPY", 35.6762, 139.6503),
    City("Sydney", "AU", "AUD", -33.8688, 151.2093),
)
_HOME_WEIGHTS = (8, 5, 5, 4, 3, 3, 8, 3, 5, 5, 4, 3, 2, 2, 2, 4, 3, 3, 4, 3)

# units of each currency per US dollar (rounded, for realistic magnitudes), and minor units
_PER_USD = {
    "USD": 1.0,
    "CAD": 1.37,
    "MXN": 18.0,
    "BRL": 5.4,
    "GBP": 0.79,
    "EUR": 0.92,
    "NGN": 1_500.0,
    "ZAR": 18.5,
    "AED": 3.67,
    "INR": 84.0,
    "SGD": 1.34,
    "KRW": 1_380.0,
    "JPY": 150.0,
    "AUD": 1.52,
}
_ZERO_DECIMALS = frozenset({"JPY", "KRW"})

# category: (weight among genuine purchases, amount factor, merchants)
_CATEGORIES = {
    "grocery": (25, 1.0, ("FreshMart", "Green Basket", "Daily Grocer", "Corner Market")),
    "restaurant": (20, 0.8, ("Luigi's Trattoria", "Noodle House", "The Burger Joint")),
    "coffee": (15, 0.25, ("Bean There Cafe", "Morning Brew", "Espresso Lab")),
    "fuel": (8, 1.3, ("Speedy Fuel", "Highway Petrol")),
    "transport": (10, 0.4, ("Metro Transit", "CityRide Taxi", "ZipCab")),
    "pharmacy": (6, 0.6, ("WellCare Pharmacy", "HealthPlus")),
    "online_retail": (10, 1.5, ("ShopSphere", "MegaCart Online", "QuickBuy")),
    "electronics": (3, 2.0, ("Volt Electronics", "GadgetWorld")),
    "digital_goods": (3, 0.3, ("AppVault", "GameKeys Store", "StreamPlus")),
}
_BURST_CATEGORIES = ("digital_goods", "online_retail")
_OUTLIER_CATEGORIES = ("electronics", "online_retail")


def _merchant_spots() -> dict[tuple[int, str], tuple[float, float]]:
    """Where each merchant's branch in each city is: fixed, like real shops."""
    rng = random.Random("kinesis_lab.data.payments.merchants")
    spread = _MERCHANT_SPREAD_DEG
    return {
        (index, merchant): (
            round(city.lat + rng.uniform(-spread, spread), 6),
            round(city.lon + rng.uniform(-spread, spread), 6),
        )
        for index, city in enumerate(CITIES)
        for _, _, merchants in _CATEGORIES.values()
        for merchant in merchants
    }


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km: what the impossible-travel rule divides by time."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371.0 * math.asin(math.sqrt(a))


class _Account:
    """An account's fixed profile plus where it is and when it last transacted."""

    __slots__ = ("account_id", "cards", "home", "city", "currency", "usual", "last_ms")


def _make_accounts(accounts: int, seed: int) -> tuple[list[_Account], list[float]]:
    """Accounts and cumulative activity weights, from their own random stream."""
    if accounts < 1:
        raise ValueError("there is at least one account")
    rng = random.Random(f"kinesis_lab.data.payments.accounts:{seed}")
    width = max(6, len(str(accounts - 1)))
    book, weights = [], []
    for index in range(accounts):
        account = _Account()
        account.account_id = f"acct-{index:0{width}d}"
        account.cards = tuple(
            f"card-{rng.getrandbits(48):012x}" for _ in range(rng.choice((1, 1, 2)))
        )
        account.home = rng.choices(range(len(CITIES)), _HOME_WEIGHTS)[0]
        account.city = rng.randrange(len(CITIES)) if rng.random() < _STARTS_AWAY_P else account.home
        account.currency = CITIES[account.home].currency
        usual_usd = math.exp(rng.gauss(math.log(35.0), 0.5))  # median $35, most $13–$95
        account.usual = round(usual_usd * _PER_USD[account.currency], 2)
        account.last_ms = None
        book.append(account)
        weights.append(math.exp(rng.gauss(0.0, 0.7)))  # some accounts are far busier
    return book, list(itertools.accumulate(weights))


def account_profiles(accounts: int = DEFAULT_ACCOUNTS, *, seed: int = 0) -> list[dict[str, Any]]:
    """Each account's id, cards, home city, currency and usual amount — the baseline the
    outlier rule is measured against. Same ``accounts`` and ``seed`` as the transactions."""
    book, _ = _make_accounts(accounts, seed)
    return [
        {
            "account_id": a.account_id,
            "card_ids": list(a.cards),
            "home_city": CITIES[a.home].name,
            "home_country": CITIES[a.home].country,
            "currency": a.currency,
            "usual_amount": a.usual,
        }
        for a in book
    ]


def _episode_plan(fraud_rate: float, mix: Mapping[str, float]) -> tuple[float, float, list[float]]:
    """(chance a decision is a fraud episode, events per decision, cumulative mix) such that
    the share of fraudulent transactions comes out at ``fraud_rate``."""
    if set(mix) - set(FRAUD_TYPES) or not any(mix.values()):
        raise ValueError(f"fraud_mix weighs some of {FRAUD_TYPES}")
    if not 0 <= fraud_rate < 0.5:
        raise ValueError("fraud_rate is a share of transactions below 0.5")
    total = sum(mix.values())
    shares = [mix.get(kind, 0.0) / total for kind in FRAUD_TYPES]
    burst_mean = sum(_BURST_TXNS) / 2
    frauds = shares[0] * burst_mean + shares[1] + shares[2]  # per episode
    events = shares[0] * burst_mean + 2 * shares[1] + shares[2]  # travel adds a genuine one
    episode_p = fraud_rate / (frauds - fraud_rate * (events - 1))
    return episode_p, 1 + episode_p * (events - 1), list(itertools.accumulate(shares))


class _Planner:
    """Decides what each account does next and schedules the resulting transactions.

    Every transaction of an account is scheduled after the account's previous one, so a
    heap ordered by time yields each account's transactions in order.
    """

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.due: list[tuple[int, int, Event]] = []
        self.serial = 0
        self.categories = list(_CATEGORIES)
        self.spots = _merchant_spots()
        self.category_weights = list(itertools.accumulate(c[0] for c in _CATEGORIES.values()))

    def _pick(self, options: tuple | list) -> Any:
        return options[int(self.rng.random() * len(options))]  # random.choice, 2× faster

    def _everyday_category(self) -> str:
        weights = self.category_weights
        return self.categories[bisect.bisect(weights, self.rng.random() * weights[-1])]

    def genuine(self, account: _Account, ts_ms: int) -> None:
        """An everyday purchase where the cardholder is (now and then after a trip)."""
        rng = self.rng
        trip_p = _TRIP_P_AT_HOME if account.city == account.home else _TRIP_P_HOME_AGAIN
        if rng.random() < trip_p:
            ts_ms = self._travel(account, ts_ms)
        category = self._everyday_category()
        _, factor, merchants = _CATEGORIES[category]
        spread = (rng.random() + rng.random() - 1.0) * 3 * _AMOUNT_SPREAD
        amount = account.usual * factor * math.exp(spread)
        self._schedule(
            account,
            ts_ms,
            self._pick(account.cards),
            amount,
            category,
            merchant=self._pick(merchants),
            city_index=account.city,
        )

    def _travel(self, account: _Account, ts_ms: int) -> int:
        """Move the account to another city no faster than a plane could; returns when it can
        next transact."""
        here = CITIES[account.city]
        if account.city != account.home:
            there = account.home
        else:
            there = self.rng.randrange(len(CITIES) - 1)
            there += there >= account.city
        km = haversine_km(here.lat, here.lon, CITIES[there].lat, CITIES[there].lon)
        account.city = there
        travel_ms = round((km / _TRIP_KMH + 0.5) * 3_600_000)
        if account.last_ms is None:
            return ts_ms
        return max(ts_ms, account.last_ms + travel_ms)

    def velocity_burst(self, account: _Account, ts_ms: int) -> None:
        """Card testing: many small charges on one card at one merchant, seconds apart."""
        rng = self.rng
        card = self._pick(account.cards)
        category = self._pick(_BURST_CATEGORIES)
        merchant = self._pick(_CATEGORIES[category][2])
        for _ in range(rng.randint(*_BURST_TXNS)):
            amount = account.usual * rng.uniform(0.02, 0.4)
            self._schedule(
                account,
                ts_ms,
                card,
                amount,
                category,
                merchant=merchant,
                city_index=account.city,
                fraud_type="velocity_burst",
            )
            ts_ms += round(rng.uniform(*_BURST_GAP_S) * 1000)

    def impossible_travel(self, account: _Account, ts_ms: int) -> None:
        """The cardholder pays at home; minutes later a clone of the card pays far away."""
        rng = self.rng
        self.genuine(account, ts_ms)
        here = CITIES[account.city]
        far = [
            index
            for index, city in enumerate(CITIES)
            if haversine_km(here.lat, here.lon, city.lat, city.lon) >= _TRAVEL_FRAUD_MIN_KM
        ]
        category = self._everyday_category()
        _, factor, merchants = _CATEGORIES[category]
        amount = account.usual * factor * rng.uniform(0.7, 1.5)  # an ordinary amount
        later = account.last_ms + round(rng.uniform(*_TRAVEL_FRAUD_DELAY_S) * 1000)
        self._schedule(
            account,
            later,
            self._pick(account.cards),
            amount,
            category,
            merchant=self._pick(merchants),
            city_index=self._pick(far),
            fraud_type="impossible_travel",
        )

    def amount_outlier(self, account: _Account, ts_ms: int) -> None:
        """One purchase far above anything the account usually spends."""
        category = self._pick(_OUTLIER_CATEGORIES)
        amount = account.usual * self.rng.uniform(*_OUTLIER_FACTOR)
        self._schedule(
            account,
            ts_ms,
            self._pick(account.cards),
            amount,
            category,
            merchant=self._pick(_CATEGORIES[category][2]),
            city_index=account.city,
            fraud_type="amount_outlier",
        )

    def _schedule(
        self,
        account: _Account,
        ts_ms: int,
        card: str,
        amount: float,
        category: str,
        *,
        merchant: str,
        city_index: int,
        fraud_type: str | None = None,
    ) -> None:
        """Build one transaction and queue it; it becomes the account's latest."""
        city = CITIES[city_index]
        lat, lon = self.spots[city_index, merchant]
        amount = max(amount, 1.0)
        event = {
            "txn_id": f"txn-{self.rng.getrandbits(64):016x}",
            "account_id": account.account_id,
            "card_id": card,
            "ts": iso_utc_ms(ts_ms),
            "ts_ms": ts_ms,
            "amount": (
                float(round(amount))
                if account.currency in _ZERO_DECIMALS
                else round(amount * 100) / 100  # = round(amount, 2), three times faster
            ),
            "currency": account.currency,
            "merchant": merchant,
            "merchant_category": category,
            "city": city.name,
            "country": city.country,
            "lat": lat,
            "lon": lon,
            "is_fraud": fraud_type is not None,
            "fraud_type": fraud_type,
        }
        account.last_ms = ts_ms
        heapq.heappush(self.due, (ts_ms, self.serial, event))
        self.serial += 1


def iter_transactions(
    count: int | None = None,
    *,
    accounts: int = DEFAULT_ACCOUNTS,
    rate_per_s: float = DEFAULT_RATE_PER_S,
    fraud_rate: float = DEFAULT_FRAUD_RATE,
    fraud_mix: Mapping[str, float] | None = None,
    seed: int = 0,
    start: str | datetime | int = DEFAULT_START,
) -> Iterator[Event]:
    """Transactions in time order, lazily; endless when ``count`` is None.

    About ``rate_per_s`` transactions per second (Poisson arrivals) from ``accounts`` accounts,
    of which a share ``fraud_rate`` is fraud, split by ``fraud_mix`` (episodes per kind). Each
    account's transactions come in strictly increasing time, and its fraud episodes never
    overlap. Keep ``rate_per_s`` at most ``accounts / 60``: a card's genuine transactions are at
    least 30 s apart. The first ``n`` transactions are the same whatever ``count`` is; an episode
    still under way when the stream stops is cut short there (its later events are not yielded).
    """
    if accounts < 1:
        raise ValueError("there is at least one account")
    if not 0 < rate_per_s <= accounts / 60:
        raise ValueError(
            f"rate_per_s must be positive and at most accounts / 60 ({accounts / 60:g}): a card's "
            "genuine transactions are at least 30 s apart, so fewer accounts fall behind the rate"
        )
    episode_p, events_per_decision, mix = _episode_plan(
        fraud_rate, DEFAULT_FRAUD_MIX if fraud_mix is None else fraud_mix
    )
    book, activity = _make_accounts(accounts, seed)
    rng = random.Random(f"kinesis_lab.data.payments.transactions:{seed}")
    decisions_per_ms = rate_per_s / events_per_decision / 1000
    return _stream(book, activity, rng, count, decisions_per_ms, episode_p, mix, epoch_ms(start))


def _stream(
    book: list[_Account],
    activity: list[float],
    rng: random.Random,
    count: int | None,
    decisions_per_ms: float,
    episode_p: float,
    mix: list[float],
    start_ms: int,
) -> Iterator[Event]:
    """The transactions themselves: Poisson decisions schedule events; a heap releases them
    once the clock has passed them."""
    planner = _Planner(rng)
    plant = (planner.velocity_burst, planner.impossible_travel, planner.amount_outlier)
    total_activity = activity[-1]
    due, draw, pick = planner.due, rng.random, bisect.bisect  # hot loop: local names
    clock = float(start_ms)
    left = -1 if count is None else count  # -1 never reaches 0: endless
    while left:
        clock += rng.expovariate(decisions_per_ms)
        while due and due[0][0] <= clock:
            yield heapq.heappop(due)[2]
            left -= 1
            if not left:
                return
        ts_ms = int(clock)
        for _ in range(_PICK_TRIES):  # busy accounts (just paid, travelling) sit this one out
            account = book[pick(activity, draw() * total_activity)]
            if account.last_ms is None or account.last_ms + _LEGIT_MIN_GAP_MS <= ts_ms:
                break
        else:  # all busy: rare unless accounts are few; the account goes when it can
            ts_ms = account.last_ms + _LEGIT_MIN_GAP_MS
        if draw() < episode_p:
            plant[pick(mix, draw() * mix[-1])](account, ts_ms)
        else:
            planner.genuine(account, ts_ms)


def transactions(count: int, **options: Any) -> list[Event]:
    """``count`` transactions as a list; options as for ``iter_transactions``."""
    return list(iter_transactions(count, **options))
