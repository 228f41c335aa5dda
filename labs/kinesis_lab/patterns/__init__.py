"""Reusable streaming patterns and their self-checks: producers, consumers, aggregation, a mini
KCL, scaling, sizing, policies, windowing, enhanced fan-out, delivery semantics."""
