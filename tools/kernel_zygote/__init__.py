"""Lesson kernels forked from one process that has already imported their libraries.

For the test suite, which starts about 80 unjailed lesson kernels a run: each costs about
0.9 CPU-s started fresh, about 0.3 forked. server.py is the zygote, client.py the
jupyter_client side (tools/execute_lessons.lesson_client uses it when ``$KINESIS_KERNEL_ZYGOTE``
names a running zygote; tests/conftest.py starts one per worker). Learners never use it: their
kernels are JupyterLab's own, and graded kernels each start in a jail of their own.
"""
