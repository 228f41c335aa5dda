"""A lab started once per test module and wiped before each test (lessons M4 and M6's helpers).

Starting a lab takes most of a second; the helpers' tests need a clean account, not a new
process-wide session. Tests use ``wiped_lab`` (real clock) or ``sim_lab`` (simulated clock).
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def module_lab():
    from kinesis_lab import start_lab

    session = start_lab(quiet=True)
    yield session
    session.stop()


@pytest.fixture
def wiped_lab(module_lab):
    """The module's lab, wiped, on the real clock."""
    module_lab.reset()
    module_lab.use_real_clock()
    yield module_lab
    module_lab.use_real_clock()


@pytest.fixture
def sim_lab(wiped_lab):
    """The module's lab, wiped, on a simulated clock."""
    wiped_lab.use_simulated_clock()
    return wiped_lab
