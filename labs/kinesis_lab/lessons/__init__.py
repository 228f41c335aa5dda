"""Per-lesson scaffolding, imported visibly as such: ``from kinesis_lab.lessons import m08_lambda as lesson``.

The rule (issue 11, design.md): a helper may set up, generate data, check or draw; it never
makes the call a lesson teaches. So in a notebook ``lesson.x`` is the course's scaffolding and
``lab.client("lambda").create_event_source_mapping(...)`` is the learner's own AWS call. The
``ensure_*`` fallbacks are the one exception, and say so when they act: when a "Your turn" cell
is still blank, they build what later cells need so that the lesson keeps flowing.
"""
