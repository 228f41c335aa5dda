"""Vendor the browser scripts the site needs, so it works offline at view time.

The site must not fetch anything from third parties when a reader opens it. Three scripts
would otherwise come from CDNs:

- RequireJS, which nbconvert's widget loader expects on lesson pages;
- the Jupyter widgets HTML manager (``embed-amd.js``), which draws the embedded widget state
  (sliders, pictures) of a lesson page;
- Mermaid, which Material for MkDocs fetches from a CDN for diagrams.

This tool takes them from the npm registry with ``npm pack`` (pinned versions below), copies
the few files the site serves into ``site/assets/vendor/`` with their licences, and records
each file's SHA-256 in ``site/assets/vendor/VENDOR.json``. The copies are committed;
tests/test_site_content.py checks that they still match the manifest. Run it only to change
a version::

    python tools/vendor_assets.py
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
VENDOR_DIR = REPO / "site" / "assets" / "vendor"
MANIFEST = VENDOR_DIR / "VENDOR.json"

# package@version → {file inside the npm tarball: file under site/assets/vendor/}
PACKAGES = {
    "requirejs@2.3.8": {
        "package/require.js": "requirejs/require.js",  # MIT licence in its header
    },
    # 1.0.x is the HTML manager of ipywidgets 8.1 (widget state version 2.0).
    "@jupyter-widgets/html-manager@1.0.15": {
        "package/dist/embed-amd.js": "html-manager/embed-amd.js",
        # the package ships no LICENSE file: this lists the bundled libraries' licences
        "package/dist/embed.js.LICENSE.txt": "html-manager/THIRD-PARTY-LICENSES.txt",
    },
    # Material for MkDocs 9.8 loads mermaid@11 when window.mermaid is undefined.
    "mermaid@11.17.2": {
        "package/dist/mermaid.min.js": "mermaid/mermaid.min.js",
        "package/LICENSE": "mermaid/LICENSE",
    },
}
LICENCES = {
    "requirejs": "MIT (in the header of require.js)",
    "@jupyter-widgets/html-manager": "BSD-3-Clause (Project Jupyter)",
    "mermaid": "MIT",
}
# A one-line ES module so nbconvert's Mermaid loader (an ES import) reuses the vendored
# global build instead of importing from a CDN.
MERMAID_SHIM = "mermaid/mermaid-shim.mjs"
MERMAID_SHIM_TEXT = "// Re-export the vendored global Mermaid build for nbconvert's loader.\nexport default globalThis.mermaid;\n"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fetch(spec: str, workdir: Path) -> Path:
    """Download one package tarball with npm (the registry's ordinary client)."""
    result = subprocess.run(
        ["npm", "pack", spec, "--silent", "--pack-destination", str(workdir)],
        check=True,
        capture_output=True,
        text=True,
    )
    return workdir / result.stdout.strip().splitlines()[-1]


def vendor() -> dict:
    manifest: dict = {"generated_by": "tools/vendor_assets.py", "packages": {}}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for spec, wanted in PACKAGES.items():
            name, version = spec.rsplit("@", 1)
            tarball = fetch(spec, workdir)
            with tarfile.open(tarball) as archive:
                archive.extractall(workdir / name.replace("/", "_"), filter="data")
            files = {}
            for inside, target in wanted.items():
                source = workdir / name.replace("/", "_") / inside
                destination = VENDOR_DIR / target
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, destination)
                files[target] = sha256(destination)
            manifest["packages"][name] = {
                "version": version,
                "licence": LICENCES[name],
                "files": files,
            }
    shim = VENDOR_DIR / MERMAID_SHIM
    shim.write_text(MERMAID_SHIM_TEXT, encoding="utf-8")
    manifest["packages"]["mermaid"]["files"][MERMAID_SHIM] = sha256(shim)
    MANIFEST.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def check() -> list[str]:
    """Files that no longer match the manifest (empty when the vendored copies are intact)."""
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    problems = []
    for name, package in manifest["packages"].items():
        for target, digest in package["files"].items():
            path = VENDOR_DIR / target
            if not path.exists():
                problems.append(f"{target} ({name}) is missing")
            elif sha256(path) != digest:
                problems.append(f"{target} ({name}) differs from the manifest")
    return problems


if __name__ == "__main__":
    written = vendor()
    for package_name, package in written["packages"].items():
        print(f"{package_name}@{package['version']}: {', '.join(package['files'])}")
