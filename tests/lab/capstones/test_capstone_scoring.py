"""Precision and recall, by type, and the self-check for a learner's precision/recall."""

from __future__ import annotations

import pytest

from kinesis_lab.capstones.scoring import (
    ALL,
    Score,
    check_precision_recall,
    precision_recall,
    raised_on_blank,
    score,
    score_by_type,
    score_lines,
    score_table_html,
)


def test_score_counts_and_ratios():
    result = score({"a", "b", "c", "d"}, {"a", "b", "c", "e", "f"})
    assert result == Score(tp=3, fp=1, fn=2)
    assert result.precision == pytest.approx(0.75)
    assert result.recall == pytest.approx(0.6)
    assert result.f1 == pytest.approx(2 * 0.75 * 0.6 / 1.35)


def test_empty_sets_follow_the_stated_convention():
    assert Score(0, 0, 5).precision == 1.0  # nothing flagged: no false alarm
    assert Score(0, 3, 0).recall == 1.0  # nothing to find: nothing missed
    assert Score(0, 3, 5).f1 == 0.0
    assert precision_recall(set(), set()) == (1.0, 1.0)


def test_score_by_type_counts_a_wrong_type_against_both_types_but_right_overall():
    flagged = {"t1": "velocity", "t2": "travel", "t9": "travel"}
    actual = {"t1": "velocity", "t2": "outlier", "t3": "outlier"}
    scores = score_by_type(flagged, actual)
    assert scores["velocity"] == Score(1, 0, 0)
    assert scores["travel"] == Score(0, 2, 0)
    assert scores["outlier"] == Score(0, 0, 2)
    assert scores[ALL] == Score(2, 1, 1)
    assert list(scores)[-1] == ALL


def test_tables_show_every_type():
    scores = score_by_type({"a": "x"}, {"a": "x", "b": "y"})
    table = score_table_html(scores, caption="<run>")
    assert "&lt;run&gt;" in table and table.count("<tr") == 4
    assert "100.0%" in table and "50.0%" in table
    assert "recall  50.0%" in score_lines(scores)


def reference(flagged, actual):
    return precision_recall(flagged, actual)


def test_the_check_accepts_a_right_function(capsys):
    assert check_precision_recall(reference)
    assert "✓" in capsys.readouterr().out


def test_the_check_says_not_yet_for_blanks(capsys):
    assert not check_precision_recall(lambda flagged, actual: ...)
    assert not check_precision_recall(lambda flagged, actual: (..., ...))

    def half_done(flagged, actual):
        return len(flagged & actual) / ..., 1.0

    assert not check_precision_recall(half_done)
    out = capsys.readouterr().out
    assert out.count("not yet") == 3 and "✗" not in out


def test_the_check_explains_swapped_values_and_division_by_zero(capsys):
    assert not check_precision_recall(lambda f, a: tuple(reversed(reference(f, a))))
    assert "swapped" in capsys.readouterr().out

    def naive(flagged, actual):
        caught = len(flagged & actual)
        return caught / len(flagged), caught / len(actual)

    assert not check_precision_recall(naive)
    out = capsys.readouterr().out
    assert "ZeroDivisionError" in out and "nothing was flagged" in out


def test_the_check_wants_a_pair(capsys):
    assert not check_precision_recall(lambda f, a: 0.5)
    assert "pair" in capsys.readouterr().out


def test_raised_on_blank_recognises_ellipsis_errors():
    with pytest.raises(TypeError) as raised:
        max(1.0, ...)
    assert raised_on_blank(raised.value)
    assert not raised_on_blank(ZeroDivisionError("division by zero"))
