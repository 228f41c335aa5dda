"""Registry downloads with a cache: the Pyodide runtime (npm) and wheels (PyPI).

Only package registries are contacted: registry.npmjs.org for the runtime tarball, PyPI
through pip for wheels. Every artefact is checked against a pinned hash, so a cached file is
reused only when it is exactly the pinned one, and a second build downloads nothing.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
from pathlib import Path

from . import pins

PIP_TARGET = [
    "--only-binary=:all:",
    "--python-version",
    pins.PYTHON_VERSION,
    "--no-deps",
    "--disable-pip-version-check",
    "--quiet",
]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def pyodide_runtime(cache: Path) -> Path:
    """The npm package's files (pyodide.mjs, wasm, stdlib, …), extracted once into the cache."""
    target = cache / f"pyodide-{pins.PYODIDE_VERSION}"
    if (target / "pyodide.mjs").is_file():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    tarball = cache / Path(pins.PYODIDE_TARBALL).name
    if not tarball.is_file() or not _integrity_ok(tarball):
        with urllib.request.urlopen(pins.PYODIDE_TARBALL, timeout=120) as response:
            tarball.write_bytes(response.read())
        if not _integrity_ok(tarball):
            tarball.unlink()
            raise RuntimeError(f"{pins.PYODIDE_TARBALL}: integrity differs from the pinned one")
    staging = Path(tempfile.mkdtemp(dir=cache))
    with tarfile.open(tarball) as archive:
        archive.extractall(staging, filter="data")
    shutil.rmtree(target, ignore_errors=True)
    (staging / "package").rename(target)
    shutil.rmtree(staging)
    return target


def _integrity_ok(path: Path) -> bool:
    algorithm, expected = pins.PYODIDE_INTEGRITY.split("-", 1)
    digest = hashlib.new(algorithm, path.read_bytes()).digest()
    return base64.b64encode(digest).decode() == expected


def wheel_identity(file_name: str) -> tuple[str, str]:
    """(canonical name, version) from a wheel's file name."""
    name, version = file_name.split("-")[:2]
    return pins.canonical(name), version


def find_wheel(folder: Path, name: str, version: str, sha256: str | None = None) -> Path | None:
    for path in sorted(folder.glob("*.whl")) if folder.is_dir() else []:
        if wheel_identity(path.name) == (pins.canonical(name), version):
            if sha256 is None or sha256_of(path) == sha256:
                return path
    return None


def pip_download(
    requirements: list[str], folder: Path, platform_args: list[str], hashed: bool = True
) -> None:
    """pip download pinned, hashed requirements into a folder (PyPI only: this machine's
    pip configuration — extra indexes, constraints — is left out so the build is the same
    everywhere)."""
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
        handle.write("\n".join(requirements) + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_") or k == "PIP_CERT"}
    env["PIP_CONFIG_FILE"] = os.devnull
    try:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "-d", str(folder), "-r", handle.name]
            + ["--index-url", "https://pypi.org/simple"]
            + PIP_TARGET
            + (["--require-hashes"] if hashed else [])
            + platform_args,
            check=True,
            env=env,
        )
    finally:
        os.unlink(handle.name)


def pure_wheels(cache: Path, wanted: list[pins.Pin]) -> list[Path]:
    """The pinned pure-Python wheels (py3-none-any and the like), downloading what is missing."""
    folder = cache / "wheels"
    missing = [
        pin for pin in wanted if find_wheel(folder, pin.name, pin.version, pin.sha256) is None
    ]
    if missing:
        pip_download(
            [pin.line for pin in missing],
            folder,
            ["--platform", "any", "--implementation", "py", "--abi", "none"],
        )
    found = []
    for pin in wanted:
        path = find_wheel(folder, pin.name, pin.version, pin.sha256)
        if path is None:
            raise RuntimeError(f"{pin.name}=={pin.version}: no wheel with the pinned sha256")
        found.append(path)
    return found


def compiled_wheel(cache: Path, name: str, version: str, sha256: str) -> Path:
    """One pinned CPython wheel (the source of a retagged stand-in)."""
    folder = cache / "compiled"
    path = find_wheel(folder, name, version, sha256)
    if path is None:
        platform, implementation, abi = pins.RETAGGED_PLATFORM
        pip_download(
            [f"{name}=={version} --hash=sha256:{sha256}"],
            folder,
            ["--platform", platform, "--implementation", implementation, "--abi", abi],
        )
        path = find_wheel(folder, name, version, sha256)
    if path is None:
        raise RuntimeError(f"{name}=={version}: no wheel with the pinned sha256")
    return path
