"""Copy the course fact sheet into the site as reference/facts.md (a verbatim copy).

The fact sheet's home is ../shared/kinesis-facts.md, beside the repository. The site needs
it as a page (the cheat sheet and every "F8"-style reference link to its rows), so a copy is
committed at site/reference/facts.md; tests/test_site_content.py fails when the copy drifts
from the original. After the fact sheet changes, run::

    python tools/sync_facts.py
"""

from __future__ import annotations

import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SOURCE = REPO.parent / "shared" / "kinesis-facts.md"
COPY = REPO / "site" / "reference" / "facts.md"

if __name__ == "__main__":
    COPY.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SOURCE, COPY)
    print(f"copied {SOURCE} → {COPY}")
