"""Sparse synthetic features with importance weights (Elhage et al. 2022, "Toy Models of Superposition").

Each feature is ``x_i ~ U[0, 1]`` with probability ``1 - S`` and ``0`` otherwise (``S`` is the
sparsity); feature ``i`` has importance ``I_i = decay**i``.
"""

from __future__ import annotations

import torch

from ..validation import check_bool, check_int, check_real, check_tensor

__all__ = ["importance", "sparse_features", "check_sparsity"]


def check_sparsity(sparsity: float | torch.Tensor, name: str = "sparsity") -> float | torch.Tensor:
    """Return ``sparsity`` (a number or a 1-D float tensor) after checking that it lies in ``[0, 1]``.

    ``name`` is the argument's name in the message. A tensor must be real floating, non-empty,
    1-D and free of NaN (a 0-d tensor is rejected: pass a number for one sparsity).
    """
    if isinstance(sparsity, torch.Tensor):
        if sparsity.ndim != 1:
            raise ValueError(f"{name} must be a number or a non-empty 1-D float tensor, got shape "
                             f"{tuple(sparsity.shape)}")
        check_tensor(name, sparsity, "I", finite=False)  # dtype and emptiness; the range check below covers NaN
        bad = ~((sparsity >= 0) & (sparsity <= 1))
        if bool(bad.any()):
            raise ValueError(f"{name} must lie in [0, 1], got {float(sparsity[bad][0])}")
        return sparsity
    return check_real(name, sparsity, low=0.0, high=1.0)


def importance(d_in: int, decay: float = 0.9) -> torch.Tensor:
    """Importance weights ``I_i = decay**i``, ``i = 0..d_in-1``: shape ``[d_in]``.

    Args:
        d_in: number of features ``n`` (>= 1).
        decay: ratio between consecutive importances, in ``(0, 1]``.

    Returns:
        Tensor ``[d_in]`` (float32), ``[1, decay, decay**2, ...]``.
    """
    d_in = check_int("d_in", d_in, minimum=1)
    decay = check_real("decay", decay, low=0.0, high=1.0, low_open=True)
    return decay ** torch.arange(d_in, dtype=torch.float32)


def sparse_features(
    batch: int,
    d_in: int,
    sparsity: float | torch.Tensor,
    generator: torch.Generator | None = None,
    *,
    shared: bool = True,
) -> torch.Tensor:
    """Draw sparse features ``x = u * [r >= S]`` with ``u, r ~ U[0, 1]``.

    Each feature is non-zero with probability ``1 - S`` and then uniform on ``[0, 1]``.

    Args:
        batch: number of samples (>= 1).
        d_in: number of features ``n`` (>= 1).
        sparsity: ``S`` in ``[0, 1]``: a number, or a 1-D tensor ``[I]`` with one sparsity per
            model instance.
        generator: CPU generator (the draw happens on the CPU; move the result to the device).
        shared: with a tensor ``sparsity``, use one draw of ``u, r`` ``[batch, n]`` for all
            instances (instance ``k`` keeps the features with ``r >= S_k``: cheap, and instances
            at the same sparsity see the same data); ``False`` draws independently per instance.

    Returns:
        ``[batch, d_in]`` for a number ``sparsity``; ``[I, batch, d_in]`` (the per-member layout
        of :mod:`nnlab.members`) for a tensor. The tensor's device is ``sparsity``'s device when
        it is a tensor.
    """
    batch = check_int("batch", batch, minimum=1)
    d_in = check_int("d_in", d_in, minimum=1)
    sparsity = check_sparsity(sparsity)
    check_bool("shared", shared)
    if not isinstance(sparsity, torch.Tensor):
        u = torch.rand(batch, d_in, generator=generator)
        r = torch.rand(batch, d_in, generator=generator)
        return u * (r >= sparsity)
    n_inst = sparsity.shape[0]
    shape = (batch, 1, d_in) if shared else (batch, n_inst, d_in)
    # drawn sample-major, then viewed member-major: the same numbers as a [batch, I, n] draw
    u = torch.rand(shape, generator=generator).transpose(0, 1).to(sparsity.device)
    r = torch.rand(shape, generator=generator).transpose(0, 1).to(sparsity.device)
    return u * (r >= sparsity.to(u.dtype)[:, None, None])
