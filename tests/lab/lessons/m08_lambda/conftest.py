"""The Lambda SIMULATION's account (``aws``, tests/sim_lambda_fixtures.py) for the tests of
kinesis_lab.lessons.m08_lambda and m08_lambda_scenarios."""

from sim_lambda_fixtures import aws, shared_clients  # noqa: F401
