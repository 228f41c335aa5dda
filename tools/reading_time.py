"""How long each lesson takes to read: a learner should finish one in a sitting (≈ 35 min).

Why a measure: a lesson that grows past about 35 minutes is left half-read, so a long lesson
becomes two (design.md, "Lessons: the learner makes the calls"). The measure is the one issue 11
uses, kept simple so that anyone can recompute it by hand:

    minutes = prose words / 200  +  code lines / 15

- **prose words**: whitespace-separated words in the markdown cells, leaving out fenced code
  blocks (```` ``` ````/``~~~``) and inline code spans (`` `like_this` ``) — code is read at
  code speed, not prose speed, and a fenced block in markdown is usually sample output;
- **code lines**: every line of every code cell, blank lines and comments included (a reader
  still scans them) — except the setup cell's Colab install guard (tools/colab_setup.py), the
  same four lines of machinery in every lesson, which no one reads as the lesson;
- outputs are not counted (lessons are committed without them) nor are raw cells.

Run ``python tools/reading_time.py`` for one line per lesson, longest flagged; pass notebook
paths to measure only those. tests/course/test_reading_time.py holds lessons to the limit.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from colab_setup import split_guard  # noqa: E402  (tools/ is not a package)

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = REPO / "notebooks"
LESSON_GLOB = "[0-9][0-9]_*.ipynb"
PROSE_WORDS_PER_MINUTE = 200
CODE_LINES_PER_MINUTE = 15
LIMIT_MINUTES = 35

FENCE = re.compile(r"^\s*(```|~~~)")
INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1", re.DOTALL)


@dataclass(frozen=True)
class ReadingTime:
    name: str
    prose_words: int
    code_lines: int

    @property
    def minutes(self) -> float:
        return self.prose_words / PROSE_WORDS_PER_MINUTE + self.code_lines / CODE_LINES_PER_MINUTE

    def line(self) -> str:
        flag = "  > limit" if self.minutes > LIMIT_MINUTES else ""
        return (
            f"{self.name}: {self.minutes:4.1f} min "
            f"({self.prose_words} prose words, {self.code_lines} code lines){flag}"
        )


def cell_source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def prose_words(markdown: str) -> int:
    """Words outside fenced code blocks and inline code spans."""
    kept, in_fence = [], False
    for line in markdown.splitlines():
        if FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence:
            kept.append(line)
    return len(INLINE_CODE.sub(" ", "\n".join(kept)).split())


def code_lines(code: str) -> int:
    return len(code.splitlines())


def measure_notebook(notebook: dict, name: str = "") -> ReadingTime:
    words = lines = 0
    first_code = True
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") == "markdown":
            words += prose_words(cell_source(cell))
        elif cell.get("cell_type") == "code":
            source = cell_source(cell)
            if first_code:  # the setup cell: its install guard is not lesson content
                before, _guard, after = split_guard(source)
                source = "\n".join(before + after)
                first_code = False
            lines += code_lines(source)
    return ReadingTime(name, words, lines)


def measure(path: Path) -> ReadingTime:
    return measure_notebook(json.loads(path.read_text(encoding="utf-8")), path.stem)


def lessons() -> list[Path]:
    return sorted(NOTEBOOK_DIR.glob(LESSON_GLOB))


def main(argv: list[str]) -> int:
    paths = [Path(arg) for arg in argv] or lessons()
    for path in paths:
        print(measure(path).line())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
