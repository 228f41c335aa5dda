"""Kernels forked from the zygote (tools/kernel_zygote) behave as kernels jupyter_client starts.

What a lesson could tell apart, each checked on a forked kernel: its environment, working folder,
``sys.argv`` and ``sys.path`` are the requester's; it has a session (process group) of its own,
so an interrupt reaches it and nothing else; it gets the requester's stdin/stdout/stderr; it does
not share random state with its siblings; shut down, it is gone. And the zygote itself: a kernel
whose environment differs in a variable the preloaded modules may read at import starts fresh, a
bad request is refused without harm, and the zygote ends with the process that started it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time

import pytest
from paths import REPO

sys.path.insert(0, str(REPO / "tools"))

from kernel_zygote.client import (  # noqa: E402  (tools/ is not a package)
    ZYGOTE_ENV,
    ForkingKernelManager,
    fork_kernel,
    refusal,
    running_zygote,
)
from kernel_zygote.server import HEADER  # noqa: E402

pytestmark = pytest.mark.slow
PYTHON = sys.executable
KERNEL = [PYTHON, "-m", "ipykernel_launcher", "-f", "{connection_file}"]


@pytest.fixture(scope="module")
def zygote(tmp_path_factory):
    with running_zygote(tmp_path_factory.mktemp("zygote")) as process:
        yield process


def run(code_cells: list[str], **env: str) -> tuple[list[dict], ForkingKernelManager]:
    """Start a kernel with ForkingKernelManager, run the cells, shut it down: each cell's reply
    content and text, and the manager (its provisioner says whether the kernel was forked)."""

    async def session():
        manager = ForkingKernelManager(kernel_name="python3")
        for key, value in env.items():
            os.environ[key] = value
        try:
            await manager.start_kernel(cwd=str(REPO / "notebooks"))
        finally:
            for key in env:
                os.environ.pop(key)
        client = manager.client()
        client.start_channels()
        results = []
        try:
            await client.wait_for_ready(timeout=60)
            for code in code_cells:
                said: list[str] = []

                def hook(message, said=said):
                    if message["msg_type"] == "stream":
                        said.append(message["content"]["text"])

                reply = await client.execute_interactive(code, timeout=60, output_hook=hook)
                results.append({**reply["content"], "said": "".join(said)})
        finally:
            client.stop_channels()
            await manager.shutdown_kernel(now=False)
        return results, manager

    return asyncio.run(session())


def test_a_forked_kernel_has_the_requesters_environment_folder_argv_and_session(zygote):
    results, manager = run(
        [
            "import os, sys\n"
            "print(os.environ['KINESIS_LAB_PROBE'], os.getcwd(), os.getpgid(0) == os.getpid())\n"
            "print(os.getppid(), sys.argv[1], os.environ['JPY_PARENT_PID'])"
        ],
        KINESIS_LAB_PROBE="probe-value",
    )
    assert manager.provisioner.forked
    first, second = results[0]["said"].splitlines()
    assert first == f"probe-value {REPO / 'notebooks'} True"
    ppid, argv1, parent = second.split()
    assert int(ppid) == zygote.pid  # forked, not started by us
    assert argv1 == "-f" and parent == str(os.getpid())


def test_an_interrupt_reaches_the_forked_kernel_and_it_goes_on(zygote):
    async def session():
        manager = ForkingKernelManager(kernel_name="python3")
        await manager.start_kernel()
        assert manager.provisioner.forked
        client = manager.client()
        client.start_channels()
        try:
            await client.wait_for_ready(timeout=60)
            # stop_on_error=False: else ipykernel aborts what arrives while it clears its queue
            # after the KeyboardInterrupt, and under load "1 + 1" arrived then ('aborted')
            client.execute("import time; time.sleep(60)", stop_on_error=False)
            await asyncio.sleep(1.0)
            await manager.interrupt_kernel()
            reply = await client.get_shell_msg(timeout=30)
            after = await client.execute_interactive("1 + 1", timeout=30)
        finally:
            client.stop_channels()
            pid = manager.provisioner.pid
            await manager.shutdown_kernel(now=False)
        return reply["content"], after["content"], pid

    interrupted, after, pid = asyncio.run(session())
    assert interrupted["status"] == "error" and interrupted["ename"] == "KeyboardInterrupt"
    assert after["status"] == "ok"
    assert zygote.poll() is None  # the interrupt went to the kernel's group, not the zygote's
    deadline = time.monotonic() + 10
    while os.path.exists(f"/proc/{pid}") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not os.path.exists(f"/proc/{pid}"), "the kernel outlived its shutdown"


def test_a_forked_kernels_botocore_sessions_share_the_zygotes_loaded_data(zygote):
    """Read once in the zygote (server.share_a_warm_botocore_loader): a botocore session with no
    data path of its own gets that loader, the lab's service models already parsed in it; one
    with its own data path gets a loader of its own; a client made on it works."""
    code = (
        "import botocore.loaders, botocore.session\n"
        "shared = botocore.loaders.create_loader()\n"
        "session = botocore.session.get_session()\n"
        "parsed = {key[1] for key in shared._cache if key[0] == 'load_service_model'}\n"
        "print(session.get_component('data_loader') is shared,\n"
        "      botocore.loaders.create_loader('/tmp') is shared,\n"
        "      {'kinesis', 'firehose', 's3', 'lambda'} <= parsed)\n"
        "client = session.create_client('kinesis', region_name='us-east-1')\n"
        "print(client.meta.service_model.operation_model('PutRecords').name)"
    )
    results, manager = run([code])
    assert manager.provisioner.forked
    assert results[0]["status"] == "ok", results
    assert results[0]["said"].split() == ["True", "False", "True", "PutRecords"]


def test_sibling_kernels_do_not_share_random_state(zygote):
    code = (
        "import random\nfrom moto.moto_api._internal import mock_random\n"
        "print(random.random(), mock_random.random())"
    )
    first, _ = run([code])
    second, _ = run([code])
    a, b = first[0]["said"].split(), second[0]["said"].split()
    assert a[0] != b[0] and a[1] != b[1]


def test_the_kernel_gets_the_requesters_stdin_and_stderr(zygote, tmp_path):
    """Descriptors travel with the request: a kernel's stdin is the file given (read from
    /proc while it runs), and what a kernel writes to stderr lands in the file given (a
    connection file it cannot read makes any ipykernel print the error there and end)."""
    from jupyter_client.connect import write_connection_file

    given_stdin, stderr = tmp_path / "stdin.txt", tmp_path / "stderr.txt"
    given_stdin.write_text("")
    good, _ = write_connection_file(str(tmp_path / "good.json"))
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    env = {**os.environ, "JPY_PARENT_PID": str(os.getpid())}

    def fork(connection_file) -> int:
        with open(given_stdin, "rb") as stdin, open(stderr, "ab") as err:
            cmd = [PYTHON, "-m", "ipykernel_launcher", "-f", str(connection_file)]
            fds = (stdin.fileno(), err.fileno(), err.fileno())
            return fork_kernel(os.environ[ZYGOTE_ENV], cmd, env, str(tmp_path), fds=fds)

    running = fork(good)
    try:
        assert os.readlink(f"/proc/{running}/fd/0") == str(given_stdin)
    finally:
        os.kill(running, signal.SIGKILL)
    fork(bad)
    deadline = time.monotonic() + 30
    while "JSONDecodeError" not in stderr.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "JSONDecodeError" in stderr.read_text()


def test_a_kernel_whose_environment_matters_at_import_starts_fresh(zygote):
    results, manager = run(
        ["import os; print(os.getppid(), os.environ['MOTO_PRETTIFY_RESPONSES'])"],
        MOTO_PRETTIFY_RESPONSES="1",
    )
    ppid, value = results[0]["said"].split()
    assert int(ppid) == os.getpid() and value == "1"  # ours: started fresh, as jupyter would
    assert not manager.provisioner.forked
    assert "MOTO_PRETTIFY_RESPONSES" in manager.provisioner.started_fresh_because


def test_refusal_names_what_a_fork_could_get_wrong():
    base = {"HOME": "/root", "JPY_PARENT_PID": "1"}
    assert (
        refusal(KERNEL, {**base, "KINESIS_LAB_TARGET": "local", "JPY_PARENT_PID": "2"}, base)
        is None
    )
    assert "MOTO_PRETTIFY_RESPONSES" in refusal(
        KERNEL, {**base, "MOTO_PRETTIFY_RESPONSES": "1"}, base
    )
    assert "PYTHONPATH" in refusal(KERNEL, {"HOME": "/root"}, {**base, "PYTHONPATH": "/x"})
    assert "another Python" in refusal(["/usr/bin/python3", *KERNEL[1:]], base, base)
    assert "not an ipykernel command" in refusal([PYTHON, "-m", "other"], base, base)


def test_a_bad_request_is_refused_and_the_zygote_goes_on(zygote):
    path = os.environ[ZYGOTE_ENV]
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.connect(path)
        body = b"not json"
        socket.send_fds(connection, [HEADER.pack(len(body)) + body], [0, 1, 2])
        connection.shutdown(socket.SHUT_WR)
        answer = connection.recv(65536)
    assert b"error" in answer
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.connect(path)
        connection.close()  # gone before asking anything
    results, manager = run(["print('still here')"])
    assert results[0]["said"] == "still here\n"
    assert zygote.poll() is None


def test_the_zygote_ends_with_the_process_that_started_it(tmp_path):
    starter = subprocess.Popen(
        [
            PYTHON,
            "-c",
            "import sys, time; sys.path.insert(0, sys.argv[1])\n"
            "from kernel_zygote.client import running_zygote\n"
            "with running_zygote(sys.argv[2]) as z:\n"
            "    print(z.pid, flush=True); time.sleep(600)",
            str(REPO / "tools"),
            str(tmp_path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    zygote_pid = int(starter.stdout.readline())
    starter.kill()
    starter.wait()
    deadline = time.monotonic() + 10
    while os.path.exists(f"/proc/{zygote_pid}") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not os.path.exists(f"/proc/{zygote_pid}"), "the zygote outlived its starter"
