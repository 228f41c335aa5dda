#!/usr/bin/env bash
# Create the course's virtual environment and install the course into it with some extras.
#
#   tools/install_environment.sh VENV EXTRAS     e.g.  .venv course   or   .venv course,site,dev
#
# Why uv: it installs the course in about 5 s from a warm cache where pip takes about a minute,
# which is what makes `make lab` on a fresh clone quick. uv comes from PyPI like everything else
# (installed into the environment itself when it is not on PATH); pip is the fallback when uv
# cannot be had, or when KINESIS_LAB_INSTALLER=pip asks for it.
set -euo pipefail

venv=${1:?usage: install_environment.sh VENV EXTRAS}
extras=${2:?usage: install_environment.sh VENV EXTRAS}
python=${PYTHON:-python3}
installer=${KINESIS_LAB_INSTALLER:-uv}
export PIP_DISABLE_PIP_VERSION_CHECK=1

[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"

uv=""
if [ "$installer" = uv ]; then
  if [ -x "$venv/bin/uv" ]; then
    uv="$venv/bin/uv"
  elif command -v uv >/dev/null 2>&1; then
    uv=$(command -v uv)
  elif "$venv/bin/python" -m pip install --quiet "uv>=0.13,<1" 2>/dev/null; then
    uv="$venv/bin/uv"
  else
    echo "uv could not be installed; installing with pip (slower)" >&2
  fi
fi

if [ -n "$uv" ]; then
  "$uv" pip install --quiet --python "$venv/bin/python" -e ".[$extras]"
else
  "$venv/bin/python" -m pip install --quiet -e ".[$extras]"
fi
