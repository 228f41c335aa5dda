"""The third-party wheels the browser gets modified, made from registry artefacts here.

- MarkupSafe and PyYAML: the CPython wheel from PyPI with its compiled extension (and that
  extension's C source) removed and the wheel retagged ``py3-none-any``. Both packages fall
  back to their pure-Python code when the extension is missing.
- cryptography: no browser build can be had from a registry, and moto imports it at module
  level. The stand-in (``cryptography_standin/``, ours) makes every name resolve and every
  constructor succeed (a generated private key too: moto makes one per KMS key); any real
  cryptographic operation raises ``NotAvailableInBrowser``.

site/reference/browser.md tells learners the same, with the licences.
"""

from __future__ import annotations

import re
from pathlib import Path

from . import pins, wheelfile

STANDIN_SOURCE = Path(__file__).resolve().parent / "cryptography_standin"
COMPILED = re.compile(r"\.(so|pyd|c)$")
LICENCE = "MIT licence, the kinesis-lab course's own (pyproject.toml: license = MIT).\n"
NOTE = (
    "Modified for the in-browser course (kinesis-lab, tools/lite/standins.py): compiled "
    "extension removed, retagged py3-none-any; the package's pure-Python fallback is used."
)


def retagged(source: Path, out_dir: Path) -> Path:
    """The registry wheel without compiled parts, tagged py3-none-any."""
    files = wheelfile.read_files(source)
    dist_info = wheelfile.dist_info_dir(files)
    kept = {name: data for name, data in files.items() if not COMPILED.search(name)}
    removed = sorted(set(files) - set(kept))
    if not any(name.endswith((".so", ".pyd")) for name in removed):
        raise RuntimeError(f"{source.name}: no compiled extension found to remove")
    wheel_text = kept[f"{dist_info}/WHEEL"].decode()
    wheel_text = re.sub(r"^Root-Is-Purelib: .*$", "Root-Is-Purelib: true", wheel_text, flags=re.M)
    wheel_text = re.sub(r"^Tag: .*\n", "", wheel_text, flags=re.M).rstrip("\n")
    kept[f"{dist_info}/WHEEL"] = f"{wheel_text}\nTag: py3-none-any\n".encode()
    kept[f"{dist_info}/BROWSER-COURSE.txt"] = (
        NOTE + "\nRemoved: " + ", ".join(removed) + f"\nFrom: {source.name}\n"
    ).encode()
    name, version = dist_info[: -len(".dist-info")].rsplit("-", 1)
    return wheelfile.write_wheel(out_dir / f"{name}-{version}-py3-none-any.whl", kept, dist_info)


def cryptography_standin(out_dir: Path) -> Path:
    """The import-level stand-in for cryptography, as a wheel."""
    version = pins.CRYPTOGRAPHY_STANDIN_VERSION
    dist_info = f"cryptography-{version}.dist-info"
    files = {
        "cryptography/" + path.relative_to(STANDIN_SOURCE).as_posix(): path.read_bytes()
        for path in sorted(STANDIN_SOURCE.rglob("*.py"))
    }
    files[f"{dist_info}/METADATA"] = (
        "Metadata-Version: 2.1\n"
        "Name: cryptography\n"
        f"Version: {version}\n"
        "Summary: Import-level stand-in for cryptography in the in-browser Kinesis course: "
        "names resolve, real operations raise NotAvailableInBrowser.\n"
        "License: MIT\n"
    ).encode()
    files[f"{dist_info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: kinesis-lab tools/lite\nRoot-Is-Purelib: true\n"
        b"Tag: py3-none-any\n"
    )
    files[f"{dist_info}/licenses/LICENSE"] = LICENCE.encode()
    return wheelfile.write_wheel(
        out_dir / f"cryptography-{version}-py3-none-any.whl", files, dist_info
    )
