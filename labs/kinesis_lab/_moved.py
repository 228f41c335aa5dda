"""Old module paths of the toolkit, kept working for quizzes and notebooks already released.

Why: the toolkit was regrouped by role (issue 11) and a released quiz still says
``from kinesis_lab.quizobserve import ...``. One finder on ``sys.meta_path`` makes each old
name below resolve to the very same module object as its new home: one copy of the code, no
shim files, and ``isinstance`` or monkeypatching through either name acts on the same thing.
New code uses the new paths; this table and its test are the only places the old ones appear.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

# old dotted module name -> its new home
MOVED: dict[str, str] = {
    "kinesis_lab.facts": "kinesis_lab.core.facts",
    "kinesis_lab.clock": "kinesis_lab.core.clock",
    "kinesis_lab.keys": "kinesis_lab.core.keys",
    "kinesis_lab.checks": "kinesis_lab.core.checks",
    "kinesis_lab.fidelity": "kinesis_lab.mock.fidelity",
    "kinesis_lab.behaviour": "kinesis_lab.mock.behaviour",
    "kinesis_lab.session": "kinesis_lab.account.session",
    "kinesis_lab.endpoint": "kinesis_lab.account.endpoint",
    "kinesis_lab.clockcontrol": "kinesis_lab.account.clockcontrol",
    "kinesis_lab.netguard": "kinesis_lab.account.netguard",
    "kinesis_lab.awsenv": "kinesis_lab.account.awsenv",
    "kinesis_lab.labresources": "kinesis_lab.account.labresources",
    "kinesis_lab.retrysleep": "kinesis_lab.account.retrysleep",
    "kinesis_lab.readers": "kinesis_lab.clients.readers",
    "kinesis_lab.producers": "kinesis_lab.patterns.producers",
    "kinesis_lab.consumers": "kinesis_lab.patterns.consumers",
    "kinesis_lab.aggregation": "kinesis_lab.patterns.aggregation",
    "kinesis_lab.mini_kcl": "kinesis_lab.patterns.mini_kcl",
    "kinesis_lab.scaling": "kinesis_lab.patterns.scaling",
    "kinesis_lab.sizing": "kinesis_lab.patterns.sizing",
    "kinesis_lab.policies": "kinesis_lab.patterns.policies",
    "kinesis_lab.windowing": "kinesis_lab.patterns.windowing",
    "kinesis_lab.fanout": "kinesis_lab.patterns.fanout",
    "kinesis_lab.delivery": "kinesis_lab.patterns.delivery",
    "kinesis_lab.flink_sizing": "kinesis_lab.patterns.flink_sizing",
    "kinesis_lab.service_selection": "kinesis_lab.patterns.service_selection",
    "kinesis_lab.video_storage": "kinesis_lab.patterns.video_storage",
    "kinesis_lab.capacity_widgets": "kinesis_lab.widgets.capacity",
    "kinesis_lab.firehose_widgets": "kinesis_lab.widgets.firehose",
    "kinesis_lab.lambda_widgets": "kinesis_lab.widgets.lambda_runs",
    "kinesis_lab.load_widgets": "kinesis_lab.widgets.load",
    "kinesis_lab.window_widgets": "kinesis_lab.widgets.windows",
    "kinesis_lab.capstones.charts": "kinesis_lab.widgets.capstone_charts",
    "kinesis_lab.lambda_lessons": "kinesis_lab.lessons.m08_lambda_scenarios",
    "kinesis_lab.firehose_lessons": "kinesis_lab.lessons.m09_firehose",
    "kinesis_lab.exercise_checks": "kinesis_lab.lessons.exercise_checks",
    "kinesis_lab.quizcheck": "kinesis_lab.quiz.check",
    "kinesis_lab.quizobserve": "kinesis_lab.quiz.observe",
    "kinesis_lab.quizobserve_capstones": "kinesis_lab.quiz.observe_capstones",
    "kinesis_lab.quizobserve_consumers": "kinesis_lab.quiz.observe_consumers",
    "kinesis_lab.quizobserve_lambda": "kinesis_lab.quiz.observe_lambda",
    "kinesis_lab.quizobserve_streams": "kinesis_lab.quiz.observe_streams",
    "kinesis_lab.answer_rules": "kinesis_grader.answer_rules",
}

# an old module whose name is now a package's: the package forwards the old module's names
FORWARDED: dict[str, str] = {"kinesis_lab.widgets": "kinesis_lab.widgets.key_space"}


class _AliasLoader(importlib.abc.Loader):
    """Loads an old name as the already-importable new module itself."""

    def __init__(self, new_name: str) -> None:
        self.new_name = new_name
        self.own_spec: importlib.machinery.ModuleSpec | None = None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        module = importlib.import_module(self.new_name)
        self.own_spec = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        # the import system has just set __spec__ to the alias's spec: give the module its own
        # back, so reloads, pickling and tracebacks keep naming the new home.
        module.__spec__ = self.own_spec


class MovedModuleFinder(importlib.abc.MetaPathFinder):
    """Finds the old names in :data:`MOVED` (and nothing else)."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        new_name = MOVED.get(fullname)
        if new_name is None:
            return None
        return importlib.machinery.ModuleSpec(fullname, _AliasLoader(new_name))


def install() -> None:
    """Put the finder on ``sys.meta_path`` once (last: it only answers names nobody else has)."""
    if not any(isinstance(finder, MovedModuleFinder) for finder in sys.meta_path):
        sys.meta_path.append(MovedModuleFinder())


def forward_names(package: str) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package`` that hands out the public names of the old
    module it replaced (:data:`FORWARDED`)."""

    def __getattr__(name: str) -> Any:
        if not name.startswith("_"):
            module = importlib.import_module(FORWARDED[package])
            if hasattr(module, name):
                return getattr(module, name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
