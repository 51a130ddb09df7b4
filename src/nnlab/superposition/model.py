"""The toy model of superposition, ``x' = act(W^T W x + b)``, as a batch of instances.

``W`` has shape ``[I, m, n]``: ``I`` independent instances (different sparsities and seeds), each
mapping ``n`` features to ``m`` hidden dimensions and back with the transposed matrix
(Elhage et al. 2022). The activation is ReLU, or the analytic swish ``x * sigmoid(gamma x)``
(Jolley's poster), which tends to ReLU as ``gamma`` grows.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ..validation import check_choice, check_int, check_real

__all__ = ["ToyModel", "swish", "weighted_mse"]

ACTIVATIONS = ("relu", "swish")


def swish(x: torch.Tensor, gamma: float = 30.0) -> torch.Tensor:
    """The analytic ReLU surrogate ``x * sigmoid(gamma x)``; ``|swish - ReLU| <= 0.28 / gamma``."""
    gamma = check_real("gamma", gamma, low=0.0, low_open=True)
    return x * torch.sigmoid(gamma * x)


class ToyModel(nn.Module):
    """``I`` toy autoencoders ``x' = act(W^T W x + b)`` stored as one batched tensor.

    Args:
        n_features: number of features ``n`` (>= 1).
        n_hidden: hidden dimension ``m``, ``1 <= m <= n``.
        n_instances: number of independent instances ``I`` (>= 1).
        activation: ``"relu"`` or ``"swish"`` (``x * sigmoid(gamma x)``, analytic).
        gamma: swish sharpness (> 0); ignored for ReLU.
        generator: CPU generator for the initial weights (Xavier normal, ``std = sqrt(2/(m+n))``
            as in the reference notebook; biases start at zero).

    Attributes:
        W: parameter ``[I, m, n]`` (column ``i`` of ``W[k]`` is feature ``i``'s direction).
        b: parameter ``[I, n]``.
    """

    def __init__(self, n_features: int, n_hidden: int, n_instances: int = 1, activation: str = "relu",
                 gamma: float = 30.0, generator: torch.Generator | None = None):
        super().__init__()
        n_features = check_int("n_features", n_features, minimum=1)
        n_hidden = check_int("n_hidden", n_hidden, minimum=1)
        if n_hidden > n_features:
            raise ValueError(f"n_hidden must be <= n_features = {n_features} (a bottleneck), got {n_hidden}")
        n_instances = check_int("n_instances", n_instances, minimum=1)
        check_choice("activation", activation, ACTIVATIONS)
        self.gamma = check_real("gamma", gamma, low=0.0, low_open=True)
        self.activation = activation
        self.n_features, self.n_hidden, self.n_instances = n_features, n_hidden, n_instances
        std = math.sqrt(2.0 / (n_features + n_hidden))
        self.W = nn.Parameter(std * torch.randn(n_instances, n_hidden, n_features, generator=generator))
        self.b = nn.Parameter(torch.zeros(n_instances, n_features))

    def forward(self, x: torch.Tensor, instance_major: bool = False) -> torch.Tensor:
        """Reconstruct ``x``: ``[B, n]`` (every instance sees the same data) or ``[B, I, n]`` -> ``[B, I, n]``.

        With ``instance_major=True`` the input is ``[I, B, n]`` and so is the output (the layout
        in which the batched matrix products run; the training loop uses it).
        """
        if x.shape[-1] != self.n_features or x.ndim not in (2, 3):
            raise ValueError(f"x must be [B, {self.n_features}], [B, I, {self.n_features}] or (instance_major) "
                             f"[I, B, {self.n_features}], got {tuple(x.shape)}")
        if x.ndim == 2:
            xi = x.expand(self.n_instances, *x.shape)
        else:
            xi = x if instance_major else x.transpose(0, 1)
        gram = torch.bmm(self.W.transpose(1, 2), self.W)  # W^T W: [I, n, n]
        pre = torch.baddbmm(self.b[:, None, :], xi, gram)
        out = torch.relu(pre) if self.activation == "relu" else pre * torch.sigmoid(self.gamma * pre)
        return out if instance_major else out.transpose(0, 1)


def weighted_mse(x_hat: torch.Tensor, x: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """Importance-weighted loss per instance, ``mean_batch sum_i I_i (x_i - x'_i)^2``: ``[I]``.

    Args:
        x_hat: reconstruction ``[B, I, n]``.
        x: data ``[B, n]`` or ``[B, I, n]``.
        weights: importances ``[n]``.
    """
    if x.ndim == 2:
        x = x[:, None, :]
    if x_hat.ndim != 3 or x.shape[0] != x_hat.shape[0] or x.shape[-1] != x_hat.shape[-1]:
        raise ValueError(f"x_hat must be [B, I, n] matching x, got {tuple(x_hat.shape)} and {tuple(x.shape)}")
    if weights.shape != (x_hat.shape[-1],):
        raise ValueError(f"weights must have shape [{x_hat.shape[-1]}], got {tuple(weights.shape)}")
    return (weights * (x - x_hat) ** 2).sum(-1).mean(0)
