"""The sandboxed runner survives hostile notebooks and says why it stopped."""

import os
import shutil

import nbformat
import pytest
from ci_skip_rule import needs_grading_sandbox

from kinesis_grader.executor import KERNEL_DIED, OK, OUTPUT_LIMIT, TIMEOUT, RunLimits, run_notebook

pytestmark = [
    pytest.mark.slow,
    needs_grading_sandbox,
]


def notebook(*sources):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    return nb


def run(tmp_path, nb, **limits):
    return run_notebook(nb, tmp_path / "work", tmp_path / "run", RunLimits(**limits))


def texts(cell):
    return "".join(o.get("text", "") for o in cell.outputs)


def test_a_normal_notebook_runs_every_cell(tmp_path):
    result = run(tmp_path, notebook("x = 6 * 7", "print(x)"))
    assert result.status == OK
    assert texts(result.notebook.cells[1]) == "42\n"


def test_a_graded_kernel_has_no_debugger(tmp_path):
    """kinesis_grader.kernel_launcher: no debugpy in the jail (nothing to debug, no debug
    server for untrusted code); the kernel still runs what needs no debugger."""
    result = run(
        tmp_path,
        notebook(
            "import sys\nprint(sys.modules.get('debugpy', 'absent'))",
            "try:\n    import debugpy\nexcept ImportError:\n    print('no debugpy')",
            "from ipykernel.debugger import _is_debugpy_available\nprint(_is_debugpy_available)",
        ),
    )
    assert result.status == OK
    assert [texts(cell) for cell in result.notebook.cells] == ["None\n", "no debugpy\n", "False\n"]


def test_errors_in_one_cell_do_not_stop_the_others(tmp_path):
    result = run(tmp_path, notebook("1/0", "print('still here')"))
    assert result.status == OK
    assert result.notebook.cells[0].outputs[0].ename == "ZeroDivisionError"
    assert texts(result.notebook.cells[1]) == "still here\n"


def test_a_loop_that_ignores_interrupts_times_out(tmp_path):
    stubborn = "while True:\n    try:\n        pass\n    except BaseException:\n        pass"
    result = run(tmp_path, notebook("print('before')", stubborn, "print('after')"), cell_timeout=2)
    assert result.status == TIMEOUT and "2 s" in result.reason
    assert result.skipped_cells == [1]  # killed, then the notebook re-ran without it
    assert texts(result.notebook.cells[0]) == "before\n"
    assert texts(result.notebook.cells[2]) == "after\n"


def test_the_whole_notebook_has_a_time_limit(tmp_path):
    sleepy = ["import time; time.sleep(1.5)"] * 4
    result = run(tmp_path, notebook(*sleepy), cell_timeout=10, notebook_timeout=4)
    assert result.status == TIMEOUT and "whole notebook" in result.reason


def test_os_exit_is_reported_as_a_dead_kernel(tmp_path):
    result = run(tmp_path, notebook("import os; os._exit(3)", "print('b')"))
    assert result.status == KERNEL_DIED


def test_an_output_flood_is_cut_off(tmp_path):
    result = run(tmp_path, notebook("while True: print('x' * 10_000)"), output_bytes=200_000)
    assert result.status == OUTPUT_LIMIT
    stored = sum(len(str(o)) for c in result.notebook.cells for o in c.outputs)
    assert stored <= 400_000


def test_a_memory_hog_dies_inside_its_limit(tmp_path):
    result = run(tmp_path, notebook("hog = bytearray(8 * 1024**3)", "print('alive')"))
    assert result.status == OK  # MemoryError in the cell; the kernel and the grader survive
    assert result.notebook.cells[0].outputs[0].ename == "MemoryError"


def test_large_files_are_refused(tmp_path):
    code = "open('big.bin', 'wb').write(b'0' * (200 * 1024**2))"
    result = run(tmp_path, notebook(code, "print('next')"))
    assert result.status in (OK, KERNEL_DIED)
    assert (tmp_path / "work" / "big.bin").stat().st_size <= 64 * 1024**2


def test_no_network_from_a_notebook(tmp_path):
    code = "import socket\ntry:\n    socket.create_connection(('192.0.2.1', 80), timeout=1)\n    print('connected')\nexcept OSError as e:\n    print('refused')"
    result = run(tmp_path, notebook(code))
    assert texts(result.notebook.cells[0]) == "refused\n"
