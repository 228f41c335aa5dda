"""Under CI=true a skipped test is a failure, unless the skip is about the checkout's surroundings.

Why: `make test` installs every system package the suite uses (bubblewrap, chromium, …). A test
that skips because such a tool, root or a browser is missing would let a green CI hide a missing
install step — the machine's history would pass for the project's. So in CI every skip fails
with its reason, except the few that are about where the checkout sits (e.g. no ../shared beside
it); those say so with a reason that starts with SURROUNDINGS.

Loaded by tests/conftest.py; tests/test_ci_skip_rule.py proves it with pytester.
"""

from __future__ import annotations

import os

import pytest

SURROUNDINGS = "surroundings:"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


def surroundings(reason: str) -> str:
    """A skip reason the CI rule keeps as a skip: it is about the checkout's surroundings."""
    return f"{SURROUNDINGS} {reason}"


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not (report.skipped and in_ci()) or hasattr(report, "wasxfail"):
        return
    reason = _skip_reason(report)
    if reason.startswith(SURROUNDINGS):
        return
    report.outcome = "failed"
    report.longrepr = (
        f"skipped under CI=true, which counts as a failure: {reason}\n"
        "`make test` must install every system tool the suite uses "
        "(tools/ensure_system_packages.sh); a skip here would hide a missing install step."
    )


def missing_for_grading() -> list[str]:
    """What the grading sandbox lacks here (bwrap, prlimit, setpriv, root); empty when ready."""
    import shutil

    missing = [tool for tool in ("bwrap", "prlimit", "setpriv") if shutil.which(tool) is None]
    if os.geteuid() != 0:
        missing.append("root")
    return missing


_MISSING = missing_for_grading()
needs_grading_sandbox = pytest.mark.skipif(
    bool(_MISSING),
    reason=f"needs the grading sandbox; missing here: {', '.join(_MISSING)} "
    "(`make test` installs bubblewrap and util-linux; run as root)",
)
