"""How the toy model stores features: dimensions per feature, per-feature dimensionality, encoding types.

Elhage et al. (2022): ``D* = m / ||W||_F^2`` (dimensions per feature) and
``D_i = ||W_i||^2 / sum_j (W_i_hat . W_j)^2`` (the fraction of a dimension that feature ``i`` owns).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from ..validation import check_real, check_tensor

__all__ = ["dims_per_feature", "feature_dimensionality", "Encoding", "classify_encoding", "ENCODINGS"]

ENCODINGS = ("orthogonal", "antipodal pair + 1", "two antipodal pairs", "pentagon", "other")


def _as_batched(W: torch.Tensor) -> tuple[torch.Tensor, bool]:
    """``(W [I, m, n], single)``: ``W`` checked (real floating, finite, non-empty) and batched."""
    W = check_tensor("W", W)
    if W.ndim not in (2, 3):
        raise ValueError(f"W must be a tensor [m, n] or [I, m, n], got shape {tuple(W.shape)}")
    return (W[None] if W.ndim == 2 else W).detach(), W.ndim == 2


def dims_per_feature(W: torch.Tensor) -> torch.Tensor:
    """Dimensions per feature ``D* = m / ||W||_F^2`` for each instance.

    Args:
        W: weights ``[m, n]`` or ``[I, m, n]`` (feature ``i`` is column ``W[:, i]``); here and in
            the other functions of this module a real floating, finite, non-empty tensor (a
            list or array is converted).

    Returns:
        ``[I]`` (a 0-d tensor for ``[m, n]``). Two orthogonal unit features in ``m = 2`` give 1,
        five unit features give 0.4.
    """
    Wb, single = _as_batched(W)
    d = Wb.shape[1] / (Wb**2).sum((1, 2))
    return d[0] if single else d


def feature_dimensionality(W: torch.Tensor, eps: float = 1e-12) -> torch.Tensor:
    """Per-feature dimensionality ``D_i = ||W_i||^2 / sum_j (W_i_hat . W_j)^2``.

    Scale-free: 1 for a feature with a dimension of its own, 1/2 for an antipodal pair,
    ``m/k`` for ``k`` features on a regular polygon in ``m = 2`` (2/5 for a pentagon), 0 for an
    unrepresented feature.

    Args:
        W: weights ``[m, n]`` or ``[I, m, n]``.
        eps: norms below ``eps`` count as zero (``D_i = 0``).

    Returns:
        ``[n]`` or ``[I, n]``.
    """
    eps = check_real("eps", eps, low=0.0, low_open=True)
    Wb, single = _as_batched(W)
    norms = Wb.norm(dim=1)  # [I, n]
    unit = Wb / norms.clamp_min(eps)[:, None, :]
    overlap = torch.bmm(unit.transpose(1, 2), Wb)  # [I, n, n]: W_i_hat . W_j
    denom = (overlap**2).sum(-1)  # [I, n]
    d = torch.where(norms > eps, norms**2 / denom.clamp_min(eps), torch.zeros_like(norms))
    return d[0] if single else d


@dataclass
class Encoding:
    """The encoding type of each instance (see :func:`classify_encoding`); every field has length ``I``."""

    represented: torch.Tensor
    antipodal_pairs: torch.Tensor
    polygon: torch.Tensor
    labels: list[str]


def classify_encoding(W: torch.Tensor, norm_threshold: float = 0.5, cos_threshold: float = -0.95,
                      angle_tol: float = 0.15) -> Encoding:
    """Classify each instance's geometry: represented features, antipodal pairs, regular polygon.

    A feature is represented when ``||W_i|| > norm_threshold``; two represented features form an
    antipodal pair when their cosine is below ``cos_threshold``. In ``m = 2`` the represented
    features form a regular ``k``-gon when, sorted by angle, every gap is within ``angle_tol``
    radians of ``2 pi / k`` (``k >= 3``). Labels (``ENCODINGS``): two orthogonal features;
    an antipodal pair plus one; two antipodal pairs; a pentagon; else ``"other"``.

    Args:
        W: weights ``[m, n]`` or ``[I, m, n]``.
        norm_threshold: in ``(0, inf)``. cos_threshold: in ``[-1, 0)``. angle_tol: in ``(0, pi)``.

    Returns:
        :class:`Encoding` with ``represented`` ``[I]`` (int), ``antipodal_pairs`` ``[I]`` (int),
        ``polygon`` ``[I]`` (bool, ``m = 2`` only) and ``labels`` (``I`` strings).
    """
    norm_threshold = check_real("norm_threshold", norm_threshold, low=0.0, low_open=True)
    cos_threshold = check_real("cos_threshold", cos_threshold, low=-1.0, high=0.0, high_open=True)
    angle_tol = check_real("angle_tol", angle_tol, low=0.0, high=math.pi, low_open=True, high_open=True)
    Wb, _ = _as_batched(W)
    n_inst, m, n = Wb.shape
    norms = Wb.norm(dim=1)
    rep = norms > norm_threshold  # [I, n]
    unit = Wb / norms.clamp_min(1e-12)[:, None, :]
    cos = torch.bmm(unit.transpose(1, 2), unit)
    both = rep[:, :, None] & rep[:, None, :]
    pairs = (torch.triu(((cos < cos_threshold) & both).int(), diagonal=1)).sum((1, 2))
    k = rep.sum(1)
    if m == 2:
        angle = torch.atan2(Wb[:, 1], Wb[:, 0])
        angle = torch.where(rep, angle, torch.full_like(angle, 10.0)).sort(-1).values  # unrepresented last
        nxt = torch.cat([angle[:, 1:], angle[:, :1] + 2 * math.pi], dim=1)
        gaps = nxt - angle  # [I, n]; gap j is valid for j < k - 1, the wrap-around gap is k - 1
        idx = torch.arange(n, device=Wb.device)[None, :]
        wrap = (angle[:, :1] + 2 * math.pi) - angle.gather(1, (k - 1).clamp_min(0)[:, None])
        gaps = torch.where(idx == (k - 1)[:, None], wrap, gaps)
        target = 2 * math.pi / k.clamp_min(1).float()
        ok = ((gaps - target[:, None]).abs() < angle_tol) | (idx >= k[:, None])
        polygon = ok.all(1) & (k >= 3)
    else:
        polygon = torch.zeros(n_inst, dtype=torch.bool, device=Wb.device)
    orth = (k == 2) & (cos.masked_fill(~both, 0).triu(1).abs().amax((1, 2)) < 0.1)
    labels = []
    for o, kk, p, pg in zip(orth.tolist(), k.tolist(), pairs.tolist(), polygon.tolist()):
        if o:
            labels.append("orthogonal")
        elif kk == 3 and p == 1:
            labels.append("antipodal pair + 1")
        elif kk == 4 and p == 2:
            labels.append("two antipodal pairs")
        elif kk == 5 and pg:
            labels.append("pentagon")
        else:
            labels.append("other")
    return Encoding(represented=k, antipodal_pairs=pairs, polygon=polygon, labels=labels)
