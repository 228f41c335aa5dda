"""Where things are, for every test folder: ``from paths import REPO`` (tests/ is on sys.path
through tests/conftest.py)."""

from pathlib import Path

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
