"""Reference answers for notebooks/appendix_cli.ipynb (CANARY-ANSWER-appendix_cli).

Never shipped to learners: not in notebooks/, labs/ or the site. Each ``# %% <exercise id>``
section replaces the notebook cell whose metadata names that exercise; tests/course/test_cli_lab.py
runs the appendix that way (tools/run_exercises.py takes only the numbered lessons).

The answer is one shell command. A .py file cannot hold the notebook's ``!aws …`` form, so it
is written as the call IPython turns that line into (``{STREAM}`` and ``{ENDPOINT}`` are
expanded the same way).
"""
# ruff: noqa: F821

# %% appendix-cli-put-record
get_ipython().system(
    "aws kinesis put-record --stream-name {STREAM} --partition-key sensor-7 "
    '--data "temp=22.0" --endpoint-url {ENDPOINT}'
)
