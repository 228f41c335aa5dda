"""Feedback files: what a learner gets back, and the check that it shows nothing hidden."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

from .course import Course, leaks_in


def feedback_text(path: Path) -> str:
    """The text a reader of an HTML feedback file sees (tags dropped, entities decoded).

    Why not the raw HTML: syntax highlighting splits code into spans, so a marker could hide
    between tags; the visible text is what must be clean."""
    raw = path.read_text(encoding="utf-8", errors="replace")
    return raw + "\n" + html.unescape(re.sub(r"<[^>]+>", "", raw))


def leaking_files(paths: list[Path]) -> dict[Path, list[str]]:
    """Files that contain a solution, hidden-test or rubric marker or a canary."""
    found = {}
    for path in paths:
        text = feedback_text(path) if path.suffix == ".html" else path.read_text("utf-8", "replace")
        markers = leaks_in(text)
        if markers:
            found[path] = markers
    return found


def regenerate(course: Course, quiz: str, api: Any | None = None) -> dict[str, Any]:
    """Generate feedback for every autograded submission of ``quiz`` (e.g. after manual
    grading); withhold any file that leaks. Returns nbgrader's result plus what was withheld."""
    api = api or course.api()
    result = api.generate_feedback(quiz, force=True)
    files = sorted((course.root / "feedback").glob(f"*/{quiz}/*.html"))
    withheld = leaking_files(files)
    for path in withheld:
        path.unlink()
    return {**result, "files": [f for f in files if f not in withheld], "withheld": withheld}
