"""Merge the shared fact sheet into the site's fact sheet, keeping the course's own rows.

site/reference/facts.md is the home of the course's facts. It has two parts:

1. everything from ../shared/kinesis-facts.md (beside the repository), copied unchanged — the
   shared rows F1, F2, … and the text around them;
2. after the ``COURSE_MARKER`` comment, the course's own rows, numbered from F100 up
   (``FIRST_COURSE_ROW``) so that new shared rows never collide with them. Each has its AWS
   source and a status, like the shared rows.

After the shared sheet changes, run::

    python tools/sync_facts.py

It replaces part 1 with the current shared sheet (shared rows updated, added or removed as the
shared sheet says) and keeps part 2 as it is. It refuses to write when the two parts would
collide (a shared row numbered F100 or more, a course row below F100, a row number twice).
tests/test_site_content.py checks that every shared row appears unchanged in the site's sheet
and that every other row is a course row with a source.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SOURCE = REPO.parent / "shared" / "kinesis-facts.md"
COPY = REPO / "site" / "reference" / "facts.md"

FIRST_COURSE_ROW = 100
COURSE_MARKER = "<!-- course rows: kept by tools/sync_facts.py."
ROW = re.compile(r"^\| F(\d+) \|", re.MULTILINE)


def row_numbers(text: str) -> list[int]:
    return [int(number) for number in ROW.findall(text)]


def course_part(site_text: str) -> str:
    """The course's own part of the site sheet: from the marker line to the end ('' if none)."""
    start = site_text.find(COURSE_MARKER)
    if start < 0:
        return ""
    return site_text[site_text.rfind("\n", 0, start) + 1 :]


def merge(shared_text: str, site_text: str) -> str:
    """The site sheet: the shared sheet unchanged, then the course part of ``site_text``."""
    course = course_part(site_text)
    shared_rows, course_rows = row_numbers(shared_text), row_numbers(course)
    problems = [
        f"shared row F{n} is numbered like a course row"
        for n in shared_rows
        if n >= FIRST_COURSE_ROW
    ]
    problems += [
        f"course row F{n} is below F{FIRST_COURSE_ROW}" for n in course_rows if n < FIRST_COURSE_ROW
    ]
    everything = shared_rows + course_rows
    problems += [
        f"F{n} appears twice" for n in sorted({n for n in everything if everything.count(n) > 1})
    ]
    if problems:
        raise ValueError("; ".join(problems))
    if not course:
        return shared_text
    return shared_text.rstrip("\n") + "\n\n" + course


def main() -> int:
    current = COPY.read_text(encoding="utf-8") if COPY.exists() else ""
    try:
        merged = merge(SOURCE.read_text(encoding="utf-8"), current)
    except ValueError as error:
        print(f"not written: {error}", file=sys.stderr)
        return 1
    COPY.parent.mkdir(parents=True, exist_ok=True)
    COPY.write_text(merged, encoding="utf-8")
    shared, course = (
        len(row_numbers(merged)) - len(row_numbers(course_part(merged))),
        len(row_numbers(course_part(merged))),
    )
    print(f"merged {SOURCE} → {COPY}: {shared} shared rows, {course} course rows kept")
    return 0


if __name__ == "__main__":
    sys.exit(main())
