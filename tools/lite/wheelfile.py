"""Write and read wheels byte for byte reproducibly (sorted entries, fixed timestamps)."""

from __future__ import annotations

import base64
import hashlib
import zipfile
from email.parser import Parser
from pathlib import Path

FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={digest}"


def write_wheel(path: Path, files: dict[str, bytes], dist_info: str) -> Path:
    """A wheel from its files (RECORD is written here, last, as the spec wants)."""
    record_name = f"{dist_info}/RECORD"
    body = {name: data for name, data in files.items() if name != record_name}
    lines = [f"{name},{record_hash(data)},{len(data)}" for name, data in sorted(body.items())]
    body[record_name] = ("\n".join([*lines, f"{record_name},,"]) + "\n").encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(body, key=lambda n: (n == record_name, n)):
            info = zipfile.ZipInfo(name, FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, body[name])
    return path


def read_files(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist() if not name.endswith("/")}


def dist_info_dir(names) -> str:
    found = {name.split("/")[0] for name in names if name.split("/")[0].endswith(".dist-info")}
    if len(found) != 1:
        raise ValueError(f"expected one .dist-info folder, found {sorted(found)}")
    return found.pop()


def metadata_of(path: Path):
    """The wheel's METADATA as an email.message.Message (Name, Version, Requires-Dist…)."""
    with zipfile.ZipFile(path) as archive:
        dist_info = dist_info_dir(archive.namelist())
        return Parser().parsestr(archive.read(f"{dist_info}/METADATA").decode("utf-8"))


def top_level_imports(names) -> list[str]:
    """Importable top-level names: packages (folders with an __init__.py) and modules."""
    found = set()
    for name in names:
        parts = name.split("/")
        if parts[0].endswith((".dist-info", ".data")):
            continue
        if len(parts) == 1 and name.endswith(".py"):
            found.add(name[:-3])
        elif len(parts) == 2 and parts[1] == "__init__.py":
            found.add(parts[0])
    return sorted(found)
