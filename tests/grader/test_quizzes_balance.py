"""The graded quizzes test knowledge, not option position: the practice bank's balance rules.

Read from quizzes/source the way the grader reads it (``kinesis_grader.authoring.quiz_items``
gives each item's kind and the expected value of its hidden test); the options are the
``- **a)** …`` lines of the question cell just before the item's answer cell.

- single-choice items (one letter keyed): each position a–d holds 15–35 % of the keys; the key
  is strictly the longest option in at most 40 % of the items, and never more than 1.5 times
  as long as the longest other option;
- select-all items: no number of true statements covers more than half of the items, at least
  three different numbers occur, and no letter is true in more than two thirds of the items.

Matching items (a dict of letters, several scenarios sharing one option list) are left out: their
options are a vocabulary, not a key to hide.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import nbformat
import pytest
from paths import REPO

from kinesis_grader.authoring import nbgrader_meta, quiz_items
from kinesis_grader.course import Course

COURSE = Course.at(REPO / "quizzes")
OPTION = re.compile(r"^- \*\*([a-i])\)\*\* (.*)$")


@dataclass
class Choice:
    quiz: str
    grade_id: str
    kind: str
    options: dict[str, str]
    key: set[str]

    @property
    def key_is_longest(self) -> bool:
        (key,) = self.key
        return all(
            len(self.options[key]) > len(text) for o, text in self.options.items() if o != key
        )

    @property
    def key_ratio(self) -> float:
        (key,) = self.key
        others = max(len(text) for o, text in self.options.items() if o != key)
        return len(self.options[key]) / others


def options_of(text: str) -> dict[str, str]:
    """``- **a)** …`` options of a question cell, continuation lines (indented) included."""
    options: dict[str, str] = {}
    letter = None
    for line in text.split("\n"):
        found = OPTION.match(line)
        if found:
            letter = found.group(1)
            options[letter] = found.group(2)
        elif letter and line.startswith("  ") and line.strip():
            options[letter] += " " + line.strip()
        else:
            letter = None
    return options


def choice_items() -> list[Choice]:
    found = []
    for quiz in COURSE.quizzes():
        notebook = nbformat.read(COURSE.source_notebook(quiz), as_version=4)
        answer_cell = {
            nbgrader_meta(cell).get("grade_id"): index for index, cell in enumerate(notebook.cells)
        }
        for item in quiz_items(notebook):
            if item.kind not in ("choice", "choices"):
                continue
            expected = item.expectations[0].expected
            if isinstance(expected, dict):
                continue  # a matching item
            question = notebook.cells[answer_cell[f"{item.grade_id}_answer"] - 1].source
            key = {expected} if isinstance(expected, str) else set(expected)
            found.append(Choice(quiz, item.grade_id, item.kind, options_of(question), key))
    return found


ITEMS = choice_items()
SINGLE = [item for item in ITEMS if item.kind == "choice"]
SELECT_ALL = [item for item in ITEMS if item.kind == "choices"]


def test_the_quizzes_have_enough_items_to_balance():
    assert len(SINGLE) >= 12 and len(SELECT_ALL) >= 12


@pytest.mark.parametrize("item", ITEMS, ids=lambda item: item.grade_id)
def test_every_item_lists_its_options_and_keys_only_listed_letters(item):
    letters = "abcdefghi"[: len(item.options)]
    assert list(item.options) == list(letters), item.options
    assert len(item.options) >= 4
    assert item.key and item.key <= set(letters)
    if item.kind == "choices":
        assert len(item.key) < len(item.options), "a select-all item with every statement true"


def test_single_choice_keys_are_spread_over_the_positions():
    positions = Counter(next(iter(item.key)) for item in SINGLE)
    width = min(len(item.options) for item in SINGLE)
    shares = {letter: positions[letter] / len(SINGLE) for letter in "abcdefghi"[:width]}
    assert all(0.15 <= share <= 0.35 for share in shares.values()), shares


def test_the_key_is_not_conspicuously_the_longest_option():
    longest = [item.grade_id for item in SINGLE if item.key_is_longest]
    assert len(longest) <= 0.40 * len(SINGLE), longest
    too_long = {item.grade_id: round(item.key_ratio, 2) for item in SINGLE if item.key_ratio > 1.5}
    assert too_long == {}, "keyed option more than 1.5× the longest other option"


def test_select_all_items_vary_in_how_many_statements_are_true():
    counts = Counter(len(item.key) for item in SELECT_ALL)
    assert len(counts) >= 3, counts
    assert max(counts.values()) <= 0.5 * len(SELECT_ALL), counts


def test_no_letter_is_usually_true_in_select_all_items():
    true = Counter(letter for item in SELECT_ALL for letter in item.key)
    assert all(count <= 2 / 3 * len(SELECT_ALL) for count in true.values()), true
    assert true["a"] >= 0.25 * len(SELECT_ALL), "nor usually false"
