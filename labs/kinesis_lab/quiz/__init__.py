"""The graded quizzes' machinery: plain-data checks and the observers that read what a
learner's answer did in the mocked account."""
