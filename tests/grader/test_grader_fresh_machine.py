"""`make grade` on a machine without bubblewrap: it says exactly what to run, and nothing false."""

from __future__ import annotations

import re

import pytest
from paths import REPO
from quizzes_helpers import copy_course

import kinesis_grader.sandbox as sandbox
from kinesis_grader.sandbox import SandboxUnavailable
from kinesis_grader.trusted import grade_batch


def test_the_refusal_names_what_is_missing_and_what_to_run(tmp_path, monkeypatch):
    real_which = sandbox.shutil.which
    monkeypatch.setattr(
        sandbox.shutil, "which", lambda tool: None if tool == "bwrap" else real_which(tool)
    )
    course = copy_course(tmp_path)
    with pytest.raises(SandboxUnavailable) as refused:
        grade_batch(course, "q01_core_capacity", [], say=lambda _: None)
    message = str(refused.value)
    assert "missing: bwrap" in message
    assert "make grade" in message and "tools/ensure_system_packages.sh grading" in message
    assert "apt-get install bubblewrap" in message
    assert "make test" not in message  # it once claimed `make test` had installed it


def test_make_grade_installs_the_grading_packages_first():
    makefile = (REPO / "Makefile").read_text()
    assert re.search(r"^grade:.*\bgrading-packages\b", makefile, re.MULTILINE)
    assert re.search(
        r"^grading-packages:\n\t@bash tools/ensure_system_packages.sh grading$",
        makefile,
        re.MULTILINE,
    )
    script = (REPO / "tools" / "ensure_system_packages.sh").read_text()
    grading = script[script.index("grading)") : script.index(";;")]
    assert "bubblewrap" in grading and "util-linux" in grading
    instructors = (REPO / "INSTRUCTORS.md").read_text()
    assert "`make grade` installs the packages itself" in instructors


def test_the_install_script_is_idempotent_and_refuses_unknown_groups():
    import subprocess

    script = str(REPO / "tools" / "ensure_system_packages.sh")
    unknown = subprocess.run(["bash", script, "nonsense"], capture_output=True, text=True)
    assert unknown.returncode == 2 and "unknown group 'nonsense'" in unknown.stderr
    # `make test` ran it before this suite: everything is there, so it installs nothing.
    again = subprocess.run(["bash", script], capture_output=True, text=True, timeout=60)
    assert again.returncode == 0 and again.stdout == "" and again.stderr == ""
