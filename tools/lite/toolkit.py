"""The course toolkit (kinesis_lab) as a wheel for the browser.

Built from a copy of pyproject.toml, README.md and labs/kinesis_lab (so the build leaves
nothing in the working tree), then rewritten with fixed timestamps: the same sources give the
same bytes. Cached under the hash of those sources. The grader (labs/kinesis_grader) stays
out: it runs on the instructor's machine, and the public site should not carry it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from . import pins, wheelfile

SOURCES = ("pyproject.toml", "README.md", "labs/kinesis_lab")


def _source_files() -> list[Path]:
    files = []
    for name in SOURCES:
        root = pins.REPO / name
        candidates = [root] if root.is_file() else sorted(root.rglob("*"))
        files += [
            path
            for path in candidates
            if path.is_file()
            and "__pycache__" not in path.parts
            and not any(part.endswith(".egg-info") for part in path.parts)
        ]
    return files


def sources_key() -> str:
    digest = hashlib.sha256()
    for path in _source_files():
        digest.update(path.relative_to(pins.REPO).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def toolkit_wheel(cache: Path) -> Path:
    folder = cache / "toolkit" / sources_key()
    built = sorted(folder.glob("*.whl"))
    if built:
        return built[0]
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "src"
        for path in _source_files():
            target = source / path.relative_to(pins.REPO)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
        raw = Path(tmp) / "raw"
        env = {**os.environ, "SOURCE_DATE_EPOCH": "315532800"}
        subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(raw)]
            + [str(source)],
            check=True,
            env=env,
        )
        (wheel,) = raw.glob("*.whl")
        files = wheelfile.read_files(wheel)
        staging = folder.with_name(folder.name + ".tmp")
        shutil.rmtree(staging, ignore_errors=True)
        out = wheelfile.write_wheel(staging / wheel.name, files, wheelfile.dist_info_dir(files))
        shutil.rmtree(folder, ignore_errors=True)
        staging.rename(folder)
        return folder / out.name
