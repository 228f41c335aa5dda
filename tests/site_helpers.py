"""Shared by the tests/test_site_*.py files: one strict build of the site and its pages.

The site is built once per change of its inputs, whichever test asks first: pytest-xdist runs
test files in several workers, so the build takes a file lock and leaves a stamp with the hash of
everything it read (mkdocs.yml, site/, tools/, notebooks/, the lab toolkit). The output is
build/site — what `make site` writes and what the leak scan must look at.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import html
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import yaml
from paths import REPO

SITE_SRC = REPO / "site"
SITE_OUT = REPO / "build" / "site"
STAMP = REPO / "build" / ".site-build-stamp"
LOCK = REPO / "build" / ".site-build-lock"
LOG = REPO / "build" / "site-build.log"
NOTEBOOK_DIR = REPO / "notebooks"
INPUTS = ("mkdocs.yml", "site", "tools", "notebooks", "labs")
BUILD_TIMEOUT_SECONDS = 900


def inputs_hash() -> str:
    digest = hashlib.sha256()
    for name in INPUTS:
        root = REPO / name
        paths = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in paths:
            if "__pycache__" in path.parts or ".ipynb_checkpoints" in path.parts:
                continue
            digest.update(str(path.relative_to(REPO)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def build_site() -> str:
    """Build the site strictly (once per input change); return the build's log."""
    LOCK.parent.mkdir(parents=True, exist_ok=True)
    with open(LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        wanted = inputs_hash()
        if STAMP.exists() and STAMP.read_text() == wanted and SITE_OUT.is_dir():
            return LOG.read_text() if LOG.exists() else ""
        STAMP.unlink(missing_ok=True)
        env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
        env.pop("LESSONS_CACHE", None)  # the tests build what CI builds
        result = subprocess.run(
            [sys.executable, "-m", "mkdocs", "build", "--strict"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT_SECONDS,
        )
        log = result.stdout + result.stderr
        LOG.write_text(log)
        if result.returncode != 0:
            raise AssertionError(f"mkdocs build --strict failed:\n{log[-6000:]}")
        STAMP.write_text(wanted)
        return log


# --- mkdocs.yml ----------------------------------------------------------------------------


class _ConfigLoader(yaml.SafeLoader):
    """Reads mkdocs.yml, ignoring !!python/name tags (they name Python objects)."""


_ConfigLoader.add_multi_constructor(
    "tag:yaml.org,2002:python/", lambda loader, suffix, node: f"python/{suffix}"
)


@functools.cache
def mkdocs_config() -> dict:
    return yaml.load((REPO / "mkdocs.yml").read_text(encoding="utf-8"), Loader=_ConfigLoader)


def nav_paths(nav=None) -> list[str]:
    """Every page path named in the nav, in order."""
    nav = mkdocs_config()["nav"] if nav is None else nav
    paths: list[str] = []
    for item in nav:
        if isinstance(item, str):
            paths.append(item)
        elif isinstance(item, dict):
            for value in item.values():
                paths.extend(nav_paths(value) if isinstance(value, list) else [value])
    return paths


# --- built pages ---------------------------------------------------------------------------


def html_files(root: Path = SITE_OUT) -> list[Path]:
    return sorted(root.rglob("*.html"))


def page_url(path: Path, root: Path = SITE_OUT) -> str:
    """The URL path of a built file, as a server at the site root serves it."""
    return "/" + path.relative_to(root).as_posix()


class PageParser(HTMLParser):
    """Ids, links and resource references of one HTML page."""

    RESOURCE_ATTRS = {"src", "srcset", "poster", "data", "action", "formaction", "background"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[tuple[str, str]] = []  # (tag, href or src)
        self.attributes: list[tuple[str, str, str]] = []  # (tag, name, value)
        self.inline: list[tuple[str, str, str]] = []  # (tag, type, text) of script/style
        self._open: tuple[str, str] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value is None:
                continue
            self.attributes.append((tag, name, value))
            if name in ("id", "name") and tag != "meta" and tag not in ("input", "button"):
                self.ids.add(value)
            if (tag in ("a", "link") and name == "href") or name in self.RESOURCE_ATTRS:
                self.links.append((tag, value))
        if tag in ("script", "style"):
            self._open = (tag, dict(attrs).get("type") or "")
            self._text = []

    def handle_data(self, data):
        if self._open:
            self._text.append(data)

    def handle_endtag(self, tag):
        if self._open and tag == self._open[0]:
            self.inline.append((self._open[0], self._open[1], "".join(self._text)))
            self._open = None


@functools.cache
def parse_page(path: Path) -> PageParser:
    parser = PageParser()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def resolve(page: Path, reference: str, root: Path = SITE_OUT) -> tuple[Path | None, str]:
    """The file an internal reference points to (None when it is external) and its fragment."""
    parts = urlsplit(reference)
    if parts.scheme or parts.netloc:
        return None, ""
    target_url = urljoin(page_url(page, root), parts.path) if parts.path else page_url(page, root)
    target = root / unquote(target_url).lstrip("/")
    if target_url.endswith("/") or target.is_dir():
        target = target / "index.html"
    return target, unquote(parts.fragment)


def visible_text(path: Path) -> str:
    """A page's text with tags removed and entities decoded (for phrase searches)."""
    raw = path.read_text(encoding="utf-8", errors="replace")
    return html.unescape(re.sub(r"<[^>]+>", " ", raw))
