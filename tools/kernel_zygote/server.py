"""The zygote: one process that has imported a lesson kernel's libraries, forking kernels.

A lesson kernel started fresh spends about 0.9 CPU-s importing ipykernel, IPython, boto3,
botocore and moto before a lesson does anything; the test suite starts about 80 such kernels.
This process imports them once and then, per request, forks a child that becomes
``python -m ipykernel_launcher ...`` exactly as jupyter_client would have started it: its own
session (process group), the requester's stdin/stdout/stderr, environment and working folder.

Not imported here: kinesis_lab (it reads KINESIS_LAB_* variables as it is imported) and anything
the lesson imports itself. What is imported may read other variables as it is imported, so the
zygote writes its environment beside its socket (``SOCKET.environ.json``) and the client
(client.refusal) starts fresh any kernel whose environment differs from it outside
``client.IMPORT_TIME_SAFE``.

Protocol, on a Unix socket, one request per connection: an 8-byte length and a JSON request
(``argv``, ``env``, ``cwd``) sent with three file descriptors (the kernel's 0, 1 and 2); the
answer is JSON: ``{"pid": n}`` once the child has its session, descriptors, environment and
folder, or ``{"error": "..."}``.

    python tools/kernel_zygote/server.py SOCKET_PATH
"""

from __future__ import annotations

import json
import os
import signal
import socket
import struct
import sys
import threading
import traceback

# What ipykernel.kernelapp imports (not kernelapp itself: its traits' defaults read
# JPY_PARENT_PID and JPY_INTERRUPT_EVENT as it is imported), and the lab's first cell.
PRELOAD = (
    "IPython.core.application",
    "IPython.core.shellapp",
    "jupyter_client.connect",
    "jupyter_client.session",
    "tornado.ioloop",
    "zmq.eventloop.zmqstream",
    "ipykernel.control",
    "ipykernel.heartbeat",
    "ipykernel.iostream",
    "ipykernel.ipkernel",
    "ipykernel.parentpoller",
    "ipykernel.shellchannel",
    "ipykernel.zmqshell",
    "boto3",
    "botocore.session",
    "moto",
    "moto.core.models",
    "moto.kinesis.models",
    "moto.firehose.models",
    "moto.s3.models",
    "moto.awslambda.models",
    "moto.iam.models",
    "moto.logs.models",
    "moto.cloudwatch.models",
)
# moto's parsed service models, cached at module level (moto.core.utils.get_service_model).
WARM_MODELS = (
    "kinesis",
    "firehose",
    "s3",
    "lambda",
    "iam",
    "logs",
    "cloudwatch",
    "sts",
    "dynamodb",
    "kms",
    "sqs",
    "sns",
)
HEADER = struct.Struct("!Q")


def preload() -> None:
    import importlib

    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError:  # another ipykernel or moto layout: a little less preloaded
            pass
    from moto.core.utils import get_service_model

    for service in WARM_MODELS:
        get_service_model(service)
    share_a_warm_botocore_loader()


def share_a_warm_botocore_loader() -> None:
    """botocore's data for the lab's services, read once here for every kernel forked.

    A kernel's first clients read and parse their services' models, endpoint rules, waiters,
    paginators, and the endpoints and partitions files: a forked kernel that runs start_lab()
    and makes six clients took 0.71 CPU-s, 0.44 with this (benchmarks/bench_kernel_start.py).
    Here one loader reads them, and
    ``create_loader()`` hands that loader to every botocore session made without a data path
    of its own (the lab's sessions share one loader per process anyway:
    kinesis_lab.account.session). The data are read-only once loaded: what a client does
    is unchanged, only the reading is skipped. A session given its own data path gets a
    loader of its own, as before."""
    import botocore.loaders
    import botocore.session
    from botocore.exceptions import DataNotFoundError

    default_create_loader = botocore.loaders.create_loader
    loader = default_create_loader()
    for service in WARM_MODELS:
        for kind in ("service-2", "endpoint-rule-set-1", "paginators-1", "waiters-2"):
            try:
                loader.load_service_model(service, kind)
            except DataNotFoundError:  # not every service has waiters or paginators
                pass
    for name in ("endpoints", "partitions", "sdk-default-configuration", "_retry"):
        loader.load_data(name)
    loader.list_available_services("service-2")

    def create_loader(search_path_string=None):
        if search_path_string is None:
            return loader
        return default_create_loader(search_path_string)

    botocore.loaders.create_loader = create_loader
    botocore.session.create_loader = create_loader  # imported by name there


def read_request(connection: socket.socket) -> tuple[dict, list[int]]:
    message, fds, _flags, _address = socket.recv_fds(connection, 1 << 16, 3)
    if len(message) < HEADER.size:
        raise ValueError("short request")
    (length,) = HEADER.unpack(message[: HEADER.size])
    body = message[HEADER.size :]
    while len(body) < length:
        chunk = connection.recv(length - len(body))
        if not chunk:
            raise ValueError("request cut short")
        body += chunk
    return json.loads(body), fds


def become_kernel(request: dict, fds: list[int], report: int) -> None:
    """In the child: take the kernel's session, descriptors, environment and folder, tell the
    zygote it is done (``report``), then run ipykernel_launcher as ``python -m`` would."""
    try:
        os.setsid()  # as launch_kernel's start_new_session: an interrupt goes to its group
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # its subprocesses are its to wait for
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        os.closerange(3, report)
        os.closerange(report + 1, os.sysconf("SC_OPEN_MAX"))
        os.environ.clear()
        os.environ.update(request["env"])
        os.chdir(request["cwd"])
        # `python -m module args`: sys.argv[0] is set by runpy, sys.path[0] is the folder.
        sys.argv = ["-m", *request["argv"][3:]]
        sys.path[0] = os.getcwd()
        import random

        from moto.moto_api._internal import mock_random

        random.seed()  # (Python reseeds its own generator at fork; moto's is separate)
        mock_random.seed()
    except BaseException:  # noqa: BLE001  (anything: the zygote reports it, the child ends)
        os.write(report, json.dumps({"error": traceback.format_exc()}).encode())
        os._exit(1)
    os.write(report, json.dumps({"pid": os.getpid()}).encode())
    os.close(report)
    import runpy

    try:
        runpy.run_module("ipykernel_launcher", run_name="__main__", alter_sys=True)
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        os._exit(code)
    except BaseException:  # noqa: BLE001
        traceback.print_exc()
        os._exit(1)
    os._exit(0)


def fork_kernel(request: dict, fds: list[int]) -> dict:
    """Fork one kernel; its answer once the child is set up (or why it could not be)."""
    sys.stdout.flush()
    sys.stderr.flush()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        become_kernel(request, fds, write_end)  # never returns
    os.close(write_end)
    answer = b""
    while chunk := os.read(read_end, 65536):
        answer += chunk
    os.close(read_end)
    return json.loads(answer) if answer else {"error": f"kernel {pid} ended before it started"}


def reap_kernels(_signum=None, _frame=None) -> None:
    while True:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def serve(path: str) -> None:
    preload()
    if threading.active_count() != 1:  # a thread would not survive the fork; refuse to start
        raise SystemExit(f"kernel zygote: {threading.active_count()} threads after preloading")
    # Reap each kernel as it ends, so that its CPU time is counted in this process's children
    # (and so in the test worker's, which waits for the zygote): with SIG_IGN it would be lost.
    signal.signal(signal.SIGCHLD, reap_kernels)
    parent = os.getppid()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(16)
    # What the kernels' environment is compared with (client.refusal): this process's own.
    with open(path + ".environ.json", "w", encoding="utf-8") as snapshot:
        json.dump(dict(os.environ), snapshot)
    listener.settimeout(1.0)
    print("ready", flush=True)
    while os.getppid() == parent:  # the process that started it is gone: so is the zygote
        try:
            connection, _ = listener.accept()
        except TimeoutError:
            continue
        with connection:
            connection.settimeout(None)
            fds: list[int] = []
            try:
                request, fds = read_request(connection)
                if len(fds) != 3:
                    raise ValueError(f"{len(fds)} file descriptors, not 3")
                answer = fork_kernel(request, fds)
            except Exception as error:  # noqa: BLE001  (a bad request ends that request only)
                answer = {"error": f"{type(error).__name__}: {error}"}
            finally:
                for fd in fds:
                    os.close(fd)
            try:
                connection.sendall(json.dumps(answer).encode())
            except OSError:
                pass  # the requester has gone; its kernel, if any, ends when it finds no client


if __name__ == "__main__":
    serve(sys.argv[1])
