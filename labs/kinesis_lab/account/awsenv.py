"""Keep the learner's own AWS configuration out of an offline lab.

Why: botocore reads credentials, profiles and endpoint overrides from the environment, from
``~/.aws`` and from the instance metadata service. A learner with a real profile or an
``AWS_ENDPOINT_URL`` in their shell must still get the mocked account, so an offline lab
removes all of them from ``os.environ`` (remembering the originals so they can be restored)
and points botocore at fake credentials and empty config files.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping

FAKE_ACCESS_KEY_ID = "testing"
FAKE_SECRET_ACCESS_KEY = "testing"

# Variables that could route a request to a real account or endpoint.
_REMOVED_EXACT = frozenset(
    {
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_ROLE_ARN",
        "AWS_ROLE_SESSION_NAME",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CREDENTIAL_EXPIRATION",
        "AWS_CA_BUNDLE",
        "AWS_USE_FIPS_ENDPOINT",
        "AWS_USE_DUALSTACK_ENDPOINT",
        "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
        "AWS_S3_US_EAST_1_REGIONAL_ENDPOINT",
        "AWS_STS_REGIONAL_ENDPOINTS",
    }
)
_REMOVED_PREFIXES = ("AWS_ENDPOINT_URL", "AWS_CONTAINER_", "AWS_EC2_METADATA_SERVICE_ENDPOINT")


def offline_values(region: str) -> dict[str, str]:
    """The variables an offline lab sets: fake keys, a fixed region, no config files, no IMDS."""
    return {
        "AWS_ACCESS_KEY_ID": FAKE_ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": FAKE_SECRET_ACCESS_KEY,
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def is_removed(name: str) -> bool:
    return name in _REMOVED_EXACT or name.startswith(_REMOVED_PREFIXES)


class ScrubbedEnvironment:
    """Applies :func:`offline_values` and removes risky variables; ``restore()`` undoes it."""

    def __init__(self, environ: MutableMapping[str, str] | None = None) -> None:
        self._environ = os.environ if environ is None else environ
        self._saved: dict[str, str | None] | None = None

    @property
    def applied(self) -> bool:
        return self._saved is not None

    def apply(self, region: str) -> None:
        if self._saved is None:
            self._saved = {}
        for name in [n for n in self._environ if is_removed(n)]:
            self._saved.setdefault(name, self._environ[name])
            del self._environ[name]
        for name, value in offline_values(region).items():
            self._saved.setdefault(name, self._environ.get(name))
            self._environ[name] = value

    def restore(self) -> None:
        if self._saved is None:
            return
        for name, value in self._saved.items():
            if value is None:
                self._environ.pop(name, None)
            else:
                self._environ[name] = value
        self._saved = None
