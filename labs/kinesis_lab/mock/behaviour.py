"""Which behaviour the mocked account has: stock moto, the fixes, and the simulations.

Why one function: the notebook session and the local endpoint must give learners the same
AWS-like behaviour, so both switch it on here and nowhere else.
"""

from __future__ import annotations

from ..account import retrysleep
from . import fidelity, lambda_fidelity, serializer_cache


def apply_mock_behaviour(fidelity_fixes: bool, limits: bool) -> None:
    """Install (or remove) the fixes and simulations on moto, in this process."""
    from ..simulation import firehose as firehose_simulation
    from ..simulation import lifecycle as lifecycle_simulation
    from ..simulation import limits as limits_simulation

    retrysleep.install()
    serializer_cache.install()  # same responses, less CPU: with the fixes or without
    if not fidelity_fixes:
        limits_simulation.uninstall()
        firehose_simulation.uninstall()
        fidelity.uninstall()  # stock moto, e.g. to show a learner what it gets wrong
        return
    fidelity.install()
    lambda_fidelity.install()  # Lambda refuses mapping settings AWS refuses (F34-F40)
    firehose_simulation.install()
    lifecycle_simulation.install()  # CREATING/UPDATING/DELETING (F120-F122)
    if limits:
        limits_simulation.install()
    else:
        limits_simulation.uninstall()


def remove_simulations() -> None:
    """Take the simulations off moto (the fixes stay: they only make it more like AWS)."""
    from ..simulation import firehose as firehose_simulation
    from ..simulation import lifecycle as lifecycle_simulation
    from ..simulation import limits as limits_simulation

    limits_simulation.uninstall()
    lifecycle_simulation.uninstall()
    firehose_simulation.uninstall()
    retrysleep.uninstall()
