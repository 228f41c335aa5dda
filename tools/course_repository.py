"""Which public GitHub repository the course's launch links and the lessons' Colab install
line point at — or none.

Why one home: the site's Colab and Binder buttons (tools/site_hooks.py) and the guarded install
line in each lesson (tools/colab_setup.py) must name the same repository, and a link to a
repository that does not exist (a placeholder) is worse than no link. The repository is
``extra.course.repository`` in mkdocs.yml when set, else the git remote ``origin`` when it is a
GitHub URL, else none: then the site has no Colab or Binder button at all.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
OWNER_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9_.-]{1,100}")
GITHUB_REMOTE = re.compile(
    r"(?:https?://(?:[^@/]+@)?github\.com/|git@github\.com:|ssh://git@github\.com/)"
    r"(?P<repository>[^/]+/[^/]+?)(?:\.git)?/?"
)
# Names that only ever stand for "fill this in": refused with a clear error, never linked.
PLACEHOLDER_OWNERS = {"example", "owner", "org", "your-org", "your-name", "user", "username"}
PLACEHOLDER_NAMES = {"repo", "repository", "name", "your-repo"}


class RepositoryError(ValueError):
    """extra.course.repository is set to something that cannot be a GitHub repository."""


def checked(value: str) -> str:
    """``value`` as ``owner/name``; a clear error when it is not one or is a placeholder."""
    value = value.strip()
    if not OWNER_NAME.fullmatch(value):
        raise RepositoryError(
            f"extra.course.repository in mkdocs.yml is {value!r}: write the GitHub repository "
            "as owner/name (e.g. octo-org/kinesis-course), or leave it empty"
        )
    owner, name = value.lower().split("/")
    if owner in PLACEHOLDER_OWNERS or name in PLACEHOLDER_NAMES:
        raise RepositoryError(
            f"extra.course.repository in mkdocs.yml is the placeholder {value!r}: write the "
            "course's real GitHub repository, or leave it empty (no Colab or Binder links)"
        )
    return value


def from_remote(url: str) -> str:
    """``owner/name`` of a GitHub remote URL; "" for any other host or a local path."""
    found = GITHUB_REMOTE.fullmatch(url.strip())
    if not found or not OWNER_NAME.fullmatch(found.group("repository")):
        return ""
    return found.group("repository")


def origin_url(checkout: Path = REPO) -> str:
    """The checkout's ``origin`` remote, or "" when it has none (or git is missing)."""
    try:
        done = subprocess.run(
            ["git", "-C", str(checkout), "remote", "get-url", "origin"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def resolve(configured: str | None, checkout: Path = REPO) -> str:
    """The course repository: configured (checked), else origin's when on GitHub, else ""."""
    if configured and configured.strip():
        return checked(configured)
    return from_remote(origin_url(checkout))


class _IgnoreTags(yaml.SafeLoader):
    """mkdocs.yml uses ``!!python/name:`` tags; only plain values are needed here."""


_IgnoreTags.add_multi_constructor("", lambda loader, suffix, node: None)


def course_settings(checkout: Path = REPO) -> dict:
    """mkdocs.yml's ``extra.course`` (repository, branch)."""
    text = (checkout / "mkdocs.yml").read_text(encoding="utf-8")
    config = yaml.load(text, Loader=_IgnoreTags) or {}
    return dict((config.get("extra") or {}).get("course") or {})
