"""The nbgrader course: quizzes/ is the course root (run nbgrader from this folder).

The one home of the course's grading settings: `make release` / `make grade`, the formgrader in
`make lab` (through ../nbgrader_config.py) and a plain `nbgrader …` run here all read this file.
"""

import os

c = get_config()  # noqa: F821 (provided by traitlets when nbgrader loads this file)
here = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.course_id = "kinesis-course"
c.CourseDirectory.root = here

# The exchange: repo-local by default (nbgrader's /usr/local/share/nbgrader/exchange is not
# writable); a class JupyterHub sets KINESIS_COURSE_EXCHANGE to its shared exchange folder.
c.Exchange.root = os.environ.get("KINESIS_COURSE_EXCHANGE") or os.path.join(
    os.path.dirname(here), ".exchange"
)

# Execution while grading: a per-cell limit (a stuck cell is interrupted and scores 0; the
# other cells still run), and the kernel the quizzes are written for.
c.Execute.timeout = 60
c.Execute.startup_timeout = 120
c.Execute.interrupt_on_timeout = True

# Grading a submission: test cells (and read-only cells) always come from the instructor's
# version — edited ones are overwritten and deleted ones are put back before anything runs.
c.OverwriteCells.add_missing_cells = True
c.Autograde.create_student = True

# Rubrics live in the read-only question cell of each design answer, between
# "=== BEGIN MARK SCHEME ===" and "=== END MARK SCHEME ===": removed from the release, shown
# to the grader in the formgrader (read-only cells are restored from the source), removed again
# from feedback.
c.ClearMarkScheme.enforce_metadata = False

# Feedback hands back the learner's notebook with scores, but never the hidden tests, the
# rubrics, or tracebacks that quote hidden test code.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbgrader.preprocessors.ClearMarkScheme",
    "kinesis_grader.preprocessors.HideTestTracebacks",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
