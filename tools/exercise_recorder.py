"""Kernel side of ``tools/run_exercises.py``: which AWS operations a learner's cell really calls.

The runner loads this file into the lesson's kernel (it is never imported by a lesson) and
registers :func:`_before_call` on botocore's ``before-call`` event of every client of the lab
session — the clients that exist, and, through the session's event emitter, those created
later (``lab.client("iam")``). While an exercise cell runs, each call is recorded with the
operation's name (``kinesis.create_stream``) and whether it came **from the cell itself**: the
innermost frame outside botocore and boto3 belongs to the code of the cell being run, not to a
course helper or to a function defined in another cell.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import boto3
import botocore
from botocore import xform_name

HANDLER_ID = "kinesis-lab-exercise-recorder"
_LIBRARIES = tuple(str(Path(module.__file__).resolve().parent) for module in (botocore, boto3))
_CELL_DIR = os.path.join(tempfile.gettempdir(), f"ipykernel_{os.getpid()}")

_active: str | None = None
_calls: list[tuple[str, bool]] = []


def _is_cell(filename: str) -> bool:
    """Code compiled from a notebook cell (ipykernel's cell files, or IPython's own names)."""
    return filename.startswith("<ipython-input") or os.path.dirname(filename) == _CELL_DIR


def _is_library(filename: str) -> bool:
    return filename == __file__ or (
        not filename.startswith("<") and str(Path(filename).resolve()).startswith(_LIBRARIES)
    )


def _before_call(model, **_kwargs) -> None:
    if _active is None:
        return
    operation = f"{model.service_model.service_name}.{xform_name(model.name)}"
    innermost = None
    cell_files = []
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if innermost is None and not _is_library(filename):
            innermost = filename
        if _is_cell(filename):
            cell_files.append(filename)
        frame = frame.f_back
    # The outermost cell frame is the top level of the cell being run.
    direct = bool(cell_files) and innermost == cell_files[-1]
    _calls.append((operation, direct))


def _emitters() -> list:
    from kinesis_lab.account.session import current_lab

    lab = current_lab()
    found = []
    if lab is not None:
        found += [client.meta.events for client in lab.clients.values()]
        if lab._boto_session is not None:
            found.append(lab._boto_session.events)  # clients created from now on
    if boto3.DEFAULT_SESSION is not None:
        found.append(boto3.DEFAULT_SESSION.events)
    return found


def start(exercise: str) -> None:
    """Record the calls of the next cell, for ``exercise``."""
    global _active
    for events in _emitters():
        events.register("before-call", _before_call, unique_id=HANDLER_ID)
    _calls.clear()
    _active = exercise


def stop() -> dict:
    """Stop recording; what the cell called, directly and through other code."""
    global _active
    exercise, _active = _active, None
    direct = sorted({operation for operation, is_direct in _calls if is_direct})
    indirect = sorted({operation for operation, is_direct in _calls if not is_direct})
    return {"exercise": exercise, "direct": direct, "indirect": indirect}
