"""The authoring rules of a quiz notebook, read from its source without running it.

A quiz item is one graded cell: an autograder test cell (code) or a design answer (markdown,
graded by hand). The rules, which ``python -m kinesis_grader check`` and the tests enforce:

- every graded cell carries ``metadata.kinesis_quiz``: ``module`` (M0–M12), ``exams`` (exam
  codes), ``kind`` (choice, choices, calculation, code, hands-on, design) and, optionally,
  ``depends_on`` (grade_ids of items whose answers this one builds on), and ``observe``:
  ``"account"`` on a test cell that only observes the mocked account — it may use its own
  imports and the given cells' literal constants, nothing the learner defined, because
  ``grade --account-process`` runs it in an observer kernel (:mod:`.observer`);
- an item's answer cells are the solution cells named ``<item>_answer`` (or
  ``<item>_answer_<n>``); every solution region holds ``CANARY-SOLUTION-<item>``;
- a test cell decides only through ``kinesis_lab.quiz.check``: ``expect_format`` in the visible
  part, ``expect`` with an expectation in the hidden part (which holds
  ``CANARY-HIDDEN-<item>``); no ``assert``/``raise``; check ids are ``<item>`` or
  ``<item>:<case>``;
- expected values appear only as literal keyword arguments (``equals=``, ``close_to=``/``tol=``,
  ``one_of=``, ``same_items=``) of ``expect`` calls inside hidden regions — so a grader can read
  them here (:func:`expectations`) and strip them before a notebook runs
  (:func:`strip_expectations`);
- a design question's rubric sits in its read-only question cell between
  ``=== BEGIN MARK SCHEME ===`` and ``=== END MARK SCHEME ===`` (with ``CANARY-RUBRIC-<item>``).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Any

from kinesis_lab.quiz.check import EXPECTATION_KEYWORDS, TOLERANCE_KEYWORDS

HIDDEN_BEGIN = "BEGIN HIDDEN TESTS"
HIDDEN_END = "END HIDDEN TESTS"
SOLUTION_BEGIN = "BEGIN SOLUTION"
SOLUTION_END = "END SOLUTION"
MARK_SCHEME_BEGIN = "BEGIN MARK SCHEME"
MODULES = tuple(f"M{n}" for n in range(13))
EXAMS = ("CLF-C02", "SAA-C03", "DVA-C02", "DEA-C01")
KINDS = ("choice", "choices", "calculation", "code", "hands-on", "design")
CHECK_FUNCTIONS = ("expect", "expect_format")


class AuthoringError(ValueError):
    """A quiz cell that breaks the authoring rules (the message says which and where)."""


@dataclass(frozen=True)
class Expectation:
    """One decision of a hidden test: what ``expect(check_id, …)`` compares against."""

    item: str
    check_id: str
    mode: str | None
    expected: Any
    tol: float | None
    line: int


@dataclass
class Item:
    """One graded cell of a quiz."""

    grade_id: str
    points: float
    kind: str
    module: str
    exams: list[str]
    manual: bool
    depends_on: list[str] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)
    expectations: list[Expectation] = field(default_factory=list)


def nbgrader_meta(cell: Any) -> dict[str, Any]:
    return dict(cell.get("metadata", {}).get("nbgrader", {}))


def region_lines(source: str, begin: str, end: str) -> set[int]:
    """1-based numbers of the lines strictly between ``begin`` and ``end`` markers."""
    inside, lines = False, set()
    for number, line in enumerate(source.split("\n"), start=1):
        if begin in line:
            inside = True
        elif end in line:
            inside = False
        elif inside:
            lines.add(number)
    return lines


def _check_name(call: ast.Call) -> str | None:
    func = call.func
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
    return name if name in CHECK_FUNCTIONS else None


def cell_expectations(source: str, item: str) -> list[Expectation]:
    """The expectations of one test cell, after checking the cell against the rules."""
    where = f"test cell {item}"
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        raise AuthoringError(
            f"{where}: not valid Python ({error.msg}, line {error.lineno})"
        ) from None
    hidden = region_lines(source, HIDDEN_BEGIN, HIDDEN_END)
    if not hidden:
        raise AuthoringError(f"{where}: no hidden test region")
    found: list[Expectation] = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assert, ast.Raise)):
            raise AuthoringError(
                f"{where}, line {node.lineno}: decide through expect(), not assert/raise"
            )
        if not isinstance(node, ast.Call) or _check_name(node) is None:
            continue
        name = _check_name(node)
        if not node.args or not isinstance(node.args[0], ast.Constant):
            raise AuthoringError(f"{where}, line {node.lineno}: the check id must be a literal")
        check_id = node.args[0].value
        if not isinstance(check_id, str) or check_id.split(":")[0] != item:
            raise AuthoringError(
                f"{where}, line {node.lineno}: check id {check_id!r} must be {item!r} "
                f"or {item + ':<case>'!r}"
            )
        keywords = {kw.arg: kw.value for kw in node.keywords if kw.arg}
        decisive = [key for key in keywords if key in EXPECTATION_KEYWORDS]
        if name == "expect_format" or not decisive:
            continue
        lines = set(range(node.lineno, (node.end_lineno or node.lineno) + 1))
        if not lines <= hidden:
            raise AuthoringError(
                f"{where}, line {node.lineno}: an expected value outside the hidden region"
            )
        values = {}
        for key in (*decisive, *(k for k in keywords if k in TOLERANCE_KEYWORDS)):
            try:
                values[key] = ast.literal_eval(keywords[key])
            except ValueError:
                raise AuthoringError(
                    f"{where}, line {node.lineno}: {key}= must be a literal value"
                ) from None
        if len(decisive) > 1:
            raise AuthoringError(f"{where}, line {node.lineno}: more than one expectation")
        mode = decisive[0]
        found.append(
            Expectation(item, check_id, mode, values[mode], values.get("tol"), node.lineno)
        )
    if not found:
        raise AuthoringError(f"{where}: no expect(...) with an expected value in the hidden region")
    ids = [e.check_id for e in found]
    if len(ids) != len(set(ids)):
        raise AuthoringError(f"{where}: the same check id is decided twice")
    return found


class _StripExpectations(ast.NodeTransformer):
    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        if _check_name(node) == "expect":
            hidden = (*EXPECTATION_KEYWORDS, *TOLERANCE_KEYWORDS, "hint")
            node.keywords = [kw for kw in node.keywords if kw.arg not in hidden]
        return node


def strip_expectations(source: str) -> str:
    """The test cell with every expected value removed: ``expect`` then only records values.

    What a trusted grader runs in the learner's kernel before deciding outside it (comments
    and layout are not kept)."""
    return ast.unparse(_StripExpectations().visit(ast.parse(source)))


def quiz_items(notebook: Any) -> list[Item]:
    """Every graded item of a source notebook, checked against the authoring rules."""
    from .observer import assigned_names, literal_constants

    items: list[Item] = []
    answers: dict[str, list[str]] = {}
    constants: set[str] = set()  # what the given cells so far define with literals
    cells = notebook["cells"]
    for cell in cells:
        meta = nbgrader_meta(cell)
        if cell["cell_type"] == "code" and not meta.get("grade") and not meta.get("solution"):
            constants |= assigned_names(literal_constants(cell["source"]))
        if not meta.get("grade"):
            if meta.get("solution"):
                grade_id = meta["grade_id"]
                owner = re.sub(r"_answer(_\d+)?$", "", grade_id)
                if owner == grade_id:
                    raise AuthoringError(f"answer cell {grade_id}: name it <item>_answer")
                answers.setdefault(owner, []).append(grade_id)
                if f"CANARY-SOLUTION-{owner}" not in cell["source"]:
                    raise AuthoringError(f"answer cell {grade_id}: no CANARY-SOLUTION-{owner}")
            continue
        grade_id = meta["grade_id"]
        tags = dict(cell.get("metadata", {}).get("kinesis_quiz", {}))
        where = f"graded cell {grade_id}"
        if tags.get("module") not in MODULES:
            raise AuthoringError(f"{where}: metadata kinesis_quiz.module must be one of M0–M12")
        exams = list(tags.get("exams", []))
        if not exams or any(code not in EXAMS for code in exams):
            raise AuthoringError(f"{where}: kinesis_quiz.exams must be codes from {EXAMS}")
        if tags.get("kind") not in KINDS:
            raise AuthoringError(f"{where}: kinesis_quiz.kind must be one of {KINDS}")
        manual = bool(meta.get("solution"))
        if "observe" in tags:
            _check_observation(cell, tags["observe"], manual, constants, where)
        item = Item(
            grade_id,
            float(meta["points"]),
            tags["kind"],
            tags["module"],
            exams,
            manual,
            list(tags.get("depends_on", [])),
        )
        if manual:
            if cell["cell_type"] != "markdown" or item.kind != "design":
                raise AuthoringError(f"{where}: a hand-graded item is a markdown design answer")
            if f"CANARY-SOLUTION-{grade_id}" not in cell["source"]:
                raise AuthoringError(f"{where}: no CANARY-SOLUTION-{grade_id} in the model answer")
        else:
            if f"CANARY-HIDDEN-{grade_id}" not in cell["source"]:
                raise AuthoringError(f"{where}: no CANARY-HIDDEN-{grade_id} in the hidden tests")
            item.expectations = cell_expectations(cell["source"], grade_id)
        items.append(item)
    by_id = {item.grade_id: item for item in items}
    for owner, names in answers.items():
        if owner not in by_id:
            raise AuthoringError(f"answer cells {names}: no graded item {owner}")
        by_id[owner].answers = names
    for item in items:
        unknown = [dep for dep in item.depends_on if dep not in by_id]
        if unknown:
            raise AuthoringError(f"graded cell {item.grade_id}: depends_on unknown {unknown}")
        if not item.manual and not item.answers:
            raise AuthoringError(f"graded cell {item.grade_id}: no {item.grade_id}_answer cell")
    rubrics = ""
    for cell in cells:
        if MARK_SCHEME_BEGIN in cell["source"]:
            meta = nbgrader_meta(cell)
            if not meta.get("locked") or meta.get("solution"):
                raise AuthoringError("a mark scheme must sit in a read-only (locked) cell")
            rubrics += cell["source"]
    for item in items:
        if item.manual and f"CANARY-RUBRIC-{item.grade_id}" not in rubrics:
            raise AuthoringError(
                f"design item {item.grade_id}: no mark scheme with CANARY-RUBRIC-{item.grade_id}"
            )
    return items


def _check_observation(
    cell: Any, observe: Any, manual: bool, constants: set[str], where: str
) -> None:
    """An observed cell must run in a kernel that has only its imports and the constants."""
    from .observer import OBSERVE_ACCOUNT, names_it_needs

    if observe != OBSERVE_ACCOUNT or manual:
        raise AuthoringError(
            f"{where}: kinesis_quiz.observe can only be {OBSERVE_ACCOUNT!r}, on a test cell"
        )
    foreign = names_it_needs(cell["source"]) - constants
    if foreign:
        raise AuthoringError(
            f"{where}: an observation may only use its imports and the given literal constants; "
            f"it reads {sorted(foreign)}"
        )


def expectations(notebook: Any) -> list[Expectation]:
    """Every expected value of a source notebook, in order (what a trusted grader compares)."""
    return [e for item in quiz_items(notebook) for e in item.expectations]
