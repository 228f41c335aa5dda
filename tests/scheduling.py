"""How the suite shares its two workers (pytest-xdist, `--dist loadgroup --no-loadscope-reorder`).

Why: on two cores the quiz round trips, the lessons and the site dominate, and whole files on
one worker (`--dist loadfile`) left one worker idle for minutes. Each test gets a group:
- its module, as loadfile did, so a module's fixtures are built once;
- per quiz for the per-quiz round trips (a quiz's fixture is built once, quizzes spread);
- per lesson for the lessons run with their answers (tests/test_exercises.py);
- one group for the lessons and the site: tests/test_notebooks.py fills the site's lesson cache
  as it runs each lesson, so the site tests after it build without executing them again.
Groups run heaviest first (HEAVIEST_FIRST, from `pytest --durations`), so the long ones do not
start last; the rest follow in collection order.
"""

from __future__ import annotations

import pytest

LESSONS_AND_SITE = "lessons-and-site"
LESSONS_AND_SITE_MODULES = (
    "test_notebooks.py",
    "test_site_build.py",
    "test_site_links.py",
    "test_site_leaks.py",
    "test_site_browser.py",
)
PER_QUIZ_MODULES = ("test_quizzes_roundtrip.py", "test_quizzes_trusted.py")
# Heaviest first (seconds of one worker on the 2-core machine, December 2026, loaded); the
# per-quiz trusted groups (~50 s each) and everything else fill in after them.
HEAVIEST_FIRST = (
    LESSONS_AND_SITE,  # ~300: every lesson twice, the site build, the browser
    "test_quizzes_watchdog.py",  # ~110
    "test_grader_corpus.py",  # ~90
    "test_quizzes_roundtrip.py:a02_fraud",  # ~55
    "test_quizzes_cli.py",  # ~40
)
# One group per lesson for the answered runs (~10 s each): they fill the gaps between the
# long groups instead of running as one 150 s block.
PER_LESSON_TESTS = ("test_lesson_with_answers_passes_every_check_and_makes_the_named_calls",)


def group_of(item: pytest.Item) -> str:
    module = item.path.name
    if module in LESSONS_AND_SITE_MODULES:
        return LESSONS_AND_SITE
    params = getattr(getattr(item, "callspec", None), "params", {})
    if getattr(item, "originalname", "") in PER_LESSON_TESTS and "path" in params:
        return f"{module}:{params['path'].stem}"
    if module in PER_QUIZ_MODULES and "graded" in params:
        # No brackets or "@" in a group name: xdist finds the group after the last "@" only
        # when no "]" follows it (a name like "x.py[q01]" silently split the group).
        return f"{module}:{params['graded']}"
    return module


def mark(item: pytest.Item) -> None:
    """Give a test its group, as it is collected.

    It must be marked before pytest-xdist's own collection hook turns the xdist_group mark
    into the "@group" suffix of the test's id (which is what its scheduler reads); a mark
    added in a late collection hook is never seen, and every test becomes its own unit.
    """
    item.add_marker(pytest.mark.xdist_group(group_of(item)))


def schedule(items: list[pytest.Item]) -> None:
    """Put the heaviest groups first; keep collection order otherwise."""
    rank = {group: position for position, group in enumerate(HEAVIEST_FIRST)}
    first_seen: dict[str, int] = {}
    for item in items:
        first_seen.setdefault(group_of(item), len(first_seen))
    items.sort(
        key=lambda item: (
            rank.get(group_of(item), len(rank)),
            first_seen[group_of(item)],
            _within_group(item),
        )
    )


def _within_group(item: pytest.Item) -> int:
    """The lessons run before the site tests that reuse them; elsewhere collection order."""
    if item.path.name in LESSONS_AND_SITE_MODULES:
        return LESSONS_AND_SITE_MODULES.index(item.path.name)
    return 0
