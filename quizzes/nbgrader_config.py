"""The nbgrader course: quizzes/ is the course root (run nbgrader from this folder)."""

import os

c = get_config()  # noqa: F821 (provided by traitlets when nbgrader loads this file)
here = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.course_id = "kinesis-course"
c.CourseDirectory.root = here
# A repo-local exchange: nbgrader's default (/usr/local/share/nbgrader/exchange) is unwritable.
c.Exchange.root = os.path.join(os.path.dirname(here), ".exchange")
