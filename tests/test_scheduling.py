"""tests/scheduling.py: groups keep shared fixtures on one worker; the heaviest run first."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from scheduling import (
    HEAVIEST_FIRST,
    LITE,
    SITE,
    SITE_BROWSER,
    group_of,
    mark,
    schedule,
)


class FakeItem(SimpleNamespace):
    def __init__(self, module: str, name: str, **params):
        super().__init__(path=Path("tests") / module, name=name, originalname=name, markers=[])
        if params:
            self.callspec = SimpleNamespace(params=params)

    def add_marker(self, marker):
        self.markers.append(marker)


def test_the_site_tests_share_three_groups_that_read_one_build():
    for module in ("test_site_build.py", "test_site_links.py", "test_site_leaks.py"):
        assert group_of(FakeItem(module, "t")) == SITE
    for module in ("test_lite_build.py", "test_lite_browser.py"):
        assert group_of(FakeItem(module, "t")) == LITE
    assert group_of(FakeItem("test_site_browser.py", "t")) == SITE_BROWSER


def test_round_trips_are_grouped_per_quiz_and_other_modules_per_module():
    item = FakeItem("test_quizzes_trusted.py", "t", graded="q02_producers")
    assert group_of(item) == "test_quizzes_trusted.py:q02_producers"
    assert group_of(FakeItem("test_quizzes_trusted.py", "t")) == "test_quizzes_trusted.py"
    assert group_of(FakeItem("test_keys.py", "t")) == "test_keys.py"


BLANK = "test_lesson_runs_top_to_bottom_and_again"
ANSWERED = "test_lesson_with_answers_passes_every_check_and_makes_the_named_calls"
LESSON = Path("notebooks/03_producers.ipynb")


def test_lesson_runs_get_a_group_each_and_their_modules_keep_the_rest():
    assert group_of(FakeItem("test_exercises.py", ANSWERED, path=LESSON)) == (
        "test_exercises.py:03_producers"
    )
    assert group_of(FakeItem("test_notebooks.py", BLANK, path=LESSON)) == (
        "test_notebooks.py:03_producers"
    )
    other = FakeItem("test_exercises.py", "test_every_exercise_has_one_answer", path=LESSON)
    assert group_of(other) == "test_exercises.py"


def test_a_group_a_module_declares_itself_is_kept():
    item = FakeItem("test_local_target.py", "t")
    item.own_markers = [pytest.mark.xdist_group("local-target-1").mark]
    assert group_of(item) == "local-target-1"
    mark(item)
    assert item.markers == []  # no second group mark


def test_schedule_marks_every_item_and_puts_heavy_groups_first_keeping_order_within():
    items = [
        FakeItem("test_keys.py", "a"),
        FakeItem("test_site_browser.py", "browse"),
        FakeItem("test_lite_browser.py", "lite"),
        FakeItem("test_site_build.py", "build"),
        FakeItem("test_exercises.py", ANSWERED, path=LESSON),
        FakeItem("test_quizzes_roundtrip.py", "r1", graded="q02_producers"),
        FakeItem("test_keys.py", "b"),
        FakeItem("test_notebooks.py", BLANK, path=LESSON),
        FakeItem("test_quizzes_watchdog.py", "w"),
    ]
    for item in items:
        mark(item)
    schedule(items)
    assert all(item.markers for item in items)
    assert all(item.markers[0].name == "xdist_group" for item in items)
    # The blank lessons run before the site that reuses them, the build before the tests
    # that read it, the heavy groups next in HEAVIEST_FIRST's order, then collection order.
    assert [item.name for item in items] == [
        BLANK,
        "build",
        "lite",
        "browse",
        "w",
        "r1",
        "a",
        "b",
        ANSWERED,
    ]


@pytest.mark.parametrize("group", HEAVIEST_FIRST)
def test_every_heavy_group_names_a_real_test_module(group):
    assert "@" not in group and "]" not in group  # xdist would not see the group
    module = group.split(":")[0]
    if module.endswith(".py"):
        assert list(Path(__file__).parent.rglob(module)), group  # in any test folder
    else:  # a group a test module declares itself, e.g. xdist_group(f"local-target-{n}")
        prefix = group.rstrip("0123456789")
        declared = [
            path
            for path in Path(__file__).parent.rglob("test_*.py")
            if f'xdist_group(f"{prefix}' in path.read_text(encoding="utf-8")
        ]
        assert declared, group


pytest_plugins = ["pytester"]


def test_xdist_really_keeps_a_group_on_one_worker(pytester):
    """The suite's time rests on this: each group, per module and per quiz, runs on one worker,
    so its fixtures are built once. (It did not with pytest 9.2, nor with "]" in a name.)"""
    # The suite's own module as the conftest (xdist's workers load it), with the suite's hook.
    pytester.makeconftest(
        (Path(__file__).parent / "scheduling.py").read_text()
        + "\n\ndef pytest_itemcollected(item):\n    mark(item)\n"
    )
    where = (
        "import os, pytest\n"
        "@pytest.fixture(scope='module', params=['qa', 'qb'])\n"
        "def graded(request):\n"
        "    return request.param\n"
        "@pytest.mark.parametrize('n', range(4))\n"
        "def test_where(graded, n):\n"
        "    print(graded)\n"
        "@pytest.mark.parametrize('n', range(4))\n"
        "def test_plain(n):\n"
        "    pass\n"
    )
    pytester.makepyfile(test_quizzes_trusted=where, test_other=where)
    result = pytester.runpytest("-n", "2", "--dist", "loadgroup", "-v", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=24)
    workers: dict[str, set[str]] = {}
    for line in result.stdout.lines:
        if "PASSED" in line and "::test_" in line:
            worker = line.split("]")[0].strip("[ ")
            group = line.rsplit("@", 1)[1].strip()
            workers.setdefault(group, set()).add(worker)
    assert set(workers) == {
        "test_quizzes_trusted.py:qa",
        "test_quizzes_trusted.py:qb",
        "test_quizzes_trusted.py",
        "test_other.py",
    }, workers
    assert all(len(found) == 1 for found in workers.values()), workers
