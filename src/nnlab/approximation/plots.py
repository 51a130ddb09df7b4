"""Figures of the universal-approximation chapter: elbows and their sum, piece boundaries."""

from __future__ import annotations

import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.colors import is_color_like
from torch import nn

from ..validation import check_int
from .elbows import ElbowNet, _interval
from .pieces import linear_pieces

__all__ = ["plot_elbows", "plot_pieces"]


def plot_elbows(ax: Axes, net: ElbowNet, member: int, lo: float = -1.0, hi: float = 1.0,
                n: int = 801, color: str = "k") -> None:
    """Draw member ``member``'s elbows ``a_j ReLU(w_j x + b_j)`` (thin) and their sum ``f`` (thick).

    Breakpoints inside ``[lo, hi]`` are marked with ticks on the x-axis. ``member`` indexes the
    members of ``net`` (negative indices count from the end), ``lo < hi`` (both finite),
    ``n >= 2`` is the number of points drawn and ``color`` a matplotlib colour.
    """
    if not isinstance(net, ElbowNet):
        raise ValueError(f"net must be an ElbowNet, got {type(net).__name__}")
    member = check_int("member", member, minimum=-len(net.widths), maximum=len(net.widths) - 1)
    lo, hi = _interval(lo, hi)
    n = check_int("n", n, minimum=2)
    if not is_color_like(color):
        raise ValueError(f"color must be a matplotlib colour, got {color!r}")
    x = torch.linspace(lo, hi, n, dtype=net.w.dtype)
    with torch.no_grad():
        parts = net.elbows(x)[member, : net.widths[member]].cpu().numpy()
        total = net(x)[member].cpu().numpy()
    xs = x.cpu().numpy()
    for part in parts:
        ax.plot(xs, part, lw=0.7, alpha=0.6)
    ax.plot(xs, total, color=color, lw=2.2, label="sum of elbows + c")
    beta = net.breakpoints()[member].cpu().numpy()
    beta = beta[np.isfinite(beta) & (beta > lo) & (beta < hi)]
    ax.plot(beta, np.zeros_like(beta), "|", color=color, ms=10, clip_on=False,
            transform=ax.get_xaxis_transform())
    ax.set_xlim(lo, hi)


def plot_pieces(ax: Axes, model: nn.Module, lo: float, hi: float, **kwargs) -> int:
    """Draw a scalar ReLU network piece by piece from its exact affine pieces; returns the count."""
    pieces = linear_pieces(model, lo, hi)
    for k, p in enumerate(pieces):
        xs = np.array([p.start, p.end])
        ax.plot(xs, p.slope * xs + p.intercept, color=f"C{k % 2}", **kwargs)
    return len(pieces)
