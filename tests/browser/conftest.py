"""The browser tests run only in `make browser` (it sets NNLAB_BROWSER=1 and installs chromium).

`make unit` (pytest tests) does not collect them: they need Debian's chromium and the built
site. Under `make browser` nothing here is skipped: a missing chromium or site is an error.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
ENABLED = os.environ.get("NNLAB_BROWSER") == "1"

if not ENABLED:
    collect_ignore_glob = ["test_*.py"]

sys.path.insert(0, str(HERE))


@pytest.fixture(scope="session")
def browser():
    import site_check

    with site_check.launch() as b:
        yield b
