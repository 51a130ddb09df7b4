"""The browser tests run only in `make browser` (it sets NNLAB_BROWSER=1 and installs chromium).

`make unit` (pytest tests) does not collect them: they need Debian's chromium and the built
site. Under `make browser` nothing here is skipped: a missing chromium or site is an error.
`make browser` runs them on two pytest-xdist workers, each with its own Chromium; the session
(the controller, or the only process without xdist) clears old screenshots first and merges the
workers' page reports into one report.txt at the end.
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
SHOTS = Path(os.environ.get("NNLAB_SCREENSHOTS", ROOT / "_build" / "screenshots"))


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def pytest_configure(config: pytest.Config) -> None:
    if ENABLED and not _is_worker(config):
        import site_check

        site_check.clear_reports(SHOTS)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if ENABLED and not _is_worker(session.config):
        import site_check

        site_check.merge_report_parts(SHOTS)


@pytest.fixture(scope="session")
def browser():
    import site_check

    with site_check.launch() as b:
        yield b
