"""The grading sandbox really isolates a submission (bubblewrap, no network, read-only system)."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import paths
import pytest
from ci_skip_rule import needs_grading_sandbox

from kinesis_grader.sandbox import SandboxPolicy, prepare_folder, sandbox_command, self_test

REPO = str(paths.REPO)

needs_sandbox = needs_grading_sandbox


@needs_sandbox
def test_self_test_reports_isolation():
    report = self_test()
    assert report.isolated, report.problems
    assert report.observed["uid"] == SandboxPolicy().uid
    assert report.observed["network"].startswith("blocked")


@needs_sandbox
def test_jailed_code_sees_only_its_folder_and_the_toolkit(tmp_path):
    work, run = tmp_path / "work", tmp_path / "run"
    prepare_folder(work)
    prepare_folder(run)
    probe = (
        "import os, json;"
        f"print(json.dumps({{'repo': sorted(os.listdir({REPO!r})),"
        "'quizzes': os.path.exists(" + repr(os.path.join(REPO, "quizzes")) + "),"
        "'home': os.path.exists('/root/.bashrc'), 'cwd': os.getcwd()}))"
    )
    result = subprocess.run(
        sandbox_command([sys.executable, "-c", probe], work, run),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen["repo"] == [".venv", "labs"]
    assert not seen["quizzes"] and not seen["home"]
    assert seen["cwd"] == str(work)


@needs_sandbox
def test_process_limit_stops_a_fork_flood(tmp_path):
    work, run = tmp_path / "work", tmp_path / "run"
    prepare_folder(work)
    prepare_folder(run)
    code = (
        "import os, sys\nn = 0\ntry:\n    for i in range(200):\n        if os.fork() == 0:\n"
        "            import time; time.sleep(3); os._exit(0)\n        n += 1\n"
        "except OSError:\n    pass\nprint(n)"
    )
    result = subprocess.run(
        sandbox_command([sys.executable, "-c", code], work, run, SandboxPolicy(max_processes=16)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert int(result.stdout.strip()) < 16


def test_command_drops_privileges_and_network():
    command = sandbox_command(["python"], Path("/tmp/w"), Path("/tmp/r"))
    assert "--unshare-net" in command and "--clearenv" in command
    assert "--die-with-parent" in command
    assert any(part.startswith("--reuid=") for part in command)
    assert command[0] == "prlimit" and "--" in command


def test_only_the_lab_transition_setting_crosses_into_the_jail(monkeypatch):
    """The suite's short lab transitions reach the jailed kernel; nothing else does."""
    monkeypatch.setenv("KINESIS_LAB_TRANSITION_SECONDS", "0.3")
    monkeypatch.setenv("KINESIS_GRADER_PROBE_SECRET", "leaked")
    command = sandbox_command(["python"], Path("/tmp/w"), Path("/tmp/r"))
    settings = {
        command[i + 1]: command[i + 2] for i, part in enumerate(command) if part == "--setenv"
    }
    assert settings["KINESIS_LAB_TRANSITION_SECONDS"] == "0.3"
    assert "KINESIS_GRADER_PROBE_SECRET" not in settings
