"""The course's ground truth and primitives: documented facts, the lab clock, hash keys, checks.

Everything else builds on these; they import nothing from the rest of the toolkit.
"""
