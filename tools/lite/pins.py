"""What the in-browser course ships, pinned (browser-labs.md: versions that fit together).

The Pyodide runtime, the kernel and the JupyterLite core move together: the kernel 0.8.6
expects Pyodide 314.0.6 (Python 3.14). Pure-Python wheels are listed with their sha256 in
``wheels.txt`` (pip's requirements format); ``python tools/build_lite.py --update-pins``
rewrites it from the versions installed in the course's environment, so the browser runs
what the suite tested.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
WHEELS_TXT = HERE / "wheels.txt"

# npm registry tarball of the Pyodide core (pyodide.mjs, the wasm, the stdlib, a lock file).
PYODIDE_VERSION = "314.0.6"
PYODIDE_TARBALL = f"https://registry.npmjs.org/pyodide/-/pyodide-{PYODIDE_VERSION}.tgz"
PYODIDE_INTEGRITY = "sha512-BKDTJyIqFxC4BExLqeRS3f5xvXZIjOt8C3zGLN/Cc7tFxSwvKVhVkchQQ2AGLOtR4YrVOIFxbV8poyDOOmWwxQ=="
PYTHON_VERSION = "3.14"
PYTHON_FULL_VERSION = "3.14.2"

# The JupyterLite pair this build was tested with (also pinned in pyproject's `site` extra).
JUPYTERLITE_CORE = "0.8.6"
PYODIDE_KERNEL = "0.8.6"

# Registry wheels with compiled speed-ups and a pure fallback: the compiled part is removed
# and the wheel retagged py3-none-any (standins.py). The versions are the course
# environment's; the CPython 3.14 manylinux wheel is pinned by sha256.
RETAGGED = {
    "markupsafe": (
        "MarkupSafe",
        "3.0.4",
        "a8e9f292fcda89b324f2f5c91d13f1424a153e40fc2756f38ee23b15835ff300",
    ),
    "pyyaml": (
        "PyYAML",
        "6.0.4",
        "c604dc2613c417130479cdd6e55c2faa691b6365aa82b3dafddfcecc2eaf1ac7",
    ),
}
# The platform of the pinned registry wheels above (CPython 3.14, manylinux x86_64).
RETAGGED_PLATFORM = ("manylinux_2_28_x86_64", "cp", "cp314")

# The import-level stand-in for `cryptography` (standins.py); the version satisfies moto's
# `cryptography>=35.0.0`, the local label says what it is.
CRYPTOGRAPHY_STANDIN_VERSION = "35.0.0+browser"

# Where the browser needs more than a package's plain requirements: moto's S3 models use
# PyYAML and py-partiql-parser (its "s3" extra).
EXTRAS = {"moto": ("s3",)}

# What the kernel loads at start (the kernel installs ipykernel, comm, jedi and IPython itself)
# and what the lessons import: the roots of the shipped set.
KERNEL_ROOTS = ("micropip", "ipython", "jedi", "comm", "ipywidgets")
TOOLKIT = "kinesis-lab"

# Pyodide's environment, for evaluating Requires-Dist markers.
MARKER_ENV = {
    "implementation_name": "cpython",
    "implementation_version": PYTHON_FULL_VERSION,
    "os_name": "posix",
    "platform_machine": "wasm32",
    "platform_python_implementation": "CPython",
    "platform_release": "",
    "platform_system": "Emscripten",
    "platform_version": "",
    "python_full_version": PYTHON_FULL_VERSION,
    "python_version": PYTHON_VERSION,
    "sys_platform": "emscripten",
}


def canonical(name: str) -> str:
    """PEP 503 name, as Pyodide's lock file keys packages."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class Pin:
    name: str
    version: str
    sha256: str

    @property
    def line(self) -> str:
        return f"{self.name}=={self.version} --hash=sha256:{self.sha256}"


PIN_LINE = re.compile(r"^([A-Za-z0-9_.-]+)==(\S+) --hash=sha256:([0-9a-f]{64})$")


def read_pins(path: Path = WHEELS_TXT) -> list[Pin]:
    pins = []
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = PIN_LINE.match(line)
        if not match:
            raise ValueError(f"{path}:{number}: expected 'name==version --hash=sha256:…': {raw}")
        pins.append(Pin(*match.groups()))
    return pins


def pins_key(extra: str = "") -> str:
    """Cache key of everything downloaded: the pin file, the runtime, the retagged wheels."""
    digest = hashlib.sha256(WHEELS_TXT.read_bytes())
    digest.update(f"{PYODIDE_TARBALL} {PYODIDE_INTEGRITY} {sorted(RETAGGED.items())}".encode())
    digest.update(extra.encode())
    return digest.hexdigest()[:16]
