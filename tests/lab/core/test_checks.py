"""Self-check helpers: clear verdicts, never an exception, never the answer before a try."""

from __future__ import annotations

import pytest

from kinesis_lab.core.checks import (
    check_equal,
    check_shard_predictions,
    grade_choice,
    is_blank,
    normalize_shard_id,
    resolve_answer,
    self_check_question,
)

SHARD_2 = "shardId-000000000002"


def test_check_equal_match_prints_tick_and_returns_true(capsys):
    assert check_equal("hash key", 42, 42) is True
    assert capsys.readouterr().out.startswith("✓ hash key")


def test_check_equal_mismatch_gives_hint_not_the_answer(capsys):
    assert check_equal("hash key", 41, 123456789, hint="use MD5") is False
    out = capsys.readouterr().out
    assert out.startswith("✗ hash key")
    assert "use MD5" in out
    assert "123456789" not in out


def test_check_equal_can_show_expected_when_asked(capsys):
    check_equal("retention", 12, 24, show_expected=True)
    assert "expected 24" in capsys.readouterr().out


def test_check_equal_blank_is_not_yet(capsys):
    assert check_equal("prediction", ..., SHARD_2, hint="look at the ranges") is False
    out = capsys.readouterr().out
    assert "not yet" in out
    assert SHARD_2 not in out
    assert "look at the ranges" not in out  # hints come after a try


def test_check_equal_notices_right_value_of_wrong_type(capsys):
    assert check_equal("count", "4", 4) is False
    assert "type is str" in capsys.readouterr().out


class Unhelpful:
    def __eq__(self, other):
        raise RuntimeError("no comparing me")

    def __repr__(self):
        raise RuntimeError("no printing me")


def test_check_equal_never_raises(capsys):
    assert check_equal("odd object", Unhelpful(), 1) is False
    assert check_equal("odd expected", 1, Unhelpful()) is False
    assert capsys.readouterr().out.count("✗") == 2


def test_is_blank():
    assert is_blank(...)
    assert not is_blank(None) and not is_blank(0) and not is_blank("")


@pytest.mark.parametrize("given", [2, "2", " 2 ", SHARD_2])
def test_normalize_shard_id_accepts_number_or_id(given):
    assert normalize_shard_id(given) == SHARD_2


def test_shard_predictions_all_blank_reveals_nothing(capsys):
    actual = {"a": SHARD_2, "b": "shardId-000000000000"}
    assert check_shard_predictions({"a": ..., "b": ...}, actual) is False
    out = capsys.readouterr().out
    assert out.count("not yet") == 2
    assert "shardId" not in out


def test_shard_predictions_mixed(capsys):
    actual = {"a": SHARD_2, "b": "shardId-000000000000", "c": "shardId-000000000001"}
    result = check_shard_predictions({"a": 2, "b": "shardId-000000000003", "c": ...}, actual)
    out = capsys.readouterr().out
    assert result is False
    assert f"✓ 'a' → {SHARD_2}" in out
    assert "✗ 'b'" in out and "shardId-000000000000" in out  # tried: now the real shard shows
    assert "'c': not yet" in out and "shardId-000000000001" not in out
    assert "1 of 3 predictions right, 1 not yet." in out


def test_shard_predictions_all_right(capsys):
    actual = {"a": SHARD_2}
    assert check_shard_predictions({"a": SHARD_2}, actual) is True
    assert "All 1 predictions right" in capsys.readouterr().out


def test_shard_predictions_never_raise(capsys):
    assert check_shard_predictions(None, {"a": SHARD_2}) is False  # type: ignore[arg-type]
    assert "could not check" in capsys.readouterr().out


def test_grade_choice():
    assert grade_choice("b", "b").correct is True
    assert grade_choice(1, 1).correct is True
    assert grade_choice("a", "b").correct is False
    assert grade_choice(None, "b").correct is None
    assert "b" not in grade_choice("a", "b").message  # a wrong try does not give the answer


def test_resolve_answer():
    assert resolve_answer(["x", "y"], 1) == "y"
    assert resolve_answer(["x", "y"], "x") == "x"
    with pytest.raises(ValueError):
        resolve_answer(["x", "y"], "z")


def test_self_check_question_flow():
    question = self_check_question(
        "Which boto3 client name does Amazon Data Firehose use?",
        ["`kinesis`", "`firehose`", "`datafirehose`"],
        answer=1,
        explanation="The service was renamed; the API name `firehose` was kept.",
    )
    _, choices, buttons, feedback = question.children
    check, show = buttons.children
    assert show.layout.display == "none"
    check.click()
    assert "Pick an answer" in feedback.value
    choices.value = "`kinesis`"
    check.click()
    assert "Not quite" in feedback.value and "renamed" not in feedback.value
    assert show.layout.display != "none"  # "Show answer" appears only after a try
    choices.value = "`firehose`"
    check.click()
    assert "Correct" in feedback.value and "renamed" in feedback.value
    show.click()
    assert "<code>firehose</code>" in feedback.value
    text = question._repr_mimebundle_()["text/plain"]
    assert "Which boto3 client" in text and "(c) `datafirehose`" in text
