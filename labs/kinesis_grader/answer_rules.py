"""The rules graded answers follow, read from the answer's source text — never by running it.

Why: a learner's answer runs in the same Python process as the checks after it, and Python
has no walls inside a process. Code that imports the checking machinery, reaches for private
or reflective attributes, runs code built from strings, patches attributes or rebinds the
quiz's given names could make a check report whatever it likes. Every such route needs one
of a few syntactic forms, so the trusted grader reads each answer *before* believing its
checks (outside the kernel, where the answer cannot interfere) and holds the autograded
score of a submission that breaks a rule at 0 for the instructor's review.

The rules (worded for learners in :data:`RULES_FOR_LEARNERS`):

1. import only the listed standard modules and the course's learner-facing modules;
2. no code from strings or reflection: ``exec``, ``eval``, ``compile``, ``__import__``,
   ``getattr``/``setattr``/``delattr``, ``globals``/``locals``/``vars``, ``open``,
   ``get_ipython`` (IPython magics turn into it), and no private (``_x``) or dunder attribute
   other than ``__init__``;
3. no attribute assignment or deletion except on ``self``/``cls``;
4. the names the quiz's checks read (given constants, helpers, built-ins such as ``len``) are
   not rebound, item-assigned or changed in place, and no list, dict or set that an allowed
   course module holds is reached (an alias could change it in place);
5. no text annotations (``functools.singledispatch`` would evaluate them as code).

The grader also refuses records a check cell printed before an error (see
:mod:`kinesis_grader.verdicts`), which closes "print a record, then raise".

This module imports only the standard library (IPython optionally, to read magics) and the
toolkit's table of moved modules (:mod:`kinesis_lab._moved`, standard library only).
"""

from __future__ import annotations

import ast
import importlib.util
from collections.abc import Iterable
from dataclasses import dataclass

from kinesis_lab._moved import MOVED

ALLOWED_STANDARD_MODULES = frozenset(
    {
        "base64",
        "binascii",
        "bisect",
        "calendar",
        "collections",
        "copy",
        "dataclasses",
        "datetime",
        "decimal",
        "enum",
        "fractions",
        "functools",
        "hashlib",
        "heapq",
        "itertools",
        "json",
        "math",
        "random",
        "re",
        "statistics",
        "string",
        "struct",
        "textwrap",
        "time",
        "uuid",
        "zlib",
        "zoneinfo",
    }
)
# The toolkit modules lessons teach learners to call; the checking, observing, session and
# simulation machinery is not among them.
_LEARNER_FACING_MODULES = frozenset(
    {
        "kinesis_lab",
        "kinesis_lab.capstones",
        "kinesis_lab.capstones.pipeline",
        "kinesis_lab.capstones.scoring",
        "kinesis_lab.clients",
        "kinesis_lab.clients.readers",
        "kinesis_lab.core",
        "kinesis_lab.core.facts",
        "kinesis_lab.core.keys",
        "kinesis_lab.data",
        "kinesis_lab.data.iot",
        "kinesis_lab.data.payments",
        "kinesis_lab.data.records",
        "kinesis_lab.data.social",
        "kinesis_lab.lessons",
        "kinesis_lab.lessons.m08_lambda_scenarios",
        "kinesis_lab.lessons.m09_firehose",
        "kinesis_lab.patterns",
        "kinesis_lab.patterns.aggregation",
        "kinesis_lab.patterns.consumers",
        "kinesis_lab.patterns.delivery",
        "kinesis_lab.patterns.fanout",
        "kinesis_lab.patterns.flink_sizing",
        "kinesis_lab.patterns.mini_kcl",
        "kinesis_lab.patterns.policies",
        "kinesis_lab.patterns.producers",
        "kinesis_lab.patterns.scaling",
        "kinesis_lab.patterns.service_selection",
        "kinesis_lab.patterns.sizing",
        "kinesis_lab.patterns.video_storage",
        "kinesis_lab.patterns.windowing",
    }
)
# Answers to quizzes released before the toolkit was regrouped may use a module's old path.
ALLOWED_COURSE_MODULES = _LEARNER_FACING_MODULES | {
    old for old, new in MOVED.items() if new in _LEARNER_FACING_MODULES
}
# The course's own checking and plumbing modules, by the name an attribute would use (names
# unlikely to be a learner's own data; other routes to them are resolved by import).
COURSE_MACHINERY = frozenset(
    {
        "awsenv",
        "clockcontrol",
        "fidelity",
        "labresources",
        "netguard",
        "quizcheck",
        "quizobserve",
        "quizobserve_capstones",
        "quizobserve_consumers",
        "quizobserve_lambda",
        "quizobserve_streams",
        "retrysleep",
        "simulation",
    }
)
FORBIDDEN_NAMES = frozenset(
    {
        "__builtins__",
        "__import__",
        "__loader__",
        "__spec__",
        "breakpoint",
        "compile",
        "delattr",
        "eval",
        "exec",
        "get_ipython",
        "getattr",
        "globals",
        "locals",
        "open",
        "setattr",
        "vars",
    }
)
# Attributes that lead to frames (and so to other code's data).
FORBIDDEN_ATTRIBUTES = frozenset(
    {"f_back", "f_globals", "f_locals", "gi_frame", "cr_frame", "ag_frame", "tb_frame"}
)
# A boto3 client's ``.meta`` leads to its event hooks (which can rewrite any answer a check's
# client receives); lessons read only these harmless parts of it.
SAFE_META = frozenset({"service_model", "endpoint_url", "region_name", "partition"})
ALLOWED_DUNDERS = frozenset({"__init__"})
MUTATING_METHODS = frozenset(
    {
        "add",
        "append",
        "clear",
        "difference_update",
        "discard",
        "extend",
        "insert",
        "intersection_update",
        "pop",
        "popitem",
        "remove",
        "reverse",
        "setdefault",
        "sort",
        "symmetric_difference_update",
        "update",
    }
)
CHECK_RECORD_MARK = "QUIZCHECK"

RULES_FOR_LEARNERS = (
    "Graded answers are plain Python with the course's toolkit: import only standard modules "
    "such as json, math, time, hashlib, base64, collections, and the kinesis_lab modules the "
    "lessons use; no exec/eval/getattr/setattr/open, no private (_name) attributes, no "
    "attribute assignment outside your own classes, and leave the quiz's given names (the "
    "read-only cells) as they are. An answer that breaks a rule is held at 0 points until "
    "your instructor reviews it."
)


@dataclass(frozen=True)
class RuleBreak:
    line: int
    what: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.what}"


def python_source(cell_source: str) -> str:
    """The Python a kernel would run for a cell (IPython magics become ``get_ipython()`` calls)."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:  # pragma: no cover - IPython is always there with a kernel
        return cell_source
    try:
        return TransformerManager().transform_cell(cell_source)
    except Exception:
        return cell_source


def module_allowed(name: str) -> bool:
    top = name.split(".")[0]
    if top == "kinesis_lab":
        return name in ALLOWED_COURSE_MODULES
    return name in ALLOWED_STANDARD_MODULES or (
        top in ALLOWED_STANDARD_MODULES and _is_submodule(name)
    )


def _is_submodule(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


MUTABLE_TYPES = (list, dict, set, bytearray)


def reached_through(module: str, names: tuple[str, ...]) -> str | None:
    """What is wrong with reaching ``module.names…`` from an answer, if anything: a module
    outside the list, or a list, dict or set the course's code holds (changing one in place
    could change what a check computes). Read by importing the allowed module here, in the
    grader, never by running the answer."""
    if not module_allowed(module):
        return None  # the import itself is flagged
    try:
        value, path = importlib.import_module(module), module
        for name in names:
            if name.startswith("_"):
                return None  # flagged as private already
            if path and _is_submodule(f"{path}.{name}"):
                path = f"{path}.{name}"
                if not module_allowed(path):
                    return f"reaches the module {path}, which answers may not use"
                value = importlib.import_module(path)
                continue
            value, path = getattr(value, name), ""
            if isinstance(value, MUTABLE_TYPES):
                return "which the course's own code shares"
    except Exception:  # not there (the kernel will say so) or not importable here
        return None
    return None


def _attribute_chain(node: ast.Attribute) -> tuple[str, ...] | None:
    """``("a", "b", "c")`` for ``a.b.c``; None if the chain does not start from a name."""
    names: list[str] = []
    current: ast.AST = node
    while isinstance(current, ast.Attribute):
        names.append(current.attr)
        current = current.value
    if not isinstance(current, ast.Name):
        return None
    return (current.id, *reversed(names))


def _root(node: ast.AST) -> str | None:
    """The name an attribute/subscript chain starts from (``a`` in ``a.b[1].c``)."""
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


class _Reader(ast.NodeVisitor):
    def __init__(self, protected: frozenset[str]) -> None:
        self.protected = protected
        # name → (module, attribute path) for every name an import bound
        self.imported: dict[str, tuple[str, tuple[str, ...]]] = {}
        self.safe_meta: set[int] = set()  # .meta nodes followed by a harmless attribute
        self.found: list[RuleBreak] = []
        self.depth = 0  # function nesting: rebinding a local name is not rebinding a given one

    def flag(self, node: ast.AST, what: str) -> None:
        self.found.append(RuleBreak(getattr(node, "lineno", 0), what))

    # imports ----------------------------------------------------------------------------
    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if not module_allowed(alias.name):
                self.flag(node, f"imports {alias.name}")
                continue
            if alias.asname:
                self._bind(node, alias.asname)
                self.imported[alias.asname] = (alias.name, ())
            else:
                top = alias.name.split(".")[0]
                self.imported[top] = (top, ())

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        if node.level or not module_allowed(module):
            self.flag(node, f"imports from {'.' * node.level}{module}")
            return
        for alias in node.names:
            if alias.name == "*":
                self.flag(node, f"imports * from {module}")
                continue
            full = f"{module}.{alias.name}"
            if _is_submodule(full):
                if not module_allowed(full):
                    self.flag(node, f"imports {full}")
                    continue
                bound_to: tuple[str, tuple[str, ...]] = (full, ())
            else:
                bound_to = (module, (alias.name,))
                why = reached_through(*bound_to)
                if why:
                    self.flag(node, f"imports {full}, {why}")
            if alias.asname:
                self._bind(node, alias.asname)
            self.imported[alias.asname or alias.name] = bound_to

    # names and attributes ---------------------------------------------------------------
    def visit_Name(self, node: ast.Name) -> None:
        if node.id in FORBIDDEN_NAMES:
            self.flag(node, f"uses {node.id}")
        elif isinstance(node.ctx, (ast.Store, ast.Del)):
            self._bind(node, node.id)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        attr = node.attr
        if attr.startswith("_") and attr not in ALLOWED_DUNDERS:
            self.flag(node, f"uses the private attribute .{attr}")
        elif attr in FORBIDDEN_ATTRIBUTES or attr in COURSE_MACHINERY:
            self.flag(node, f"uses .{attr}")
        elif attr == "meta" and id(node) not in self.safe_meta:
            self.flag(
                node,
                f"uses .meta (answers may read only .meta.{', .meta.'.join(sorted(SAFE_META))})",
            )
        if isinstance(node.ctx, (ast.Store, ast.Del)) and _root(node) not in ("self", "cls"):
            self.flag(node, f"assigns the attribute {ast.unparse(node)}")
        chain = _attribute_chain(node)
        if chain and chain[0] in self.imported:
            module, names = self.imported[chain[0]]
            why = reached_through(module, (*names, *chain[1:]))
            if why:
                self.flag(node, f"uses {ast.unparse(node)}, {why}")
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        if isinstance(node.ctx, (ast.Store, ast.Del)) and _root(node) in self.protected:
            self.flag(node, f"changes the given name {_root(node)}")
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and func.attr in MUTATING_METHODS
            and _root(func.value) in self.protected
        ):
            self.flag(node, f"changes the given name {_root(func.value)} (.{func.attr})")
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str) and ("__" in node.value or CHECK_RECORD_MARK in node.value):
            self.flag(node, "a text that names a private attribute or a check record")

    def visit_arg(self, node: ast.arg) -> None:
        self._annotation(node.annotation)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self._annotation(node.annotation)
        self.generic_visit(node)

    def _annotation(self, annotation: ast.AST | None) -> None:
        """A text annotation is code the typing machinery may evaluate (functools.singledispatch
        does): it would run without ever being read here."""
        if annotation is not None and any(
            isinstance(n, ast.Constant) and isinstance(n.value, str) for n in ast.walk(annotation)
        ):
            self.flag(annotation, "a text used as a type annotation")

    def visit_Global(self, node: ast.Global) -> None:
        for name in node.names:
            if name in self.protected:
                self.flag(node, f"rebinds the given name {name} (global)")

    # scopes -----------------------------------------------------------------------------
    def _bind(self, node: ast.AST, name: str) -> None:
        if self.depth == 0 and name in self.protected:
            self.flag(node, f"rebinds the given name {name}")

    def _scoped(self, node: ast.AST) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._bind(node, node.name)
        for decorator in node.decorator_list:
            self.visit(decorator)
        self.depth += 1
        for child in [node.args, *node.body]:
            self.visit(child)
        if node.returns:
            self._annotation(node.returns)
            self.visit(node.returns)
        self.depth -= 1

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._bind(node, node.name)
        for child in [*node.bases, *node.keywords, *node.decorator_list]:
            self.visit(child)
        self.depth += 1
        for child in node.body:
            self.visit(child)
        self.depth -= 1

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._scoped(node)

    def visit_ListComp(self, node: ast.AST) -> None:
        self._scoped(node)

    visit_SetComp = visit_DictComp = visit_GeneratorExp = visit_ListComp  # type: ignore[assignment]


def rule_breaks(cell_source: str, given_names: Iterable[str] = ()) -> list[RuleBreak]:
    """What in one answer cell breaks the answer rules (empty: nothing).

    ``given_names``: the quiz's names its checks read from the read-only cells. A cell that is
    not valid Python breaks no rule here (the kernel reports its SyntaxError and its checks
    fail on their own)."""
    try:
        tree = ast.parse(python_source(cell_source))
    except (SyntaxError, ValueError):
        return []
    reader = _Reader(frozenset(given_names))
    reader.safe_meta = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Attribute)
        and node.value.attr == "meta"
        and node.attr in SAFE_META
    }
    reader.visit(tree)
    return sorted(set(reader.found), key=lambda found: (found.line, found.what))


def bound_names(cell_source: str, imports: bool = True) -> set[str]:
    """Names a cell binds at the top level (``imports``: count the names imports bind)."""
    try:
        tree = ast.parse(python_source(cell_source))
    except (SyntaxError, ValueError):
        return set()
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            continue
        for child in ast.walk(node):
            if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store):
                names.add(child.id)
            elif isinstance(child, (ast.Import, ast.ImportFrom)) and imports:
                names |= {(a.asname or a.name).split(".")[0] for a in child.names}
    return names


def free_names(cell_source: str) -> set[str]:
    """Names a check cell reads but does not bind itself: its inputs, built-ins included."""
    try:
        tree = ast.parse(python_source(cell_source))
    except (SyntaxError, ValueError):
        return set()
    loaded, bound = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (loaded if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
    return loaded - bound


def protected_names(answer_cells: Iterable[str], check_cells: Iterable[str]) -> set[str]:
    """The names answers must leave alone: what the checks read that answers do not define
    (given constants, imported helpers, built-ins such as ``len`` or ``print``).

    ``answer_cells`` are the instructor's solutions: the names they define are the answers."""
    answers = set().union(*(bound_names(c, imports=False) for c in answer_cells))
    read = set().union(*(free_names(c) for c in check_cells))
    return read - answers
