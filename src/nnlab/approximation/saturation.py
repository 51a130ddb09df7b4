"""Saturation: how much gradient a hidden unit passes, for ReLU and tanh networks.

In ``f(x) = c + sum_j a_j sigma(w_j x + b_j)`` every gradient with respect to ``w_j, b_j`` carries
the factor ``sigma'(w_j x + b_j)``. Its average over the data, the unit's *gate*::

    g_j = mean_i sigma'(w_j x_i + b_j) / max sigma',

is the fraction of the data through which the unit learns. For ReLU, ``sigma' = 1[u > 0]``: the
gate is the fraction of inputs on which the unit is active (0 for a dead unit), and it does not
change when ``(w_j, b_j)`` are scaled by ``s > 0`` (positive homogeneity). For tanh,
``sigma' = 1 - tanh^2`` decays like ``4 e^(-2|u|)``: scaling the pre-activations up saturates
the unit on both sides of its centre, and its gate falls like ``1/s``.
"""

from __future__ import annotations

import torch
from torch import nn

from ..training import Ensemble
from ..validation import check_choice, check_float_dtype, check_int, check_real, check_tensor

__all__ = ["shallow_ensemble", "unit_gates"]

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh}


def shallow_ensemble(activation: str, width: int, scales: list[float] | tuple[float, ...], seeds: int,
                     generator: torch.Generator | None = None, dtype: torch.dtype = torch.float64) -> Ensemble:
    """``len(scales) * seeds`` one-hidden-layer networks on a scalar input, as one :class:`Ensemble`.

    Member ``m`` uses scale ``scales[m // seeds]`` and seed ``m % seeds``: first-layer weights
    and biases are ``s`` times i.i.d. ``U(-1, 1)`` draws (``s = 1`` is PyTorch's default for one
    input), output weights and bias ``U(-1/sqrt(width), 1/sqrt(width))``; the draws of a seed
    are the same at every scale, so the scales differ by ``s`` alone. ``activation`` is
    ``"relu"`` or ``"tanh"``.
    """
    check_choice("activation", activation, tuple(ACTIVATIONS))
    width = check_int("width", width, minimum=1)
    seeds = check_int("seeds", seeds, minimum=1)
    dtype = check_float_dtype("dtype", dtype)
    if isinstance(scales, (str, bytes)) or not hasattr(scales, "__iter__") or not list(scales):
        raise ValueError(f"scales must be a non-empty sequence of positive numbers, got {scales!r}")
    s = torch.tensor([check_real("scales[i]", v, low=0.0, low_open=True) for v in scales for _ in range(seeds)],
                     dtype=dtype)
    repeat = s.numel() // seeds

    def u(*shape: int) -> torch.Tensor:
        return (2 * torch.rand(seeds, *shape, generator=generator, dtype=dtype) - 1).repeat(repeat, *[1] * len(shape))

    w1, b1 = u(width, 1) * s[:, None, None], u(width) * s[:, None]
    w2, b2 = u(1, width) / width**0.5, u(1) / width**0.5
    return Ensemble.from_layers([w1, w2], [b1, b2], activation=ACTIVATIONS[activation])


def unit_gates(model: Ensemble, x: torch.Tensor) -> torch.Tensor:
    """Every hidden unit's gate ``mean_i sigma'(w_j x_i + b_j) / max sigma'``: ``[M, width]``.

    ``model`` is a one-hidden-layer scalar-input :class:`Ensemble` with ReLU or tanh (e.g. from
    :func:`shallow_ensemble`); ``x`` the inputs ``[N]`` (or ``[N, 1]``), real floating, finite.
    """
    if not isinstance(model, Ensemble) or not model._mlp or len(model.linear_layers()) != 2:
        raise ValueError("model must be a one-hidden-layer Ensemble MLP (see shallow_ensemble)")
    (w1, b1), _ = model.linear_layers()
    if w1.shape[2] != 1:
        raise ValueError(f"model must take a scalar input, got input size {w1.shape[2]}")
    act = model._skeleton[0][1]
    if not isinstance(act, (nn.ReLU, nn.Tanh)):
        raise ValueError(f"model's activation must be ReLU or Tanh, got {type(act).__name__}")
    x = check_tensor("x", x, dtype=w1.dtype)
    if x.ndim == 2 and x.shape[1] == 1:
        x = x[:, 0]
    x = check_tensor("x", x, "N").to(w1.device)
    with torch.no_grad():
        pre = w1[:, :, 0, None] * x + b1[:, :, None]  # [M, width, N]
        slope = (pre > 0).to(pre.dtype) if isinstance(act, nn.ReLU) else 1 - torch.tanh(pre) ** 2
    return slope.mean(-1)
