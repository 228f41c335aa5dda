"""Drive the built in-browser course in headless chromium: serve it, open a lesson, run it.

Shared by tests/course/test_lite_browser.py and benchmarks/bench_lite.py (one home). The
browser is Debian's chromium in its headless build, /usr/bin/chromium-headless-shell
(tools/ensure_system_packages.sh browser), driven by Playwright's Python package, never a
Playwright download. Why the headless build: the same Blink and V8 without the desktop
browser's layers (nor GTK, so fewer packages on a fresh machine); the site's pages in
tests/course/test_site_browser.py took 54–61 CPU-s against 62–71 with /usr/bin/chromium, with
the same screenshots. Every request is logged and any request for another host than 127.0.0.1
is aborted; chromium cannot resolve other hosts at all.
Only this driver asks JupyterLite to expose its app object (``exposeAppInBrowser``, patched into
jupyter-lite.json as it is served) to run cells and read their outputs; the built site is not
changed. Not a build input: tools/build_lite.py leaves this module out of its cache key.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

CHROMIUM = "/usr/bin/chromium-headless-shell"
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
# Files asked for and done without — JupyterLite's settings probe, chromium's own favicon
# probe at the server's root: their 404 is not an error (any other is).
OPTIONAL_PROBES = {"/lite/api/all.json", "/favicon.ico"}
KERNEL_READY_TIMEOUT_MS = 240_000
RUN_ALL_TIMEOUT_MS = 420_000
NOT_IN_THE_BROWSER = "Not in the browser: "  # kinesis_lab.account.browser's one line
# The opened lesson's own notebook panel, by id (JavaScript, with `id` in scope)
_PANEL = 'Array.from(window.jupyterapp.shell.widgets("main")).find(w => w.id === id)'


class BrowserUnavailable(RuntimeError):
    """No chromium at CHROMIUM, or no Playwright package."""


def browser_unavailable() -> str | None:
    """Why the browser cannot be driven here, or None when it can."""
    if not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} is missing (run tools/ensure_system_packages.sh browser)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[dev]')"
    return None


@contextlib.contextmanager
def chromium():
    """A headless chromium for the duration; service workers' requests pass the request log."""
    reason = browser_unavailable()
    if reason:
        raise BrowserUnavailable(reason)
    from playwright.sync_api import sync_playwright

    # Requests a service worker makes reach context.route too (read as the driver starts).
    saved = os.environ.get("PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS")
    os.environ["PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS"] = "1"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            try:
                yield browser
            finally:
                browser.close()
    finally:
        if saved is None:
            os.environ.pop("PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS", None)
        else:
            os.environ["PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS"] = saved


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".mjs": "text/javascript",
        ".js": "text/javascript",
        ".wasm": "application/wasm",
    }

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


@contextlib.contextmanager
def serve(root: Path) -> Iterator[str]:
    """Serve a folder (the built site) on 127.0.0.1, a free port; yield the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer((LOCAL_HOST, 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{LOCAL_HOST}:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


class LiteSession:
    """One browser context on the lite site: every request logged, off-host ones aborted.

    JupyterLite's service worker runs as it does for a learner; its own fetches pass the log
    too (see :func:`chromium`). A fresh context has a cold cache, as on a learner's first visit.
    """

    def __init__(self, browser, base_url: str):
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.base_url = base_url
        self.requests: list[str] = []
        self.off_host: list[str] = []
        self.errors: list[str] = []
        self.context.route("**/*", self._route)
        self.context.on("response", self._response)
        # One tab for the session: the lessons open in it one after another
        # (open_lesson, then open_next_lesson), as a learner's do.
        self.page = self.context.new_page()
        self.panel_id = None
        self.page.on("console", self._console)
        self.page.on("pageerror", self._page_error)

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

    def _page_error(self, error) -> None:
        """An uncaught exception in the page, with where it was thrown (its first frames)."""
        stack = (getattr(error, "stack", "") or "").splitlines()[1:4]
        where = " | ".join(line.strip() for line in stack)
        self.errors.append(f"page error: {error!r}" + (f" at {where}" if where else ""))

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
        handle = self.page.wait_for_function(
            """name => {
                const app = window.jupyterapp;
                const panels = app ? Array.from(app.shell.widgets("main")) : [];
                const panel = panels.find(w => w.sessionContext && w.context.path === name);
                return panel ? panel.id : null;
            }""",
            arg=notebook,
            timeout=KERNEL_READY_TIMEOUT_MS,
        )
        self.panel_id = handle.json_value()
        ui = time.monotonic() - started
        self.page.evaluate(
            f"""async id => {{
                const panel = {_PANEL};
                await panel.context.ready;  // the whole notebook is loaded, not its first cells
                await panel.revealed;
                await panel.sessionContext.ready;
                await panel.sessionContext.session.kernel.info;
            }}""",
            self.panel_id,
        )
        return {"ui": ui, "kernel": time.monotonic() - started}

    def open_next_lesson(self, notebook: str) -> dict:
        """Open another lesson in this tab on the open lesson's kernel, then close that lesson.

        As a learner who picks the running kernel for the next lesson: its setup cell starts the
        lab again, as a re-run does. Why not a fresh kernel: Pyodide's start and the first
        import of boto3 and moto are the same for every lesson, about 20 CPU-s on the 2-core
        machine; the first lesson proves them. Returns the seconds to the kernel answering."""
        if self.panel_id is None:
            raise RuntimeError("no lesson is open: open_lesson first")
        started = time.monotonic()
        self.panel_id = self.page.evaluate(
            f"""async ([previous, name]) => {{
                const app = window.jupyterapp;
                const id = previous;
                const before = {_PANEL};
                const kernel = before.sessionContext.session.kernel;
                const panel = await app.commands.execute("docmanager:open", {{
                    path: name, factory: "Notebook", kernel: {{id: kernel.id, name: kernel.name}},
                }});
                await panel.context.ready;
                await panel.revealed;
                await panel.sessionContext.ready;
                await panel.sessionContext.session.kernel.info;
                if (panel.sessionContext.session.kernel.id !== kernel.id) {{
                    throw new Error("the lesson got a kernel of its own");
                }}
                // Run All left it changed: unchanged, it closes without asking to save
                before.context.model.dirty = false;
                before.close();
                for (let wait = 0; !before.isDisposed; wait += 50) {{
                    if (wait > 30000) throw new Error("the previous lesson did not close");
                    await new Promise(done => setTimeout(done, 50));
                }}
                return panel.id;
            }}""",
            [self.panel_id, notebook],
        )
        return {"kernel": time.monotonic() - started}

    def open_documents(self) -> list[str]:
        """Paths of the documents open in the main area (one lesson, once it is open alone)."""
        return self.page.evaluate(
            """() => Array.from(window.jupyterapp.shell.widgets("main"))
                .filter(w => w.context).map(w => w.context.path)"""
        )

    def run_all(self) -> dict:
        """Run every cell of the lesson opened (awaiting the last); return it as the browser has it.

        The command names the lesson's own panel: the current widget can be another one.
        """
        self.page.set_default_timeout(RUN_ALL_TIMEOUT_MS)
        self.page.evaluate(
            """async id => {
                await window.jupyterapp.commands.execute(
                    "notebook:run-all-cells", {semanticWidget: id, activate: true});
            }""",
            self.panel_id,
        )
        return self.page.evaluate(f"id => ({_PANEL}).content.model.toJSON()", self.panel_id)

    def execute(self, code: str) -> list[tuple[str, dict]]:
        """Run code in the opened lesson's kernel; return its outputs (type, content)."""
        return self.page.evaluate(
            f"""async ([id, code]) => {{
                const panel = {_PANEL};
                const future = panel.sessionContext.session.kernel.requestExecute({{code}});
                const outputs = [];
                future.onIOPub = message => {{
                    const kind = message.header.msg_type;
                    if (["error", "stream", "execute_result"].includes(kind)) {{
                        outputs.push([kind, message.content]);
                    }}
                }};
                await future.done;
                return outputs;
            }}""",
            [self.panel_id, code],
        )

    def close(self) -> None:
        self.context.close()


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value or "")


def problems_in(notebook: dict) -> list[str]:
    """Cells that did not run, error outputs, tracebacks on stderr."""
    problems = []
    for index, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] != "code" or not _text(cell["source"]).strip():
            continue
        where = f"cell {index} ({cell.get('id', '?')})"
        if not cell.get("execution_count"):
            problems.append(f"{where}: did not run")
        for output in cell.get("outputs", []):
            if output["output_type"] == "error":
                problems.append(f"{where}: {output['ename']}: {output['evalue'][:300]}")
            elif output.get("name") == "stderr" and "Traceback" in _text(output["text"]):
                problems.append(f"{where}: traceback on stderr: {_text(output['text'])[-300:]}")
    return problems


def browser_limits_in(notebook: dict) -> list[str]:
    """Cells that showed a "Not in the browser: …" line (an error or printed), with the line."""
    found = []
    for index, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] != "code":
            continue
        for output in cell.get("outputs", []):
            lines = output.get("traceback", []) + _text(output.get("text")).splitlines()
            for line in lines:
                if NOT_IN_THE_BROWSER in line:
                    found.append(f"cell {index} ({cell.get('id', '?')}): {line.strip()[:300]}")
    return found
