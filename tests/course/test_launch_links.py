"""The lessons' Colab and Binder buttons: only for a real repository, never a placeholder.

The repository comes from mkdocs.yml's extra.course.repository or the GitHub ``origin`` remote
(tools/course_repository.py); with neither, a lesson page has no Colab or Binder button. Colab
also needs the lesson's setup cell to install the toolkit from that repository
(tools/colab_setup.py). The built site's own check is in tests/course/test_site_links.py.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest
from paths import REPO

sys.path.insert(0, str(REPO / "tools"))
import colab_setup  # noqa: E402  (tools/ is not a package)
import course_repository  # noqa: E402
import lesson_pages  # noqa: E402
import site_hooks  # noqa: E402

REPOSITORY = "octo-org/kinesis-course"
LESSON = "01_core_data_model.ipynb"


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/octo-org/kinesis-course.git",
        "https://github.com/octo-org/kinesis-course",
        "https://token@github.com/octo-org/kinesis-course.git",
        "git@github.com:octo-org/kinesis-course.git",
        "ssh://git@github.com/octo-org/kinesis-course.git",
    ],
)
def test_a_github_remote_names_the_repository(url):
    assert course_repository.from_remote(url) == REPOSITORY


@pytest.mark.parametrize(
    "url",
    ["", "/srv/git/kinesis-course", "../main", "https://gitlab.com/octo-org/kinesis-course.git"],
)
def test_any_other_remote_names_none(url):
    assert course_repository.from_remote(url) == ""


@pytest.mark.parametrize("value", ["your-org/kinesis-course", "octo-org/repo", "OWNER/name"])
def test_a_placeholder_in_mkdocs_yml_is_refused_with_a_clear_error(value):
    with pytest.raises(course_repository.RepositoryError, match="placeholder"):
        course_repository.checked(value)


@pytest.mark.parametrize("value", ["kinesis-course", "https://github.com/a/b", "a/b/c", "a b/c"])
def test_a_malformed_repository_is_refused_with_a_clear_error(value):
    with pytest.raises(course_repository.RepositoryError, match="owner/name"):
        course_repository.checked(value)


def git_checkout(path: Path, origin: str | None) -> Path:
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    if origin:
        subprocess.run(["git", "-C", str(path), "remote", "add", "origin", origin], check=True)
    return path


def test_the_configured_repository_wins_over_the_remote(tmp_path):
    checkout = git_checkout(tmp_path, "https://github.com/someone/fork.git")
    assert course_repository.resolve(REPOSITORY, checkout) == REPOSITORY
    assert course_repository.resolve("", checkout) == "someone/fork"


def test_no_configuration_and_no_github_remote_mean_no_repository(tmp_path):
    assert course_repository.resolve("", git_checkout(tmp_path / "a", None)) == ""
    assert course_repository.resolve(None, git_checkout(tmp_path / "b", "/srv/git/course")) == ""


# --- the lesson page's buttons (tools/site_hooks.py) ---------------------------------------


def lesson_page_links(configured: str, monkeypatch, tmp_path: Path, guard: str | None) -> str:
    """The buttons the hook adds to lesson 01 when mkdocs.yml says ``configured`` and there is
    no git remote; the lesson's setup cell guarded for ``guard`` (None: as committed)."""
    monkeypatch.setattr(course_repository, "origin_url", lambda checkout=REPO: "")
    if guard is not None:
        notebook = nbformat.read(REPO / "notebooks" / LESSON, as_version=4)
        cell = colab_setup.setup_cell(notebook)
        cell.source = colab_setup.with_guard(cell.source, guard)
        nbformat.write(notebook, tmp_path / LESSON)
        monkeypatch.setattr(lesson_pages, "NOTEBOOK_DIR", tmp_path)
    config = SimpleNamespace(extra={"course": {"repository": configured, "branch": "main"}})
    site_hooks.on_config(config)
    page = SimpleNamespace(
        file=SimpleNamespace(src_uri=f"lessons/{LESSON}"), url="lessons/01_core_data_model/"
    )
    return site_hooks.launch_links(page, config)


def test_without_a_repository_a_lesson_has_no_colab_or_binder_button(monkeypatch, tmp_path):
    html = lesson_page_links("", monkeypatch, tmp_path, guard=None)
    assert "Download the notebook" in html
    for absent in ("colab.research.google.com", "mybinder.org", "github.com", "launch button"):
        assert absent not in html


def test_a_real_repository_gets_both_buttons_for_its_lessons(monkeypatch, tmp_path):
    html = lesson_page_links(REPOSITORY, monkeypatch, tmp_path, guard=REPOSITORY)
    path = f"notebooks/{LESSON}"
    assert f"https://colab.research.google.com/github/{REPOSITORY}/blob/main/{path}" in html
    assert f"https://mybinder.org/v2/gh/{REPOSITORY}/main?labpath=notebooks%2F{LESSON}" in html


def test_colab_waits_until_the_lessons_install_from_that_repository(monkeypatch, tmp_path):
    """Binder builds from the repository itself; Colab needs the lesson's install line."""
    html = lesson_page_links(REPOSITORY, monkeypatch, tmp_path, guard="")
    assert "mybinder.org" in html and "colab.research.google.com" not in html


def test_a_placeholder_stops_the_site_build(monkeypatch, tmp_path):
    from mkdocs.exceptions import PluginError

    with pytest.raises(PluginError, match="placeholder"):
        lesson_page_links("your-org/kinesis-course", monkeypatch, tmp_path, guard=None)


def test_mkdocs_yml_names_no_placeholder():
    configured = course_repository.course_settings()["repository"]
    assert configured == "" or course_repository.checked(configured) == configured
