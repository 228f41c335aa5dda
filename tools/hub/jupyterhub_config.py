"""The class hub: JupyterHub on one machine, one Unix account per learner, nbgrader's exchange.

Why these choices (INSTRUCTORS.md, "A class on JupyterHub", has the walk-through):
- one Unix account per learner (PAM logins, LocalProcessSpawner): nbgrader's exchange names a
  submission after the OS user that made it, and Unix permissions keep learners out of each
  other's files and submissions — the same model as The Littlest JupyterHub;
- learners' servers run the course environment that tools/hub/install_course_env.sh makes
  where every account can read it (the toolkit, JupyterLab, nbgrader's Assignments tab, and the
  learner's settings from tools/hub/learner/: the course id, the exchange, instructor tools
  off), and get the lessons copied into ``~/kinesis-course`` on first start;
- instructors (``admin_users``) get their server in the repository, on its .venv, with the
  formgrader.

Start, as root, from the repository: ``.venv/bin/jupyterhub -f tools/hub/jupyterhub_config.py``
with ``KINESIS_HUB_LEARNERS`` and ``KINESIS_HUB_INSTRUCTORS`` (comma-separated account names),
and optionally ``KINESIS_HUB_COURSE_ENV`` (default /opt/kinesis-course) and
``KINESIS_COURSE_EXCHANGE`` (default /srv/nbgrader/exchange), in the environment.
tests/course/test_jupyterhub_class.py loads this file and changes only the authenticator (no
passwords), the ports and the state folder.
"""

import os
import pwd
import shutil
import sys
from pathlib import Path

c = get_config()  # noqa: F821 (provided by traitlets when JupyterHub loads this file)

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
COURSE_ENV = Path(os.environ.get("KINESIS_HUB_COURSE_ENV") or "/opt/kinesis-course")
LEARNER_CONFIG = COURSE_ENV / "share" / "kinesis-course" / "learner-config"
PROXY = REPO / "build" / "hub-proxy" / "node_modules" / ".bin" / "configurable-http-proxy"
EXCHANGE = os.environ.get("KINESIS_COURSE_EXCHANGE") or "/srv/nbgrader/exchange"
LESSONS_FOLDER = "kinesis-course"  # in each learner's home


def _names(variable: str) -> set[str]:
    return {name.strip() for name in os.environ.get(variable, "").split(",") if name.strip()}


# --- who may log in ----------------------------------------------------------------------------
c.JupyterHub.authenticator_class = "pam"
c.Authenticator.admin_users = _names("KINESIS_HUB_INSTRUCTORS")
c.Authenticator.allowed_users = _names("KINESIS_HUB_LEARNERS") | c.Authenticator.admin_users

# --- the proxy: installed from npm by tools/hub/install_proxy.sh -------------------------------
if PROXY.exists():
    c.ConfigurableHTTPProxy.command = [str(PROXY)]

# --- each user's server: a process under their own Unix account --------------------------------
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [str(COURSE_ENV / "bin" / "jupyterhub-singleuser")]
c.Spawner.ip = "127.0.0.1"
c.Spawner.notebook_dir = "~"
c.Spawner.default_url = f"/lab/tree/{LESSONS_FOLDER}/00_orientation.ipynb"
c.Spawner.start_timeout = 120  # a busy machine starting a whole class at once
c.Spawner.http_timeout = 120

# nbgrader's exchange: one folder every account can write into (nbgrader's own permissions keep
# inbound submissions unreadable to other learners).
os.makedirs(EXCHANGE, exist_ok=True)
os.chmod(EXCHANGE, 0o777)


def give_lessons(home: Path, owner: pwd.struct_passwd) -> None:
    """Copy the lesson notebooks into ``~/kinesis-course``; never overwrite a learner's copy."""
    target = home / LESSONS_FOLDER
    target.mkdir(exist_ok=True)
    os.chown(target, owner.pw_uid, owner.pw_gid)
    for lesson in sorted((REPO / "notebooks").glob("*.ipynb")):
        copy = target / lesson.name
        if not copy.exists():
            shutil.copyfile(lesson, copy)
            os.chown(copy, owner.pw_uid, owner.pw_gid)


def prepare_server(spawner) -> None:
    """Learners: the lessons and the learner's nbgrader settings; instructors: the course."""
    account = pwd.getpwnam(spawner.user.name)
    env = {"KINESIS_COURSE_EXCHANGE": EXCHANGE}
    if spawner.user.admin:
        # The hub's own environment (the repository's .venv), started in the repository: its
        # nbgrader_config.py gives the formgrader the course in quizzes/.
        spawner.cmd = [str(Path(sys.prefix) / "bin" / "jupyterhub-singleuser")]
        spawner.notebook_dir = str(REPO)
    else:
        give_lessons(Path(account.pw_dir), account)
        env["JUPYTER_CONFIG_PATH"] = str(LEARNER_CONFIG)
    spawner.environment = {**spawner.environment, **env}


c.Spawner.pre_spawn_hook = prepare_server
