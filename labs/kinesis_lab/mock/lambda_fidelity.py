"""Lambda refuses what AWS refuses for a Kinesis event source mapping (a fidelity fix on moto).

Why: moto 5.2.5 stores whatever ``CreateEventSourceMapping`` or ``UpdateEventSourceMapping``
is given for a Kinesis stream — a ``MaximumRecordAgeInSeconds`` of 30, a batching window of
301 s, a ``ParallelizationFactor`` of 11, an on-failure destination that is a Lambda
function — where AWS refuses the call (F34-F40). A learner who makes that call must see AWS's
error from their own call, not a mapping that fails later in the simulated pollers. The
checks are :func:`kinesis_lab.simulation.lambda_config.check_parameters` (one set of rules
for the API and the simulation): a value outside the Lambda API model's range or enum is a
``ValidationException`` with the AWS-wide "failed to satisfy constraint" message, a value the
model allows but Lambda refuses is an ``InvalidParameterValueException``. They run inside
moto, before it stores anything, so they hold under ``mock_aws()`` and behind the local
endpoint alike. Sources other than Kinesis pass through unchanged.

Installed with the Kinesis fixes (:mod:`kinesis_lab.mock.behaviour`) as a layer of
:mod:`kinesis_lab.mock.fidelity`, whose ``uninstall()`` removes it too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError, ParamValidationError
from moto.awslambda.models import LambdaBackend
from moto.core.exceptions import JsonRESTError

from ..simulation.lambda_config import MAPPING_PARAMETERS, check_parameters
from . import fidelity

# An update is checked as the mapping it would leave (its stored settings with the update on
# top); the settings are the simulation's MAPPING_PARAMETERS.
SETTINGS = MAPPING_PARAMETERS

_originals: dict[tuple[type, str], Any] = {}


def _is_kinesis(event_source_arn: Any) -> bool:
    return ":kinesis:" in str(event_source_arn or "")


def _refuse_what_lambda_refuses(
    function_name: str, event_source_arn: str, settings: Mapping[str, Any]
) -> None:
    """Raise Lambda's error, as moto answers errors (HTTP 400 and the error code)."""
    try:
        check_parameters(function_name, event_source_arn, **settings)
    except ClientError as error:
        error_info = error.response["Error"]
        raise JsonRESTError(error_info["Code"], error_info["Message"]) from None
    except ParamValidationError as error:  # boto3 checks these first; another client may not
        raise JsonRESTError("ValidationException", str(error)) from None


def _create_checked(self: Any, spec: dict[str, Any]) -> Any:
    """CreateEventSourceMapping: a Kinesis mapping's settings are checked before moto stores
    it (moto only caps BatchSize, with a Python error rather than an AWS one)."""
    if _is_kinesis(spec.get("EventSourceArn")):
        settings = {name: spec[name] for name in SETTINGS if name in spec}
        _refuse_what_lambda_refuses(
            str(spec.get("FunctionName", "")), spec["EventSourceArn"], settings
        )
    return _originals[(LambdaBackend, "create_event_source_mapping")](self, spec)


def _update_checked(self: Any, uuid: str, spec: dict[str, Any]) -> Any:
    """UpdateEventSourceMapping: the mapping the update would leave is checked first."""
    mapping = self.get_event_source_mapping(uuid)
    if mapping is not None and _is_kinesis(mapping.event_source_arn):
        stored = mapping.get_configuration()
        settings = {name: stored[name] for name in SETTINGS if stored.get(name) is not None}
        settings.update({name: spec[name] for name in SETTINGS if name in spec})
        _refuse_what_lambda_refuses(
            mapping.function_arn.split(":")[6], mapping.event_source_arn, settings
        )
    return _originals[(LambdaBackend, "update_event_source_mapping")](self, uuid, spec)


def install() -> None:
    """Check Kinesis mappings in moto's Lambda (idempotent); removed by :func:`uninstall` or
    by ``fidelity.uninstall()``."""
    if _originals:
        return
    fidelity.replace_methods(
        [
            (LambdaBackend, "create_event_source_mapping", _create_checked),
            (LambdaBackend, "update_event_source_mapping", _update_checked),
        ],
        _originals,
    )
    fidelity.add_layer(uninstall)


def uninstall() -> None:
    """Put moto's own methods back exactly (no-op when not installed)."""
    fidelity.restore_methods(_originals)
    fidelity.remove_layer(uninstall)


def is_installed() -> bool:
    return bool(_originals)
