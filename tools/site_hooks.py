"""MkDocs hooks for the course site (wired in mkdocs.yml under ``hooks:``).

What they do, in build order:

1. **Lessons.** Execute every ``notebooks/NN_slug.ipynb`` (tools/execute_lessons.py: parallel,
   cached, errors not allowed, widget state stored) and add the executed copies to the site
   as ``lessons/NN_slug.ipynb`` for mkdocs-jupyter to render. A new lesson needs one nav line.
2. **Gathered pages.** Generate ``exam-tips.md`` and ``comparisons.md`` from the lessons
   (tools/lesson_pages.py), so each tip and table has one home: its lesson.
3. **Page touches.** Anchor the fact-sheet rows (``#f8``) and link every "F8" reference to its
   row; mark exam-tip and trap blockquotes for styling; fill the home page's course map.
4. **Lesson pages.** Point the widget and diagram loaders at the vendored scripts in
   ``assets/vendor/`` (offline at view time), add the download / Colab / Binder links, and
   rebuild the table of contents from the rendered headings so every anchor resolves.
5. **Downloads.** Copy each clean source notebook next to its page for "Download", and build
   the in-browser course into ``lite/`` (tools/build_lite.py) for "Run in your browser".
"""

from __future__ import annotations

import hashlib
import html as html_lib
import logging
import re
import shutil
import sys
from pathlib import Path
from urllib.parse import quote

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File
from mkdocs.structure.toc import get_toc
from mkdocs.utils import get_relative_url

sys.path.insert(0, str(Path(__file__).resolve().parent))

import build_lite  # noqa: E402
import colab_setup  # noqa: E402
import course_repository  # noqa: E402
import execute_lessons  # noqa: E402
import lesson_pages  # noqa: E402

log = logging.getLogger("mkdocs.hooks.course")

REPO = Path(__file__).resolve().parents[1]
FACTS_PAGE = "reference/facts.md"
EXAM_TIPS_PAGE = "exam-tips.md"
COMPARISONS_PAGE = "comparisons.md"
COURSE_MAP_MARKER = "<!-- course-map -->"
VENDOR = "assets/vendor"

FACT_ROW = re.compile(r"^\| (F\d{1,3}) \|", re.MULTILINE)

_lessons: list[lesson_pages.Lesson] = []
_fact_ids: set[str] = set()


def _is_lesson(page) -> bool:
    return page.file.src_uri.startswith(lesson_pages.SITE_LESSON_DIR + "/") and (
        page.file.src_uri.endswith(".ipynb")
    )


# --- 1 and 2: lessons and generated pages --------------------------------------------------


@event_priority(100)  # before mkdocs-jupyter wraps the notebooks
def on_files(files, config):
    global _lessons
    results = execute_lessons.execute_all()
    for result in results:
        # A real File rooted at build/ (not File.generated): mkdocs-jupyter's wrapper reads
        # src_dir, which generated files lack.
        src_uri = result.executed.relative_to(execute_lessons.OUT_DIR.parent).as_posix()
        assert src_uri == f"{lesson_pages.SITE_LESSON_DIR}/{result.source.name}", src_uri
        files.append(
            File(
                src_uri,
                src_dir=str(execute_lessons.OUT_DIR.parent),
                dest_dir=config.site_dir,
                use_directory_urls=config.use_directory_urls,
            )
        )
    executed = sum(not result.cached for result in results)
    log.info("lessons: %d executed, %d from the cache", executed, len(results) - executed)

    # The lessons that were executed, not a fresh listing: a notebook that appears meanwhile
    # waits for the next build.
    _lessons = [lesson_pages.read_lesson(result.source) for result in results]
    facts = files.get_file_from_path(FACTS_PAGE)
    _fact_ids.clear()
    if facts is not None:  # read now: pages before the fact sheet in the nav link to its rows
        _fact_ids.update(FACT_ROW.findall(facts.content_string))
    files.append(
        File.generated(config, EXAM_TIPS_PAGE, content=lesson_pages.exam_tips_page(_lessons))
    )
    files.append(
        File.generated(config, COMPARISONS_PAGE, content=lesson_pages.comparisons_page(_lessons))
    )
    return files


# --- 3: Markdown touches -------------------------------------------------------------------


def on_page_markdown(markdown, page, config, files):
    if _is_lesson(page):  # mkdocs-jupyter renders these; their "Markdown" is notebook JSON
        return markdown
    if page.file.src_uri == FACTS_PAGE:
        return FACT_ROW.sub(
            lambda m: f'| <span id="{m.group(1).lower()}"></span>{m.group(1)} |', markdown
        )
    if COURSE_MAP_MARKER in markdown:
        practice = {f.src_uri for f in files if f.src_uri.startswith("practice/")}
        return markdown.replace(COURSE_MAP_MARKER, lesson_pages.course_map(_lessons, practice))
    return markdown


# --- 3 and 4: HTML touches -----------------------------------------------------------------

# Regions whose text is never rewritten: code, scripts, styles, pictures, links, headings.
PROTECTED = re.compile(
    r"(<!--.*?-->|<(script|style|pre|code|svg|a|textarea|h[1-6])\b.*?</\2\s*>|<[^>]*>)",
    re.DOTALL | re.IGNORECASE,
)
FACT_TOKEN = re.compile(r"\bF(\d{1,3})\b")
TIP_QUOTE = re.compile(r"<blockquote>(\s*<p>\s*<strong>\s*(Exam tip|Trap)\b)")


def link_fact_refs(html: str, facts_url: str, known: set[str]) -> str:
    """Turn each F-number in running text into a link to its fact-sheet row."""

    def link(match: re.Match) -> str:
        fact = f"F{int(match.group(1))}"
        if fact not in known:
            return match.group(0)
        return f'<a class="fact-ref" href="{facts_url}#{fact.lower()}" title="fact sheet, row {fact}">{match.group(0)}</a>'

    pieces = PROTECTED.split(html)
    # re.split with 2 groups yields: text, whole match, inner group, text, …
    out = []
    index = 0
    while index < len(pieces):
        out.append(FACT_TOKEN.sub(link, pieces[index]))
        if index + 1 < len(pieces):
            out.append(pieces[index + 1])
        index += 3
    return "".join(out)


def mark_tip_quotes(html: str) -> str:
    def classed(match: re.Match) -> str:
        kind = "exam-tip" if match.group(2) == "Exam tip" else "exam-trap"
        return f'<blockquote class="{kind}">{match.group(1)}'

    return TIP_QUOTE.sub(classed, html)


HEADING_TAG = re.compile(r"<h([1-6])\b[^>]*\bid=\"([^\"]+)\"[^>]*>(.*?)</h\1>", re.DOTALL)
ANY_ID = re.compile(r"\bid=\"([^\"]+)\"")


def toc_from_html(html: str):
    """TOC tokens from the rendered headings (mkdocs-jupyter's own TOC slugs inline code
    differently from the heading ids, so some of its links would not resolve)."""
    root: list[dict] = []
    stack: list[dict] = []
    for level, anchor, inner in HEADING_TAG.findall(html):
        name = re.sub(r"<[^>]+>", "", inner).replace("¶", "").strip()
        token = {"level": int(level), "id": anchor, "name": html_lib.unescape(name), "children": []}
        while stack and stack[-1]["level"] >= token["level"]:
            stack.pop()
        (stack[-1]["children"] if stack else root).append(token)
        stack.append(token)
    return root


def offline_lesson(html: str, page_url: str) -> str:
    """Point nbconvert's CDN loaders at the vendored copies; drop the unused MathJax loader."""

    def local(path: str) -> str:
        return get_relative_url(f"{VENDOR}/{path}", page_url)

    replacements = [
        (
            r"https://cdnjs\.cloudflare\.com/ajax/libs/require\.js/[^\"']+",
            local("requirejs/require.js"),
        ),
        (
            r"https://unpkg\.com/@jupyter-widgets/html-manager@[^\"']*/dist/embed-amd\.js",
            local("html-manager/embed-amd.js"),
        ),
        (
            r"https://unpkg\.com/@jupyter-js-widgets@[^\"']*/dist/embed\.js",
            local("html-manager/embed-amd.js"),
        ),
        (
            r"https://cdnjs\.cloudflare\.com/ajax/libs/mermaid/[^\"']+\.mjs",
            local("mermaid/mermaid-shim.mjs"),
        ),
        (r"https://cdnjs\.cloudflare\.com/ajax/libs/mermaid-layout-elk/[^\"']+\.mjs", ""),
    ]
    for pattern, target in replacements:
        html = re.sub(pattern, target, html)
    # The notebooks use no LaTeX: the MathJax loader (empty URL or CDN) is dropped.
    html = re.sub(
        r"<script src=\"(https://cdnjs\.cloudflare\.com/ajax/libs/mathjax/[^\"]*)?\">\s*</script>",
        "",
        html,
    )
    return html


# Parts of a lesson page that Material's search skips: the copy button's hidden second copy of
# each code cell, the prompts and each output's content (not the markdown cells: nbconvert
# renders them as jp-MarkdownOutput too). The innermost blocks, each holding no other <div>:
# Material's parser ends an exclusion at the first </div> inside it.
NOT_SEARCHED = re.compile(
    r'<div class="(clipboard-copy-txt|jp-InputPrompt jp-InputArea-prompt|jp-OutputPrompt'
    r' jp-OutputArea-prompt|[^"]*\bjp-OutputArea-output\b[^"]*)"'
)

COPIED_NOTICE = '<span class="notice" hidden="">'  # the copy button's "Copied!"


def search_prose_and_code_once(html: str) -> str:
    """Index a lesson's prose and each code cell once: not the copy button's duplicate of the
    cell, its prompts, or its output (sequence numbers, timings and tables of one run: noise in
    search results). The index every page view downloads goes from 1.43 to 1.03 MB (Material's
    ``data-search-exclude``; tests/course/test_site_build.py)."""
    html = NOT_SEARCHED.sub(lambda match: f"<div data-search-exclude {match.group(0)[5:]}", html)
    return html.replace(COPIED_NOTICE, '<span data-search-exclude class="notice" hidden="">')


# mkdocs-jupyter inlines the same ~570 kB notebook stylesheet into every lesson page; the
# hook writes it once as assets/jupyter/notebook-<hash>.css and links it (cached by browsers).
NOTEBOOK_CSS = re.compile(
    r"<style type=\"text/css\">\s*(@charset \"UTF-8\";\s*\.jupyter-wrapper\{.*?)</style>", re.DOTALL
)
_shared_css: dict[str, str] = {}


def share_notebook_css(html: str, page_url: str) -> str:
    def linked(match: re.Match) -> str:
        css = match.group(1)
        name = f"assets/jupyter/notebook-{hashlib.sha256(css.encode()).hexdigest()[:12]}.css"
        _shared_css[name] = css
        return f'<link rel="stylesheet" href="{get_relative_url(name, page_url)}">'

    return NOTEBOOK_CSS.sub(linked, html)


NOTEBOOK_LINK = re.compile(r'href="(?![a-z]+:|/|#)([^"#]+\.ipynb)(#[^"]*)?"')


def link_lessons(html: str, page_url: str) -> str:
    """Links between notebooks (``01_core_data_model.ipynb``, right in JupyterLab) → pages."""

    def to_page(match: re.Match) -> str:
        target = (lesson_pages.NOTEBOOK_DIR / match.group(1)).resolve()
        if target.parent != lesson_pages.NOTEBOOK_DIR.resolve() or not target.exists():
            return match.group(0)  # not a lesson: leave it for the link check to report
        url = get_relative_url(f"{lesson_pages.SITE_LESSON_DIR}/{target.stem}/", page_url)
        return f'href="{url}{match.group(2) or ""}"'

    return NOTEBOOK_LINK.sub(to_page, html)


def browser_lab_url(notebook: str, page_url: str) -> str:
    """The lesson in the site's JupyterLite (tools/build_lite.py), relative to the page."""
    lab = get_relative_url(f"{build_lite.SITE_FOLDER}/lab/index.html", page_url)
    return f"{lab}?path={quote(notebook)}"


def launch_links(page, config) -> str:
    """Download / Colab / Binder / practice links for one lesson page."""
    course = config.extra.get("course", {})
    name = Path(page.file.src_uri).name
    download = get_relative_url(f"{lesson_pages.SITE_LESSON_DIR}/{name}", page.url)
    links = [
        f'<a class="md-button" href="{download}" download>Download the notebook</a>',
        f'<a class="md-button" href="{browser_lab_url(name, page.url)}">Run in your browser</a>',
    ]
    cloud = cloud_links(course.get("repository", ""), course.get("branch") or "main", name)
    links += cloud
    practice_src = f"practice/m{int(name[:2]):02d}.md"
    practice_note = ""
    if _practice_exists(practice_src):
        practice_url = get_relative_url(practice_src.replace(".md", "/"), page.url)
        links.append(f'<a class="md-button" href="{practice_url}">Practice questions</a>')
        practice_note = " The practice page checks answers right here in the browser."
    return (
        '<div class="lesson-launch">'
        + " ".join(links)
        + '</div><p class="lesson-static-note">This page shows the lesson as it ran when the '
        "site was built. Widgets and self-checks show their starting state: to move a slider "
        f"or check an answer, run the notebook ({'a launch button above, or ' if cloud else ''}"
        f"<code>make lab</code> on your machine).{practice_note}</p>"
    )


def cloud_links(repository: str, branch: str, name: str) -> list[str]:
    """Colab and Binder buttons, only for a real repository (tools/course_repository.py); Colab
    only when the lesson's setup cell installs the toolkit from it (tools/colab_setup.py)."""
    if not repository:
        return []
    repo_path = f"notebooks/{name}"
    links = []
    if colab_setup.lesson_install_target(lesson_pages.NOTEBOOK_DIR / name) == repository:
        colab = f"https://colab.research.google.com/github/{repository}/blob/{branch}/{repo_path}"
        links.append(f'<a class="md-button" href="{colab}">Open in Colab</a>')
    binder = f"https://mybinder.org/v2/gh/{repository}/{branch}?labpath={quote(repo_path, safe='')}"
    links.append(f'<a class="md-button" href="{binder}">Open in Binder</a>')
    return links


_practice_sources: set[str] = set()


def _practice_exists(src_uri: str) -> bool:
    return src_uri in _practice_sources


def on_nav(nav, config, files):
    _practice_sources.clear()
    _practice_sources.update(f.src_uri for f in files if f.src_uri.startswith("practice/"))
    return nav


def on_page_content(html, page, config, files):
    facts = files.get_file_from_path(FACTS_PAGE)
    if page.file.src_uri != FACTS_PAGE and facts is not None:
        html = link_fact_refs(html, facts.url_relative_to(page.file), _fact_ids)
    html = mark_tip_quotes(html)
    if _is_lesson(page):
        html = offline_lesson(html, page.url)
        html = share_notebook_css(html, page.url)
        html = search_prose_and_code_once(html)
        html = link_lessons(html, page.url)
        html = re.sub(r"(</h1>)", lambda m: m.group(1) + launch_links(page, config), html, count=1)
        page.toc = get_toc(toc_from_html(html))
        page.present_anchor_ids = set(ANY_ID.findall(html))
    return html


MERMAID_MARK = re.compile(r"class=\"[^\"]*\bmermaid\b")


def on_post_page(output, page, config):
    """Load the vendored Mermaid only on pages that have a diagram (it is 3.5 MB)."""
    if MERMAID_MARK.search(output):
        script = get_relative_url(f"{VENDOR}/mermaid/mermaid.min.js", page.url)
        output = output.replace("</head>", f'<script src="{script}"></script>\n</head>', 1)
    return output


# --- 5: downloads --------------------------------------------------------------------------


def on_post_build(config):
    for name, css in _shared_css.items():
        path = Path(config.site_dir) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(css, encoding="utf-8")
    target = Path(config.site_dir) / lesson_pages.SITE_LESSON_DIR
    target.mkdir(parents=True, exist_ok=True)
    for lesson in _lessons:
        shutil.copyfile(lesson.path, target / lesson.path.name)
    # The in-browser course (cached: a build with no change only copies it into place).
    lite = build_lite.build(Path(config.site_dir) / build_lite.SITE_FOLDER)
    log.info("in-browser course: %s (%.1f MB)", lite, build_lite.size_mb(lite))


def on_config(config):
    """The repository behind the Colab/Binder links: mkdocs.yml's, else the GitHub origin's, else
    none — then no such links (tools/course_repository.py; a placeholder stops the build)."""
    course = config.extra.setdefault("course", {})
    try:
        course["repository"] = course_repository.resolve(course.get("repository"), REPO)
    except course_repository.RepositoryError as error:
        raise PluginError(str(error)) from None
    if not course["repository"]:
        log.info("no course repository on GitHub known: the lessons get no Colab or Binder links")
    return config
