"""Lesson self-checks test knowledge, not option position (tools/self_check_order.py)."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import nbformat
import pytest
from paths import REPO

sys.path.insert(0, str(REPO / "tools"))
import self_check_order  # noqa: E402  (tools/ is not a package)


def write_lesson(folder: Path, name: str, checks: list[tuple[str, list[str], object]]) -> Path:
    cells = [nbformat.v4.new_markdown_cell("# Lesson")]
    for question, options, answer in checks:
        listed = "".join(f"        {option!r},\n" for option in options)
        cells.append(
            nbformat.v4.new_code_cell(
                "self_check_question(\n"
                f"    {question!r},\n    [\n{listed}    ],\n"
                f"    answer={answer!r},\n    explanation='Because.',\n)"
            )
        )
    notebook = nbformat.v4.new_notebook(cells=cells)
    path = folder / name
    nbformat.write(notebook, path)
    return path


def test_keys_spread_over_the_positions_and_follow_their_option(tmp_path):
    checks = [(f"Question {n}?", ["right", "wrong 1", "wrong 2", "wrong 3"], 0) for n in range(8)]
    write_lesson(tmp_path, "01_a.ipynb", checks[:4])
    write_lesson(tmp_path, "02_b.ipynb", checks[4:])
    assert len(self_check_order.reorder(tmp_path)) == 2
    found = self_check_order.self_checks(tmp_path)
    assert Counter(check.key for check in found) == {0: 2, 1: 2, 2: 2, 3: 2}
    assert all(check.options[check.key] == "right" for check in found)
    for check in found:  # the distractors keep their order
        assert [o for o in check.options if o != "right"] == ["wrong 1", "wrong 2", "wrong 3"]
    assert self_check_order.reorder(tmp_path) == []  # a second run changes nothing


def test_an_answer_given_as_text_stays_text_and_numbers_keep_their_order(tmp_path):
    write_lesson(
        tmp_path,
        "01_a.ipynb",
        [
            ("Named?", ["alpha", "beta", "gamma", "delta"], "alpha"),
            ("How many?", ["1", "2", "4", "8"], 1),
        ],
    )
    self_check_order.reorder(tmp_path)
    named, numbers = self_check_order.self_checks(tmp_path)
    assert numbers.options == ["1", "2", "4", "8"] and numbers.key == 1
    source = nbformat.read(tmp_path / "01_a.ipynb", as_version=4).cells[1].source
    assert "answer='alpha'" in source
    assert named.options[named.key] == "alpha"


def test_multi_line_options_move_whole(tmp_path):
    path = tmp_path / "01_a.ipynb"
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell(
            "self_check_question(\n"
            '    "Which?",\n'
            "    [\n"
            '        "A long right answer, "\n'
            '        "on two lines",\n'
            '        "wrong",\n'
            "    ],\n"
            "    answer=0,\n"
            '    explanation="Because.",\n'
            ")"
        )
    ]
    nbformat.write(notebook, path)
    for _ in range(3):  # whatever the position chosen, the option is whole
        self_check_order.reorder(tmp_path)
        (check,) = self_check_order.self_checks(tmp_path)
        assert check.options[check.key] == "A long right answer, on two lines"
        assert sorted(check.options) == sorted(["A long right answer, on two lines", "wrong"])


# --- the committed lessons -----------------------------------------------------------------------


def test_the_committed_lessons_are_the_tools_output():
    assert self_check_order.reorder(write=False) == [], "run python tools/self_check_order.py"


def test_keys_are_spread_over_the_positions_course_wide():
    checks = self_check_order.self_checks()
    assert len(checks) >= 80
    positions = Counter(check.key for check in checks)
    for position in range(4):
        share = positions[position] / len(checks)
        assert 0.15 <= share <= 0.35, (position, dict(positions))


def test_the_key_is_the_longest_option_about_as_often_as_chance():
    checks = self_check_order.self_checks()
    longest = [
        check.question
        for check in checks
        if all(
            len(check.options[check.key]) > len(o)
            for o in check.options
            if o != check.options[check.key]
        )
    ]
    assert len(longest) / len(checks) <= 0.40, longest
    # ... and not never: "the longest option is never right" would be a hint too.
    assert len(longest) / len(checks) >= 0.15, f"key longest in only {len(longest)}"
