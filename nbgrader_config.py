"""nbgrader settings for a JupyterLab started at the repository root (`make lab`).

The course lives in quizzes/ (its own nbgrader_config.py is the one home of the course
settings); this file only points a server started here at it.
"""

import os

c = get_config()  # noqa: F821 (provided by traitlets when nbgrader loads this file)
here = os.path.dirname(os.path.abspath(__file__))
load_subconfig(os.path.join(here, "quizzes", "nbgrader_config.py"))  # noqa: F821
c.CourseDirectory.root = os.path.join(here, "quizzes")
