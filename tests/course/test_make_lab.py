"""`make lab` serves JupyterLab on the course with nbgrader's extensions working."""

import json
import os
import signal
import subprocess
import time
import urllib.request

import pytest
from paths import REPO
from port_helpers import free_port, wait_for_port

pytestmark = pytest.mark.slow
TOKEN = "kinesis-lab-test-token"


def get(url):
    request = urllib.request.Request(url, headers={"Authorization": f"token {TOKEN}"})
    with urllib.request.urlopen(request, timeout=120) as response:  # formgrader starts slowly
        return response.status, response.read().decode()


@pytest.fixture(scope="module")
def jupyter():
    port = free_port()
    env = {**os.environ, "JUPYTER_TOKEN": TOKEN, "BROWSER": "true"}
    process = subprocess.Popen(
        ["make", "--no-print-directory", "lab", f"LAB_PORT={port}", "LAB_ARGS=--no-browser"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        wait_for_port(port, process, timeout=120)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                get(f"{base}/api/status")
                break
            except OSError:
                time.sleep(0.5)
        yield base
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)


def test_lab_serves_the_course_notebooks(jupyter):
    status, body = get(f"{jupyter}/api/contents/notebooks")
    names = [item["name"] for item in json.loads(body)["content"]]
    assert status == 200
    assert "00_orientation.ipynb" in names and "01_core_data_model.ipynb" in names


def test_lab_page_loads(jupyter):
    status, body = get(f"{jupyter}/lab")
    assert status == 200 and "JupyterLab" in body


def test_nbgrader_lab_extension_is_installed_and_enabled(jupyter):
    _, body = get(f"{jupyter}/lab/api/extensions")
    extensions = {e["name"]: e for e in json.loads(body)}
    for name in ("jupyter-nbgrader", "jupyter-widgets-jupyterlab-manager"):
        assert extensions[name]["installed"] and extensions[name]["enabled"], name
        assert extensions[name]["status"] == "ok", name


def test_formgrader_runs_on_the_course_in_quizzes(jupyter):
    status, body = get(f"{jupyter}/formgrader")
    assert status == 200 and "nbgrader" in body.lower()
    _, assignments = get(f"{jupyter}/formgrader/api/assignments")
    assert isinstance(json.loads(assignments), list)


def test_lab_fetches_no_news_and_checks_no_updates(jupyter):
    """Nothing leaves the machine: JupyterLab's news feed and update check are off."""
    _, news = get(f"{jupyter}/lab/api/news")
    assert json.loads(news)["news"] == []
    _, update = get(f"{jupyter}/lab/api/update")
    assert json.loads(update)["notification"] is None


def test_make_lab_command_turns_off_news_and_update_checks():
    dry_run = subprocess.run(
        ["make", "-n", "--no-print-directory", "lab"], cwd=REPO, capture_output=True, text=True
    )
    assert "--LabApp.news_url=None" in dry_run.stdout
    assert "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate" in dry_run.stdout
