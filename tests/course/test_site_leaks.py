"""No solution, hidden test or expected value of a graded quiz reaches the built site.

Every solution and hidden test in quizzes/source carries a canary string
(CANARY-SOLUTION-…, CANARY-HIDDEN-…). The scan reads every file under build/site — HTML, the
search index, the downloadable notebooks, scripts, compressed files, and each member of the
wheels and zips the browser loads — for those canaries and nbgrader's region markers, and,
outside those archives (see archive_texts), for any distinctive line of a solution or
hidden-test region that is not also public lesson material.
"""

from __future__ import annotations

import gzip
import html
import io
import json
import re
import zipfile
from pathlib import Path

import ahocorasick
import pytest
from ci_skip_rule import surroundings
from site_helpers import NOTEBOOK_DIR, REPO, SITE_OUT, build_site

QUIZ_SOURCE = REPO / "quizzes" / "source"
EXERCISE_ANSWERS = REPO / "tests" / "exercise_answers"  # reference answers of lesson exercises
EXECUTED = REPO / "build" / "lessons"  # the lessons as the site shows them, with outputs
CANARY = re.compile(r"CANARY-(?:SOLUTION|HIDDEN|RUBRIC|ANSWER)-[A-Za-z0-9_.-]+")
MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
REGION = re.compile(r"###\s*BEGIN (SOLUTION|HIDDEN TESTS)(.*?)###\s*END \1", re.DOTALL)
ARCHIVES = (".whl", ".zip")  # read member by member
MIN_LINE = 25  # shorter lines (imports, `lab = start_lab()`) are not distinctive


def file_texts(path: Path) -> list[str]:
    """The text of a built file in the forms a leak could take (raw, unescaped, untagged)."""
    data = path.read_bytes()
    if path.suffix in ARCHIVES:
        return archive_texts(data)
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    raw = data.decode("utf-8", errors="replace")
    texts = [raw, html.unescape(raw), html.unescape(re.sub(r"<[^>]+>", "", raw))]
    if path.suffix in (".json", ".ipynb"):
        texts += _json_strings(raw)
    return texts


def archive_texts(data: bytes) -> list[str]:
    """Every member of a wheel or zip, decompressed: what is packed in one is compressed, so
    the archive's own bytes would never show a canary or a marker.

    Only those are looked for there, not distinctive lines: a wheel holds code published as
    it is — the toolkit, whose source every learner installs, and third-party packages — and
    the quizzes rightly share lines with both (the transform contract of the Firehose lesson's
    reference_transform, the aggregation library's own loop). Anything of a quiz or an
    exercise answer packed into one carries its canary: every region and answer file has one."""
    texts = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for member in archive.infolist():
            if member.is_dir():
                continue
            raw = archive.read(member).decode("utf-8", errors="replace")
            texts.append(raw)
            if member.filename.endswith((".json", ".ipynb")):
                texts += _json_strings(raw)
    return texts


def _json_strings(raw: str) -> list[str]:
    """A JSON document's strings, unescaped, one per line (or nothing if it is not JSON)."""
    try:
        return ["\n".join(_strings(json.loads(raw)))]
    except ValueError:
        return []


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


def phrase_finder(phrases: set[str]) -> ahocorasick.Automaton | None:
    """One automaton for every phrase: a text is read once, whatever the number of phrases."""
    if not phrases:
        return None
    automaton = ahocorasick.Automaton()
    for phrase in phrases:
        automaton.add_word(phrase, phrase)
    automaton.make_automaton()
    return automaton


def phrases_in(finder: ahocorasick.Automaton | None, text: str) -> set[str]:
    return {phrase for _end, phrase in finder.iter(text)} if finder else set()


def scan(root: Path, phrases: set[str]) -> list[str]:
    """Every (file, leaked thing) under root: canaries, markers and the given phrases."""
    finder = phrase_finder(phrases)
    found = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        texts = file_texts(path)
        where = path.relative_to(root)
        for text in texts:
            found += [f"{where}: {hit}" for hit in CANARY.findall(text)]
        found += [f"{where}: marker {m!r}" for m in MARKERS if any(m in t for t in texts)]
        if path.suffix not in ARCHIVES:  # canaries and markers only there: archive_texts
            leaked = set().union(*(phrases_in(finder, text) for text in texts))
            found += [f"{where}: line {p!r}" for p in leaked]
    return sorted(set(found))


def notebook_sources(path: Path) -> list[tuple[dict, str]]:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    return [
        (cell, "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"])
        for cell in notebook.get("cells", [])
    ]


def secret_lines() -> set[str]:
    """Distinctive lines of the quizzes' solution and hidden-test regions."""
    # What the lessons say or print is public (an IAM action name, a setup call, a sample
    # record): a quiz line that a lesson also shows is taught material, not a leak.
    public = "\n".join(
        text
        for path in sorted(NOTEBOOK_DIR.glob("*.ipynb")) + sorted(EXECUTED.glob("*.ipynb"))
        for text in file_texts(path)
    )
    # As a page shows it: `Name="value"`, in prose renders without its backticks.
    public += "\n" + public.replace("`", "")
    lines = set()
    for path in sorted(QUIZ_SOURCE.rglob("*.ipynb")):
        if ".ipynb_checkpoints" in path.parts:
            continue
        for cell, source in notebook_sources(path):
            regions = [m.group(2) for m in REGION.finditer(source)]
            if cell.get("cell_type") == "markdown" and cell.get("metadata", {}).get(
                "nbgrader", {}
            ).get("solution"):
                regions.append(source)  # a written answer: the whole cell is the solution
            for region in regions:
                lines.update(distinctive(region))
    # The reference answers of the lessons' exercises (tools/run_exercises.py) too.
    for path in sorted(EXERCISE_ANSWERS.glob("*.py")):
        lines.update(distinctive(path.read_text(encoding="utf-8")))
    return lines - phrases_in(phrase_finder(lines), public)


def distinctive(text: str) -> set[str]:
    """Lines long enough to mean something (imports and `lab = start_lab()` do not)."""
    stripped = (line.strip() for line in text.splitlines())
    return {line for line in stripped if len(line) >= MIN_LINE and not line.startswith("#")}


def quiz_canaries() -> set[str]:
    return {
        hit
        for path in QUIZ_SOURCE.rglob("*.ipynb")
        for _cell, source in notebook_sources(path)
        for hit in CANARY.findall(source)
    }


def test_scanner_finds_planted_leaks(tmp_path):
    """The scan itself works: a canary in HTML, a marker in a gzip file, a line in JSON, and
    a canary and a marker packed (compressed) in a wheel."""
    (tmp_path / "page.html").write_text("<p>x = <span>CANARY-SOLUTION-q99_demo</span></p>")
    (tmp_path / "sitemap.xml.gz").write_bytes(gzip.compress(b"### BEGIN HIDDEN TESTS"))
    (tmp_path / "search_index.json").write_text(json.dumps({"docs": [{"text": "a < secret line"}]}))
    (tmp_path / "lesson.ipynb").write_text(
        json.dumps({"cells": [{"source": ["CANARY-HIDDEN-q9"]}]})
    )
    with zipfile.ZipFile(tmp_path / "kinesis_lab-0.1.0-py3-none-any.whl", "w") as wheel:
        packed = "answer = 'CANARY-ANSWER-packed'\n### END SOLUTION\n" * 20
        wheel.writestr("kinesis_lab/quiz/leaked.py", packed, compress_type=zipfile.ZIP_DEFLATED)
    found = scan(tmp_path, {"a < secret line"})
    assert any("CANARY-SOLUTION-q99_demo" in f for f in found)
    assert any("sitemap.xml.gz" in f and "BEGIN HIDDEN TESTS" in f for f in found)
    assert any("search_index.json" in f and "secret line" in f for f in found)
    assert any("lesson.ipynb" in f and "CANARY-HIDDEN-q9" in f for f in found)
    assert any(".whl" in f and "CANARY-ANSWER-packed" in f for f in found)
    assert any(".whl" in f and "END SOLUTION" in f for f in found)


def test_quizzes_carry_canaries_to_look_for():
    if not QUIZ_SOURCE.is_dir():
        pytest.skip(surroundings("no quizzes/source in this checkout"))
    assert quiz_canaries(), "quizzes/source has no CANARY-… strings: the leak scan would be blind"


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_built_site_has_no_quiz_solutions_or_hidden_tests():
    build_site()
    secrets = secret_lines()
    if quiz_canaries():
        assert secrets, "found no solution or hidden-test lines in quizzes/source to look for"
    leaks = scan(SITE_OUT, secrets)
    assert not leaks, "graded-quiz material in build/site:\n" + "\n".join(leaks[:50])
