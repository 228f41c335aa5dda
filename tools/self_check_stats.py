"""How often a lesson's self-check keys its longest option (issue 12, item 4: test-wise guessing).

Reads every ``self_check_question(question, [options...], answer=..., explanation=...)`` call in
the lessons' code cells (with ``ast``: the options and the answer must be literals) and prints, per
notebook and in total: the number of self-checks, how many key the strictly longest option, and the
key's length divided by the longest other option's (the largest such ratio, and the mean). A
learner who always picks the longest option should not do much better than chance: the goal is
the key strictly the longest in at most 40 % of the self-checks, and no key conspicuously longer
than its distractors.

    python tools/self_check_stats.py                 # every lesson
    python tools/self_check_stats.py notebooks/02_capacity.ipynb --list   # and each check
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = REPO / "notebooks"
LESSON_GLOB = "[0-9][0-9]_*.ipynb"


@dataclass(frozen=True)
class SelfCheck:
    notebook: str
    question: str
    options: tuple[str, ...]
    key: int

    @property
    def key_is_longest(self) -> bool:
        """The key is strictly longer than every other option."""
        key = len(self.options[self.key])
        return all(key > len(o) for i, o in enumerate(self.options) if i != self.key)

    @property
    def ratio(self) -> float:
        """Key length / length of the longest other option."""
        others = max(len(o) for i, o in enumerate(self.options) if i != self.key)
        return len(self.options[self.key]) / others


def _call_name(node: ast.Call) -> str:
    func = node.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")


def self_checks(path: Path) -> list[SelfCheck]:
    """The self-checks of one notebook, in cell order."""
    found = []
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "code" or "self_check_question(" not in cell.source:
            continue
        for node in ast.walk(ast.parse(cell.source)):
            if not (isinstance(node, ast.Call) and _call_name(node) == "self_check_question"):
                continue
            args = {kw.arg: kw.value for kw in node.keywords}
            names = ["question", "options", "answer", "explanation"]
            args.update(dict(zip(names, node.args, strict=False)))
            question = ast.literal_eval(args["question"])
            options = tuple(ast.literal_eval(args["options"]))
            answer = ast.literal_eval(args["answer"])
            key = answer if isinstance(answer, int) else options.index(answer)
            found.append(SelfCheck(path.stem, question, options, key))
    return found


def summary(checks: list[SelfCheck]) -> str:
    if not checks:
        return "0 self-checks"
    longest = sum(c.key_is_longest for c in checks)
    ratios = [c.ratio for c in checks]
    return (
        f"{len(checks):3d} checks, key longest {longest:3d} ({100 * longest / len(checks):3.0f} %),"
        f" ratio max {max(ratios):.2f} mean {sum(ratios) / len(ratios):.2f}"
    )


def main(argv: list[str]) -> int:
    listing = "--list" in argv
    paths = [Path(a) for a in argv if not a.startswith("--")] or sorted(
        NOTEBOOK_DIR.glob(LESSON_GLOB)
    )
    everything: list[SelfCheck] = []
    for path in paths:
        checks = self_checks(path)
        everything += checks
        print(f"{path.stem:46} {summary(checks)}")
        if listing:
            for n, c in enumerate(checks, 1):
                mark = "LONGEST" if c.key_is_longest else ""
                lengths = "/".join(str(len(o)) for o in c.options)
                print(f"    #{n:2d} key {c.key} ratio {c.ratio:.2f} [{lengths}] {mark}")
    print(f"{'TOTAL':46} {summary(everything)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
