"""The in-browser course (JupyterLite's Pyodide kernel): what cannot run there, said in one line.

Why: in the browser, Python runs in WebAssembly without sockets, servers or threads, the grader
is not shipped, and ``cryptography`` is a stand-in (tools/lite/standins.py). Reaching any of
them would otherwise end in a long traceback about a socket or a thread that means nothing to a
learner. Here those limits are detected and reported as one clear line; on a learner's machine
nothing changes.

- :func:`in_browser` — is this Pyodide?
- :func:`refuse` — raise :class:`NotInTheBrowser` (one line) for a feature that needs the
  machine: the local endpoint, another target than the mocked account.
- :func:`install_messages` — in the browser, the notebook shows a thread that cannot start, the
  grader's absence and a real cryptographic operation as one line each (IPython's custom
  exception hook); :func:`start_lab` installs it.
"""

from __future__ import annotations

import sys

LAB_ON_YOUR_MACHINE = "run this lab on your machine (`make lab`) for it"
FEATURES = {
    "endpoint": "The local endpoint (`make endpoint`) needs a server on your machine",
    "target": "Only the mocked account runs in the browser (start_lab() with no target)",
    "threads": "This cell starts a thread, and Python in the browser has no threads",
    "grader": "The grader runs on your instructor's machine (`make grade`), not in the browser",
    "cryptography": "This needs real cryptography, which the browser's Python does not have",
}


class NotInTheBrowser(RuntimeError):
    """A feature of the course that the in-browser Python cannot provide.

    IPython shows an exception through ``_render_traceback_`` when it has one: the learner
    sees the message, not a traceback."""

    def _render_traceback_(self) -> list[str]:
        return [f"Not in the browser: {self}"]


def in_browser() -> bool:
    """True in JupyterLite's Pyodide kernel (Python compiled to WebAssembly)."""
    return sys.platform == "emscripten"


def message(feature: str) -> str:
    return f"{FEATURES[feature]}: {LAB_ON_YOUR_MACHINE}."


def refuse(feature: str) -> None:
    """In the browser, stop with one line saying why ``feature`` cannot run there."""
    if in_browser():
        raise NotInTheBrowser(message(feature))


def browser_limit(error: BaseException) -> str | None:
    """The feature an exception shows the browser lacks, or None for any other error."""
    if isinstance(error, NotInTheBrowser):
        return str(error)
    if type(error).__name__ == "NotAvailableInBrowser":  # the cryptography stand-in's line
        return str(error) or message("cryptography")
    if isinstance(error, RuntimeError) and "can't start new thread" in str(error):
        return message("threads")
    if isinstance(error, ModuleNotFoundError) and (error.name or "").startswith("kinesis_grader"):
        return message("grader")
    return None


def _show(shell, etype, value, tb, tb_offset=None):
    """IPython custom exception hook: a browser limit as one line, anything else as usual."""
    limit = browser_limit(value)
    if limit is not None and not isinstance(value, NotInTheBrowser):
        value._render_traceback_ = lambda: [f"Not in the browser: {limit}"]
    shell.showtraceback((etype, value, tb), tb_offset=tb_offset)


def install_messages() -> bool:
    """In the browser's notebook, report browser limits in one line; True when installed."""
    if not in_browser():
        return False
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None:
        return False
    shell.set_custom_exc((Exception,), _show)
    return True
