"""kinesis_grader — the instructor's side of the course's graded quizzes (nbgrader).

Release every quiz, grade a learning platform's bulk download of submissions one student at a
time (progress, feedback, CSV export, a summary with a reason for every submission that could
not be graded), and check the quizzes' authoring rules. Run ``python -m kinesis_grader --help``
or the Makefile targets (``make release``, ``make grade QUIZ=… SUBMISSIONS=…``).

Why a separate package: the trusted side stays small enough to read in one sitting. It uses
the check primitives of :mod:`kinesis_lab.quiz.check` and never imports the lab's session,
simulations or widgets.
"""

__version__ = "0.1.0"
