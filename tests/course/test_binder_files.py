"""Binder builds the course from binder/ with repo2docker: the files it reads are parsed here,
and every package a lesson (or the toolkit the lessons import) needs must be in what they
install — binder/requirements.txt, then binder/postBuild's install of this repository.

This machine cannot run repo2docker (it needs Docker and the network), so the check is on the
files and on the dependency metadata of the packages installed here, which are the tested
versions of the same ranges.
"""

from __future__ import annotations

import ast
import importlib.metadata as metadata
import os
import re
import shlex
import sys

import nbformat
import tomllib
from dependency_closure import closure
from IPython.core.inputtransformer2 import TransformerManager
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from paths import REPO

BINDER = REPO / "binder"
# Files repo2docker reads from binder/ (its "configuration files"); anything else is a typo.
REPO2DOCKER_FILES = {
    "apt.txt",
    "environment.yml",
    "install.R",
    "Pipfile",
    "Pipfile.lock",
    "postBuild",
    "Project.toml",
    "REQUIRE",
    "requirements.txt",
    "runtime.txt",
    "setup.py",
    "start",
}
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def binder_requirements() -> list[Requirement]:
    lines = (BINDER / "requirements.txt").read_text(encoding="utf-8").splitlines()
    return [Requirement(line.split("#")[0]) for line in lines if line.split("#")[0].strip()]


def post_build_commands() -> list[list[str]]:
    text = (BINDER / "postBuild").read_text(encoding="utf-8")
    commands = [shlex.split(line, comments=True) for line in text.splitlines()]
    return [command for command in commands if command]


def test_binder_holds_only_files_repo2docker_reads():
    assert {path.name for path in BINDER.iterdir()} <= REPO2DOCKER_FILES


def test_the_runtime_is_a_python_the_course_supports():
    runtime = (BINDER / "runtime.txt").read_text(encoding="utf-8").strip()
    found = re.fullmatch(r"python-(\d+\.\d+)", runtime)
    assert found, f"runtime.txt must read python-X.Y, not {runtime!r}"
    assert found.group(1) in SpecifierSet(PYPROJECT["project"]["requires-python"])


def test_requirements_use_the_ranges_the_course_was_tested_with():
    """Binder runs what `make lab` runs: each line matches the `course` extra's range."""
    tested = {
        canonicalize_name(r.name): r.specifier
        for r in map(Requirement, PYPROJECT["project"]["optional-dependencies"]["course"])
    }
    requirements = binder_requirements()
    assert requirements, "binder/requirements.txt installs JupyterLab"
    for requirement in requirements:
        name = canonicalize_name(requirement.name)
        assert name in tested, f"{requirement}: not in the course extra"
        assert requirement.specifier == tested[name], f"{requirement} vs tested {tested[name]}"


def test_post_build_installs_this_repository_and_stops_on_error():
    post_build = BINDER / "postBuild"
    assert os.access(post_build, os.X_OK), "binder/postBuild must be executable"
    assert post_build.read_text(encoding="utf-8").startswith("#!/usr/bin/env bash\n")
    commands = post_build_commands()
    assert ["set", "-euo", "pipefail"] in commands
    installs = [
        command
        for command in commands
        if "pip" in command and "install" in command[command.index("pip") :]
    ]
    assert any(command[-1] == "." for command in installs), installs


# --- every import is covered -----------------------------------------------------------------


def imported_modules(tree: ast.AST) -> set[str]:
    """Top-level modules imported, leaving out optional imports (try/except ImportError)."""
    optional: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Try) and any(
            isinstance(h.type, ast.Name) and h.type.id in ("ImportError", "ModuleNotFoundError")
            for h in node.handlers
        ):
            optional.update(id(inner) for stmt in node.body for inner in ast.walk(stmt))
    found = set()
    for node in ast.walk(tree):
        if id(node) in optional:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - {"__future__"}


def lesson_imports() -> dict[str, str]:
    """module → a lesson or toolkit file that imports it."""
    found: dict[str, str] = {}
    transform = TransformerManager().transform_cell
    for lesson in sorted((REPO / "notebooks").glob("*.ipynb")):
        for cell in nbformat.read(lesson, as_version=4).cells:
            if cell.cell_type == "code":
                for module in imported_modules(ast.parse(transform(cell.source))):
                    found.setdefault(module, lesson.name)
    for source in sorted((REPO / "labs" / "kinesis_lab").rglob("*.py")):
        for module in imported_modules(ast.parse(source.read_text(encoding="utf-8"))):
            found.setdefault(module, str(source.relative_to(REPO)))
    return found


def installed_on_binder() -> set[str]:
    """Every distribution the binder files install: requirements.txt, then this repository
    (postBuild's `pip install -e .`: the project's own dependencies, as pyproject.toml says —
    its installed metadata here may predate an edit — no extras)."""
    lines = [str(r) for r in binder_requirements()] + PYPROJECT["project"]["dependencies"]
    return closure(lines)


def test_every_package_the_lessons_import_is_installed_on_binder():
    installed = installed_on_binder()
    providers = metadata.packages_distributions()
    missing = {}
    for module, where in sorted(lesson_imports().items()):
        if module == "kinesis_lab":
            continue  # the repository itself (postBuild)
        names = {canonicalize_name(dist) for dist in providers.get(module, [])}
        if not names & installed:
            missing[module] = f"imported by {where}; provided by {sorted(names) or 'nothing here'}"
    assert not missing, missing


def test_the_check_sees_the_lessons_third_party_imports():
    """Guards the check above against passing vacuously."""
    modules = set(lesson_imports())
    assert {"kinesis_lab", "boto3", "moto", "ipywidgets"} <= modules
    assert {"boto3", "moto", "ipywidgets", "ipython"} <= installed_on_binder()
