"""Gaussian rainbow networks: new networks whose weights are drawn from learned covariances.

Given covariances ``C_l`` of every hidden layer, expressed in the activation basis of a
reference network, a Gaussian rainbow network is built layer by layer (Guth et al. 2023,
arXiv 2305.18512, section 4):

1. draw the rows of ``W_1`` i.i.d. from ``N(0, C_1)``; compute ``phi_1`` on the data;
2. align: ``A_1 phi_1 ≈ phi_1(ref)`` (:func:`~nnlab.rainbow.alignment.align`);
3. draw rows ``w ~ N(0, C_2)`` in the reference basis and use them in the new basis,
   ``W_2 = Z A_1`` (rows of covariance ``A_1^T C_2 A_1``); and so on;
4. keep the reference's last layer, realigned: ``W_L = W_L(ref) A_{L-1}``.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from ..linalg import psd_power
from ..training import Ensemble
from ..validation import check_int, check_tensor
from .alignment import _align, _mlp_sizes

__all__ = ["resample"]


@torch.no_grad()
def resample(
    model: Ensemble,
    covariances: Sequence[torch.Tensor],
    reference: int,
    X: torch.Tensor,
    *,
    draws: int = 1,
    widths: Sequence[int] | None = None,
    generator: torch.Generator | None = None,
) -> Ensemble:
    """Gaussian rainbow networks resampled from the hidden-layer covariances of a trained ensemble.

    Args:
        model: the trained ensemble; member ``reference`` defines the activation basis in which
            ``covariances`` are expressed, and its last layer is kept (realigned).
        covariances: one ``[N_{l-1}, N_{l-1}]`` matrix per hidden layer ``l = 1..L-1`` (layer 1
            in input coordinates, layer ``l`` in the reference's ``phi_{l-1}`` basis), e.g.
            :func:`~nnlab.rainbow.covariance.weight_covariance` of aligned weights.
        reference: index of the reference member.
        X: alignment inputs ``[n, d]`` (training data).
        draws: number of rainbow networks drawn (one batched model).
        widths: hidden widths of the new networks (default: those of ``model``).
        generator: CPU generator for the Gaussian draws.

    Returns:
        A :class:`~nnlab.training.Ensemble` with ``draws`` members and sizes
        ``[d, *widths, N_L]``.

    Raises:
        ValueError: for bad arguments, before any draw: ``model`` not an ensemble of plain MLPs,
            covariances that are not finite real floating matrices of the layers' input sizes,
            an ``X`` that is not a finite non-empty real floating ``[n, d]`` tensor (a list or
            numpy array is converted, and ``X`` is cast to the ensemble's dtype), bad counts or widths,
            or a ``generator`` that is not a ``torch.Generator``.
    """
    sizes = _mlp_sizes(model)
    reference = check_int("reference", reference, minimum=0, maximum=model.members - 1)
    draws = check_int("draws", draws, minimum=1)
    n_hidden = len(sizes) - 2
    if n_hidden < 1:
        raise ValueError(f"model must have at least one hidden layer, got sizes {sizes}")
    covariances = list(covariances)
    if len(covariances) != n_hidden:
        raise ValueError(f"covariances must hold {n_hidden} matrices (one per hidden layer), got {len(covariances)}")
    for l, C in enumerate(covariances):
        if not isinstance(C, torch.Tensor) or tuple(C.shape) != (sizes[l], sizes[l]):
            raise ValueError(
                f"covariances[{l}] must have shape [{sizes[l]}, {sizes[l]}] (the input size of layer {l + 1}), "
                f"got {getattr(C, 'shape', C)!r}"
            )
        check_tensor(f"covariances[{l}]", C)
    widths = sizes[1:-1] if widths is None else [check_int(f"widths[{i}]", w, minimum=1) for i, w in enumerate(widths)]
    if len(widths) != n_hidden:
        raise ValueError(f"widths must list {n_hidden} hidden widths, got {list(widths)}")
    if isinstance(X, torch.Tensor) and (X.ndim != 2 or X.shape[1] != sizes[0]):
        raise ValueError(f"X must have shape [n, {sizes[0]}], got {tuple(X.shape)}")
    X = check_tensor("X", X, ("n", sizes[0]), dtype=model.weights[0].dtype)
    if generator is not None and not isinstance(generator, torch.Generator):
        raise ValueError(f"generator must be a torch.Generator or None, got {generator!r}")

    device, dtype = X.device, model.weights[0].dtype  # draws in the ensemble's float dtype
    ref = model.select([reference])
    phi_ref = [h[0] for h in ref.hidden(X)]  # [n, N_l(ref)]
    weights: list[torch.Tensor] = []
    h = X
    A = None  # maps the new network's input basis to the reference's; identity for the pixels
    for l, C in enumerate(covariances):
        root = psd_power(C.detach().cpu().to(dtype), 0.5)
        Z = torch.randn(draws, widths[l], C.shape[0], generator=generator, dtype=dtype) @ root  # rows ~ N(0, C)
        Z = Z.to(device)
        W = Z if A is None else Z @ A  # [R, N'_l, N'_{l-1}]
        weights.append(W)
        h = torch.relu(torch.matmul(h, W.transpose(1, 2)))  # [R, n, N'_l]
        A, _ = _align(phi_ref[l], h)  # [R, N_l(ref), N'_l]
    weights.append(ref.weights[-1].detach() @ A)  # [1, C, N(ref)] @ [R, N(ref), N'] -> [R, C, N']
    return Ensemble.from_layers(weights)
