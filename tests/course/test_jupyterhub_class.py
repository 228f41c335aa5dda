"""A class on JupyterHub, on one machine: release → fetch → submit → collect → grade → feedback.

One hub for the module, started from tools/hub/jupyterhub_config.py (the file INSTRUCTORS.md
tells instructors to use) with three learner accounts, and stopped before the assertions run,
so that "nothing left behind" is one of them.

What goes through the hub, and what does not:
- **Through the hub** — everything a learner does, over the HTTP endpoints JupyterLab's
  Assignments tab calls: the hub's REST API (with a service token) creates the three hub users,
  issues each a token of their own and starts their servers; then, with the learner's own token,
  through the proxy to their single-user server: the lessons in ``~/kinesis-course`` (contents
  API), the quiz list, fetch, reading and saving the notebook (contents API), submit, fetch
  feedback and reading it (nbgrader's ``/assignments`` handlers and the contents API). The
  learner server's settings are checked the same way: no formgrader, instructor lab extensions
  off.
- **Directly, in the instructor's root shell** on a private copy of the course: release
  (``python -m kinesis_grader release``, what ``make release`` runs, then ``nbgrader
  release_assignment``), ``nbgrader collect``, grading (``python -m kinesis_grader grade`` on the
  collected folder: ``make grade``'s command, pointed at the copy with ``--course``) and
  ``nbgrader release_feedback``. Why: on a one-machine class that is how the instructor works —
  ``make grade``'s jail needs root — and the formgrader's buttons call the same nbgrader code.

The learners are real Unix accounts (created with useradd and removed after), each server running
under its own account (LocalProcessSpawner): nbgrader's exchange names a submission after the OS
user, and a real class on one machine uses one account per learner (PAM logins, as in The
Littlest JupyterHub). The test changes only the authenticator (DummyAuthenticator: it never logs
in through the form, tokens are issued through the API), the ports and the state folder.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import psutil
import pytest
import requests
from ci_skip_rule import needs_grading_sandbox
from port_helpers import free_port
from quizzes_helpers import REPO, copy_course, hidden_text_in, nbgrader
from traitlets.config.loader import PyFileConfigLoader

from kinesis_grader.synthetic import Quiz

pytestmark = [pytest.mark.slow, needs_grading_sandbox, pytest.mark.timeout(1500)]

QUIZ = "q01_core_capacity"  # the smallest quiz
HUB_DIR = REPO / "tools" / "hub"
BIN = Path(sys.executable).parent
LEARNER_ROLES = ("complete", "blank", "partial")
START_TIMEOUT = 180  # seconds for a server to become ready on a loaded 2-core machine


def course_id_in(config_file: Path) -> str:
    """The course id an nbgrader config file sets (loaded as nbgrader loads it)."""
    loader = PyFileConfigLoader(config_file.name, path=str(config_file.parent))
    return loader.load_config().CourseDirectory.course_id


def install_course_env(destination: Path) -> Path:
    """The learners' environment, as tools/hub/install_course_env.sh makes it for a class."""
    done = subprocess.run(
        ["bash", str(HUB_DIR / "install_course_env.sh"), str(destination)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, f"installing the course environment failed:\n{done.stderr}"
    return destination


def install_proxy() -> Path:
    """configurable-http-proxy from npm, as tools/hub/install_proxy.sh pins it."""
    done = subprocess.run(
        ["bash", str(HUB_DIR / "install_proxy.sh")], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"installing the hub's proxy failed:\n{done.stderr}"
    return Path(done.stdout.strip().splitlines()[-1])


# --- learner accounts ---------------------------------------------------------------------------


def create_account(name: str, homes: Path) -> None:
    subprocess.run(
        ["useradd", "--create-home", "--home-dir", str(homes / name), "--user-group"]
        + ["--shell", "/usr/sbin/nologin", name],
        check=True,
        capture_output=True,
    )


def remove_account(name: str) -> None:
    subprocess.run(["userdel", "--remove", name], capture_output=True)


# --- the hub ------------------------------------------------------------------------------------


@dataclass
class Hub:
    """JupyterHub from tools/hub/jupyterhub_config.py, on free ports, state in ``state``."""

    state: Path
    learners: list[str]
    exchange: Path
    course_env: Path
    token: str = field(default_factory=lambda: secrets.token_hex(32))
    process: subprocess.Popen | None = None

    def start(self) -> None:
        port, hub_port, api_port = free_port(), free_port(), free_port()
        self.url = f"http://127.0.0.1:{port}"
        config = self.state / "test_jupyterhub_config.py"
        config.write_text(
            f"load_subconfig({str(HUB_DIR / 'jupyterhub_config.py')!r})\n"
            "c.JupyterHub.authenticator_class = 'dummy'\n"
            f"c.JupyterHub.bind_url = {self.url!r}\n"
            "c.JupyterHub.hub_ip = '127.0.0.1'\n"
            f"c.JupyterHub.hub_port = {hub_port}\n"
            f"c.ConfigurableHTTPProxy.api_url = 'http://127.0.0.1:{api_port}'\n"
            f"c.JupyterHub.db_url = 'sqlite:///{self.state / 'jupyterhub.sqlite'}'\n"
            f"c.JupyterHub.cookie_secret_file = {str(self.state / 'cookie_secret')!r}\n"
            f"c.ConfigurableHTTPProxy.pid_file = {str(self.state / 'proxy.pid')!r}\n"
            f"c.JupyterHub.services = [{{'name': 'rehearsal', 'api_token': {self.token!r}}}]\n"
            "c.JupyterHub.load_roles = [{'name': 'rehearsal', 'services': ['rehearsal'],\n"
            "    'scopes': ['admin:users', 'admin:servers', 'tokens']}]\n"
        )
        env = {
            **os.environ,
            "KINESIS_HUB_LEARNERS": ",".join(self.learners),
            "KINESIS_COURSE_EXCHANGE": str(self.exchange),
            "KINESIS_HUB_COURSE_ENV": str(self.course_env),
        }
        self.log = (self.state / "hub.log").open("w")
        self.process = subprocess.Popen(
            [str(BIN / "jupyterhub"), "-f", str(config)],
            cwd=self.state,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"the hub exited:\n{self.log_tail()}"
            try:
                if requests.get(f"{self.url}/hub/api/", timeout=2).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.3)
        raise TimeoutError(f"the hub did not answer in {START_TIMEOUT} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        self.log.flush()
        return "\n".join((self.state / "hub.log").read_text().splitlines()[-lines:])

    def api(self, method: str, path: str, **kwargs) -> requests.Response:
        headers = {"Authorization": f"token {self.token}"}
        response = requests.request(
            method, f"{self.url}/hub/api{path}", headers=headers, timeout=30, **kwargs
        )
        assert response.status_code < 400, f"{method} {path}: {response.text}\n{self.log_tail()}"
        return response

    def start_servers(self) -> dict[str, str]:
        """A token for each learner (the hub made their users from the roster in
        ``allowed_users``), their servers started together; name → token."""
        tokens = {}
        for name in self.learners:
            issued = self.api("POST", f"/users/{name}/tokens", json={"note": "class rehearsal"})
            tokens[name] = issued.json()["token"]
            self.api("POST", f"/users/{name}/server")
        deadline = time.monotonic() + START_TIMEOUT
        waiting = set(self.learners)
        while waiting and time.monotonic() < deadline:
            for name in sorted(waiting):
                server = self.api("GET", f"/users/{name}").json()["servers"].get("", {})
                if server.get("ready"):
                    waiting.discard(name)
            time.sleep(0.5)
        assert not waiting, f"servers not ready in {START_TIMEOUT} s: {waiting}\n{self.log_tail()}"
        return tokens

    def processes(self) -> list[psutil.Process]:
        """The hub, its proxy and every process running as a learner."""
        found = [psutil.Process(self.process.pid)]
        found += found[0].children(recursive=True)
        found += [
            p for p in psutil.process_iter(["username"]) if p.info["username"] in self.learners
        ]
        return found

    def stop(self) -> None:
        """SIGTERM, as an instructor's Ctrl-C: the hub stops the proxy and every server."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if hasattr(self, "log"):
            self.log.close()


@dataclass
class Learner:
    """One learner, driving their own server through the hub with their own token."""

    name: str
    hub_url: str
    token: str

    def call(self, method: str, path: str, **kwargs) -> requests.Response:
        response = requests.request(
            method,
            f"{self.hub_url}/user/{self.name}{path}",
            headers={"Authorization": f"token {self.token}"},
            timeout=120,
            **kwargs,
        )
        assert response.status_code < 400, f"{self.name}: {method} {path}: {response.text}"
        return response

    def assignments(self) -> list[dict]:
        listed = self.call("GET", "/assignments", params={"course_id": COURSE_ID}).json()
        assert listed["success"], listed
        return listed["value"]

    def act(self, action: str) -> None:
        """fetch / submit / fetch_feedback, as the Assignments tab's buttons do."""
        body = {"course_id": COURSE_ID, "assignment_id": QUIZ}
        answer = self.call("POST", f"/assignments/{action}", json=body).json()
        assert answer.get("success", True) is not False, f"{self.name} {action}: {answer}"

    def read(self, path: str) -> dict:
        return self.call("GET", f"/api/contents/{path}", params={"content": 1}).json()

    def save_notebook(self, path: str, notebook: nbformat.NotebookNode) -> None:
        model = {"type": "notebook", "format": "json", "content": notebook}
        self.call("PUT", f"/api/contents/{path}", json=json.loads(json.dumps(model)))


COURSE_ID = course_id_in(REPO / "quizzes" / "nbgrader_config.py")
NOTEBOOK = f"{QUIZ}/{QUIZ}.ipynb"


@dataclass
class ClassRun:
    names: dict[str, str]  # role → account
    lessons: dict[str, list[str]] = field(default_factory=dict)
    formgrader_status: dict[str, int] = field(default_factory=dict)
    disabled_lab_extensions: dict[str, list[str]] = field(default_factory=dict)
    listed_before_fetch: dict[str, list[dict]] = field(default_factory=dict)
    fetched_leaks: dict[str, list[str]] = field(default_factory=dict)
    fetched_is_release: dict[str, bool] = field(default_factory=dict)
    status_after_submit: dict[str, str] = field(default_factory=dict)
    collected: list[str] = field(default_factory=list)
    grade_output: str = ""
    scores: dict[str, float] = field(default_factory=dict)
    expected: dict[str, float] = field(default_factory=dict)
    feedback: dict[str, str] = field(default_factory=dict)
    feedback_leaks: dict[str, list[str]] = field(default_factory=dict)
    left_behind: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


def instructor(*args: str, course, exchange: Path) -> subprocess.CompletedProcess[str]:
    """``python -m kinesis_grader …`` (what the Makefile's targets run) on the course copy."""
    env = {**os.environ, "KINESIS_COURSE_EXCHANGE": str(exchange)}
    command = [sys.executable, "-m", "kinesis_grader", "--course", str(course.root), *args]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=1200)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def exchange_command(course, exchange: Path, *args: str) -> str:
    """An nbgrader exchange command run in the course folder, as its docs say."""
    previous = os.environ.get("KINESIS_COURSE_EXCHANGE")
    os.environ["KINESIS_COURSE_EXCHANGE"] = str(exchange)
    try:
        done = nbgrader(course, *args)
    finally:
        if previous is None:
            os.environ.pop("KINESIS_COURSE_EXCHANGE")
        else:
            os.environ["KINESIS_COURSE_EXCHANGE"] = previous
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def lab_page_disabled(learner: Learner) -> list[str]:
    """The lab extensions JupyterLab's page config disables for this learner."""
    page = learner.call("GET", "/lab").text
    start = page.index('id="jupyter-config-data"')
    data = page[page.index(">", start) + 1 : page.index("</script>", start)]
    return sorted(json.loads(data).get("disabledExtensions", []))


def feedback_of(learner: Learner) -> str:
    """The feedback file fetched into ``~/<quiz>/feedback/<timestamp>/`` (the only one)."""
    folders = learner.read(f"{QUIZ}/feedback")["content"]
    assert len(folders) == 1, folders
    files = learner.read(folders[0]["path"])["content"]
    html = [f for f in files if f["name"].endswith(".html")]
    assert len(html) == 1, files
    return learner.read(html[0]["path"])["content"]


def run_the_class(work: Path, names: dict[str, str], record: ClassRun) -> None:
    clock = time.monotonic()
    exchange = work / "exchange"
    hub = Hub(
        state=work / "hub",
        learners=list(names.values()),
        exchange=exchange,
        course_env=install_course_env(work / "course-env"),
    )
    hub.state.mkdir()
    course = copy_course(work / "instructor")
    try:
        hub.start()
        record.seconds["hub up"] = time.monotonic() - clock
        tokens = hub.start_servers()
        record.seconds["three servers ready"] = time.monotonic() - clock
        learners = {role: Learner(name, hub.url, tokens[name]) for role, name in names.items()}

        # Instructor: release into the exchange.
        instructor("release", QUIZ, course=course, exchange=exchange)
        exchange_command(course, exchange, "release_assignment", QUIZ)
        model = Quiz(course, QUIZ)
        partial = model.closed([item.grade_id for item in model.autograded][::2])
        answers = {"complete": model.submission(), "partial": model.submission(partial)}
        record.expected = {
            "complete": model.autograded_points,
            "blank": 0.0,
            "partial": model.score_of(partial),
        }

        # Learners, through the hub: see the course, fetch, answer, submit.
        for role, learner in learners.items():
            listing = learner.read("kinesis-course")["content"]
            record.lessons[role] = sorted(item["name"] for item in listing)
            record.formgrader_status[role] = requests.get(
                f"{hub.url}/user/{learner.name}/formgrader",
                headers={"Authorization": f"token {learner.token}"},
                timeout=60,
            ).status_code
            record.disabled_lab_extensions[role] = lab_page_disabled(learner)
            record.listed_before_fetch[role] = learner.assignments()
            learner.act("fetch")
            fetched = nbformat.from_dict(learner.read(NOTEBOOK)["content"])
            copy = work / "fetched" / role / f"{QUIZ}.ipynb"
            copy.parent.mkdir(parents=True)
            nbformat.write(fetched, copy)
            record.fetched_leaks[role] = hidden_text_in(copy)
            record.fetched_is_release[role] = [c.source for c in fetched.cells] == [
                c.source for c in model.release.cells
            ]
            if role in answers:
                learner.save_notebook(NOTEBOOK, answers[role])
            learner.act("submit")
            mine = [a for a in learner.assignments() if a["assignment_id"] == QUIZ]
            record.status_after_submit[role] = ",".join(sorted(a["status"] for a in mine))
        record.seconds["fetched and submitted"] = time.monotonic() - clock

        # Instructor: collect, grade the collected folder, hand feedback back.
        exchange_command(course, exchange, "collect", QUIZ)
        submitted = course.root / "submitted"
        record.collected = sorted(p.name for p in submitted.iterdir())
        graded = instructor("grade", QUIZ, str(submitted), course=course, exchange=exchange)
        record.grade_output = graded.stdout
        record.seconds["graded"] = time.monotonic() - clock
        for role, name in names.items():
            result_file = course.root / "grading" / QUIZ / "results" / f"{name}.json"
            verdicts = json.loads(result_file.read_text())["verdicts"]
            record.scores[role] = sum(v["score"] for v in verdicts)
        exchange_command(course, exchange, "release_feedback", QUIZ)

        # Learners, through the hub: fetch feedback and read it.
        for role, learner in learners.items():
            learner.act("fetch_feedback")
            record.feedback[role] = feedback_of(learner)
            copy = work / "feedback" / role / f"{QUIZ}.html"
            copy.parent.mkdir(parents=True)
            copy.write_text(record.feedback[role])
            record.feedback_leaks[role] = hidden_text_in(copy)
        record.seconds["feedback fetched"] = time.monotonic() - clock
    finally:
        tracked = hub.processes() if hub.process and hub.process.poll() is None else []
        hub.stop()
        time.sleep(1)
        alive = [p for p in tracked if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        record.left_behind = [f"{p.pid} {' '.join(p.cmdline())}" for p in alive]
        for process in alive:  # ours: the hub's children and the learners' servers
            process.kill()
        record.seconds["hub stopped"] = time.monotonic() - clock


@pytest.fixture(scope="module")
def class_run():
    install_proxy()
    # Not under pytest's private (0700) tmp folder: learners' accounts must reach their homes.
    work = Path(tempfile.mkdtemp(prefix="kinesis-hub-class-"))
    work.chmod(0o755)
    suffix = secrets.token_hex(3)
    names = {role: f"kc{suffix}-{role}" for role in LEARNER_ROLES}
    record = ClassRun(names=names)
    (work / "homes").mkdir(mode=0o755)
    try:
        for name in names.values():
            create_account(name, work / "homes")
        run_the_class(work, names, record)
        yield record
    finally:
        for name in names.values():
            remove_account(name)
        shutil.rmtree(work, ignore_errors=True)


def test_the_learners_course_id_is_the_instructors():
    assert course_id_in(HUB_DIR / "learner" / "nbgrader_config.py") == COURSE_ID


def test_each_learner_gets_the_lessons_and_no_instructor_tools(class_run):
    lessons = sorted(p.name for p in (REPO / "notebooks").glob("*.ipynb"))
    for role in LEARNER_ROLES:
        assert class_run.lessons[role] == lessons
        assert class_run.formgrader_status[role] == 404
        assert class_run.disabled_lab_extensions[role] == [
            "@jupyter/nbgrader:course-list",
            "@jupyter/nbgrader:create-assignment",
            "@jupyter/nbgrader:formgrader",
        ]


def test_the_released_quiz_reaches_every_learner_without_its_answers(class_run):
    for role in LEARNER_ROLES:
        listed = [a for a in class_run.listed_before_fetch[role] if a["assignment_id"] == QUIZ]
        assert [a["status"] for a in listed] == ["released"]
        assert class_run.fetched_is_release[role]
        assert class_run.fetched_leaks[role] == []
        assert class_run.status_after_submit[role] == "fetched,submitted"


def test_the_instructor_collects_one_submission_per_learner(class_run):
    assert class_run.collected == sorted(class_run.names.values())


def test_make_grade_scores_each_collected_submission(class_run):
    assert "Graded 3 submission(s) of q01_core_capacity" in class_run.grade_output
    assert class_run.scores == class_run.expected
    assert 0 < class_run.expected["partial"] < class_run.expected["complete"]


def test_each_learner_fetches_their_own_feedback_without_hidden_tests(class_run):
    for role, name in class_run.names.items():
        others = set(class_run.names.values()) - {name}
        assert QUIZ in class_run.feedback[role] and name in class_run.feedback[role]
        assert not any(other in class_run.feedback[role] for other in others)
        assert class_run.feedback_leaks[role] == []
    assert class_run.feedback["complete"] != class_run.feedback["blank"]


def test_stopping_the_hub_leaves_no_process_behind(class_run):
    print("seconds since start:", {k: round(v, 1) for k, v in class_run.seconds.items()})
    assert class_run.left_behind == []
