"""Every lesson and every quiz runs unchanged against `make endpoint` (issue 13 item 3).

Why: a learner may point the whole course at a local endpoint (``KINESIS_LAB_TARGET=local``),
and the stronger grading design needs the account in its own process. Here each notebook's
kernel gets only that environment variable (and the endpoint's URL) — no cell is edited — and
must run top to bottom with no error output: the lessons blank (their exercises' checks are
proven in-process by tests/test_exercises.py; only the target differs), the quizzes as their
source notebooks with solutions, so every test cell's ``expect`` holds against the endpoint.
The endpoint is the real `kinesis-lab endpoint` in a subprocess, one per worker (module
fixture), wiped and put back on real time between notebooks. Lambda's pollers, the Firehose
buffers, limits and metrics then run in the endpoint; SDK retries and waiters move its clock.
"""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request

import nbformat
import pytest
from paths import REPO
from port_helpers import running_endpoint

sys.path.insert(0, str(REPO / "tools"))
import execute_lessons  # noqa: E402  (tools/ is not a package)

# The CLI appendix is left out: its commands and reads go to an endpoint of its own on every
# run (start_cli_endpoint), in-process or not; tests/course/test_cli_lab.py runs it so.
LESSONS = sorted(p for p in (REPO / "notebooks").glob("*.ipynb") if p.stem != "appendix_cli")
QUIZ_SOURCES = sorted((REPO / "quizzes" / "source").glob("*/*.ipynb"))
NOTEBOOKS = LESSONS + QUIZ_SOURCES
GROUPS = 3  # shares of the notebooks, each against its own endpoint, spread over the workers


def _runs():
    """Each notebook once, in GROUPS alternating xdist groups, so the workers share them."""
    for index, path in enumerate(NOTEBOOKS):
        name = path.stem if path in LESSONS else f"quiz-{path.stem}"
        group = pytest.mark.xdist_group(f"local-target-{index % GROUPS}")
        yield pytest.param(path, id=name, marks=group)


# The kernels these tests start are forked from the worker's zygote (tests/conftest.py).
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("kernel_zygote")]


@pytest.fixture(scope="module")
def local_endpoint(tmp_path_factory):
    """`kinesis-lab endpoint` on a free port, one per worker; its log in a file."""
    with running_endpoint(tmp_path_factory.mktemp("endpoint") / "endpoint.log") as running:
        yield running["url"]


def _post(url: str, body: bytes = b"{}") -> None:
    request = urllib.request.Request(url, data=body, method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()


@pytest.mark.parametrize("path", list(_runs()))
def test_notebook_runs_unchanged_against_the_local_endpoint(
    path, local_endpoint, monkeypatch, tmp_path
):
    _post(local_endpoint + "/moto-api/reset")  # a fresh account for every notebook
    _post(local_endpoint + "/_kinesis_lab/clock/real")
    monkeypatch.setenv("KINESIS_LAB_TARGET", "local")
    monkeypatch.setenv("KINESIS_LAB_ENDPOINT_URL", local_endpoint)
    notebook = nbformat.read(path, as_version=4)
    folder = path.parent if path in LESSONS else tmp_path  # a quiz writes nothing in source/
    with execute_lessons.lesson_client(notebook, folder) as client:
        client.execute()  # the kernel inherits the two variables above
    assert execute_lessons.problems_in(notebook) == []
    said = "\n".join(
        output.get("text", "")
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if output.get("output_type") == "stream"
    )
    assert f"local endpoint {local_endpoint}" in said, "the notebook did not use the endpoint"
