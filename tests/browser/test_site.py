"""Every page of the built website, opened offline in headless Chromium (`make browser`).

The pages come from the build (_build/html, or NNLAB_SITE), never from a list, so a chapter
added to _toc.yml is checked as soon as it is built. Each page's screenshot (the whole page, cut
at site_check.SHOT_MAX_HEIGHT px) is saved under _build/screenshots/ (NNLAB_SCREENSHOTS), with one
page also in dark mode, and
_build/screenshots/report.txt lists every page with its counts and findings.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import site_check

ROOT = Path(__file__).resolve().parent.parent.parent

SITE = Path(os.environ.get("NNLAB_SITE", ROOT / "_build" / "html"))
SHOTS = Path(os.environ.get("NNLAB_SCREENSHOTS", ROOT / "_build" / "screenshots"))
REPORTS: list[site_check.PageReport] = []
# A numbered figure or equation that the text never refers to fails its page (and is listed in
# report.txt); NNLAB_STRICT_REFERENCES=0 only lists them, e.g. while drafting a chapter.
STRICT_REFERENCES = os.environ.get("NNLAB_STRICT_REFERENCES", "1") == "1"


def site_pages() -> list[str]:
    if not (SITE / "index.html").exists():
        raise RuntimeError(f"no built site at {SITE}: run `make render` (make browser does when it is missing)")
    return [p.as_posix() for p in site_check.find_pages(SITE)]


def notebook_pages() -> list[str]:
    """Pages built from a notebook (Sphinx keeps the source under _sources/)."""
    return [p for p in site_pages() if (SITE / "_sources" / p).with_suffix(".ipynb").exists()]


def repository_url() -> str:
    m = re.search(r"^repository:\s*\n\s+url:\s*(\S+)", (ROOT / "_config.yml").read_text(), re.M)
    assert m, "_config.yml has no repository.url"
    return m.group(1).rstrip("/")


@pytest.fixture(scope="module")
def base(request):
    """The site served locally. The session (conftest.py) cleared SHOTS; each pytest-xdist worker
    writes its part of the report, and the session merges the parts into report.txt."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    with site_check.serve(SITE) as url:
        yield url
    worker = getattr(request.config, "workerinput", {}).get("workerid", "main")
    site_check.write_report_part(SHOTS, worker, REPORTS)


def test_the_site_has_pages():
    pages = site_pages()
    assert "index.html" in pages and len(pages) >= 3, pages


@pytest.mark.parametrize("page", site_pages())
def test_page(browser, base, page):
    target = site_check.redirect_target(SITE / page)
    if target is not None:  # Jupyter Book's index.html: a redirect to the first page
        assert (SITE / page).parent.joinpath(target).exists(), f"{page} redirects to a missing {target}"
        return
    report = site_check.check_page(browser, base, page, screenshot=SHOTS / site_check.screenshot_name(page))
    REPORTS.append(report)
    assert report.ok, "\n".join([page, *report.failures])
    if STRICT_REFERENCES:
        assert not report.notes, "\n".join([page, *report.notes])


def player_pages() -> list[str]:
    """Chapter pages with an explore player (nnlab.frames)."""
    return [p for p in notebook_pages() if 'class="nnlab-explore"' in (SITE / p).read_text()]


def test_every_chapter_has_a_working_explore_player(browser, base):
    """The knobs work on the static site: each chapter page has a player, and test_page has moved
    its controls through every frame (site_check.EXPLORE_JS); no live widget view is drawn."""
    chapters = [p for p in notebook_pages() if p.startswith("book/") and "reproductions" not in p]
    assert sorted(player_pages()) == sorted(chapters)
    for page in chapters:
        assert "application/vnd.jupyter.widget-view+json" not in (SITE / page).read_text()


def test_a_page_with_a_player_in_dark_mode(browser, base):
    """Figures and controls must stay readable in the theme's dark mode (screenshot: *-dark.png)."""
    page = player_pages()[0]
    report = site_check.check_page(browser, base, page, dark=True,
                                   screenshot=SHOTS / site_check.screenshot_name(page, dark=True))
    REPORTS.append(report)
    assert report.ok, "\n".join([page, *report.failures])


@pytest.mark.parametrize("page", notebook_pages())
def test_a_chapter_has_launch_buttons(page):
    """Binder, Colab and Thebe ("Live Code") on every notebook page, pointing at this notebook."""
    html = (SITE / page).read_text()
    repo = repository_url().removeprefix("https://github.com/")
    source = Path(page).with_suffix(".ipynb").as_posix()
    assert f"https://mybinder.org/v2/gh/{repo}/main?urlpath=lab/tree/{source}" in html
    assert f"https://colab.research.google.com/github/{repo}/blob/main/{source}" in html
    assert "initThebeSBT()" in html and "Live Code" in html


def test_breaking_a_real_page_on_purpose_fails(browser, tmp_path):
    """A copy of the built site with one chapter broken the way a CDN-only site breaks offline
    (MathJax from jsDelivr), one of its figures deleted and one frame of its player lost."""
    import json
    import shutil

    copy = tmp_path / "site"
    shutil.copytree(SITE, copy)
    page = player_pages()[0]
    html = (copy / page).read_text()
    html = re.sub(r'src="[^"]*vendor/mathjax/tex-mml-chtml\.js[^"]*"',
                  'src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js"', html)
    data = re.search(r'(<script type="application/json" class="nnlab-explore-data">)(.*?)(</script>)', html, re.S)
    frames = json.loads(data.group(2))
    lost = sorted(frames["frames"])[-1]
    del frames["frames"][lost]
    html = html.replace(data.group(0), data.group(1) + json.dumps(frames) + data.group(3))
    (copy / page).write_text(html)
    image = re.search(r'<img alt="[^"]*" src="(\.\./_images/[^"]+)"', html).group(1)
    (copy / page).parent.joinpath(image).unlink()
    with site_check.serve(copy) as url:
        report = site_check.check_page(browser, url, page, widget_timeout_ms=2000)
    found = "\n".join(report.failures)
    for reason in ("blocked non-local request: https://cdn.jsdelivr.net/npm/mathjax", "not typeset by MathJax",
                   "explore control broken", "broken image", "HTTP 404"):
        assert reason in found, f"{reason!r} not reported for {page}:\n{found}"


def test_the_reproduction_ledger_lists_every_chapter_with_its_claims(browser, base):
    """The ledger page, as Chromium renders it: one table per chapter, every row with our value."""
    import json

    from nnlab.report import read_claims

    page = browser.new_page()
    try:
        page.goto(f"{base}/book/reproductions.html")
        tables = page.locator("table.ledger")
        chapters = [line.split("file:")[1].strip() for line in (ROOT / "_toc.yml").read_text().splitlines()
                    if "file:" in line and (ROOT / (line.split("file:")[1].strip() + ".ipynb")).exists()]
        assert tables.count() == len(chapters) == 7
        shown_failing = 0
        for i, chapter in enumerate(chapters):
            claims = read_claims(ROOT / f"{chapter}.ipynb")
            rows = tables.nth(i).locator("tbody tr")
            assert rows.count() == len(claims) >= 1, chapter
            for j, c in enumerate(claims):  # the value shown is the stored one, not typed into the page
                ours = rows.nth(j).locator("td").nth(2).inner_text()
                assert c["text"] in ours and "does not hold" not in ours, (chapter, json.dumps(c))
                shown_failing += rows.nth(j).locator("td").nth(3).inner_text().count("does not hold")
        # "does not hold" in the full-profile column once per claim a stored full run lists as not confirmed
        listed = sum(len(json.loads(p.read_text())["metadata"]["nnlab_run"].get("does_not_hold", {}))
                     for p in (ROOT / "benchmarks" / "results" / "full").glob("*.ipynb"))
        assert shown_failing == listed
    finally:
        page.close()
