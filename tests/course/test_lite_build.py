"""The in-browser course's build (tools/build_lite.py): build/site/lite as `make site` writes it.

Checks the output the browser will load: the lock file lists exactly the shipped wheels with
their real sha256, every dependency it names is shipped, no configuration points off the
site (no CDN, no PyPI), every lesson sits at the top level under its own name, the lesson
pages link to it, and it fits its size budget. The stand-ins are checked for what
browser-labs.md promises, and a second build is shown to come from the cache.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from site_helpers import NOTEBOOK_DIR, REPO, SITE_OUT, build_site, resolve

sys.path.insert(0, str(REPO / "tools"))

import build_lite  # noqa: E402
from lite import fetch, pins, site, standins  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

LITE = SITE_OUT / build_lite.SITE_FOLDER
PYODIDE = LITE / "static" / "pyodide"
OFF_SITE = re.compile(r"https?://|//cdn\.|cdn\.jsdelivr|pypi\.org|files\.pythonhosted|unpkg\.com")


@pytest.fixture(scope="module")
def lite() -> Path:
    build_site()  # the suite's one strict build (tools/site_hooks.py builds lite/ in it)
    return LITE


def lock() -> dict:
    return json.loads((PYODIDE / "pyodide-lock.json").read_text())


def config_strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for key, item in value.items() for s in [key, *config_strings(item)]]
    if isinstance(value, list):
        return [s for item in value for s in config_strings(item)]
    return []


def test_lock_lists_exactly_the_shipped_wheels_with_their_sha256(lite):
    packages = lock()["packages"]
    shipped = {path.name for path in PYODIDE.glob("*.whl")}
    assert {item["file_name"] for item in packages.values()} == shipped
    for name, item in packages.items():
        assert item["sha256"] == fetch.sha256_of(PYODIDE / item["file_name"]), name
    assert lock()["info"]["version"] == pins.PYODIDE_VERSION


def test_every_dependency_in_the_lock_is_shipped(lite):
    packages = lock()["packages"]
    missing = {
        name: [dep for dep in item["depends"] if dep not in packages]
        for name, item in packages.items()
    }
    assert not {name: deps for name, deps in missing.items() if deps}
    # the toolkit's own chain reaches moto, boto3 and the widgets
    assert {"moto", "boto3", "ipywidgets"} <= set(packages[pins.TOOLKIT]["depends"])


def test_only_pure_python_wheels_are_shipped(lite):
    for wheel in PYODIDE.glob("*.whl"):
        assert wheel.name.endswith("-none-any.whl"), wheel.name
        with zipfile.ZipFile(wheel) as archive:
            compiled = [n for n in archive.namelist() if n.endswith((".so", ".pyd"))]
        assert not compiled, f"{wheel.name}: {compiled}"


def test_no_configuration_points_off_the_site(lite):
    configs = [*LITE.rglob("jupyter-lite.json"), PYODIDE / "pyodide-lock.json"]
    assert len(configs) >= 2
    offending = [
        f"{path.relative_to(LITE)}: {text}"
        for path in configs
        for text in config_strings(json.loads(path.read_text()))
        if OFF_SITE.search(text)
    ]
    assert not offending, "\n".join(offending)


def test_kernel_preloads_the_toolkit_from_the_local_runtime(lite):
    settings = json.loads((LITE / "jupyter-lite.json").read_text())["jupyter-config-data"][
        "litePluginSettings"
    ][site.KERNEL_PLUGIN]
    assert settings["disablePyPIFallback"] is True
    assert pins.TOOLKIT in settings["loadPyodideOptions"]["packages"]
    assert (LITE / settings["pyodideUrl"]).resolve() == (PYODIDE / "pyodide.mjs").resolve()
    assert pins.TOOLKIT in lock()["packages"]


def test_every_lesson_is_at_the_top_level_under_its_own_name(lite):
    listing = json.loads((LITE / "api" / "contents" / "all.json").read_text())
    top_level = {item["name"] for item in listing["content"]}
    lessons = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
    assert lessons and build_lite.notebooks() == lessons
    for notebook in lessons:
        assert notebook.name in top_level, notebook.name
        assert (LITE / "files" / notebook.name).read_bytes() == notebook.read_bytes()
    assert (LITE / "lab" / "index.html").is_file()


def test_the_cli_appendix_is_not_offered_in_the_browser(lite):
    """It runs `aws` in subprocesses, which the browser has not: not copied, no button."""
    appendix = NOTEBOOK_DIR / "appendix_cli.ipynb"
    assert appendix.is_file()
    listing = json.loads((LITE / "api" / "contents" / "all.json").read_text())
    assert appendix.name not in {item["name"] for item in listing["content"]}
    assert not (LITE / "files" / appendix.name).exists()
    offering = [
        page
        for page in SITE_OUT.rglob("*.html")
        if LITE not in page.parents and f"path={appendix.name}" in page.read_text(encoding="utf-8")
    ]
    assert not offering, offering


def test_the_browser_driver_is_not_a_build_input(monkeypatch):
    """Editing the test's and benchmark's driver does not rebuild the lite site; a build module does."""
    real = fetch.sha256_of
    key = build_lite.site_key([])

    def edited(name):
        return lambda path: "edited" if Path(path).name == name else real(path)

    monkeypatch.setattr(fetch, "sha256_of", edited("driver.py"))
    assert build_lite.site_key([]) == key
    monkeypatch.setattr(fetch, "sha256_of", edited("site.py"))
    assert build_lite.site_key([]) != key


def test_every_lesson_page_runs_its_own_notebook_in_the_browser(lite):
    lessons = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
    assert lessons
    for notebook in lessons:
        page = SITE_OUT / "lessons" / notebook.stem / "index.html"
        html = page.read_text(encoding="utf-8")
        found = re.search(r'<a class="md-button" href="([^"]+)">Run in your browser</a>', html)
        assert found, f"{page}: no 'Run in your browser' button"
        href = found.group(1).replace("&amp;", "&")
        assert not urlsplit(href).scheme and not href.startswith("/"), href  # relative
        target, _ = resolve(page, href)
        assert target == LITE / "lab" / "index.html"
        assert parse_qs(urlsplit(href).query)["path"] == [notebook.name]


def test_lite_site_fits_its_size_budget(lite):
    size = build_lite.size_mb(lite)
    print(f"lite site: {size:.1f} MB (budget {build_lite.BUDGET_MB} MB)")
    assert size <= build_lite.BUDGET_MB


def test_retagged_wheels_keep_only_python_and_say_so(lite):
    for name in pins.RETAGGED:
        (wheel,) = [p for p in PYODIDE.glob("*.whl") if fetch.wheel_identity(p.name)[0] == name]
        with zipfile.ZipFile(wheel) as archive:
            names = archive.namelist()
            wheel_meta = archive.read(next(n for n in names if n.endswith(".dist-info/WHEEL")))
            note = archive.read(next(n for n in names if n.endswith("BROWSER-COURSE.txt")))
        assert b"Tag: py3-none-any" in wheel_meta and b"cp314" not in wheel_meta
        assert b"Removed:" in note and b".so" in note
        assert any(n.endswith("/__init__.py") for n in names)


STANDIN_PROBE = """
import ast, importlib.util, pathlib, sys
sys.path.insert(0, sys.argv[1])
imported = set()
moto_dir = importlib.util.find_spec("moto").submodule_search_locations[0]
for path in pathlib.Path(moto_dir).rglob("*.py"):
    text = path.read_text(encoding="utf-8")
    if "cryptography" not in text:  # no import of it can be in there: not parsed (~5 CPU-s)
        continue
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("cryptography"):
            imported.update((node.module, alias.name) for alias in node.names)
import importlib
import cryptography
assert cryptography.BROWSER_STANDIN, cryptography.__file__
for module, name in sorted(imported):
    getattr(importlib.import_module(module), name)
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa, padding
from cryptography.exceptions import InvalidSignature
hashes.SHA256(); padding.PKCS1v15(); serialization.Encoding.PEM
assert issubclass(InvalidSignature, Exception)
key = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # made, not usable
assert isinstance(key, rsa.RSAPrivateKey), key
try:
    key.sign(b"x", padding.PKCS1v15(), hashes.SHA256())
except cryptography.NotAvailableInBrowser:
    pass
else:
    raise AssertionError("a stand-in key signed")
# what lesson 07 does: moto generates an RSA key for every KMS key, so CreateKey works;
# using the key for real work is refused in one line
import boto3
from moto import mock_aws
with mock_aws():
    kms = boto3.client("kms", region_name="us-east-1")
    key_id = kms.create_key(Description="lesson 07")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/orders", TargetKeyId=key_id)
    try:
        kms.encrypt(KeyId=key_id, Plaintext=b"x")
    except cryptography.NotAvailableInBrowser as error:
        print(len(imported), error)
"""


def test_cryptography_standin_resolves_every_name_moto_imports_and_refuses_real_work(tmp_path):
    """Names resolve, keys can be made (KMS CreateKey runs on moto), real work is refused."""
    wheel = standins.cryptography_standin(tmp_path)
    result = subprocess.run(
        [sys.executable, "-c", STANDIN_PROBE, str(wheel)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-3000:]
    count, message = result.stdout.strip().split(" ", 1)
    assert int(count) >= 10  # moto imports a good dozen names at module level
    assert "\n" not in message and "not available in the browser" in message


def test_modified_wheels_are_made_reproducibly(tmp_path):
    first = standins.cryptography_standin(tmp_path / "a")
    second = standins.cryptography_standin(tmp_path / "b")
    assert first.read_bytes() == second.read_bytes()
    name, version, sha256 = pins.RETAGGED["markupsafe"]
    source = fetch.compiled_wheel(build_lite.CACHE, name, version, sha256)
    assert (
        standins.retagged(source, tmp_path / "a").read_bytes()
        == standins.retagged(source, tmp_path / "b").read_bytes()
    )


def test_a_second_build_comes_from_the_cache(lite, tmp_path, monkeypatch):
    """Nothing is downloaded or rebuilt when nothing changed: only the copy into place."""

    def refuse(*args, **kwargs):
        raise AssertionError("the second build downloaded or rebuilt")

    monkeypatch.setattr(fetch, "pip_download", refuse)
    monkeypatch.setattr(fetch.urllib.request, "urlopen", refuse)
    monkeypatch.setattr(site, "jupyter_lite_build", refuse)
    monkeypatch.setattr(subprocess, "run", refuse)
    out = build_lite.build(tmp_path / "lite")
    assert hashlib.sha256((out / "jupyter-lite.json").read_bytes()).digest() == (
        hashlib.sha256((LITE / "jupyter-lite.json").read_bytes()).digest()
    )
