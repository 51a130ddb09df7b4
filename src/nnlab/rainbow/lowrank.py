"""Low-rank clipping: keep only a layer's top principal weight directions.

The rainbow paper reports that a trained layer's weight covariance ``C = W^T W / N`` is
effectively low-rank: projecting the weights onto its top ``k`` eigenvectors,
``W -> W V_k V_k^T``, keeps most of the accuracy for ``k`` much smaller than the input size
(Guth et al. 2023, arXiv 2305.18512; the ``clip`` of the reference code's tutorial).
"""

from __future__ import annotations

import torch

from ..validation import check_int, check_tensor

__all__ = ["clip"]


@torch.no_grad()
def clip(weights: torch.Tensor, rank: int, random_basis: torch.Generator | None = None) -> torch.Tensor:
    """Project every member's rows onto the top-``rank`` eigenvectors of its own ``W^T W``.

    Args:
        weights: ``[M, N, d]`` (member, neuron, input) or ``[N, d]``.
        rank: ``k`` in ``1..d``; ``k = d`` returns the weights unchanged (up to rounding).
        random_basis: the control: with a CPU generator, project instead onto a uniformly random
            ``k``-dimensional subspace (one per member), drawn from it.

    Returns:
        ``W V_k V_k^T``, same shape as ``weights``, with ``V_k`` the ``[d, k]`` top eigenvectors
        of ``W^T W`` (per member).

    Raises:
        ValueError: unless ``weights`` is a finite non-empty real floating tensor of 2 or 3
            dimensions, ``rank`` an integer in ``1..d`` and ``random_basis`` a generator or None.
    """
    if isinstance(weights, torch.Tensor) and weights.ndim not in (2, 3):
        raise ValueError(f"weights must be a tensor of shape [N, d] or [M, N, d], got {tuple(weights.shape)}")
    weights = check_tensor("weights", weights)
    if weights.ndim not in (2, 3):
        raise ValueError(f"weights must be a tensor of shape [N, d] or [M, N, d], got {tuple(weights.shape)}")
    rank = check_int("rank", rank, minimum=1, maximum=weights.shape[-1])
    if random_basis is not None and not isinstance(random_basis, torch.Generator):
        raise ValueError(f"random_basis must be a torch.Generator or None, got {random_basis!r}")
    if random_basis is None:
        _, V = torch.linalg.eigh(weights.transpose(-1, -2) @ weights)  # ascending eigenvalues
        Vk = V[..., -rank:]
    else:
        d = weights.shape[-1]
        G = torch.randn(*weights.shape[:-2], d, rank, generator=random_basis, dtype=weights.dtype)
        Vk = torch.linalg.qr(G).Q.to(weights.device)  # orthonormal [..., d, k], uniformly distributed span
    return weights @ Vk @ Vk.transpose(-1, -2)
