"""Pyodide's lock file for the lite site, written from the wheels actually shipped.

The npm runtime's own lock lists 357 packages whose files exist only on a CDN; ours lists
only the wheels beside it, each with its sha256, import names and dependencies (Requires-Dist
evaluated for Pyodide), so the kernel never looks elsewhere. A dependency that is not shipped
stops the build with its name.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from . import fetch, pins, resolve, wheelfile


def entry(wheel: Path) -> dict:
    meta = wheelfile.metadata_of(wheel)
    name = pins.canonical(meta["Name"])
    with zipfile.ZipFile(wheel) as archive:
        imports = wheelfile.top_level_imports(archive.namelist())
    requires = meta.get_all("Requires-Dist") or []
    if name == pins.TOOLKIT:
        requires = resolve.toolkit_requires()
    return {
        "name": name,
        "version": meta["Version"],
        "file_name": wheel.name,
        "install_dir": "site",
        "sha256": fetch.sha256_of(wheel),
        "package_type": "package",
        "imports": imports,
        "depends": resolve.depends_of(name, requires),
        "unvendored_tests": False,
        "shared_library": False,
    }


def write_lock(runtime_lock: Path, wheels: list[Path], target: Path) -> dict:
    """pyodide-lock.json listing exactly ``wheels`` (which sit beside ``target``)."""
    info = json.loads(runtime_lock.read_text())["info"]
    packages = {}
    for wheel in wheels:
        item = entry(wheel)
        if item["name"] in packages:
            raise RuntimeError(f"{item['name']} is shipped twice")
        packages[item["name"]] = item
    for item in packages.values():
        missing = [dep for dep in item["depends"] if dep not in packages]
        if missing:
            raise RuntimeError(f"{item['name']} needs {missing}, which the lite site does not ship")
    lock = {
        "info": {**info, "version": pins.PYODIDE_VERSION},
        "packages": dict(sorted(packages.items())),
    }
    target.write_text(json.dumps(lock, indent=1, sort_keys=True) + "\n")
    return lock
