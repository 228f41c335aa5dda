"""Fraud capstone (lesson 14): flag planted card fraud in real time with a stateful
consumer, and show why per-account order matters.

Why here: the detector is *stateful* — it remembers each card's recent charges and each
account's last trusted location — so its state must be saved with the consumer's checkpoint
(lesson M5) and it only works when each account's transactions arrive in order, which the
partition key guarantees (lesson M1). The reference rules, the state snapshot/restore the
consumer calls, an idempotent alert table, the checks for the learner's code and the
threshold explorer live here, tested.

The rules follow :mod:`kinesis_lab.data.payments`, whose generator plants each kind of fraud so
that one rule finds it:

- **velocity burst**: ``VELOCITY_BURST_MIN_TXNS`` (5) or more charges on one card within
  ``VELOCITY_BURST_WINDOW_S`` (60 s). The first four charges of a burst look like ordinary use
  until the fifth arrives — so a real-time rule misses them unless it also flags the burst's
  earlier charges once it fires (``whole_burst=True``).
- **impossible travel**: the speed from the account's last *trusted* transaction to this one
  exceeds ``IMPOSSIBLE_TRAVEL_KMH`` (1,000 km/h). A transaction flagged for travel never
  becomes the trusted location — otherwise the cardholder's next genuine payment, back home,
  would look impossible too.
- **amount outlier**: more than ``AMOUNT_OUTLIER_FACTOR`` (10) × the account's usual amount
  (from ``account_profiles``: the customer profile a card issuer keeps).
"""

from __future__ import annotations

import html
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from ..clients.resources import recreate_table
from ..core import clock
from ..core.checks import FAIL_MARK, PASS_MARK, TODO_MARK, is_blank
from ..data.payments import (
    AMOUNT_OUTLIER_FACTOR,
    IMPOSSIBLE_TRAVEL_KMH,
    VELOCITY_BURST_MIN_TXNS,
    VELOCITY_BURST_WINDOW_S,
    haversine_km,
)
from ..data.records import decode
from ..widgets.capstone_charts import precision_recall_svg
from .scoring import ALL, Score, raised_on_blank, score_by_type, score_table_html

VELOCITY = "velocity_burst"
TRAVEL = "impossible_travel"
OUTLIER = "amount_outlier"
FRAUD_TYPES = (VELOCITY, TRAVEL, OUTLIER)

Txn = Mapping[str, Any]
TravelRule = Callable[[Txn, Txn], Any]

# ---------------------------------------------------------------------------------------------
# Impossible travel
# ---------------------------------------------------------------------------------------------


def implied_speed_kmh(previous: Txn, current: Txn) -> float:
    """Great-circle distance over elapsed time; infinite when the place changed in no time."""
    km = haversine_km(previous["lat"], previous["lon"], current["lat"], current["lon"])
    hours = (current["ts_ms"] - previous["ts_ms"]) / 3_600_000
    if hours <= 0:
        return float("inf") if km > 0 else 0.0
    return km / hours


def reference_impossible_travel(previous: Txn, current: Txn) -> bool:
    """True when getting from ``previous`` to ``current`` needs more than 1,000 km/h."""
    return implied_speed_kmh(previous, current) > IMPOSSIBLE_TRAVEL_KMH


def _place(city: str, lat: float, lon: float, minutes: float) -> dict[str, Any]:
    return {
        "city": city,
        "lat": lat,
        "lon": lon,
        "ts_ms": 1_768_467_600_000 + int(minutes * 60_000),
    }


# (previous, current, expected, what the case is about)
TRAVEL_CASES: Sequence[tuple[dict[str, Any], dict[str, Any], bool, str]] = (
    (
        _place("London", 51.5074, -0.1278, 0),
        _place("Paris", 48.8566, 2.3522, 90),
        False,
        "London → Paris in 90 minutes (about 230 km/h: a fast train)",
    ),
    (
        _place("New York", 40.7128, -74.0060, 0),
        _place("London", 51.5074, -0.1278, 10),
        True,
        "New York → London in 10 minutes",
    ),
    (
        _place("Tokyo", 35.6762, 139.6503, 0),
        _place("Sydney", -33.8688, 151.2093, 9 * 60),
        False,
        "Tokyo → Sydney in 9 hours (a flight)",
    ),
    (
        _place("Berlin", 52.5200, 13.4050, 0),
        _place("Berlin", 52.5200, 13.4050, 0),
        False,
        "two payments at the same shop in the same millisecond",
    ),
    (
        _place("Berlin", 52.5200, 13.4050, 0),
        _place("Madrid", 40.4168, -3.7038, 0),
        True,
        "Berlin and Madrid in the same millisecond (no time passed: watch the division)",
    ),
    (
        _place("Chicago", 41.8781, -87.6298, 0),
        _place("Chicago", 41.8781, -87.6298, 5),
        False,
        "the same shop five minutes later",
    ),
)


def check_impossible_travel(function: TravelRule) -> bool:
    """Check a learner's ``impossible_travel(previous, current) -> bool``; prints ✓ / ✗ / "not
    yet" and a hint. Never raises."""
    label = "impossible_travel"
    for previous, current, expected, about in TRAVEL_CASES:
        try:
            got = function(dict(previous), dict(current))
        except Exception as error:
            if raised_on_blank(error):
                print(f"{TODO_MARK} {label}: not yet — replace the ... with your code.")
                return False
            print(f"{FAIL_MARK} {label} ({about}): your function raised {type(error).__name__}")
            if isinstance(error, ZeroDivisionError):
                print("    hint: when no time passed, any distance at all is impossible.")
            return False
        if is_blank(got):
            print(f"{TODO_MARK} {label}: not yet — replace the ... with your code.")
            return False
        if bool(got) != expected:
            print(f"{FAIL_MARK} {label} ({about}): you have {got!r}")
            print(
                "    hint: speed = haversine_km(…) ÷ hours between the two ts_ms "
                "(3,600,000 ms in an hour); impossible is more than 1,000 km/h."
            )
            return False
    print(f"{PASS_MARK} {label}: all {len(TRAVEL_CASES)} cases right.")
    return True


# ---------------------------------------------------------------------------------------------
# The stateful detector
# ---------------------------------------------------------------------------------------------


class FraudDetector:
    """A stateful consumer's logic: call it with each record (or :meth:`process` a decoded
    transaction). State per account: the recent charges of each card (for the velocity rule)
    and the last trusted location (for travel). New flags go to ``sink`` (for example an
    :class:`AlertTable`) and to :attr:`flags`.

    :meth:`snapshot` and :meth:`restore` give a :class:`~.pipeline.StreamConsumer` the state of
    the accounts of one shard, to save with that shard's checkpoint.
    """

    def __init__(
        self,
        usual_amounts: Mapping[str, float],
        *,
        travel_rule: TravelRule = reference_impossible_travel,
        velocity_min: int = VELOCITY_BURST_MIN_TXNS,
        velocity_window_s: float = VELOCITY_BURST_WINDOW_S,
        outlier_factor: float = AMOUNT_OUTLIER_FACTOR,
        whole_burst: bool = False,
        sink: Callable[[dict[str, Any]], Any] | None = None,
    ) -> None:
        self.usual_amounts = usual_amounts
        self.travel_rule = travel_rule
        self.velocity_min = velocity_min
        self.window_ms = int(velocity_window_s * 1000)
        self.outlier_factor = outlier_factor
        self.whole_burst = whole_burst
        self.sink = sink
        self.flags: dict[str, str] = {}
        self.processed = 0
        self.restored_accounts = 0  # accounts whose state came back from a checkpoint
        self.out_of_order = 0  # a transaction older than its account's previous one
        # state, per account
        self._cards: dict[str, dict[str, list[list[Any]]]] = defaultdict(dict)
        self._trusted: dict[str, dict[str, Any]] = {}
        self._latest_ts: dict[str, int] = {}
        self._shard_of: dict[str, str] = {}

    # -- the handler ---------------------------------------------------------------------
    def __call__(self, record: Mapping[str, Any]) -> None:
        self.process(decode(record), record.get("ShardId"))

    def process(self, txn: Txn, shard_id: str | None = None) -> list[tuple[str, str]]:
        """Apply the three rules to one transaction and update the account's state; returns
        the (txn_id, type) pairs newly flagged (more than one when a whole burst is)."""
        account, ts = txn["account_id"], int(txn["ts_ms"])
        self.processed += 1
        if shard_id is not None:
            self._shard_of[account] = shard_id
        if ts < self._latest_ts.get(account, ts):
            self.out_of_order += 1
        self._latest_ts[account] = max(ts, self._latest_ts.get(account, ts))

        flagged: list[tuple[str, str]] = []
        card = self._cards[account].setdefault(txn["card_id"], [])
        card.append([ts, txn["txn_id"], txn["merchant"]])
        card[:] = [c for c in card if ts - self.window_ms <= c[0] <= ts or c[0] > ts]
        usual = self.usual_amounts.get(account)
        kind = None
        if usual and txn["amount"] > self.outlier_factor * usual:
            kind = OUTLIER
        elif len([c for c in card if c[0] <= ts]) >= self.velocity_min:
            kind = VELOCITY
            if self.whole_burst:
                flagged += [
                    (c[1], VELOCITY)
                    for c in card
                    if c[1] != txn["txn_id"] and c[2] == txn["merchant"] and c[1] not in self.flags
                ]
        else:
            trusted = self._trusted.get(account)
            if trusted is not None and self.travel_rule(trusted, txn):
                kind = TRAVEL
        if kind != TRAVEL:
            self._trusted[account] = {"ts_ms": ts, "lat": txn["lat"], "lon": txn["lon"]}
        if kind is not None:
            flagged.append((txn["txn_id"], kind))
        new = [(txn_id, k) for txn_id, k in flagged if txn_id not in self.flags]
        for txn_id, k in new:
            self.flags[txn_id] = k
            if self.sink is not None:
                self.sink(self._alert(txn_id, k, txn))
        return new

    def _alert(self, txn_id: str, kind: str, txn: Txn) -> dict[str, Any]:
        now = clock.now()
        same = txn_id == txn["txn_id"]
        return {
            "txn_id": txn_id,
            "account_id": txn["account_id"],
            "type": kind,
            "flagged_by": txn["txn_id"],
            "ts_ms": int(txn["ts_ms"]) if same else None,
            "flagged_at": round(now, 3),
            "latency_s": round(now - txn["ts_ms"] / 1000, 3) if same else None,
        }

    # -- state with the checkpoint -------------------------------------------------------
    def snapshot(self, shard_id: str) -> dict[str, Any]:
        """The state of every account last seen on ``shard_id``, JSON-able. Charges too old to
        fall in any future velocity window are left out (with ten seconds' margin for
        transactions of different accounts that arrive a little out of order)."""
        horizon = max(self._latest_ts.values(), default=0) - self.window_ms - 10_000
        state = {}
        for account, shard in sorted(self._shard_of.items()):
            if shard != shard_id:
                continue
            cards = {
                card: recent
                for card, charges in self._cards.get(account, {}).items()
                if (recent := [c for c in charges if c[0] >= horizon])
            }
            state[account] = {
                "cards": cards,
                "trusted": self._trusted.get(account),
                "latest": self._latest_ts.get(account),
            }
        return state

    def restore(self, shard_id: str, state: Mapping[str, Any]) -> None:
        """Load what :meth:`snapshot` saved (a restarted consumer calls this per shard)."""
        self.restored_accounts += len(state)
        for account, saved in state.items():
            self._cards[account] = {
                card: [list(c) for c in charges] for card, charges in saved["cards"].items()
            }
            if saved.get("trusted") is not None:
                self._trusted[account] = dict(saved["trusted"])
            if saved.get("latest") is not None:
                self._latest_ts[account] = int(saved["latest"])
            self._shard_of[account] = shard_id

    def accounts(self) -> int:
        return len(self._shard_of) or len(self._latest_ts)


def run_detector(
    txns: Iterable[Txn], usual_amounts: Mapping[str, float], **options: Any
) -> FraudDetector:
    """A fresh detector over transactions in the given order (offline, for comparisons)."""
    detector = FraudDetector(usual_amounts, **options)
    for txn in txns:
        detector.process(txn)
    return detector


def truth_of(txns: Iterable[Txn]) -> dict[str, str]:
    """Ground truth: txn_id → fraud type, for the fraudulent transactions."""
    return {t["txn_id"]: t["fraud_type"] for t in txns if t.get("is_fraud")}


def order_violations(txns: Iterable[Txn], key: str = "account_id") -> int:
    """How many transactions arrive older than their key's previous one."""
    latest: dict[str, int] = {}
    violations = 0
    for txn in txns:
        ts = int(txn["ts_ms"])
        if ts < latest.get(txn[key], ts):
            violations += 1
        latest[txn[key]] = max(ts, latest.get(txn[key], ts))
    return violations


# ---------------------------------------------------------------------------------------------
# An idempotent alert table (DynamoDB conditional writes, lesson M5)
# ---------------------------------------------------------------------------------------------


class AlertTable:
    """Fraud alerts in DynamoDB, written at most once per ``txn_id``: a conditional
    ``PutItem`` (``attribute_not_exists``), so re-processing after a restart (at-least-once,
    F31) never raises a second alert for the same payment."""

    def __init__(self, dynamodb: Any, table: str) -> None:
        self.dynamodb = dynamodb
        self.table = table
        self.written = 0
        self.duplicates = 0

    def recreate(self) -> AlertTable:
        recreate_table(self.dynamodb, self.table, "txn_id")
        return self

    def __call__(self, alert: Mapping[str, Any]) -> bool:
        item: dict[str, Any] = {}
        for name, value in alert.items():
            if value is None:
                continue
            item[name] = {"N": str(value)} if isinstance(value, (int, float)) else {"S": str(value)}
        try:
            self.dynamodb.put_item(
                TableName=self.table,
                Item=item,
                ConditionExpression="attribute_not_exists(txn_id)",
            )
        except self.dynamodb.exceptions.ConditionalCheckFailedException:
            self.duplicates += 1
            return False
        self.written += 1
        return True

    def items(self) -> list[dict[str, Any]]:
        from ..patterns.delivery import table_items

        return table_items(self.dynamodb, self.table)


# ---------------------------------------------------------------------------------------------
# Threshold explorer: precision and recall as the rules move
# ---------------------------------------------------------------------------------------------


def scores_for(
    txns: Sequence[Txn],
    usual_amounts: Mapping[str, float],
    truth: Mapping[str, str],
    **options: Any,
) -> dict[str, Score]:
    """Per-type and overall scores of a detector with these options over ``txns``."""
    return score_by_type(run_detector(txns, usual_amounts, **options).flags, truth)


def threshold_explorer(
    txns: Sequence[Txn], usual_amounts: Mapping[str, float], truth: Mapping[str, str]
) -> Any:
    """Sliders for the velocity count and window, the outlier factor and the travel speed, and
    a "flag the whole burst" switch; the table and bars follow (the detector re-runs offline
    over the same transactions, in stream order)."""
    import ipywidgets as widgets

    style = {"description_width": "16em"}
    layout = widgets.Layout(width="min(100%, 560px)")
    controls = {
        "velocity_min": widgets.IntSlider(
            value=VELOCITY_BURST_MIN_TXNS, min=2, max=10, description="velocity: charges ≥",
            style=style, layout=layout,
        ),
        "velocity_window_s": widgets.IntSlider(
            value=VELOCITY_BURST_WINDOW_S, min=10, max=300, step=10,
            description="velocity: within (s)", style=style, layout=layout,
        ),
        "outlier_factor": widgets.FloatSlider(
            value=AMOUNT_OUTLIER_FACTOR, min=2, max=40, step=1,
            description="outlier: amount > usual ×", style=style, layout=layout,
        ),
        "max_kmh": widgets.IntSlider(
            value=IMPOSSIBLE_TRAVEL_KMH, min=100, max=3_000, step=100,
            description="travel: faster than (km/h)", style=style, layout=layout,
        ),
        "whole_burst": widgets.Checkbox(
            value=False, description="flag the whole burst when the velocity rule fires",
            style={"description_width": "initial"},
        ),
    }  # fmt: skip
    table = widgets.HTML()
    picture = widgets.HTML()

    def draw(_: Any = None) -> None:
        values = {name: control.value for name, control in controls.items()}
        max_kmh = values.pop("max_kmh")

        def travel(previous: Txn, current: Txn) -> bool:
            return implied_speed_kmh(previous, current) > max_kmh

        scores = scores_for(txns, usual_amounts, truth, travel_rule=travel, **values)
        table.value = score_table_html(scores)
        picture.value = precision_recall_svg(scores)

    for control in controls.values():
        control.observe(draw, names="value")
    draw()
    box = widgets.VBox([*controls.values(), table, picture])
    box.controls = controls
    box.outputs = {"table": table, "picture": picture}
    return box


def alert_rows(alerts: Iterable[Mapping[str, Any]], start: float, limit: int = 8) -> list[tuple]:
    """The first alerts for a table: time, account, type, flagged after (s)."""
    timed = sorted(
        (a for a in alerts if a.get("ts_ms") is not None), key=lambda a: (a["ts_ms"], a["txn_id"])
    )
    return [
        (
            f"t+{a['ts_ms'] / 1000 - start:.0f} s",
            a["account_id"],
            a["txn_id"],
            a["type"],
            f"{a['latency_s']:.1f} s",
        )
        for a in timed[:limit]
    ]


def describe_order(violations: int, total: int) -> str:
    mark = PASS_MARK if violations == 0 else FAIL_MARK
    return html.escape(
        f"{mark} {violations} of {total:,} transactions arrived older than their account's "
        "previous one"
    )


__all__ = [
    "ALL",
    "FRAUD_TYPES",
    "OUTLIER",
    "TRAVEL",
    "VELOCITY",
    "AlertTable",
    "FraudDetector",
    "alert_rows",
    "check_impossible_travel",
    "implied_speed_kmh",
    "order_violations",
    "reference_impossible_travel",
    "run_detector",
    "scores_for",
    "threshold_explorer",
    "truth_of",
]
