"""Least-privilege IAM for Kinesis applications, and a small policy evaluator to read them with.

Why: lesson M7 asks learners to say which actions a producer, a consumer and a KCL application
need, and to predict whether a policy lets a caller do something — including a caller in
another account through the stream's resource-based policy (F25). The mock stores policies but
never enforces them, so the course evaluates them here, in plain Python, for reading practice.

The evaluator is deliberately SIMPLIFIED, and says so to the learner:

- it reads identity-based policies and one resource-based policy — no service control
  policies, permission boundaries, session policies, KMS key policies or VPC endpoint policies;
- ``Condition`` blocks are not evaluated: a statement with a Condition is skipped (and the
  decision says so);
- principals match by exact ARN, by account (``"123456789012"`` or ``arn:aws:iam::…:root``) or
  by ``"*"`` — no roles assumed through sessions, no ``aws:PrincipalOrgID`` and the like;
- actions match case-insensitively and resources case-sensitively, with the ``*`` and ``?``
  wildcards, as IAM does.

The action lists follow the KDS Developer Guide pages "Permissions to use user-generated KMS
keys" and "IAM permissions required for KCL consumer applications"; the tests check that every
action named here is a real operation of its service.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ..core.checks import FAIL_MARK, PASS_MARK, TODO_MARK, is_blank

POLICY_VERSION = "2012-10-17"

# ---------------------------------------------------------------------------------------------
# What each kind of application needs
# ---------------------------------------------------------------------------------------------

PRODUCER_ACTIONS = ("kinesis:PutRecord", "kinesis:PutRecords")
CONSUMER_ACTIONS = ("kinesis:ListShards", "kinesis:GetShardIterator", "kinesis:GetRecords")
DESCRIBE_ACTIONS = ("kinesis:DescribeStreamSummary", "kinesis:DescribeStream")
KMS_PRODUCER_ACTIONS = ("kms:GenerateDataKey",)  # only with a customer managed key
KMS_CONSUMER_ACTIONS = ("kms:Decrypt",)  # only with a customer managed key
KCL_LEASE_TABLE_ACTIONS = (
    "dynamodb:CreateTable",
    "dynamodb:DescribeTable",
    "dynamodb:UpdateTable",
    "dynamodb:Scan",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
)
KCL_OTHER_TABLE_ACTIONS = tuple(a for a in KCL_LEASE_TABLE_ACTIONS if a != "dynamodb:UpdateTable")
KCL_INDEX_ACTIONS = ("dynamodb:Query",)
KCL_METRICS_ACTIONS = ("cloudwatch:PutMetricData",)


@dataclass(frozen=True)
class RoleNeeds:
    """The actions one kind of application needs (required) and may reasonably have (optional)."""

    name: str
    description: str
    required: frozenset[str]
    optional: frozenset[str] = frozenset()


ROLE_NEEDS: dict[str, RoleNeeds] = {
    "producer": RoleNeeds(
        "producer",
        "writes records with PutRecord and PutRecords to a stream encrypted with a customer "
        "managed KMS key",
        frozenset(PRODUCER_ACTIONS + KMS_PRODUCER_ACTIONS),
        frozenset(("kinesis:DescribeStreamSummary", "kinesis:ListShards")),
    ),
    "consumer": RoleNeeds(
        "consumer",
        "polls every shard of that encrypted stream with GetRecords (no KCL, no enhanced fan-out)",
        frozenset(CONSUMER_ACTIONS + KMS_CONSUMER_ACTIONS),
        frozenset(DESCRIBE_ACTIONS),
    ),
}

KCL_SERVICES = frozenset({"kinesis", "dynamodb", "cloudwatch"})

ACTION_MENU = (
    "kinesis:PutRecord",
    "kinesis:PutRecords",
    "kinesis:GetRecords",
    "kinesis:GetShardIterator",
    "kinesis:ListShards",
    "kinesis:DescribeStreamSummary",
    "kinesis:SubscribeToShard",
    "kinesis:DeleteStream",
    "kinesis:*",
    "kms:GenerateDataKey",
    "kms:Decrypt",
    "kms:*",
    "dynamodb:PutItem",
    "cloudwatch:PutMetricData",
)


# ---------------------------------------------------------------------------------------------
# Policy documents
# ---------------------------------------------------------------------------------------------


def statement(
    sid: str, actions: Iterable[str], resources: str | Sequence[str], effect: str = "Allow"
) -> dict[str, Any]:
    resource: str | list[str] = resources if isinstance(resources, str) else list(resources)
    return {"Sid": sid, "Effect": effect, "Action": list(actions), "Resource": resource}


def policy(*statements: Mapping[str, Any]) -> dict[str, Any]:
    return {"Version": POLICY_VERSION, "Statement": [dict(s) for s in statements]}


def producer_policy(stream_arn: str, kms_key_arn: str | None = None) -> dict[str, Any]:
    """Least privilege for a producer: write to one stream (and encrypt with its CMK)."""
    statements = [statement("WriteToTheStream", PRODUCER_ACTIONS, stream_arn)]
    if kms_key_arn:
        statements.append(statement("EncryptWithTheStreamKey", KMS_PRODUCER_ACTIONS, kms_key_arn))
    return policy(*statements)


def consumer_policy(stream_arn: str, kms_key_arn: str | None = None) -> dict[str, Any]:
    """Least privilege for a polling consumer: read one stream (and decrypt with its CMK)."""
    statements = [
        statement("ReadTheStream", ("kinesis:DescribeStreamSummary", *CONSUMER_ACTIONS), stream_arn)
    ]
    if kms_key_arn:
        statements.append(statement("DecryptWithTheStreamKey", KMS_CONSUMER_ACTIONS, kms_key_arn))
    return policy(*statements)


def arn_parts(arn: str) -> dict[str, str]:
    """partition, service, region, account and resource of an ARN."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        raise ValueError(f"not an ARN: {arn!r}")
    return dict(
        zip(("arn", "partition", "service", "region", "account", "resource"), parts, strict=True)
    )


def kcl_policy(stream_arn: str, application_name: str, efo: bool = False) -> dict[str, Any]:
    """What a KCL application needs: the stream, its DynamoDB tables, and CloudWatch metrics.

    The lease table is named after the application (F28); KCL 3.x adds the worker-metrics and
    coordinator-state tables and a global secondary index on the lease table.
    """
    parts = arn_parts(stream_arn)
    table = f"arn:{parts['partition']}:dynamodb:{parts['region']}:{parts['account']}:table/"
    lease_table = table + application_name
    statements = [
        statement(
            "ReadTheStream",
            (
                "kinesis:DescribeStream",
                "kinesis:DescribeStreamSummary",
                "kinesis:RegisterStreamConsumer",
            )
            + CONSUMER_ACTIONS,
            stream_arn,
        )
    ]
    if efo:
        statements.append(
            statement(
                "EnhancedFanOut",
                ("kinesis:SubscribeToShard", "kinesis:DescribeStreamConsumer"),
                f"{stream_arn}/consumer/*",
            )
        )
    statements += [
        statement("LeaseTable", KCL_LEASE_TABLE_ACTIONS, lease_table),
        statement(
            "WorkerMetricsAndCoordinatorState",
            KCL_OTHER_TABLE_ACTIONS,
            [f"{lease_table}-WorkerMetricStats", f"{lease_table}-CoordinatorState"],
        ),
        statement("LeaseTableIndex", KCL_INDEX_ACTIONS, f"{lease_table}/index/*"),
        statement("PublishMetrics", KCL_METRICS_ACTIONS, "*"),
    ]
    return policy(*statements)


def cross_account_read_policy(stream_arn: str, reader_account: str) -> dict[str, Any]:
    """A resource-based policy on a stream letting another account read it (F25)."""
    parts = arn_parts(stream_arn)
    return {
        "Version": POLICY_VERSION,
        "Statement": [
            {
                "Sid": "LetTheAnalyticsAccountRead",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{parts['partition']}:iam::{reader_account}:root"},
                "Action": ["kinesis:DescribeStreamSummary", *CONSUMER_ACTIONS],
                "Resource": stream_arn,
            }
        ],
    }


def as_json(document: Mapping[str, Any]) -> str:
    return json.dumps(document, indent=2)


# ---------------------------------------------------------------------------------------------
# Evaluation (SIMPLIFIED — see the module docstring)
# ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=512)
def _pattern(glob: str, case_sensitive: bool) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in glob)
    return re.compile(f"^{body}$", 0 if case_sensitive else re.IGNORECASE | re.DOTALL)


def matches(glob: str, value: str, case_sensitive: bool = True) -> bool:
    """IAM-style wildcard match: ``*`` any run of characters, ``?`` one character."""
    return bool(_pattern(glob, case_sensitive).match(value))


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def parse_policy(document: str | Mapping[str, Any]) -> dict[str, Any]:
    """A policy as a dict; JSON text is parsed (a ValueError says what is wrong)."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except json.JSONDecodeError as error:
            raise ValueError(
                f"the policy is not valid JSON: {error.msg} (line {error.lineno})"
            ) from None
    if not isinstance(document, Mapping) or "Statement" not in document:
        raise ValueError('a policy is a JSON object with a "Statement"')
    return dict(document)


def statements_of(document: str | Mapping[str, Any]) -> list[dict[str, Any]]:
    return [dict(s) for s in _as_list(parse_policy(document)["Statement"])]


def _label(item: Mapping[str, Any], index: int) -> str:
    return str(item.get("Sid") or f"statement {index + 1}")


def _action_matches(item: Mapping[str, Any], action: str) -> bool:
    if "NotAction" in item:
        return not any(matches(g, action, False) for g in _as_list(item["NotAction"]))
    return any(matches(g, action, False) for g in _as_list(item.get("Action")))


def _resource_matches(item: Mapping[str, Any], resource: str) -> bool:
    if "NotResource" in item:
        return not any(matches(g, resource) for g in _as_list(item["NotResource"]))
    return any(matches(g, resource) for g in _as_list(item.get("Resource")))


def account_of(principal_arn: str) -> str:
    """The account of a principal ARN (``arn:aws:iam::111122223333:role/x``) or account ID."""
    if re.fullmatch(r"\d{12}", principal_arn):
        return principal_arn
    return arn_parts(principal_arn)["account"]


def _principal_match(item: Mapping[str, Any], principal_arn: str) -> str | None:
    """How a resource policy statement names the caller: "exact" (its ARN or "*"), "account"
    (its account ID or the account's root ARN: access delegated to that account), or None."""
    principal = item.get("Principal")
    if principal == "*":
        return "exact"
    if not isinstance(principal, Mapping):
        return None
    account = account_of(principal_arn)
    found = None
    for entry in _as_list(principal.get("AWS")):
        if entry in ("*", principal_arn):
            return "exact"
        if entry == account or (entry.endswith(":root") and account_of(entry) == account):
            found = "account"
    return found


@dataclass(frozen=True)
class Decision:
    """The verdict on one request: effect is "Allow", "ExplicitDeny" or "ImplicitDeny"."""

    effect: str
    reason: str
    statements: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()  # statements with a Condition, which this evaluator skips

    @property
    def allowed(self) -> bool:
        return self.effect == "Allow"


def _matching(
    document: str | Mapping[str, Any],
    action: str,
    resource: str,
    principal_arn: str | None = None,
) -> tuple[list[str], list[str], list[str], bool]:
    """(allowing statements, denying statements, skipped statements with a Condition, whether
    an allowing statement names the principal exactly) — principals only for resource policies."""
    allows, denies, skipped = [], [], []
    exact = False
    for index, item in enumerate(statements_of(document)):
        named = None
        if principal_arn is not None:
            named = _principal_match(item, principal_arn)
            if named is None:
                continue
        if not (_action_matches(item, action) and _resource_matches(item, resource)):
            continue
        label = _label(item, index)
        if "Condition" in item:
            skipped.append(label)
            continue
        if item.get("Effect") == "Deny":
            denies.append(label)
        else:
            allows.append(label)
            exact = exact or named == "exact"
    return allows, denies, skipped, exact


def evaluate(document: str | Mapping[str, Any], action: str, resource: str) -> Decision:
    """Does this identity-based policy allow ``action`` on ``resource``? (SIMPLIFIED)

    An explicit Deny wins; otherwise any matching Allow allows; otherwise the request is
    implicitly denied — IAM's default.
    """
    allows, denies, skipped, _ = _matching(document, action, resource)
    if denies:
        return Decision(
            "ExplicitDeny",
            "an explicit Deny matches — it always wins",
            tuple(denies),
            tuple(skipped),
        )
    if allows:
        return Decision("Allow", "an Allow statement matches", tuple(allows), tuple(skipped))
    return Decision(
        "ImplicitDeny", "no statement allows it (the default is deny)", (), tuple(skipped)
    )


def evaluate_access(
    principal_arn: str,
    action: str,
    resource: str,
    identity_policy: str | Mapping[str, Any],
    resource_policy: str | Mapping[str, Any] | None = None,
) -> Decision:
    """Can this principal do ``action`` on ``resource``, given both kinds of policy? (SIMPLIFIED)

    Same account: the identity policy allows it, or the resource policy names the caller's
    own ARN. (A resource policy that names only the *account* delegates to that account's
    IAM, so the identity policy must allow it too.) Another account (F25): the resource
    policy must grant the caller or its account *and* the caller's own identity policy must
    allow it. An explicit Deny in either policy wins.
    """
    identity_allows, identity_denies, skipped, _ = _matching(identity_policy, action, resource)
    resource_allows: list[str] = []
    resource_denies: list[str] = []
    names_caller = False
    if resource_policy is not None:
        resource_allows, resource_denies, more_skipped, names_caller = _matching(
            resource_policy, action, resource, principal_arn
        )
        skipped += more_skipped
    denies = [f"identity: {s}" for s in identity_denies]
    denies += [f"resource: {s}" for s in resource_denies]
    allows = [f"identity: {s}" for s in identity_allows]
    allows += [f"resource: {s}" for s in resource_allows]
    skipped_t = tuple(skipped)
    if denies:
        reason = "an explicit Deny matches — it always wins"
        return Decision("ExplicitDeny", reason, tuple(denies), skipped_t)
    if account_of(principal_arn) == arn_parts(resource)["account"]:
        if identity_allows or names_caller:
            reason = "same account: the identity policy, or a resource policy naming the caller"
            return Decision("Allow", reason, tuple(allows), skipped_t)
        if resource_allows:
            reason = (
                "same account: the resource policy grants the account, so the caller's "
                "identity policy must allow it too — and it does not"
            )
            return Decision("ImplicitDeny", reason, tuple(allows), skipped_t)
        return Decision(
            "ImplicitDeny", "no statement allows it (the default is deny)", (), skipped_t
        )
    if identity_allows and resource_allows:
        reason = "cross-account: both the resource policy and the caller's identity policy allow it"
        return Decision("Allow", reason, tuple(allows), skipped_t)
    if identity_allows:
        reason = "cross-account: the stream's resource policy does not grant the caller's account"
    elif resource_allows:
        reason = "cross-account: the caller's own identity policy does not allow it"
    else:
        reason = "cross-account: neither policy allows it"
    return Decision("ImplicitDeny", reason, tuple(allows), skipped_t)


def decision_html(decision: Decision) -> str:
    colour = "#1a7f37" if decision.allowed else "#c00000"
    verdict = {
        "Allow": "ALLOWED",
        "ExplicitDeny": "DENIED (explicit Deny)",
        "ImplicitDeny": "DENIED (implicit)",
    }[decision.effect]
    lines = [f"<b style='color:{colour}'>{verdict}</b> — {html.escape(decision.reason)}"]
    if decision.statements:
        lines.append("matching: " + ", ".join(html.escape(s) for s in decision.statements))
    if decision.skipped:
        lines.append(
            "<i>skipped (has a Condition, which this simplified checker does not evaluate): "
            + ", ".join(html.escape(s) for s in decision.skipped)
            + "</i>"
        )
    return "<br>".join(lines)


def policy_checker(
    identity_policy: Mapping[str, Any],
    resource_policy: Mapping[str, Any] | None,
    principals: Sequence[str],
    resources: Sequence[str],
    actions: Sequence[str] = ACTION_MENU,
) -> Any:
    """Edit the policies, pick a caller, an action and a resource: allowed or denied?"""
    import ipywidgets as widgets

    wide = widgets.Layout(width="min(100%, 640px)")
    style = {"description_width": "initial"}
    identity_text = widgets.Textarea(
        value=as_json(identity_policy),
        description="identity policy",
        layout=widgets.Layout(width="min(100%, 640px)", height="180px"),
        style=style,
    )
    resource_text = widgets.Textarea(
        value=as_json(resource_policy) if resource_policy else "",
        placeholder="(no resource-based policy)",
        description="stream's resource policy",
        layout=widgets.Layout(width="min(100%, 640px)", height="180px"),
        style=style,
    )
    principal = widgets.Dropdown(
        options=list(principals), description="caller", layout=wide, style=style
    )
    action = widgets.Combobox(
        options=list(actions),
        value=actions[0],
        description="action",
        ensure_option=False,
        layout=wide,
        style=style,
    )
    resource = widgets.Dropdown(
        options=list(resources), description="resource", layout=wide, style=style
    )
    result = widgets.HTML()

    def show(_: Any = None) -> None:
        try:
            resource_document = resource_text.value.strip() or None
            decision = evaluate_access(
                principal.value,
                action.value.strip(),
                resource.value,
                identity_text.value,
                resource_document,
            )
        except (ValueError, TypeError, AttributeError) as error:
            result.value = (
                f"<b style='color:#c00000'>Cannot evaluate:</b> {html.escape(str(error))}"
            )
            return
        result.value = decision_html(decision)

    for control in (identity_text, resource_text, principal, action, resource):
        control.observe(show, names="value")
    show()
    note = widgets.HTML(
        "<small>SIMPLIFIED checker: identity and resource policies only (no SCPs, permission "
        "boundaries, session, KMS key or VPC endpoint policies); Conditions are not evaluated.</small>"
    )
    box = widgets.VBox([principal, action, resource, result, identity_text, resource_text, note])
    box.controls = {
        "identity_policy": identity_text,
        "resource_policy": resource_text,
        "principal": principal,
        "action": action,
        "resource": resource,
    }
    box.result = result
    return box


# ---------------------------------------------------------------------------------------------
# Checks for the "Your turn" cells (never raise; hints, not answers)
# ---------------------------------------------------------------------------------------------


def _normalise(actions: Iterable[Any]) -> dict[str, str]:
    """lower-case action → as typed (IAM action names are case-insensitive)."""
    return {str(a).strip().lower(): str(a).strip() for a in actions}


def check_actions(role: str, answer: Any) -> bool:
    """Check a set of IAM actions for one of :data:`ROLE_NEEDS`: nothing missing, nothing extra."""
    needs = ROLE_NEEDS[role]
    label = f"{role} actions"
    try:
        if is_blank(answer):
            print(f"{TODO_MARK} {label}: not yet — replace the ... with a set of actions.")
            return False
        if isinstance(answer, str) or not isinstance(answer, Iterable):
            print(f'{FAIL_MARK} {label}: write a set of strings, e.g. {{"kinesis:PutRecord", ...}}')
            return False
        given = _normalise(answer)
        required = _normalise(needs.required)
        allowed = {**required, **_normalise(needs.optional)}
        wildcards = sorted(typed for key, typed in given.items() if "*" in key)
        extra = sorted(
            typed for key, typed in given.items() if key not in allowed and "*" not in key
        )
        missing = sorted(
            typed
            for key, typed in required.items()
            if not any(matches(pattern, key, case_sensitive=False) for pattern in given)
        )
        if not (wildcards or extra or missing):
            print(f"{PASS_MARK} {label}: {sorted(given.values())} — least privilege.")
            return True
        print(f"{FAIL_MARK} {label}: not yet right")
        if wildcards:
            print(
                f"    too broad: {', '.join(wildcards)} — a wildcard grants far more than "
                f"the {role} does."
            )
        if extra:
            print(
                f"    more than it needs: {', '.join(extra)} — least privilege means leaving "
                "these out."
            )
        if missing:
            services = sorted({m.split(":")[0] for m in missing})
            print(
                f"    missing {len(missing)} action(s) from {', '.join(services)} — without "
                f"them the {role} fails with AccessDenied. Re-read what the {role} does."
            )
            if "kms" in services:
                print("    (the stream is encrypted with a customer managed KMS key)")
        return False
    except Exception as error:
        print(f"{FAIL_MARK} {label}: could not check this answer ({type(error).__name__}).")
        return False


def check_kcl_services(answer: Any) -> bool:
    """Check the set of services (IAM prefixes) a KCL application needs permissions for."""
    label = "services a KCL application needs"
    if is_blank(answer):
        print(f"{TODO_MARK} {label}: not yet — replace the ... with a set of service prefixes.")
        return False
    try:
        given = (
            {str(s).strip().lower().split(":")[0] for s in answer}
            if not isinstance(answer, str)
            else {answer.lower()}
        )
    except TypeError:
        print(f'{FAIL_MARK} {label}: write a set of strings, e.g. {{"kinesis", "s3"}}')
        return False
    if given == KCL_SERVICES:
        print(f"{PASS_MARK} {label}: {sorted(given)}")
        return True
    print(f"{FAIL_MARK} {label}: you have {sorted(given)}")
    missing = KCL_SERVICES - given
    if missing:
        print(
            f"    missing {len(missing)} service(s): where does the KCL keep its leases and "
            "checkpoints, and where does it publish its metrics?"
        )
    if given - KCL_SERVICES:
        print(f"    not needed: {', '.join(sorted(given - KCL_SERVICES))}")
    return False
