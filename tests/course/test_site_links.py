"""Every internal link and anchor of the built site resolves, and nothing loads from elsewhere.

MkDocs checks Markdown links; this checks the HTML that readers get, including the lesson pages
(rendered from notebooks), the generated pages and the links the hooks add (fact-sheet rows,
practice pages, downloads). The offline check reads every page for resources (scripts,
stylesheets, images, fonts, frames) from another host: the site must work without a network.
"""

from __future__ import annotations

import re
import sys
from urllib.parse import urlsplit

import pytest
from site_helpers import REPO, SITE_OUT, build_site, html_files, parse_page, resolve

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]"}
# Identifiers that look like URLs but are never fetched (XML namespaces, a DTD name).
INERT = re.compile(
    r"https?://www\.w3\.org/(2000/svg|1999/xlink|1999/xhtml|1998/Math/MathML|XML/1998/namespace|Graphics/SVG/1\.1/DTD/svg11\.dtd)"
)
URL = re.compile(r"(?:https?:)?//[A-Za-z0-9.-]+\.[A-Za-z]{2,}[^\s\"'()<>]*")
# Hosts a reader may follow a link to (never loaded by the page itself).
LINK_HOSTS = {
    "colab.research.google.com",
    "mybinder.org",
    "github.com",
    "docs.aws.amazon.com",
    "aws.amazon.com",
}


@pytest.fixture(scope="module", autouse=True)
def built():
    build_site()


def external(url: str) -> bool:
    parts = urlsplit(url)
    return bool(parts.netloc) and parts.hostname not in {h.strip("[]") for h in LOCAL_HOSTS}


def test_every_internal_link_and_anchor_resolves():
    broken = []
    for page in html_files():
        for tag, reference in parse_page(page).links:
            if tag not in ("a", "link") or reference.startswith(
                ("mailto:", "javascript:", "data:")
            ):
                continue
            target, fragment = resolve(page, reference)
            if target is None:
                continue
            where = f"{page.relative_to(SITE_OUT)} → {reference}"
            if not target.exists():
                broken.append(f"{where}: no file {target.relative_to(SITE_OUT)}")
            elif fragment and target.suffix == ".html" and fragment not in parse_page(target).ids:
                broken.append(f"{where}: no id {fragment!r}")
    assert not broken, f"{len(broken)} broken links:\n" + "\n".join(broken[:60])


def test_every_resource_a_page_loads_exists():
    missing = []
    for page in html_files():
        for tag, reference in parse_page(page).links:
            if tag in ("a",) or reference.startswith("data:") or not reference:
                continue
            for candidate in reference.split(",") if tag == "img" else [reference]:
                target, _ = resolve(page, candidate.strip().split(" ")[0])
                if target is not None and not target.exists():
                    missing.append(f"{page.relative_to(SITE_OUT)}: {tag} {reference}")
    assert not missing, "\n".join(missing[:40])


def test_no_page_loads_anything_from_another_host():
    offending = []
    for page in html_files():
        parsed = parse_page(page)
        where = page.relative_to(SITE_OUT)
        for tag, name, value in parsed.attributes:
            if tag == "a" and name == "href" or name.startswith("xmlns"):
                continue
            for url in URL.findall(value):
                if not INERT.match(url) and external(
                    url if url.startswith("http") else "http:" + url
                ):
                    offending.append(f"{where}: <{tag} {name}> {url}")
        for tag, kind, text in parsed.inline:
            if kind.startswith("application/vnd.jupyter.widget"):
                continue  # widget state: data, never fetched
            text = re.sub(r"/\*.*?\*/", "", text, flags=re.DOTALL)  # CSS and JS comments
            for url in URL.findall(text):
                if url.startswith("//"):
                    continue  # a JS line comment, not a URL
                if not INERT.match(url) and external(url):
                    offending.append(f"{where}: inline <{tag}> {url}")
    assert not offending, "\n".join(sorted(set(offending))[:60])


def test_stylesheets_import_nothing_from_another_host():
    offending = []
    for sheet in sorted(SITE_OUT.rglob("*.css")):
        text = re.sub(r"/\*.*?\*/", "", sheet.read_text(encoding="utf-8"), flags=re.DOTALL)
        for reference in re.findall(r"url\(\s*['\"]?([^'\")]+)|@import\s+['\"]([^'\"]+)", text):
            url = next(part for part in reference if part)
            if external(url if "://" in url else "x:" + url) and not url.startswith("data:"):
                offending.append(f"{sheet.relative_to(SITE_OUT)}: {url}")
    assert not offending, "\n".join(offending[:40])


def test_links_to_other_hosts_go_only_where_readers_expect():
    hosts = {}
    for page in html_files():
        for tag, reference in parse_page(page).links:
            if tag == "a" and external(reference):
                hosts.setdefault(urlsplit(reference).hostname, page.relative_to(SITE_OUT))
    unexpected = {host: str(page) for host, page in hosts.items() if host not in LINK_HOSTS}
    assert not unexpected, f"links to unexpected hosts (first page with one): {unexpected}"


def test_colab_and_binder_links_name_only_the_resolved_repository():
    """No placeholder: every Colab/Binder link names the repository tools/course_repository.py
    resolves (mkdocs.yml, else a GitHub origin) — and with none, there is no such link."""
    sys.path.insert(0, str(REPO / "tools"))
    import course_repository

    repository = course_repository.resolve(course_repository.course_settings()["repository"])
    launch = re.compile(
        r"https://(?:colab\.research\.google\.com/github|mybinder\.org/v2/gh)/([^/]+/[^/?#]+)"
    )
    named = {}
    for page in html_files():
        for tag, reference in parse_page(page).links:
            found = launch.match(reference) if tag == "a" else None
            if found:
                named.setdefault(found.group(1), str(page.relative_to(SITE_OUT)))
    assert set(named) == ({repository} if repository else set()), named
