#!/usr/bin/env bash
# The environment learners' servers run on the class hub, where every account can read it:
#
#   tools/hub/install_course_env.sh DEST      e.g. /opt/kinesis-course (a real class)
#
# Why not the repository's .venv: learners' servers run under their own Unix accounts, and a
# .venv made from a Python in root's home (pyenv) or in a private checkout cannot be executed by
# them. DEST gets: a virtual environment made from the system's python3, the course toolkit
# installed from a copy of this checkout (not editable: learners never need to read the
# repository), JupyterLab and nbgrader (the `course` extra), jupyterhub-singleuser (the range
# pinned in pyproject.toml's dev extra), and the learner's settings (tools/hub/learner/) in
# DEST/share/kinesis-course/learner-config, which tools/hub/jupyterhub_config.py points
# learners' servers at. Uses uv when there is one (about 10 s from a warm cache), else pip.
set -euo pipefail

dest=${1:?usage: install_course_env.sh DEST}
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
system_python=${PYTHON:-/usr/bin/python3}

hub_range=$("$system_python" - "$repo/pyproject.toml" <<'PY'
import sys, tomllib
with open(sys.argv[1], "rb") as handle:
    dev = tomllib.load(handle)["project"]["optional-dependencies"]["dev"]
print(next(r for r in dev if r.replace(" ", "").startswith("jupyterhub")))
PY
)

# Build from a copy, so the build writes nothing into the shared checkout (setuptools' build/).
source=$(mktemp -d)
trap 'rm -rf "$source"' EXIT
cp "$repo/pyproject.toml" "$repo/README.md" "$source/"
cp -r "$repo/labs" "$source/labs"
find "$source/labs" \( -name '__pycache__' -o -name '*.egg-info' \) -prune -exec rm -rf {} +

uv=""
if [ -x "$repo/.venv/bin/uv" ]; then
  uv="$repo/.venv/bin/uv"
elif command -v uv >/dev/null 2>&1; then
  uv=$(command -v uv)
fi
excludes="$repo/tools/install_excludes.txt"  # left out, and why (as for the course's .venv)
if [ -n "$uv" ]; then
  [ -x "$dest/bin/python" ] || "$uv" venv --quiet --python "$system_python" "$dest"
  "$uv" pip install --quiet --excludes "$excludes" --python "$dest/bin/python" \
    "$source[course]" "$hub_range"
  "$uv" pip uninstall --quiet --python "$dest/bin/python" -r "$excludes"  # if made before
else
  [ -x "$dest/bin/python" ] || "$system_python" -m venv "$dest"
  "$dest/bin/python" -m pip install --quiet "$source[course]" "$hub_range"
  "$dest/bin/python" -m pip uninstall --quiet --yes -r "$excludes"
fi

settings="$dest/share/kinesis-course/learner-config"
rm -rf "$settings"
mkdir -p "$settings"
cp -r "$here/learner/." "$settings/"
chmod -R a+rX "$dest"
echo "$dest"
