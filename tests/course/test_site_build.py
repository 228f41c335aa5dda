"""The course site builds strictly from a clean tree, with every page the nav promises.

`make site` runs `mkdocs build --strict`; the shared build in site_helpers does the same, so a
warning anywhere (a broken link or anchor, a page missing from the nav, a lesson that raises)
fails here with the build's log.
"""

from __future__ import annotations

import json
import re

import pytest
from site_helpers import (
    NOTEBOOK_DIR,
    REPO,
    SITE_OUT,
    build_site,
    html_files,
    mkdocs_config,
    nav_paths,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]


@pytest.fixture(scope="module")
def build_log() -> str:
    return build_site()


def built_page(src: str):
    """build/site/<page>/index.html for a nav entry such as 'practice/m01.md'."""
    stem = re.sub(r"(^|/)index$", "", re.sub(r"\.(md|ipynb)$", "", src))
    return SITE_OUT / stem / "index.html"


def test_config_is_strict_and_make_site_passes_strict():
    assert mkdocs_config()["strict"] is True
    assert mkdocs_config()["docs_dir"] == "site"
    assert mkdocs_config()["site_dir"] == "build/site"
    makefile = (REPO / "Makefile").read_text()
    assert re.search(r"^site:.*\n\t.*mkdocs build --strict", makefile, re.MULTILINE)
    assert re.search(r"^serve-site:.*\n\t.*mkdocs serve", makefile, re.MULTILINE)


def test_strict_build_has_no_warnings(build_log):
    warnings = [line for line in build_log.splitlines() if line.startswith("WARNING")]
    assert not warnings, "\n".join(warnings)


def test_every_nav_page_is_built(build_log):
    missing = [src for src in nav_paths() if not built_page(src).is_file()]
    assert not missing, missing


def test_every_lesson_is_rendered_with_outputs(build_log):
    for notebook in sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb")):
        page = built_page(f"lessons/{notebook.name}").read_text(encoding="utf-8")
        assert 'class="jp-Notebook"' in page, notebook.name
        assert "jp-OutputArea-output" in page, f"{notebook.name} rendered without outputs"
        assert "Traceback (most recent call last)" not in page, notebook.name
        assert 'class="lesson-launch"' in page, f"{notebook.name}: no download/Colab/Binder links"


def test_clean_notebooks_are_downloadable(build_log):
    for notebook in sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb")):
        copy = SITE_OUT / "lessons" / notebook.name
        assert copy.read_bytes() == notebook.read_bytes(), f"{copy} is not the clean source"


def test_site_has_the_pages_of_the_brief(build_log):
    for src in (
        "index.md",
        "exam-tips.md",
        "cheat-sheet.md",
        "what-changed.md",
        "comparisons.md",
        "glossary.md",
        "reference/facts.md",
        "what-is-simulated.md",
        "practice/mock-exam.md",
    ):
        assert built_page(src).is_file(), src
    assert len(html_files()) >= len(nav_paths())


def lesson_search_text(lesson: str) -> str:
    """All the text Material's search index holds for one lesson page."""
    index = json.loads((SITE_OUT / "search" / "search_index.json").read_text(encoding="utf-8"))
    return "\n".join(
        doc["text"] for doc in index["docs"] if doc["location"].startswith(f"lessons/{lesson}/")
    )


def test_search_finds_each_code_line_once_and_no_output(build_log):
    """tools/site_hooks.py keeps the copy button's duplicate of each code cell, the prompts and
    the run's outputs out of the index: a code line is found once, the prose and the calls the
    code makes are found, a run's output is not."""
    text = lesson_search_text("05_delivery_semantics")
    assert text.count("lab = start_lab()") == 1  # the setup cell's last line, once
    assert "Lab ready — mocked AWS account" not in text  # the setup cell's output
    assert "Copied!" not in text and "In [1]:" not in text
    assert "Kinesis Data Streams is at-least-once" in text  # prose
    assert "create_event_source_mapping" in lesson_search_text("08_1_lambda_polling_retries")
