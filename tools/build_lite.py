"""Build the in-browser course: a JupyterLite site in build/site/lite (issue 14).

Every file is served from the site itself: the Pyodide runtime from the npm registry,
pure-Python wheels from PyPI (pinned with sha256 in tools/lite/wheels.txt), the stand-ins of
browser-labs.md made here from registry artefacts, the course toolkit built as a wheel, a
pyodide-lock.json listing exactly those wheels, and every lesson notebook at the top level
(the numbered lessons: the CLI appendix needs subprocesses, which a browser has not).
Downloads and builds are cached under build/lite-cache/, keyed by the pins and the sources,
so a second build with nothing changed only copies.

    python tools/build_lite.py                 # → build/site/lite
    python tools/build_lite.py --out DIR       # somewhere else (mkdocs serve's temp folder)
    python tools/build_lite.py --update-pins   # rewrite wheels.txt from this environment

`make site` runs it through the site hook (tools/site_hooks.py, after the pages are built).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lite import fetch, lockfile, pins, resolve, site, standins, toolkit, trim  # noqa: E402

REPO = pins.REPO
CACHE = REPO / "build" / "lite-cache"
SITE_FOLDER = "lite"  # under the site's root: lite/lab/index.html?path=<notebook>
DEFAULT_OUT = REPO / "build" / "site" / SITE_FOLDER
NOTEBOOKS = REPO / "notebooks"
BUDGET_MB = 60
# The numbered lessons only: the CLI appendix runs `aws` in subprocesses, which the browser has
# not (its site page, if it gets one, has no "Run in your browser" button either).
LESSON_GLOB = "[0-9][0-9]_*.ipynb"
# Modules of tools/lite/ that are not build inputs (the browser driver of the test and bench).
NOT_BUILD_INPUTS = {"driver.py"}


def notebooks() -> list[Path]:
    return sorted(NOTEBOOKS.glob(LESSON_GLOB))


def shipped_wheels(cache: Path) -> list[Path]:
    """Every wheel the browser gets: pinned pure wheels, stand-ins, the toolkit."""
    made = cache / "standins" / pins.pins_key(standins_key())
    if not made.is_dir():
        staging = made.with_name(made.name + ".tmp")
        shutil.rmtree(staging, ignore_errors=True)
        for name, version, sha256 in pins.RETAGGED.values():
            standins.retagged(fetch.compiled_wheel(cache, name, version, sha256), staging)
        standins.cryptography_standin(staging)
        staging.rename(made)
    pure = fetch.pure_wheels(cache, pins.read_pins())
    pure = [
        trim.botocore_trimmed(wheel, cache) if trim.is_botocore(wheel) else wheel for wheel in pure
    ]
    return [*pure, *sorted(made.glob("*.whl")), toolkit.toolkit_wheel(cache)]


def standins_key() -> str:
    digest = hashlib.sha256()
    for path in sorted(standins.STANDIN_SOURCE.rglob("*.py")) + [Path(standins.__file__)]:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def site_key(wheels: list[Path]) -> str:
    """Everything the JupyterLite output depends on."""
    digest = hashlib.sha256()
    digest.update(f"{pins.JUPYTERLITE_CORE} {pins.PYODIDE_KERNEL} {pins.PYODIDE_TARBALL}".encode())
    modules = [
        path
        for path in sorted((Path(__file__).parent / "lite").glob("*.py"))
        if path.name not in NOT_BUILD_INPUTS
    ]
    for path in [*wheels, *notebooks(), *modules]:
        digest.update(path.name.encode())
        digest.update(fetch.sha256_of(path).encode())
    return digest.hexdigest()[:16]


def build(out: Path = DEFAULT_OUT, cache: Path = CACHE) -> Path:
    runtime = fetch.pyodide_runtime(cache)
    wheels = shipped_wheels(cache)
    built = cache / "site" / site_key(wheels)
    if not (built / "jupyter-lite.json").is_file():
        source = cache / "source"
        pyodide = site.assemble(source, runtime, wheels, notebooks())
        lockfile.write_lock(runtime / "pyodide-lock.json", wheels, pyodide / "pyodide-lock.json")
        staging = built.with_name(built.name + ".tmp")
        site.jupyter_lite_build(source, staging)
        shutil.rmtree(source)
        for old in built.parent.iterdir():  # one cached build is enough
            if old != staging:
                shutil.rmtree(old)
        staging.rename(built)
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(built, out)
    return out


def size_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--update-pins", action="store_true")
    args = parser.parse_args(argv)
    if args.update_pins:
        runtime = fetch.pyodide_runtime(CACHE)
        lock = json.loads((runtime / "pyodide-lock.json").read_text())
        print(f"{len(resolve.update_pins(lock))} wheels pinned in {pins.WHEELS_TXT}")
        return 0
    started = time.perf_counter()
    out = build(args.out)
    size = size_mb(out)
    print(f"lite site: {out} ({size:.1f} MB, {time.perf_counter() - started:.1f} s)")
    if size > BUDGET_MB:
        print(f"the lite site is over its {BUDGET_MB} MB budget", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
