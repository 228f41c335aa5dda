"""kinesis_lab — the lab toolkit of the hands-on Amazon Kinesis course.

Start a lab with::

    from kinesis_lab import start_lab
    lab = start_lab()
"""

__version__ = "0.1.0"
