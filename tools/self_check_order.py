"""Put each lesson self-check's key at a balanced position, deterministically.

Why: learners preparing for multiple-choice exams learn option positions as fast as facts —
in the first release the key of the lessons' self-checks sat at (b) in more than half of them.
This tool walks every `self_check_question(question, [options], answer=…)` in notebooks/ in
course order and moves each key to the position used least so far (ties broken by a hash of
the question, so the result never depends on a random seed); the distractors keep their
order, and an `answer=` index follows its option. Options that are all numbers keep the order
they were written in (ascending values read best). Running it twice changes nothing;
tests/course/test_self_check_balance.py checks that the committed notebooks are its output.

    python tools/self_check_order.py           # rewrite the notebooks
    python tools/self_check_order.py --check   # exit 1 if a notebook would change
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = REPO / "notebooks"
CALL = "self_check_question"
NUMBER = re.compile(r"^[\s~≈<>≤≥]*[-+]?[\d.,]+\s*[%\w/ ]{0,20}$")


@dataclass
class SelfCheck:
    notebook: str
    question: str
    options: list[str]
    key: int


def _calls(source: str) -> list[ast.Call]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == CALL
    ]


def _parts(call: ast.Call) -> tuple[ast.expr, ast.List | None, ast.expr | None]:
    keywords = {keyword.arg: keyword.value for keyword in call.keywords}
    question = call.args[0] if call.args else keywords["question"]
    options = call.args[1] if len(call.args) > 1 else keywords.get("options")
    answer = call.args[2] if len(call.args) > 2 else keywords.get("answer")
    return question, options if isinstance(options, ast.List) else None, answer


def _key_index(options: list[str], answer: object) -> int:
    return answer if isinstance(answer, int) else options.index(answer)


def self_checks(notebook_dir: Path = NOTEBOOK_DIR) -> list[SelfCheck]:
    """Every literal self-check in the lessons, in course order."""
    import nbformat

    found = []
    for path in sorted(notebook_dir.glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        for cell in notebook.cells:
            if cell.cell_type != "code" or CALL not in cell.source:
                continue
            for call in _calls(cell.source):
                question, options, answer = _parts(call)
                if options is None or answer is None:
                    continue
                texts = [ast.literal_eval(element) for element in options.elts]
                key = _key_index(texts, ast.literal_eval(answer))
                found.append(SelfCheck(path.name, ast.literal_eval(question), texts, key))
    return found


def keeps_its_order(options: list[str]) -> bool:
    return all(NUMBER.match(option) for option in options)


def _target(check_id: str, size: int, used: Counter) -> int:
    fewest = min(used[position] for position in range(size))
    candidates = [position for position in range(size) if used[position] == fewest]
    digest = int(hashlib.sha256(check_id.encode()).hexdigest(), 16)
    return candidates[digest % len(candidates)]


def _offset(lines: list[str], line: int, column: int) -> int:
    """Character offset of an ast (1-based line, utf-8 byte column) position in the source."""
    before = sum(len(text) for text in lines[: line - 1])
    return before + len(lines[line - 1].encode()[:column].decode())


def _reordered_source(source: str, notebook: str, used: Counter) -> str:
    lines = source.splitlines(keepends=True)
    edits: list[tuple[int, int, str]] = []
    for call in sorted(_calls(source), key=lambda node: (node.lineno, node.col_offset)):
        question, options, answer = _parts(call)
        if options is None or answer is None:
            continue
        texts = [ast.literal_eval(element) for element in options.elts]
        answer_value = ast.literal_eval(answer)
        key = _key_index(texts, answer_value)
        if keeps_its_order(texts):
            used[key] += 1
            continue
        target = _target(f"{notebook}\n{ast.literal_eval(question)}", len(texts), used)
        used[target] += 1
        segments = [ast.get_source_segment(source, element) for element in options.elts]
        order = [i for i in range(len(texts)) if i != key]
        order.insert(target, key)
        for position, element in enumerate(options.elts):
            start = _offset(lines, element.lineno, element.col_offset)
            end = _offset(lines, element.end_lineno, element.end_col_offset)
            edits.append((start, end, segments[order[position]]))
        if isinstance(answer_value, int):
            start = _offset(lines, answer.lineno, answer.col_offset)
            end = _offset(lines, answer.end_lineno, answer.end_col_offset)
            edits.append((start, end, str(target)))
    for start, end, text in sorted(edits, reverse=True):
        source = source[:start] + text + source[end:]
    return source


def reorder(notebook_dir: Path = NOTEBOOK_DIR, write: bool = True) -> list[Path]:
    """Balance every lesson's self-checks; return the notebooks that changed (or would)."""
    import nbformat

    used: Counter = Counter()
    changed = []
    for path in sorted(notebook_dir.glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        touched = False
        for cell in notebook.cells:
            if cell.cell_type != "code" or CALL not in cell.source:
                continue
            new = _reordered_source(cell.source, path.name, used)
            if new != cell.source:
                cell.source = new
                touched = True
        if touched:
            changed.append(path)
            if write:
                nbformat.write(notebook, path)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if needed")
    args = parser.parse_args(argv)
    changed = reorder(write=not args.check)
    for path in changed:
        print(f"{'would reorder' if args.check else 'reordered'}: {path.relative_to(REPO)}")
    checks = self_checks()
    positions = Counter(check.key for check in checks)
    print(
        f"{len(checks)} self-checks; key positions "
        + ", ".join(f"{'abcde'[p]} {positions[p]}" for p in sorted(positions))
    )
    return 1 if args.check and changed else 0


if __name__ == "__main__":
    sys.exit(main())
