"""The practice bank (site/practice/*.md): read it, order its options, report its balance.

Questions are written in mkdocs-quiz's markdown (``<quiz>`` … ``- [x]`` / ``- [ ]`` …
explanation ``</quiz>``). A learner should not be able to pass by picking "B" or "the longest
option", so the keyed option's position is chosen here, deterministically, and the result is
committed (nothing is shuffled at build time or in the browser):

- single-answer questions whose options are all numbers keep the order they were written in
  (ascending reads naturally), and count as they are;
- every other single-answer question gets its key moved to a target position; targets are
  spread evenly over each page (the positions with the fewest keys so far first), in an order
  shuffled by a random generator seeded with the page's name — the same page always gives the
  same order, so running the tool twice changes nothing;
- the wrong options keep their relative order; select-all questions are left as written.

Explanations never name an option by its letter, so moving options cannot break them.

    python tools/practice_bank.py            # report the balance
    python tools/practice_bank.py --write    # reorder the pages in place
"""

from __future__ import annotations

import random
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
PRACTICE = REPO / "site" / "practice"
QUIZ = re.compile(r"<quiz>\n(.*?)\n</quiz>", re.DOTALL)
ANSWER = re.compile(r"^- \[([ x])\] (.*)$")
DOMAIN = re.compile(r'<span class="mock-domain" data-domain="([^"]+)">([^<]*)</span>')
FACT_REF = re.compile(r"\bF(\d{1,3})\b")
NUMERIC = re.compile(r"^[\d.,]+\b")


@dataclass
class Question:
    page: str
    number: int  # 1-based, within its page
    stem: str  # the question text, without the domain tag
    options: list[str]
    keys: list[int]  # 0-based positions of the correct options
    explanation: str
    domain: str | None = None
    tag: str | None = None  # the domain tag's visible label, e.g. "Security · M7"
    span: tuple[int, int] = field(default=(0, 0), repr=False)  # body's place in the page

    @property
    def single(self) -> bool:
        return len(self.keys) == 1

    @property
    def numeric(self) -> bool:
        """All options are numbers: they stay in the (ascending) order written."""
        return all(NUMERIC.match(option) for option in self.options)

    @property
    def key_is_longest(self) -> bool:
        """The (single) key is strictly longer than every other option."""
        key = len(self.options[self.keys[0]])
        return all(key > len(o) for i, o in enumerate(self.options) if i != self.keys[0])

    @property
    def facts(self) -> list[str]:
        return [f"F{n}" for n in FACT_REF.findall(self.explanation)]


def front_matter(text: str) -> dict:
    match = re.match(r"^---\n(.*?)\n---\n", text, re.DOTALL)
    return yaml.safe_load(match.group(1)) if match else {}


def parse(page: Path) -> list[Question]:
    text = page.read_text(encoding="utf-8")
    questions = []
    for number, match in enumerate(QUIZ.finditer(text), 1):
        lines = match.group(1).splitlines()
        answers = [i for i, line in enumerate(lines) if ANSWER.match(line)]
        if not answers:
            raise ValueError(f"{page.name} question {number}: no answers")
        first, last = answers[0], answers[-1]
        if answers != list(range(first, last + 1)):
            raise ValueError(f"{page.name} question {number}: answers are not one list")
        stem = "\n".join(lines[:first]).strip()
        domain = tag = None
        found = DOMAIN.search(stem)
        if found:
            domain, tag = found.group(1), found.group(2)
            stem = DOMAIN.sub("", stem).strip()
        parsed = [ANSWER.match(lines[i]).groups() for i in answers]
        questions.append(
            Question(
                page=page.name,
                number=number,
                stem=stem,
                options=[option for _, option in parsed],
                keys=[i for i, (mark, _) in enumerate(parsed) if mark == "x"],
                explanation="\n".join(lines[last + 1 :]).strip(),
                domain=domain,
                tag=tag,
                span=match.span(1),
            )
        )
    return questions


def pages() -> list[Path]:
    return sorted(PRACTICE.glob("*.md"))


def bank() -> list[Question]:
    return [q for page in pages() for q in parse(page)]


# --- ordering ------------------------------------------------------------------------------


def targets(questions: list[Question], seed: str) -> dict[int, int]:
    """Question number → key position for the movable single-answer questions of one page."""
    counts: Counter[int] = Counter()
    movable = []
    for q in questions:
        if not q.single:
            continue
        if q.numeric:
            counts[q.keys[0]] += 1
        else:
            movable.append(q)
    rng = random.Random(seed)
    width = min((len(q.options) for q in movable), default=4)
    wanted = []
    for _ in movable:
        positions = list(range(width))
        rng.shuffle(positions)  # break ties differently each time, reproducibly
        best = min(positions, key=lambda p: counts[p])
        counts[best] += 1
        wanted.append(best)
    rng.shuffle(wanted)
    return {q.number: position for q, position in zip(movable, wanted, strict=True)}


def reorder(page: Path) -> str:
    """The page's text with each movable key at its target position."""
    text = page.read_text(encoding="utf-8")
    questions = parse(page)
    wanted = targets(questions, page.name)
    pieces, cursor = [], 0
    for q in questions:
        start, end = q.span
        body = text[start:end]
        if q.number in wanted:
            key = q.options[q.keys[0]]
            others = [o for i, o in enumerate(q.options) if i != q.keys[0]]
            others.insert(wanted[q.number], key)
            old = "\n".join(
                f"- [{'x' if i in q.keys else ' '}] {o}" for i, o in enumerate(q.options)
            )
            new = "\n".join(f"- [{'x' if o is key else ' '}] {o}" for o in others)
            assert body.count(old) == 1, f"{page.name} question {q.number}: answers not found"
            body = body.replace(old, new)
        pieces.append(text[cursor:start] + body)
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces)


# --- balance -------------------------------------------------------------------------------


def balance(questions: list[Question]) -> dict:
    singles = [q for q in questions if q.single]
    positions = Counter(q.keys[0] for q in singles)
    share = 100 / max(len(singles), 1)
    return {
        "questions": len(questions),
        "single": len(singles),
        "positions": {"ABCDE"[p]: round(share * positions[p], 1) for p in sorted(positions)},
        "key_longest": round(share * sum(q.key_is_longest for q in singles), 1),
    }


def main(argv: list[str]) -> int:
    if "--write" in argv:
        for page in pages():
            new = reorder(page)
            if new != page.read_text(encoding="utf-8"):
                page.write_text(new, encoding="utf-8")
                print(f"reordered {page.relative_to(REPO)}")
    for page in pages():
        questions = parse(page)
        longest = [q.number for q in questions if q.single and q.key_is_longest]
        print(f"{page.name:18} {balance(questions)}  key longest in: {longest}")
    print("all", balance(bank()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
