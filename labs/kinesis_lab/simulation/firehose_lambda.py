"""The Lambda function a Firehose Lambda processor names, run in-process. SIMULATION.

Why: a learner creates the transformation function with ``lambda.create_function`` (a .zip
with the handler's source, and ``Handler="module.function"``) and names its ARN in the Firehose
stream's ProcessingConfiguration, as on AWS. moto 5.2.5 keeps the function and its code but
can invoke it only with Docker. So the simulation reads the function from the mocked account
(its code and Handler) and runs that code in this process: the same notebook calls then work
unchanged against LocalStack or AWS.

Simpler than AWS: the handler module is executed from the .zip's source in this Python (not the
function's Runtime), once per code version (CodeSha256); the function's memory, timeout,
environment, layers and concurrency are not simulated. A module that fails to import makes
every invocation fail, as a function with an import error does on AWS.
"""

from __future__ import annotations

import io
import types
import zipfile
from collections.abc import Callable
from typing import Any

Handler = Callable[[dict[str, Any], Any], Any]

_loaded: dict[tuple[str, str], Handler] = {}  # (function ARN, CodeSha256) → handler


def _function(lambda_arn: str) -> Any | None:
    """moto's LambdaFunction for an ARN (qualified or not), or None."""
    parts = lambda_arn.split(":")
    if len(parts) < 7 or parts[2] != "lambda" or parts[5] != "function":
        return None
    try:
        from moto.awslambda.models import lambda_backends
    except ImportError:  # pragma: no cover - moto is a dependency
        return None
    region, account = parts[3], parts[4]
    if account not in lambda_backends or region not in lambda_backends[account]:
        return None
    qualifier = parts[7] if len(parts) > 7 else None
    try:
        return lambda_backends[account][region].get_function(":".join(parts[:7]), qualifier)
    except Exception:  # no such function (moto raises its UnknownFunctionException)
        return None


def _failing(error: BaseException) -> Handler:
    def handler(event: dict[str, Any], context: Any) -> Any:
        raise RuntimeError(f"the function's module could not be loaded: {error!r}")

    return handler


def _load(code: bytes, handler_name: str, label: str) -> Handler:
    module_name, _, function_name = handler_name.rpartition(".")
    path = module_name.replace(".", "/") + ".py"
    try:
        with zipfile.ZipFile(io.BytesIO(code)) as bundle:
            source = bundle.read(path).decode("utf-8")
        module = types.ModuleType(module_name)
        module.__file__ = f"<{label}>/{path}"
        exec(compile(source, module.__file__, "exec"), module.__dict__)  # noqa: S102
        handler = getattr(module, function_name)
    except Exception as error:  # missing file or handler, syntax or import error
        return _failing(error)
    return handler


def deployed_handler(lambda_arn: str) -> Handler | None:
    """The handler of the Lambda function ``lambda_arn`` in the mocked account, or None when
    there is no such function (a processor naming it then fails, as on AWS)."""
    function = _function(lambda_arn)
    if function is None:
        return None
    key = (function.function_arn, function.code_sha_256)
    if key not in _loaded:
        _loaded[key] = _load(function.code_bytes, function.handler or "", function.function_name)
    return _loaded[key]


def forget_deployed() -> None:
    _loaded.clear()
