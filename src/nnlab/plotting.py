"""One figure style, small figure helpers, and ``explore``: a figure with knobs.

``explore(fn, **sliders)`` pre-renders ``fn`` at a small grid of control values and shows them
as an offline player (:mod:`nnlab.frames`), so the knobs work on the static website; in a live
Jupyter kernel (Binder, Colab, a lecture) ipywidgets sliders below it redraw any value in place.
"""

from __future__ import annotations

import inspect
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from .frames import figure_png, frame_grid, frame_values, player_html
from .scaling import loglog_slope
from .validation import check_bool, check_int, check_real, check_real_array

__all__ = ["use_style", "COLORS", "loglog", "grid", "explore"]

# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")

STYLE = {
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "figure.figsize": (6.4, 3.6),
    # Opaque white behind every figure (and dark text on it), so a PNG reads the same on the
    # website's light and dark themes and on Colab's dark mode.
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "savefig.facecolor": "white",
    "savefig.transparent": False,
    "text.color": "black",
    "axes.labelcolor": "black",
    "xtick.color": "black",
    "ytick.color": "black",
    "figure.constrained_layout.use": True,
    "axes.prop_cycle": mpl.cycler(color=COLORS),
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "lines.linewidth": 1.8,
    "image.cmap": "RdBu_r",
}


def use_style() -> None:
    """Apply the book's matplotlib style (colour-blind-safe palette, light grid, opaque white PNGs)."""
    mpl.rcParams.update(STYLE)


def loglog(ax: Axes, x: ArrayLike, y: ArrayLike, label: str, fit: bool = True, **kwargs: Any) -> float:
    """Plot ``y`` against ``x`` on log-log axes; with ``fit`` the legend shows the fitted slope.

    ``x`` and ``y`` are 1-D arrays of real, finite numbers of the same length (positive when
    ``fit``, as :func:`nnlab.scaling.loglog_slope` needs).

    Returns:
        The least-squares log-log slope (see :func:`nnlab.scaling.loglog_slope`), or ``nan``
        when ``fit`` is false.
    """
    if not isinstance(ax, Axes):
        raise ValueError(f"ax must be a matplotlib Axes, got {type(ax).__name__}")
    check_bool("fit", fit)
    if not fit:
        xs, ys = check_real_array("x", x, ndim=1), check_real_array("y", y, ndim=1)
        if xs.shape != ys.shape:
            raise ValueError(f"x and y must have the same length, got {xs.size} and {ys.size}")
    slope = loglog_slope(x, y) if fit else float("nan")
    text = f"{label} (slope {slope:.2f})" if fit else label
    ax.loglog(x, y, "o-", label=text, **kwargs)
    return slope


# ----------------------------------------------------------------------------------- explore

def explore(fn: Callable[..., Figure], frames: dict[str, Sequence[Any]] | None = None, **sliders: Any) -> None:
    """Show ``fn``'s figure with controls that work on the static website and in a live kernel.

    Args:
        fn: draws and returns a matplotlib ``Figure``; every slider name must be one of its
            parameters with a default value, which is the value of the static figure.
        frames: per control, the values to pre-render for the website (see :mod:`nnlab.frames`);
            by default every value of a list control and :data:`nnlab.frames.DEFAULT_POINTS`
            evenly spaced steps of a numeric slider, at most :data:`nnlab.frames.MAX_FRAMES`
            frames in all.
        **sliders: one control per parameter: ``(lo, hi)`` or ``(lo, hi, step)`` for an
            integer or float slider, or a list of allowed values (a selection slider, or a
            dropdown for strings).

    In a kernel (a build, Binder, Colab, a lecture) the output is one HTML block holding the
    figure at every frame and a control per parameter: on the website, moving a control swaps
    in the frame of the chosen values (offline, no kernel); the block opens on the default
    values, which is also its plain image. Below it come live ipywidgets sliders, which redraw
    the figure for any value; the website does not show those (they need a kernel). Without
    a kernel (a plain script) the default figure is shown with ``plt.show()``.
    """
    defaults = _defaults(fn, sliders)
    controls = _controls(sliders, defaults)  # validates before any drawing
    values = _frame_values(sliders, defaults, frames)
    fig = _figure(fn(**defaults))
    if not _live_kernel():
        plt.show()
        return
    from IPython.display import display
    from ipywidgets import VBox

    _enable_colab_widgets()
    block, default_png = player_html(_player_id(fn), values, defaults,
                                     lambda config: figure_png(fig if config == defaults else _figure(fn(**config))))
    count = len(frame_grid(values))
    bundle = {"text/html": block, "image/png": default_png,
              "text/plain": f"<explore {getattr(fn, '__name__', 'figure')}: {count} frames>"}
    handle = display(bundle, raw=True, display_id=True)
    _wire(fn, controls, handle)
    live = VBox(list(controls.values()))._repr_mimebundle_()
    live.pop("text/plain", None)  # only a kernel can draw these sliders: nothing to show without one
    display(live, raw=True)


_players = 0


def _player_id(fn: Callable[..., Any]) -> str:
    """An id for the HTML player, unique within one kernel run (and the same in every run)."""
    global _players
    _players += 1
    name = "".join(c if c.isalnum() else "-" for c in getattr(fn, "__name__", "figure"))
    return f"explore-{name}-{_players}"


def _figure(fig: Any) -> Figure:
    if not isinstance(fig, Figure):
        raise ValueError(f"fn must return a matplotlib Figure, got {type(fig).__name__}")
    return fig


def _frame_values(sliders: dict[str, Any], defaults: dict[str, Any],
                  frames: dict[str, Sequence[Any]] | None) -> dict[str, list[Any]]:
    """Each control's pre-rendered values; checks ``frames`` names only known controls."""
    frames = {} if frames is None else frames
    if not isinstance(frames, dict) or any(k not in sliders for k in frames):
        raise ValueError(f"frames must be a dict from control names {list(sliders)} to values, got {frames!r}")
    values = {name: frame_values(name, spec, defaults[name], frames.get(name)) for name, spec in sliders.items()}
    frame_grid(values)  # bounds the number of frames before anything is drawn
    return values


def _enable_colab_widgets() -> None:
    """Colab renders ipywidgets 8 only through its custom widget manager."""
    try:
        from google.colab import output  # type: ignore[import-not-found]
    except ImportError:
        return
    output.enable_custom_widget_manager()


def _live_kernel() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with ipywidgets
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def _defaults(fn: Callable, sliders: dict[str, Any]) -> dict[str, Any]:
    if not callable(fn):
        raise ValueError(f"fn must be callable, got {fn!r}")
    if not sliders:
        raise ValueError("explore needs at least one slider, e.g. explore(fn, width=(1, 64))")
    params = inspect.signature(fn).parameters
    defaults = {}
    for name in sliders:
        p = params.get(name)
        if p is None or p.default is inspect.Parameter.empty:
            raise ValueError(f"slider {name!r} must name a parameter of fn with a default value")
        defaults[name] = p.default
    return defaults


def _controls(sliders: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    """One ipywidgets control per slider spec, set to the default value."""
    import ipywidgets as w

    out = {}
    for name, spec in sliders.items():
        value = defaults[name]
        # "initial": the label is as wide as the parameter's name (the default cuts it at ~10 characters).
        common = {"description": name, "value": value, "continuous_update": False,
                  "style": {"description_width": "initial"}}
        if isinstance(spec, list):
            if value not in spec:
                raise ValueError(f"default {name}={value!r} must be one of the choices {spec}")
            if all(isinstance(v, str) for v in spec):
                out[name] = w.Dropdown(options=spec, value=value, description=name, style=common["style"])
            else:
                out[name] = w.SelectionSlider(options=spec, **common)
            continue
        lo, hi, step = _range_spec(name, spec)
        if not lo <= value <= hi:
            raise ValueError(f"default {name}={value!r} must lie in the slider range [{lo}, {hi}]")
        ints = all(isinstance(v, numbers.Integral) for v in (lo, hi, step, value))
        cls = w.IntSlider if ints else w.FloatSlider
        out[name] = cls(min=lo, max=hi, step=step, **common)
    return out


def _range_spec(name: str, spec: Any) -> tuple[Any, Any, Any]:
    if not isinstance(spec, tuple) or len(spec) not in (2, 3) or not all(
        isinstance(v, numbers.Real) and not isinstance(v, bool) for v in spec
    ):
        raise ValueError(
            f"slider {name!r} must be (lo, hi), (lo, hi, step) or a list of values, got {spec!r}"
        )
    lo, hi = spec[0], spec[1]
    if not lo < hi:
        raise ValueError(f"slider {name!r} needs lo < hi, got {spec!r}")
    step = spec[2] if len(spec) == 3 else (1 if all(isinstance(v, numbers.Integral) for v in spec) else (hi - lo) / 100)
    if step <= 0:
        raise ValueError(f"slider {name!r} needs a positive step, got {step!r}")
    return lo, hi, step


def _wire(fn: Callable[..., Figure], controls: dict[str, Any], handle: Any) -> None:
    """Redraw ``fn`` into the display ``handle`` whenever a control changes."""

    def redraw(_change: Any = None) -> None:
        fig = fn(**{name: c.value for name, c in controls.items()})
        handle.update(fig)
        plt.close(fig)

    for control in controls.values():
        control.observe(redraw, names="value")


def grid(n: int, ncols: int, width: float = 9.6, row_height: float = 2.6,
         **kwargs: Any) -> tuple[Figure, np.ndarray]:
    """A figure with ``n`` axes in rows of ``ncols``; unused axes are hidden. Returns ``(fig, axes)``.

    ``n`` and ``ncols`` are integers >= 1; ``width`` and ``row_height`` (inches) finite and > 0.
    """
    n = check_int("n", n, minimum=1)
    ncols = check_int("ncols", ncols, minimum=1)
    check_real("width", width, low=0.0, low_open=True)
    check_real("row_height", row_height, low=0.0, low_open=True)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(width, row_height * nrows), squeeze=False, **kwargs)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, axes.flat[:n]
