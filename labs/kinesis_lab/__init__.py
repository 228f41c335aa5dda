"""kinesis_lab — the lab toolkit of the hands-on Amazon Kinesis course.

Start a lab with::

    from kinesis_lab import start_lab
    lab = start_lab()

The rule: a helper may set up, generate data, check or draw; it never makes the call a lesson
teaches. The learner writes ``lab.kinesis.put_records(...)``; the toolkit builds the stream
for the next cell, makes the records, checks what the account holds, draws the picture.

The toolkit by role (``core`` imports nothing from the rest)::

    core/        facts (every documented number, once), the lab clock, hash keys, checks
    mock/        fidelity fixes that make moto behave as AWS documents (and answer faster)
    simulation/  limits, Firehose and Lambda behaviour moto lacks, on the lab clock
    account/     the lab session, local endpoint, clock control, network guard, resources
    clients/     reading streams back; the create/recreate/delete chores
    data/        synthetic IoT, payments and social events
    patterns/    producers, consumers, aggregation, mini KCL, scaling, sizing, windowing, ...
    widgets/     every picture and ipywidget
    lessons/     per-lesson scaffolding: ``from kinesis_lab.lessons import m08_lambda as lesson``
    capstones/   the capstones' scenarios and scoring
    quiz/        the graded quizzes' checks and observers

The session is imported lazily so that pure modules (facts, keys, data) load without boto3
or moto. Old flat module paths (``kinesis_lab.producers``) still import: see :mod:`._moved`.
"""

from typing import Any

from . import _moved

_moved.install()  # old module paths (quizzes already released) resolve to the new modules

__version__ = "0.1.0"
__all__ = ["Lab", "LabConfigurationError", "current_lab", "start_lab"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from .account import session

        return getattr(session, name)
    raise AttributeError(f"module 'kinesis_lab' has no attribute {name!r}")
