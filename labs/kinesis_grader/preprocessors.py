"""nbconvert preprocessors the course's nbgrader configuration names (by import path)."""

from __future__ import annotations

from typing import Any

from nbconvert.preprocessors import Preprocessor
from nbformat import NotebookNode
from nbgrader import utils

from kinesis_lab.quiz.check import PASS_MARK

# Errors whose message helps a learner and cannot quote hidden test code or inputs.
SHOWN_ERRORS = frozenset(
    {"CheckFailed", "NameError", "NotImplementedError", "CellTimeoutError", "KeyboardInterrupt"}
)
HIDDEN_DETAIL = "raised while the tests ran (details are not shown in feedback)"


class HideTestTracebacks(Preprocessor):
    """Reduce the outputs of test cells to what a learner may see in feedback.

    Why: a failing hidden test prints a traceback that quotes the hidden test's source (with
    its expected value), and a learner's function called on hidden inputs may print them.
    In test cells (graded, not answers) this keeps the ✓ lines of passed checks and, for an
    error, only its name and — for errors known to be safe — its message.
    """

    enabled = True  # nbconvert preprocessors are off unless enabled

    def preprocess_cell(
        self, cell: NotebookNode, resources: dict[str, Any], index: int
    ) -> tuple[NotebookNode, dict[str, Any]]:
        if cell.cell_type != "code" or not utils.is_grade(cell) or utils.is_solution(cell):
            return cell, resources
        kept = []
        for output in cell.get("outputs", []):
            if output.output_type == "stream" and output.name == "stdout":
                lines = [line for line in output.text.splitlines() if line.startswith(PASS_MARK)]
                if lines:
                    kept.append(
                        NotebookNode(
                            output_type="stream", name="stdout", text="\n".join(lines) + "\n"
                        )
                    )
            elif output.output_type == "error":
                detail = output.evalue if output.ename in SHOWN_ERRORS else HIDDEN_DETAIL
                kept.append(
                    NotebookNode(
                        output_type="error",
                        ename=output.ename,
                        evalue=detail,
                        traceback=[f"{output.ename}: {detail}"],
                    )
                )
        cell.outputs = kept
        return cell, resources
