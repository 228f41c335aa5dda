"""Course site: full build time, total size, heaviest page.

Aims (issue 7): a full build in at most 60 s; every lesson page at most 1 MB.

A *cold* build is what `make site` does in a fresh clone: every lesson executes (2 at a time)
before MkDocs renders it. A *warm* build reuses the executed lessons and rendered notebooks
(nothing changed), which is what a writer sees while editing pages. Run::

    python benchmarks/bench_site.py            # cold, then warm
    python benchmarks/bench_site.py --warm     # warm only (keeps the caches)
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urljoin, urlsplit

REPO = Path(__file__).resolve().parents[1]
SITE = REPO / "build" / "site"
CACHES = (REPO / "build" / "lessons", REPO / "build" / "cache" / "mkdocs-jupyter")
BUILD_AIM_SECONDS = 60
LESSON_PAGE_AIM_BYTES = 1_000_000
RESOURCE = re.compile(r'<(?:script|link|img)\b[^>]*?\b(?:src|href)="([^"#?]+)', re.IGNORECASE)


def build() -> float:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    env.pop("LESSONS_CACHE", None)
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"build failed:\n{(result.stdout + result.stderr)[-4000:]}")
    return elapsed


def size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def first_visit_bytes(page: Path) -> int:
    """The page plus every local script, stylesheet and image it references."""
    url = "/" + page.relative_to(SITE).as_posix()
    total = page.stat().st_size
    seen = set()
    for reference in RESOURCE.findall(page.read_text(encoding="utf-8")):
        if urlsplit(reference).scheme:
            continue
        target = SITE / urljoin(url, reference).lstrip("/")
        if target.is_file() and target not in seen:
            seen.add(target)
            total += target.stat().st_size
    return total


def mb(n: int) -> str:
    return f"{n / 1_000_000:.2f} MB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warm", action="store_true", help="skip the cold build")
    args = parser.parse_args()

    if not args.warm:
        for cache in CACHES:
            shutil.rmtree(cache, ignore_errors=True)
        cold = build()
        print(
            f"full build, cold (fresh clone: executes every lesson): {cold:6.1f} s"
            f"   aim ≤ {BUILD_AIM_SECONDS} s: {'met' if cold <= BUILD_AIM_SECONDS else 'MISSED'}"
        )
    warm = build()
    print(f"full build, warm (lessons cached):                     {warm:6.1f} s")

    pages = sorted(SITE.rglob("*.html"), key=lambda p: p.stat().st_size, reverse=True)
    lessons = [p for p in pages if p.relative_to(SITE).parts[0] == "lessons"]
    print(f"site size:  {mb(size(SITE))} in {sum(1 for p in SITE.rglob('*') if p.is_file())} files")
    print(f"pages:      {len(pages)} HTML pages ({len(lessons)} lessons)")
    heaviest = pages[0]
    print(
        f"heaviest page: {heaviest.relative_to(SITE)}  {mb(heaviest.stat().st_size)} "
        f"(first visit with its scripts and styles: {mb(first_visit_bytes(heaviest))})"
    )
    over = [p for p in lessons if p.stat().st_size > LESSON_PAGE_AIM_BYTES]
    print(
        f"lesson pages ≤ 1 MB each: {'met' if not over else 'MISSED: ' + ', '.join(str(p.relative_to(SITE)) for p in over)}"
        f" (largest {mb(lessons[0].stat().st_size) if lessons else '-'})"
    )
    print("largest files:")
    files = sorted(
        (p for p in SITE.rglob("*") if p.is_file()), key=lambda p: p.stat().st_size, reverse=True
    )
    for path in files[:5]:
        print(f"  {mb(path.stat().st_size):>9}  {path.relative_to(SITE)}")


if __name__ == "__main__":
    main()
