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

from ..members import Members, member_input
from ..validation import check_choice, check_int, check_real, check_tensor

__all__ = ["ToyModel", "reconstruct", "swish", "weighted_mse"]

ACTIVATIONS = ("relu", "swish")


def swish(x: torch.Tensor, gamma: float = 30.0) -> torch.Tensor:
    """The analytic ReLU surrogate ``x * sigmoid(gamma x)``; ``|swish - ReLU| <= 0.28 / gamma``.

    Elementwise: ``x`` is a real floating tensor of any shape (0-d included; a list or array is
    converted), finite and non-empty. ``gamma > 0``.
    """
    x = check_tensor("x", x)
    gamma = check_real("gamma", gamma, low=0.0, low_open=True)
    return x * torch.sigmoid(gamma * x)


class ToyModel(Members):
    """``members`` toy autoencoders ``x' = act(W^T W x + b)`` stored as one batched tensor.

    Args:
        d_in: number of features ``n`` (>= 1).
        width: hidden dimension ``m``, ``1 <= m <= n``.
        members: number of independent instances ``I`` (>= 1).
        activation: ``"relu"`` or ``"swish"`` (``x * sigmoid(gamma x)``, analytic).
        gamma: swish sharpness (> 0); ignored for ReLU.
        generator: CPU generator for the initial weights (Xavier normal, ``std = sqrt(2/(m+n))``
            as in the reference notebook; biases start at zero).

    Attributes:
        W: parameter ``[I, m, n]`` (column ``i`` of ``W[k]`` is feature ``i``'s direction).
        b: parameter ``[I, n]``.

    ``forward(x)`` maps ``x [B, n]`` (shared by all instances) or ``[I, B, n]`` (one batch per
    instance) to ``[I, B, n]``; float64 data are cast to the weights' dtype. Its dtype and shape
    are checked, its values are not: forward is the training loop's hot path, where a finiteness
    check would synchronize the device every step, so NaN or inf in ``x`` propagate to the output.
    """

    member_tensors = ("W", "b")

    def __init__(self, d_in: int, width: int, members: int = 1, activation: str = "relu",
                 gamma: float = 30.0, generator: torch.Generator | None = None):
        super().__init__()
        d_in = check_int("d_in", d_in, minimum=1)
        width = check_int("width", width, minimum=1)
        if width > d_in:
            raise ValueError(f"width must be <= d_in = {d_in} (a bottleneck), got {width}")
        members = check_int("members", members, minimum=1)
        check_choice("activation", activation, ACTIVATIONS)
        self.gamma = check_real("gamma", gamma, low=0.0, low_open=True)
        self.activation = activation
        self.d_in, self.width, self.members = d_in, width, members
        std = math.sqrt(2.0 / (d_in + width))
        self.W = nn.Parameter(std * torch.randn(members, width, d_in, generator=generator))
        self.b = nn.Parameter(torch.zeros(members, d_in))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Reconstruct ``x``: ``[B, n]`` or ``[I, B, n]`` -> ``[I, B, n]``."""
        x = check_tensor("x", x, dtype=self.W.dtype, finite=False)
        x = member_input("x", x, self.members, 2)
        if x.shape[-1] != self.d_in:
            raise ValueError(f"x must have shape [B, {self.d_in}] or [{self.members}, B, {self.d_in}], "
                             f"got {tuple(x.shape)}")
        return _reconstruct(self.W, self.b, x, self.activation, self.gamma)


def reconstruct(W: torch.Tensor, b: torch.Tensor, x: torch.Tensor, activation: str = "relu",
                gamma: float = 30.0) -> torch.Tensor:
    """The toy model's forward pass ``act(W^T W x + b)`` on tensors: ``W [I, m, n]``, ``b [I, n]``, ``x [I, B, n]``.

    The one implementation of the forward pass, used by :class:`ToyModel` and by evaluations
    that process the instances in chunks. Returns ``[I, B, n]``. The arguments are checked
    (real floating, finite, non-empty, shapes that agree); ``b`` and ``x`` are cast to ``W``'s
    dtype. ``activation`` is ``"relu"`` or ``"swish"`` (with sharpness ``gamma > 0``).
    """
    dims: dict[str, int] = {}
    W = check_tensor("W", W, "I m n", dims=dims)
    b = check_tensor("b", b, "I n", dims=dims, dtype=W.dtype)
    x = check_tensor("x", x, "I B n", dims=dims, dtype=W.dtype)
    check_choice("activation", activation, ACTIVATIONS)
    gamma = check_real("gamma", gamma, low=0.0, low_open=True)
    return _reconstruct(W, b, x, activation, gamma)


def _reconstruct(W: torch.Tensor, b: torch.Tensor, x: torch.Tensor, activation: str, gamma: float) -> torch.Tensor:
    """:func:`reconstruct` without the checks (the callers have checked their inputs)."""
    gram = torch.bmm(W.transpose(1, 2), W)  # W^T W: [I, n, n]
    pre = torch.baddbmm(b[:, None, :], x, gram)
    return torch.relu(pre) if activation == "relu" else pre * torch.sigmoid(gamma * pre)


def weighted_mse(x_hat: torch.Tensor, x: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """Importance-weighted loss per instance, ``mean_batch sum_i I_i (x_i - x'_i)^2``: ``[I]``.

    Args:
        x_hat: reconstruction ``[I, B, n]``.
        x: data ``[B, n]`` (shared) or ``[I, B, n]``.
        weights: importances ``[n]``.
    """
    dims: dict[str, int] = {}
    x_hat = check_tensor("x_hat", x_hat, "I B n", dims=dims)
    x = check_tensor("x", x, "B n" if getattr(x, "ndim", 0) == 2 else "I B n", dims=dims)
    weights = check_tensor("weights", weights, "n", dims=dims)
    return ((x - x_hat) ** 2 @ weights).mean(1)
