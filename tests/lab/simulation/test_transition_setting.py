"""How long a lab transition lasts: 1 s for learners, shorter when a run asks for it."""

from __future__ import annotations

import pytest

from kinesis_lab.simulation import lifecycle


def test_a_learner_gets_one_second(monkeypatch):
    monkeypatch.delenv(lifecycle.TRANSITION_ENV, raising=False)
    assert lifecycle._transition_seconds() == 1.0


def test_the_setting_shortens_it(monkeypatch):
    monkeypatch.setenv(lifecycle.TRANSITION_ENV, "0.3")
    assert lifecycle._transition_seconds() == pytest.approx(0.3)


@pytest.mark.parametrize("text", ["fast", "0", "-1", "0.01", "61"])
def test_a_bad_setting_is_refused_with_what_to_give(monkeypatch, text):
    monkeypatch.setenv(lifecycle.TRANSITION_ENV, text)
    with pytest.raises(ValueError, match="between 0.05 and 60"):
        lifecycle._transition_seconds()


def test_the_suite_runs_with_short_transitions():
    """tests/conftest.py sets the setting before kinesis_lab is imported."""
    assert lifecycle.TRANSITION_SECONDS == pytest.approx(0.3)


def test_advancing_a_simulated_clock_by_one_transition_ends_it(lab_clock):
    """An epoch-sized clock plus 0.3 s minus the start is 0.29999995 s: still the end."""
    transition = lifecycle._Transition(lifecycle.CREATING, lab_clock.now())
    lab_clock.advance(lifecycle.TRANSITION_SECONDS / 2)
    assert not lifecycle._is_over(transition, lab_clock.now())
    lab_clock.advance(lifecycle.TRANSITION_SECONDS / 2)
    assert lifecycle._is_over(transition, lab_clock.now())
