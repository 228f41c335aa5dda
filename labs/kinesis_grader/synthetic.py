"""Synthetic submissions: a rehearsal class for instructors, and fixtures for tests and benchmarks.

A correct answer is the source notebook's solution with the solution markers and canary lines
taken out (what a learner who solved the item would have typed); a blank one is the release
as handed out. Mixed submissions solve a chosen set of items (closed under ``depends_on``) and
leave the rest blank or wrong, so their exact autograded score is known in advance.
"""

from __future__ import annotations

import ast
import copy
import random
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import nbformat

from .authoring import SOLUTION_BEGIN, SOLUTION_END, Item, nbgrader_meta, quiz_items
from .course import Course

DESIGN_ANSWER = (
    "I would size the stream from both records/s and MB/s, keep ordering per partition key, "
    "and retry only the failed records with exponential backoff and jitter."
)
LOOP = "while True:  # a learner's runaway loop\n    pass\n"


def solved_source(source: str) -> str:
    """A solution cell as a learner who solved it would have it: no markers, no canaries."""
    kept = [
        line
        for line in source.split("\n")
        if SOLUTION_BEGIN not in line and SOLUTION_END not in line and "CANARY-" not in line
    ]
    return "\n".join(kept)


class Quiz:
    """A quiz's source and release notebooks and items, for building submissions."""

    def __init__(self, course: Course, quiz: str) -> None:
        self.name = quiz
        self.source = nbformat.read(course.source_notebook(quiz), as_version=4)
        self.release = nbformat.read(course.release_notebook(quiz), as_version=4)
        self.items = {item.grade_id: item for item in quiz_items(self.source)}
        self._source_cells = {
            nbgrader_meta(cell).get("grade_id"): cell
            for cell in self.source.cells
            if nbgrader_meta(cell).get("grade_id")
        }

    @property
    def autograded(self) -> list[Item]:
        return [item for item in self.items.values() if not item.manual]

    @property
    def autograded_points(self) -> float:
        return sum(item.points for item in self.autograded)

    def closed(self, solved: Iterable[str]) -> set[str]:
        """``solved`` minus items whose dependencies are not all solved (repeatedly)."""
        chosen = set(solved)
        changed = True
        while changed:
            changed = False
            for grade_id in list(chosen):
                if any(dep not in chosen for dep in self.items[grade_id].depends_on):
                    chosen.discard(grade_id)
                    changed = True
        return chosen

    def score_of(self, solved: Iterable[str]) -> float:
        """The autograded score of a submission solving exactly ``solved`` (closed)."""
        return sum(self.items[g].points for g in self.closed(solved) if not self.items[g].manual)

    def submission(
        self, solved: Iterable[str] | None = None, wrong: Iterable[str] = ()
    ) -> nbformat.NotebookNode:
        """The release notebook with ``solved`` items answered (all when None), ``wrong``
        choice items answered wrongly, and every other item left as handed out."""
        solved_ids = set(self.items) if solved is None else self.closed(solved)
        wrong_ids = set(wrong) - solved_ids
        notebook = copy.deepcopy(self.release)
        for cell in notebook.cells:
            meta = nbgrader_meta(cell)
            if not meta.get("solution"):
                continue
            grade_id = meta["grade_id"]
            owner = grade_id if meta.get("grade") else grade_id.rsplit("_answer", 1)[0]
            if owner in solved_ids:
                if cell.cell_type == "markdown":
                    cell.source = DESIGN_ANSWER
                else:
                    cell.source = solved_source(self._source_cells[grade_id].source)
            elif owner in wrong_ids and cell.cell_type == "code":
                wrong = self.wrong_answer(owner, self._source_cells[grade_id].source)
                cell.source = cell.source if wrong is None else wrong
        return notebook

    def wrong_answer(self, item: str, source: str) -> str | None:
        """A well-formed wrong answer to a choice item (another letter); None for other items
        (they stay blank, as handed out)."""
        expectation = self.items[item].expectations[0]
        target = _assigned_name(solved_source(source))
        if target is None or self.items[item].kind not in ("choice", "choices"):
            return None
        right = expectation.expected
        letters = [letter for letter in "abcde" if letter not in right]
        wrong: Any = letters[0] if expectation.mode == "equals" else {letters[0]}
        return f"{target} = {wrong!r}"

    def answer_cell_index(self, notebook: nbformat.NotebookNode, item: str) -> int:
        for index, cell in enumerate(notebook.cells):
            if nbgrader_meta(cell).get("grade_id") == f"{item}_answer":
                return index
        raise KeyError(item)


def _assigned_name(source: str) -> str | None:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            return node.targets[0].id
    return None


# --- faults a class brings ------------------------------------------------------------------


def with_infinite_loop(quiz: Quiz, notebook: nbformat.NotebookNode, item: str) -> None:
    """Make the answer to ``item`` loop forever (until the per-cell time limit interrupts it)."""
    cell = notebook.cells[quiz.answer_cell_index(notebook, item)]
    cell.source = LOOP + cell.source


def without_cell(notebook: nbformat.NotebookNode, grade_id: str) -> None:
    """Delete a cell, as a learner might delete a test cell."""
    notebook.cells = [c for c in notebook.cells if nbgrader_meta(c).get("grade_id") != grade_id]


def with_edited_tests(notebook: nbformat.NotebookNode, grade_id: str) -> None:
    """Replace a test cell's code, as a learner might to make it pass."""
    for cell in notebook.cells:
        if nbgrader_meta(cell).get("grade_id") == grade_id:
            cell.source = "pass  # the tests are gone"


def write(notebook: nbformat.NotebookNode, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path


def demo_class(
    course: Course, quiz: str, destination: Path, students: int = 30, seed: int = 0
) -> dict[str, float]:
    """Write a class of ``students`` submissions (``<student_id>.ipynb``) into ``destination``
    and return each student's expected autograded score.

    About a third solve everything, a few hand in the release blank, the rest solve a random
    set of items and answer some choice items wrongly."""
    if not course.release_notebook(quiz).exists():
        raise FileNotFoundError(f"no release of {quiz}: run `make release` first")
    model = Quiz(course, quiz)
    rng = random.Random(f"{quiz}:{seed}")
    expected = {}
    item_ids = sorted(model.items)
    for number in range(1, students + 1):
        student = f"student{number:03d}"
        if number % 3 == 1:
            solved: set[str] | None = None
        elif number % 10 == 0:
            solved = set()
        else:
            solved = {g for g in item_ids if rng.random() < 0.6}
        chosen = set(model.items) if solved is None else model.closed(solved)
        wrong = {g for g in item_ids if g not in chosen and model.items[g].kind == "choice"}
        write(model.submission(chosen, wrong), destination / f"{student}.ipynb")
        expected[student] = model.score_of(chosen)
    return expected
