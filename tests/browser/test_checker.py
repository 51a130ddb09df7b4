"""The page checker catches each way a page breaks: hand-made pages, one fault each.

A good page (a typeset formula, an image, a figure, an explore output with its rendered slider,
an explore player with its pre-rendered frames, all served from the site's own vendored
JavaScript) must pass, and each broken variant must fail
with the expected reason. Same checker code as the site test (site_check.check_page).
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest
import site_check

ROOT = Path(__file__).resolve().parent.parent.parent

VENDOR = ROOT / "book" / "_static" / "vendor"
OFFLINE_JS = ROOT / "book" / "_static" / "offline-widgets.js"

HEAD = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>{name}</title>
<script src="offline-widgets.js"></script>
<script>window.MathJax = {{"options": {{"processHtmlClass": "math"}}}}</script>
<script defer src="{mathjax}"></script>
<script type="application/vnd.jupyter.widget-state+json">{state}</script>
<script src="vendor/requirejs/require.js"></script>
<script src="{embed}"></script>
{extra_head}</head>
<body class="tex2jax_ignore mathjax_ignore"><main><article>
<h1>{name}</h1>
<p>A formula: <span class="math notranslate nohighlight">{inline}</span>, and a display:</p>
<div class="math notranslate nohighlight" id="equation-eq-one">\\[a^2 + b^2 = c^2\\]</div>
{refs}
{body}
</article></main></body></html>
"""

FIGURE = '<figure id="fig-one"><img src="plot.png" alt="a plot"><figcaption>Fig. 1 A plot.</figcaption></figure>'
EXPLORE = ('<div class="cell_output"><img src="plot.png" alt="explore">'
           '<script type="application/vnd.jupyter.widget-view+json">{view}</script></div>')

REFS = '<p>See <a class="reference internal" href="#equation-eq-one">(1)</a> and <a href="#fig-one">Fig. 1</a>.</p>'
GOOD = {"refs": REFS, "inline": "\\(x^2\\)", "mathjax": "vendor/mathjax/tex-mml-chtml.js",
        "embed": "vendor/html-manager/embed-amd.js", "extra_head": "", "body": FIGURE + EXPLORE + "{player}"}

# name -> (changes to the good page, a phrase the failure must contain)
BROKEN = {
    "raw-dollars": ({"body": FIGURE + EXPLORE + "{player}<p>Energy $$E = mc^2$$ left raw.</p>"}, "raw TeX in the text"),
    "raw-paren": ({"body": FIGURE + EXPLORE + "<p>Inline \\(x\\) outside a math element.</p>"}, "raw TeX"),
    "mathjax-from-cdn": ({"mathjax": "https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js"}, "not typeset"),
    "tex-error": ({"inline": "\\(\\frac{1}\\)"}, "TeX error"),
    "broken-image": ({"body": FIGURE + EXPLORE + '<p><img src="missing.png" alt="gone"></p>'}, "broken image"),
    "console-error": ({"extra_head": "<script>console.error('boom')</script>"}, "console error: boom"),
    "page-error": ({"extra_head": "<script>undefinedFunction()</script>"}, "page error"),
    "widget-js-from-cdn": ({"embed": "https://cdn.jsdelivr.net/npm/@jupyter-widgets/html-manager@1.0.15/dist/embed-amd.js"},
                           "blank widget area"),
    "widget-unknown-model": ({"body": FIGURE + EXPLORE.replace("{view}", "{bad_view}")}, "blank widget area"),
    "figure-without-image": ({"body": '<figure id="fig-one"><figcaption>Fig. 1 Gone.</figcaption></figure>' + EXPLORE},
                             "figure without an image"),
    "figure-printed-as-text": ({"body": FIGURE + EXPLORE + '<div class="cell_output"><pre>&lt;Figure size 640x360 with '
                                "1 Axes&gt;</pre></div>"}, "printed as text"),
    "explore-without-figure": ({"body": FIGURE + EXPLORE.replace('<img src="plot.png" alt="explore">', "")},
                               "without their figure"),
    "explore-frame-missing": ({"body": FIGURE + EXPLORE + "{player_missing_frame}"}, "explore control broken"),
    "explore-without-script": ({"body": FIGURE + EXPLORE + "{player_without_script}"}, "image not swapped"),
    "remote-image": ({"body": FIGURE + EXPLORE + '<p><img src="https://example.org/x.png" alt="remote"></p>'},
                     "blocked non-local request"),
}


def widget_data() -> tuple[str, str, str]:
    """Real ipywidgets state for one slider (as the book's executor stores it), its view, a bad view."""
    import ipywidgets as w
    from ipywidgets.embed import embed_data

    data = embed_data(views=[w.IntSlider(value=3, min=0, max=10, description="n")])
    view = data["view_specs"][0]
    bad = dict(view, model_id="0" * 32)
    return json.dumps(data["manager_state"]), json.dumps(view), json.dumps(bad)


def png(color: tuple[int, int, int] = (0, 114, 178)) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(buf, format="PNG")
    return buf.getvalue()


def players() -> dict[str, str]:
    """A real explore player (nnlab.frames) with 3 x 2 frames of different colours, and two broken copies."""
    import base64
    import re

    from nnlab.frames import player_html

    def render(config):
        return base64.b64encode(png((40 * config["n"], 0, 200 if config["kind"] == "b" else 0))).decode()

    good, _ = player_html("player-test", {"n": [1, 2, 3], "kind": ["a", "b"]}, {"n": 2, "kind": "a"}, render)
    data = re.search(r'(<script type="application/json"[^>]*>)(.*?)(</script>)', good, re.S)
    frames = json.loads(data.group(2))
    del frames["frames"]["2,1"]  # one frame lost
    missing = good.replace(data.group(0), data.group(1) + json.dumps(frames) + data.group(3))
    scriptless = re.sub(r"<script>.*?</script>", "", good, flags=re.S)
    return {"player": good, "player_missing_frame": missing, "player_without_script": scriptless}


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    if not (VENDOR / "mathjax" / "tex-mml-chtml.js").exists():
        raise RuntimeError("book/_static/vendor is not fetched: run `make install` (.ci/fetch_static.py)")
    root = tmp_path_factory.mktemp("pages")
    shutil.copytree(VENDOR, root / "vendor")
    shutil.copy(OFFLINE_JS, root / "offline-widgets.js")
    (root / "plot.png").write_bytes(png())
    state, view, bad_view = widget_data()
    pages = {"good": ({}, ""), "unreferenced": ({"refs": ""}, ""), **BROKEN}
    for name, (changes, _reason) in pages.items():
        fields = {**GOOD, **changes}
        body = fields["body"].replace("{view}", view).replace("{bad_view}", bad_view)
        for key, block in players().items():
            body = body.replace("{" + key + "}", block)
        html = HEAD.format(name=name, state=state, **{**fields, "body": body})
        (root / f"{name}.html").write_text(html)
    with site_check.serve(root) as base:
        yield base


def test_a_good_page_passes(browser, pages, tmp_path):
    report = site_check.check_page(browser, pages, "good.html", screenshot=tmp_path / "good.png")
    assert report.ok, report.failures
    assert report.counts == {"images": 3, "formulas": 2, "widgets": 1, "players": 1, "moves": 6}
    assert report.notes == []  # the figure and the equation are both referenced
    assert (tmp_path / "good.png").stat().st_size > 1000


@pytest.mark.parametrize("name", list(BROKEN))
def test_a_broken_page_fails(browser, pages, name):
    # The widget wait ends early on the two pages whose widgets never draw (15 s otherwise).
    report = site_check.check_page(browser, pages, f"{name}.html", widget_timeout_ms=2000)
    reason = BROKEN[name][1]
    assert not report.ok, f"{name} passed the checker"
    assert any(reason in f for f in report.failures), report.failures


def test_unreferenced_figures_and_equations_are_reported_not_failed(browser, pages):
    report = site_check.check_page(browser, pages, "unreferenced.html")
    assert report.ok, report.failures
    assert report.notes == ["not referenced from the text: equation-eq-one", "not referenced from the text: fig-one"]


def test_pages_are_found_in_the_build_not_a_list(tmp_path):
    for rel in ["index.html", "book/a.html", "book/sub/b.html", "_static/x.html", "_sources/c.html"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("<html></html>")
    assert [p.as_posix() for p in site_check.find_pages(tmp_path)] == ["book/a.html", "book/sub/b.html", "index.html"]


def test_report_parts_of_two_workers_merge_into_one_sorted_report(tmp_path):
    """`make browser` runs on two xdist workers: each writes its part, the session merges them."""
    first = [site_check.PageReport("b.html", counts={"images": 2}), site_check.PageReport("d.html", ["broken image"])]
    second = [site_check.PageReport("a.html", notes=["figure 3 never referred to"], screenshot=tmp_path / "a.png")]
    site_check.write_report_part(tmp_path, "gw0", first)
    site_check.write_report_part(tmp_path, "gw1", second)
    text = site_check.merge_report_parts(tmp_path)
    lines = text.splitlines()
    assert [ln.split()[0] for ln in lines[1:] if ln.endswith(("ok", "FAILED"))] == ["a.html", "b.html", "d.html"]
    assert "    - broken image" in lines and "    (note) figure 3 never referred to" in lines
    assert lines[-1] == "3 page checks, 1 failed"
    assert (tmp_path / "report.txt").read_text() == text + "\n" and not list(tmp_path.glob("report.*.json"))
    site_check.clear_reports(tmp_path)
    assert not list(tmp_path.iterdir())
