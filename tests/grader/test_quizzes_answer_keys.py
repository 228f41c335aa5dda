"""The answer keys of the calculation items in quizzes 03–06 agree with the toolkit.

Why: a hidden test's expected value is a literal typed by the quiz author, and the round trip
only shows that the author's own solution reproduces it. Here each literal is recomputed with
the toolkit function the lessons teach from (read from the source notebook, nothing runs), so
a wrong key and a wrong solution cannot agree by accident.
"""

from __future__ import annotations

import ast

import nbformat
import pytest
from paths import REPO

from kinesis_grader.authoring import nbgrader_meta
from kinesis_lab.patterns.delivery import restart_outcome
from kinesis_lab.patterns.flink_sizing import KPU_MEMORY_GB, KPU_VCPUS, billed_kpus, kpus_for
from kinesis_lab.patterns.scaling import update_shard_count_problems
from kinesis_lab.patterns.windowing import sliding_windows


def after_restart(total, crash_after, checkpoint_every, start):
    outcome = restart_outcome(total, crash_after, checkpoint_every, start)
    return {"handled_twice": outcome.duplicates, "lost": outcome.lost}


def flink_resources(parallelism, per_kpu):
    kpus = kpus_for(parallelism, per_kpu)
    return {
        "kpus": kpus,
        "billed_kpus": billed_kpus(parallelism, per_kpu),
        "vcpus": kpus * KPU_VCPUS,
        "memory_gb": kpus * KPU_MEMORY_GB,
    }


def windows_of(ts_ms, size_ms, slide_ms):
    return [list(window) for window in sliding_windows(ts_ms, size_ms, slide_ms)]


def scaling_plan(current, target):
    """Each call goes as far toward the target as the toolkit's planner allows (F21)."""
    calls = 0
    while current != target:
        step = 1 if target > current else -1
        reached = current
        for candidate in range(current + step, target + step, step):
            if update_shard_count_problems(current, candidate):
                break
            reached = candidate
        current, calls = reached, calls + 1
    return {"calls": calls, "within_one_day": calls <= 10}


REFERENCES = {
    ("q03_consumers", "q03_duplicates_after_crash"): ("after_restart", after_restart),
    ("q06_flink_video_selection", "q06_kpus"): ("flink_resources", flink_resources),
    ("q06_flink_video_selection", "q06_window_assignment"): ("windows_of", windows_of),
    ("q04_scaling_security", "q04_scaling_plan"): ("scaling_plan", scaling_plan),
}


def keyed_calls(quiz, item, function):
    """(arguments, expected) of every hidden ``expect(id, function(...literals), equals=...)``."""
    notebook = nbformat.read(REPO / "quizzes" / "source" / quiz / f"{quiz}.ipynb", as_version=4)
    cell = next(c for c in notebook.cells if nbgrader_meta(c).get("grade_id") == item)
    found = []
    for node in ast.walk(ast.parse(cell.source)):
        if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "expect"):
            continue
        keywords = {kw.arg: kw.value for kw in node.keywords}
        value = node.args[1]
        if "equals" not in keywords or not isinstance(value, ast.Call):
            continue
        if getattr(value.func, "id", None) != function:
            continue
        arguments = [ast.literal_eval(argument) for argument in value.args]
        found.append((arguments, ast.literal_eval(keywords["equals"])))
    return found


@pytest.mark.parametrize(("quiz", "item"), sorted(REFERENCES))
def test_the_answer_key_matches_the_toolkit(quiz, item):
    function, reference = REFERENCES[(quiz, item)]
    cases = keyed_calls(quiz, item, function)
    assert len(cases) >= 4, "every case of the item is compared"
    for arguments, expected in cases:
        assert reference(*arguments) == expected, (item, arguments)
