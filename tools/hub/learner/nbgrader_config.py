"""A learner's nbgrader settings on the class hub (tools/hub/jupyterhub_config.py points
JUPYTER_CONFIG_PATH here): which course their Assignments tab shows, and where the exchange is.

The course id must be the one in quizzes/nbgrader_config.py (tests/course/test_jupyterhub_class.py
checks it); learners have no course folder, so nothing else of the instructor's is needed.
"""

import os

c = get_config()  # noqa: F821 (provided by traitlets when nbgrader loads this file)
c.CourseDirectory.course_id = "kinesis-course"
c.Exchange.root = os.environ.get("KINESIS_COURSE_EXCHANGE") or "/srv/nbgrader/exchange"
