"""tools/install_environment.sh: `make test` compiles the environment to bytecode once, `make lab`
does not (see the script's header for why). The installers are stand-ins that record how they
were called, so this runs in milliseconds and installs nothing."""

from __future__ import annotations

import os
import re
import stat
import subprocess
from pathlib import Path

import pytest
from paths import REPO

SCRIPT = REPO / "tools" / "install_environment.sh"
RECORDER = '#!/bin/sh\necho "$(basename "$0") $*" >> "{log}"\n'


@pytest.fixture
def fake_venv(tmp_path):
    """A venv folder whose python and uv only write their arguments to calls.log."""
    bin_dir = tmp_path / "venv" / "bin"
    bin_dir.mkdir(parents=True)
    log = tmp_path / "calls.log"
    for name in ("python", "uv"):
        tool = bin_dir / name
        tool.write_text(RECORDER.format(log=log))
        tool.chmod(tool.stat().st_mode | stat.S_IXUSR)
    return tmp_path / "venv", log


def install(venv: Path, log: Path, **env: str) -> list[str]:
    environment = {k: v for k, v in os.environ.items() if k != "KINESIS_COMPILE_BYTECODE"}
    subprocess.run(
        ["bash", str(SCRIPT), str(venv), "course"],
        cwd=REPO,
        env={**environment, **env},
        check=True,
        timeout=60,
    )
    return log.read_text().splitlines()


def test_the_test_environment_is_compiled_to_bytecode_once(fake_venv):
    venv, log = fake_venv
    uv, compile_toolkit = install(venv, log, KINESIS_COMPILE_BYTECODE="1")
    assert uv.startswith("uv pip install") and "--compile-bytecode" in uv.split()
    assert compile_toolkit.split() == ["python", "-m", "compileall", "-q", "-j", "0", "labs"]


def test_the_learners_environment_is_left_to_python(fake_venv):
    venv, log = fake_venv
    (uv,) = install(venv, log)
    assert uv.startswith("uv pip install") and "--compile-bytecode" not in uv.split()


def test_the_pip_fallback_follows_the_same_rule(fake_venv):
    venv, log = fake_venv
    pip, compile_toolkit = install(
        venv, log, KINESIS_LAB_INSTALLER="pip", KINESIS_COMPILE_BYTECODE="1"
    )
    assert pip.startswith("python -m pip install") and "--no-compile" not in pip.split()
    assert "compileall" in compile_toolkit
    log.unlink()
    (pip,) = install(venv, log, KINESIS_LAB_INSTALLER="pip")
    assert "--no-compile" in pip.split()


def test_make_test_asks_for_bytecode_and_make_lab_does_not():
    makefile = (REPO / "Makefile").read_text()
    test_rule = re.search(r"^\$\(STAMP\):.*\n\t(.*)", makefile, re.MULTILINE).group(1)
    lab_rule = re.search(r"^\$\(LAB_STAMP\):.*\n\t(.*)", makefile, re.MULTILINE).group(1)
    assert "KINESIS_COMPILE_BYTECODE=1" in test_rule and "course,site,dev" in test_rule
    assert "KINESIS_COMPILE_BYTECODE" not in lab_rule
