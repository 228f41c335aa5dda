"""kinesis_lab.account.browser on CPython: what the in-browser course refuses, and how it says so.

The real browser run is in tests/course/test_lite_browser.py; here Pyodide is stood in for by
sys.platform = "emscripten", so the detection and the one-line messages are checked quickly.
"""

from __future__ import annotations

import sys

import pytest

from kinesis_lab.account import browser, endpoint, session


@pytest.fixture
def in_the_browser(monkeypatch):
    monkeypatch.setattr(sys, "platform", "emscripten")


def test_on_a_machine_nothing_is_refused():
    assert not browser.in_browser()
    browser.refuse("endpoint")  # no error
    assert browser.install_messages() is False


@pytest.mark.parametrize("feature", sorted(browser.FEATURES))
def test_in_the_browser_each_feature_is_refused_in_one_line(in_the_browser, feature):
    with pytest.raises(browser.NotInTheBrowser) as raised:
        browser.refuse(feature)
    (line,) = raised.value._render_traceback_()
    assert line == f"Not in the browser: {browser.message(feature)}"
    assert "\n" not in line and "make lab" in line


def test_start_lab_refuses_other_targets_before_opening_anything(in_the_browser, monkeypatch):
    monkeypatch.setattr(session, "_open", lambda settings: pytest.fail("opened a session"))
    with pytest.raises(browser.NotInTheBrowser, match="Only the mocked account"):
        session.start_lab("local")


def test_start_endpoint_is_refused_before_any_port_is_opened(in_the_browser, monkeypatch):
    monkeypatch.setattr(endpoint, "check_port_free", lambda *a: pytest.fail("probed a port"))
    with pytest.raises(browser.NotInTheBrowser, match="local endpoint"):
        endpoint.start_endpoint(port=5999)


def test_browser_limits_are_told_apart_from_ordinary_errors():
    class NotAvailableInBrowser(RuntimeError):  # as the cryptography stand-in names it
        pass

    grader = ModuleNotFoundError("No module named 'kinesis_grader'", name="kinesis_grader")
    assert "no threads" in browser.browser_limit(RuntimeError("can't start new thread"))
    assert "grader" in browser.browser_limit(grader)
    assert browser.browser_limit(NotAvailableInBrowser("x() needs real cryptography")) == (
        "x() needs real cryptography"
    )
    assert browser.browser_limit(RuntimeError("something else")) is None
    assert (
        browser.browser_limit(ModuleNotFoundError("No module named 'numpy'", name="numpy")) is None
    )
    assert browser.browser_limit(ZeroDivisionError()) is None
