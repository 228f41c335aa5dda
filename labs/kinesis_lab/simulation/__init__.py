"""Simulations of what the mock lacks: limits, iterator expiry, Firehose, Lambda batching.

Everything here is labelled SIMULATION to the learner, reads time from
:mod:`kinesis_lab.core.clock`, and takes its numbers from :mod:`kinesis_lab.core.facts`.
"""
