"""The built site works in a real browser, offline: Debian's chromium driven by Playwright.

Opens the home page, a lesson, a practice page, the mock exam and the search, served from
build/site on 127.0.0.1, and asserts: no console errors, no request leaves localhost (any
attempt is aborted and reported), a lesson's widget renders, a quiz answer can be clicked and
is marked right or wrong, the mock exam scores per domain, search returns a hit. Screenshots go
to build/screenshots/ for a developer to look at.

The browser is /usr/bin/chromium-headless-shell (installed by tools/ensure_system_packages.sh
in `make test`), never a Playwright download. Without it the tests skip on a developer's
machine, and fail in CI (CI=true), where they must run.
"""

from __future__ import annotations

import os
import sys
from urllib.parse import urlsplit

import pytest
from site_helpers import REPO, SITE_OUT, build_site

sys.path.insert(0, str(REPO / "tools"))
# One browser for the suite and the benchmarks: chromium's flags (no other host resolves), the
# launch and the static server live in tools/lite/driver.py.
from lite.driver import browser_unavailable, chromium, serve  # noqa: E402

SCREENSHOTS = REPO / "build" / "screenshots"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]


def unavailable(reason: str):
    """Skip here; under CI=true tests/ci_skip_rule.py turns the skip into a failure."""
    pytest.skip(reason)


@pytest.fixture(scope="module")
def site_url():
    build_site()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with serve(SITE_OUT) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    reason = browser_unavailable()
    if reason:
        unavailable(reason)
    with chromium() as browser:
        yield browser


class Watched:
    """One reader's tab: records console errors and the requests of the page it opens.

    The tests share one tab for the module and navigate it, as a reader clicks through the
    site: a new tab (a new renderer process) for each page cost about 1.8 s more CPU per page
    on the 2-core machine (3.5 against 1.7 s for a lesson page). Each test starts with empty
    records (``open`` clears them), so what it asserts is its own page's; a request the
    previous page still had in flight (its favicon, say) is cut off by leaving it, as in any
    reader's browser, and is not this page's failure."""

    def __init__(self, context, base_url: str):
        self.page = context.new_page()
        self.base_url = base_url
        self.errors: list[str] = []
        self.off_host: list[str] = []
        self.requests: list[str] = []
        self.this_page: set = set()  # the requests made since the page was opened
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        self.page.on("requestfailed", self._failed)
        # Recorded, not routed: routing turns chromium's HTTP cache off, and a reader's cache is
        # what makes the second page quick. The driver's resolver rule fails any other host;
        # the record is what the test asserts on.
        self.page.on("request", self._request)

    def _console(self, message):
        if message.type == "error":
            self.errors.append(f"console error: {message.text} @ {message.location}")

    def _failed(self, request):
        if request in self.this_page and request.url not in self.off_host:
            self.errors.append(f"request failed: {request.url} {request.failure}")

    def _request(self, request):
        url = request.url
        self.this_page.add(request)
        self.requests.append(url)
        parts = urlsplit(url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname not in LOCAL_HOSTS:
            self.off_host.append(url)

    def open(self, path: str):
        for record in (self.errors, self.off_host, self.requests, self.this_page):
            record.clear()
        self.page.goto(self.base_url + path, wait_until="load")
        self.page.wait_for_load_state("networkidle")
        return self.page

    def shot(self, name: str, full_page: bool = False) -> None:
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)

    def check_clean(self) -> None:
        assert not self.off_host, "requests left localhost:\n" + "\n".join(self.off_host)
        assert not self.errors, "\n".join(self.errors)


@pytest.fixture(scope="module")
def reader(browser, site_url):
    """One reader going through the site: one context (its cache warms up), one tab."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme="light")
    yield Watched(context, site_url)
    context.close()


@pytest.fixture
def watched(browser, reader):
    """The reader's tab; a dark-mode reader is another reader, with a context of their own
    (Material keeps the first page's palette for the rest of a visit)."""
    contexts = []

    def make(color_scheme: str = "light") -> Watched:
        if color_scheme == "light":
            return reader
        contexts.append(
            browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=color_scheme)
        )
        return Watched(contexts[-1], reader.base_url)

    yield make
    for context in contexts:
        context.close()


def test_home_page_renders_offline(watched):
    view = watched()
    page = view.open("")
    assert "Amazon Kinesis" in page.title()
    assert page.locator("nav.md-nav--primary").count() > 0
    assert page.locator("text=Course map").count() > 0
    view.shot("home")
    view.check_clean()


def test_home_page_in_dark_mode(watched):
    view = watched(color_scheme="dark")
    page = view.open("")
    assert page.evaluate("document.body.getAttribute('data-md-color-scheme')") == "slate"
    view.shot("home-dark")
    view.check_clean()


def test_lesson_widget_renders(watched):
    view = watched()
    page = view.open("lessons/01_core_data_model/")
    widget = page.locator(".jupyter-widgets .widget-text input").first
    widget.wait_for(state="visible", timeout=30_000)
    picture = page.locator(".jupyter-widgets svg").first
    picture.wait_for(state="visible", timeout=30_000)
    assert picture.bounding_box()["width"] > 200, "the hash-ring picture has no size"
    assert page.locator("script[type='application/vnd.jupyter.widget-view+json']").count() > 0
    launch = page.locator(".lesson-launch a")
    assert launch.filter(has_text="Run in your browser").count() == 1
    # No repository is configured in this checkout (no GitHub remote, none in mkdocs.yml), so
    # no Colab or Binder button (tests/course/test_launch_links.py covers the configured case).
    assert (
        launch.filter(has_text="Binder").count() == 0
        and launch.filter(has_text="Colab").count() == 0
    )
    assert page.locator("a.md-footer__link--prev").count() == 1, "footer: previous page"
    assert page.locator("a.md-footer__link--next").count() == 1, "footer: next page"
    view.shot("lesson-top")
    widget.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    view.shot("lesson-widget")
    view.check_clean()


def test_lesson_with_sliders_renders_them(watched):
    view = watched()
    page = view.open("lessons/10_managed_flink/")
    slider = page.locator(".jupyter-widgets .widget-slider").first
    slider.wait_for(state="visible", timeout=30_000)
    assert page.locator(".jupyter-widgets .widget-slider").count() >= 3
    slider.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    view.shot("lesson-sliders")
    view.check_clean()


LESSONS = sorted(path.stem for path in (REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.parametrize("lesson", LESSONS)
def test_every_lesson_page_loads_cleanly(reader, lesson):
    """Each lesson: its widgets (if any) are drawn, nothing errs, nothing leaves localhost."""
    check_lesson_page(reader, lesson)


def check_lesson_page(view: Watched, lesson: str) -> None:
    page = view.open(f"lessons/{lesson}/")
    views = page.locator("script[type='application/vnd.jupyter.widget-view+json']").count()
    if views:
        page.locator(".jupyter-widgets").first.wait_for(state="attached", timeout=30_000)
        page.wait_for_function(
            "n => document.querySelectorAll('.jupyter-widgets.widget-container,"
            " .jupyter-widgets.widget-inline-hbox, .jupyter-widgets.widget-html').length > 0",
            arg=views,
            timeout=30_000,
        )
    view.check_clean()


def test_mermaid_diagrams_render_offline(watched):
    view = watched()
    page = view.open("big-picture/")
    diagrams = page.locator("div.mermaid")
    diagrams.first.wait_for(state="visible", timeout=30_000)
    page.wait_for_function("document.querySelectorAll('pre.mermaid').length === 0", timeout=30_000)
    assert diagrams.count() == 3
    assert all(diagrams.nth(i).bounding_box()["height"] > 40 for i in range(3))
    assert not any("mermaid" in url and "127.0.0.1" not in url for url in view.requests)
    view.shot("diagrams")
    view.check_clean()


def answer(page, quiz_index: int, correct: bool) -> None:
    quiz = page.locator(".quiz").nth(quiz_index)
    quiz.scroll_into_view_if_needed()
    selector = "input[data-correct]" if correct else "input[name='answer']:not([data-correct])"
    quiz.locator(selector).first.click()
    submit = quiz.locator("button[type='submit']")
    if submit.count() and submit.is_visible():
        submit.click()


def test_practice_answer_is_marked_right_or_wrong(watched):
    view = watched()
    page = view.open("practice/m01/")
    assert page.locator(".quiz").count() >= 4
    answer(page, 0, correct=True)
    right = page.locator(".quiz").nth(0)
    right.locator(".quiz-feedback .correct").wait_for(state="visible", timeout=10_000)
    assert right.locator("label.correct, .correct input, div.correct").count() > 0
    assert right.locator("section.content:not(.hidden)").count() == 1, "explanation shown"
    answer(page, 1, correct=False)
    wrong = page.locator(".quiz").nth(1)
    wrong.locator(".quiz-feedback .incorrect").wait_for(state="visible", timeout=10_000)
    assert wrong.locator(".wrong").count() > 0
    view.shot("practice-answered")
    view.check_clean()


def test_mock_exam_scores_per_domain(watched):
    view = watched()
    page = view.open("practice/mock-exam/")
    board = page.locator("#mock-exam-score")
    board.locator("tr[data-domain-row]").first.wait_for(timeout=10_000)
    domains = board.locator("tr[data-domain-row]").count() - 1  # last row: all domains
    assert domains >= 5
    answer(page, 0, correct=True)
    answer(page, 1, correct=False)
    page.wait_for_timeout(300)
    rows = board.locator("tr[data-domain-row]").all_inner_texts()
    assert any(row.startswith("All domains") and "2 / " in row and "50%" in row for row in rows)
    assert sum("100%" in row for row in rows[:-1]) == 1 and sum("0%" in row for row in rows) >= 1
    board.scroll_into_view_if_needed()
    view.shot("mock-exam-score")
    view.check_clean()


def test_search_returns_a_hit(watched):
    view = watched()
    page = view.open("")
    page.locator("label.md-search__icon, .md-search__input").first.click()
    # Material drops a query typed before its search worker has built the index: wait until
    # the worker is ready ("Initializing search" is gone), then type like a reader.
    page.wait_for_function(
        "() => { const m = document.querySelector('.md-search-result__meta');"
        " return m && m.textContent.trim() && !/initializ/i.test(m.textContent); }",
        timeout=60_000,
    )
    page.locator("input.md-search__input").press_sequentially("partition key", delay=20)
    hits = page.locator(".md-search-result__item")
    hits.first.wait_for(state="visible", timeout=30_000)
    assert hits.count() > 0
    assert "partition" in hits.first.inner_text().lower()
    view.shot("search")
    view.check_clean()


def test_screenshots_are_written():
    shots = sorted(p.name for p in SCREENSHOTS.glob("*.png")) if SCREENSHOTS.exists() else []
    if not shots and browser_unavailable():
        pytest.skip("no browser here: nothing was screenshotted")
    assert {
        "home.png",
        "lesson-widget.png",
        "practice-answered.png",
        "search.png",
        "diagrams.png",
    } <= set(shots)
