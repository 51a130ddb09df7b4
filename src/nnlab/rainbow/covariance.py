"""Weight covariances of aligned networks and the Marchenko–Pastur reference spectrum.

In the rainbow model the rows ``w_i`` of a layer (one per neuron), expressed in the aligned
basis of the layer's input, are i.i.d. samples of a distribution ``pi_l``; its second moment
``C_l = E[w w^T]`` is estimated by ``W^T W / N`` pooled over aligned networks. At
initialization the entries are i.i.d. with variance ``sigma^2``, and the eigenvalues of
``W^T W / N`` (``d`` inputs, ``N`` rows) follow the Marchenko–Pastur law of ratio ``d / N``.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ..validation import check_int, check_real, check_real_array, check_tensor

__all__ = ["weight_covariance", "isotropic", "matrix_cosine", "cosine_ceiling", "half_cosines", "marchenko_pastur",
           "marchenko_pastur_edges"]


def weight_covariance(weights: torch.Tensor) -> torch.Tensor:
    """Uncentred weight covariance ``C = W^T W / N``, pooled over aligned networks.

    Args:
        weights: ``[N, d]`` (one row per neuron, ``d`` inputs) or ``[M, N, d]`` for ``M``
            networks whose rows are expressed in the same (aligned) input basis.

    Returns:
        ``[d, d]`` symmetric positive semi-definite: ``sum_m W_m^T W_m / (M N)``.

    Raises:
        ValueError: unless ``weights`` is a finite non-empty real floating tensor of 2 or 3
            dimensions (a list or numpy array is converted).
    """
    if isinstance(weights, torch.Tensor) and weights.ndim not in (2, 3):
        raise ValueError(f"weights must be a tensor of shape [N, d] or [M, N, d], got {weights.shape!r}")
    weights = check_tensor("weights", weights)
    if weights.ndim not in (2, 3):
        raise ValueError(f"weights must be a tensor of shape [N, d] or [M, N, d], got {weights.shape!r}")
    W = weights.reshape(-1, weights.shape[-1])
    return W.T @ W / W.shape[0]


def isotropic(C: torch.Tensor) -> torch.Tensor:
    """The isotropic covariance with the same trace: ``(tr C / d) I``, ``[d, d]`` (a control).

    ``C`` must be a finite non-empty real floating square matrix (a list or numpy array is converted).
    """
    if isinstance(C, torch.Tensor) and (C.ndim != 2 or C.shape[0] != C.shape[1]):
        raise ValueError(f"C must be a square matrix [d, d], got {C.shape!r}")
    C = check_tensor("C", C, "d d")
    d = C.shape[0]
    return torch.eye(d, dtype=C.dtype, device=C.device) * (torch.trace(C) / d)


def matrix_cosine(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Frobenius cosine ``<a, b>_F / (|a|_F |b|_F)`` over the last two dimensions: ``[...]``.

    1 for proportional matrices; about 0 for independent random ones of zero mean.

    ``a`` and ``b`` must be finite non-empty real floating tensors (lists and numpy arrays are
    converted); their batch dimensions ``...`` broadcast.
    """
    a = check_tensor("a", a)
    b = check_tensor("b", b)
    if a.ndim < 2 or b.ndim < 2 or a.shape[-2:] != b.shape[-2:]:
        raise ValueError(
            f"a and b must be matrices of the same shape [..., p, q], got {tuple(a.shape)} and {tuple(b.shape)}"
        )
    try:
        torch.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except RuntimeError:
        raise ValueError(f"the batch dimensions of a {tuple(a.shape)} and b {tuple(b.shape)} "
                         "do not broadcast") from None
    num = (a * b).sum((-1, -2))
    return num / (a.pow(2).sum((-1, -2)) * b.pow(2).sum((-1, -2))).sqrt()


def cosine_ceiling(C: torch.Tensor, rows: int, pooled: int | None = None) -> torch.Tensor:
    """Frobenius cosine expected between two estimates ``W^T W / N`` of ``C`` from ``N`` Gaussian rows each.

    For rows ``w ~ N(0, C)`` i.i.d., ``E <C_1, C_2>_F = |C|_F^2`` and
    ``E |C_hat|_F^2 = |C|_F^2 + (|C|_F^2 + (tr C)^2) / N``, so to leading order the cosine is

    ``|C|_F^2 / (|C|_F^2 (1 + 1/N) + (tr C)^2 / N)``.

    It is the finite-``N`` ceiling of the covariance agreement of two networks whose rows are
    i.i.d. from one distribution (a Gaussian rainbow model); for the isotropic ``C = s I_d`` of an
    initialization it is the floor ``1 / (1 + (d + 1) / N) ≈ 1 / (1 + d / N)`` reached by two
    independent random initializations (about 0.50 at ``d = N = 64``).

    An estimated ``C`` (``R`` pooled rows) overstates ``|C|_F^2`` by about
    ``(|C|_F^2 + (tr C)^2) / R``; with ``pooled=R`` that bias is removed first,
    ``|C|_F^2 ≈ (|C_hat|_F^2 - (tr C_hat)^2 / R) / (1 + 1/R)``.

    Args:
        C: ``[d, d]`` covariance (finite real floating, square).
        rows: ``N``, the rows per estimate (>= 1).
        pooled: the number of rows ``C`` was estimated from (>= 2), or ``None`` for an exact ``C``.

    Returns:
        a scalar tensor (at most 1).
    """
    if isinstance(C, torch.Tensor) and (C.ndim != 2 or C.shape[0] != C.shape[1]):
        raise ValueError(f"C must be a square matrix [d, d], got {C.shape!r}")
    C = check_tensor("C", C, "d d")
    rows = check_int("rows", rows, minimum=1)
    t2 = torch.trace(C) ** 2
    f2 = C.pow(2).sum()
    if pooled is not None:
        pooled = check_int("pooled", pooled, minimum=2)
        f2 = (f2 - t2 / pooled) / (1 + 1 / pooled)
    return f2 / (f2 * (1 + 1 / rows) + t2 / rows)


def half_cosines(weights: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Covariance agreement of half-layers, within one network and between networks.

    Each member's ``N`` rows are split into halves ``a`` (the first ``N // 2``) and ``b`` (the
    next ``N // 2``); ``C_a = W_a^T W_a / (N/2)``. If the rows of every network were i.i.d.
    samples of one distribution, the cosine of ``C_a`` and ``C_b`` of the same member
    (*within*) and of ``C_a`` of member ``m`` with ``C_b`` of member ``m + 1`` (cyclically,
    *between*) would have the same expectation; *within* < *between* means the rows of one network are not independent
    (they repel: together they cover the distribution more evenly than independent draws).

    Args:
        weights: ``[M, N, d]`` with ``M >= 2`` members and ``N >= 2`` rows each, all in one
            (aligned) input basis.

    Returns:
        ``(within [M], between [M])``.
    """
    if isinstance(weights, torch.Tensor) and (weights.ndim != 3 or weights.shape[0] < 2 or weights.shape[1] < 2):
        raise ValueError(f"weights must be a tensor [M, N, d] with M >= 2 and N >= 2, got {tuple(weights.shape)}")
    weights = check_tensor("weights", weights, "M N d")
    if weights.shape[0] < 2 or weights.shape[1] < 2:
        raise ValueError(f"weights must be a tensor [M, N, d] with M >= 2 and N >= 2, got {tuple(weights.shape)}")
    h = weights.shape[1] // 2
    a, b = weights[:, :h], weights[:, h:2 * h]
    Ca, Cb = a.transpose(1, 2) @ a / h, b.transpose(1, 2) @ b / h
    return matrix_cosine(Ca, Cb), matrix_cosine(Ca, Cb.roll(-1, 0))


def marchenko_pastur_edges(ratio: float, variance: float) -> tuple[float, float]:
    """Support ``[sigma^2 (1 - sqrt(r))^2, sigma^2 (1 + sqrt(r))^2]`` of the Marchenko–Pastur bulk."""
    ratio = check_real("ratio", ratio, low=0.0, low_open=True)
    variance = check_real("variance", variance, low=0.0, low_open=True)
    s = math.sqrt(ratio)
    return variance * (1 - s) ** 2, variance * (1 + s) ** 2


def marchenko_pastur(
    ratio: float, variance: float, x: np.ndarray | None = None, points: int = 400,
) -> tuple[np.ndarray, np.ndarray]:
    """Marchenko–Pastur density of the eigenvalues of ``W^T W / N`` for i.i.d. entries.

    For ``W`` of shape ``[N, d]`` with i.i.d. entries of mean 0 and variance ``sigma^2`` and
    ``d / N -> ratio``, the eigenvalue distribution of the ``d x d`` matrix ``W^T W / N`` has
    density ``sqrt((b - x)(x - a)) / (2 pi sigma^2 ratio x)`` on ``[a, b]`` (see
    :func:`marchenko_pastur_edges`), plus an atom of mass ``1 - 1/ratio`` at 0 when ``ratio > 1``
    (not included in the returned density, which then integrates to ``1 / ratio``).

    Args:
        ratio: ``d / N`` (> 0). variance: ``sigma^2`` (> 0).
        x: where to evaluate (default: ``points`` points spanning the support): any array of
            finite real numbers (a list or tensor is converted to a float64 numpy array).
        points: number of default points (>= 2).

    Returns:
        ``(x, density)`` as numpy arrays.
    """
    lo, hi = marchenko_pastur_edges(ratio, variance)
    if x is None:
        points = check_int("points", points, minimum=2)
        x = np.linspace(lo, hi, points)
    x = check_real_array("x", x)
    inside = (x > lo) & (x < hi)
    dens = np.zeros_like(x)
    xi = x[inside]
    dens[inside] = np.sqrt((hi - xi) * (xi - lo)) / (2 * np.pi * variance * ratio * xi)
    return x, dens
