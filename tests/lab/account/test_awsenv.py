"""The learner's AWS settings are removed from an offline lab and given back afterwards."""

import os

from kinesis_lab.account.awsenv import ScrubbedEnvironment

LEARNER_SHELL = {
    "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
    "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "AWS_SESSION_TOKEN": "token",
    "AWS_PROFILE": "production",
    "AWS_ENDPOINT_URL": "https://kinesis.us-east-1.amazonaws.com",
    "AWS_ENDPOINT_URL_KINESIS": "http://10.0.0.5:4566",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://169.254.170.2/creds",
    "AWS_WEB_IDENTITY_TOKEN_FILE": "/var/run/token",
    "AWS_DEFAULT_REGION": "eu-west-1",
    "HOME": "/home/learner",
}


def test_apply_removes_every_route_to_a_real_account():
    environ = dict(LEARNER_SHELL)
    ScrubbedEnvironment(environ).apply("us-east-1")
    assert environ["AWS_ACCESS_KEY_ID"] == "testing"
    assert environ["AWS_SECRET_ACCESS_KEY"] == "testing"
    assert environ["AWS_DEFAULT_REGION"] == "us-east-1"
    assert environ["AWS_EC2_METADATA_DISABLED"] == "true"
    assert environ["AWS_CONFIG_FILE"] == os.devnull
    assert environ["AWS_SHARED_CREDENTIALS_FILE"] == os.devnull
    for gone in (
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_KINESIS",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
    ):
        assert gone not in environ
    assert environ["HOME"] == "/home/learner"


def test_restore_gives_back_exactly_the_original_environment():
    environ = dict(LEARNER_SHELL)
    scrubbed = ScrubbedEnvironment(environ)
    scrubbed.apply("us-east-1")
    scrubbed.apply("us-east-1")  # applying twice must not lose the originals
    scrubbed.restore()
    assert environ == LEARNER_SHELL
