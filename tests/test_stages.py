"""`.ci/stages.py`, the timer of `make test`: lanes run side by side, a failure stops its lane only."""

from __future__ import annotations

import importlib.util
import os
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("stages", ROOT / ".ci" / "stages.py")
stages = importlib.util.module_from_spec(spec)
spec.loader.exec_module(stages)

MAKEFILE = """\
ok:
\t@echo ok-ran >> trace
slow:
\t@sleep 1; echo slow-ran >> trace
fail:
\t@echo fail-ran >> trace; exit 3
after:
\t@echo after-ran >> trace
"""


@pytest.fixture
def scratch(tmp_path, monkeypatch):
    (tmp_path / "Makefile").write_text(MAKEFILE)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MAKEFLAGS", raising=False)
    return tmp_path


def trace(path: Path) -> list[str]:
    return (path / "trace").read_text().split() if (path / "trace").exists() else []


def test_parse_splits_groups_into_lanes():
    steps = stages.parse(["lint", "unit nbval | render browser"])
    assert steps == [[["lint"]], [["unit", "nbval"], ["render", "browser"]]]
    with pytest.raises(SystemExit):
        stages.parse(["unit | "])


def test_two_slow_lanes_overlap(scratch, capsys):
    start = time.perf_counter()
    assert stages.main(["slow | slow"]) == 0
    assert time.perf_counter() - start < 1.9  # two 1 s stages side by side, not 2 s one after the other
    assert trace(scratch) == ["slow-ran", "slow-ran"]
    assert "side by side: slow | slow" in capsys.readouterr().out


def test_a_failure_stops_its_lane_and_everything_after_but_not_the_other_lane(scratch, capsys):
    code = stages.main(["ok", "fail after | slow ok", "after"])
    out = capsys.readouterr().out
    assert code == 2  # make's status for a failed recipe
    assert sorted(trace(scratch)) == sorted(["ok-ran", "fail-ran", "slow-ran", "ok-ran"])
    assert "not run: after, after" in out
    assert "FAILED (2)" in out
    assert "Error 3" in (scratch / "_build" / "stages" / "fail.log").read_text()  # make's output went to the log
    assert os.path.exists(scratch / "_build" / "stages" / "slow.log")
