"""Trusted grading figures (issue 6): the fault corpus's grading time per submission (median,
p95), the grader's peak memory while grading the output flood (aim: under 200 MB), and the
time to read one submission of each real quiz against the answer rules (median of 5 runs).

    sudo .venv/bin/python benchmarks/bench_trusted_grading.py
"""

from __future__ import annotations

import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "tests" / "grader"), str(REPO / "tests")]  # the corpus, its paths

import nbformat  # noqa: E402
from test_grader_corpus import CORPUS, LIMITS, QUIZ, source_notebook  # noqa: E402

from kinesis_grader.course import Course  # noqa: E402
from kinesis_grader.trusted import grade_quiz  # noqa: E402


def make_course(base: Path, names: list[str]) -> tuple[Course, Path]:
    course_dir = base / "quizzes"
    (course_dir / "source" / QUIZ).mkdir(parents=True)
    shutil.copy(REPO / "quizzes" / "nbgrader_config.py", course_dir / "nbgrader_config.py")
    nbformat.write(source_notebook(), course_dir / "source" / QUIZ / f"{QUIZ}.ipynb")
    download = base / "download"
    download.mkdir()
    for name in names:
        content = CORPUS[name][0]
        path = download / f"{name}.ipynb"
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            nbformat.write(content, path)
    return Course.at(course_dir), download


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def corpus_times() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        course, download = make_course(Path(scratch), sorted(CORPUS))
        outcome = grade_quiz(course, QUIZ, download, LIMITS, say=lambda _: None)
    times = [r["wall_seconds"] for r in outcome["results"].values() if "wall_seconds" in r]
    print(f"corpus: {len(CORPUS)} submissions graded in {outcome['seconds']:.1f} s")
    print(
        f"per submission: median {statistics.median(times):.2f} s, "
        f"p95 {percentile(times, 0.95):.2f} s, max {max(times):.2f} s"
    )


FLOOD_ONLY = textwrap.dedent(
    """
    import resource, sys, tempfile
    from pathlib import Path
    sys.path.insert(0, sys.argv[1])
    from bench_trusted_grading import make_course, QUIZ, LIMITS
    from kinesis_grader.trusted import grade_quiz
    with tempfile.TemporaryDirectory() as scratch:
        course, download = make_course(Path(scratch), ["output_flood"])
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        outcome = grade_quiz(course, QUIZ, download, LIMITS, say=lambda _: None)
    print(outcome["results"]["output_flood"]["status"], before,
          resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    """
)


def flood_memory() -> None:
    result = subprocess.run(
        [sys.executable, "-c", FLOOD_ONLY, str(REPO / "benchmarks")],
        capture_output=True,
        text=True,
        timeout=600,
    )
    status, before, peak = result.stdout.split()[-3:]
    print(
        f"output flood: {status}; grader peak RSS {int(peak) / 1024:.0f} MB "
        f"(before grading {int(before) / 1024:.0f} MB; aim < 200 MB)"
    )


def answer_rule_times() -> None:
    from kinesis_grader.rebuild import rebuild
    from kinesis_grader.review import answer_rule_breaks

    per_quiz = []
    for path in sorted((REPO / "quizzes" / "source").glob("*/*.ipynb")):
        source = nbformat.read(path, as_version=4)
        rebuilt = rebuild(source, source)  # the solutions as the submission
        answer_rule_breaks(source, rebuilt)  # warm: imports of the allowed modules
        runs = []
        for _ in range(5):
            started = time.perf_counter()
            answer_rule_breaks(source, rebuilt)
            runs.append(time.perf_counter() - started)
        per_quiz.append(statistics.median(runs))
    print(
        f"answer rules: {len(per_quiz)} quizzes, median {statistics.median(per_quiz) * 1e3:.1f} ms "
        f"per submission, slowest quiz {max(per_quiz) * 1e3:.1f} ms"
    )


if __name__ == "__main__":
    flood_memory()  # first, while this process is still small (a child inherits its peak RSS)
    answer_rule_times()
    corpus_times()
    print(
        f"(this process: peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB)"
    )
