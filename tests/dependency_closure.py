"""What installing requirements brings, walked through the installed packages' metadata.

Shared by tests/course/test_binder_files.py (what Binder installs) and
tests/course/test_install_environment.py (what the course's environments install)."""

from __future__ import annotations

import importlib.metadata as metadata
from functools import cache

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from paths import excluded_packages


@cache
def dependencies(name: str, extras: frozenset[str]) -> frozenset[tuple[str, frozenset[str]]]:
    """What installing ``name[extras]`` installs directly (from the installed metadata); a
    package the environments leave out on purpose (tools/install_excludes.txt) counts, without
    its own dependencies: its metadata cannot be read here."""
    if name in {canonicalize_name(package) for package in excluded_packages()}:
        return frozenset()
    direct = set()
    for line in metadata.requires(name) or []:
        requirement = Requirement(line)
        wanted = requirement.marker is None or any(
            requirement.marker.evaluate({"extra": extra}) for extra in extras | {""}
        )
        if wanted:
            direct.add((canonicalize_name(requirement.name), frozenset(requirement.extras)))
    return frozenset(direct)


def closure(requirements: list[str]) -> set[str]:
    """Every distribution installing these requirement lines brings (canonical names)."""
    todo = [
        (canonicalize_name(r.name), frozenset(r.extras))
        for r in map(Requirement, requirements)
        if r.marker is None or r.marker.evaluate()
    ]
    seen: set[tuple[str, frozenset[str]]] = set()
    while todo:
        item = todo.pop()
        if item not in seen:
            seen.add(item)
            todo.extend(dependencies(*item))
    return {name for name, _ in seen}
