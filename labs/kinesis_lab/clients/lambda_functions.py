"""Lambda functions written in a notebook: zip a handler for ``create_function``, check one.

Why one home: M8 (event source mappings) and M9 (Firehose transforms) both have the learner
write a handler in the notebook and call ``lambda.create_function`` with it. Zipping the
handler is set-up and reading the function back is a check; the ``create_function`` call stays
the learner's.
"""

from __future__ import annotations

import inspect
import io
import textwrap
import types
import zipfile
from collections.abc import Callable
from typing import Any

from ..core.checks import could_not_check, failed, not_yet, passed

MODULE = "lambda_function"  # the file in the zip: Handler is "lambda_function.<name>"
BASE_IMPORTS = ("import base64", "import json")  # what a Kinesis or Firehose handler decodes with


def _sources(function: Callable[..., Any], seen: dict[str, str], imports: dict[str, str]) -> None:
    """The source of ``function`` and of the module-level functions it calls, and an import
    line for each module it names (found in its globals)."""
    if function.__name__ in seen:
        return
    seen[function.__name__] = ""  # mark first: recursion
    for name in function.__code__.co_names:
        value = function.__globals__.get(name)
        if isinstance(value, types.ModuleType):
            module = value.__name__
            imports[name] = f"import {module}" if module == name else f"import {module} as {name}"
        elif isinstance(value, types.FunctionType) and value is not function:
            _sources(value, seen, imports)
    seen[function.__name__] = textwrap.dedent(inspect.getsource(function))


def handler_zip(
    *handlers: Callable[..., Any],
    follow_calls: bool = False,
    entry_point: str | None = None,
    **constants: Any,
) -> bytes:
    """Setup: a deployment package (.zip) for ``Code={"ZipFile": ...}``: ``lambda_function.py``
    with ``import base64, json``, the given constants and each handler's source.

    As on AWS the handler sees only its module, not the notebook's variables. With
    ``follow_calls`` the module-level functions a handler calls, and the modules it names, come
    along; ``entry_point`` adds ``<entry_point> = <first handler>`` so that the Handler can
    always be ``lambda_function.<entry_point>``."""
    if not handlers:
        raise ValueError("handler_zip needs at least one handler function")
    sources: dict[str, str] = {}
    imports = {line: line for line in BASE_IMPORTS}
    for handler in handlers:
        if follow_calls:
            _sources(handler, sources, imports)
        else:
            sources[handler.__name__] = textwrap.dedent(inspect.getsource(handler))
    parts = [
        "from __future__ import annotations\n\n" + "\n".join(sorted(set(imports.values()))) + "\n"
    ]
    parts += [f"{name} = {value!r}\n" for name, value in constants.items()]
    parts += list(sources.values())
    if entry_point is not None and entry_point != handlers[0].__name__:
        parts.append(f"{entry_point} = {handlers[0].__name__}\n")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{MODULE}.py", "\n\n".join(parts))
    return buffer.getvalue()


def check_function(
    lambda_client: Any,
    name: str,
    handler: str,
    loads: Callable[[Any, str, str], Any] | None = None,
) -> bool:
    """✓ when the function exists with a Python runtime and ``handler`` (and, given ``loads``,
    that handler loads from its package); "not yet" while there is no such function."""
    label = f"function {name!r}"
    try:
        try:
            configuration = lambda_client.get_function(FunctionName=name)["Configuration"]
        except lambda_client.exceptions.ResourceNotFoundException:
            return not_yet(label, "there is no such function yet.")
        if configuration.get("Handler") != handler:
            return failed(
                label,
                f"its Handler is {configuration.get('Handler')!r}",
                f"Handler={handler!r}: the module in the zip, then the function's name",
            )
        runtime = str(configuration.get("Runtime", ""))
        if not runtime.startswith("python3"):
            return failed(label, f"its Runtime is {runtime!r}", "a Python runtime, e.g. python3.12")
        if loads is not None:
            loads(lambda_client, name, handler)
        return passed(label, f"{runtime}, Handler {handler}" + (", loads" if loads else ""))
    except Exception as error:  # a check must never stop the lesson
        return could_not_check(label, error)
