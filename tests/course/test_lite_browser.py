"""The in-browser course works in a real browser, offline: lessons run top to bottom in lite/.

Serves build/site (the suite's one strict build; the site hook builds lite/ in it) on
127.0.0.1 and, in headless Debian chromium driven by Playwright, opens three lessons by file
name in JupyterLite — the orientation, the core data model and the Lambda lesson — runs every
cell, and asserts: every code cell ran, no cell has an error output or a traceback, no console
error, and no request left 127.0.0.1 (every request is logged; anything else is aborted, and
chromium cannot resolve other hosts at all). The kernel-ready time of the first lesson (cold
cache: page → kernel answering) and each lesson's run time are printed, not asserted
(benchmarks/bench_lite.py holds the budgets). The browser driver — server, chromium, request
log, running cells — is tools/lite/driver.py, shared with that benchmark.

One tab and one kernel for the three, as a learner who moves on to the next lesson on the
running kernel: the first lesson opens in a fresh page with a fresh kernel (Pyodide's start and
the first import of boto3 and moto, about 20 CPU-s, are the same for every lesson); each next
one opens beside it on that kernel, the previous one closes, and its setup cell starts the lab
again, as any re-run does (every lesson runs in a fresh kernel and again in the same one in
tests/course/test_notebooks.py and test_exercises.py). A kernel for each lesson cost 94 CPU-s
for the three, one kernel 38.

Cost: one browser and one served site for the module; about 40 s on a quiet 2-core machine.
The browser is /usr/bin/chromium-headless-shell from tools/ensure_system_packages.sh (`make
test` installs it), never a Playwright download.
"""

from __future__ import annotations

import json
import sys
import time

import pytest
from site_helpers import REPO, SITE_OUT, build_site

sys.path.insert(0, str(REPO / "tools"))

from lite.driver import (  # noqa: E402  (tools/ is not a package; one driver for the bench too)
    LiteSession,
    browser_limits_in,
    browser_unavailable,
    chromium,
    problems_in,
    serve,
)

LESSONS = (
    "00_orientation.ipynb",
    "01_core_data_model.ipynb",
    "08_1_lambda_polling_retries.ipynb",
)
SCREENSHOTS = REPO / "build" / "screenshots"

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]


def unavailable(reason: str):
    """Skip here; under CI=true tests/ci_skip_rule.py turns the skip into a failure."""
    pytest.skip(reason)


@pytest.fixture(scope="module")
def site_url():
    build_site()
    assert (SITE_OUT / "lite" / "lab" / "index.html").is_file(), "the site has no lite/"
    with serve(SITE_OUT) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    reason = browser_unavailable()
    if reason:
        unavailable(reason)
    with chromium() as browser:
        yield browser


@pytest.fixture(scope="module")
def lite_session(browser, site_url):
    """One context, tab and kernel for the three lessons (the cache warms up)."""
    session = LiteSession(browser, site_url)
    yield session
    session.close()


# Uncaught errors in JupyterLab's own UI code that change nothing a lesson does. Seen twice in
# fresh-clone CI runs under full load (never on a quiet machine, nor with the CPU loaded by busy
# loops), in the second or third lesson of a session, with every cell run and no problem in the
# notebook: an element's observer gone before it was observed. Then each lesson had a tab of
# its own and the previous lesson's was still reopened beside it, a likely source (now the
# lessons share one tab and each closes before the next runs); tolerated until runs show it
# gone. The driver logs where it was thrown; each is printed, and anything else still fails.
UPSTREAM_UI_ERRORS = ("page error: Error(\"Cannot read properties of null (reading 'observe')\")",)


@pytest.mark.parametrize("notebook", LESSONS)
def test_lesson_runs_top_to_bottom_in_the_browser_offline(lite_session, notebook):
    assert (SITE_OUT / "lite" / "files" / notebook).is_file(), notebook
    session = lite_session
    session.errors.clear()
    if session.panel_id is None:  # the first lesson: a fresh page and kernel, a cold cache
        times = session.open_lesson(notebook)
        opened = f"UI {times['ui']:.1f} s, page → kernel ready {times['kernel']:.1f} s"
    else:  # the next ones in the same tab, on the same kernel (see the module docstring)
        times = session.open_next_lesson(notebook)
        opened = f"opened on the same kernel in {times['kernel']:.1f} s"
    # Alone: the previous lesson is closed, not left beside it.
    assert session.open_documents() == [notebook]
    started = time.monotonic()
    executed = session.run_all()
    run_all = time.monotonic() - started
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    session.page.screenshot(path=str(SCREENSHOTS / f"lite-{notebook}.png"))
    code_cells = sum(cell["cell_type"] == "code" for cell in executed["cells"])
    print(
        f"{notebook}: {opened}, run all {run_all:.1f} s ({code_cells} code cells); requests "
        f"so far: {len(session.requests)}, off 127.0.0.1: {len(session.off_host)}"
    )
    shipped = json.loads((SITE_OUT / "lite" / "files" / notebook).read_text(encoding="utf-8"))
    # Every cell ran, not those loaded when Run All came (seen under load: 13 of 25).
    assert code_cells == sum(cell["cell_type"] == "code" for cell in shipped["cells"]) > 0
    problems = problems_in(executed)
    assert not problems, f"{notebook} in the browser:\n" + "\n".join(problems)
    assert not session.off_host, "requests left 127.0.0.1:\n" + "\n".join(session.off_host)
    upstream = [error for error in session.errors if error.startswith(UPSTREAM_UI_ERRORS)]
    for error in upstream:
        print(f"{notebook}: tolerated upstream UI error: {error}")
    assert not [e for e in session.errors if e not in upstream], "\n".join(session.errors)
    assert any("/lite/static/pyodide/kinesis_lab-" in url for url in session.requests)


def test_problems_in_reports_errors_unrun_cells_and_tracebacks():
    """The check above can fail: an error output, a cell that never ran, a stderr traceback."""
    notebook = {
        "cells": [
            {"cell_type": "code", "source": "1", "execution_count": 1, "outputs": []},
            {"cell_type": "code", "source": "x", "execution_count": None, "outputs": []},
            {
                "cell_type": "code",
                "source": "y",
                "execution_count": 3,
                "outputs": [{"output_type": "error", "ename": "E", "evalue": "v"}],
            },
            {
                "cell_type": "code",
                "source": "z",
                "execution_count": 4,
                "outputs": [{"output_type": "stream", "name": "stderr", "text": "Traceback …"}],
            },
        ]
    }
    problems = problems_in(notebook)
    assert [p.split(":")[0] for p in problems] == ["cell 1 (?)", "cell 2 (?)", "cell 3 (?)"]


def test_browser_limits_in_finds_the_one_line_shown_or_printed():
    """The lesson sweep's finder: a "Not in the browser" error line, or the same line printed."""
    notebook = {
        "cells": [
            {"cell_type": "markdown", "source": "Not in the browser: prose is not output"},
            {"cell_type": "code", "source": "1", "outputs": [{"output_type": "stream"}]},
            {
                "cell_type": "code",
                "source": "x",
                "outputs": [{"output_type": "error", "traceback": ["Not in the browser: A."]}],
            },
            {
                "cell_type": "code",
                "source": "y",
                "outputs": [
                    {"output_type": "stream", "text": ["ok\n", "Not in the browser: B.\n"]}
                ],
            },
        ]
    }
    assert browser_limits_in(notebook) == [
        "cell 2 (?): Not in the browser: A.",
        "cell 3 (?): Not in the browser: B.",
    ]


# What cannot run in the browser, and the line the learner should see instead of a traceback.
LIMITS = {
    "start_lab(target='local')": "Only the mocked account runs in the browser",
    "from kinesis_lab.account.endpoint import start_endpoint\nstart_endpoint(port=0)": (
        "The local endpoint"
    ),
    "import threading\nthreading.Thread(target=print).start()": "has no threads",
    "import kinesis_grader": "The grader runs on your instructor's machine",
    # CreateKey works (moto's key is a stand-in that refuses use); Encrypt needs the real thing
    "kms = lab.client('kms')\n"
    "kms.encrypt(KeyId=kms.create_key()['KeyMetadata']['KeyId'], Plaintext=b'x')": (
        "needs real cryptography"
    ),
}


def test_what_cannot_run_in_the_browser_is_told_in_one_line(lite_session):
    session = lite_session
    if "/lite/lab/" not in session.page.url:  # run alone: open a lesson for its kernel
        session.open_lesson(LESSONS[0])
    started = session.execute("from kinesis_lab import start_lab\nlab = start_lab(quiet=True)")
    assert not [kind for kind, _ in started if kind == "error"], started
    for code, expected in LIMITS.items():
        errors = [content for kind, content in session.execute(code) if kind == "error"]
        assert len(errors) == 1, f"{code!r}: {errors}"
        (line,) = errors[0]["traceback"]  # one line, no traceback
        assert line.startswith("Not in the browser: ") and expected in line, (code, line)
    # any other error keeps its full traceback
    (other,) = [content for kind, content in session.execute("1/0") if kind == "error"]
    assert len(other["traceback"]) > 1 and "ZeroDivisionError" in other["ename"]
