"""The Lambda SIMULATION's account (``aws``, tests/sim_lambda_fixtures.py) for the pictures of
its runs (kinesis_lab.widgets.lambda_runs)."""

from sim_lambda_fixtures import aws, shared_clients  # noqa: F401
