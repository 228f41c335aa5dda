"""Start ipykernel with an output cap, inside the jail.

Why: a tight print loop makes ipykernel batch output into messages too large for the grader
to accept (the grader drops them to protect its memory), so the flood would only show as a
timeout. Counting at the source lets the kernel stop itself with a clear marker the grader
reads from the kernel log. This is a courtesy, not a defence: code in the kernel can undo it,
and then the grader's own limits (message size, queue length, time) still hold.
"""

from __future__ import annotations

import os

LIMIT_ENV = "KINESIS_GRADER_OUTPUT_BYTES"
MARKER_ENV = "KINESIS_GRADER_MARKER_FILE"  # ipykernel captures fd 2, so the marker is a file


def _cap_output(limit: int, marker: str) -> None:
    from ipykernel.iostream import OutStream

    written = [0]
    original = OutStream.write

    def write(self: OutStream, text: str) -> int:
        written[0] += len(text)
        if written[0] > limit:
            if marker:
                with open(marker, "w") as flag:
                    flag.write(f"more than {limit} bytes of output\n")
            os._exit(75)
        return original(self, text)

    OutStream.write = write  # type: ignore[method-assign]


def main() -> None:
    limit = int(os.environ.get(LIMIT_ENV, "0") or 0)
    if limit:
        _cap_output(limit, os.environ.get(MARKER_ENV, ""))
    from ipykernel import kernelapp

    kernelapp.launch_new_instance()


if __name__ == "__main__":
    main()
