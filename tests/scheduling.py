"""How the suite shares its workers (pytest-xdist, `--dist loadgroup --no-loadscope-reorder`).

Why: on two cores the quiz round trips, the lessons and the site dominate, and whole files on
one worker (`--dist loadfile`) left workers idle for minutes. Four workers on two cores: much of
the suite waits (kernels starting, a browser, a hub), so two more keep the cores busy. Each test gets a group:
- its module, as loadfile did, so a module's fixtures are built once;
- per quiz for the per-quiz round trips (a quiz's fixture is built once, quizzes spread);
- per lesson for the lesson runs, blank (tests/course/test_notebooks.py) and answered
  (tests/course/test_exercises.py), so both workers run lessons;
- three groups for the site (the build and what reads its files; the in-browser course; the
  pages in a browser): it builds once and every site test reads that build.
Groups run in this order: the blank lesson runs first (each writes the executed copy the site
build reuses; tools/execute_lessons.py locks a lesson while it runs, so a build that reaches
one still running waits for it instead of running it again), then the site, then the other
heavy groups (HEAVIEST_FIRST, from `pytest --durations`), then the rest in collection order.
xdist hands each worker its next group when it is almost done, so the order holds.
"""

from __future__ import annotations

import pytest

SITE = "site"
SITE_BROWSER = "site-browser"
LITE = "lite"
# The site's tests in three groups, so three workers share them: each test asks
# site_helpers.build_site(), which builds once under a file lock (a worker that asks meanwhile
# waits for that build) and only reads afterwards. The build's own test comes first in SITE.
SITE_GROUPS = {
    "test_site_build.py": SITE,
    "test_site_links.py": SITE,
    "test_site_leaks.py": SITE,
    "test_lite_build.py": LITE,
    "test_lite_browser.py": LITE,
    "test_site_browser.py": SITE_BROWSER,
}
SITE_MODULES = tuple(SITE_GROUPS)
PER_QUIZ_MODULES = ("test_quizzes_roundtrip.py", "test_quizzes_trusted.py")
# One group per lesson (~4–10 s each): they spread over both workers.
PER_LESSON_TESTS = (
    "test_lesson_runs_top_to_bottom_and_again",  # test_notebooks.py: blank, fills the cache
    "test_lesson_with_answers_passes_every_check_and_makes_the_named_calls",  # test_exercises.py
)
BLANK_LESSON_MODULE = "test_notebooks.py"
# After the lessons and the site, heaviest first (seconds of one worker on the 2-core
# machine, December 2026, loaded); the per-quiz trusted groups (~25–50 s each), the answered
# lessons and everything else fill in after them.
HEAVIEST_FIRST = (
    "test_jupyterhub_class.py",  # ~110: a hub, three learners, a graded quiz
    "local-target-0",  # ~55: a third of the notebooks against kinesis-lab endpoint (own groups)
    "local-target-1",  # ~55
    "local-target-2",  # ~55
    "test_quizzes_watchdog.py",  # ~90
    "test_grader_corpus.py",  # ~90
    "test_quizzes_roundtrip.py:q02_producers",  # ~45
    "test_cli_lab.py",  # ~40
    "test_quizzes_cli.py",  # ~40
)


def group_of(item: pytest.Item) -> str:
    """The test's group: the one its module gives it (an xdist_group mark), else by the rules
    above."""
    for marker in getattr(item, "own_markers", []):
        if marker.name == "xdist_group" and marker.args:
            return str(marker.args[0])
    module = item.path.name
    if module in SITE_GROUPS:
        return SITE_GROUPS[module]
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
    if not any(m.name == "xdist_group" for m in getattr(item, "own_markers", [])):
        item.add_marker(pytest.mark.xdist_group(group_of(item)))


SITE_ORDER = (SITE, LITE, SITE_BROWSER)  # the build first; then the longest (lite, ~100 s loaded)


def rank_of(group: str) -> int:
    """0: the blank lesson runs; 1-3: the site's groups; then HEAVIEST_FIRST; then the rest."""
    if group.startswith(BLANK_LESSON_MODULE + ":"):
        return 0
    if group in SITE_ORDER:
        return 1 + SITE_ORDER.index(group)
    if group in HEAVIEST_FIRST:
        return 1 + len(SITE_ORDER) + HEAVIEST_FIRST.index(group)
    return 1 + len(SITE_ORDER) + len(HEAVIEST_FIRST)


def schedule(items: list[pytest.Item]) -> None:
    """Order the groups by rank; keep collection order otherwise (and within a group)."""
    first_seen: dict[str, int] = {}
    for item in items:
        first_seen.setdefault(group_of(item), len(first_seen))
    items.sort(
        key=lambda item: (
            rank_of(group_of(item)),
            first_seen[group_of(item)],
            _within_site(item),
        )
    )


def _within_site(item: pytest.Item) -> int:
    """The site build's own test first; then the tests that read the build."""
    if item.path.name in SITE_MODULES:
        return SITE_MODULES.index(item.path.name)
    return 0
