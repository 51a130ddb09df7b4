"""Drawing the toy model's features: the columns of ``W`` as arrows in the hidden plane."""

from __future__ import annotations

import matplotlib.pyplot as plt
import torch
from matplotlib.axes import Axes

from ..validation import check_int, check_tensor

__all__ = ["plot_features"]


def plot_features(ax: Axes, W: torch.Tensor, title: str | None = None) -> None:
    """Draw the ``n`` columns of one instance's ``W`` ``[2, n]`` as arrows from the origin.

    Feature ``i`` is coloured by its index (most important first) and labelled ``i``; the unit
    circle is drawn for scale.

    Args:
        ax: matplotlib axes.
        W: ``[2, n]`` weights of one instance (``m = 2``): real floating and finite (a list or
            array is converted).
        title: optional axes title.
    """
    W = check_tensor("W", W, (2, "n"))  # one instance, m = 2: real floating, finite, non-empty
    if title is not None and not isinstance(title, str):
        raise ValueError(f"title must be a string or None, got {type(title).__name__}")
    n = check_int("d_in", W.shape[1], minimum=1)
    W = W.detach().cpu()
    colors = plt.cm.viridis(torch.linspace(0, 0.9, n).numpy())
    circle = torch.linspace(0, 2 * torch.pi, 200)
    ax.plot(torch.cos(circle), torch.sin(circle), color="0.85", lw=0.8, zorder=0)
    for i in range(n):
        x, y = float(W[0, i]), float(W[1, i])
        ax.annotate("", xy=(x, y), xytext=(0, 0), arrowprops={"arrowstyle": "-|>", "color": colors[i], "lw": 1.8})
        ax.text(1.15 * x, 1.15 * y, str(i), color=colors[i], ha="center", va="center", fontsize=8)
    ax.set(xlim=(-1.5, 1.5), ylim=(-1.5, 1.5), aspect="equal", xticks=[], yticks=[])
    if title:
        ax.set_title(title, fontsize=9)
