"""The two exact forms of the ansatz, the rotation null, and the top-r isotropy profile.

With ``p = W h`` and ``G_p = (1/n) sum_x grad_p f grad_p f^T`` the chain rule gives
``AGOP = W^T G_p W`` (:mod:`nnlab.feature_ansatz.networks`). Write ``W = U S V^T`` (thin SVD,
``U`` an orthonormal basis of ``range(W)``). Then

- power 1: ``W^T W ~ AGOP``  iff  ``U^T G_p U ~ I`` (isotropy within the range of ``W``);
- power 1/2: ``W^T W ~ AGOP^(1/2)``, i.e. ``(W^T W)^2 = W^T (W W^T) W ~ W^T G_p W``,
  iff ``U^T G_p U ~ S^2 = U^T W W^T U``; for a square invertible ``W`` this is ``G_p ~ W W^T``:
  the eigenvectors of ``G_p`` are the *left* singular vectors of ``W``.

Both residuals are sandwiched by ``S``: ``W^T R W = V S (U^T R U) S V^T``, so a relative residual
of the ansatz and the relative residual of its form differ by a factor in
``[cond(W)^-2, cond(W)^2]``, in either direction.

The *rotation null* keeps ``G_p`` and replaces ``W`` by ``Q W`` with ``Q`` Haar-random
orthogonal: ``(QW)^T (QW) = W^T W`` is unchanged, the sandwich becomes ``W^T Q^T G_p Q W``. If
``G_p`` were isotropic (``W`` "drops out") the null would change nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from ..validation import check_int, check_real, check_tensor
from .agop import _check_matrix

__all__ = ["haar_orthogonal", "rotated_correlations", "Forms", "exact_forms", "isotropy_profile",
           "balanced_linear"]


def haar_orthogonal(k: int, draws: int, generator: torch.Generator, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """``draws`` Haar-distributed orthogonal matrices ``[draws, k, k]`` (QR of a Gaussian, signs fixed).

    ``Q = QR(Z).Q * sign(diag(R))`` for ``Z`` with i.i.d. ``N(0, 1)`` entries (Mezzadri 2007), drawn
    on the CPU from ``generator``.

    Raises:
        ValueError: for ``k`` or ``draws`` below 1, a ``generator`` that is not a ``torch.Generator``
            or a ``dtype`` that is not floating.
    """
    k = check_int("k", k, minimum=1)
    draws = check_int("draws", draws, minimum=1)
    if not isinstance(generator, torch.Generator):
        raise ValueError(f"generator must be a torch.Generator, got {generator!r}")
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise ValueError(f"dtype must be a floating torch dtype, got {dtype!r}")
    Z = torch.randn(draws, k, k, generator=generator, dtype=torch.float64)
    Q, R = torch.linalg.qr(Z)
    signs = torch.sign(torch.diagonal(R, dim1=1, dim2=2))
    signs[signs == 0] = 1.0
    return (Q * signs[:, None, :]).to(dtype).contiguous()


def _batched_corr(A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
    """Matrix correlation (mean-subtracted cosine of the entries) of ``A`` and ``B`` ``[m, p, q]``: ``[m]``."""
    a = A.reshape(A.shape[0], -1)
    b = B.reshape(B.shape[0], -1)
    a = a - a.mean(1, keepdim=True)
    b = b - b.mean(1, keepdim=True)
    return (a * b).sum(1) / (a.norm(dim=1) * b.norm(dim=1))


def _batched_sqrt(A: torch.Tensor) -> torch.Tensor:
    vals, vecs = torch.linalg.eigh((A + A.transpose(1, 2)) / 2)
    return (vecs * vals.clamp_min(0).sqrt()[:, None, :]) @ vecs.transpose(1, 2)


def rotated_correlations(G: torch.Tensor, W: torch.Tensor, Q: torch.Tensor) -> dict[str, torch.Tensor]:
    """The raw ansatz correlations of a layer whose weight ``W`` is replaced by ``Q W``, ``G_p`` kept.

    For each ``Q_m`` ``[k, k]`` the sandwich ``A_m = W^T Q_m^T G Q_m W`` (the AGOP the layer would
    have) is compared with the unchanged ``W^T W``:

    - ``"a=1"``: ``corr(W^T W, A_m)``;
    - ``"a=1/2"``: ``corr(W^T W, A_m^(1/2))``;
    - ``"G_p vs W W^T"``: ``corr(G, Q_m W W^T Q_m^T)`` (the power-1/2 form).

    ``Q = I`` (``torch.eye(k)[None]``) gives the real layer's values; Haar ``Q``
    (:func:`haar_orthogonal`) the null. Computed in float64, batched over ``m``.

    Args:
        G: the pre-activation gradient matrix ``G_p`` ``[k, k]`` (symmetric PSD).
        W: the layer's weight ``[k, d]``.
        Q: orthogonal matrices ``[m, k, k]``.

    Returns:
        ``{name: [m]}`` for the three names above.

    Raises:
        ValueError: unless ``G``, ``W`` and ``Q`` are finite real floating tensors of matching
            sizes (``G`` square ``[k, k]``, ``W`` ``[k, d]``, ``Q`` ``[m, k, k]``).
    """
    G = _check_matrix("G", G, square=True)
    W = _check_matrix("W", W, spec=f"{G.shape[0]} d")
    if not isinstance(Q, torch.Tensor) or Q.ndim != 3 or Q.shape[1:] != G.shape:
        raise ValueError(f"Q must be [m, {G.shape[0]}, {G.shape[0]}] orthogonal matrices, got "
                         f"{getattr(Q, 'shape', type(Q).__name__)}")
    Q = check_tensor("Q", Q, "m k k")
    G, W, Q = G.detach().double(), W.detach().double().to(G.device), Q.detach().double().to(G.device)
    QW = Q @ W  # [m, k, d]
    A = QW.transpose(1, 2) @ G @ QW
    N = (W.T @ W).expand_as(A)
    return {"a=1": _batched_corr(N, A), "a=1/2": _batched_corr(N, _batched_sqrt(A)),
            "G_p vs W W^T": _batched_corr(G.expand(Q.shape[0], -1, -1), QW @ QW.transpose(1, 2))}


@dataclass
class Forms:
    """How far one layer is from each exact form of the ansatz (see :func:`exact_forms`).

    All distances are relative, ``min_c ||X - c Y||_F / ||X||_F`` (0: exact, 1: orthogonal).

    Attributes:
        iso: power-1 form, ``X = U^T G_p U``, ``Y = I`` (isotropy within ``range(W)``).
        wwt: power-1/2 form, ``X = U^T G_p U``, ``Y = S^2 = U^T W W^T U``.
        ansatz_1: the power-1 ansatz itself, ``X = AGOP = W^T G_p W``, ``Y = W^T W``.
        ansatz_half: the power-1/2 ansatz, ``X = AGOP``, ``Y = (W^T W)^2``.
        cond2: ``cond(W)^2 = s_max^2 / s_min^2`` over the kept singular values.
        ratio_1: ``ansatz_1 / iso``; it lies in ``[1 / cond2, cond2]``.
    """

    iso: float
    wwt: float
    ansatz_1: float
    ansatz_half: float
    cond2: float
    ratio_1: float


def _rel_distance(X: torch.Tensor, Y: torch.Tensor) -> float:
    """``min_c ||X - c Y||_F / ||X||_F = sqrt(1 - cos^2(X, Y))`` (Frobenius cosine, not mean-subtracted)."""
    cos = float((X * Y).sum()) / (float(X.norm()) * float(Y.norm()))
    return math.sqrt(max(0.0, 1.0 - cos ** 2))


def _range_basis(W: torch.Tensor, rtol: float) -> tuple[torch.Tensor, torch.Tensor]:
    U, s, _ = torch.linalg.svd(W, full_matrices=False)
    keep = s > rtol * s.max()
    return U[:, keep], s[keep]


def exact_forms(G: torch.Tensor, W: torch.Tensor, rtol: float = 1e-6) -> Forms:
    """The residual of each exact form of the ansatz for one layer (see :class:`Forms`).

    Args:
        G: ``G_p`` ``[k, k]`` (symmetric PSD, not zero). W: the layer's weight ``[k, d]``.
        rtol: singular values of ``W`` below ``rtol * s_max`` are dropped (``0 <= rtol < 1``).

    Returns:
        :class:`Forms`.

    Raises:
        ValueError: unless ``G`` and ``W`` are finite real floating matrices of matching sizes,
            ``W`` is not zero, and ``rtol`` lies in ``[0, 1)``.
    """
    G = _check_matrix("G", G, square=True)
    W = _check_matrix("W", W, spec=f"{G.shape[0]} d")
    rtol = check_real("rtol", rtol, low=0.0, high=1.0, high_open=True)
    G = G.detach().double()
    G = (G + G.T) / 2
    W = W.detach().double().to(G.device)
    if float(W.abs().max()) == 0:
        raise ValueError("W must not be the zero matrix")
    U, s = _range_basis(W, rtol)
    C = U.T @ G @ U
    if float(C.norm()) == 0:
        raise ValueError("G must not vanish on the range of W")
    iso = _rel_distance(C, torch.eye(C.shape[0], dtype=C.dtype, device=C.device))
    wwt = _rel_distance(C, torch.diag(s ** 2))
    A, N = W.T @ G @ W, W.T @ W
    ansatz_1, ansatz_half = _rel_distance(A, N), _rel_distance(A, N @ N)
    cond2 = float(s.max() / s.min()) ** 2
    return Forms(iso, wwt, ansatz_1, ansatz_half, cond2, ansatz_1 / iso if iso > 0 else math.nan)


def isotropy_profile(G: torch.Tensor, W: torch.Tensor, rtol: float = 1e-6) -> torch.Tensor:
    """Isotropy distance of ``G_p`` within the top-``r`` left singular subspace of ``W``, for every ``r``.

    ``profile[r - 1] = min_c ||U_r^T G U_r - c I_r||_F / ||U_r^T G U_r||_F`` with ``U_r`` the
    ``r`` leading left singular vectors of ``W`` (``r = 1 .. rank W``); ``profile[0] = 0`` always,
    and the last entry is the power-1 form of :func:`exact_forms`.

    Args:
        G: ``[k, k]`` symmetric PSD. W: ``[k, d]``. rtol: as in :func:`exact_forms`.

    Returns:
        float64 ``[rank W]`` on the CPU.

    Raises:
        ValueError: as :func:`exact_forms`.
    """
    G = _check_matrix("G", G, square=True)
    W = _check_matrix("W", W, spec=f"{G.shape[0]} d")
    rtol = check_real("rtol", rtol, low=0.0, high=1.0, high_open=True)
    G = G.detach().double()
    W = W.detach().double().to(G.device)
    if float(W.abs().max()) == 0:
        raise ValueError("W must not be the zero matrix")
    U, _ = _range_basis(W, rtol)
    C = U.T @ ((G + G.T) / 2) @ U
    r = torch.arange(1, C.shape[0] + 1, dtype=C.dtype, device=C.device)
    # leading principal blocks: traces and squared Frobenius norms by cumulative sums
    diag_cum = torch.cumsum(C.diagonal(), 0)
    T = C ** 2
    fro2 = torch.cumsum(2 * torch.triu(T, 1).sum(0) + T.diagonal(), 0)
    ratio = torch.where(fro2 > 0, diag_cum ** 2 / (r * fro2.clamp_min(1e-300)), torch.ones_like(fro2))
    return (1 - ratio).clamp_min(0).sqrt().cpu()


def balanced_linear(d_in: int, width: int, outputs: int, generator: torch.Generator,
                    scale: float = 0.1) -> nn.Sequential:
    """A two-layer linear network ``f(x) = A W x`` with balanced initialization ``W W^T = A^T A``.

    ``A`` ``[outputs, width]`` has i.i.d. ``N(0, scale^2 / width)`` entries; with its thin SVD
    ``A = P S R^T`` the first layer is ``W = R S O^T``, ``O`` a random orthonormal ``[d_in, outputs]``
    frame, so ``W W^T = R S^2 R^T = A^T A``. Gradient flow conserves ``W W^T - A^T A``, and the
    pre-activation gradients are the rows of ``A``, ``G_p = A^T A``: the power-1/2 form
    ``G_p = W W^T`` holds at all times.

    Args:
        d_in: input dimension (>= outputs). width: hidden units (>= outputs). outputs: ``c >= 1``.
        generator: CPU generator. scale: the size of the initialization (> 0).

    Returns:
        ``nn.Sequential(Linear(d_in, width), Identity(), Linear(width, outputs))``, bias-free, float32.

    Raises:
        ValueError: for sizes below 1, ``d_in`` or ``width`` below ``outputs``, a non-positive or
            non-finite ``scale``, or a ``generator`` that is not a ``torch.Generator``.
    """
    outputs = check_int("outputs", outputs, minimum=1)
    d_in = check_int("d_in", d_in, minimum=outputs)
    width = check_int("width", width, minimum=outputs)
    scale = check_real("scale", scale, low=0.0, low_open=True)
    if not isinstance(generator, torch.Generator):
        raise ValueError(f"generator must be a torch.Generator, got {generator!r}")
    A = torch.randn(outputs, width, generator=generator, dtype=torch.float64) * scale / math.sqrt(width)
    O = torch.linalg.qr(torch.randn(d_in, outputs, generator=generator, dtype=torch.float64))[0]
    _, S, Rt = torch.linalg.svd(A, full_matrices=False)  # A = P diag(S) Rt, Rt [outputs, width]
    W = Rt.T @ torch.diag(S) @ O.T
    first = nn.utils.skip_init(nn.Linear, d_in, width, bias=False)  # set below
    second = nn.utils.skip_init(nn.Linear, width, outputs, bias=False)
    with torch.no_grad():
        first.weight.copy_(W.float())
        second.weight.copy_(A.float())
    return nn.Sequential(first, nn.Identity(), second)
