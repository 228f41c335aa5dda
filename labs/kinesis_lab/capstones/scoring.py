"""Precision and recall of a detector against the generators' ground truth.

Why: every capstone ends with "how good is the detector?" — the generators plant anomalies,
fraud and trends and keep the answer key, so the answer is a count of true positives, false
positives and false negatives. Pure functions, no AWS.

- precision = TP / (TP + FP): of everything flagged, the share that was real;
- recall = TP / (TP + FN): of everything real, the share that was flagged.

When nothing was flagged, precision is taken as 1.0 (no false alarm was raised); when there was
nothing to find, recall is 1.0 (nothing was missed). This is a convention, stated so the checks
and the tables agree.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..core.checks import FAIL_MARK, PASS_MARK, TODO_MARK, is_blank

ALL = "all"


@dataclass(frozen=True)
class Score:
    """True positives, false positives and false negatives of one detector (or one type)."""

    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        flagged = self.tp + self.fp
        return self.tp / flagged if flagged else 1.0

    @property
    def recall(self) -> float:
        real = self.tp + self.fn
        return self.tp / real if real else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def score(flagged: Iterable[Hashable], actual: Iterable[Hashable]) -> Score:
    """Compare the IDs a detector flagged with the IDs that really were positive."""
    flagged_ids, actual_ids = set(flagged), set(actual)
    return Score(
        tp=len(flagged_ids & actual_ids),
        fp=len(flagged_ids - actual_ids),
        fn=len(actual_ids - flagged_ids),
    )


def precision_recall(
    flagged: Iterable[Hashable], actual: Iterable[Hashable]
) -> tuple[float, float]:
    """(precision, recall) — the reference the learner's function is checked against."""
    result = score(flagged, actual)
    return result.precision, result.recall


def score_by_type(
    flagged: Mapping[Hashable, str], actual: Mapping[Hashable, str]
) -> dict[str, Score]:
    """Scores per type and overall (key :data:`ALL`). ``flagged`` and ``actual`` map an ID to
    its type. A flag of the wrong type counts as a false positive for the type it claimed and
    a false negative for the type it was, but as a true positive overall."""
    types = sorted(set(flagged.values()) | set(actual.values()))
    scores = {
        kind: score(
            (i for i, t in flagged.items() if t == kind),
            (i for i, t in actual.items() if t == kind),
        )
        for kind in types
    }
    scores[ALL] = score(flagged, actual)
    return scores


def score_table_html(scores: Mapping[str, Score], caption: str = "") -> str:
    """Scores as an HTML table: type, TP, FP, FN, precision, recall."""
    head = "".join(
        f"<th>{name}</th>"
        for name in (
            "type",
            "caught (TP)",
            "false alarms (FP)",
            "missed (FN)",
            "precision",
            "recall",
        )
    )
    body = ""
    for kind, result in scores.items():
        weight = "font-weight:bold;" if kind == ALL else ""
        cells = (
            html.escape(kind),
            str(result.tp),
            str(result.fp),
            str(result.fn),
            f"{result.precision:.1%}",
            f"{result.recall:.1%}",
        )
        body += f"<tr style='{weight}'>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"
    title = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f"<table class='kinesis-scores'>{title}<tr>{head}</tr>{body}</table>"


def score_lines(scores: Mapping[str, Score]) -> str:
    """The same as plain text, one line per type."""
    width = max(len(kind) for kind in scores)
    return "\n".join(
        f"{kind:<{width}}  precision {result.precision:6.1%}  recall {result.recall:6.1%}  "
        f"(TP {result.tp}, FP {result.fp}, FN {result.fn})"
        for kind, result in scores.items()
    )


# ---------------------------------------------------------------------------------------------
# Self-check for a learner's precision/recall function
# ---------------------------------------------------------------------------------------------

# (flagged, actual, what the case is about); the expected values come from precision_recall.
PRECISION_RECALL_CASES: Sequence[tuple[set[str], set[str], str]] = (
    ({"t1", "t2", "t3", "t4"}, {"t1", "t2", "t3", "t5", "t6"}, "3 caught, 1 false alarm, 2 missed"),
    ({"t1", "t2"}, {"t1", "t2"}, "a perfect detector"),
    ({"t1", "t2", "t3", "t4"}, {"t1"}, "flags too much: high recall, low precision"),
    ({"t9"}, {"t1", "t2"}, "flags the wrong thing: nothing right"),
    (set(), {"t1", "t2"}, "flags nothing (precision: no false alarm, so 1.0)"),
    ({"t1"}, set(), "nothing to find (recall: nothing missed, so 1.0)"),
)


def raised_on_blank(error: BaseException) -> bool:
    """True when a learner's code failed only because a ``...`` blank is still in it (for
    example ``max(1.2, ...)``: "not supported between instances of 'ellipsis' and 'float'")."""
    return "ellipsis" in str(error)


def _close(got: Any, expected: float) -> bool:
    try:
        return abs(float(got) - expected) < 1e-9
    except (TypeError, ValueError):
        return False


def check_precision_recall(function: Callable[[set[str], set[str]], Any]) -> bool:
    """Run a learner's ``function(flagged, actual) -> (precision, recall)`` on small cases and
    print ✓ / ✗ / "not yet"; True when every case is right. Never raises."""
    label = "precision and recall"
    right = 0
    for flagged, actual, about in PRECISION_RECALL_CASES:
        try:
            got = function(set(flagged), set(actual))
        except Exception as error:  # the learner's code raised: say so, keep the lesson going
            if raised_on_blank(error):
                print(f"{TODO_MARK} {label}: not yet — replace the ... with your code.")
                return False
            print(f"{FAIL_MARK} {label} ({about}): your function raised {type(error).__name__}")
            if isinstance(error, ZeroDivisionError):
                print("    hint: what is the precision when nothing was flagged?")
            return False
        if is_blank(got) or (isinstance(got, tuple) and any(is_blank(v) for v in got)):
            print(f"{TODO_MARK} {label}: not yet — replace the ... with your code.")
            return False
        expected = precision_recall(flagged, actual)
        if not (isinstance(got, (tuple, list)) and len(got) == 2):
            print(f"{FAIL_MARK} {label}: return a pair (precision, recall), not {got!r:.60}")
            return False
        if _close(got[0], expected[0]) and _close(got[1], expected[1]):
            right += 1
            continue
        swapped = _close(got[0], expected[1]) and _close(got[1], expected[0])
        print(
            f"{FAIL_MARK} {label} ({about}): flagged {sorted(flagged)}, actual {sorted(actual)} "
            f"→ you have ({got[0]}, {got[1]})"
        )
        hint = (
            "the two values look swapped: precision divides by what was flagged, recall by "
            "what was real."
            if swapped
            else "precision = caught / flagged, recall = caught / real; caught = flagged ∩ actual."
        )
        print(f"    hint: {hint}")
        return False
    print(f"{PASS_MARK} {label}: all {right} cases right.")
    return True
