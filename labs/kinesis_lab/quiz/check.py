"""The one mechanism every autograded quiz check goes through: ``expect`` and ``expect_format``.

Why one mechanism: how a check is decided can then change in one place. Today the decision is
made here, in the learner's kernel (nbgrader scores a test cell by whether it raised). The
contract below is what lets a trusted grader take the decision out of that kernel later:

- every call emits one JSON line with the check id and the *plain data* the learner's code
  produced (never the expected value) — to the file named by ``KINESIS_QUIZCHECK_LOG`` if set,
  to stdout as well if ``KINESIS_QUIZCHECK_STDOUT=1``, and always to :func:`records`;
- expected values appear only as literal keyword arguments of ``expect`` calls inside hidden
  test regions (``equals=``, ``close_to=``/``tol=``, ``one_of=``, ``same_items=``), so a grader can
  read them from the source notebook and strip them before the notebook runs; ``expect`` with no
  expectation only records the value;
- the learner's value is converted to plain data (bool, int, float, str, None, list, dict with
  string keys) *before* anything is compared, so an object whose ``__eq__`` always says yes
  cannot pass.

Visible tests call ``expect_format`` (checks the shape of an answer, never its correctness);
hidden tests call ``expect``. Check ids are the cell's nbgrader grade_id, optionally with a
``:case`` suffix (``q01_shards_for_load:records_bound``).

This module imports nothing from AWS or notebooks: the grading side may use it as it is.
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
from collections.abc import Iterable, Mapping
from typing import Any

LOG_ENV = "KINESIS_QUIZCHECK_LOG"
STDOUT_ENV = "KINESIS_QUIZCHECK_STDOUT"
STDOUT_PREFIX = "KINESIS-QUIZCHECK "
RECORD_VERSION = 1

# The keyword arguments of ``expect`` that carry expected values (and their tolerance): the
# only place an answer may appear, always as a literal, always inside a hidden test region.
EXPECTATION_KEYWORDS = ("equals", "close_to", "one_of", "same_items")
TOLERANCE_KEYWORDS = ("tol",)
DEFAULT_TOL = 1e-6

FORMAT_KINDS = ("choice", "choices", "int", "number", "str", "bool", "list", "dict", "any")

CHECK_ID = re.compile(r"^[a-z][a-z0-9_]*(:[a-z0-9_]+)?$")
MAX_DEPTH = 20
MAX_ITEMS = 10_000
MAX_STR_CHARS = 100_000
REPR_LIMIT = 60

PASS_MARK = "✓"
_MISSING: Any = object()
_records: list[dict[str, Any]] = []


class CheckFailed(AssertionError):
    """A quiz check that did not pass; its message never contains an expected value."""


class NotPlainData(TypeError):
    """A value that is not plain data (or is too large to record)."""


# --- plain data ------------------------------------------------------------------------------


def plain(value: Any) -> Any:
    """``value`` as plain data: bool, int, float, str, None, list, or dict with str keys.

    Subclasses of the built-in types are read through the base type's own methods, so an
    overridden ``__eq__``, ``__iter__`` or ``__str__`` plays no part; tuples become lists, sets
    become lists in a canonical order; numpy scalars become Python numbers. Anything else
    raises :class:`NotPlainData`.
    """
    budget = [MAX_ITEMS]
    return _plain(value, 0, budget)


def _plain(value: Any, depth: int, budget: list[int]) -> Any:
    budget[0] -= 1
    if budget[0] < 0:
        raise NotPlainData(f"more than {MAX_ITEMS} values")
    if depth > MAX_DEPTH:
        raise NotPlainData(f"nested more than {MAX_DEPTH} levels deep")
    kind = type(value)
    if value is None or kind is bool:
        return value
    if kind is int:
        return value
    if kind is float:
        if not math.isfinite(value):
            raise NotPlainData(f"{value!r} is not a finite number")
        return value
    if kind is str:
        if len(value) > MAX_STR_CHARS:
            raise NotPlainData(f"a string of more than {MAX_STR_CHARS} characters")
        return value
    if isinstance(value, int):  # a subclass of int (bool cannot be subclassed)
        return int.__int__(value)
    if isinstance(value, float):
        return _plain(float.__float__(value), depth, budget)
    if isinstance(value, str):
        return _plain(str.__str__(value), depth, budget)
    if _is_numpy_scalar(value):
        converted = value.item()
        if type(converted) not in (bool, int, float):
            raise NotPlainData(f"a {kind.__name__} that is not a number")
        return _plain(converted, depth, budget)
    if isinstance(value, (list, tuple)):
        items = list.__iter__(value) if isinstance(value, list) else tuple.__iter__(value)
        return [_plain(item, depth + 1, budget) for item in items]
    if isinstance(value, (set, frozenset)):
        members = set.__iter__(value) if isinstance(value, set) else frozenset.__iter__(value)
        return sorted((_plain(item, depth + 1, budget) for item in members), key=canonical)
    if isinstance(value, dict):
        result = {}
        for key, item in dict.items(value):
            key = _plain(key, depth + 1, budget)
            if type(key) is not str:
                raise NotPlainData(f"dictionary keys must be strings, not {type(key).__name__}")
            result[key] = _plain(item, depth + 1, budget)
        return result
    raise NotPlainData(
        f"a {kind.__name__} is not plain data; use int, float, str, bool, None, list or dict"
    )


def _is_numpy_scalar(value: Any) -> bool:
    module = type(value).__module__ or ""
    return module == "numpy" and hasattr(value, "item") and getattr(value, "shape", None) == ()


def canonical(value: Any) -> str:
    """A stable text form of plain data (sorted keys, compact): for ordering and recording."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


# --- comparing plain data --------------------------------------------------------------------


def same(actual: Any, expected: Any) -> bool:
    """Structural equality of plain data: bools are not numbers, 3 == 3.0, str/list/dict exact."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(actual) is bool and type(expected) is bool and actual is expected
    if isinstance(expected, (int, float)):
        return isinstance(actual, (int, float)) and actual == expected
    if isinstance(expected, str):
        return type(actual) is str and actual == expected
    if expected is None:
        return actual is None
    if isinstance(expected, list):
        return (
            type(actual) is list
            and len(actual) == len(expected)
            and all(same(a, e) for a, e in zip(actual, expected, strict=True))
        )
    if isinstance(expected, dict):
        return (
            type(actual) is dict
            and actual.keys() == expected.keys()
            and all(same(actual[key], expected[key]) for key in expected)
        )
    return False


def _same_items(actual: Any, expected: list[Any]) -> bool:
    if type(actual) is not list:
        return False
    return same(sorted(actual, key=canonical), sorted(expected, key=canonical))


def _close(actual: Any, expected: Any, tol: float) -> bool:
    if isinstance(actual, bool) or not isinstance(actual, (int, float)):
        return False
    return abs(actual - expected) <= tol


# --- recording -------------------------------------------------------------------------------


def records() -> list[dict[str, Any]]:
    """Copies of the records this kernel emitted, oldest first."""
    return [dict(record) for record in _records]


def clear_records() -> None:
    _records.clear()


def _emit(check_id: str, kind: str, value: Any, error: str | None, passed: bool | None) -> None:
    record = {
        "v": RECORD_VERSION,
        "check": check_id,
        "kind": kind,
        "value": value if error is None else None,
        "error": error,
        "passed": passed,
    }
    _records.append(record)
    line = canonical(record)
    path = os.environ.get(LOG_ENV)
    if path:
        with open(path, "a", encoding="utf-8") as log:
            log.write(line + "\n")
    if os.environ.get(STDOUT_ENV) == "1":
        sys.stdout.write(STDOUT_PREFIX + line + "\n")


def _short(value: Any) -> str:
    text = canonical(value)
    return text if len(text) <= REPR_LIMIT else text[: REPR_LIMIT - 1] + "…"


def _check_id(check_id: Any) -> str:
    if type(check_id) is not str or not CHECK_ID.match(check_id):
        raise ValueError(
            f"check id {check_id!r}: use the cell's grade_id, optionally with ':case' "
            "(lowercase letters, digits and underscores)"
        )
    return check_id


# --- the checks ------------------------------------------------------------------------------


def expect(
    check_id: str,
    actual: Any,
    *,
    equals: Any = _MISSING,
    close_to: Any = _MISSING,
    tol: float = DEFAULT_TOL,
    one_of: Any = _MISSING,
    same_items: Any = _MISSING,
    hint: str | None = None,
) -> None:
    """Record ``actual`` under ``check_id`` and, given an expectation, decide the check.

    Exactly one expectation, or none: ``equals`` (plain-data equality), ``close_to`` (a number
    within ``tol``), ``one_of`` (equal to any of a list), ``same_items`` (the same items in any
    order, e.g. a multiple-answer choice). With none, the value is only recorded (what a
    trusted grader runs after stripping the expected values). Raises :class:`CheckFailed` on a
    wrong answer; the message never contains the expected value. Returns None, so a test cell
    never ends with a value nbgrader would read as partial credit.
    """
    check_id = _check_id(check_id)
    given = {
        name: value
        for name, value in (
            ("equals", equals),
            ("close_to", close_to),
            ("one_of", one_of),
            ("same_items", same_items),
        )
        if value is not _MISSING
    }
    if len(given) > 1:
        raise ValueError(f"{check_id}: give one expectation, not {', '.join(given)}")
    mode, expected = next(iter(given.items())) if given else (None, None)
    if mode is not None:
        expected = plain(expected)  # an author's tuple or set is fine; an object is not
        if mode in ("one_of", "same_items") and type(expected) is not list:
            raise ValueError(f"{check_id}: {mode}= takes a list")
        if mode == "close_to" and (type(expected) not in (int, float) or not tol >= 0):
            raise ValueError(f"{check_id}: close_to= takes a number and tol= a non-negative one")

    try:
        value, error = plain(actual), None
    except NotPlainData as problem:
        value, error = None, f"not_plain: {problem}"

    if mode is None:
        _emit(check_id, "answer", value, error, None)
        return None
    if error is not None:
        _emit(check_id, "answer", None, error, False)
        raise CheckFailed(f"{check_id}: the answer must be plain data — {error[11:]}")
    passed = bool(decide(mode, value, expected, tol))
    _emit(check_id, "answer", value, None, passed)
    if not passed:
        message = f"{check_id}: not the expected answer (yours: {_short(value)})."
        raise CheckFailed(message + (f" Hint: {hint}" if hint else ""))
    print(f"{PASS_MARK} {check_id}")
    return None


def expect_format(
    check_id: str,
    value: Any,
    *,
    kind: str,
    options: Iterable[str] | str | None = None,
    keys: Iterable[str] | None = None,
    length: int | None = None,
    hint: str | None = None,
) -> None:
    """Check only the shape of an answer — never whether it is right — and record it.

    kind: "choice" (one option letter), "choices" (a set/list of distinct option letters),
    "int", "number", "str", "bool", "list", "dict", "any" (plain data of any shape).
    ``options`` (e.g. "abcd") for choices; ``keys`` for a dict whose keys the question names;
    ``length`` for a list whose length the question names; ``hint`` is added to a failure
    (e.g. "create the stream first" when a hands-on observation is None).
    """
    check_id = _check_id(check_id)
    if kind not in FORMAT_KINDS:
        raise ValueError(f"{check_id}: kind must be one of {', '.join(FORMAT_KINDS)}")
    extra = f" Hint: {hint}" if hint else ""
    if value is ...:
        _emit(check_id, "format", None, "blank", False)
        raise CheckFailed(f"{check_id}: not answered yet — replace the ... with your answer.")
    try:
        data = plain(value)
    except NotPlainData as problem:
        _emit(check_id, "format", None, f"not_plain: {problem}", False)
        raise CheckFailed(
            f"{check_id}: the answer must be plain data — {problem}.{extra}"
        ) from None
    problem = _format_problem(data, kind, options, keys, length)
    _emit(check_id, "format", data, None if problem is None else "format", problem is None)
    if problem is not None:
        raise CheckFailed(f"{check_id}: {problem}{extra}")
    print(f"{PASS_MARK} {check_id}: well-formed (whether it is right is checked after you submit)")
    return None


def _format_problem(
    data: Any,
    kind: str,
    options: Iterable[str] | str | None,
    keys: Iterable[str] | None,
    length: int | None,
) -> str | None:
    letters = sorted(set(options)) if options is not None else None
    shown = ", ".join(repr(letter) for letter in letters) if letters else ""
    if kind == "choice":
        if type(data) is not str or (letters is not None and data not in letters):
            return f"answer with one of {shown} (a string), not {_short(data)}."
    elif kind == "choices":
        if type(data) is not list or not data:
            return f"answer with a set of letters such as {{'a', 'c'}}, not {_short(data)}."
        if len(set(map(canonical, data))) != len(data):
            return "each letter once, please."
        wrong = [
            item for item in data if type(item) is not str or (letters and item not in letters)
        ]
        if wrong:
            return f"every item must be one of {shown}; {_short(wrong)} is not."
    elif kind == "int":
        if type(data) is not int:
            return f"answer with a whole number (int), not {_short(data)}."
    elif kind == "number":
        if type(data) not in (int, float):
            return f"answer with a number, not {_short(data)}."
    elif kind in ("str", "bool", "list", "dict"):
        wanted = {"str": str, "bool": bool, "list": list, "dict": dict}[kind]
        if type(data) is not wanted:
            return f"answer with a {kind}, not {_short(data)}."
    if keys is not None:
        wanted_keys = sorted(keys)
        if type(data) is not dict or sorted(data) != wanted_keys:
            return f"answer with a dict with exactly the keys {wanted_keys}."
    if length is not None and (type(data) is not list or len(data) != length):
        return f"answer with a list of {length} items."
    return None


def expectation_of(keywords: Mapping[str, Any]) -> tuple[str | None, Any]:
    """(mode, expected) from the keyword arguments of one ``expect`` call, for graders."""
    given = [name for name in EXPECTATION_KEYWORDS if name in keywords]
    if len(given) > 1:
        raise ValueError(f"more than one expectation: {given}")
    return (given[0], keywords[given[0]]) if given else (None, None)


def decide(mode: str | None, actual: Any, expected: Any, tol: float = DEFAULT_TOL) -> bool | None:
    """The verdict ``expect`` would give, from plain data alone (for a grader outside the kernel)."""
    if mode is None:
        return None
    expected = plain(expected)
    if mode == "equals":
        return same(actual, expected)
    if mode == "close_to":
        return _close(actual, expected, tol)
    if mode == "one_of":
        return any(same(actual, option) for option in expected)
    if mode == "same_items":
        return _same_items(actual, expected)
    raise ValueError(f"unknown expectation {mode!r}")
