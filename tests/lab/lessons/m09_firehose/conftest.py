"""The Firehose SIMULATION's account (``aws``, tests/firehose_sim_fixtures.py) for the tests of
kinesis_lab.lessons.m09_firehose; ``lab_clock`` and ``fake_aws_credentials`` come from
tests/lab/conftest.py."""

from firehose_sim_fixtures import aws, shared_clients, simulation_installed  # noqa: F401
