"""The reproduction ledger: every chapter registers claims, and every stored claim still holds.

The claims are read from the outputs stored in the notebooks (what the website shows and nbval
checks). ``check_claims`` recomputes each verdict from the stored value and bounds, so a stored
value outside its interval fails here even if the notebook printed "holds".
"""

import copy
import json
from pathlib import Path

import pytest

from nnlab.report import CLAIM_MIME, STATUSES, above, below, between, check_claims, claim_record, read_claims

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = [line.split("file:")[1].strip() for line in (ROOT / "_toc.yml").read_text().splitlines()
            if "file:" in line and (ROOT / (line.split("file:")[1].strip() + ".ipynb")).exists()]


def test_every_chapter_of_the_toc_is_checked():
    assert len(CHAPTERS) == 7, CHAPTERS


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_the_chapters_claims_hold(chapter):
    claims = read_claims(ROOT / f"{chapter}.ipynb")
    problems = check_claims(chapter, claims)
    assert not problems, "\n".join(problems)


def _claims_of(chapter):
    return read_claims(ROOT / f"{chapter}.ipynb")


def test_breaking_a_stored_claim_on_purpose_fails_with_chapter_claim_and_values(tmp_path):
    chapter = CHAPTERS[0]
    data = json.loads((ROOT / f"{chapter}.ipynb").read_text())
    broken = copy.deepcopy(data)
    for cell in broken["cells"]:
        for out in cell.get("outputs", []):
            record = out.get("data", {}).get(CLAIM_MIME)
            if record is not None and record["expect"]["lo"] is not None:
                record["value"] = record["expect"]["lo"] - 1.0  # below its interval
                key = record["key"]
                break
        else:
            continue
        break
    path = tmp_path / "broken.ipynb"
    path.write_text(json.dumps(broken))
    problems = check_claims(chapter, read_claims(path))
    assert len(problems) == 1
    assert chapter in problems[0] and key in problems[0] and "does not satisfy" in problems[0]


def test_check_claims_reports_missing_reasons_unknown_statuses_and_empty_chapters():
    good = {"key": "a", "value": 1.0, "expect": {"lo": 0.0, "hi": 2.0, "text": "in [0, 2]"},
            "status": "reproduced", "reason": None}
    assert check_claims("ch", [good]) == []
    assert check_claims("ch", []) == ["ch: registers no claims (nnlab.report.claim)"]
    no_reason = {**good, "key": "b", "status": "differs", "reason": ""}
    assert "without a reason" in check_claims("ch", [no_reason])[0]
    assert "status" in check_claims("ch", [{**good, "status": "fine"}])[0]
    assert "twice" in check_claims("ch", [good, good])[0]


def test_claim_rounds_as_printed_and_validates():
    rec = claim_record("x_key", 0.2449, source="book", statement="s", expect=between(0.245, 1.0), status="reproduced",
                fmt=".2f")
    # printed 0.24, and the bound 0.245 (stored as 0.24499...) prints 0.24: the verdict follows the printed numbers
    assert rec["text"] == "0.24" and rec["holds"] is True
    assert claim_record("y_key", 3, source="book", statement="s", expect=above(2), status="reproduced",
                        fmt="d")["holds"]
    assert not claim_record("z_key", 0.9, source="book", statement="s", expect=below(0.5), status="reproduced")["holds"]
    with pytest.raises(ValueError, match="reason"):
        claim_record("k", 1.0, source="book", statement="s", expect=above(0), status="differs")
    with pytest.raises(ValueError, match="status"):
        claim_record("k", 1.0, source="book", statement="s", expect=above(0), status="done")
    with pytest.raises(ValueError, match="expect"):
        claim_record("k", 1.0, source="book", statement="s", expect=(0, 1), status="reproduced")
    with pytest.raises(ValueError, match="lo must not exceed"):
        between(2, 1)
    assert set(STATUSES) == {"reproduced", "reproduced qualitatively", "differs", "open"}


FULL_RUNS = sorted((ROOT / "benchmarks" / "results" / "full").glob("*.ipynb"))


@pytest.mark.parametrize("record", FULL_RUNS, ids=[p.stem for p in FULL_RUNS])
def test_a_stored_full_profile_run_has_the_chapters_claims_and_they_hold(record):
    """`make full` records (shown in the ledger's "full profile" column): a full run of a chapter
    of the book, registering the same claims as its quick stored outputs, each still holding, or
    listed with what the full run shows instead (metadata ``does_not_hold``, shown in the ledger)."""
    run = json.loads(record.read_text())["metadata"]["nnlab_run"]
    assert run["profile"] == "full" and run["wall_s"] > 0
    chapter = f"book/{record.stem}"
    assert chapter in CHAPTERS
    claims = read_claims(record)
    assert [c["key"] for c in claims] == [c["key"] for c in _claims_of(chapter)]
    explained = run.get("does_not_hold", {})
    assert all(isinstance(v, str) and len(v.strip()) > 20 for v in explained.values())
    assert set(explained) == {c["key"] for c in claims if not c["holds"]}   # no failure unexplained, none stale
    assert not [p for p in check_claims(chapter, claims) if not any(f"claim '{k}' =" in p for k in explained)]
