"""Training dynamics: is a trained layer a linear map of its initialization, ``W_t ≈ W_0 T``?

The rainbow slides report that during training each neuron's weight vector moves as a common
linear transformation of its initial value, ``w_i(t) ≈ T_t^T w_i(0)`` for all ``i`` (so that the
weight covariance evolves as ``C_t = T_t^T C_0 T_t``). A linear map ``T`` (``d x d``) fitted on
``N`` rows always explains some of ``N x d`` numbers; the test is whether ``T`` fitted on half
of the neurons predicts the other half.
"""

from __future__ import annotations

import torch

from ..validation import check_bool, check_tensor

__all__ = ["linear_map_explained"]


@torch.no_grad()
def linear_map_explained(W0: torch.Tensor, Wt: torch.Tensor, shared: bool = True,
                         generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Fraction of the weight change explained by ``W_t ≈ W_0 T``, on held-out neurons.

    The neurons (rows) are split in two random halves ``a`` and ``b`` (the same split for every
    member); ``T = argmin |W_t[a] - W_0[a] T|_F`` (least squares; with ``shared=True`` one ``T``
    for all members, fitted on the half ``a`` of every member, as the rainbow model predicts when
    the layer's input basis is common, e.g. pixels) and, on the other half,

    ``explained = 1 - |W_t[b] - W_0[b] T|^2 / |W_t[b] - W_0[b]|^2``

    (``T = I`` gives 0). The null keeps everything but pairs each row of ``W_t - W_0`` with the
    initial weights of another neuron (a random permutation), so that only a structure of the
    change common to all neurons, not a function of each neuron's own initialization, is left.

    Args:
        W0: ``[M, N, d]`` initial weights. Wt: ``[M, N, d]`` trained weights (same neurons).
        shared: fit one ``T`` for all members (else one per member).
        generator: CPU generator for the split and the permutation.

    Returns:
        ``(explained, null, of_trained)``, each ``[M]``: the fraction of the change, its null, and
        the fraction of the trained weights themselves, ``1 - |W_t[b] - W_0[b] T|^2 / |W_t[b]|^2``
        (inflated by the part ``W_0`` that training left in place).

    Raises:
        ValueError: unless both are finite real floating ``[M, N, d]`` tensors of one shape with
            ``N >= 2 d + 2`` (each half must over-determine ``T``), ``shared`` is not a bool, or
            ``generator`` is not a ``torch.Generator``.
    """
    dims: dict[str, int] = {}
    W0 = check_tensor("W0", W0, "M N d", dims=dims)
    Wt = check_tensor("Wt", Wt, "M N d", dims=dims, dtype=W0.dtype)
    _, N, d = W0.shape
    if N < 2 * d + 2:
        raise ValueError(f"W0 must have at least 2 d + 2 = {2 * d + 2} rows (neurons) for a held-out fit, got {N}")
    shared = check_bool("shared", shared)
    if generator is not None and not isinstance(generator, torch.Generator):
        raise ValueError(f"generator must be a torch.Generator or None, got {generator!r}")
    perm = torch.randperm(N, generator=generator).to(W0.device)
    a, b = perm[: N // 2], perm[N // 2:]
    shuffle = torch.randperm(N, generator=generator).to(W0.device)

    def score(Wt_: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if shared:
            T = torch.linalg.lstsq(W0[:, a].reshape(-1, d), Wt_[:, a].reshape(-1, d)).solution  # [d, d]
        else:
            T = torch.linalg.lstsq(W0[:, a], Wt_[:, a]).solution  # [M, d, d]
        res = (Wt_[:, b] - W0[:, b] @ T).pow(2).sum((-1, -2))
        return 1 - res / (Wt_[:, b] - W0[:, b]).pow(2).sum((-1, -2)), 1 - res / Wt_[:, b].pow(2).sum((-1, -2))

    (explained, of_trained), (null, _) = score(Wt), score(W0 + (Wt - W0)[:, shuffle])
    return explained, null, of_trained
