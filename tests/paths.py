"""Where things are, for every test folder: ``from paths import REPO`` (tests/ is on sys.path
through tests/conftest.py)."""

from pathlib import Path

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
INSTALL_EXCLUDES = REPO / "tools" / "install_excludes.txt"


def excluded_packages() -> list[str]:
    """The packages every environment leaves out (tools/install_excludes.txt), as written."""
    lines = (line.strip() for line in INSTALL_EXCLUDES.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def load_tool(name: str):
    """A script of tools/ as a module (tools/ is not a package), registered under its name."""
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location(name, REPO / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
