"""Pictures and ipywidgets: pure functions that return SVG or HTML (testable without a kernel),
with a thin ipywidgets layer on top. One module a picture family.

``kinesis_lab.widgets.key_space`` was once the key-space module; its names are forwarded (see
:mod:`kinesis_lab._moved`).
"""

from .._moved import forward_names

__getattr__ = forward_names(__name__)
