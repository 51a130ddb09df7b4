"""Why the Laplace approximation fails for singular models: the exact posterior of ``y = x w1 w2``.

The two-parameter model ``y = x w1 w2 + eps`` (``eps ~ N(0, 1)``, prior ``w ~ N(0, I)``) is the
smallest singular model: its true parameter set ``w1 w2 = 0`` is a cross, not a point. Its
posterior has a closed form up to normalization::

    -log p(w | data) = (w1 w2)^2 sxx / 2 - w1 w2 sxy + (w1^2 + w2^2) / 2 + const,
    sxx = sum x_i^2,  sxy = sum x_i y_i,

so it can be evaluated exactly on a grid and compared with the Gaussian that the Laplace
approximation puts at its maximum (MAP), with the Hessian of the negative log posterior there::

    H = [[w2^2 sxx + 1, 2 w1 w2 sxx - sxy], [2 w1 w2 sxx - sxy, w1^2 sxx + 1]].
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..validation import check_real, check_tensor

__all__ = ["GridPosterior", "product_model_posterior", "product_model_hessian"]


@dataclass
class GridPosterior:
    """The exact posterior and its Laplace approximation on a grid ``[G, G]`` (``w1`` along rows).

    Attributes:
        posterior: the exact posterior, normalized to sum 1 on the grid.
        laplace: the Gaussian ``exp(-(w - w_map)^T H (w - w_map) / 2)``, normalized the same way.
        w_map: the grid point of largest posterior ``(w1, w2)``.
        hessian: ``H`` at ``w_map``, ``[2, 2]``.
    """

    posterior: torch.Tensor
    laplace: torch.Tensor
    w_map: tuple[float, float]
    hessian: torch.Tensor

    def total_variation(self) -> float:
        """``(1/2) sum |posterior - laplace|`` on the grid: 0 when the Gaussian is exact, 1 when disjoint."""
        return float(0.5 * (self.posterior - self.laplace).abs().sum())


def product_model_hessian(w1: float, w2: float, sxx: float, sxy: float) -> torch.Tensor:
    """The Hessian of the negative log posterior of ``y = x w1 w2`` at ``(w1, w2)``: ``[2, 2]`` (float64).

    All four arguments are finite real numbers; ``sxx = sum x_i^2 >= 0``.
    """
    w1, w2 = check_real("w1", w1), check_real("w2", w2)
    sxx, sxy = check_real("sxx", sxx, low=0.0), check_real("sxy", sxy)
    off = 2 * w1 * w2 * sxx - sxy
    return torch.tensor([[w2 * w2 * sxx + 1, off], [off, w1 * w1 * sxx + 1]], dtype=torch.float64)


def product_model_posterior(x: torch.Tensor, y: torch.Tensor, grid: torch.Tensor) -> GridPosterior:
    """The exact posterior of ``y = x w1 w2 + N(0, 1)`` (prior ``N(0, I)``) on ``grid x grid``, and its Laplace.

    Args:
        x, y: the data ``[n]``.
        grid: the values of ``w1`` (and ``w2``) ``[G]``, increasing.

    Returns:
        :class:`GridPosterior` (float64).
    """
    dims: dict[str, int] = {}
    x = check_tensor("x", x, "n", dims=dims, dtype=torch.float64)
    y = check_tensor("y", y, "n", dims=dims, dtype=torch.float64)
    grid = check_tensor("grid", grid, "G", dtype=torch.float64)
    if grid.numel() < 2 or not bool((grid.diff() > 0).all()):
        raise ValueError("grid must hold at least two increasing values")
    w1, w2 = torch.meshgrid(grid, grid, indexing="ij")
    sxx, sxy = (x**2).sum(), (x * y).sum()
    prod = w1 * w2
    log_post = -0.5 * (prod**2 * sxx - 2 * prod * sxy) - 0.5 * (w1**2 + w2**2)
    post = torch.exp(log_post - log_post.max())
    k = int(log_post.argmax())
    a, b = float(w1.flatten()[k]), float(w2.flatten()[k])
    H = product_model_hessian(a, b, float(sxx), float(sxy))
    d = torch.stack([w1 - a, w2 - b], -1)
    lap = torch.exp(-0.5 * torch.einsum("...i,ij,...j->...", d, H, d))
    return GridPosterior(post / post.sum(), lap / lap.sum(), (a, b), H)
