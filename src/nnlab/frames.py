"""Pre-rendered frames for :func:`nnlab.plotting.explore`: knobs that work on the static website.

At build time ``explore`` draws its figure once for every combination of a small grid of control
values (the *frames*) and stores them in one HTML block with a few lines of local JavaScript: moving
a control swaps in the frame of the chosen values, offline, with no kernel and nothing fetched. The
block opens on the default values' frame, which is also a plain ``<img>``, so search engines, print
and readers without JavaScript see the static figure.

The frame grid of a control:

- a list of values (a selection slider or a dropdown): every value;
- a numeric slider ``(lo, hi)`` or ``(lo, hi, step)``: the values declared for it, or by default
  :data:`DEFAULT_POINTS` evenly spaced values on the slider's steps plus the default value.

The frames of a figure are the Cartesian product of its controls' grids, at most
:data:`MAX_FRAMES` (each frame is one call of the drawing function and one PNG in the page).
"""

from __future__ import annotations

import base64
import html
import io
import itertools
import json
import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

__all__ = ["MAX_FRAMES", "DEFAULT_POINTS", "frame_values", "frame_grid", "figure_png", "player_html"]

MAX_FRAMES = 48
"""Most frames one figure may pre-render (the product over its controls)."""

DEFAULT_POINTS = 5
"""Frames of a numeric slider with no declared grid: this many evenly spaced values, plus the default."""


def _snap(value: float, lo: float, step: float, ints: bool) -> float | int:
    snapped = lo + round((value - lo) / step) * step
    return round(snapped) if ints else round(snapped, 12)


def frame_values(name: str, spec: Any, default: Any, declared: Sequence[Any] | None = None) -> list[Any]:
    """The values at which control ``name`` is pre-rendered, default included, in slider order.

    Args:
        name: the control (a parameter of the drawing function), for messages.
        spec: the control's spec as given to ``explore``: a list of values or ``(lo, hi[, step])``.
        default: the parameter's default value (must be one of the control's values).
        declared: the values to render; for a list spec a subset of it, for a numeric slider
            values inside ``[lo, hi]``. ``None``: every value of a list, :data:`DEFAULT_POINTS`
            evenly spaced steps of a slider.

    Raises:
        ValueError: a declared value the control cannot take, or an empty declaration.
    """
    if isinstance(spec, list):
        values = list(spec) if declared is None else list(declared)
        bad = [v for v in values if v not in spec]
        if bad or not values:
            raise ValueError(f"frames[{name!r}] must be a non-empty subset of the control's values {spec}, "
                             f"got {values}")
        if default not in values:
            values.append(default)
        return sorted(values, key=spec.index)
    lo, hi = spec[0], spec[1]
    ints = all(isinstance(v, numbers.Integral) for v in (*spec, default))
    step = spec[2] if len(spec) == 3 else (1 if ints else (hi - lo) / 100)
    if declared is None:
        points = [lo + (hi - lo) * i / (DEFAULT_POINTS - 1) for i in range(DEFAULT_POINTS)]
        values = [_snap(min(max(v, lo), hi), lo, step, ints) for v in points]
    else:
        values = list(declared)
        bad = [v for v in values if isinstance(v, bool) or not isinstance(v, numbers.Real)
               or not math.isfinite(v) or not lo <= v <= hi]
        if bad or not values:
            raise ValueError(f"frames[{name!r}] must be non-empty numbers in the slider range [{lo}, {hi}], "
                             f"got {values}")
    values.append(default)
    return sorted(set(values))


def frame_grid(values: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """Every combination of the controls' frame values, the last control varying fastest.

    Raises:
        ValueError: more than :data:`MAX_FRAMES` combinations (declare smaller grids with ``frames=``).
    """
    count = math.prod(len(v) for v in values.values())
    if count > MAX_FRAMES:
        sizes = " x ".join(f"{len(v)} {k}" for k, v in values.items())
        raise ValueError(f"frames must give at most {MAX_FRAMES} frames per figure, got {count} ({sizes}); "
                         "declare fewer values per control, e.g. frames={'alpha': [0.5, 1.0]}")
    names = list(values)
    return [dict(zip(names, combo)) for combo in itertools.product(*values.values())]


def figure_png(fig: Figure) -> str:
    """The figure as a base64-encoded PNG (as the notebook stores images); closes the figure."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _key(indices: Sequence[int]) -> str:
    return ",".join(str(i) for i in indices)


def player_html(uid: str, values: dict[str, list[Any]], defaults: dict[str, Any],
                render: Callable[[dict[str, Any]], str]) -> tuple[str, str]:
    """The offline player: one ``<img>``, one control per parameter, and every frame.

    Args:
        uid: an id unique on the page (letters, digits, ``-``).
        values: each control's frame values (from :func:`frame_values`).
        defaults: each control's default value (the frame shown first).
        render: draws one frame, ``{name: value} -> base64 PNG``.

    Returns:
        ``(html, default_png)``: the HTML block and the base64 PNG of the default frame.
    """
    frames, default_png = {}, ""
    start = [values[n].index(defaults[n]) for n in values]
    for config in frame_grid(values):
        key = _key([values[n].index(config[n]) for n in values])
        frames[key] = render(config)
    default_png = frames[_key(start)]
    controls = []
    for (name, vals), i0 in zip(values.items(), start):
        labels = [_label(v) for v in vals]
        if all(isinstance(v, str) for v in vals):
            options = "".join(f'<option value="{i}"{" selected" if i == i0 else ""}>{html.escape(lab)}</option>'
                              for i, lab in enumerate(labels))
            widget = f'<select data-control="{html.escape(name)}">{options}</select>'
        else:
            widget = (f'<input type="range" min="0" max="{len(vals) - 1}" step="1" value="{i0}" '
                      f'data-control="{html.escape(name)}">')
        controls.append(f'<label class="nnlab-explore-control">{html.escape(name)} {widget} '
                        f'<output>{html.escape(labels[i0])}</output></label>')
    data = json.dumps({"controls": list(values), "labels": {n: [_label(v) for v in vals] for n, vals in values.items()},
                       "frames": frames}, separators=(",", ":")).replace("</", "<\\/")  # stays inside <script>
    block = (
        f'<div class="nnlab-explore" id="{uid}">\n'
        f'<img class="nnlab-explore-frame" alt="figure at {html.escape(_describe(defaults))}" '
        f'src="data:image/png;base64,{default_png}">\n'
        f'<div class="nnlab-explore-controls">{"".join(controls)}'
        f'<span class="nnlab-explore-note">pre-rendered frames; run the notebook (Binder, Colab) for '
        f'live sliders that take any value</span></div>\n'
        f'<script type="application/json" class="nnlab-explore-data">{data}</script>\n'
        f"<script>{_PLAYER_JS.replace('UID', uid)}</script>\n</div>"
    )
    return block, default_png


def _label(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _describe(config: dict[str, Any]) -> str:
    return ", ".join(f"{k} = {_label(v)}" for k, v in config.items())


# Swaps the frame of the chosen control values into the <img>; shows each value next to its control.
_PLAYER_JS = """(function () {
  var root = document.getElementById("UID");
  var data = JSON.parse(root.querySelector(".nnlab-explore-data").textContent);
  var img = root.querySelector(".nnlab-explore-frame");
  var inputs = data.controls.map(function (n) { return root.querySelector('[data-control="' + n + '"]'); });
  function update() {
    var key = inputs.map(function (el) { return el.value; }).join(",");
    inputs.forEach(function (el, i) {
      el.parentNode.querySelector("output").textContent = data.labels[data.controls[i]][+el.value];
    });
    if (data.frames[key] === undefined) { root.setAttribute("data-missing", key); return; }
    root.removeAttribute("data-missing");
    img.src = "data:image/png;base64," + data.frames[key];
    img.alt = "figure at " + inputs.map(function (el, i) {
      return data.controls[i] + " = " + data.labels[data.controls[i]][+el.value];
    }).join(", ");
  }
  inputs.forEach(function (el) { el.addEventListener("input", update); el.addEventListener("change", update); });
})();"""
