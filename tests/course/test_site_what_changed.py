"""site/what-changed.md says its tables list changes "oldest first": they do.

Each row's date is the first one in its "When" cell: an ISO date, a month ("February 2024") or
a year alone (launch date unverified: it sorts after every dated change of that year). Rows are
compared by month, the finest precision every row has.
"""

from __future__ import annotations

import re

import pytest
from paths import REPO

PAGE = REPO / "site" / "what-changed.md"
MONTHS = {
    name: number
    for number, name in enumerate(
        "January February March April May June July August September October November December".split(),
        start=1,
    )
}
ISO = re.compile(r"\b(\d{4})-(\d{2})-\d{2}\b")
MONTH = re.compile(r"\b(" + "|".join(MONTHS) + r") (\d{4})\b")
YEAR = re.compile(r"\b(\d{4})\b")
DATED_SECTIONS = ("Renames", "Retirements", "New features and limits")


def when(cell: str) -> tuple[int, int]:
    """(year, month) of the first date in a cell; a year alone sorts as month 13."""
    found = sorted(
        (match.start(), (int(y), int(m)))
        for pattern, convert in ((ISO, None), (MONTH, "month"))
        for match in pattern.finditer(cell)
        for y, m in [
            (match.group(1), match.group(2))
            if convert is None
            else (match.group(2), MONTHS[match.group(1)])
        ]
    )
    if found:
        return found[0][1]
    year = YEAR.search(cell)
    assert year, f"no date in {cell!r}"
    return (int(year.group(1)), 13)


def tables() -> dict[str, list[str]]:
    """The first column of each dated section's table, by section title."""
    found: dict[str, list[str]] = {}
    section = None
    for line in PAGE.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            section = line[3:].strip()
        elif section in DATED_SECTIONS and line.startswith("| ") and not line.startswith("| When"):
            found.setdefault(section, []).append(line.split("|")[1].strip())
    return found


def test_the_page_promises_oldest_first_and_has_its_tables():
    assert "oldest first" in PAGE.read_text(encoding="utf-8")
    assert set(tables()) == set(DATED_SECTIONS)


@pytest.mark.parametrize("section", DATED_SECTIONS)
def test_each_table_is_oldest_first(section):
    dates = [when(cell) for cell in tables()[section]]
    assert dates == sorted(dates), list(zip(tables()[section], dates, strict=True))


def test_dates_are_read_as_written():
    assert when("2025-09-24 (preview since 2024-11-15)") == (2025, 9)
    assert when("February 2024 (Feb 9)") == (2024, 2)
    assert when("November 2025 (SDK APIs 2025-11-03)") == (2025, 11)
    assert when("2026, launch date unverified") == (2026, 13)
