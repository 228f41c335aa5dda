"""The AWS CLI appendix (notebooks/appendix_cli.ipynb): its commands, run for real.

- The ``aws`` commands it teaches (AWS CLI v1 from PyPI, installed with the course) run
  against ``kinesis-lab endpoint`` on a free port: create-stream, wait stream-exists,
  describe-stream-summary, list-shards, put-record, get-shard-iterator, get-records (the data
  comes back), delete-stream, wait stream-not-exists.
- v1 reads ``--data`` as raw text and refuses v2's ``--cli-binary-format``, as the appendix says.
- Nothing leaves 127.0.0.1: an audit hook loaded into every ``aws`` process records each DNS
  lookup and connection. A command without ``--endpoint-url`` is refused by the closed local
  proxy port the lab environment names, and the learner's own AWS profile is never read.
- The notebook runs top to bottom with its reference answer filled in: no errors, no CLI error
  text, and its check passes. The check observes the stream through the endpoint: an ``aws``
  command runs in a subprocess, out of reach of the botocore hook tools/run_exercises.py uses
  for the numbered lessons (which is also why that runner, globbing ``NN_*.ipynb``, skips it).
"""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from paths import REPO

from kinesis_lab.account.awsenv import FAKE_ACCESS_KEY_ID
from kinesis_lab.account.cli_endpoint import (
    CliEndpointError,
    cli_environment,
    cli_version,
    closed_port,
    start_cli_endpoint,
)
from kinesis_lab.account.netguard import is_loopback_host
from kinesis_lab.core.keys import hash_key_for

APPENDIX = REPO / "notebooks" / "appendix_cli.ipynb"
ANSWERS = REPO / "tests" / "exercise_answers" / "appendix_cli.py"
sys.path.insert(0, str(REPO / "tools"))
import execute_lessons  # noqa: E402  (tools/ is not a package)
import run_exercises  # noqa: E402

# Loaded into every `aws` process through PYTHONPATH: one line per DNS lookup and connection.
NET_LOG = "KINESIS_LAB_TEST_NET_LOG"
AUDIT_HOOK = f"""
import os, sys

_log = os.environ.get({NET_LOG!r})


def _record(event, args):
    if event == "socket.connect":
        if not isinstance(args[1], tuple):  # a Unix socket: a file on this machine
            return
        line = "connect " + " ".join(map(str, args[1][:2]))
    elif event == "socket.getaddrinfo":
        line = "lookup " + str(args[0])
    else:
        return
    with open(_log, "a") as out:
        out.write(line + "\\n")


if _log:
    sys.addaudithook(_record)
"""
# What the CLI prints when a command went wrong.
CLI_ERRORS = (
    "An error occurred",
    "Unknown options",
    "usage: aws",
    "Could not connect",
    "Failed to connect",
    "Unable to locate",
    "Traceback",
    "command not found",
    "is not recognized",
)

# The kernels these tests start are forked from the worker's zygote (tests/conftest.py).
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("kernel_zygote")]


@pytest.fixture(scope="module")
def audit_hook(tmp_path_factory) -> Path:
    """A folder whose sitecustomize.py records the network use of any Python started with it
    on PYTHONPATH (and NET_LOG set)."""
    hooks = tmp_path_factory.mktemp("cli-hooks")
    (hooks / "sitecustomize.py").write_text(AUDIT_HOOK)
    return hooks


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory, audit_hook):
    """The environment the appendix gives its `aws` cells, plus the audit hook."""
    folder = tmp_path_factory.mktemp("cli-env")
    dead_proxy = closed_port()
    env = cli_environment(os.environ, folder, dead_proxy.getsockname()[1])
    env["PYTHONPATH"] = str(audit_hook)
    yield {"env": env, "proxy_port": dead_proxy.getsockname()[1]}
    dead_proxy.close()


def aws(*args: str, env: dict, log: Path, check: bool = True) -> subprocess.CompletedProcess:
    """Run the course's `aws` with ``env``, recording its network use in ``log``."""
    result = subprocess.run(
        ["aws", *args],
        env={**env, NET_LOG: str(log)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    if check:
        assert result.returncode == 0, f"aws {' '.join(args)}: {result.stderr}"
    return result


def network_use(log: Path) -> list[tuple[str, str]]:
    lines = log.read_text().splitlines() if log.exists() else []
    return [tuple(line.split(" ", 1)) for line in lines]


def assert_only_loopback(log: Path) -> list[tuple[str, str]]:
    used = network_use(log)
    hosts = [detail.split(" ")[0] for _kind, detail in used]
    assert hosts, "the audit hook recorded nothing: the proof would be empty"
    assert all(is_loopback_host(host) for host in hosts), used
    return used


def test_the_appendix_commands_run_against_the_endpoint(endpoint, cli_env, tmp_path):
    log = tmp_path / "net.log"

    def run(*args: str) -> str:
        return aws(*args, "--endpoint-url", endpoint["url"], env=cli_env["env"], log=log).stdout

    stream = "cli-suite"
    run("kinesis", "create-stream", "--stream-name", stream, "--shard-count", "2")
    run("kinesis", "wait", "stream-exists", "--stream-name", stream)
    summary = json.loads(run("kinesis", "describe-stream-summary", "--stream-name", stream))
    summary = summary["StreamDescriptionSummary"]
    assert (summary["StreamStatus"], summary["OpenShardCount"]) == ("ACTIVE", 2)

    shards = json.loads(run("kinesis", "list-shards", "--stream-name", stream))["Shards"]
    key = hash_key_for("sensor-1")
    owner = [
        s["ShardId"]
        for s in shards
        if int(s["HashKeyRange"]["StartingHashKey"])
        <= key
        <= int(s["HashKeyRange"]["EndingHashKey"])
    ]
    put = json.loads(
        run(
            "kinesis",
            "put-record",
            "--stream-name",
            stream,
            "--partition-key",
            "sensor-1",
            "--data",
            "temp=21.5",
        )
    )
    assert [put["ShardId"]] == owner  # routed by the MD5 of the key (F6)

    iterator = run(
        "kinesis",
        "get-shard-iterator",
        "--stream-name",
        stream,
        "--shard-id",
        put["ShardId"],
        "--shard-iterator-type",
        "TRIM_HORIZON",
        "--query",
        "ShardIterator",
        "--output",
        "text",
    ).strip()
    records = json.loads(run("kinesis", "get-records", "--shard-iterator", iterator))["Records"]
    assert [
        (r["PartitionKey"], base64.b64decode(r["Data"]), r["SequenceNumber"]) for r in records
    ] == [("sensor-1", b"temp=21.5", put["SequenceNumber"])]

    run("kinesis", "delete-stream", "--stream-name", stream)
    run("kinesis", "wait", "stream-not-exists", "--stream-name", stream)
    assert stream not in json.loads(run("kinesis", "list-streams"))["StreamNames"]

    used = assert_only_loopback(log)
    assert ("connect", f"127.0.0.1 {endpoint['port']}") in used


def test_v1_sends_data_as_raw_text_and_refuses_the_v2_flag(endpoint, cli_env, tmp_path):
    """What the appendix's table says about CLI v1 (the v2 side is AWS's documentation)."""
    log = tmp_path / "net.log"
    url = ["--endpoint-url", endpoint["url"]]
    env = cli_env["env"]
    version = aws("--version", env=env, log=log)
    assert (version.stdout + version.stderr).startswith("aws-cli/1.")
    stream = ["--stream-name", "cli-blob"]
    aws("kinesis", "create-stream", *stream, "--shard-count", "1", *url, env=env, log=log)
    aws("kinesis", "wait", "stream-exists", *stream, *url, env=env, log=log)

    # "dGVzdA==" is valid base64 (of "test"): v1 still stores the text itself.
    put = ["kinesis", "put-record", *stream, "--partition-key", "k", "--data", "dGVzdA=="]
    aws(*put, *url, env=env, log=log)
    refused = aws(
        *put, "--cli-binary-format", "raw-in-base64-out", *url, env=env, log=log, check=False
    )
    assert refused.returncode != 0
    assert "Unknown options: --cli-binary-format" in refused.stderr

    iterator = aws(
        "kinesis",
        "get-shard-iterator",
        *stream,
        "--shard-id",
        "shardId-000000000000",
        "--shard-iterator-type",
        "TRIM_HORIZON",
        "--query",
        "ShardIterator",
        "--output",
        "text",
        *url,
        env=env,
        log=log,
    ).stdout.strip()
    records = json.loads(
        aws("kinesis", "get-records", "--shard-iterator", iterator, *url, env=env, log=log).stdout
    )["Records"]
    assert [base64.b64decode(record["Data"]) for record in records] == [b"dGVzdA=="]
    aws("kinesis", "delete-stream", *stream, *url, env=env, log=log)
    assert_only_loopback(log)


def test_a_command_without_endpoint_url_is_refused_on_this_machine(cli_env, tmp_path):
    """The mistake the appendix shows: no --endpoint-url. Its request goes to the closed local
    proxy port, once, and to nothing else: no DNS lookup of an AWS host, no connection beyond
    127.0.0.1."""
    log = tmp_path / "net.log"
    result = aws("kinesis", "list-streams", env=cli_env["env"], log=log, check=False)
    port = cli_env["proxy_port"]
    assert result.returncode != 0
    assert f'Failed to connect to proxy URL: "http://127.0.0.1:{port}"' in result.stderr
    used = assert_only_loopback(log)
    assert [detail for kind, detail in used if kind == "connect"] == [f"127.0.0.1 {port}"]


def test_the_learners_own_aws_configuration_is_not_read(tmp_path):
    """A real-looking profile in ~/.aws and in the environment: the CLI cells see none of it."""
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    (home / ".aws" / "config").write_text("[profile work]\nregion = eu-west-3\n")
    (home / ".aws" / "credentials").write_text(
        "[work]\naws_access_key_id = AKIAREALKEY0000WORK\naws_secret_access_key = real\n"
    )
    base = {
        **os.environ,
        "HOME": str(home),
        "AWS_PROFILE": "work",
        "AWS_ENDPOINT_URL": "https://kinesis.eu-west-3.amazonaws.com",
        "AWS_SESSION_TOKEN": "real-session",
        "HTTPS_PROXY": "http://proxy.example.com:3128",
    }
    with socket.socket() as dead:
        dead.bind(("127.0.0.1", 0))
        env = cli_environment(base, tmp_path, dead.getsockname()[1])
        for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
            assert name not in env
        assert env["HTTPS_PROXY"] == f"http://127.0.0.1:{dead.getsockname()[1]}"
        assert env["PATH"].split(os.pathsep)[0] == str(Path(sys.executable).parent)
        listed = aws("configure", "list", env=env, log=tmp_path / "net.log").stdout
    assert "us-east-1" in listed and FAKE_ACCESS_KEY_ID[-4:] in listed
    assert "eu-west-3" not in listed and "WORK" not in listed
    assert "<not set>" in listed.splitlines()[2]  # the profile row: none


def test_start_cli_endpoint_sets_up_and_then_restores_the_environment():
    before = dict(os.environ)
    cli = start_cli_endpoint(quiet=True)
    try:
        first = cli.process
        assert os.environ["AWS_CONFIG_FILE"].startswith(str(cli.folder))
        assert os.environ["HTTPS_PROXY"].startswith("http://127.0.0.1:")
        assert "127.0.0.1" in os.environ["NO_PROXY"].split(",")
        assert cli.kinesis().list_streams()["StreamNames"] == []
        cli.kinesis().create_stream(StreamName="left-over", ShardCount=1)
        cli = start_cli_endpoint(quiet=True)  # re-running the cell: a fresh, empty account
        assert first.poll() is not None
        assert cli.kinesis().list_streams()["StreamNames"] == []
    finally:
        cli.stop()
    assert dict(os.environ) == before
    assert cli.process.poll() is not None
    assert not cli.folder.exists()


def test_without_the_cli_the_error_says_how_to_install_it(tmp_path):
    with pytest.raises(CliEndpointError, match=r"AWS CLI is not installed.*make lab"):
        cli_version({"PATH": str(tmp_path)})


# --- the notebook -------------------------------------------------------------------------------


def answered_appendix() -> nbformat.NotebookNode:
    notebook = nbformat.read(APPENDIX, as_version=4)
    answers = run_exercises.read_answers(ANSWERS)
    exercises = run_exercises.exercises_in(notebook)
    assert {e.id for e in exercises} == set(answers), "one answer per exercise"
    for exercise in exercises:
        notebook.cells[exercise.cell_index].source = answers[exercise.id]
    return notebook


def test_the_appendix_runs_with_its_answer_and_prints_no_cli_error(
    audit_hook, tmp_path, monkeypatch
):
    """Its kernel, the endpoint and every `aws` command inherit the audit hook: all the
    connections of the whole run stay on 127.0.0.1."""
    log = tmp_path / "net.log"
    monkeypatch.setenv("PYTHONPATH", str(audit_hook))
    monkeypatch.setenv(NET_LOG, str(log))
    notebook = answered_appendix()
    with execute_lessons.lesson_client(notebook, APPENDIX.parent) as client:
        client.execute()
    assert execute_lessons.problems_in(notebook) == []
    used = assert_only_loopback(log)
    assert sum(kind == "connect" for kind, _ in used) >= 8  # the aws commands and the check

    shell_cells = [c for c in notebook.cells if c.cell_type == "code" and "!aws" in c.source]
    assert len(shell_cells) >= 6
    for cell in shell_cells:
        text = run_exercises._cell_text(cell)
        if "--endpoint-url" in cell.source:
            assert not [e for e in CLI_ERRORS if e in text], f"{cell.source}\n→ {text}"
        else:  # the "forgot --endpoint-url" cell: refused on this machine
            assert "Failed to connect to proxy URL" in text, text

    (exercise,) = run_exercises.exercises_in(notebook)
    checked = "".join(
        run_exercises._cell_text(notebook.cells[i])
        for i in (exercise.cell_index, *exercise.check_indexes)
    )
    assert "✓ record 'sensor-7'" in checked and "not yet" not in checked, checked


def test_the_appendix_is_a_lesson_the_suite_runs_and_reads_in_one_sitting():
    import test_notebooks  # the lesson discovery of tests/course/test_notebooks.py

    assert APPENDIX in test_notebooks.NOTEBOOKS
    spec = importlib.util.spec_from_file_location("reading_time", REPO / "tools/reading_time.py")
    reading_time = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("reading_time", reading_time)  # its dataclasses look themselves up
    spec.loader.exec_module(reading_time)
    measured = reading_time.measure(APPENDIX)
    assert measured.minutes <= reading_time.LIMIT_MINUTES, measured.line()


def test_the_answer_stays_out_of_the_notebook():
    text = APPENDIX.read_text(encoding="utf-8")
    assert "--partition-key sensor-7" not in text
    assert "CANARY-ANSWER-appendix_cli" in ANSWERS.read_text(encoding="utf-8")
    assert "CANARY-ANSWER" not in text
