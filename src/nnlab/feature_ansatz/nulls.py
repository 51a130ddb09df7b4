"""The rotation null of a trained MLP: every hidden layer's ansatz measures with ``W`` replaced by ``Q W``.

Keep the pre-activation gradient matrix ``G_p`` of a layer and replace its weight ``W`` by ``Q W``
with ``Q`` Haar-random orthogonal: ``W^T W`` is unchanged, the AGOP becomes
``W^T Q^T G_p Q W``. If ``G_p`` were isotropic (the reading in which ``W`` "drops out") the null
would change nothing; how far the measures fall is how much the trained ``W`` is aligned with
``G_p`` (see :mod:`nnlab.feature_ansatz.forms`).
"""

from __future__ import annotations

import torch
from torch import nn

from ..validation import check_int
from .agop import _check_matrix, _outer_mean
from .forms import haar_orthogonal, rotated_correlations
from .networks import layer_gradients, linear_layers

__all__ = ["NULL_MEASURES", "rotation_null"]

NULL_MEASURES = ("a=1", "a=1/2", "G_p vs W W^T", "top-r isotropy", "isotropy (range W)")


def _batched_isotropy(C: torch.Tensor) -> torch.Tensor:
    """``min_c ||C - c I||_F / ||C||_F`` for a batch ``[m, r, r]``: ``[m]``."""
    r = C.shape[-1]
    tr = torch.diagonal(C, dim1=1, dim2=2).sum(1)
    fro2 = (C ** 2).sum((1, 2))
    return (1 - tr ** 2 / (r * fro2)).clamp_min(0).sqrt()


def rotation_null(model: nn.Sequential, X: torch.Tensor, draws: int, generator: torch.Generator,
                  top: int = 2) -> dict[str, torch.Tensor]:
    """The ansatz measures of every hidden layer for the real ``W`` and for ``draws`` rotations ``Q W``.

    Measures (:data:`NULL_MEASURES`), for ``A = (QW)^T G_p (QW)``: ``"a=1"`` ``corr(W^T W, A)``,
    ``"a=1/2"`` ``corr(W^T W, A^(1/2))``, ``"G_p vs W W^T"`` ``corr(G_p, QW (QW)^T)`` (raw NFM,
    uncentred gradients), ``"top-r isotropy"`` the isotropy distance of ``G_p`` within the ``top``
    leading left singular vectors of ``QW``, ``"isotropy (range W)"`` the same within all of
    ``range(QW)`` (the power-1 form).

    Args:
        model: a plain MLP (:func:`nnlab.feature_ansatz.networks.linear_layers`).
        X: the inputs to average over ``[n, d]``.
        draws: number of rotations per layer (>= 1).
        generator: CPU generator for the rotations.
        top: the ``r`` of the top-r isotropy distance (>= 1).

    Returns:
        ``{measure: [hidden layers, 1 + draws]}`` (float64, CPU; computed on the model's device);
        column 0 is the real layer (``Q = I``), the others the null.

    Raises:
        ValueError: for an ``X`` as in :func:`~nnlab.feature_ansatz.networks.layer_gradients`,
            ``draws`` or ``top`` below 1, ``top`` above a layer's rank, or a ``generator`` that is
            not a ``torch.Generator``.
    """
    linears = linear_layers(model)
    X = _check_matrix("X", X, spec="n d")
    draws = check_int("draws", draws, minimum=1)
    top = check_int("top", top, minimum=1, maximum=min(min(m.weight.shape) for m in linears[:-1]))
    if not isinstance(generator, torch.Generator):
        raise ValueError(f"generator must be a torch.Generator, got {generator!r}")
    _, pre = layer_gradients(model, X)
    out: dict[str, list[torch.Tensor]] = {m: [] for m in NULL_MEASURES}
    for layer in range(len(linears) - 1):
        W = linears[layer].weight.detach().double()
        G = _outer_mean(pre[layer]).double()
        k = W.shape[0]
        Q = torch.cat([torch.eye(k, dtype=torch.float64)[None], haar_orthogonal(k, draws, generator)]).to(W.device)
        for name, value in rotated_correlations(G, W, Q).items():
            out[name].append(value.cpu())
        U, s, _ = torch.linalg.svd(W, full_matrices=False)
        U = Q @ U[:, s > 1e-6 * s.max()]  # left singular vectors of Q W
        C = U.transpose(1, 2) @ G @ U
        out["top-r isotropy"].append(_batched_isotropy(C[:, :top, :top]).cpu())
        out["isotropy (range W)"].append(_batched_isotropy(C).cpu())
    return {name: torch.stack(values) for name, values in out.items()}
