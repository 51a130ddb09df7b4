"""Receptive-field figures: all ``K`` fields as an image, and fields as line plots."""

from __future__ import annotations

import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.image import AxesImage

from ..validation import check_bool, check_tensor
from .metrics import peak_position

__all__ = ["plot_fields_image", "plot_fields"]


def _fields(w: object) -> torch.Tensor:
    """``w`` checked (finite, real floating ``[K, d_in]``; a list or array is converted) as float32 on the CPU."""
    return check_tensor("w", w, "K d_in").detach().cpu().float()


def plot_fields_image(ax: Axes, w: torch.Tensor, title: str = "", normalize: bool = False) -> AxesImage:
    """All ``K`` fields ``w [K, d_in]`` as rows of an image, colour scale symmetric around 0.

    With ``normalize`` every row is divided by its largest absolute weight, so weak and strong
    fields are equally visible. ``w`` must be a non-empty, finite, real floating tensor (a list
    or array is converted).
    """
    w = _fields(w)
    check_bool("normalize", normalize)
    if normalize:
        w = w / w.abs().amax(-1, keepdim=True).clamp(min=1e-30)
    lim = float(w.abs().max())
    image = ax.imshow(w.numpy(), aspect="auto", cmap="RdBu_r", vmin=-lim, vmax=lim, interpolation="nearest")
    ax.set(xlabel="input site i", ylabel="neuron k", title=title)
    ax.grid(False)
    return image


def plot_fields(ax: Axes, w: torch.Tensor, centre: bool = False, colors: list[str] | None = None,
                **kwargs) -> None:
    """Line plots of fields ``w [K, d_in]``; ``centre`` rolls each one so that its peak sits mid-ring.

    Rolling is allowed because the data are translation invariant: overlaying centred fields
    shows whether they share one shape (a convolution filter) at different positions. ``w`` must be
    a non-empty, finite, real floating tensor (a list or array is converted).
    """
    w = _fields(w)
    check_bool("centre", centre)
    d_in = w.shape[1]
    for k, row in enumerate(w):
        if centre:
            row = torch.roll(row, d_in // 2 - round(float(peak_position(row))) % d_in)
        color = None if colors is None else colors[k % len(colors)]
        ax.plot(np.arange(d_in), row.numpy(), color=color, **kwargs)
    ax.set(xlabel="input site i (centred on the peak)" if centre else "input site i", ylabel="weight")
