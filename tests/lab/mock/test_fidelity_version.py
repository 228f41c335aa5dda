"""install() refuses an unsupported moto loudly; install/uninstall are exact and idempotent."""

from __future__ import annotations

import moto
import pytest
from moto.kinesis.models import KinesisBackend, Shard, Stream
from moto.kinesis.responses import KinesisResponse

from kinesis_lab.mock import fidelity

PATCHED_CLASSES = (Shard, Stream, KinesisBackend, KinesisResponse)


@pytest.fixture
def stock_moto():
    """Start and end the test with the fixes uninstalled, restoring any previous install."""
    was_installed = fidelity.is_installed()
    fidelity.uninstall()
    yield
    fidelity.uninstall()
    if was_installed:
        fidelity.install()


def class_members():
    return {cls: dict(cls.__dict__) for cls in PATCHED_CLASSES}


def test_supported_version_is_the_pinned_one():
    assert fidelity.SUPPORTED_MOTO_VERSION == "5.2.5"


def test_other_moto_version_fails_loudly(stock_moto, monkeypatch):
    monkeypatch.setattr(moto, "__version__", "5.3.0")

    with pytest.raises(fidelity.FidelityVersionError) as error:
        fidelity.install()

    message = str(error.value)
    assert "5.3.0" in message
    assert "5.2.5" in message
    assert "internals" in message
    assert "pip install moto==5.2.5" in message
    assert not fidelity.is_installed()


def test_install_changes_moto_and_uninstall_restores_it_exactly(stock_moto):
    before = class_members()

    fidelity.install()
    patched = class_members()
    fidelity.uninstall()
    after = class_members()

    assert patched != before
    assert patched[Shard]["put_record"] is not before[Shard]["put_record"]
    for cls in PATCHED_CLASSES:
        assert after[cls].keys() == before[cls].keys()
        for name, member in before[cls].items():
            assert after[cls][name] is member, f"{cls.__name__}.{name} not restored"


def test_install_is_idempotent(stock_moto):
    before = class_members()

    fidelity.install()
    once = class_members()
    fidelity.install()
    twice = class_members()
    fidelity.uninstall()

    assert once == twice
    assert class_members() == before


def test_is_installed_follows_install_and_uninstall(stock_moto):
    assert not fidelity.is_installed()
    fidelity.install()
    assert fidelity.is_installed()
    fidelity.uninstall()
    assert not fidelity.is_installed()
    fidelity.uninstall()  # a second uninstall is harmless
    assert not fidelity.is_installed()
