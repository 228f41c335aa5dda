"""The Lambda SIMULATION's account (``aws``, tests/sim_lambda_fixtures.py) for the tests of
kinesis_lab.simulation.lambda_*."""

from sim_lambda_fixtures import aws, shared_clients  # noqa: F401
