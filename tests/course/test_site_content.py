"""The site's sources keep their promises, without building anything.

- every lesson notebook has its one nav line (and every nav lesson exists);
- the fact-sheet page keeps every row of the shared fact sheet unchanged and adds only the
  course's own rows (F100 and up, each with a source and a status); every fact row a lesson
  cites exists; the vendored scripts are the ones the manifest names;
- every number on the cheat sheet and on "what changed" appears in the fact row it cites;
- exam tips live only in the lessons; the gathering functions find them, and the tables;
- every module has practice questions with explanations; the mock exam mixes modules and
  domains; the admonition vocabulary stays small;
- the Binder configuration installs the lab toolkit.
"""

from __future__ import annotations

import json
import os
import re
import stat
import sys
from pathlib import Path

import pytest
from ci_skip_rule import surroundings
from paths import load_tool
from site_helpers import NOTEBOOK_DIR, REPO, SITE_SRC, mkdocs_config, nav_paths

SHARED_FACTS = REPO.parent / "shared" / "kinesis-facts.md"
FACTS_COPY = SITE_SRC / "reference" / "facts.md"
MODULES = range(13)  # M0–M12
ADMONITIONS = {"note", "tip", "warning", "success"}  # see site/about-this-site.md
GENERATED_PAGES = {"exam-tips.md", "comparisons.md"}  # made by tools/site_hooks.py
DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
MONTHS = "January February March April May June July August September October November December"


sys.path.insert(0, str(REPO / "tools"))
lesson_pages = load_tool("lesson_pages")


# --- nav -----------------------------------------------------------------------------------


def test_every_notebook_has_its_nav_line():
    nav = nav_paths()
    missing = [
        f"lessons/{path.name}"
        for path in sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
        if f"lessons/{path.name}" not in nav
    ]
    assert not missing, "add one line per lesson to the nav in mkdocs.yml: " + ", ".join(missing)


def test_every_nav_lesson_is_a_notebook():
    stale = [
        path
        for path in nav_paths()
        if path.startswith("lessons/") and not (NOTEBOOK_DIR / path.split("/", 1)[1]).exists()
    ]
    assert not stale, stale


def test_every_site_page_is_in_the_nav_once():
    nav = nav_paths()
    pages = {
        p.relative_to(SITE_SRC).as_posix()
        for p in SITE_SRC.rglob("*.md")
        if "assets" not in p.relative_to(SITE_SRC).parts
    }
    assert pages | GENERATED_PAGES <= set(nav), sorted(pages | GENERATED_PAGES - set(nav))
    assert len(nav) == len(set(nav)), "a page is listed twice"
    assert "what-is-simulated.md" in nav


def test_lessons_are_grouped_by_module_in_course_order():
    lessons = [path for path in nav_paths() if path.startswith("lessons/")]
    assert lessons == sorted(lessons)
    groups = [item for item in mkdocs_config()["nav"] if isinstance(item, dict)]
    assert len(groups) >= 5, "the nav is grouped into sections"


# --- copies that must not drift ------------------------------------------------------------


sync_facts = load_tool("sync_facts")
FACT_ROW = re.compile(r"^\| F(\d+) \|.*$", re.MULTILINE)
STATUS = re.compile(r"^(V\*?|U)\b")


def row_lines(text: str) -> dict[int, str]:
    """Fact-sheet rows by number: 8 → '| F8 | Retention | … |'."""
    return {int(m.group(1)): m.group(0) for m in FACT_ROW.finditer(text)}


@pytest.mark.skipif(
    not SHARED_FACTS.exists(),
    reason=surroundings("no ../shared/kinesis-facts.md beside the checkout"),
)
def test_fact_sheet_page_keeps_every_shared_row_unchanged():
    """The site's sheet is the shared sheet (rows and text unchanged) plus the course's rows."""
    shared, site = SHARED_FACTS.read_text(encoding="utf-8"), FACTS_COPY.read_text(encoding="utf-8")
    site_rows = row_lines(site)
    changed = [f"F{n}" for n, line in row_lines(shared).items() if site_rows.get(n) != line]
    assert not changed, (
        f"shared rows missing or changed: {changed}; run: python tools/sync_facts.py"
    )
    extra = sorted(set(site_rows) - set(row_lines(shared)))
    assert all(n >= sync_facts.FIRST_COURSE_ROW for n in extra), [f"F{n}" for n in extra]
    assert site == sync_facts.merge(shared, site), "run: python tools/sync_facts.py"


def test_course_fact_rows_are_numbered_from_f100_with_source_and_status():
    course = sync_facts.course_part(FACTS_COPY.read_text(encoding="utf-8"))
    assert course, f"{FACTS_COPY.name} has no course part ({sync_facts.COURSE_MARKER!r})"
    rows = [row for row in table_rows_of(course) if "#" in row]
    assert len(rows) >= 15, "the course rows of issue 12"
    for row in rows:
        number = int(row["#"].removeprefix("F"))
        assert number >= sync_facts.FIRST_COURSE_ROW, row["#"]
        assert row["Fact"] and row["Value"], row["#"]
        assert len(row["Source"]) >= 10, f"{row['#']} has no source"
        assert STATUS.match(row["Status"]), f"{row['#']}: status {row['Status']!r}"
    numbers = [row["#"] for row in rows]
    assert len(numbers) == len(set(numbers)), "a course row number is used twice"


def test_course_rows_for_the_missing_topics_exist():
    """Issue 12's topics each have their sourced row (the lessons cite them)."""
    facts = fact_rows()
    topics = {
        "F100": "StartDeliveryStreamEncryption",
        "F101": "data stream",
        "F103": "MSKSourceConfiguration",
        "F104": "Iceberg",
        "F105": "FailedEventsOnly",
        "F106": "DataFreshness",
        "F107": "LOGTOJSON",
        "F108": "materialized view",
        "F110": "checkpoint",
        "F111": "enrichment",
        "F113": "MSK Serverless",
        "F115": "CloudTrail",
        "F117": "snapshot",
        "F118": "AllowNonRestoredState",
    }
    missing = [ref for ref, word in topics.items() if word not in facts.get(ref, "")]
    assert not missing, missing


def test_every_fact_row_a_lesson_cites_exists():
    facts = fact_rows()
    unknown = []
    for path in sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb")):
        notebook = json.loads(path.read_text(encoding="utf-8"))
        text = "\n".join("".join(cell["source"]) for cell in notebook["cells"])
        unknown += [
            f"{path.stem}: {ref}" for ref in lesson_pages.fact_refs(text) if ref not in facts
        ]
    assert not unknown, unknown


def test_fact_references_reach_three_digit_rows():
    assert lesson_pages.fact_refs("see F100-F102, F8 and F117") == [
        "F100",
        "F101",
        "F102",
        "F8",
        "F117",
    ]


def test_sync_tool_keeps_course_rows_and_takes_shared_rows():
    shared = "# Sheet\n\n| # | Fact |\n|---|---|\n| F1 | new text |\n| F2 | added |\n"
    site = (
        "# Sheet\n\n| # | Fact |\n|---|---|\n| F1 | old text |\n\n"
        f"{sync_facts.COURSE_MARKER} -->\n\n| # | Fact |\n|---|---|\n| F100 | ours |\n"
    )
    merged = sync_facts.merge(shared, site)
    assert merged.startswith(shared.rstrip("\n")) and "| F1 | new text |" in merged
    assert "| F1 | old text |" not in merged and merged.endswith("| F100 | ours |\n")
    with pytest.raises(ValueError, match="F2 appears twice"):
        sync_facts.merge(shared, site.replace("F100", "F2"))


def test_vendored_scripts_match_their_manifest():
    vendor = load_tool("vendor_assets")
    assert vendor.check() == []
    manifest = json.loads(vendor.MANIFEST.read_text())
    assert {"requirejs", "@jupyter-widgets/html-manager", "mermaid"} <= set(manifest["packages"])


# --- numbers are the fact sheet's ----------------------------------------------------------


def fact_rows() -> dict[str, str]:
    """'F8' → the text of its row, with the heading of its section (part of the statement)."""
    rows, heading = {}, ""
    for line in FACTS_COPY.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            heading = line
        found = re.match(r"^\| (F\d+) \|", line)
        if found:
            rows[found.group(1)] = heading + "\n" + line
    return rows


def numbers(text: str) -> set[str]:
    """Numbers stated in prose (API names in `code` such as kinesisanalyticsv2 are not)."""
    prose = re.sub(r"`[^`]*`", "", text)
    return {n.replace(",", "") for n in re.findall(r"\d+(?:[.,]\d+)*", prose)}


def dates_in(text: str, row: str) -> list[str]:
    """ISO dates of ``text`` that ``row`` states neither as ISO nor as 'Month D, YYYY'."""
    missing = []
    for year, month, day in DATE.findall(text):
        name = MONTHS.split()[int(month) - 1]
        spelled = [f"{name} {int(day)}, {year}", f"{name[:3]} {int(day)}, {year}"]
        if f"{year}-{month}-{day}" not in row and not any(s in row for s in spelled):
            missing.append(f"{year}-{month}-{day}")
    return missing


def table_rows(page: Path) -> list[dict[str, str]]:
    return table_rows_of(page.read_text(encoding="utf-8"))


def table_rows_of(text: str) -> list[dict[str, str]]:
    rows, header = [], None
    for line in text.splitlines():
        if not line.startswith("|"):
            header = None
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if header is None:
            header = cells
        elif not set(line.replace("|", "").strip()) <= set("-: "):
            rows.append(dict(zip(header, cells, strict=False)))
    return rows


@pytest.mark.parametrize(
    ("page", "checked"),
    [
        ("cheat-sheet.md", ("Number",)),
        ("what-changed.md", ("When", "What changed", "Now")),
    ],
)
def test_gathered_numbers_appear_in_the_fact_rows_they_cite(page, checked):
    facts = fact_rows()
    rows = [row for row in table_rows(SITE_SRC / page) if "Fact" in row]
    assert len(rows) >= 10, f"{page}: expected tables with a Fact column"
    problems = []
    for row in rows:
        cited = lesson_pages.fact_refs(row["Fact"])
        assert cited, f"{page}: a row cites no fact: {row}"
        unknown = [ref for ref in cited if ref not in facts]
        assert not unknown, f"{page}: unknown fact {unknown}"
        source = "\n".join(facts[ref] for ref in cited)
        for column in checked:
            text = row.get(column, "")
            missing_dates = dates_in(text, source)
            rest = DATE.sub("", text)
            missing = sorted(numbers(rest) - numbers(source)) + missing_dates
            if missing:
                problems.append(f"{page}: {missing} of {text!r} not in {cited}")
    assert not problems, "\n".join(problems)


def test_cheat_sheet_covers_the_core_limits():
    cited = {
        ref
        for row in table_rows(SITE_SRC / "cheat-sheet.md")
        for ref in lesson_pages.fact_refs(row.get("Fact", ""))
    }
    core = {
        "F1",
        "F2",
        "F3",
        "F4",
        "F5",
        "F6",
        "F8",
        "F9",
        "F11",
        "F17",
        "F18",
        "F21",
        "F34",
        "F42",
        "F44",
        "F57",
    }
    assert core <= cited, sorted(core - cited)


# --- one home for exam tips ----------------------------------------------------------------


def test_exam_tips_are_written_only_in_the_lessons():
    tip = re.compile(r"^\s*>\s*\*\*(Exam tip|Trap)\b", re.MULTILINE)
    written = [
        p.relative_to(SITE_SRC).as_posix()
        for p in SITE_SRC.rglob("*.md")
        if tip.search(p.read_text(encoding="utf-8"))
    ]
    assert not written, f"exam tips belong in a lesson, then appear on exam-tips.md: {written}"


def write_notebook(path: Path, cells: list[str]) -> Path:
    notebook = {
        "cells": [{"cell_type": "markdown", "metadata": {}, "source": c} for c in cells],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(notebook), encoding="utf-8")
    return path


def test_exam_tips_and_tables_are_gathered_with_their_section(tmp_path):
    path = write_notebook(
        tmp_path / "03_demo.ipynb",
        [
            "# M3 · Demo lesson\n\nIntro.",
            "## 5. `ExplicitHashKey`: choose the shard\n\n"
            "> **Exam tip:** first line\n> second line *(F6)*.\n\n"
            "> Just a quote.\n\n"
            "> **Trap:** a trap.",
            "## 6. Tables\n\n| | A | B |\n|---|---|---|\n| x | 1 | 2 |\n\n"
            "```\n| not | a table |\n```",
            "## 7. More\n\n> **Exam tip (DEA-C01):** stateful.",
        ],
    )
    lesson = lesson_pages.read_lesson(path)
    assert lesson.module == "M3" and lesson.short_title == "Demo lesson"
    tips = lesson_pages.exam_tips(lesson)
    assert [(t.kind, t.label) for t in tips] == [
        ("tip", "Exam tip"),
        ("trap", "Trap"),
        ("tip", "Exam tip (DEA-C01)"),
    ]
    assert tips[0].markdown == "> **Exam tip:** first line\n> second line *(F6)*."
    assert tips[0].section.anchor == "5-explicithashkey-choose-the-shard"
    tables = lesson_pages.tables(lesson)
    assert len(tables) == 1 and tables[0].section.title == "6. Tables"
    page = lesson_pages.exam_tips_page([lesson])
    assert "lessons/03_demo.ipynb#5-explicithashkey-choose-the-shard" in page
    assert lesson_pages.fact_refs("see F34-F36 and F8") == ["F34", "F35", "F36", "F8"]


def test_every_lesson_tip_reaches_the_exam_tips_page():
    lessons = lesson_pages.read_lessons()
    page = lesson_pages.exam_tips_page(lessons)
    tips = [tip for lesson in lessons for tip in lesson_pages.exam_tips(lesson)]
    assert len(tips) >= len(lessons), "the lessons have exam tips"
    assert all(tip.markdown in page for tip in tips)


# --- practice ------------------------------------------------------------------------------

QUIZ = re.compile(r"<quiz>(.*?)</quiz>", re.DOTALL)


def quizzes(page: Path) -> list[str]:
    return QUIZ.findall(page.read_text(encoding="utf-8"))


def check_quiz(body: str, where: str) -> None:
    lines = body.strip().splitlines()
    answers = [line for line in lines if re.match(r"^- \[[ x]\] ", line)]
    assert len(answers) >= 2, f"{where}: fewer than two answers"
    assert any(a.startswith("- [x]") for a in answers), f"{where}: no correct answer"
    last_answer = max(i for i, line in enumerate(lines) if line in answers)
    explanation = " ".join(lines[last_answer + 1 :]).strip()
    assert len(explanation) >= 30, f"{where}: no explanation after the answers"


@pytest.mark.parametrize("module", MODULES, ids=lambda m: f"M{m}")
def test_every_module_has_practice_questions_with_explanations(module):
    page = SITE_SRC / "practice" / f"m{module:02d}.md"
    text = page.read_text(encoding="utf-8")
    assert re.search(r"^quiz:\n\s+enabled: true", text, re.MULTILINE), "quiz not enabled"
    bodies = quizzes(page)
    assert len(bodies) >= 4, f"{page.name}: at least four questions per module"
    for index, body in enumerate(bodies, 1):
        check_quiz(body, f"{page.name} question {index}")
    lesson = next(NOTEBOOK_DIR.glob(f"{module:02d}_*.ipynb"), None)
    if lesson is not None:
        assert f"../lessons/{lesson.name}" in text, f"{page.name} does not link its lesson"


def test_mock_exam_mixes_modules_and_scores_domains():
    page = SITE_SRC / "practice" / "mock-exam.md"
    bodies = quizzes(page)
    assert len(bodies) >= 20
    domains, modules = [], set()
    for index, body in enumerate(bodies, 1):
        check_quiz(body, f"mock exam question {index}")
        tag = re.search(r'class="mock-domain" data-domain="([^"]+)">[^<]*\bM(\d+)', body)
        assert tag, f"mock exam question {index} has no domain tag"
        domains.append(tag.group(1))
        modules.add(int(tag.group(2)))
    assert len(set(domains)) >= 5 and len(modules) >= 10
    assert all(domains.count(d) >= 3 for d in set(domains)), "each domain needs a few questions"
    assert len({domains[i] for i in range(5)}) >= 3, "the first questions already mix domains"
    assert 'id="mock-exam-score"' in page.read_text(encoding="utf-8")


def test_practice_pool_is_separate_from_the_graded_quizzes():
    sources = REPO / "quizzes" / "source"
    graded = "\n".join(p.read_text(encoding="utf-8") for p in sources.rglob("*.ipynb"))
    practice = SITE_SRC / "practice"
    reused = [
        stem
        for page in practice.glob("*.md")
        for body in quizzes(page)
        for stem in [" ".join(body.strip().splitlines()[:2])[:60]]
        if len(stem) > 40 and stem in graded
    ]
    assert not reused, reused


def test_admonitions_keep_to_the_vocabulary():
    used = {
        (p.name, kind)
        for p in SITE_SRC.rglob("*.md")
        for kind in re.findall(
            r"^\s*(?:!!!|\?\?\?\+?)\s+(\w+)", p.read_text(encoding="utf-8"), re.MULTILINE
        )
    }
    stray = {item for item in used if item[1] not in ADMONITIONS}
    assert not stray, f"admonition types outside {sorted(ADMONITIONS)}: {sorted(stray)}"


# --- Binder --------------------------------------------------------------------------------


def test_binder_installs_the_lab_toolkit():
    binder = REPO / "binder"
    post_build = binder / "postBuild"
    assert post_build.stat().st_mode & stat.S_IXUSR, "binder/postBuild must be executable"
    script = post_build.read_text()
    assert script.startswith("#!") and re.search(r"pip install .*-e \.", script)
    runtime = (binder / "runtime.txt").read_text().strip()
    version = tuple(int(x) for x in re.fullmatch(r"python-(\d+)\.(\d+)", runtime).groups())
    pyproject = (REPO / "pyproject.toml").read_text()
    requires = re.search(r'^requires-python = ">=(\d+)\.(\d+)"', pyproject, re.MULTILINE)
    assert version >= tuple(int(x) for x in requires.groups())
    dependencies = re.search(r"^dependencies = \[(.*?)^\]", pyproject, re.MULTILINE | re.DOTALL)
    assert dependencies, "pyproject.toml lists the toolkit's dependencies"
    dependencies = dependencies.group(1)
    assert "ipywidgets" in dependencies, "widgets need ipywidgets on Binder"


def test_ensure_system_packages_is_idempotent_and_wired_into_make_test():
    script = REPO / "tools" / "ensure_system_packages.sh"
    assert os.access(script, os.X_OK)
    text = script.read_text()
    for installed_when_missing in (
        "[ -x /usr/bin/chromium-headless-shell ]",
        "[ -x /usr/bin/bwrap ]",
    ):
        assert installed_when_missing in text
    assert "apt-get install" in text and "sudo" in text
    makefile = (REPO / "Makefile").read_text()
    assert re.search(r"^unit:.*system-packages", makefile, re.MULTILINE)
    assert "ensure_system_packages.sh" in makefile
    assert re.search(r"^grade:.*grading-packages", makefile, re.MULTILINE)
