"""Average gradient outer products, neural feature matrices and the paper's matrix correlation.

The Deep Neural Feature Ansatz (Radhakrishnan, Beaglehole, Pandit & Belkin, Science 2024) states
that the neural feature matrix of a layer, ``W^T W``, is proportional to a power of the average
gradient outer product (AGOP) of the network with respect to that layer's input,
``W_l^T W_l ~ ((1/n) sum_x J_l(x)^T J_l(x))^alpha`` with ``alpha = 1/2`` (Science version) or
``alpha = 1`` (first arXiv version), and measures "proportional" with the cosine similarity of
the mean-subtracted matrix entries.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch.func import jacrev, vmap

from ..linalg import psd_power

__all__ = ["agop", "jacobians", "outer_mean", "nfm", "matrix_correlation", "psd_power", "ansatz_correlation"]


def _check_matrix(name: str, value: object, square: bool = False) -> torch.Tensor:
    if not isinstance(value, torch.Tensor) or value.ndim != 2:
        shape = tuple(value.shape) if isinstance(value, torch.Tensor) else type(value).__name__
        raise ValueError(f"{name} must be a 2-d tensor, got {shape}")
    if square and value.shape[0] != value.shape[1]:
        raise ValueError(f"{name} must be a square matrix, got shape {tuple(value.shape)}")
    return value


def jacobians(fn: Callable[[torch.Tensor], torch.Tensor], X: torch.Tensor, chunk: int = 4096) -> torch.Tensor:
    """Per-sample Jacobians of ``fn`` at every row of ``X``, with ``torch.func`` (``vmap(jacrev)``).

    Args:
        fn: maps one input ``[d]`` to a scalar or a vector ``[c]``.
        X: inputs ``[n, d]``.
        chunk: samples per ``vmap`` call (bounds the memory).

    Returns:
        ``[n, c, d]`` (``c = 1`` for a scalar ``fn``).
    """
    X = _check_matrix("X", X)
    if not callable(fn):
        raise ValueError(f"fn must be callable, got {fn!r}")
    if isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 1:
        raise ValueError(f"chunk must be a positive integer, got {chunk!r}")

    def vector_fn(x: torch.Tensor) -> torch.Tensor:
        return fn(x).reshape(-1)

    return vmap(jacrev(vector_fn), chunk_size=chunk)(X)


def agop(fn: Callable[[torch.Tensor], torch.Tensor], X: torch.Tensor, centered: bool = False) -> torch.Tensor:
    """Average gradient outer product ``G = (1/n) sum_x J(x)^T J(x)`` of ``fn`` over the rows of ``X``.

    For a vector-valued ``fn`` the outer products are summed over the outputs. With
    ``centered=True`` the mean Jacobian is subtracted first,
    ``G = (1/n) sum_x (J(x) - Jbar)^T (J(x) - Jbar)`` (the "centred" AGOP of the reference code).

    Args:
        fn: maps one input ``[d]`` to a scalar or a vector ``[c]``.
        X: inputs ``[n, d]``.
        centered: subtract the mean Jacobian before taking outer products.

    Returns:
        The symmetric positive semi-definite matrix ``[d, d]``.
    """
    X = _check_matrix("X", X)
    if not isinstance(centered, bool):
        raise ValueError(f"centered must be True or False, got {centered!r}")
    return outer_mean(jacobians(fn, X), centered)


def outer_mean(J: torch.Tensor, centered: bool = False) -> torch.Tensor:
    """``(1/n) sum_i J_i^T J_i`` of stacked Jacobians ``J`` ``[n, c, d]`` (optionally mean-centred)."""
    if not isinstance(J, torch.Tensor) or J.ndim != 3:
        raise ValueError(f"J must be a 3-d tensor [n, c, d], got {getattr(J, 'shape', type(J).__name__)}")
    if centered:
        J = J - J.mean(0, keepdim=True)
    return torch.einsum("ncd,nce->de", J, J) / J.shape[0]


def nfm(W: torch.Tensor, W0: torch.Tensor | None = None) -> torch.Tensor:
    """Neural feature matrix ``W^T W`` of a weight matrix ``W`` ``[k, d]``, or ``(W - W0)^T (W - W0)``.

    Args:
        W: weights ``[k, d]`` (``k`` output units, ``d`` inputs), as in ``nn.Linear.weight``.
        W0: the initial weights ``[k, d]``; when given, they are subtracted first (the paper's
            measurement).

    Returns:
        ``[d, d]``.
    """
    W = _check_matrix("W", W)
    if W0 is not None:
        W0 = _check_matrix("W0", W0)
        if W0.shape != W.shape:
            raise ValueError(f"W0 must have the shape of W {tuple(W.shape)}, got {tuple(W0.shape)}")
        W = W - W0
    return W.T @ W


def matrix_correlation(A: torch.Tensor, B: torch.Tensor) -> float:
    """The paper's correlation: cosine similarity of the mean-subtracted entries of ``A`` and ``B``.

    ``corr(A, B) = <A - mean(A), B - mean(B)> / (||A - mean(A)||_F ||B - mean(B)||_F)``, the
    Pearson correlation of the entries, computed in float64. It is invariant under
    ``A -> a A + b`` for ``a > 0``; it is 1 for ``B = c A`` with ``c > 0``.

    Args:
        A: a matrix ``[p, q]``.
        B: a matrix of the same shape.

    Returns:
        A float in ``[-1, 1]``.
    """
    A = _check_matrix("A", A)
    B = _check_matrix("B", B)
    if A.shape != B.shape:
        raise ValueError(f"A and B must have the same shape, got {tuple(A.shape)} and {tuple(B.shape)}")
    a = A.detach().double().flatten()
    b = B.detach().double().flatten().to(a.device)
    a, b = a - a.mean(), b - b.mean()
    denom = a.norm() * b.norm()
    if denom == 0:
        raise ValueError("A and B must not be constant matrices (their correlation is undefined)")
    return float((a @ b) / denom)


def ansatz_correlation(W: torch.Tensor, G: torch.Tensor, W0: torch.Tensor | None = None,
                       alpha: float = 0.5) -> float:
    """``corr(nfm(W, W0), G^alpha)``: how well a layer obeys the neural feature ansatz.

    Args:
        W: the layer's weights ``[k, d]``.
        G: the AGOP with respect to the layer's input ``[d, d]`` (centred or not).
        W0: initial weights to subtract (``None``: use ``W^T W`` itself).
        alpha: the power of the AGOP (``1/2`` in the Science paper).

    Returns:
        The matrix correlation, a float in ``[-1, 1]``.
    """
    W = _check_matrix("W", W)
    G = _check_matrix("G", G, square=True)
    if G.shape[0] != W.shape[1]:
        raise ValueError(f"G must be [d, d] with d = W.shape[1] = {W.shape[1]}, got {tuple(G.shape)}")
    return matrix_correlation(nfm(W, W0), psd_power(G, alpha))
