"""Approximation in ``d`` dimensions: a grid interpolant against a network of ridge units.

The piecewise-linear interpolant on a grid with ``n`` intervals per axis (Freudenthal-Kuhn
triangulation of each cube cell into ``d!`` simplices) has ``N = (n + 1)^d`` knots and, for a
``C^2`` target, error ``O(h^2) = O(N^(-2/d))``: the curse of dimensionality. A
one-hidden-layer ReLU network is a sum of ridge units ``a_j ReLU(w_j . x + b_j)``; Barron (1993)
shows that for targets with a finite first Fourier moment ``C_f = int |omega| |f^(omega)| d omega``
some ``N``-unit network has ``L^2(mu)`` error ``O(C_f N^(-1/2))`` in any dimension.
:func:`fit_random_relu` builds one such network (random inner weights, least-squares output
weights): a construction to measure, not the optimum of Barron's theorem.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from ..validation import check_int, check_real, check_tensor

__all__ = ["grid_interpolate", "fit_random_relu"]


def _values(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    y = f(x)
    if not isinstance(y, torch.Tensor) or y.shape != x.shape[:1]:
        raise ValueError(f"f must map points [P, d] to values [P], got "
                         f"{tuple(y.shape) if isinstance(y, torch.Tensor) else type(y).__name__}")
    return y


def grid_interpolate(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, n: int) -> torch.Tensor:
    """The piecewise-linear grid interpolant of ``f`` on ``[-1, 1]^d``, evaluated at ``x``: ``[P]``.

    Knots ``-1 + 2 i / n`` on every axis (``(n + 1)^d`` in all). In the cell containing ``x`` with
    lower corner ``v`` and fractional coordinates ``t`` sorted ``t_(1) >= ... >= t_(d)``, the
    interpolant is ``sum_j (t_(j) - t_(j+1)) f(v_j)`` (``t_(0) = 1, t_(d+1) = 0``), ``v_j`` the
    corner reached from ``v`` by stepping along the ``j`` largest coordinates: linear on each
    simplex, exact on affine ``f``, continuous across cells. ``f`` is called on ``[P, d]`` points
    (``d + 1`` times); ``x: [P, d]`` inside the cube, real floating; ``n >= 1``.
    """
    if not callable(f):
        raise ValueError(f"f must be a callable [P, d] -> [P], got {type(f).__name__}")
    x = check_tensor("x", x, "P d")
    n = check_int("n", n, minimum=1)
    if bool((x.abs() > 1).any()):
        raise ValueError("x must lie in the cube [-1, 1]^d")
    h = 2.0 / n
    u = (x + 1) / h
    cell = u.floor().clamp(max=n - 1)
    t = u - cell
    order = t.argsort(dim=1, descending=True)
    ts = t.gather(1, order)
    weights = torch.cat([1 - ts[:, :1], ts[:, :-1] - ts[:, 1:], ts[:, -1:]], dim=1)  # [P, d + 1]
    corner = cell.clone()
    out = weights[:, 0] * _values(f, corner * h - 1)
    for j in range(x.shape[1]):
        corner = corner.scatter_add(1, order[:, j : j + 1], torch.ones_like(corner[:, :1]))
        out = out + weights[:, j + 1] * _values(f, corner * h - 1)
    return out


def fit_random_relu(x: torch.Tensor, y: torch.Tensor, units: int, generator: torch.Generator | None = None,
                    rcond: float = 1e-10) -> nn.Sequential:
    """A one-hidden-layer ReLU network ``Linear(d, units) -> ReLU -> Linear(units, 1)`` fitted to ``(x, y)``.

    Inner weights: directions ``w_j`` uniform on the unit sphere, offsets ``b_j`` uniform in
    ``[-sqrt(d), sqrt(d)]`` (every hyperplane that can cut ``[-1, 1]^d``), drawn from
    ``generator``; output weights and bias by least squares (SVD, singular values below
    ``rcond`` times the largest dropped), in float64 on the CPU.

    Args:
        x: inputs ``[P, d]``; y: targets ``[P]``; units: the width ``>= 1``; rcond in ``(0, 1)``.
    """
    dims: dict[str, int] = {}
    x = check_tensor("x", x, "P d", dims=dims)
    y = check_tensor("y", y, "P", dims=dims)
    units = check_int("units", units, minimum=1)
    rcond = check_real("rcond", rcond, low=0.0, high=1.0, low_open=True, high_open=True)
    d = x.shape[1]
    x, y = x.double().cpu(), y.double().cpu()
    w = torch.randn(units, d, generator=generator, dtype=torch.float64)
    w = w / w.norm(dim=1, keepdim=True)
    b = (2 * torch.rand(units, generator=generator, dtype=torch.float64) - 1) * d**0.5
    phi = torch.cat([torch.relu(x @ w.T + b), torch.ones(x.shape[0], 1, dtype=torch.float64)], dim=1)
    coef = torch.linalg.lstsq(phi, y[:, None], rcond=rcond, driver="gelsd").solution[:, 0]
    first, second = nn.Linear(d, units, dtype=torch.float64), nn.Linear(units, 1, dtype=torch.float64)
    with torch.no_grad():
        first.weight.copy_(w)
        first.bias.copy_(b)
        second.weight.copy_(coef[None, :-1])
        second.bias.copy_(coef[-1:])
    return nn.Sequential(first, nn.ReLU(), second)
