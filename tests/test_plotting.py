import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pytest

from nnlab import plotting


def draw(width=8, scale=1.0, kind="line"):
    calls.append((width, scale, kind))
    fig, ax = plt.subplots()
    ax.plot(np.arange(width) * scale)
    return fig


calls: list = []


@pytest.fixture(autouse=True)
def _reset_calls():
    calls.clear()


def test_use_style_sets_rcparams():
    plotting.use_style()
    assert mpl.rcParams["figure.dpi"] == 100
    assert mpl.rcParams["axes.prop_cycle"].by_key()["color"][0] == plotting.COLORS[0]


def test_style_draws_opaque_white_figures_for_light_and_dark_pages():
    import io

    from PIL import Image

    with mpl.rc_context({"figure.facecolor": "none", "savefig.transparent": True, "text.color": "white"}):
        plotting.use_style()
        fig, ax = plt.subplots(figsize=(2, 1.5))
        ax.plot([0, 1], [0, 1])
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        assert mpl.rcParams["text.color"] == "black"
    img = np.asarray(Image.open(buf).convert("RGBA"))
    assert (img[..., 3] == 255).all()  # no transparent pixel: the page colour never shows through
    assert tuple(img[0, 0]) == (255, 255, 255, 255)


def test_loglog_reports_fitted_slope():
    _, ax = plt.subplots()
    x = np.array([1, 2, 4, 8.0])
    assert plotting.loglog(ax, x, x**-2, "err") == pytest.approx(-2)
    assert "slope -2.00" in ax.get_legend_handles_labels()[1][0]


def test_explore_without_kernel_draws_defaults_once():
    plotting.explore(draw, frames={"scale": [1.0, 2.0]}, width=(1, 64), scale=(0.5, 2.0), kind=["line", "dots"])
    assert calls == [(8, 1.0, "line")]


def test_explore_bounds_the_frames_before_drawing():
    with pytest.raises(ValueError, match="at most 48 frames"):
        plotting.explore(draw, width=(1, 64), scale=(0.5, 2.0), kind=["line", "dots"])  # 6 x 6 x 2
    with pytest.raises(ValueError, match="frames must be a dict from control names"):
        plotting.explore(draw, frames={"depth": [1]}, width=(1, 64))
    assert calls == []


def test_explore_in_a_kernel_shows_every_frame_then_live_sliders(monkeypatch):
    import base64
    import json
    import re

    shown = []
    monkeypatch.setattr(plotting, "_live_kernel", lambda: True)
    monkeypatch.setattr("IPython.display.display", lambda obj, **kw: shown.append((obj, kw)) or object())
    plotting.explore(draw, frames={"width": [4, 16]}, width=(1, 64), kind=["line", "dots"])
    assert sorted(calls) == sorted([(w, 1.0, k) for w in (4, 8, 16) for k in ("line", "dots")])  # 3 x 2 frames
    (player, kw), (live, _) = shown
    assert kw == {"raw": True, "display_id": True}
    assert base64.b64decode(player["image/png"])[:4] == b"\x89PNG"
    data = json.loads(re.search(r'<script type="application/json"[^>]*>(.*?)</script>', player["text/html"]).group(1))
    assert data["labels"] == {"width": ["4", "8", "16"], "kind": ["line", "dots"]} and len(data["frames"]) == 6
    assert data["frames"]["1,0"] == player["image/png"]  # the default frame is the static image
    assert "application/vnd.jupyter.widget-view+json" in live and "text/plain" not in live


def test_controls_match_specs():
    import ipywidgets as w

    controls = plotting._controls(
        {"width": (1, 64), "scale": (0.5, 2.0, 0.1), "kind": ["line", "dots"], "n": [1, 2, 4]},
        {"width": 8, "scale": 1.0, "kind": "line", "n": 2},
    )
    assert isinstance(controls["width"], w.IntSlider) and controls["width"].value == 8
    assert isinstance(controls["scale"], w.FloatSlider) and controls["scale"].step == 0.1
    assert isinstance(controls["kind"], w.Dropdown)
    assert isinstance(controls["n"], w.SelectionSlider) and controls["n"].value == 2
    assert all(c.style.description_width == "initial" for c in controls.values())  # full parameter names


def test_moving_a_control_redraws_in_place():
    class Handle:
        def __init__(self):
            self.figures = []

        def update(self, fig):
            self.figures.append(fig)

    handle = Handle()
    controls = plotting._controls({"width": (1, 64)}, {"width": 8})
    plotting._wire(lambda width=8: draw(width=width), controls, handle)
    controls["width"].value = 20
    assert calls == [(20, 1.0, "line")] and len(handle.figures) == 1


@pytest.mark.parametrize("sliders,match", [
    ({}, "at least one slider"),
    ({"depth": (1, 4)}, "slider 'depth' must name a parameter"),
    ({"width": (10, 64)}, "must lie in the slider range"),
    ({"width": (64, 1)}, "lo < hi"),
    ({"width": "wide"}, "must be \\(lo, hi\\)"),
    ({"kind": ["a", "b"]}, "must be one of the choices"),
    ({"width": (1, 64, -1)}, "positive step"),
])
def test_explore_rejects_bad_sliders(sliders, match):
    with pytest.raises(ValueError, match=match):
        plotting.explore(draw, **sliders)
    assert calls == []  # validated before drawing


def test_explore_needs_a_figure():
    with pytest.raises(ValueError, match="must return a matplotlib Figure"):
        plotting.explore(lambda width=3: None, width=(1, 5))


def test_grid_hides_unused_axes():
    fig, axes = plotting.grid(5, 3)
    assert len(axes) == 5 and sum(ax.get_visible() for ax in fig.axes) == 5


def test_elbow_plots_draw_every_elbow_and_piece():
    import torch

    from nnlab.approximation import interpolant, plot_elbows, plot_pieces, sawtooth

    _, ax = plt.subplots()
    net = interpolant(torch.sin, [3, 5])
    plot_elbows(ax, net, member=1)
    assert len(ax.lines) == 5 + 2  # five elbows, the sum, the breakpoint ticks
    _, ax = plt.subplots()
    assert plot_pieces(ax, sawtooth(3), 0, 1) == 8 and len(ax.lines) == 8
