"""The toolkit's old module paths (before the regroup by role) still import, as the new modules.

Released quizzes and notebooks say ``from kinesis_lab.quizobserve import ...``; these tests
prove every old name in the table resolves to the very same module object as its new home,
that names import from it, and that the quiz sources' import lines, written the old way,
still run in a fresh interpreter.
"""

from __future__ import annotations

import importlib
import json
import re
import subprocess
import sys

import pytest
from paths import REPO as ROOT

from kinesis_lab import _moved
from kinesis_lab._moved import FORWARDED, MOVED

OLD_NAMES = sorted(MOVED)


@pytest.mark.parametrize("old", OLD_NAMES)
def test_an_old_name_is_the_new_module(old):
    module = importlib.import_module(old)
    assert module is importlib.import_module(MOVED[old])
    assert module.__spec__.name == MOVED[old]  # the module keeps naming its new home
    assert sys.modules[old] is module


@pytest.mark.parametrize("old", OLD_NAMES)
def test_names_import_from_an_old_path(old):
    new = importlib.import_module(MOVED[old])
    public = sorted(name for name in vars(new) if not name.startswith("_"))
    assert public, f"{MOVED[old]} has no public name to import"
    namespace: dict[str, object] = {}
    exec(f"from {old} import {public[0]}", namespace)  # noqa: S102 - the statement under test
    assert namespace[public[0]] is getattr(new, public[0])


def test_an_old_module_is_an_attribute_of_its_old_package():
    namespace: dict[str, object] = {}
    exec("import kinesis_lab.producers\nfrom kinesis_lab import quizobserve", namespace)  # noqa: S102
    lab = namespace["kinesis_lab"]
    assert lab.producers is importlib.import_module("kinesis_lab.patterns.producers")
    assert namespace["quizobserve"] is importlib.import_module("kinesis_lab.quiz.observe")


@pytest.mark.parametrize("package", sorted(FORWARDED))
def test_a_package_forwards_the_names_of_the_module_it_replaced(package):
    old_home = importlib.import_module(FORWARDED[package])
    name = sorted(
        n for n in vars(old_home) if not n.startswith("_") and callable(vars(old_home)[n])
    )[0]
    namespace: dict[str, object] = {}
    exec(f"from {package} import {name}", namespace)  # noqa: S102
    assert namespace[name] is getattr(old_home, name)
    with pytest.raises(AttributeError, match="no attribute 'not_a_name'"):
        importlib.import_module(package).not_a_name  # noqa: B018


def test_the_finder_answers_only_old_names_and_is_installed_once():
    finders = [f for f in sys.meta_path if isinstance(f, _moved.MovedModuleFinder)]
    assert len(finders) == 1
    _moved.install()
    assert [f for f in sys.meta_path if isinstance(f, _moved.MovedModuleFinder)] == finders
    assert finders[0].find_spec("kinesis_lab.patterns.producers") is None
    assert finders[0].find_spec("kinesis_lab.no_such_module") is None
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("kinesis_lab.no_such_module")


def test_every_old_home_is_gone_and_every_new_one_exists():
    for old, new in MOVED.items():
        assert not (ROOT / "labs" / (old.replace(".", "/") + ".py")).exists(), old
        assert (ROOT / "labs" / (new.replace(".", "/") + ".py")).is_file(), new


def _quiz_import_lines() -> list[str]:
    lines: set[str] = set()
    for notebook in sorted((ROOT / "quizzes" / "source").glob("*/*.ipynb")):
        for cell in json.loads(notebook.read_text())["cells"]:
            if cell["cell_type"] != "code":
                continue
            for line in "".join(cell["source"]).splitlines():
                if re.match(r"(from|import) kinesis_lab[\w.]* ", line) and "(" not in line:
                    lines.add(line.strip())
    return sorted(lines)


def _as_released(line: str) -> str:
    """The line as a quiz released before the regroup wrote it: new paths back to old ones."""
    for old, new in sorted(MOVED.items(), key=lambda pair: -len(pair[1])):
        line = re.sub(rf"\b{re.escape(new)}\b", old, line)
    return line


def test_the_quiz_sources_import_lines_written_the_old_way_still_import():
    lines = _quiz_import_lines()
    assert len(lines) >= 10, lines  # the quizzes import the toolkit in many cells
    released = [_as_released(line) for line in lines]
    assert any(line != new for line, new in zip(released, lines, strict=True))
    program = "\n".join(released)
    result = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert result.returncode == 0, program + "\n" + result.stderr[-2000:]
