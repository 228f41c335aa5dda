#!/usr/bin/env bash
# Create the course's virtual environment and install the course into it with some extras.
#
#   tools/install_environment.sh VENV EXTRAS     e.g.  .venv course   or   .venv course,site,dev
#
# Why uv: it installs the course in about 5 s from a warm cache where pip takes about a minute,
# which is what makes `make lab` on a fresh clone quick. uv comes from PyPI like everything else
# (installed into the environment itself when it is not on PATH); pip is the fallback when uv
# cannot be had, or when KINESIS_LAB_INSTALLER=pip asks for it.
#
# KINESIS_COMPILE_BYTECODE=1 (what `make test` sets) also compiles every installed module, and
# the toolkit, to bytecode once, here. Why: where PYTHONDONTWRITEBYTECODE=1 is set (CI images,
# containers) Python never writes .pyc files, so every process the test suite starts — some 300
# kernels, graders and commands — compiled botocore, moto and the kernel's modules from source
# again: about 1 s of CPU each. `make lab` leaves it to Python (it writes .pyc on first import
# where allowed), which keeps a fresh clone's JupyterLab quick.
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

# Left out of every environment, and why: tools/install_excludes.txt.
excludes="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/install_excludes.txt"
compile=${KINESIS_COMPILE_BYTECODE:-0}
if [ -n "$uv" ]; then
  uv_compile=()
  [ "$compile" = 1 ] && uv_compile=(--compile-bytecode)
  "$uv" pip install --quiet "${uv_compile[@]}" --excludes "$excludes" \
    --python "$venv/bin/python" -e ".[$extras]"
  # an environment made before a package was excluded still has it
  "$uv" pip uninstall --quiet --python "$venv/bin/python" -r "$excludes"
else
  pip_compile=(--no-compile)
  [ "$compile" = 1 ] && pip_compile=()
  "$venv/bin/python" -m pip install --quiet "${pip_compile[@]}" -e ".[$extras]"
  # pip has no exclude: take the packages out again (a no-op when they are absent)
  "$venv/bin/python" -m pip uninstall --quiet --yes -r "$excludes"
fi
if [ "$compile" = 1 ]; then
  # The toolkit is installed editable (its code stays in labs/), so compile it here too.
  "$venv/bin/python" -m compileall -q -j 0 labs >/dev/null
fi
