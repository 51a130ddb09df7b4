"""Open every page of the built website in headless Chromium, offline, and report what is broken.

A page fails when, after it has loaded and MathJax and the widget manager have finished:

- the browser console shows an error, or the page throws;
- it asked for anything not on the site (every non-local request is blocked and counted: the site
  must work with no network), or a local file it asked for is missing (HTTP status >= 400);
- an image is broken (not loaded, or zero size);
- a formula is left un-typeset: raw ``$$``, ``\\(``, ``\\[`` or ``\\begin{`` in the text outside
  code, a Sphinx ``math`` element MathJax did not replace, or a TeX error (``merror``);
- a widget area is blank: a stored widget view (``application/vnd.jupyter.widget-view+json``)
  with no rendered widget, or a rendered one of zero size;
- a figure is missing: a ``<figure>`` without an image, a figure printed as text
  (``<Figure size 640x360 with 1 Axes>``), or an ``explore`` output (widget view) with no image;
- an ``explore`` control does not work: the controls of every pre-rendered player
  (``nnlab.frames``) are moved through every combination of their values, and the image must
  become the stored frame of the chosen values, load, and show each value next to its control.

Reported but not failing: numbered figures and equations that no link in the text points to
(``{numref}``/``{eq}``), since the chapters are still being written.

Pages are found in the build (every ``*.html`` outside ``_static``/``_sources``/``_images``),
never from a fixed list. A full-page PNG of each is saved. Serves the folder from a local HTTP
server on 127.0.0.1 (as a web host would); Chromium is Debian's ``chromium`` driven by Playwright
(no browser download).

Command line (``make browser`` runs it through pytest, tests/browser/test_site.py)::

    python tests/browser/site_check.py _build/html --screenshots _build/screenshots
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.server
import json
import re
import shutil
import sys
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

SKIP_DIRS = {"_static", "_sources", "_images", "_downloads"}
WIDGET_TIMEOUT_MS = 15_000  # a stored widget view not drawn by then counts as blank
# Screenshots stop this far down the page: the library reference is ~200 000 px tall, took 15 s
# to rasterize (a third of the browser stage's CPU) and no image viewer shows it anyway.
SHOT_MAX_HEIGHT = 30_000

# Run in the page once it has loaded; returns the findings as plain data.
INSPECT_JS = r"""
async () => {
  const out = {images: [], rawMath: [], untypeset: 0, texErrors: [], widgets: [], figures: [],
               textFigures: [], exploreNoImage: 0, mathElements: 0, widgetViews: 0, imagesTotal: 0};
  // MathJax 3 finishes typesetting asynchronously.
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    try { await MathJax.startup.promise; } catch (e) { out.mathjaxError = String(e); }
  }
  for (const img of document.images) {
    out.imagesTotal += 1;
    if (!img.complete || img.naturalWidth === 0 || img.naturalHeight === 0) {
      out.images.push(img.getAttribute('src') || '(no src)');
    }
  }
  const main = document.querySelector('main') || document.body;
  // Text outside code, scripts, and typeset math.
  const skip = 'pre, code, script, style, textarea, mjx-container, .highlight, .MathJax, mjx-assistive-mml';
  const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
  let text = '';
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (n.parentElement && n.parentElement.closest(skip)) continue;
    text += n.nodeValue + '\n';
  }
  for (const re of [/\$\$/g, /\\\(/g, /\\\[/g, /\\begin\{/g]) {
    let m;
    while ((m = re.exec(text)) !== null) {
      out.rawMath.push(text.slice(Math.max(0, m.index - 40), m.index + 60).replace(/\s+/g, ' '));
    }
  }
  const maths = main.querySelectorAll('.math');
  out.mathElements = maths.length;
  for (const el of maths) { if (!el.querySelector('mjx-container')) out.untypeset += 1; }
  for (const el of main.querySelectorAll('mjx-container [data-mml-node="merror"], mjx-merror')) {
    out.texErrors.push((el.getAttribute('title') || el.textContent || '').slice(0, 80));
  }
  const views = document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]');
  out.widgetViews = views.length;
  for (const v of views) {
    const area = v.previousElementSibling;
    let id = '?';
    try { id = JSON.parse(v.textContent).model_id; } catch (e) {}
    if (!area || !area.classList.contains('widget-subarea')) { out.widgets.push(id + ': not rendered'); continue; }
    const r = area.getBoundingClientRect();
    if (area.children.length === 0 || r.width < 10 || r.height < 10) {
      out.widgets.push(id + `: blank (${Math.round(r.width)}x${Math.round(r.height)} px)`);
    }
    const output = v.closest('.cell_output') || v.parentElement;
    if (!output.querySelector('img')) out.exploreNoImage += 1;
  }
  for (const fig of main.querySelectorAll('figure')) {
    if (!fig.querySelector('img, svg, canvas')) out.figures.push(fig.id || fig.textContent.trim().slice(0, 60));
  }
  // Numbered figures and equations nobody links to (reported, not failures: see summary()).
  const linked = (id) => Array.from(main.querySelectorAll('a[href]')).some(a =>
      !a.classList.contains('headerlink') && a.getAttribute('href').endsWith('#' + id));
  out.unreferenced = [];
  for (const el of main.querySelectorAll('figure[id], div.math[id^="equation-"]')) {
    if (!linked(el.id)) out.unreferenced.push(el.id);
  }
  for (const el of main.querySelectorAll('.cell_output, .output')) {
    const m = el.textContent.match(/<Figure size \d+x\d+ with \d+ Axes>/);
    if (m) out.textFigures.push(m[0]);
  }
  return out;
}
"""

# Moves every control of every explore player to each of its values (the others as they are)
# and checks that the image becomes the frame of the chosen values; returns the problems found.
EXPLORE_JS = r"""
async () => {
  const out = {players: 0, moves: 0, problems: []};
  for (const root of document.querySelectorAll('.nnlab-explore')) {
    out.players += 1;
    const img = root.querySelector('img.nnlab-explore-frame');
    let data;
    try { data = JSON.parse(root.querySelector('.nnlab-explore-data').textContent); }
    catch (e) { out.problems.push(root.id + ': no frame data'); continue; }
    const inputs = data.controls.map(n => root.querySelector('[data-control="' + n + '"]'));
    if (!img || inputs.some(el => !el)) { out.problems.push(root.id + ': image or control missing'); continue; }
    // every combination of control values (the last control fastest), each set as a reader would
    const sizes = data.controls.map(n => data.labels[n].length);
    const start = inputs.map(el => el.value);
    const total = sizes.reduce((a, b) => a * b, 1);
    for (let k = 0; k < total; k++) {
      let rest = k;
      const idx = sizes.map((_, c) => 0);
      for (let c = sizes.length - 1; c >= 0; c--) { idx[c] = rest % sizes[c]; rest = Math.floor(rest / sizes[c]); }
      idx.forEach((i, c) => {
        if (inputs[c].value !== String(i)) {
          inputs[c].value = String(i);
          inputs[c].dispatchEvent(new Event('input', {bubbles: true}));
        }
      });
      out.moves += 1;
      const key = idx.join(',');
      const where = root.id + ': ' + data.controls.map((n, c) => n + ' = ' + data.labels[n][idx[c]]).join(', ');
      const frame = data.frames[key];
      if (frame === undefined) { out.problems.push(where + ': no frame'); continue; }
      if (img.src !== 'data:image/png;base64,' + frame) { out.problems.push(where + ': image not swapped'); continue; }
      try { await img.decode(); } catch (e) { out.problems.push(where + ': frame does not load'); continue; }
      if (img.naturalWidth === 0) out.problems.push(where + ': empty frame');
      inputs.forEach((el, c) => {
        const shown = el.parentNode.querySelector('output');
        if (!shown || shown.textContent !== data.labels[data.controls[c]][idx[c]]) {
          out.problems.push(where + ': value of ' + data.controls[c] + ' not shown');
        }
      });
    }
    inputs.forEach((el, c) => { el.value = start[c]; el.dispatchEvent(new Event('input', {bubbles: true})); });
  }
  return out;
}
"""

# True once the widget manager has drawn every stored view (or there is nothing to draw).
WIDGETS_DONE_JS = """
() => {
  const views = document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]');
  if (!document.querySelector('script[type="application/vnd.jupyter.widget-state+json"]')) return true;
  return Array.from(views).every(v => v.previousElementSibling
      && v.previousElementSibling.classList.contains('widget-subarea')
      && v.previousElementSibling.children.length > 0);
}
"""


@dataclass
class PageReport:
    """What one page did: its failures (empty when it passes) and a few counts for the summary."""

    page: str
    failures: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # reported, not failures
    screenshot: Path | None = None

    @property
    def ok(self) -> bool:
        return not self.failures


def find_pages(root: Path) -> list[Path]:
    """Every HTML page of a built site, relative to ``root``, sorted."""
    pages = [p.relative_to(root) for p in root.rglob("*.html")]
    return sorted(p for p in pages if not SKIP_DIRS.intersection(p.parts[:-1]))


def redirect_target(path: Path) -> str | None:
    """The target of a ``<meta http-equiv="Refresh">`` page (Jupyter Book's index.html), else None."""
    m = re.search(r'http-equiv="Refresh" content="0; url=([^"]+)"', path.read_text(errors="replace")[:2000], re.I)
    return m.group(1) if m else None


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


@contextlib.contextmanager
def serve(root: Path) -> Iterator[str]:
    """Serve ``root`` on 127.0.0.1 (a free port) for the duration; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def chromium_path() -> str:
    """Debian's chromium (or another system Chromium); raises when none is installed."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    raise RuntimeError("no chromium found: install Debian's `chromium` (make browser does: apt-get install chromium)")


@contextlib.contextmanager
def launch() -> Iterator[Any]:
    """A headless Chromium with every host except 127.0.0.1 unresolvable (offline)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium_path(), headless=True,
            args=["--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "--no-sandbox",
                  "--disable-gpu", "--disable-dev-shm-usage"])
        try:
            yield browser
        finally:
            browser.close()


def check_page(browser: Any, base: str, page_path: str, screenshot: Path | None = None,
               dark: bool = False, widget_timeout_ms: int = WIDGET_TIMEOUT_MS) -> PageReport:
    """Load ``base + page_path`` in a fresh offline context and apply every check."""
    report = PageReport(page_path + (" (dark)" if dark else ""))
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme="dark" if dark else "light")
    if dark:  # pydata-sphinx-theme reads the mode from localStorage before the first paint
        context.add_init_script("localStorage.setItem('mode', 'dark'); localStorage.setItem('theme', 'dark');")

    def route(r: Any) -> None:
        url = r.request.url
        if url.startswith(base) or url.startswith(("data:", "blob:", "about:")):
            r.continue_()
        else:
            report.failures.append(f"blocked non-local request: {url}")
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and report.failures.append(f"console error: {m.text[:300]}"))
    page.on("pageerror", lambda e: report.failures.append(f"page error: {str(e)[:300]}"))
    page.on("response", lambda r: r.status >= 400 and r.url.startswith(base)
            and report.failures.append(f"HTTP {r.status}: {r.url[len(base):]}"))
    page.on("requestfailed", lambda r: r.url.startswith(base)
            and report.failures.append(f"request failed: {r.url[len(base):]} ({r.failure})"))
    try:
        page.goto(base + page_path, wait_until="load", timeout=60_000)
        if page.query_selector('script[type="application/vnd.jupyter.widget-view+json"]'):
            try:
                page.wait_for_function(WIDGETS_DONE_JS, timeout=widget_timeout_ms)
            except Exception:  # reported below as blank widget areas
                pass
        found = page.evaluate(INSPECT_JS)
        found["explore"] = page.evaluate(EXPLORE_JS)
        page.wait_for_timeout(200)  # late console errors
        _judge(report, found)
        if screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            height = min(SHOT_MAX_HEIGHT, page.evaluate("document.documentElement.scrollHeight"))
            page.screenshot(path=str(screenshot), full_page=True, timeout=120_000,  # long pages, busy CPU
                            clip={"x": 0, "y": 0, "width": 1280, "height": height})
            report.screenshot = screenshot
    finally:
        context.close()
    return report


def _judge(report: PageReport, found: dict[str, Any]) -> None:
    f = report.failures
    f += [f"broken image: {src}" for src in found["images"]]
    raw = found["rawMath"]
    f += [f"raw TeX in the text: ...{s}..." for s in raw[:5]]
    if len(raw) > 5:
        f.append(f"... and {len(raw) - 5} more places with raw TeX")
    if found["untypeset"]:
        f.append(f"{found['untypeset']} of {found['mathElements']} formulas not typeset by MathJax")
    if found.get("mathjaxError"):
        f.append(f"MathJax failed: {found['mathjaxError']}")
    f += [f"TeX error in a formula: {s}" for s in found["texErrors"]]
    f += [f"blank widget area: {s}" for s in found["widgets"]]
    f += [f"figure without an image: {s}" for s in found["figures"]]
    f += [f"figure printed as text instead of drawn: {s}" for s in found["textFigures"]]
    if found["exploreNoImage"]:
        f.append(f"{found['exploreNoImage']} widget output(s) without their figure")
    explore = found.get("explore", {"players": 0, "moves": 0, "problems": []})
    f += [f"explore control broken: {s}" for s in explore["problems"]]
    report.counts = {"images": found["imagesTotal"], "formulas": found["mathElements"],
                     "widgets": found["widgetViews"], "players": explore["players"], "moves": explore["moves"]}
    report.notes = [f"not referenced from the text: {i}" for i in found.get("unreferenced", [])]


def screenshot_name(page_path: str, dark: bool = False) -> str:
    return page_path.removesuffix(".html").replace("/", "__") + ("-dark" if dark else "") + ".png"


def check_site(root: Path, screenshots: Path | None, dark_pages: tuple[str, ...] = ()) -> list[PageReport]:
    """Check every page under ``root``; a redirect page passes when its target exists."""
    reports = []
    with serve(root) as base, launch() as browser:
        for rel in find_pages(root):
            name = rel.as_posix()
            target = redirect_target(root / rel)
            if target is not None:
                ok = (root / rel).parent.joinpath(target.split("#")[0]).exists()
                reports.append(PageReport(name, [] if ok else [f"redirect to a missing page: {target}"],
                                          {"redirect": 1}))
                continue
            shot = screenshots / screenshot_name(name) if screenshots else None
            reports.append(check_page(browser, base, name, shot))
            if name in dark_pages:
                shot = screenshots / screenshot_name(name, dark=True) if screenshots else None
                reports.append(check_page(browser, base, name, shot, dark=True))
    return reports


def summary(reports: list[PageReport]) -> str:
    lines = [f"{'page':45s} {'images':>6s} {'formulas':>8s} {'players':>7s} {'moves':>5s}  result"]
    for r in reports:
        c = r.counts
        lines.append(f"{r.page:45s} {c.get('images', 0):6d} {c.get('formulas', 0):8d} {c.get('players', 0):7d} "
                     f"{c.get('moves', 0):5d}  " + ("ok" if r.ok else "FAILED"))
        lines += [f"    - {msg}" for msg in r.failures]
        lines += [f"    (note) {msg}" for msg in r.notes]
    bad = sum(not r.ok for r in reports)
    lines.append(f"{len(reports)} page checks, {bad} failed")
    return "\n".join(lines)


def clear_reports(folder: Path) -> None:
    """Remove the screenshots and report (parts) of an earlier run from ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in [*folder.glob("*.png"), *folder.glob("report*.json"), *folder.glob("report.txt")]:
        old.unlink()


def write_report_part(folder: Path, worker: str, reports: list[PageReport]) -> Path:
    """One process's page reports as ``report.<worker>.json`` (merged by :func:`merge_report_parts`)."""
    rows = [{**asdict(r), "screenshot": None if r.screenshot is None else str(r.screenshot)} for r in reports]
    path = folder / f"report.{worker}.json"
    path.write_text(json.dumps(rows, indent=1))
    return path


def merge_report_parts(folder: Path) -> str | None:
    """Merge every ``report.*.json`` of ``folder`` into ``report.txt`` (pages sorted); its text."""
    parts = sorted(folder.glob("report.*.json"))
    if not parts:
        return None
    reports = [PageReport(**{**row, "screenshot": None if row["screenshot"] is None else Path(row["screenshot"])})
               for part in parts for row in json.loads(part.read_text())]
    text = summary(sorted(reports, key=lambda r: (r.page, r.screenshot is not None and "-dark" in r.screenshot.name)))
    (folder / "report.txt").write_text(text + "\n")
    for part in parts:
        part.unlink()
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("root", type=Path, help="the built site, e.g. _build/html")
    parser.add_argument("--screenshots", type=Path, default=None, help="folder for one PNG per page")
    parser.add_argument("--dark", action="append", default=[], help="also check this page in dark mode")
    args = parser.parse_args(argv)
    reports = check_site(args.root, args.screenshots, tuple(args.dark))
    print(summary(reports))
    return 0 if reports and all(r.ok for r in reports) else 1


if __name__ == "__main__":
    sys.exit(main())
