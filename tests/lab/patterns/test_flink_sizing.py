"""KPU arithmetic follows F55: round up, add the orchestration KPU, respect the limits."""

from __future__ import annotations

import pytest

from kinesis_lab.patterns.flink_sizing import (
    KPU_MEMORY_GB,
    KPU_STORAGE_GB,
    KPU_VCPUS,
    KPUS_PER_APPLICATION_DEFAULT_LIMIT,
    billed_kpus,
    kpus_for,
    max_parallelism,
    size_application,
)


def test_one_kpu_is_1_vcpu_4_gb_50_gb():
    assert (KPU_VCPUS, KPU_MEMORY_GB, KPU_STORAGE_GB) == (1, 4, 50)


@pytest.mark.parametrize(
    ("parallelism", "per_kpu", "kpus"),
    [(1, 1, 1), (4, 1, 4), (8, 8, 1), (9, 8, 2), (10, 4, 3), (12, 4, 3), (64, 2, 32), (256, 8, 32)],
)
def test_kpus_are_parallelism_over_parallelism_per_kpu_rounded_up(parallelism, per_kpu, kpus):
    assert kpus_for(parallelism, per_kpu) == kpus


@pytest.mark.parametrize(("parallelism", "per_kpu", "billed"), [(1, 1, 2), (10, 4, 4), (64, 2, 33)])
def test_billing_adds_one_orchestration_kpu(parallelism, per_kpu, billed):
    assert billed_kpus(parallelism, per_kpu) == billed


@pytest.mark.parametrize(
    ("parallelism", "per_kpu"), [(0, 1), (257, 1), (4, 0), (4, 9), (2.5, 1), (True, 1), (4, "2")]
)
def test_out_of_range_settings_are_refused(parallelism, per_kpu):
    with pytest.raises(ValueError):
        kpus_for(parallelism, per_kpu)


def test_size_application_totals_and_default_limit():
    sizing = size_application(10, 4)
    assert sizing.kpus == 3 and sizing.billed_kpus == 4
    assert (sizing.vcpus, sizing.memory_gb, sizing.heap_memory_gb, sizing.storage_gb) == (
        3,
        12,
        9,
        150,
    )
    assert sizing.within_default_limit
    assert "billed 4 KPU(s)" in sizing.describe()

    at_limit = size_application(KPUS_PER_APPLICATION_DEFAULT_LIMIT, 1)
    assert at_limit.within_default_limit
    above = size_application(KPUS_PER_APPLICATION_DEFAULT_LIMIT + 1, 1)
    assert not above.within_default_limit
    assert "ABOVE" in above.describe()


def test_max_parallelism_of_a_kpu_budget():
    assert max_parallelism(3, 4) == 12
    with pytest.raises(ValueError):
        max_parallelism(0, 4)
