"""The in-browser course works in a real browser, offline: lessons run top to bottom in lite/.

Serves build/site (the suite's one strict build; the site hook builds lite/ in it) on
127.0.0.1 and, in headless Debian chromium driven by Playwright, opens three lessons by file
name in JupyterLite — the orientation, the core data model and the Lambda lesson — runs every
cell, and asserts: every code cell ran, no cell has an error output or a traceback, no console
error, and no request left 127.0.0.1 (every request is logged; anything else is aborted, and
chromium cannot resolve other hosts at all). The kernel-ready time of the first lesson (cold
cache: page → kernel answering) and each lesson's run time are printed, not asserted
(benchmark figures belong in a printout, browser-labs.md has the machine's range).

Cost: one browser and one served site for the module; about 1.5–2.5 minutes on the 2-core
machine (three kernel starts, ~20 s each, and the three runs). The browser is /usr/bin/chromium
from tools/ensure_system_packages.sh (`make test` installs it), never a Playwright download.
"""

from __future__ import annotations

import os
import time
from urllib.parse import urlsplit

import pytest
from site_helpers import REPO, SITE_OUT, build_site, serve

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    # a second fence behind the request log: no other host resolves at all
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
LOCAL_HOST = "127.0.0.1"
LESSONS = (
    "00_orientation.ipynb",
    "01_core_data_model.ipynb",
    "08_1_lambda_polling_retries.ipynb",
)
# Files asked for and done without — JupyterLite's settings probe, chromium's own favicon
# probe at the server's root: their 404 is not an error (any other is).
OPTIONAL_PROBES = {"/lite/api/all.json", "/favicon.ico"}
KERNEL_READY_TIMEOUT_MS = 240_000
RUN_ALL_TIMEOUT_MS = 420_000
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
    if not os.access(CHROMIUM, os.X_OK):
        unavailable(f"{CHROMIUM} is missing (run tools/ensure_system_packages.sh browser)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("playwright is not installed (pip install -e '.[dev]')")
    with pytest.MonkeyPatch.context() as patch:
        # Requests a service worker makes reach context.route too (read as the driver starts).
        patch.setenv("PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS", "1")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            yield browser
            browser.close()


class LiteSession:
    """One browser context on the lite site: every request logged, off-host ones aborted.

    JupyterLite's service worker runs as it does for a learner; its own fetches pass the log
    too (Playwright's service-worker network events, switched on in the browser fixture). The
    test, and only the test, asks JupyterLite to expose its app object (``exposeAppInBrowser``)
    to run cells and read their outputs.
    """

    def __init__(self, browser, base_url: str):
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.base_url = base_url
        self.requests: list[str] = []
        self.off_host: list[str] = []
        self.errors: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("console", self._console)
        self.context.on("response", self._response)
        self.page.on("pageerror", lambda error: self.errors.append(f"page error: {error!r}"))

    def _route(self, route):
        url = route.request.url
        self.requests.append(url)
        parts = urlsplit(url)
        if parts.scheme not in ("data", "blob") and parts.hostname != LOCAL_HOST:
            self.off_host.append(url)
            route.abort()
        elif parts.path.endswith("/lite/jupyter-lite.json"):
            response = route.fetch()
            config = response.json()
            config["jupyter-config-data"]["exposeAppInBrowser"] = True
            route.fulfill(response=response, json=config)
        else:
            route.continue_()

    def _console(self, message):
        if message.type == "error" and not self._optional_probe(message.location.get("url")):
            self.errors.append(f"console error: {message.text[:500]} ({message.location})")

    def _response(self, response):
        if response.status >= 400 and not self._optional_probe(response.url):
            self.errors.append(f"HTTP {response.status}: {response.url}")

    def _optional_probe(self, url: str | None) -> bool:
        return bool(url) and urlsplit(url).path in OPTIONAL_PROBES

    def open_lesson(self, notebook: str) -> dict:
        """Open a lesson by file name; return seconds to the UI and to the kernel answering."""
        started = time.monotonic()
        self.page.goto(f"{self.base_url}lite/lab/index.html?path={notebook}")
        self.page.wait_for_function(
            """name => {
                const widget = window.jupyterapp && window.jupyterapp.shell.currentWidget;
                return !!(widget && widget.sessionContext && widget.context.path === name);
            }""",
            arg=notebook,
            timeout=KERNEL_READY_TIMEOUT_MS,
        )
        ui = time.monotonic() - started
        self.page.evaluate(
            """async () => {
                const panel = window.jupyterapp.shell.currentWidget;
                await panel.sessionContext.ready;
                await panel.sessionContext.session.kernel.info;
            }"""
        )
        return {"ui": ui, "kernel": time.monotonic() - started}

    def run_all(self) -> dict:
        """Run every cell (awaiting the last one); return the notebook as the browser has it."""
        self.page.set_default_timeout(RUN_ALL_TIMEOUT_MS)
        self.page.evaluate(
            "async () => { await window.jupyterapp.commands.execute('notebook:run-all-cells'); }"
        )
        return self.page.evaluate(
            "() => window.jupyterapp.shell.currentWidget.content.model.toJSON()"
        )

    def execute(self, code: str) -> list[tuple[str, dict]]:
        """Run code in the open notebook's kernel; return its outputs (type, content)."""
        return self.page.evaluate(
            """async code => {
                const panel = window.jupyterapp.shell.currentWidget;
                const future = panel.sessionContext.session.kernel.requestExecute({code});
                const outputs = [];
                future.onIOPub = message => {
                    const kind = message.header.msg_type;
                    if (["error", "stream", "execute_result"].includes(kind)) {
                        outputs.push([kind, message.content]);
                    }
                };
                await future.done;
                return outputs;
            }""",
            code,
        )

    def close(self) -> None:
        self.context.close()


def problems_in(notebook: dict) -> list[str]:
    """Cells that did not run, error outputs, tracebacks on stderr."""
    problems = []
    for index, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] != "code" or not "".join(cell["source"]).strip():
            continue
        where = f"cell {index} ({cell.get('id', '?')})"
        if not cell.get("execution_count"):
            problems.append(f"{where}: did not run")
        for output in cell.get("outputs", []):
            if output["output_type"] == "error":
                problems.append(f"{where}: {output['ename']}: {output['evalue'][:300]}")
            elif output.get("name") == "stderr" and "Traceback" in "".join(output["text"]):
                problems.append(f"{where}: traceback on stderr: {''.join(output['text'])[-300:]}")
    return problems


@pytest.fixture(scope="module")
def lite_session(browser, site_url):
    """One context for the three lessons, as a learner would have (the cache warms up)."""
    session = LiteSession(browser, site_url)
    yield session
    session.close()


@pytest.mark.parametrize("notebook", LESSONS)
def test_lesson_runs_top_to_bottom_in_the_browser_offline(lite_session, notebook):
    assert (SITE_OUT / "lite" / "files" / notebook).is_file(), notebook
    session = lite_session
    session.errors.clear()
    times = session.open_lesson(notebook)
    started = time.monotonic()
    executed = session.run_all()
    run_all = time.monotonic() - started
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    session.page.screenshot(path=str(SCREENSHOTS / f"lite-{notebook}.png"))
    code_cells = sum(cell["cell_type"] == "code" for cell in executed["cells"])
    print(
        f"{notebook}: UI {times['ui']:.1f} s, page → kernel ready {times['kernel']:.1f} s, "
        f"run all {run_all:.1f} s ({code_cells} code cells); requests so far: "
        f"{len(session.requests)}, off 127.0.0.1: {len(session.off_host)}"
    )
    assert code_cells > 0
    problems = problems_in(executed)
    assert not problems, f"{notebook} in the browser:\n" + "\n".join(problems)
    assert not session.off_host, "requests left 127.0.0.1:\n" + "\n".join(session.off_host)
    assert not session.errors, "\n".join(session.errors)
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


# What cannot run in the browser, and the line the learner should see instead of a traceback.
LIMITS = {
    "start_lab(target='local')": "Only the mocked account runs in the browser",
    "from kinesis_lab.account.endpoint import start_endpoint\nstart_endpoint(port=0)": (
        "The local endpoint"
    ),
    "import threading\nthreading.Thread(target=print).start()": "has no threads",
    "import kinesis_grader": "The grader runs on your instructor's machine",
    "from cryptography.hazmat.primitives.asymmetric import rsa\n"
    "rsa.generate_private_key(public_exponent=65537, key_size=2048)": "needs real cryptography",
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
