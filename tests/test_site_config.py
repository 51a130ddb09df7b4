"""The website's settings that need no browser: one repository URL, offline JS, reading comfort.

Fast static checks of _config.yml, .ci/fetch_static.py, requirements.txt, the notebooks and the
licence files. The browser test (tests/browser, `make browser`) checks the rendered pages.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
SPHINX = CONFIG["sphinx"]["config"]
NOTEBOOKS = sorted((ROOT / "book").glob("*.ipynb"))


def fetch_static():
    spec = importlib.util.spec_from_file_location("fetch_static", ROOT / ".ci" / "fetch_static.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def vendored(path: str) -> bool:
    """Whether ``vendor/<package>/<file>`` is a file .ci/fetch_static.py puts there."""
    parts = path.split("/")
    packages = fetch_static().PACKAGES
    if parts[0] != "vendor" or parts[1] not in packages:
        return False
    rules = packages[parts[1]][2]
    inner = "/".join(parts[2:])
    return any(dest + Path(src).name == inner or (src.endswith("*") and inner.startswith(dest))
               for src, dest in rules.items())


def test_math_and_widget_javascript_are_served_by_the_site():
    assert not SPHINX["mathjax_path"].startswith(("http:", "https:", "//"))
    assert vendored(SPHINX["mathjax_path"])
    scripts = list(SPHINX["nb_ipywidgets_js"])
    assert scripts == ["vendor/requirejs/require.js", "vendor/html-manager/embed-amd.js"]
    assert all(vendored(s) for s in scripts)
    assert SPHINX["html_static_path"] == ["book/_static"]
    assert (ROOT / "book" / "_static" / "offline-widgets.js").exists()


def test_vendored_packages_are_pinned_with_a_checksum():
    for name, (url, sha, rules) in fetch_static().PACKAGES.items():
        assert url.startswith("https://registry.npmjs.org/") and re.search(r"-\d+\.\d+\.\d+\.tgz$", url), name
        assert re.fullmatch(r"[0-9a-f]{64}", sha), name
        assert rules, name


def test_widget_renderer_matches_the_pinned_ipywidgets():
    """html-manager 1.0.15 is the one released with ipywidgets 8.1.9: update both together."""
    assert "ipywidgets==8.1.9\n" in (ROOT / "requirements.txt").read_text()
    assert "html-manager-1.0.15.tgz" in fetch_static().PACKAGES["html-manager"][0]


def test_launch_buttons_are_configured():
    buttons = CONFIG["launch_buttons"]
    assert buttons["binderhub_url"] == "https://mybinder.org"
    assert buttons["colab_url"] == "https://colab.research.google.com"
    assert buttons["thebe"] is True


def test_binder_installs_everything_including_nnlab():
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    assert "-e ." in lines
    assert any(line.startswith("torch==") for line in lines)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_colab_setup_cell_installs_from_the_one_repository_url(path):
    nb = json.loads(path.read_text())
    setup = next(c for c in nb["cells"] if c["cell_type"] == "code")
    source = "".join(setup["source"])
    assert "hide-cell" in setup["metadata"].get("tags", []), "the setup cell must be hidden"
    assert '"google.colab" in sys.modules' in source
    urls = re.findall(r'%pip install -q "nnlab @ git\+([^"]+)"', source)
    assert urls == [CONFIG["repository"]["url"]], "keep the Colab URL equal to _config.yml repository.url"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_exercise_solutions_are_toggled(path):
    nb = json.loads(path.read_text())
    text = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    solutions = re.findall(r"\{admonition\}\s*Solution[^\n]*\n([^\n]*)", text)
    assert solutions, "no exercise solution found"
    assert all(line.strip() == ":class: dropdown" for line in solutions), solutions


def test_licence_and_citation():
    licence = (ROOT / "LICENSE").read_text()
    assert "MIT License" in licence and "CC BY 4.0" in licence
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert cff["cff-version"] == "1.2.0"
    assert cff["repository-code"] == CONFIG["repository"]["url"]
    intro = (ROOT / "book" / "intro.md").read_text()
    assert "## How to cite" in intro and "CC BY 4.0" in intro


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_explore_outputs_carry_the_offline_player_and_the_live_sliders(path):
    """On the website an explore figure is its pre-rendered player (HTML with every frame, opening
    on the default frame, which is also the output's PNG); the live sliders follow as a widget view
    without a text fallback, which the site does not draw (they need a kernel)."""
    nb = json.loads(path.read_text())
    cells = [c for c in nb["cells"] if c["cell_type"] == "code"
             and any(line.startswith("explore(") for line in "".join(c["source"]).splitlines())]
    assert cells, "every chapter has an explore figure"
    for cell in cells:
        bundles = [o["data"] for o in cell.get("outputs", []) if "data" in o]
        players = [b for b in bundles if "text/html" in b and "nnlab-explore" in "".join(b["text/html"])]
        assert len(players) == 1, "an explore cell shows one player"
        html, png = "".join(players[0]["text/html"]), "".join(players[0]["image/png"]).replace("\n", "")
        assert f"base64,{png}" in html, "the player opens on the output's static PNG"
        live = [b for b in bundles if "application/vnd.jupyter.widget-view+json" in b]
        assert len(live) == 1 and "text/plain" not in live[0]
    overrides = SPHINX["nb_mime_priority_overrides"]
    assert ["html", "application/vnd.jupyter.widget-view+json", None] in overrides


def test_binder_takes_cpu_torch_and_the_pinned_environment():
    lines = [line.strip() for line in (ROOT / ".binder" / "requirements.txt").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert lines == ["--extra-index-url https://download.pytorch.org/whl/cpu", "-r ../requirements.txt"]
    # The pins (numpy 2.4 ...) need the Python the environment was resolved with.
    assert (ROOT / ".binder" / "runtime.txt").read_text().strip() == "python-3.11"


def _draws_only(source: str) -> bool:
    """A cell that only draws a figure: it plots and neither prints, tabulates, glues nor claims."""
    draws = any(k in source for k in ("plt.show()", "explore(", "fig, ", "plt.subplots"))
    reports = any(k in source for k in ("glue(", "table(", "print(", "claim("))
    return draws and not reports


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_figure_only_cells_are_folded(path):
    """Lecture notes, not code listings: a cell that only draws is folded on the website (one
    click shows it); cells whose numbers the text discusses stay visible."""
    nb = json.loads(path.read_text())
    cells = [c for c in nb["cells"] if c["cell_type"] == "code"]
    drawing = [c for c in cells if _draws_only("".join(c["source"]))]
    assert drawing, "every chapter has figures"
    unfolded = ["".join(c["source"]).splitlines()[0] for c in drawing
                if "hide-input" not in c.get("metadata", {}).get("tags", [])]
    assert unfolded == [], f"figure-only cells without the hide-input tag: {unfolded}"
    visible = [c for c in cells if not set(c.get("metadata", {}).get("tags", [])) & {"hide-input", "hide-cell"}]
    assert visible, "the computations the text discusses stay visible"
