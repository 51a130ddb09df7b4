"""Bias-free ReLU MLPs with a scalar output in three parameterizations: NTK, standard, mean-field (μP).

All three compute the same function at initialization in distribution; they differ in where the
width enters (in the stored weights or in fixed multipliers) and hence in how gradient descent
moves them. With ``depth = L`` hidden layers of width ``n`` on inputs ``x`` in ``R^d``:

- ``"ntk"`` (Jacot et al. 2018): every weight ``~ N(0, 1)`` and every layer divides by the square
  root of its fan-in, ``h1 = W0 x / sqrt(d)``, ``h(l+1) = W_l relu(h_l) / sqrt(n)``,
  ``f = v . relu(h_L) / sqrt(n)``. Gradient descent at a fixed learning rate is the lazy
  (kernel) regime as ``n`` grows.
- ``"standard"``: the same forward pass, but the multipliers live in the weights
  (``W0 ~ N(0, 1/d)``, ``W_l, v ~ N(0, 1/n)``) and the forward pass multiplies by 1 (PyTorch's
  usual convention). The NTK then grows like ``n``: use a learning rate ``~ 1/n``.
- ``"mup"`` (mean-field, maximal update): like ``"ntk"`` but the readout divides by ``n``
  instead of ``sqrt(n)``, ``f = v . relu(h_L) / n``; trained with learning rate ``lr * n``
  (:attr:`MLP.lr_scale`) the features move by O(1) at any width. For depth 1 this is the
  mean-field network (Mei et al. 2018; Chizat & Bach 2018); at any depth it is the
  maximal-update parameterization for SGD (Yang & Hu 2021): their prescription without
  multipliers (input weights of variance ``1/d`` with learning rate ``~ lr n``, hidden weights of
  variance ``1/n`` with ``lr``, readout of variance ``1/n^2`` with ``lr / n``) has the same
  dynamics, because a multiplier ``c`` on ``N(0, s^2)`` weights trained at learning rate ``eta``
  acts like unit-multiplier weights of variance ``c^2 s^2`` trained at ``c^2 eta``.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ..validation import check_choice, check_float_dtype, check_int, check_tensor

__all__ = ["MLP", "PARAMETERIZATIONS"]

PARAMETERIZATIONS = ("ntk", "standard", "mup")


class MLP(nn.Module):
    """Bias-free ReLU MLP ``R^d -> R`` with ``depth`` hidden layers of width ``width``.

    Args:
        d_in: input dimension ``d`` (>= 1).
        width: hidden width ``n`` (>= 1).
        depth: number of hidden layers ``L`` (>= 1); ``depth=1`` is the two-layer network
            ``f(x) = n^(-1/2) sum_j v_j relu(w_j . x / sqrt(d))`` in NTK parameterization.
        parameterization: ``"ntk"``, ``"standard"`` or ``"mup"`` (see the module docstring).
        generator: CPU generator for the initial weights (drawn on the CPU, in ``dtype``).
        dtype: floating dtype of the weights.

    Parameters are ``weights.0`` ``[n, d]``, ``weights.l`` ``[n, n]`` for ``l = 1..L-1`` and
    ``readout`` ``[n]``. ``forward(x)`` maps ``[..., d]`` to ``[...]``: ``x`` must be a non-empty
    real floating tensor (a list or array is converted, other float dtypes are cast to the
    weights' dtype); it is not scanned for NaN/inf (that would cost a device sync per call, and
    the forward pass also runs under ``torch.func`` transforms), so NaN in ``x`` propagates.
    """

    def __init__(self, d_in: int, width: int, depth: int = 1, parameterization: str = "ntk",
                 generator: torch.Generator | None = None, dtype: torch.dtype = torch.float32):
        super().__init__()
        self.d_in = check_int("d_in", d_in, minimum=1)
        self.width = check_int("width", width, minimum=1)
        self.depth = check_int("depth", depth, minimum=1)
        self.parameterization = check_choice("parameterization", parameterization, PARAMETERIZATIONS)
        check_float_dtype("dtype", dtype)
        if generator is not None and not isinstance(generator, torch.Generator):
            raise ValueError(f"generator must be a torch.Generator or None, got {type(generator).__name__}")
        fans = [self.d_in] + [self.width] * (self.depth - 1)
        std = parameterization == "standard"
        self.weights = nn.ParameterList([
            nn.Parameter(torch.randn(self.width, fan, generator=generator, dtype=dtype) / math.sqrt(fan if std else 1))
            for fan in fans
        ])
        self.readout = nn.Parameter(
            torch.randn(self.width, generator=generator, dtype=dtype) / (math.sqrt(self.width) if std else 1)
        )
        if std:
            self.multipliers = [1.0] * self.depth
            self.out_multiplier = 1.0
        else:
            self.multipliers = [1 / math.sqrt(fan) for fan in fans]
            self.out_multiplier = 1 / (self.width if parameterization == "mup" else math.sqrt(self.width))

    @property
    def lr_scale(self) -> float:
        """Factor by which to multiply a width-independent learning rate for this parameterization.

        ``1`` for ``"ntk"``, ``1/n`` for ``"standard"`` (its NTK grows like ``n``) and ``n`` for
        ``"mup"`` (mean-field gradient descent needs steps ``~ n`` per parameter).
        """
        return {"ntk": 1.0, "standard": 1.0 / self.width, "mup": float(self.width)}[self.parameterization]

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Penultimate-layer features ``relu(h_L)``: ``[..., d]`` -> ``[..., n]``."""
        x = check_tensor("x", x, finite=False, dtype=self.readout.dtype)
        if x.ndim < 1 or x.shape[-1] != self.d_in:
            raise ValueError(f"x must have last dimension d_in={self.d_in}, got shape {tuple(x.shape)}")
        h = x
        for w, c in zip(self.weights, self.multipliers):
            h = torch.relu((h @ w.T) * c)
        return h

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The network output ``f(x)``: ``[..., d]`` -> ``[...]``."""
        return (self.features(x) @ self.readout) * self.out_multiplier
