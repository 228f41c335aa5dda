"""Run every lesson with the reference answers of its "Your turn" cells filled in (`make exercises`).

An exercise cell carries notebook metadata naming the exercise and the AWS operations the
learner writes in it::

    "kinesis_lab": {"exercise": "m03-retry", "writes": ["kinesis.put_records"]}

and the cells that check it say so: ``"kinesis_lab": {"checks": ["m03-retry"]}`` (an exercise
whose check is inline needs no check cell). Reference answers live outside the learner's
material, in ``tests/exercise_answers/<notebook stem>.py``: one ``# %% <exercise id>`` section
per exercise, whose code replaces the exercise cell when the lesson runs here.

For each lesson the runner executes the notebook in a fresh kernel, answers filled in, and
records with a botocore ``before-call`` hook (tools/exercise_recorder.py, loaded into the
kernel by the runner, never by the lesson) which AWS operations each exercise cell called
itself. An exercise passes when its cells raise nothing, its checks print a ✓ and no ✗ or
"not yet", and every operation its metadata names was called from the cell. One line per
lesson::

    03_producers: 5 exercises, 2 write AWS calls, all checks pass

(E exercises, A of them write AWS calls). Exits 1 if any exercise fails. ``--blank`` runs the
lessons as learners get them instead (the checks must then say "not yet", without errors).

    python tools/run_exercises.py                     # every lesson
    python tools/run_exercises.py 03_producers --blank
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
from execute_lessons import lesson_client  # noqa: E402  (tools/ is not a package)

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = REPO / "notebooks"
ANSWER_DIR = REPO / "tests" / "exercise_answers"
RECORDER = Path(__file__).resolve().parent / "exercise_recorder.py"
LESSON_GLOB = "[0-9][0-9]_*.ipynb"
METADATA_KEY = "kinesis_lab"
CELL_TIMEOUT_SECONDS = 120
SECTION = re.compile(r"^# %% (?P<id>[a-z0-9][a-z0-9-]*)\s*$", re.MULTILINE)
RECORD_PREFIX = "KINESIS-LAB-EXERCISE-RECORD "
FAIL_MARK = "✗"
PASS_MARK = "✓"
NOT_YET = re.compile(r"not yet", re.IGNORECASE)


# --- what the notebooks and the answer files say ------------------------------------------------


@dataclass(frozen=True)
class Exercise:
    id: str
    writes: tuple[str, ...]
    cell_index: int
    check_indexes: tuple[int, ...]


def lesson_paths(notebook_dir: Path = NOTEBOOK_DIR) -> list[Path]:
    return sorted(notebook_dir.glob(LESSON_GLOB))


def _as_list(value) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def exercises_in(notebook: nbformat.NotebookNode) -> list[Exercise]:
    """The exercise cells of a notebook, in order, with the cells that check each."""
    checks: dict[str, list[int]] = {}
    for index, cell in enumerate(notebook.cells):
        for exercise_id in _as_list(cell.metadata.get(METADATA_KEY, {}).get("checks")):
            checks.setdefault(exercise_id, []).append(index)
    found = []
    for index, cell in enumerate(notebook.cells):
        meta = cell.metadata.get(METADATA_KEY, {})
        if "exercise" in meta:
            if cell.cell_type != "code":
                raise ValueError(f"exercise {meta['exercise']!r} is on a {cell.cell_type} cell")
            found.append(
                Exercise(
                    meta["exercise"],
                    tuple(meta.get("writes", ())),
                    index,
                    tuple(checks.get(meta["exercise"], ())),
                )
            )
    return found


def answer_path(stem: str) -> Path:
    return ANSWER_DIR / f"{stem}.py"


def read_answers(path: Path) -> dict[str, str]:
    """``# %% <id>`` sections of an answer file → the code of each (the header is skipped)."""
    text = path.read_text(encoding="utf-8")
    matches = list(SECTION.finditer(text))
    answers = {}
    for number, match in enumerate(matches):
        end = matches[number + 1].start() if number + 1 < len(matches) else len(text)
        if match["id"] in answers:
            raise ValueError(f"{path.name}: two answers for {match['id']!r}")
        answers[match["id"]] = text[match.end() : end].strip("\n") + "\n"
    return answers


# --- running a lesson ---------------------------------------------------------------------------


@dataclass
class ExerciseResult:
    id: str
    writes: tuple[str, ...]
    direct: list[str] = field(default_factory=list)  # operations the cell itself called
    indirect: list[str] = field(default_factory=list)  # called by other code during the cell
    output: str = ""  # what the exercise cell and its check cells printed
    errors: list[str] = field(default_factory=list)

    @property
    def missing_calls(self) -> list[str]:
        return [op for op in self.writes if op not in self.direct]

    def problems(self, blank: bool) -> list[str]:
        found = list(self.errors)
        if blank:
            if not NOT_YET.search(self.output):
                found.append('its checks do not say "not yet"')
            return found
        for line in self.output.splitlines():
            if FAIL_MARK in line or NOT_YET.search(line):
                found.append(f"check says {line.strip()!r}")
        if PASS_MARK not in self.output:
            found.append("no check printed ✓")
        found += [f"{op} is not called from the cell" for op in self.missing_calls]
        return found


@dataclass
class LessonResult:
    stem: str
    exercises: list[ExerciseResult]
    seconds: float  # the first pass
    blank: bool
    lesson_errors: list[str] = field(default_factory=list)  # errors outside exercise cells
    pass_seconds: list[float] = field(default_factory=list)  # every pass, kernel start excluded

    @property
    def ok(self) -> bool:
        return not self.lesson_errors and not any(e.problems(self.blank) for e in self.exercises)

    def line(self) -> str:
        writing = sum(1 for e in self.exercises if e.writes)
        head = f"{self.stem}: {len(self.exercises)} exercises, {writing} write AWS calls"
        if not self.exercises:
            return f"{head}, nothing to check (no exercise cells)"
        if self.ok:
            return head + (", all blank checks say not yet" if self.blank else ", all checks pass")
        problems = [f"{e.id}: {p}" for e in self.exercises for p in e.problems(self.blank)]
        return f"{head}, FAILED — " + "; ".join(self.lesson_errors + problems)


def _code_cell(source: str) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata[METADATA_KEY] = {"runner": True}
    return cell


def _cell_text(cell: nbformat.NotebookNode) -> str:
    parts = []
    for output in cell.get("outputs", []):
        if output.output_type == "stream":
            parts.append(output.text)
        elif output.output_type in ("display_data", "execute_result"):
            parts.append(output.get("data", {}).get("text/plain", ""))
    return "".join(parts)


def _cell_errors(cell: nbformat.NotebookNode) -> list[str]:
    found = []
    for output in cell.get("outputs", []):
        if output.output_type == "error":
            found.append(f"{output.ename}: {output.evalue}")
        elif output.output_type == "stream" and output.name == "stderr":
            if "Traceback" in output.text:
                found.append(f"traceback on stderr: {output.text[-300:]}")
    return found


def blank_problems(executed: nbformat.NotebookNode) -> list[str]:
    """What is wrong in a lesson executed as learners get it: a check that does not say "not yet".

    tests/course/test_notebooks.py runs every lesson blank anyway (tools/execute_lessons.py); this
    reads that run's outputs, so the blank side of every exercise costs no run of its own.
    """
    found = []
    for exercise in exercises_in(executed):
        own = [exercise.cell_index, *exercise.check_indexes]
        text = "".join(_cell_text(executed.cells[index]) for index in own)
        if not NOT_YET.search(text):
            found.append(f'{exercise.id}: its checks do not say "not yet"')
    return found


def skeleton_calls(notebook: nbformat.NotebookNode) -> dict[str, list[str]]:
    """Exercise id → named operations its blank skeleton already calls (read, not run).

    A call counts when the cell's code calls a method of that name (``x.put_records(...)``):
    the skeleton must leave the taught call to the learner.
    """
    import ast

    from botocore import xform_name

    found = {}
    for exercise in exercises_in(notebook):
        try:
            tree = ast.parse(notebook.cells[exercise.cell_index].source)
        except SyntaxError:
            continue
        called = {
            node.func.attr
            for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        }
        made = [op for op in exercise.writes if xform_name(op.split(".", 1)[1]) in called]
        if made:
            found[exercise.id] = made
    return found


def run_lesson(
    path: Path, blank: bool = False, answer_dir: Path = ANSWER_DIR, reruns: int = 0
) -> LessonResult:
    """Run one lesson, answers filled in (or blank), recording each exercise cell's calls.

    With ``reruns`` the lesson then runs again in the same kernel (tests/course/test_exercises.py
    does: the answered lesson re-run is where "already exists" breaks); problems of a later
    pass are reported with its name, calls are read from the first pass."""
    notebook = nbformat.read(path, as_version=4)
    exercises = exercises_in(notebook)
    if not exercises:
        return LessonResult(path.stem, [], 0.0, blank)
    answers = {} if blank else read_answers(answer_dir / f"{path.stem}.py")
    missing = [e.id for e in exercises if e.id not in answers and not blank]
    if missing:
        raise ValueError(f"{path.stem}: no reference answer for {', '.join(missing)}")

    # The notebook as run: the recorder loaded first, and around each exercise cell a cell
    # that starts recording and one that prints what was recorded.
    # Loaded once per kernel: a re-run keeps the recorder whose hook is installed.
    loader = (
        "if '_kinesis_lab_exercise_recorder' not in globals():\n"
        "    import importlib.util as _u\n"
        f"    _spec = _u.spec_from_file_location('_kinesis_lab_exercise_recorder', {str(RECORDER)!r})\n"
        "    _kinesis_lab_exercise_recorder = _u.module_from_spec(_spec)\n"
        "    _spec.loader.exec_module(_kinesis_lab_exercise_recorder)\n"
        "    del _u, _spec"
    )
    cells = [_code_cell(loader)]
    positions: dict[int, int] = {}  # notebook cell index → index in the run
    records: dict[str, int] = {}  # exercise id → index of its "print the record" cell
    by_index = {e.cell_index: e for e in exercises}
    for index, cell in enumerate(notebook.cells):
        exercise = by_index.get(index)
        if exercise is not None:
            cells.append(_code_cell(f"_kinesis_lab_exercise_recorder.start({exercise.id!r})"))
            if not blank:
                cell = nbformat.from_dict({**cell, "source": answers[exercise.id]})
        positions[index] = len(cells)
        cells.append(cell)
        if exercise is not None:
            records[exercise.id] = len(cells)
            cells.append(
                _code_cell(
                    "import json as _json\n"
                    f"print({RECORD_PREFIX!r} + "
                    "_json.dumps(_kinesis_lab_exercise_recorder.stop()))"
                )
            )
    run = nbformat.v4.new_notebook(cells=cells, metadata=notebook.metadata)

    passes: list[tuple[list[ExerciseResult], list[str]]] = []
    seconds: list[float] = []
    with lesson_client(run, path.parent, timeout=CELL_TIMEOUT_SECONDS) as client:
        with client.setup_kernel():
            for _ in range(1 + reruns):
                started = time.monotonic()
                for index, cell in enumerate(run.cells):
                    if cell.cell_type == "code":
                        cell.outputs = []
                        client.execute_cell(cell, index)
                seconds.append(time.monotonic() - started)
                passes.append(_read_pass(run, exercises, positions, records))
    results, lesson_errors = passes[0]
    for again, (later, later_errors) in enumerate(passes[1:], 1):
        # Run again in the same kernel, as a learner re-running the lesson would: what
        # breaks only then ("stream already exists") counts, labelled with its pass.
        label = "run again" if again == 1 else f"run {again + 1}"
        lesson_errors += [f"{label}: {error}" for error in later_errors]
        for result, result_again in zip(results, later, strict=True):
            result.errors += [f"{label}: {p}" for p in result_again.problems(blank)]
    return LessonResult(path.stem, results, seconds[0], blank, lesson_errors, seconds)


def _read_pass(
    run: nbformat.NotebookNode,
    exercises: list[Exercise],
    positions: dict[int, int],
    records: dict[str, int],
) -> tuple[list[ExerciseResult], list[str]]:
    """One pass's outcome: each exercise's output, errors and recorded calls; other errors."""
    results = []
    exercise_cells = set()
    for exercise in exercises:
        result = ExerciseResult(exercise.id, exercise.writes)
        own = [positions[exercise.cell_index]] + [positions[i] for i in exercise.check_indexes]
        exercise_cells.update(own)
        for position in own:
            result.output += _cell_text(run.cells[position])
            result.errors += _cell_errors(run.cells[position])
        record_text = _cell_text(run.cells[records[exercise.id]])
        for line in record_text.splitlines():
            if line.startswith(RECORD_PREFIX):
                record = json.loads(line[len(RECORD_PREFIX) :])
                result.direct, result.indirect = record["direct"], record["indirect"]
        results.append(result)
    lesson_errors = [
        f"cell {cell.get('id', position)}: {problem}"
        for position, cell in enumerate(run.cells)
        if position not in exercise_cells
        for problem in _cell_errors(cell)
    ]
    return results, lesson_errors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lessons", nargs="*", help="notebook stems (default: every lesson)")
    parser.add_argument("--blank", action="store_true", help="run as learners get them")
    parser.add_argument("--times", action="store_true", help="print each lesson's run time")
    args = parser.parse_args(argv)
    paths = lesson_paths()
    if args.lessons:
        wanted = set(args.lessons)
        paths = [p for p in paths if p.stem in wanted]
        unknown = wanted - {p.stem for p in paths}
        if unknown:
            parser.error(f"no such lesson: {', '.join(sorted(unknown))}")
    failed = False
    for path in paths:
        result = run_lesson(path, blank=args.blank)
        timing = f"  [{result.seconds:.1f} s]" if args.times and result.exercises else ""
        print(result.line() + timing, flush=True)
        failed |= not result.ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
