"""The observer: a second kernel that runs a quiz's pure observations of the mocked account.

Why: a hands-on item's hidden test often only looks at the account (``stream_facts(kinesis,
STREAM)`` and an ``expect``). Run in the learner's kernel, that look is only as honest as the
kernel: a learner who patches ``stream_facts`` or ``expect`` there decides what it reports. With
the account in its own process (:mod:`.account_process`), the grader runs such a cell in a
kernel of its own instead — one that never runs a line of learner code — at the cell's place in
the notebook, against the same account; the cell's outputs (its check records) in the graded
notebook are the observer's, and the learner's kernel never runs it.

Which cells: test cells whose ``metadata.kinesis_quiz.observe`` is ``"account"`` (the author
says the cell reads the account and nothing the learner defined). What they may use: their own
imports and the quiz's *given constants* — the literal assignments (``STREAM = "a01-…"``) of the
read-only given cells above them, taken from the instructor's source and run in the observer
first. Only literals are taken: a given cell may also build data or switch the lab clock, which
an observer must not do twice.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

import nbformat

from .authoring import nbgrader_meta

OBSERVE_KEY = "observe"
OBSERVE_ACCOUNT = "account"


@dataclass(frozen=True)
class AccountPlan:
    """Grade with the account in its own process; ``observed``: rebuilt cell index → the given
    constants (Python source) the observer runs before that cell."""

    observed: dict[int, str] = field(default_factory=dict)


def observes_account(cell: Any) -> bool:
    return cell.get("metadata", {}).get("kinesis_quiz", {}).get(OBSERVE_KEY) == OBSERVE_ACCOUNT


def literal_constants(source: str) -> list[str]:
    """The top-level assignments of literals in ``source`` (``A = 1``, ``A, B = "x", 2``)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    found = []
    for node in tree.body:
        if not isinstance(node, ast.Assign) or not all(_names_only(t) for t in node.targets):
            continue
        try:
            ast.literal_eval(node.value)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            continue
        found.append(ast.unparse(node))
    return found


def assigned_names(assignments: list[str]) -> set[str]:
    """The names ``literal_constants``' assignments define."""
    return {
        node.id
        for line in assignments
        for node in ast.walk(ast.parse(line))
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)
    }


def names_it_needs(source: str) -> set[str]:
    """Names a cell reads but neither binds nor gets from Python's built-ins (coarse: a name
    bound anywhere in the cell counts as bound)."""
    import builtins

    tree = ast.parse(source)
    bound: set[str] = set()
    read: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (read if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            bound |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
    return read - bound - set(dir(builtins))


def _names_only(target: ast.expr) -> bool:
    if isinstance(target, ast.Name):
        return True
    return isinstance(target, ast.Tuple | ast.List) and all(_names_only(e) for e in target.elts)


def account_plan(source: Any, rebuilt: Any) -> AccountPlan:
    """Which cells of the rebuilt notebook the observer runs, each with its constants."""
    by_grade_id = {
        cell.metadata.get("kgrader", {}).get("grade_id"): index
        for index, cell in enumerate(rebuilt.notebook.cells)
    }
    constants: list[str] = []
    observed: dict[int, str] = {}
    for cell in source.cells:
        if cell.cell_type != "code":
            continue
        meta = nbgrader_meta(cell)
        if not meta.get("grade") and not meta.get("solution"):
            constants += literal_constants(cell.source)  # a read-only given cell
        elif meta.get("grade") and observes_account(cell):
            observed[by_grade_id[meta["grade_id"]]] = "\n".join(constants)
    return AccountPlan(observed)


class Observer:
    """Runs the observed cells in its own kernel (``client``: an nbclient client whose kernel
    has the account's socket and no learner code)."""

    def __init__(self, client: Any, plan: AccountPlan) -> None:
        self.client = client
        self.plan = plan

    def observes(self, index: int) -> bool:
        return index in self.plan.observed

    async def run(self, cell: Any, index: int, timeout: int) -> Any:
        """Run the given constants, then a copy of ``cell``; return the executed copy."""
        self.client.timeout = timeout
        constants = self.plan.observed[index]
        if constants:
            await self.client.async_execute_cell(nbformat.v4.new_code_cell(constants), index)
        observed = nbformat.from_dict(cell)
        observed.outputs = []
        return await self.client.async_execute_cell(observed, index)
