"""Give every lesson's setup cell a guarded install of the course toolkit, for Colab.

Why: Colab opens a lesson straight from GitHub on a machine without ``kinesis_lab``; every other
place a lesson runs (`make lab`, Binder, the class hub, the in-browser course, the test suite)
has it installed, so the install must fire only when the import fails:

    try:  # the course toolkit; only a fresh machine such as Colab lacks it
        import kinesis_lab
    except ImportError:
        %pip install --quiet "kinesis-lab @ git+https://github.com/OWNER/NAME@BRANCH"

The repository is the one the site links to (tools/course_repository.py: mkdocs.yml's
``extra.course.repository``, else the GitHub ``origin`` remote). With none, the except branch
says in one line how to get the toolkit instead of installing from a placeholder, and the site
shows no Colab button (it shows one only for a lesson whose guard installs from the site's
repository).

    python tools/colab_setup.py            rewrite the guard in notebooks/*.ipynb (idempotent)
    python tools/colab_setup.py --check    exit 1 and name the lessons whose guard is missing
                                           or installs from another repository
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))

import course_repository  # noqa: E402

NOTEBOOKS = course_repository.REPO / "notebooks"
GUARD_FIRST = "try:  # the course toolkit; only a fresh machine such as Colab lacks it"
GUARD_IMPORT = "    import kinesis_lab"
GUARD_EXCEPT = "except ImportError:"
NO_REPOSITORY = '    raise ImportError("kinesis_lab is not installed: open this lesson with `make lab`") from None'
INSTALL = re.compile(
    r'^    %pip install --quiet "kinesis-lab @ git\+https://github\.com/'
    r'(?P<repository>[^@"]+)@(?P<branch>[^"]+)"$',
    re.MULTILINE,
)


def guard(repository: str, branch: str = "main") -> list[str]:
    """The guard's lines: install from ``repository`` when given, else a one-line error."""
    if repository:
        course_repository.checked(repository)
        action = (
            f'    %pip install --quiet "kinesis-lab @ git+https://github.com/{repository}@{branch}"'
        )
    else:
        action = NO_REPOSITORY
    return [GUARD_FIRST, GUARD_IMPORT, GUARD_EXCEPT, action]


def split_guard(source: str) -> tuple[list[str], list[str], list[str]]:
    """A setup cell's lines as (before the guard, the guard, after it); the guard is [] when
    the cell has none."""
    lines = source.split("\n")
    for index, line in enumerate(lines):
        if line == GUARD_FIRST:
            end = index + 1
            while end < len(lines) and (
                lines[end].startswith("    ") or lines[end] == GUARD_EXCEPT
            ):
                end += 1
            return lines[:index], lines[index:end], lines[end:]
    comments = 0
    while comments < len(lines) and lines[comments].startswith("#"):
        comments += 1
    return lines[:comments], [], lines[comments:]


def with_guard(source: str, repository: str, branch: str = "main") -> str:
    """``source`` with its guard (re)written for ``repository``; everything else unchanged."""
    before, _, after = split_guard(source)
    return "\n".join(before + guard(repository, branch) + after)


def install_target(source: str) -> str:
    """The ``owner/name`` a setup cell's guard installs from; "" when it installs nothing."""
    _, lines, _ = split_guard(source)
    found = INSTALL.search("\n".join(lines))
    return found.group("repository") if found else ""


def setup_cell(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The lesson's first code cell (its setup)."""
    for cell in notebook.cells:
        if cell.cell_type == "code":
            return cell
    raise ValueError("the lesson has no code cell")


def lesson_install_target(path: Path) -> str:
    """The repository a lesson notebook's guard installs from ("" for none)."""
    return install_target(setup_cell(nbformat.read(path, as_version=4)).source)


def problems(paths: list[Path], repository: str, branch: str) -> list[str]:
    """Lessons whose setup cell lacks the guard this repository needs."""
    found = []
    for path in paths:
        source = setup_cell(nbformat.read(path, as_version=4)).source
        if split_guard(source)[1] != guard(repository, branch):
            found.append(f"{path.name}: run `python tools/colab_setup.py` (guard missing or stale)")
    return found


def rewrite(paths: list[Path], repository: str, branch: str) -> list[Path]:
    """Write the guard into each lesson's setup cell; return the notebooks that changed."""
    changed = []
    for path in paths:
        notebook = nbformat.read(path, as_version=nbformat.NO_CONVERT)
        cell = setup_cell(notebook)
        updated = with_guard(cell.source, repository, branch)
        if updated != cell.source:
            cell.source = updated
            nbformat.write(notebook, path)
            changed.append(path)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/*.ipynb")
    parser.add_argument("--check", action="store_true", help="report, change nothing")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted(NOTEBOOKS.glob("*.ipynb"))
    settings = course_repository.course_settings()
    try:
        repository = course_repository.resolve(settings.get("repository"))
    except course_repository.RepositoryError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    branch = settings.get("branch") or "main"
    source = f"installs from {repository}@{branch}" if repository else "no repository: no install"
    if args.check:
        found = problems(paths, repository, branch)
        for line in found:
            print(line)
        return 1 if found else 0
    changed = rewrite(paths, repository, branch)
    print(f"{len(changed)} of {len(paths)} lesson(s) rewritten; the guard {source}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
