"""The suite's CI rule: under CI=true a skip for a missing tool fails; surroundings skips stay."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

RULE = (Path(__file__).parent / "ci_skip_rule.py").read_text()

TESTS = """
import pytest
from ci_skip_rule import surroundings

def test_needs_a_tool():
    pytest.skip("needs bubblewrap: bwrap is missing here")

@pytest.mark.skipif(True, reason="needs chromium")
def test_needs_a_browser():
    pass

@pytest.mark.skipif(True, reason=surroundings("no ../shared beside the checkout"))
def test_about_the_checkout():
    pass

@pytest.mark.xfail(reason="a known gap", run=False)
def test_expected_failure():
    pass

def test_runs():
    assert True
"""


@pytest.fixture
def suite(pytester):
    pytester.makeconftest(RULE)
    pytester.makepyfile(test_sample=TESTS)
    return pytester


def test_under_ci_a_skip_for_a_missing_tool_is_a_failure_naming_it(suite, monkeypatch):
    monkeypatch.setenv("CI", "true")
    result = suite.runpytest("-p", "no:cacheprovider", "-rA")
    # A skip at setup (skipif) is reported as an error, one inside the test as a failure.
    result.assert_outcomes(passed=1, failed=1, errors=1, skipped=1, xfailed=1)
    assert result.ret != 0
    result.stdout.fnmatch_lines(
        [
            "*skipped under CI=true, which counts as a failure: needs bubblewrap: bwrap*",
            "*skipped under CI=true, which counts as a failure: needs chromium*",
        ]
    )


def test_outside_ci_the_same_skips_stay_skips(suite, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    result = suite.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, skipped=3, xfailed=1)


@pytest.mark.parametrize("value", ["false", "", "0"])
def test_only_ci_true_turns_the_rule_on(suite, monkeypatch, value):
    monkeypatch.setenv("CI", value)
    suite.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1, skipped=3, xfailed=1)
