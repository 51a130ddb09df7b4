"""Residual ReLU networks at infinite width: how a skip connection keeps inputs apart with depth.

The network (bias-free, NTK scaling, width ``n``): a stream ``h_0 = W_in x / sqrt(d)`` and
``depth`` residual blocks ``h_l = h_(l-1) + alpha W_l relu(h_(l-1)) / sqrt(n)``, all weights
``N(0, 1)``; its features are ``relu(h_L) / sqrt(n)``. As ``n -> inf`` each coordinate of the
stream is a Gaussian process whose covariance follows (W_l is independent of ``h_(l-1)`` and has
mean zero, so the cross terms vanish)

    Sigma_l(x, x') = Sigma_(l-1)(x, x') + alpha^2 C[Sigma_(l-1)](x, x'),
    C[S](x, x') = E[relu(u) relu(u')] = sqrt(S(x,x) S(x',x')) (sin t + (pi - t) cos t) / (2 pi),

with ``t`` the angle of ``S``, starting from ``Sigma_0 = x . x' / d``; the feature kernel is
``C[Sigma_L]``. ``alpha = 0`` is the one-hidden-layer network for every depth; the plain MLP of
:func:`nnlab.ntk.relu_nngp` applies ``C`` alone, layer after layer, and drives every correlation
to 1.
"""

from __future__ import annotations

import math

import torch

from ..validation import check_int, check_real
from .kernels import _check_inputs

__all__ = ["residual_relu_nngp", "residual_relu_features"]


def _relu_cov(s12: torch.Tensor, s11: torch.Tensor, s22: torch.Tensor) -> torch.Tensor:
    """``E[relu(u) relu(u')]`` for centred Gaussians with variances ``s11``, ``s22``, covariance ``s12``."""
    norm = torch.sqrt(s11[:, None] * s22[None, :])
    cos = torch.where(norm > 0, s12 / norm.clamp_min(1e-300), torch.ones_like(s12)).clamp(-1.0, 1.0)
    angle = torch.arccos(cos)
    return norm / (2 * math.pi) * (torch.sin(angle) + (math.pi - angle) * cos)


def residual_relu_nngp(x1: torch.Tensor, x2: torch.Tensor | None = None, depth: int = 1,
                       alpha: float = 1.0) -> torch.Tensor:
    """Infinite-width kernel of the features ``relu(h_L) / sqrt(n)`` of a residual ReLU network.

    Args:
        x1: inputs ``[n1, d]``.
        x2: inputs ``[n2, d]``; ``None`` means ``x1``.
        depth: number of residual blocks ``L >= 0``.
        alpha: weight of each block's branch, ``>= 0`` (``1 / sqrt(L)`` keeps the variance bounded).

    Returns:
        ``[n1, n2]`` kernel ``C[Sigma_L]`` (module docstring), in the dtype of ``x1`` (computed in float64).
    """
    x2 = _check_inputs(x1, x2)
    depth = check_int("depth", depth, minimum=0)
    alpha = check_real("alpha", alpha, low=0.0)
    a, b = x1.double(), x2.double()
    d = a.shape[1]
    s12, s11, s22 = a @ b.T / d, (a * a).sum(1) / d, (b * b).sum(1) / d
    for _ in range(depth):
        s12 = s12 + alpha**2 * _relu_cov(s12, s11, s22)
        s11, s22 = s11 * (1 + alpha**2 / 2), s22 * (1 + alpha**2 / 2)  # C[S](x, x) = S(x, x) / 2
    return _relu_cov(s12, s11, s22).to(x1.dtype)


def residual_relu_features(x: torch.Tensor, width: int, depth: int = 1, alpha: float = 1.0,
                           generator: torch.Generator | None = None) -> torch.Tensor:
    """The features ``relu(h_L) / sqrt(n)`` of one random residual network of width ``n``.

    A Monte Carlo check of :func:`residual_relu_nngp`: ``phi @ phi.T`` tends to it as the width
    grows (fluctuations ``O(width^(-1/2))``).

    Args:
        x: inputs ``[N, d]``.
        width: the width ``n >= 1``.
        depth: number of residual blocks ``L >= 0``.
        alpha: weight of each block's branch, ``>= 0``.
        generator: the random weights' generator (CPU).

    Returns:
        ``[N, width]`` features in float64.
    """
    _check_inputs(x, None)
    width = check_int("width", width, minimum=1)
    depth = check_int("depth", depth, minimum=0)
    alpha = check_real("alpha", alpha, low=0.0)
    if generator is not None and not isinstance(generator, torch.Generator):
        raise ValueError(f"generator must be a torch.Generator or None, got {type(generator).__name__}")
    a = x.double().cpu()
    h = a @ torch.randn(a.shape[1], width, generator=generator, dtype=torch.float64) / math.sqrt(a.shape[1])
    for _ in range(depth):
        w = torch.randn(width, width, generator=generator, dtype=torch.float64)
        h = h + alpha * torch.relu(h) @ w / math.sqrt(width)
    return torch.relu(h) / math.sqrt(width)
