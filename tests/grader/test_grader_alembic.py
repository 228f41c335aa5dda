"""kinesis_grader.alembic_head: a new gradebook is stamped with nbgrader's own schema head,
found in-process instead of by nbgrader's `alembic heads` subprocess."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import nbgrader.api
import pytest

from kinesis_grader import alembic_head


def test_the_head_is_what_the_alembic_command_prints():
    env_bin = str(Path(sys.executable).parent)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PATH", env_bin, prepend=":")
        patch.setattr(nbgrader.api, "get_alembic_version", nbgrader.api.get_alembic_version)
        from_command = nbgrader.api.get_alembic_version()  # nbgrader's own: `alembic heads`
    assert alembic_head.alembic_head() == from_command
    assert len(from_command) == 12 and int(from_command, 16) >= 0


def test_a_new_gradebook_is_stamped_without_a_subprocess(tmp_path, monkeypatch):
    def no_subprocess(*args, **kwargs):
        raise AssertionError(f"a subprocess was started: {args}")

    monkeypatch.setattr(nbgrader.api, "get_alembic_version", nbgrader.api.get_alembic_version)
    monkeypatch.setattr(subprocess, "check_output", no_subprocess)
    monkeypatch.setattr(nbgrader.api.sp, "check_output", no_subprocess)
    alembic_head.install()
    db = tmp_path / "gradebook.db"
    with nbgrader.api.Gradebook(f"sqlite:///{db}", "kinesis-course"):
        pass
    with sqlite3.connect(db) as connection:
        (stamp,) = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    assert stamp == alembic_head.alembic_head()
