"""kinesis_lab.quiz.check: the one mechanism every autograded quiz check goes through."""

from __future__ import annotations

import enum
import json
import math
from collections import Counter, OrderedDict

import pytest

from kinesis_lab.quiz import check as quizcheck
from kinesis_lab.quiz.check import (
    CheckFailed,
    NotPlainData,
    decide,
    expect,
    expect_format,
    plain,
    records,
    same,
)


@pytest.fixture(autouse=True)
def fresh_records(monkeypatch):
    monkeypatch.delenv(quizcheck.LOG_ENV, raising=False)
    monkeypatch.delenv(quizcheck.STDOUT_ENV, raising=False)
    quizcheck.clear_records()
    yield
    quizcheck.clear_records()


class AlwaysEqual:
    """A learner's object that claims to equal anything."""

    def __eq__(self, other):
        return True

    def __hash__(self):
        return 0


class SneakyStr(str):
    def __eq__(self, other):
        return True

    __hash__ = str.__hash__


class SneakyList(list):
    def __eq__(self, other):
        return True

    def __iter__(self):
        return iter(["b"])


class Color(enum.IntEnum):
    RED = 1


# --- plain data --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (3, 3),
        (2.5, 2.5),
        ("b", "b"),
        (True, True),
        (None, None),
        ((1, 2), [1, 2]),
        ({"c", "a", "b"}, ["a", "b", "c"]),
        (frozenset({2, 1}), [1, 2]),
        (Counter({"dev-1": 2}), {"dev-1": 2}),
        (OrderedDict(a=[1, (2, 3)]), {"a": [1, [2, 3]]}),
        (Color.RED, 1),
    ],
)
def test_plain_turns_builtins_and_their_subclasses_into_plain_data(value, expected):
    converted = plain(value)
    assert converted == expected
    assert json.loads(json.dumps(converted)) == converted


def test_subclasses_are_read_through_the_base_type_not_their_overrides():
    assert type(plain(SneakyStr("x"))) is str
    assert plain(SneakyList(["a", "c"])) == ["a", "c"]  # list.__iter__, not the override


@pytest.mark.parametrize(
    "value",
    [AlwaysEqual(), b"bytes", object(), {1: "int key"}, math.nan, math.inf, [AlwaysEqual()]],
)
def test_anything_else_is_not_plain_data(value):
    with pytest.raises(NotPlainData):
        plain(value)


def test_plain_data_is_bounded_in_size_and_depth():
    with pytest.raises(NotPlainData, match="more than"):
        plain(list(range(quizcheck.MAX_ITEMS + 1)))
    deep: list = []
    for _ in range(quizcheck.MAX_DEPTH + 2):
        deep = [deep]
    with pytest.raises(NotPlainData, match="nested"):
        plain(deep)


@pytest.mark.parametrize(
    ("actual", "expected", "result"),
    [
        (3, 3.0, True),
        (True, 1, False),
        (1, True, False),
        ("3", 3, False),
        ([1, 2], [1, 2], True),
        ([1, 2], [2, 1], False),
        ({"a": 1}, {"a": 1, "b": 2}, False),
        (None, None, True),
        (0, None, False),
    ],
)
def test_same_is_strict_about_types_but_not_int_versus_float(actual, expected, result):
    assert same(actual, expected) is result


# --- expect ------------------------------------------------------------------------------


def test_expect_passes_quietly_with_a_tick_and_returns_none(capsys):
    assert expect("q01_x", "b", equals="b") is None
    assert capsys.readouterr().out == "✓ q01_x\n"


def test_a_wrong_answer_fails_without_revealing_the_expected_value():
    with pytest.raises(CheckFailed) as failure:
        expect("q01_x", "c", equals="secret-answer")
    assert "secret-answer" not in str(failure.value)
    assert "q01_x" in str(failure.value) and '"c"' in str(failure.value)


def test_magic_equality_cannot_pass():
    for sneaky in (AlwaysEqual(), [AlwaysEqual()], {"k": AlwaysEqual()}):
        with pytest.raises(CheckFailed, match="plain data"):
            expect("q01_x", sneaky, equals="b")
    with pytest.raises(CheckFailed):
        expect("q01_x", SneakyStr("z"), equals="b")


def test_close_to_uses_an_absolute_tolerance_and_refuses_non_numbers():
    expect("a01_t", 128.004, close_to=128.0, tol=0.01)
    with pytest.raises(CheckFailed):
        expect("a01_t", 128.2, close_to=128.0, tol=0.01)
    with pytest.raises(CheckFailed):
        expect("a01_t", True, close_to=1, tol=0.5)
    with pytest.raises(CheckFailed):
        expect("a01_t", "128", close_to=128)


def test_one_of_and_same_items():
    expect("q01_x", "b", one_of=["b", "B"])
    expect("q01_m", {"e", "a", "d"}, same_items=["a", "d", "e"])
    with pytest.raises(CheckFailed):
        expect("q01_m", {"a", "d"}, same_items=["a", "d", "e"])
    with pytest.raises(CheckFailed):
        expect("q01_m", "ade", same_items=["a", "d", "e"])


def test_an_expect_without_expectation_only_records(capsys):
    assert expect("q01_x", "anything") is None
    assert capsys.readouterr().out == ""
    assert records()[-1]["passed"] is None and records()[-1]["value"] == "anything"


@pytest.mark.parametrize(
    "kwargs",
    [{"equals": 1, "one_of": [1]}, {"one_of": 1}, {"close_to": "x"}, {"same_items": "abc"}],
)
def test_authoring_mistakes_are_errors_not_failures(kwargs):
    with pytest.raises(ValueError):
        expect("q01_x", 1, **kwargs)


@pytest.mark.parametrize("check_id", ["Q01", "q01 x", "", "q01_x:case:two", 3])
def test_check_ids_are_grade_ids_with_an_optional_case(check_id):
    with pytest.raises(ValueError):
        expect(check_id, 1, equals=1)


def test_the_verdict_outside_the_kernel_matches_expect():
    assert decide("equals", {"a": [1]}, {"a": [1]}) is True
    assert decide("close_to", 1.0, 1.05, tol=0.1) is True
    assert decide("same_items", ["b", "a"], ["a", "b"]) is True
    assert decide("one_of", 2, [1, 3]) is False
    assert decide(None, 2, None) is None
    assert quizcheck.expectation_of({"equals": 5, "tol": 1}) == ("equals", 5)


# --- the record channel ------------------------------------------------------------------


def test_every_call_emits_one_json_line_with_the_value_never_the_expected(tmp_path, monkeypatch):
    log = tmp_path / "checks.jsonl"
    monkeypatch.setenv(quizcheck.LOG_ENV, str(log))
    expect_format("q01_x", "c", kind="choice", options="abcd")
    with pytest.raises(CheckFailed):
        expect("q01_x", "c", equals="hidden-value")
    expect("q01_n", 3)
    with pytest.raises(CheckFailed):
        expect("q01_o", AlwaysEqual(), equals=1)
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(r["check"], r["kind"], r["value"], r["passed"]) for r in lines] == [
        ("q01_x", "format", "c", True),
        ("q01_x", "answer", "c", False),
        ("q01_n", "answer", 3, None),
        ("q01_o", "answer", None, False),
    ]
    assert lines[3]["error"].startswith("not_plain")
    assert "hidden-value" not in log.read_text()
    assert records() == lines


def test_the_stdout_channel_is_opt_in(monkeypatch, capsys):
    expect("q01_x", 1, equals=1)
    assert quizcheck.STDOUT_PREFIX not in capsys.readouterr().out
    monkeypatch.setenv(quizcheck.STDOUT_ENV, "1")
    expect("q01_x", 1, equals=1)
    line = next(
        x for x in capsys.readouterr().out.splitlines() if x.startswith(quizcheck.STDOUT_PREFIX)
    )
    assert json.loads(line.removeprefix(quizcheck.STDOUT_PREFIX))["value"] == 1


# --- expect_format -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "kwargs"),
    [
        ("b", {"kind": "choice", "options": "abcd"}),
        ({"a", "c"}, {"kind": "choices", "options": "abcde"}),
        (["e"], {"kind": "choices", "options": "abcde"}),
        (3, {"kind": "int"}),
        (2.5, {"kind": "number"}),
        (3, {"kind": "number"}),
        ({"x": 1, "y": 2}, {"kind": "dict", "keys": ["y", "x"]}),
        ([1, 2], {"kind": "list", "length": 2}),
        ("text", {"kind": "str"}),
        (False, {"kind": "bool"}),
        ({"anything": [1]}, {"kind": "any"}),
    ],
)
def test_well_formed_answers_pass_the_format_check(value, kwargs, capsys):
    expect_format("q01_x", value, **kwargs)
    assert "well-formed" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("value", "kwargs", "message"),
    [
        ("e", {"kind": "choice", "options": "abcd"}, "one of"),
        ("B", {"kind": "choice", "options": "abcd"}, "one of"),
        ("ab", {"kind": "choices", "options": "abcd"}, "set of letters"),
        (set(), {"kind": "choices", "options": "abcd"}, "set of letters"),
        (["a", "z"], {"kind": "choices", "options": "abcd"}, "must be one of"),
        (True, {"kind": "int"}, "whole number"),
        (3.0, {"kind": "int"}, "whole number"),
        ("3", {"kind": "number"}, "a number"),
        (None, {"kind": "dict"}, "a dict"),
        ({"x": 1}, {"kind": "dict", "keys": ["x", "y"]}, "exactly the keys"),
        ([1], {"kind": "list", "length": 2}, "2 items"),
        (..., {"kind": "int"}, "not answered yet"),
        (AlwaysEqual(), {"kind": "any"}, "plain data"),
    ],
)
def test_malformed_answers_fail_the_format_check_with_a_helpful_message(value, kwargs, message):
    with pytest.raises(CheckFailed, match=message):
        expect_format("q01_x", value, **kwargs)


def test_a_format_check_never_mentions_an_answer():
    """The format check cannot know the answer: it takes none (only the answer's shape)."""
    import inspect

    parameters = set(inspect.signature(expect_format).parameters)
    assert parameters.isdisjoint(quizcheck.EXPECTATION_KEYWORDS)


def test_quizcheck_imports_nothing_from_aws_or_notebooks():
    import ast
    from pathlib import Path

    tree = ast.parse(Path(quizcheck.__file__).read_text())
    imported = {
        (node.module or "") if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    }
    assert not {name for name in imported if name.split(".")[0] in ("boto3", "moto", "ipywidgets")}
    assert not {name for name in imported if name.startswith(("kinesis_lab", "."))}
