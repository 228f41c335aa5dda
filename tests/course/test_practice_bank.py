"""The practice bank (site/practice/*.md) is worth an exam candidate's time.

- at least 250 questions, each with 4 or more options, a 2–5 sentence stem and an explanation
  long enough to say why the wrong options are wrong;
- the key cannot be guessed: each position holds 15–35 % of the single-answer keys, the key is
  the longest option in at most 40 % of them, and the committed order is the one
  tools/practice_bank.py gives (deterministic: running it changes nothing);
- select-all questions name how many answers to select;
- every mock exam states a blueprint (front matter and visible table agree), tags every question
  with one of its domains, and keeps its domain mix within ±5 points of the blueprint weights;
- one home per question (no stem twice), and every cited fact row exists in the fact sheet.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from collections import Counter

import pytest
from paths import REPO

FACTS = REPO / "site" / "reference" / "facts.md"


def _load_tool():
    spec = importlib.util.spec_from_file_location(
        "practice_bank", REPO / "tools" / "practice_bank.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["practice_bank"] = module
    spec.loader.exec_module(module)
    return module


practice_bank = _load_tool()
PAGES = [p for p in practice_bank.pages() if p.name != "index.md"]
MOCKS = [p for p in PAGES if p.name.startswith("mock")]
BANK = [q for page in PAGES for q in practice_bank.parse(page)]
SINGLE = [q for q in BANK if q.single]
SENTENCE_END = re.compile(r"[.?!](?:\s|$)")
SELECT = re.compile(r"\(Select (TWO|THREE|FOUR)\.\)")
COUNTS = {"TWO": 2, "THREE": 3, "FOUR": 4}


def where(q) -> str:
    return f"{q.page} question {q.number}"


def test_the_bank_has_at_least_250_questions():
    assert len(BANK) >= 250, len(BANK)


def test_every_question_has_four_or_more_options_and_a_key():
    few = [where(q) for q in BANK if len(q.options) < 4]
    keyless = [where(q) for q in BANK if not q.keys]
    assert not few, f"fewer than 4 options: {few}"
    assert not keyless, f"no correct option: {keyless}"


def test_stems_are_scenarios_of_two_to_five_sentences():
    wrong = []
    for q in BANK:
        text = re.sub(r"`[^`]*`", "code", q.stem)  # dots inside code are not sentence ends
        text = re.sub(r"\b(e\.g|i\.e|etc)\.", r"\1", text)
        sentences = len(SENTENCE_END.findall(text + " "))
        if not 2 <= sentences <= 5:
            wrong.append(f"{where(q)}: {sentences} sentences")
    assert not wrong, wrong


def test_every_question_explains_itself():
    short = [where(q) for q in BANK if len(q.explanation) < 150]
    assert not short, f"explanations too short to cover the wrong options: {short}"


def test_select_all_questions_say_how_many_to_select():
    for q in BANK:
        asked = SELECT.search(q.stem)
        if q.single:
            assert not asked, f"{where(q)} asks for several answers but keys one"
        else:
            assert asked, f"{where(q)} has {len(q.keys)} keys but does not say '(Select N.)'"
            assert COUNTS[asked.group(1)] == len(q.keys), where(q)


def test_key_positions_are_spread():
    positions = Counter(q.keys[0] for q in SINGLE)
    width = max(len(q.options) for q in SINGLE)
    shares = {"ABCDE"[p]: 100 * positions[p] / len(SINGLE) for p in range(min(width, 4))}
    assert all(15 <= share <= 35 for share in shares.values()), shares


def test_the_key_is_rarely_the_longest_option():
    longest = [q for q in SINGLE if q.key_is_longest]
    share = 100 * len(longest) / len(SINGLE)
    assert share <= 40, f"{share:.1f} % of keys are the longest option"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_the_committed_order_is_the_tools(page):
    assert practice_bank.reorder(page) == page.read_text(encoding="utf-8"), (
        f"run `python tools/practice_bank.py --write` ({page.name} is not in its order)"
    )


def test_the_ordering_is_deterministic_and_balanced_per_page():
    for page in PAGES:
        questions = practice_bank.parse(page)
        first = practice_bank.targets(questions, page.name)
        assert first == practice_bank.targets(questions, page.name)
        singles = [q for q in questions if q.single]
        counts = Counter(q.keys[0] for q in singles)
        assert max(counts.values()) - min(counts.get(p, 0) for p in range(4)) <= 2, (
            page.name,
            counts,
        )


def test_no_question_has_two_homes():
    def normal(text: str) -> str:
        return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()

    stems = Counter(normal(q.stem) for q in BANK)
    twice = [stem[:80] for stem, n in stems.items() if n > 1]
    assert not twice, twice
    openings = Counter(normal(q.stem)[:90] for q in BANK)
    assert not [o for o, n in openings.items() if n > 1], "two questions open the same way"


def test_cited_fact_rows_exist():
    rows = set(re.findall(r"^\| (F\d+) \|", FACTS.read_text(encoding="utf-8"), re.MULTILINE))
    missing = sorted({f"{where(q)}: {f}" for q in BANK for f in q.facts if f not in rows})
    assert not missing, missing
    cited = sum(bool(q.facts) for q in BANK)
    assert cited >= 0.95 * len(BANK), f"only {cited} of {len(BANK)} questions cite a fact row"


# --- mock exams ----------------------------------------------------------------------------


def test_there_are_mock_exams_for_dva_and_dea():
    exams = {
        practice_bank.front_matter(p.read_text(encoding="utf-8"))["blueprint"]["exam"]
        for p in MOCKS
    }
    assert any("DVA-C02" in e for e in exams) and any("DEA-C01" in e for e in exams), exams


@pytest.mark.parametrize("page", MOCKS, ids=lambda p: p.name)
def test_mock_exam_follows_its_blueprint(page):
    text = page.read_text(encoding="utf-8")
    blueprint = practice_bank.front_matter(text)["blueprint"]
    weights = blueprint["weights"]
    assert sum(weights.values()) == 100 and blueprint["source"], blueprint
    questions = practice_bank.parse(page)
    untagged = [where(q) for q in questions if q.domain not in weights]
    assert not untagged, f"no domain tag of this blueprint: {untagged}"
    assert all(re.search(r"\bM\d+\b", q.tag) for q in questions), "tags name their module"
    mix = Counter(q.domain for q in questions)
    for domain, weight in weights.items():
        share = 100 * mix[domain] / len(questions)
        assert abs(share - weight) <= 5, f"{page.name}: {domain} {share:.0f} % vs {weight} %"
        row = re.search(rf"^\|[^|\n]*{re.escape(domain)}[^|\n]*\|\s*{weight} %", text, re.M | re.I)
        assert row, f"{page.name}: the visible table does not show {domain} at {weight} %"
    assert 'id="mock-exam-score"' in text, "the per-domain score board is missing"
    assert len({q.domain for q in questions[:5]}) >= 3, "the first questions already mix domains"


def test_mock_exams_are_in_the_nav_and_linked_from_the_practice_index():
    nav = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    index = (REPO / "site" / "practice" / "index.md").read_text(encoding="utf-8")
    for page in MOCKS:
        assert f"practice/{page.name}" in nav, f"{page.name} is not in the nav"
        assert f"({page.name})" in index, f"{page.name} is not linked from practice/index.md"
