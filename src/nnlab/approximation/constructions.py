"""Deep ReLU constructions: the tent map, the sawtooth, and Yarotsky's square.

The tent map on ``[0, 1]`` is one hidden layer of width two,

    Delta(x) = 2 ReLU(x) - 4 ReLU(x - 1/2),

and composing it ``k`` times gives a sawtooth with ``2^k`` linear pieces from ``2k`` units
(Telgarsky 2016), while one hidden layer of width ``w`` has at most ``w + 1`` pieces. Yarotsky
(2017): ``x^2 = x - sum_{s>=1} Delta^s(x) / 4^s`` on ``[0, 1]``; truncating after ``m`` terms
gives the piecewise-linear interpolant of ``x^2`` at ``2^m + 1`` knots, with sup error
``2^(-2m-2)``.
"""

from __future__ import annotations

import torch
from torch import nn

from ..validation import check_float_dtype, check_int, check_tensor

__all__ = ["tent_map", "sawtooth", "yarotsky_square", "yarotsky_partial_sum", "relu_mlp"]


def tent_map(x: torch.Tensor, k: int = 1) -> torch.Tensor:
    """``Delta^k(x)``, the tent map ``Delta(x) = 2 min(x, 1 - x)`` on [0, 1] applied ``k`` times.

    Elementwise: ``x`` is a real floating tensor of any shape (0-d included; a list or array is
    converted), finite and non-empty. ``k >= 0``.
    """
    x = check_tensor("x", x)
    k = check_int("k", k, minimum=0)
    return _tent(x, k)


def _tent(x: torch.Tensor, k: int) -> torch.Tensor:
    for _ in range(k):
        x = 2 * torch.minimum(x, 1 - x)
    return x


def _linear(weight: list[list[float]], bias: list[float], dtype: torch.dtype) -> nn.Linear:
    layer = nn.utils.skip_init(nn.Linear, len(weight[0]), len(weight), dtype=dtype)  # no global RNG draw
    with torch.no_grad():
        layer.weight.copy_(torch.tensor(weight, dtype=dtype))
        layer.bias.copy_(torch.tensor(bias, dtype=dtype))
    return layer


def sawtooth(k: int, dtype: torch.dtype = torch.float64) -> nn.Sequential:
    """A ReLU MLP with ``k`` hidden layers of width 2 computing ``Delta^k`` on [0, 1].

    Hidden layer ``l`` holds ``(ReLU(g), ReLU(g - 1/2))`` with ``g = Delta^(l-1)(x)``, and the
    next ``g`` is ``2 ReLU(g) - 4 ReLU(g - 1/2)``, folded into the next layer's weights.
    """
    k = check_int("k", k, minimum=1)
    dtype = check_float_dtype("dtype", dtype)
    layers: list[nn.Module] = [_linear([[1.0], [1.0]], [0.0, -0.5], dtype), nn.ReLU()]
    for _ in range(k - 1):
        layers += [_linear([[2.0, -4.0], [2.0, -4.0]], [0.0, -0.5], dtype), nn.ReLU()]
    layers.append(_linear([[2.0, -4.0]], [0.0], dtype))
    return nn.Sequential(*layers)


def yarotsky_partial_sum(x: torch.Tensor, m: int) -> torch.Tensor:
    """``f_m(x) = x - sum_{s=1}^m Delta^s(x) / 4^s`` evaluated directly (the reference).

    ``x`` as in :func:`tent_map` (any shape, real floating, finite); ``m >= 0``.
    """
    x = check_tensor("x", x)
    m = check_int("m", m, minimum=0)
    out, g = x.clone(), x
    for s in range(1, m + 1):
        g = _tent(g, 1)
        out = out - g / 4**s
    return out


def yarotsky_square(m: int, dtype: torch.dtype = torch.float64) -> nn.Sequential:
    """A ReLU MLP with ``m`` hidden layers of width 3 computing ``f_m`` (approximates ``x^2``).

    Hidden layer ``s`` holds ``(ReLU(f_{s-1}), ReLU(g), ReLU(g - 1/2))`` with
    ``g = Delta^(s-1)(x)`` and ``f_0 = x``. All three are non-negative on [0, 1] before the
    ReLU except ``g - 1/2`` (``f_s >= x^2 >= 0``), so the ReLU passes ``f`` and ``g`` through,
    and ``f_s = f_{s-1} - (2 ReLU(g) - 4 ReLU(g - 1/2)) / 4^s``.
    """
    m = check_int("m", m, minimum=1)
    dtype = check_float_dtype("dtype", dtype)
    layers: list[nn.Module] = [_linear([[1.0], [1.0], [1.0]], [0.0, 0.0, -0.5], dtype), nn.ReLU()]
    for s in range(1, m):
        q = 4.0**s
        layers += [
            _linear([[1.0, -2 / q, 4 / q], [0.0, 2.0, -4.0], [0.0, 2.0, -4.0]], [0.0, 0.0, -0.5], dtype),
            nn.ReLU(),
        ]
    q = 4.0**m
    layers.append(_linear([[1.0, -2 / q, 4 / q]], [0.0], dtype))
    return nn.Sequential(*layers)


def relu_mlp(depth: int, width: int, generator: torch.Generator | None = None,
             dtype: torch.dtype = torch.float32) -> nn.Sequential:
    """A scalar-input, scalar-output ReLU MLP with ``depth`` hidden layers of ``width`` units.

    Weights use PyTorch's default ``nn.Linear`` initialization, drawn from ``generator``.
    """
    depth = check_int("depth", depth, minimum=1)
    width = check_int("width", width, minimum=1)
    dtype = check_float_dtype("dtype", dtype)
    sizes = [1] + [width] * depth + [1]
    layers: list[nn.Module] = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layer = nn.utils.skip_init(nn.Linear, fan_in, fan_out, dtype=dtype)  # drawn below from `generator`
        bound = fan_in**-0.5
        with torch.no_grad():
            layer.weight.uniform_(-bound, bound, generator=generator)
            layer.bias.uniform_(-bound, bound, generator=generator)
        layers.append(layer)
        if i < depth:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)
