"""Work out the shipped set of wheels and their requirements as Pyodide sees them.

``closure`` walks Requires-Dist from the roots with Pyodide's markers (sys_platform
"emscripten", Python 3.14), so packages a browser never imports (pexpect, say) stay out.
``update_pins`` writes wheels.txt from the versions installed here — the versions the
suite ran with — after downloading each wheel once to record its sha256.
"""

from __future__ import annotations

import tempfile
from importlib import metadata
from pathlib import Path

import tomllib
from packaging.requirements import Requirement

from . import fetch, pins

# Made by standins.py, not downloaded as they are.
STANDINS = {"cryptography", *pins.RETAGGED}
# Requirements the browser does without, and why.
NOT_SHIPPED = {
    # ipywidgets' notebook and JupyterLab front-end packages: the lite site has the JupyterLab
    # widget manager as a federated extension; nothing imports these in Python.
    "widgetsnbextension": "front-end only",
    "jupyterlab-widgets": "front-end only",
}


def requirement_names(requires: list[str], extras: tuple[str, ...] = ()) -> list[str]:
    """Canonical names of the requirements that apply under Pyodide (with these extras)."""
    names = []
    for text in requires or []:
        requirement = Requirement(text)
        if requirement.marker is not None:
            environments = [{**pins.MARKER_ENV, "extra": extra} for extra in ("", *extras)]
            if not any(requirement.marker.evaluate(env) for env in environments):
                continue
        name = pins.canonical(requirement.name)
        if name not in names:
            names.append(name)
    return names


def depends_of(name: str, requires: list[str]) -> list[str]:
    """What Pyodide must load with a package: its requirements, with the browser's extras."""
    extras = pins.EXTRAS.get(pins.canonical(name), ())
    return [n for n in requirement_names(requires, extras) if n not in NOT_SHIPPED]


def closure(roots: list[str], requires_of) -> list[str]:
    """Every package reachable from the roots (canonical names, sorted)."""
    seen: set[str] = set()
    todo = [pins.canonical(root) for root in roots]
    while todo:
        name = todo.pop()
        if name in seen or name in NOT_SHIPPED:
            continue
        seen.add(name)
        todo.extend(depends_of(name, requires_of(name)))
    return sorted(seen)


def _without_extras(text: str) -> str:
    requirement = Requirement(text)
    requirement.extras = set()
    return str(requirement)


def _installed_requires(name: str, pyodide_lock: dict) -> list[str]:
    """Requires-Dist from this environment; Pyodide's own lock for what is not installed here
    (micropip); none for the stand-ins, which need nothing."""
    if name in STANDINS:
        return []
    if name == pins.TOOLKIT:  # pyproject.toml is the truth (an editable install's can be stale)
        return toolkit_requires()
    try:
        return metadata.requires(name) or []
    except metadata.PackageNotFoundError:
        return pyodide_lock["packages"][name]["depends"]


def toolkit_requires() -> list[str]:
    """The course toolkit's requirements, moto's extras narrowed to the browser's
    (pins.EXTRAS): the `server` extra is for `make endpoint`, which a browser cannot run."""
    project = tomllib.loads((pins.REPO / "pyproject.toml").read_text())["project"]
    return [_without_extras(text) for text in project["dependencies"]]


def _version(name: str, pyodide_lock: dict) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        if name in pyodide_lock["packages"]:
            return pyodide_lock["packages"][name]["version"]
        raise SystemExit(f"{name} is needed in the browser but not installed here") from None


def update_pins(pyodide_lock: dict) -> list[pins.Pin]:
    """Rewrite wheels.txt from this environment's versions (run after a dependency bump)."""
    names = closure(
        [*pins.KERNEL_ROOTS, pins.TOOLKIT], lambda name: _installed_requires(name, pyodide_lock)
    )
    wanted = [n for n in names if n not in STANDINS and n != pins.TOOLKIT]
    versions = {name: _version(name, pyodide_lock) for name in wanted}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        fetch.pip_download(
            [f"{name}=={version}" for name, version in versions.items()],
            folder,
            ["--platform", "any", "--implementation", "py", "--abi", "none"],
            hashed=False,
        )
        result = []
        for name, version in sorted(versions.items()):
            path = fetch.find_wheel(folder, name, version)
            if path is None:
                raise SystemExit(f"{name}=={version}: no pure-Python wheel on PyPI")
            result.append(pins.Pin(name, version, fetch.sha256_of(path)))
    header = (
        "# Pure-Python wheels shipped with the in-browser course (PyPI, pinned with sha256).\n"
        "# Written by `python tools/build_lite.py --update-pins` from the course environment's\n"
        "# versions; the stand-ins (cryptography, MarkupSafe, PyYAML) are in standins.py.\n"
    )
    pins.WHEELS_TXT.write_text(header + "".join(pin.line + "\n" for pin in result))
    return result
