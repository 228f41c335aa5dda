"""KPU arithmetic for Amazon Managed Service for Apache Flink (lesson M10), from fact F55.

Why: exam questions give a Parallelism and a ParallelismPerKPU and ask what the application
gets and what is billed. The rules are few but easy to get wrong — KPUs round *up*, and every
application is billed one more KPU for orchestration — so the lesson's calculator and its
"Your turn" check use these functions. Prices are not modelled (they vary by Region).
"""

from __future__ import annotations

import math
from typing import NamedTuple

from ..core.facts import (  # F55
    KPU_HEAP_MEMORY_GB,
    KPU_MEMORY_GB,
    KPU_STORAGE_GB,
    KPU_VCPUS,
    KPUS_PER_APPLICATION_DEFAULT_LIMIT,
    ORCHESTRATION_KPUS,
    PARALLELISM_MAX,
    PARALLELISM_PER_KPU_MAX,
)


def _whole(name: str, value: int, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name} is a whole number from {low} to {high} (F55), not {value!r}")
    return value


def kpus_for(parallelism: int, parallelism_per_kpu: int) -> int:
    """KPUs the application runs on: Parallelism / ParallelismPerKPU, rounded up (F55)."""
    _whole("Parallelism", parallelism, 1, PARALLELISM_MAX)
    _whole("ParallelismPerKPU", parallelism_per_kpu, 1, PARALLELISM_PER_KPU_MAX)
    return math.ceil(parallelism / parallelism_per_kpu)


def billed_kpus(parallelism: int, parallelism_per_kpu: int) -> int:
    """KPUs billed per hour: the application's KPUs plus one for orchestration (F55)."""
    return kpus_for(parallelism, parallelism_per_kpu) + ORCHESTRATION_KPUS


def max_parallelism(kpus: int, parallelism_per_kpu: int) -> int:
    """How many parallel tasks ``kpus`` KPUs can run at ``parallelism_per_kpu`` each."""
    _whole("ParallelismPerKPU", parallelism_per_kpu, 1, PARALLELISM_PER_KPU_MAX)
    if isinstance(kpus, bool) or not isinstance(kpus, int) or kpus < 1:
        raise ValueError(f"a KPU count is a whole number of at least 1, not {kpus!r}")
    return kpus * parallelism_per_kpu


class FlinkSizing(NamedTuple):
    """What one Parallelism / ParallelismPerKPU setting gives and costs (in KPUs)."""

    parallelism: int
    parallelism_per_kpu: int
    kpus: int  # the application's KPUs
    billed_kpus: int  # kpus + the orchestration KPU
    vcpus: int
    memory_gb: int
    heap_memory_gb: int
    storage_gb: int
    within_default_limit: bool  # kpus <= the default 64-KPU quota

    def describe(self) -> str:
        limit = "within" if self.within_default_limit else "ABOVE (ask for a quota increase first)"
        return (
            f"Parallelism {self.parallelism} at {self.parallelism_per_kpu} per KPU → "
            f"{self.kpus} KPU(s): {self.vcpus} vCPU, {self.memory_gb} GB memory "
            f"({self.heap_memory_gb} GB heap), {self.storage_gb} GB storage; billed "
            f"{self.billed_kpus} KPU(s) per hour incl. {ORCHESTRATION_KPUS} for orchestration; "
            f"{limit} the default {KPUS_PER_APPLICATION_DEFAULT_LIMIT}-KPU limit (F55)"
        )


def size_application(parallelism: int, parallelism_per_kpu: int) -> FlinkSizing:
    """Everything F55 lets you work out from one ParallelismConfiguration."""
    kpus = kpus_for(parallelism, parallelism_per_kpu)
    return FlinkSizing(
        parallelism=parallelism,
        parallelism_per_kpu=parallelism_per_kpu,
        kpus=kpus,
        billed_kpus=kpus + ORCHESTRATION_KPUS,
        vcpus=kpus * KPU_VCPUS,
        memory_gb=kpus * KPU_MEMORY_GB,
        heap_memory_gb=kpus * KPU_HEAP_MEMORY_GB,
        storage_gb=kpus * KPU_STORAGE_GB,
        within_default_limit=kpus <= KPUS_PER_APPLICATION_DEFAULT_LIMIT,
    )
