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
from ..validation import check_bool, check_int, check_real, check_tensor

__all__ = ["agop", "jacobians", "outer_mean", "nfm", "matrix_correlation", "psd_power", "ansatz_correlation"]


def _check_matrix(name: str, value: object, square: bool = False, *, spec: str | None = None) -> torch.Tensor:
    """``value`` as a real floating, finite, non-empty matrix (square with ``square``).

    ``spec`` is the shape spec of :func:`nnlab.validation.check_tensor` (default ``"rows cols"``,
    ``"d d"`` with ``square``; fixed sizes such as ``"4 3"`` pin the shape). A list or a numpy
    array is converted to a tensor.
    """
    if isinstance(value, torch.Tensor) and value.ndim != 2:
        raise ValueError(f"{name} must be a 2-d tensor, got shape {tuple(value.shape)}")
    if square and isinstance(value, torch.Tensor) and value.shape[0] != value.shape[1]:
        raise ValueError(f"{name} must be a square matrix, got shape {tuple(value.shape)}")
    spec = spec or ("d d" if square else "rows cols")
    return check_tensor(name, value, spec)


def jacobians(fn: Callable[[torch.Tensor], torch.Tensor], X: torch.Tensor, chunk: int = 4096) -> torch.Tensor:
    """Per-sample Jacobians of ``fn`` at every row of ``X``, with ``torch.func`` (``vmap(jacrev)``).

    Args:
        fn: maps one input ``[d]`` to a scalar or a vector ``[c]``.
        X: inputs ``[n, d]``.
        chunk: samples per ``vmap`` call (bounds the memory).

    Returns:
        ``[n, c, d]`` (``c = 1`` for a scalar ``fn``).

    Raises:
        ValueError: for an ``X`` that is not a finite non-empty real floating matrix (a list or
            numpy array is converted), a non-callable ``fn`` or a ``chunk`` below 1.
    """
    X = _check_matrix("X", X, spec="n d")
    if not callable(fn):
        raise ValueError(f"fn must be callable, got {fn!r}")
    chunk = check_int("chunk", chunk, minimum=1)

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
    X = _check_matrix("X", X, spec="n d")
    check_bool("centered", centered)
    return _outer_mean(jacobians(fn, X), centered)


def outer_mean(J: torch.Tensor, centered: bool = False) -> torch.Tensor:
    """``(1/n) sum_i J_i^T J_i`` of stacked Jacobians ``J`` ``[n, c, d]`` (optionally mean-centred).

    ``J`` must be a finite non-empty real floating tensor (a list or numpy array is converted).
    """
    J = check_tensor("J", J, "n c d")
    check_bool("centered", centered)
    return _outer_mean(J, centered)


def _outer_mean(J: torch.Tensor, centered: bool = False) -> torch.Tensor:
    """:func:`outer_mean` without the argument checks (for Jacobians computed here)."""
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

    Raises:
        ValueError: unless ``W`` (and ``W0``) are finite non-empty real floating matrices (lists
            and numpy arrays are converted), ``W0`` of the shape of ``W``.
    """
    W = _check_matrix("W", W, spec="k d")
    if W0 is not None:
        if isinstance(W0, torch.Tensor) and W0.ndim == 2 and W0.shape != W.shape:
            raise ValueError(f"W0 must have the shape of W {tuple(W.shape)}, got {tuple(W0.shape)}")
        W0 = _check_matrix("W0", W0, spec=f"{W.shape[0]} {W.shape[1]}")
    return _nfm(W, W0)


def _nfm(W: torch.Tensor, W0: torch.Tensor | None = None) -> torch.Tensor:
    """:func:`nfm` without the argument checks."""
    if W0 is not None:
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

    Raises:
        ValueError: unless ``A`` and ``B`` are finite non-empty real floating matrices of one
            shape (lists and numpy arrays are converted), or when one of them is constant.
    """
    A = _check_matrix("A", A, spec="p q")
    if isinstance(B, torch.Tensor) and B.ndim == 2 and B.shape != A.shape:
        raise ValueError(f"A and B must have the same shape, got {tuple(A.shape)} and {tuple(B.shape)}")
    B = _check_matrix("B", B, spec=f"{A.shape[0]} {A.shape[1]}")
    return _matrix_correlation(A, B)


def _matrix_correlation(A: torch.Tensor, B: torch.Tensor) -> float:
    """:func:`matrix_correlation` without the argument checks (raises only for a constant matrix)."""
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

    Raises:
        ValueError: unless ``W``, ``G`` (and ``W0``) are finite non-empty real floating matrices of
            matching shapes and ``alpha > 0`` is finite.
    """
    W = _check_matrix("W", W, spec="k d")
    G = _check_matrix("G", G, square=True)
    if G.shape[0] != W.shape[1]:
        raise ValueError(f"G must be [d, d] with d = W.shape[1] = {W.shape[1]}, got {tuple(G.shape)}")
    alpha = check_real("alpha", alpha, low=0.0, low_open=True)
    return matrix_correlation(nfm(W, W0), psd_power(G, alpha))
