"""tools/install_environment.sh: `make test` compiles the environment to bytecode once, `make lab`
does not (see the script's header for why); every environment leaves out
tools/install_excludes.txt. The installers are stand-ins that record how they were called, so
this runs in milliseconds and installs nothing — except the last tests, which look at the
environment the suite runs in (made by the same script)."""

from __future__ import annotations

import importlib.util
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib
from dependency_closure import closure
from paths import INSTALL_EXCLUDES as EXCLUDES
from paths import REPO, excluded_packages

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
    uv, _uninstall, compile_toolkit = install(venv, log, KINESIS_COMPILE_BYTECODE="1")
    assert uv.startswith("uv pip install") and "--compile-bytecode" in uv.split()
    assert compile_toolkit.split() == ["python", "-m", "compileall", "-q", "-j", "0", "labs"]


def test_uv_leaves_out_the_excluded_packages(fake_venv):
    venv, log = fake_venv
    uv, uninstall = install(venv, log)
    words = uv.split()
    assert words[words.index("--excludes") + 1] == str(EXCLUDES)
    # and takes them out of an environment made before they were excluded
    assert uninstall.split()[:3] == ["uv", "pip", "uninstall"]
    assert uninstall.split()[-2:] == ["-r", str(EXCLUDES)]
    assert excluded_packages() == ["rfc3987-syntax"]


def test_the_pip_fallback_takes_the_excluded_packages_out_again(fake_venv):
    venv, log = fake_venv
    pip, uninstall = install(venv, log, KINESIS_LAB_INSTALLER="pip")
    assert pip.startswith("python -m pip install")
    assert uninstall.split() == ["python", "-m", "pip", "uninstall", "--quiet", "--yes", "-r"] + [
        str(EXCLUDES)
    ]


def test_the_hub_environment_leaves_out_the_same_packages():
    script = (REPO / "tools" / "hub" / "install_course_env.sh").read_text()
    assert 'excludes="$repo/tools/install_excludes.txt"' in script
    assert '--excludes "$excludes"' in script and 'uninstall --quiet --yes -r "$excludes"' in script


def test_the_suites_environment_has_no_excluded_package_and_still_validates_notebooks():
    """Made by install_environment.sh (make test): the exclusion took effect, and what the
    course validates with jsonschema (nbformat's notebook schema) still validates."""
    for package in excluded_packages():
        assert importlib.util.find_spec(package.replace("-", "_")) is None, package
    checked = subprocess.run(
        [
            sys.executable,
            "-c",
            "import nbformat, sys\n"
            "nbformat.validate(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('1')]))\n"
            "bad = nbformat.v4.new_notebook(); bad['cells'] = [{'cell_type': 'nope'}]\n"
            "try:\n    nbformat.validate(bad)\nexcept nbformat.ValidationError:\n    sys.exit(0)\n"
            "sys.exit('an invalid notebook validated')",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert checked.returncode == 0, checked.stderr


def test_the_learners_environment_is_left_to_python(fake_venv):
    venv, log = fake_venv
    uv, _uninstall = install(venv, log)
    assert uv.startswith("uv pip install") and "--compile-bytecode" not in uv.split()


def test_the_pip_fallback_follows_the_same_rule(fake_venv):
    venv, log = fake_venv
    pip, _uninstall, compile_toolkit = install(
        venv, log, KINESIS_LAB_INSTALLER="pip", KINESIS_COMPILE_BYTECODE="1"
    )
    assert pip.startswith("python -m pip install") and "--no-compile" not in pip.split()
    assert "compileall" in compile_toolkit
    log.unlink()
    pip, _uninstall = install(venv, log, KINESIS_LAB_INSTALLER="pip")
    assert "--no-compile" in pip.split()


def test_make_test_asks_for_bytecode_and_make_lab_does_not():
    makefile = (REPO / "Makefile").read_text()
    test_rule = re.search(r"^\$\(STAMP\):.*\n\t(.*)", makefile, re.MULTILINE).group(1)
    lab_rule = re.search(r"^\$\(LAB_STAMP\):.*\n\t(.*)", makefile, re.MULTILINE).group(1)
    assert "KINESIS_COMPILE_BYTECODE=1" in test_rule and "course,site,dev" in test_rule
    assert "KINESIS_COMPILE_BYTECODE" not in lab_rule


def test_make_test_lets_the_suite_write_bytecode_for_its_own_modules():
    """Under PYTHONDONTWRITEBYTECODE=1 (CI images) each of the four workers compiled and
    assert-rewrote every test and tools/ module again: about 4 s of CPU each."""
    makefile = (REPO / "Makefile").read_text()
    unit_rule = re.search(r"^unit:.*\n\t(.*)", makefile, re.MULTILINE).group(1)
    assert unit_rule.startswith("PYTHONDONTWRITEBYTECODE= ") and "-m pytest" in unit_rule


# What moto's `server` extra would add that no lesson, lab or endpoint uses (pyproject.toml).
SERVER_EXTRA_ONLY = ("cfn-lint", "sympy", "networkx", "mpmath", "graphql-core", "docker")


def test_the_environments_take_from_motos_server_extra_only_what_the_endpoint_runs():
    """Declared: moto with its `s3` extra, Flask and Flask-CORS; walked through the installed
    metadata, every environment's requirements (make lab's, make test's, the hub's) bring
    neither cfn-lint with sympy and networkx nor the other services' libraries. (That the
    endpoint, S3 Select and every lesson work without them, the rest of the suite shows: it runs
    in an environment installed from these lines.)"""
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = project["dependencies"]
    assert "moto[s3]==5.2.5" in declared
    everything = closure(
        declared + [r for extra in project["optional-dependencies"].values() for r in extra]
    )
    assert {"moto", "flask", "flask-cors", "py-partiql-parser"} <= everything
    assert not everything & set(SERVER_EXTRA_ONLY), sorted(everything & set(SERVER_EXTRA_ONLY))
