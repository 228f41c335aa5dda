"""The grading sandbox: each submission's kernel runs in a bubblewrap jail.

Why: a submission is untrusted code. Stock nbgrader runs it as the instructor, inside the
course folder, where it can read solutions and hidden tests, other students' work and the
gradebook, and reach the network. Here the kernel runs with:

- no network (its own empty network namespace), its own PID/IPC/UTS namespaces;
- a read-only system: only /usr, /lib*, /bin, the Python install, the course venv and the lab
  toolkit are mounted (read-only); /etc is empty but for the loader cache;
- exactly one writable folder: a fresh copy of that submission (plus a private /tmp);
- nothing else of the machine: not the course sources, the gradebook, other submissions or
  the instructor's home and credentials;
- a cleared environment and an unprivileged uid with no capabilities;
- limits on address space, processes, file size and open files (``prlimit``).

The kernel talks to the grader over IPC (Unix) sockets in the submission's run folder,
since it has no network; interrupts are therefore sent as messages.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

SANDBOX_UID = 60999  # no account needed; only used inside the jail
# Each run gets its own uid from this range, so one submission's processes never count
# against another's process limit (RLIMIT_NPROC is per uid).
RUN_UID_RANGE = (200_000, 260_000)


def fresh_uid() -> int:
    import secrets

    low, high = RUN_UID_RANGE
    return low + secrets.randbelow(high - low)


BWRAP = "bwrap"


class SandboxUnavailable(RuntimeError):
    """The sandbox cannot run or does not isolate; the message says what to install or do."""


@dataclass(frozen=True)
class SandboxPolicy:
    memory_bytes: int = 2 * 1024**3
    max_processes: int = 64
    max_file_bytes: int = 64 * 1024**2
    max_open_files: int = 256
    uid: int = SANDBOX_UID


def _python_roots() -> list[Path]:
    """Folders the kernel's Python needs: the venv and the interpreter it points to."""
    roots = {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve()}
    roots.add(Path(os.path.realpath(sys.executable)).parent.parent)
    return sorted(roots)


def _toolkit_root() -> Path:
    """The folder holding the kinesis_lab package (an editable install points into labs/)."""
    import kinesis_lab

    return Path(kinesis_lab.__file__).resolve().parent


def _parents(path: Path) -> list[Path]:
    return [p for p in reversed(path.parents) if str(p) != "/"]


def _system_mounts() -> list[str]:
    args: list[str] = []
    for folder in ("/usr", "/bin", "/lib", "/lib64", "/sbin"):
        if os.path.exists(folder):
            args += ["--ro-bind", folder, folder]
    args += ["--perms", "0755", "--tmpfs", "/etc"]
    if os.path.exists("/etc/ld.so.cache"):
        args += ["--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    return args


def _read_only(paths: list[Path]) -> list[str]:
    """Bind ``paths`` read-only at their own location, creating traversable parents."""
    args: list[str] = []
    made: set[Path] = set()
    for path in paths:
        for parent in _parents(path):
            if (
                parent not in made
                and str(parent) != "/tmp"
                and not str(parent).startswith(("/usr", "/lib", "/bin"))
            ):
                args += ["--perms", "0755", "--dir", str(parent)]
                made.add(parent)
        args += ["--ro-bind", str(path), str(path)]
    return args


def _limits(policy: SandboxPolicy) -> list[str]:
    return [
        "prlimit",
        f"--as={policy.memory_bytes}",
        f"--nproc={policy.max_processes}",
        f"--fsize={policy.max_file_bytes}",
        f"--nofile={policy.max_open_files}",
        "--core=0",
        "--",
    ]


# The length of a lab transition (kinesis_lab.simulation.lifecycle): the test suite shortens it.
PASSED_LAB_SETTINGS = ("KINESIS_LAB_TRANSITION_SECONDS",)


def sandbox_command(
    argv: list[str],
    workdir: Path,
    rundir: Path,
    policy: SandboxPolicy = SandboxPolicy(),
    extra_env: dict[str, str] | None = None,
    shared: tuple[Path, ...] = (),
) -> list[str]:
    """``argv`` wrapped to run jailed: ``workdir`` writable (and the cwd), ``rundir`` for the
    IPC sockets and connection file, everything else as described in the module docstring.
    ``shared``: folders bound read-only — a Unix socket another jail serves (the mocked
    account's, :mod:`.account_process`) can be connected to there, not replaced."""
    toolkit = _toolkit_root()
    read_only = [*_python_roots(), toolkit.parent]
    env = {
        "PATH": f"{Path(sys.prefix) / 'bin'}:/usr/bin:/bin",
        "HOME": str(workdir),
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
        "MPLBACKEND": "Agg",
        # The lab's own settings that change no grade, only how long the lab waits.
        **{name: os.environ[name] for name in PASSED_LAB_SETTINGS if name in os.environ},
        **(extra_env or {}),
    }
    args = [
        *_limits(policy),
        BWRAP,
        "--die-with-parent",
        "--new-session",
        "--unshare-net",
        "--unshare-ipc",
        "--unshare-pid",
        "--unshare-uts",
        "--hostname",
        "sandbox",
        *_system_mounts(),
        # /tmp first: the course may itself live under /tmp (a CI checkout), and later
        # mounts must land on top of this tmpfs, not under it.
        "--perms",
        "1777",
        "--tmpfs",
        "/tmp",
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        *_read_only(read_only),
    ]
    for folder in (workdir, rundir):
        for parent in _parents(folder):
            if parent != Path("/tmp"):
                args += ["--perms", "0755", "--dir", str(parent)]
        args += ["--bind", str(folder), str(folder)]
    for folder in shared:
        for parent in _parents(folder):
            if parent != Path("/tmp"):
                args += ["--perms", "0755", "--dir", str(parent)]
        args += ["--ro-bind", str(folder), str(folder)]
    args += ["--chdir", str(workdir), "--clearenv"]
    for name, value in env.items():
        args += ["--setenv", name, value]
    args += [
        "setpriv",
        f"--reuid={policy.uid}",
        f"--regid={policy.uid}",
        "--clear-groups",
        "--inh-caps=-all",
        "--bounding-set=-all",
        "--",
        *argv,
    ]
    return args


def prepare_folder(folder: Path, policy: SandboxPolicy = SandboxPolicy()) -> None:
    """Make a folder writable by the jail's uid (and nobody else's business)."""
    folder.mkdir(parents=True, exist_ok=True)
    for path in [folder, *folder.rglob("*")]:
        os.chown(path, policy.uid, policy.uid, follow_symlinks=False)
    folder.chmod(0o700)


def missing_tools() -> list[str]:
    return [tool for tool in (BWRAP, "prlimit", "setpriv") if shutil.which(tool) is None]


# --- the self-test --------------------------------------------------------------------------

_PROBE = textwrap.dedent(
    """
    import json, os, socket, sys
    found = {}
    def attempt(name, action):
        try:
            action()
            found[name] = "possible"
        except Exception as error:
            found[name] = "blocked: " + type(error).__name__
    attempt("network", lambda: socket.create_connection(("192.0.2.1", 80), timeout=1))
    attempt("read_secret", lambda: open(sys.argv[1]).read())
    attempt("list_secret_folder", lambda: os.listdir(os.path.dirname(sys.argv[1])))
    attempt("write_system", lambda: open("/usr/kinesis-grader-probe", "w"))
    attempt("write_home", lambda: open(os.path.expanduser("~root") + "/probe", "w"))
    found["uid"] = os.getuid()
    found["env_secret"] = os.environ.get("KINESIS_GRADER_PROBE_SECRET")
    open("probe-was-here", "w").write("ok")
    print(json.dumps(found))
    """
)


@dataclass
class SelfTestReport:
    isolated: bool
    problems: list[str] = field(default_factory=list)
    observed: dict[str, object] = field(default_factory=dict)


def self_test(policy: SandboxPolicy = SandboxPolicy()) -> SelfTestReport:
    """Run a probe in the jail and check that it is really isolated."""
    missing = missing_tools()
    if missing:
        return SelfTestReport(
            False, [f"missing: {', '.join(missing)} (apt-get install bubblewrap)"]
        )
    if os.geteuid() != 0:
        return SelfTestReport(False, ["the grader must run as root to drop to the jail's uid"])
    with tempfile.TemporaryDirectory(prefix="kgrader-selftest-") as scratch:
        base = Path(scratch)
        secret_dir = base / "course-source"
        secret_dir.mkdir()
        secret = secret_dir / "solutions.txt"
        secret.write_text("CANARY-SELFTEST")
        workdir, rundir = base / "work", base / "run"
        prepare_folder(workdir, policy)
        prepare_folder(rundir, policy)
        command = sandbox_command(
            [sys.executable, "-c", _PROBE, str(secret)], workdir, rundir, policy
        )
        env = {**os.environ, "KINESIS_GRADER_PROBE_SECRET": "leaked"}
        result = subprocess.run(command, capture_output=True, text=True, timeout=60, env=env)
        if result.returncode != 0:
            return SelfTestReport(False, [f"the probe failed: {result.stderr.strip()[-300:]}"])
        observed = json.loads(result.stdout.strip().splitlines()[-1])
        problems = [
            f"{check} is possible in the sandbox"
            for check in (
                "network",
                "read_secret",
                "list_secret_folder",
                "write_system",
                "write_home",
            )
            if observed.get(check) == "possible"
        ]
        if observed.get("uid") == 0:
            problems.append("the kernel runs as root")
        if observed.get("env_secret"):
            problems.append("the grader's environment leaks into the sandbox")
        if not (workdir / "probe-was-here").exists():
            problems.append("the submission folder is not writable")
        return SelfTestReport(not problems, problems, observed)
