"""Helpers for the three capstone labs (lessons 13-15): IoT telemetry, card fraud, social trends.

Why a package: each capstone is a whole pipeline — producer → Kinesis data stream → consumers
with checkpoints (→ Firehose → S3) — and the notebooks must stay about the use case. The
plumbing they share lives in :mod:`.pipeline`, precision and recall in :mod:`.scoring`, the
pictures in :mod:`.charts`; each use case has its own module (:mod:`.iot`, :mod:`.fraud`,
:mod:`.social`) with its reference rules and the self-checks for the learner's rules.
The learner writes the pipeline's AWS calls (PutRecords, GetShardIterator, GetRecords,
RegisterStreamConsumer); :mod:`.exercises` tries them on a stream of their own and checks what
they left there, and the course's Producer stays only as the fallback of a blank cell — a
helper may set up, generate data, check or draw, never make the call a lesson teaches.

Nothing here changes how the mock behaves: the pipelines meet the limits SIMULATION of
:mod:`kinesis_lab.simulation.limits` exactly as learner code would.
"""
