"""Small linear-algebra helpers shared by several chapters."""

from __future__ import annotations

import torch

from .validation import check_real, check_tensor

__all__ = ["psd_power"]


def psd_power(G: torch.Tensor, alpha: float) -> torch.Tensor:
    """The power ``G^alpha`` of a symmetric positive semi-definite matrix.

    ``G^alpha = V diag(max(lambda, 0)^alpha) V^T`` from the eigendecomposition
    ``(G + G^T)/2 = V diag(lambda) V^T``, computed in float64 and returned in ``G``'s dtype.
    Eigenvalues below zero (round-off) are clipped to zero, so rank-deficient matrices (a
    covariance with a constant input pixel) work where a Cholesky factor would fail.

    Args:
        G: a symmetric positive semi-definite matrix ``[d, d]``.
        alpha: the power (> 0); ``1/2`` is the symmetric matrix square root.

    Returns:
        ``[d, d]``, symmetric positive semi-definite.
    """
    if not isinstance(G, torch.Tensor) or G.ndim != 2 or G.shape[0] != G.shape[1]:
        shape = tuple(G.shape) if isinstance(G, torch.Tensor) else type(G).__name__
        raise ValueError(f"G must be a square matrix [d, d], got {shape}")
    G = check_tensor("G", G)  # floating, finite, non-empty
    alpha = check_real("alpha", alpha, low=0.0, low_open=True)
    vals, vecs = torch.linalg.eigh(((G + G.T) / 2).double())
    return ((vecs * vals.clamp_min(0) ** alpha) @ vecs.T).to(G.dtype)
