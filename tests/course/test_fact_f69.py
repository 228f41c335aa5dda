"""F69: a Lambda event source mapping does NOT de-aggregate KPL records.

The course once said the opposite in five places (a glossary entry, a practice explanation,
a capstone, the Lambda simulation's notes and a graded quiz key). This test reads every text a
learner sees — lessons (markdown and the strings in their code), site pages, quiz sources
(questions, solutions and hidden tests) and the simulations' notes — and fails on any sentence
that says Lambda de-aggregates. A sentence that names Lambda next to a de-aggregation word is
accepted only when a negation or a need is said of Lambda (it "does not", "never", "needs the
module", "must use" it …); the sample sentences below show both ways.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import nbformat
import pytest
from paths import REPO

from kinesis_grader.authoring import nbgrader_meta, quiz_items
from kinesis_lab.simulation import firehose, lambda_esm

DEAGGREGATION = re.compile(r"\bde-?aggregat\w*|\bunaggregat\w*", re.IGNORECASE)
LAMBDA = re.compile(r"\bLambda\b", re.IGNORECASE)
# What has to be said of Lambda, close to the word, for a sentence to be right.
SAID_OF_LAMBDA = re.compile(
    r"\bnot\b|n't\b|\bnever\b|\bno\b|\bcannot\b|\bneeds?\b|\bmust\b|\bmodule\b|"
    r"\baws-kinesis-agg\b|\bkinesis-aggregation\b|\bwithout\b|\bleaves?\b|\bitself\b",
    re.IGNORECASE,
)
BEFORE, AFTER = 30, 90  # characters around each "Lambda" searched for SAID_OF_LAMBDA
# "a de-aggregating Lambda", "a Lambda function that de-aggregates": your own code doing it.
OWN_FUNCTION = re.compile(
    r"de-?aggregat\w*\s+(?:AWS\s+)?Lambda\b|"
    r"\bLambda\s+(?:function|handler)s?\s+(?:that|which)\s+de-?aggregat",
    re.IGNORECASE,
)
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z*`(>\-])|\n\s*\n|\n\s*(?:[-*]|\d+\.)\s+")


LEADING_MARK = re.compile(r"^(?:[-*>]|\d+\.)\s+")


def sentences(text: str) -> list[str]:
    """Sentences of a text: split at sentence ends, blank lines and list items; one line each."""
    parts = (" ".join(part.split()) for part in SENTENCE_END.split(text) if part and part.strip())
    return [LEADING_MARK.sub("", part) for part in parts]


def says_lambda_deaggregates(sentence: str) -> bool:
    """True when the sentence credits Lambda with de-aggregating (KPL) records."""
    if not (DEAGGREGATION.search(sentence) and LAMBDA.search(sentence)):
        return False
    for match in LAMBDA.finditer(sentence):
        around = sentence[max(0, match.start() - BEFORE) : match.end() + AFTER]
        if SAID_OF_LAMBDA.search(around) or OWN_FUNCTION.search(around):
            return False
    return True


# --- the rule, on sample sentences -----------------------------------------------------------

WRONG = [
    "Consumers must de-aggregate aggregated records; the KCL, Lambda and Firehose do (F30, F68).",
    "Aggregated records must be de-aggregated by consumers; the KCL, Lambda and Firehose do it.",
    "A consumer must then de-aggregate (the KCL and Lambda do, and so does Firehose, F68).",
    "Lambda de-aggregates KPL records before it invokes your function.",
    "KPL records are de-aggregated by Lambda automatically.",
    "The event source mapping de-aggregates for you, so a Lambda handler sees user records.",
]
RIGHT = [
    "Lambda does not de-aggregate KPL records (F69).",
    "The KCL and Firehose de-aggregate for you; Lambda does not — the function must use the "
    "KPL de-aggregation module (F69).",
    "A Lambda function needs the de-aggregation module.",
    "KPL-aggregated records reach the handler aggregated: Lambda itself never de-aggregates them.",
    "Lambda, unlike the KCL, doesn't de-aggregate.",
    "The KCL de-aggregates KPL records automatically.",
    "Lambda reads batches of up to 10,000 records.",
    "A de-aggregating Lambda or a KCL stage is unnecessary work behind Firehose.",
    "Write a Lambda function that de-aggregates the records with aws-kinesis-agg.",
]


@pytest.mark.parametrize("sentence", WRONG)
def test_a_sentence_crediting_lambda_with_deaggregation_is_caught(sentence):
    assert says_lambda_deaggregates(" ".join(sentences(sentence)))


@pytest.mark.parametrize("sentence", RIGHT)
def test_a_correct_sentence_passes(sentence):
    assert not says_lambda_deaggregates(" ".join(sentences(sentence)))


def test_sentences_split_at_list_items_and_paragraphs():
    text = "- the KCL de-aggregates;\n- Lambda runs your code.\n\nNext paragraph."
    assert sentences(text) == [
        "the KCL de-aggregates;",
        "Lambda runs your code.",
        "Next paragraph.",
    ]


# --- the course's texts ------------------------------------------------------------------------
# A wrong statement is fine where it is offered as wrong: a quiz distractor (an option that is
# not keyed), or a trap quoted in double quotes. Everything else is read: stems, keyed options,
# explanations, solutions, hidden tests, model answers, rubrics and plain prose.

QUOTED = re.compile(r'"[^"\n]*"|“[^”\n]*”')
QUOTE_MARK = re.compile(r"^>[ \t]?", re.MULTILINE)
QUIZ_OPTION = re.compile(r"^- \*\*([a-i])\)\*\* ")
SITE_QUIZ = re.compile(r"<quiz>\n(.*?)\n</quiz>", re.DOTALL)
SITE_ANSWER = re.compile(r"^- \[([ x])\] (.*)$")


def prose(text: str) -> str:
    """Text without blockquote marks and without quoted (trap) statements."""
    return QUOTED.sub('""', QUOTE_MARK.sub("", text))


def call_name(node: ast.Call) -> str | None:
    return node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)


def code_texts(source: str) -> list[str]:
    """A code cell's strings; of a self-check question, the keyed option and the explanation."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return [source]
    skipped: set[int] = set()
    texts = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and call_name(node) == "self_check_question":
            names = ("question", "options", "answer", "explanation")
            arguments = dict(zip(names, node.args, strict=False))
            arguments.update({kw.arg: kw.value for kw in node.keywords if kw.arg})
            options = arguments.get("options")
            if isinstance(options, (ast.List, ast.Tuple)):
                skipped.update(id(child) for child in ast.walk(options))
                answer = ast.literal_eval(arguments["answer"])
                values = [ast.literal_eval(element) for element in options.elts]
                texts.append(values[answer] if isinstance(answer, int) else str(answer))
    texts += [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in skipped
    ]
    return texts + [line for line in source.splitlines() if line.lstrip().startswith("#")]


def lesson_texts(path: Path) -> list[str]:
    texts = []
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        source = "".join(cell["source"])
        texts.extend([prose(source)] if cell["cell_type"] == "markdown" else code_texts(source))
    return texts


def options_of(text: str) -> tuple[str, dict[str, str]]:
    """A quiz question cell: its text without the options, and its options by letter."""
    kept, options, letter = [], {}, None
    for line in text.split("\n"):
        found = QUIZ_OPTION.match(line)
        if found:
            letter = found.group(1)
            options[letter] = line[found.end() :]
        elif letter and line.startswith("  ") and line.strip():
            options[letter] += " " + line.strip()
        else:
            letter = None
            kept.append(line)
    return "\n".join(kept), options


def keyed_letters(expected) -> set[str]:
    if isinstance(expected, dict):
        return set(expected.values())
    return set(expected) if isinstance(expected, (list, set, tuple)) else {expected}


def quiz_texts(path: Path) -> list[str]:
    """Everything but the unkeyed options: a keyed option that is wrong is a wrong key."""
    notebook = nbformat.read(path, as_version=4)
    cells = notebook.cells
    keys = {
        item.grade_id: keyed_letters(item.expectations[0].expected)
        for item in quiz_items(notebook)
        if item.kind in ("choice", "choices")
    }
    question_of = {}
    for index, cell in enumerate(cells):
        owner = nbgrader_meta(cell).get("grade_id", "").removesuffix("_answer")
        if owner in keys:
            question_of[index - 1] = owner
    texts = []
    for index, cell in enumerate(cells):
        source = cell.source
        if cell.cell_type == "code":
            texts.extend(code_texts(source) + [source])
            continue
        rest, options = options_of(source)
        texts.append(prose(rest))
        texts.extend(options[letter] for letter in keys.get(question_of.get(index), ()))
        if index not in question_of:
            texts.extend(options.values())
    return texts


def site_texts(path: Path) -> list[str]:
    """A site page; of a practice question, its stem, keyed options and explanation."""
    text = path.read_text(encoding="utf-8")
    texts = [prose(SITE_QUIZ.sub("", text))]
    for block in SITE_QUIZ.finditer(text):
        for line in block.group(1).splitlines():
            answer = SITE_ANSWER.match(line)
            if answer is None:
                texts.append(prose(line))
            elif answer.group(1) == "x":
                texts.append(answer.group(2))
    return ["\n".join(texts)]


def learner_texts() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in sorted((REPO / "notebooks").glob("*.ipynb")):
        found[str(path.relative_to(REPO))] = lesson_texts(path)
    for path in sorted((REPO / "quizzes" / "source").glob("*/*.ipynb")):
        found[str(path.relative_to(REPO))] = quiz_texts(path)
    for path in sorted((REPO / "site").rglob("*.md")):
        found[str(path.relative_to(REPO))] = site_texts(path)
    found["README.md"] = [prose((REPO / "README.md").read_text(encoding="utf-8"))]
    found["lambda_esm.simulation_notes()"] = list(lambda_esm.simulation_notes())
    found["firehose.simulation_notes()"] = list(firehose.simulation_notes())
    return found


def test_the_course_texts_are_read():
    texts = learner_texts()
    assert any(name.startswith("notebooks/") for name in texts)
    assert any(name.startswith("quizzes/source/") for name in texts)
    assert "site/glossary.md" in texts
    joined = "\n".join(t for ts in texts.values() for t in ts)
    assert DEAGGREGATION.search(joined), "the texts talk about de-aggregation at all"


def test_a_distractor_may_be_wrong_but_a_key_may_not():
    cell = (
        "Which are true?\n\n- **a)** Lambda de-aggregates KPL records.\n"
        "- **b)** The KCL de-aggregates KPL records.\n"
    )
    rest, options = options_of(cell)
    assert "Lambda" not in rest
    assert says_lambda_deaggregates(options["a"]) and not says_lambda_deaggregates(options["b"])
    trap = '> **Trap:** "Lambda de-aggregates KPL records" — it does not (F69).'
    assert not any(says_lambda_deaggregates(s) for s in sentences(prose(trap)))


def test_no_learner_facing_text_says_lambda_deaggregates_kpl_records():
    wrong = [
        f"{name}: {sentence}"
        for name, texts in learner_texts().items()
        for text in texts
        for sentence in sentences(text)
        if says_lambda_deaggregates(sentence)
    ]
    assert wrong == [], "F69: Lambda does not de-aggregate KPL records:\n" + "\n".join(wrong)
