"""Assemble the JupyterLite source folder and run ``jupyter lite build`` on it.

The source folder holds: the Pyodide runtime with our lock file and the shipped wheels
(``static/pyodide/``: the kernel's pyodideUrl points there), the lesson notebooks (``files/``:
the top of the lite file browser, so ``lab/index.html?path=01_core_data_model.ipynb`` opens
lesson 01), the two front-end extensions the lessons need (the Pyodide kernel, the widget
manager — not everything installed in this environment), and jupyter-lite.json.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from . import pins

# The runtime files the kernel loads (the npm package also has the classic script, source
# maps, type declarations, demo consoles).
RUNTIME_FILES = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip")
EXTENSIONS = ("@jupyterlite/pyodide-kernel-extension", "@jupyter-widgets/jupyterlab-manager")
KERNEL_PLUGIN = "@jupyterlite/pyodide-kernel-extension:kernel"
APPS = ("lab",)


def lite_config() -> dict:
    return {
        "jupyter-lite-schema-version": 0,
        "jupyter-config-data": {
            "appName": "Amazon Kinesis, hands-on: in your browser",
            "litePluginSettings": {
                KERNEL_PLUGIN: {
                    "pyodideUrl": "./static/pyodide/pyodide.mjs",
                    "disablePyPIFallback": True,
                    "loadPyodideOptions": {"packages": ["micropip", pins.TOOLKIT]},
                }
            },
        },
    }


def labextensions_dir() -> Path:
    return Path(sys.prefix) / "share" / "jupyter" / "labextensions"


def assemble(source: Path, runtime: Path, wheels: list[Path], notebooks: list[Path]) -> Path:
    """Write the lite source folder; return its static/pyodide folder (for the lock file)."""
    shutil.rmtree(source, ignore_errors=True)
    pyodide = source / "static" / "pyodide"
    pyodide.mkdir(parents=True)
    for name in RUNTIME_FILES:
        shutil.copyfile(runtime / name, pyodide / name)
    for wheel in wheels:
        shutil.copyfile(wheel, pyodide / wheel.name)
    files = source / "files"
    files.mkdir()
    for notebook in notebooks:
        shutil.copyfile(notebook, files / notebook.name)
    for name in EXTENSIONS:
        found = labextensions_dir() / name
        if not (found / "package.json").is_file():
            raise RuntimeError(f"{found}: extension missing (install the `site` extra)")
        shutil.copytree(
            found, source / "labextensions" / name, ignore=shutil.ignore_patterns("*.map")
        )
    (source / "jupyter-lite.json").write_text(json.dumps(lite_config(), indent=2) + "\n")
    build_config = {"FederatedExtensionAddon": {"extra_labextensions_path": ["labextensions"]}}
    (source / "jupyter_lite_config.json").write_text(json.dumps(build_config, indent=2) + "\n")
    return pyodide


def jupyter_lite_build(source: Path, output: Path) -> None:
    shutil.rmtree(output, ignore_errors=True)
    env = {**os.environ, "JUPYTERLITE_NO_LIBARCHIVE": "1"}
    command = [
        sys.executable,
        "-m",
        "jupyterlite_core",
        "build",
        "--lite-dir",
        str(source),
        "--output-dir",
        str(output),
        "--ignore-sys-prefix",
        "--no-sourcemaps",
        "--no-unused-shared-packages",
        "--source-date-epoch",
        "315532800",
        *[arg for app in APPS for arg in ("--apps", app)],
    ]
    result = subprocess.run(command, cwd=source, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"jupyter lite build failed:\n{(result.stdout + result.stderr)[-4000:]}")
    for leftover in (".jupyterlite.doit.db",):
        (output / leftover).unlink(missing_ok=True)
