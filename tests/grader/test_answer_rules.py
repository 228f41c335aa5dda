"""The answer rules: every route an answer could use to make a check lie is caught by reading
its source; honest answers (every quiz's own solutions) break no rule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kinesis_grader.answer_rules import (
    RULES_FOR_LEARNERS,
    free_names,
    module_allowed,
    protected_names,
    rule_breaks,
)
from kinesis_grader.rebuild import strip_expectations
from kinesis_lab._moved import MOVED

QUIZ_SOURCES = sorted(Path("quizzes/source").glob("*/*.ipynb"))
GIVEN = {"STREAM", "SAFETY_SENSORS", "len", "print"}


def whats(source: str, given=GIVEN) -> list[str]:
    return [found.what for found in rule_breaks(source, given)]


@pytest.mark.parametrize(
    "source, expected",
    [
        ("import kinesis_lab.quiz.check as q\nq.expect = print", "imports kinesis_lab.quiz.check"),
        (
            "from kinesis_lab.lessons.m08_lambda_scenarios import CHECK_FAILURES as failures\nfailures.clear()",
            "imports kinesis_lab.lessons.m08_lambda_scenarios.CHECK_FAILURES, which the course's own code shares",
        ),
        (
            "import kinesis_lab.patterns.fanout as fanout\nfanout.STANDARD_DELAY_MS.update(x=1)",
            "uses fanout.STANDARD_DELAY_MS, which the course's own code shares",
        ),
        (
            "import kinesis_lab.data\nkinesis_lab.widgets.key_space.show",
            "uses kinesis_lab.widgets, reaches the module kinesis_lab.widgets, which answers may not use",
        ),
        (
            "import kinesis_lab.patterns.policies\nkinesis_lab.patterns.policies.ROLE_NEEDS",
            "uses kinesis_lab.patterns.policies.ROLE_NEEDS, which the course's own code shares",
        ),
        ("from kinesis_lab.core import checks", "imports kinesis_lab.core.checks"),
        (
            "from kinesis_lab.quiz.observe import stream_facts",
            "imports from kinesis_lab.quiz.observe",
        ),
        (
            "import kinesis_lab\nkinesis_lab.account.session",
            "uses kinesis_lab.account, reaches the module kinesis_lab.account, which answers may not use",
        ),
        ("import sys\nsys.stdout = None", "imports sys"),
        ("import threading", "imports threading"),
        ("import builtins", "imports builtins"),
        ("from . import x", "imports from ."),
        ("exec('t01_choice = 1')", "uses exec"),
        ("def f(x: 'print(1)'):\n    pass", "a text used as a type annotation"),
        ("def f(x) -> list['X']:\n    pass", "a text used as a type annotation"),
        ("x: 'int' = 1", "a text used as a type annotation"),
        ("from __future__ import annotations", "imports from __future__"),
        ("eval('1')", "uses eval"),
        ("f = getattr\n", "uses getattr"),
        ("setattr(thing, 'x', 1)", "uses setattr"),
        ("globals()['x'] = 1", "uses globals"),
        ("open('/proc/self/mem', 'wb')", "uses open"),
        ("%time x = 1", "uses get_ipython"),
        ("!ls", "uses get_ipython"),
        ("x = ().__class__.__base__.__subclasses__()", "uses the private attribute .__class__"),
        ("lab.kinesis._endpoint", "uses the private attribute ._endpoint"),
        (
            "lab.kinesis.meta.events.register('after-call', hook)",
            "uses .meta (answers may read only .meta.endpoint_url, .meta.partition, "
            ".meta.region_name, .meta.service_model)",
        ),
        ("m = lab.kinesis.meta\nm.events", "uses .meta (answers may read only"),
        ("try:\n    1/0\nexcept Exception as e:\n    e.tb_frame", "uses .tb_frame"),
        ("lab.kinesis.list_shards = fake", "assigns the attribute lab.kinesis.list_shards"),
        ("del lab.kinesis", "assigns the attribute lab.kinesis"),
        ("STREAM = 'another'", "rebinds the given name STREAM"),
        ("for STREAM in []:\n    pass", "rebinds the given name STREAM"),
        ("def len(x):\n    return 600", "rebinds the given name len"),
        ("print = lambda *a: None", "rebinds the given name print"),
        ("from json import dumps as print", "rebinds the given name print"),
        ("SAFETY_SENSORS.clear()", "changes the given name SAFETY_SENSORS (.clear)"),
        ("SAFETY_SENSORS[0] = 'x'", "changes the given name SAFETY_SENSORS"),
        ("def f():\n    global STREAM\n    STREAM = 1", "rebinds the given name STREAM (global)"),
        (
            "print('KINESIS-' + 'QUIZCHECK {}')",
            "a text that names a private attribute or a check record",
        ),
    ],
)
def test_each_route_to_a_lying_check_breaks_a_rule(source, expected):
    assert any(what.startswith(expected) for what in whats(source)), whats(source)


@pytest.mark.parametrize(
    "source",
    [
        "import json, math, time, hashlib, base64, random\nfrom collections import Counter",
        "from collections.abc import Mapping",
        "from kinesis_lab import start_lab\nfrom kinesis_lab.data import batched",
        "from kinesis_lab.clients.readers import list_all_shards\nimport kinesis_lab.core.keys as keys",
        "import kinesis_lab.lessons.m08_lambda_scenarios as ll\nevent = ll.make_event([{'a': 1}], partition_key='a')",
        "import json\njson.dumps({'a': 1})",
        "print(lab.kinesis.meta.service_model.operation_names, lab.clock.now())",
        "windows = [result.events for result in results]",
        "def total(values: list[int], scale: float = 1.0) -> float:\n    return sum(values) * scale",
        "class Buffer:\n    def __init__(self):\n        self.items = []\n        super().__init__()",
        "def f(STREAM):\n    STREAM = STREAM + '-x'\n    return [len(s) for s in STREAM]",
        "records = []\nrecords.append(1)\nlabel = f'{STREAM}-copy'",
        "print(len(SAFETY_SENSORS), sorted(SAFETY_SENSORS))",
        "t01_choice = 'b'  # a comment that says exec and __import__",
        "def broken(:\n    pass",  # not Python: the kernel reports it, the checks fail alone
    ],
)
def test_honest_answers_break_no_rule(source):
    assert whats(source) == []


def test_names_a_check_reads_but_answers_define_are_not_protected():
    checks = [
        "from kinesis_lab.quiz.check import expect\n"
        "observed = stream_facts(STREAM)\nexpect('x', len(observed), shards_for(3))"
    ]
    answers = ["def shards_for(n):\n    return n", "import json\nlab.create_stream(STREAM)"]
    assert free_names(checks[0]) == {"stream_facts", "STREAM", "len", "shards_for"}
    assert protected_names(answers, checks) == {"stream_facts", "STREAM", "len"}


@pytest.mark.parametrize("path", QUIZ_SOURCES, ids=lambda p: p.stem)
def test_every_quiz_solution_follows_the_rules(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]

    def sources(flag):
        return [
            "".join(c["source"])
            for c in cells
            if c["cell_type"] == "code" and c["metadata"].get("nbgrader", {}).get(flag)
        ]

    checks = [
        strip_expectations("".join(c["source"]), c["metadata"]["nbgrader"]["grade_id"])[0]
        for c in cells
        if c["cell_type"] == "code" and c["metadata"].get("nbgrader", {}).get("grade")
    ]
    protected = protected_names(sources("solution"), checks)
    assert "print" in protected  # every quiz's checks print what they saw
    for answer in sources("solution"):
        assert rule_breaks(answer, protected) == [], answer


def test_every_quiz_tells_learners_the_rules():
    for path in QUIZ_SOURCES:
        intro = "".join(json.loads(path.read_text(encoding="utf-8"))["cells"][0]["source"])
        assert "answer rules" in intro, path
    assert "held at 0" in RULES_FOR_LEARNERS


def test_an_old_module_path_is_allowed_exactly_when_its_new_home_is():
    """Answers to quizzes released before the regroup may import a module by its old path."""
    moved = {old: new for old, new in MOVED.items() if new.startswith("kinesis_lab.")}
    assert {module_allowed(old) for old in moved} == {True, False}
    for old, new in moved.items():
        assert module_allowed(old) == module_allowed(new), old
        source = f"import {old}"
        assert (whats(source) == []) == module_allowed(new), (source, whats(source))
