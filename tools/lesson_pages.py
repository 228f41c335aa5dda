"""Read the lesson notebooks and gather what the site shows in more than one place.

One home for everything: an exam tip or a comparison table is written once, in its lesson;
the site's "Exam tips" and "Comparison tables" pages are generated from the lessons by these
functions (called by tools/site_hooks.py on every build), each entry linked back to the
section it came from. Pure functions over notebook JSON: no kernel, no MkDocs.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = REPO / "notebooks"
LESSON_GLOB = "[0-9][0-9]_*.ipynb"
SITE_LESSON_DIR = "lessons"  # where lessons live in the site: lessons/NN_slug.ipynb

TIP_KINDS = {"Exam tip": "tip", "Trap": "trap"}
# "> **Exam tip:** …", "> **Exam tip (DEA-C01):** …", "> **Trap:** …"
TIP_START = re.compile(r"^>\s*\*\*(Exam tip|Trap)\b([^*]*?):?\*\*:?")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")
FACT_REF = re.compile(r"\bF(\d{1,3})\b")
MODULE_IN_TITLE = re.compile(r"^(M\d{1,2}|Capstone\s*\w*)\s*[·:\-–]\s*")


def heading_text(markdown: str) -> str:
    """The plain text of a Markdown heading (what a reader sees)."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", markdown)  # links and images
    text = re.sub(r"`([^`]*)`", r"\1", text)
    text = re.sub(r"(\*\*|__|\*|_)(\S.*?\S|\S)\1", r"\2", text)
    return text.strip()


def heading_id(markdown: str) -> str:
    """The id mkdocs-jupyter gives a notebook heading (lower-case slug of its text)."""
    value = unicodedata.normalize("NFKD", heading_text(markdown))
    value = value.encode("ascii", "ignore").decode("ascii")
    value = re.sub(r"[^\w\s-]", "", value).strip().lower()
    slug = re.sub(r"[-\s]+", "-", value)
    return quote(slug, safe="?/:@!$&'()*+,;=")


@dataclass
class Section:
    title: str  # plain text
    anchor: str
    level: int
    markdown: list[str] = field(default_factory=list)  # the section's own Markdown lines


@dataclass
class Lesson:
    path: Path
    number: int
    title: str  # the H1, plain text: "M1 · The Kinesis Data Streams core data model"
    sections: list[Section]

    @property
    def stem(self) -> str:
        return self.path.stem

    @property
    def site_path(self) -> str:
        """The lesson's source path inside the site (what nav lines and links use)."""
        return f"{SITE_LESSON_DIR}/{self.path.name}"

    @property
    def module(self) -> str:
        """'M1', or the capstone label, taken from the title."""
        found = MODULE_IN_TITLE.match(self.title)
        return found.group(1) if found else f"{self.number:02d}"

    @property
    def short_title(self) -> str:
        """The title without its 'M1 · ' prefix."""
        return MODULE_IN_TITLE.sub("", self.title, count=1)


def markdown_sources(notebook: dict) -> list[str]:
    return [
        "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        for cell in notebook.get("cells", [])
        if cell.get("cell_type") == "markdown"
    ]


def read_lesson(path: Path) -> Lesson:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    sections: list[Section] = [Section(title="", anchor="", level=0)]
    title = ""
    for source in markdown_sources(notebook):
        in_fence = False
        for line in source.splitlines():
            if FENCE.match(line):
                in_fence = not in_fence
            found = None if in_fence else HEADING.match(line)
            if found:
                level, text = len(found.group(1)), found.group(2)
                if level == 1 and not title:
                    title = heading_text(text)
                sections.append(Section(heading_text(text), heading_id(text), level))
            else:
                sections[-1].markdown.append(line)
        sections[-1].markdown.append("")  # a cell boundary ends a paragraph or table
    number = int(path.name[:2])
    return Lesson(path, number, title or path.stem, [s for s in sections if s.level or s.markdown])


def read_lessons(notebook_dir: Path = NOTEBOOK_DIR) -> list[Lesson]:
    return [read_lesson(path) for path in sorted(notebook_dir.glob(LESSON_GLOB))]


@dataclass(frozen=True)
class Tip:
    kind: str  # "tip" or "trap"
    label: str  # "Exam tip", "Exam tip (DEA-C01)", "Trap"
    markdown: str  # the blockquote, as written in the lesson
    lesson: Lesson
    section: Section

    @property
    def text(self) -> str:
        """The tip without its blockquote markers."""
        return "\n".join(re.sub(r"^>\s?", "", line) for line in self.markdown.splitlines())


def blockquotes(lines: list[str]) -> list[str]:
    """Each run of consecutive '>' lines, joined."""
    quotes, current = [], []
    for line in lines + [""]:
        if line.lstrip().startswith(">"):
            current.append(line.strip())
        elif current:
            quotes.append("\n".join(current))
            current = []
    return quotes


def exam_tips(lesson: Lesson) -> list[Tip]:
    """Every '> **Exam tip:**' and '> **Trap:**' blockquote of a lesson, in reading order."""
    tips = []
    for section in lesson.sections:
        for quote_ in blockquotes(section.markdown):
            found = TIP_START.match(quote_)
            if found:
                kind = TIP_KINDS[found.group(1)]
                label = (found.group(1) + found.group(2)).strip()
                tips.append(Tip(kind, label, quote_, lesson, section))
    return tips


@dataclass(frozen=True)
class Table:
    markdown: str
    lesson: Lesson
    section: Section


def tables(lesson: Lesson) -> list[Table]:
    """Every Markdown table of a lesson (outside code fences), in reading order."""
    found = []
    for section in lesson.sections:
        current: list[str] = []
        in_fence = False
        for line in section.markdown + [""]:
            if FENCE.match(line):
                in_fence = not in_fence
            if not in_fence and line.lstrip().startswith("|"):
                current.append(line.strip())
                continue
            if len(current) >= 3 and re.match(r"^\|\s*:?-{3,}", current[1]):
                found.append(Table("\n".join(current), lesson, section))
            current = []
    return found


def fact_refs(text: str) -> list[str]:
    """The fact-sheet rows a text cites: 'F8', 'F34'… (ranges such as F34-F40 expanded)."""
    refs: list[int] = []
    for start, end in re.findall(r"\bF(\d{1,3})\s*[-–]\s*F(\d{1,3})\b", text):
        refs.extend(range(int(start), int(end) + 1))
    refs.extend(int(number) for number in FACT_REF.findall(text))
    return [f"F{number}" for number in dict.fromkeys(refs)]


# --- generated pages ---------------------------------------------------------------------

GENERATED_NOTE = (
    "<!-- Generated at build time by tools/site_hooks.py from the lesson notebooks; "
    "edit the lessons, not this page. -->"
)


def lesson_link(lesson: Lesson, section: Section | None = None, prefix: str = "") -> str:
    anchor = f"#{section.anchor}" if section and section.anchor else ""
    return f"{prefix}{lesson.site_path}{anchor}"


def exam_tips_page(lessons: list[Lesson]) -> str:
    """The 'Exam tips and traps' page: every tip of every lesson, by lesson, then kind."""
    tips = [tip for lesson in lessons for tip in exam_tips(lesson)]
    count_tips = sum(tip.kind == "tip" for tip in tips)
    lines = [
        GENERATED_NOTE,
        "",
        "# Exam tips and traps",
        "",
        f"All {count_tips} exam tips and {len(tips) - count_tips} traps of the lessons, "
        "gathered from the lessons themselves: each one is written once, in its lesson, and "
        "links back to the section it comes from. References such as F8 open the row of "
        "the [fact sheet](reference/facts.md) that gives the number and its AWS source.",
        "",
    ]
    for lesson in lessons:
        lesson_tips = exam_tips(lesson)
        if not lesson_tips:
            continue
        lines += [f"## {lesson.title}", ""]
        for kind, heading in (("tip", "Exam tips"), ("trap", "Traps")):
            chosen = [tip for tip in lesson_tips if tip.kind == kind]
            if not chosen:
                continue
            lines += [f"### {heading}", ""] if len(lesson_tips) > len(chosen) else []
            for tip in chosen:
                where = (
                    f"[{lesson.module} § {tip.section.title}]({lesson_link(lesson, tip.section)})"
                )
                # The comment line ends the quote: Markdown would merge adjacent quotes.
                lines += [tip.markdown, f"> <small>from {where}</small>", "", "<!-- -->", ""]
    return "\n".join(lines)


def comparisons_page(lessons: list[Lesson]) -> str:
    """The 'Comparison tables' page: every table of every lesson, linked to its section."""
    all_tables = [table for lesson in lessons for table in tables(lesson)]
    lines = [
        GENERATED_NOTE,
        "",
        "# Comparison tables",
        "",
        f"The {len(all_tables)} tables of the lessons — service against service, mode "
        "against mode, scenario against answer — in course order. Each is written once, in "
        "its lesson; the link under it opens the section that explains it.",
        "",
    ]
    for lesson in lessons:
        lesson_tables = tables(lesson)
        if not lesson_tables:
            continue
        lines += [f"## {lesson.title}", ""]
        for table in lesson_tables:
            lines += [
                f"### {table.section.title}",
                "",
                table.markdown,
                "",
                f"<small>From [{lesson.module} § {table.section.title}]"
                f"({lesson_link(lesson, table.section)}).</small>",
                "",
            ]
    return "\n".join(lines)


def course_map(lessons: list[Lesson], practice_pages: set[str]) -> str:
    """The home page's course map: one row per lesson, with its practice page if any."""
    lines = ["| | Lesson | Practice |", "|---|---|---|"]
    for lesson in lessons:
        practice_page = f"practice/m{lesson.number:02d}.md"
        practice = f"[questions]({practice_page})" if practice_page in practice_pages else "—"
        lines.append(
            f"| {lesson.module} | [{lesson.short_title}]({lesson.site_path}) | {practice} |"
        )
    return "\n".join(lines)
