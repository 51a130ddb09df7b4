"""Tiling of receptive fields that counts a sign-opposite pair ``(w, -w)`` as one unit.

With fixed biases ``+-b`` the erf committee of Ingrosso & Goldt often forms pairs of neurons with
the same bias and opposite fields at the same place: ``erf(b + u) + erf(b - u)`` is an *even*
function of the projection ``u = w . x``, the detector that inputs symmetric under ``x -> -x``
need. A tiling measure that counts every neuron reads such a pair as two fields piled on one
spot. Here a pair is merged into one *unit* first, and the evenness percentile of
:func:`nnlab.localization.metrics.tiling_percentile` is taken over the units.

All functions act on a batch of groups ``w [..., n, d_in]`` (``n`` fields of one group on a ring
of ``d_in`` sites) at once.
"""

from __future__ import annotations

import math

import torch

from ..validation import check_real, check_tensor
from .metrics import _resultant

__all__ = ["sign_pairs", "pair_fraction", "unit_tiling_percentile", "field_overlap"]


def _fields(w: object) -> torch.Tensor:
    w = check_tensor("w", w, "... n d_in")
    if w.is_complex():
        raise ValueError(f"w must be a real tensor, got dtype {w.dtype}")
    if w.shape[-2] < 1:
        raise ValueError(f"w must hold at least one field along dim -2, got shape {tuple(w.shape)}")
    if bool((w.pow(2).sum(-1) == 0).any()):
        raise ValueError("w must not contain an all-zero field (its direction is undefined)")
    return w


def _cosines(w: torch.Tensor) -> torch.Tensor:
    u = w / w.norm(dim=-1, keepdim=True)
    return u @ u.transpose(-1, -2)


def field_overlap(w: torch.Tensor) -> torch.Tensor:
    """Cosine similarity of every two fields of a group: ``[..., n, n]``, ``w_a . w_b / (|w_a| |w_b|)``.

    ``w [..., n, d_in]``: non-empty, finite, real floating, no all-zero field.
    """
    return _cosines(_fields(w))


def sign_pairs(w: torch.Tensor, threshold: float = 0.5) -> torch.Tensor:
    """Partner of every field in a sign-opposite pair, ``-1`` for none: ``[..., n]`` (int64).

    Greedy matching: repeatedly join the two unmatched fields with the most negative cosine
    similarity (:func:`field_overlap`), as long as it is below ``-threshold``. The relation is
    symmetric (``partner[partner[a]] = a``).

    Args:
        w: fields ``[..., n, d_in]`` of each group (non-empty, finite, real floating, no zero field).
        threshold: a pair needs cosine ``< -threshold``; in ``(0, 1)``.
    """
    w = _fields(w)
    threshold = check_real("threshold", threshold, low=0.0, high=1.0, low_open=True, high_open=True)
    return _sign_pairs(w, threshold)


def _sign_pairs(w: torch.Tensor, threshold: float) -> torch.Tensor:
    n = w.shape[-2]
    cos = _cosines(w).reshape(-1, n, n).clone()
    B = cos.shape[0]
    eye = torch.eye(n, dtype=torch.bool, device=w.device)
    cos[:, eye] = math.inf
    partner = torch.full((B, n), -1, dtype=torch.long, device=w.device)
    rows = torch.arange(B, device=w.device)
    for _ in range(n // 2):
        flat = cos.reshape(B, -1)
        best, idx = flat.min(-1)
        ok = best < -threshold
        a, b = idx // n, idx % n
        partner[rows[ok], a[ok]] = b[ok]
        partner[rows[ok], b[ok]] = a[ok]
        for i in (a, b):  # matched fields leave the pool
            cos[rows[ok], i[ok], :] = math.inf
            cos[rows[ok], :, i[ok]] = math.inf
    return partner.reshape(w.shape[:-1])


def pair_fraction(w: torch.Tensor, threshold: float = 0.5) -> torch.Tensor:
    """Fraction of the ``n`` fields of a group that belong to a sign-opposite pair: ``[...]``.

    Arguments as for :func:`sign_pairs`.
    """
    return (sign_pairs(w, threshold) >= 0).to(w.dtype if torch.is_tensor(w) else torch.float32).mean(-1)


def unit_tiling_percentile(w: torch.Tensor, threshold: float = 0.5) -> tuple[torch.Tensor, torch.Tensor]:
    """Tiling percentile of the *units* of each group, a sign-opposite pair counting once.

    Each unit sits at the circular mean of its summed weights ``w_i^2`` (for a pair, both fields).
    With ``m`` units and smallest gap ``e d_in / m`` between neighbouring units, the percentile is
    ``1 - (1 - e)^(m - 1)``: uniform on ``[0, 1]`` for ``m`` randomly placed units (mean 1/2),
    1 for even tiling, 0 for units on one spot (:func:`nnlab.localization.tiling_percentile`).
    Groups with fewer than two units get ``NaN``.

    Args:
        w: fields ``[..., n, d_in]`` of each group. threshold: as for :func:`sign_pairs`.

    Returns:
        ``(percentile [...], units [...])``, the number of units as int64.
    """
    w = _fields(w)
    threshold = check_real("threshold", threshold, low=0.0, high=1.0, low_open=True, high_open=True)
    partner = _sign_pairs(w, threshold)
    n, d_in = w.shape[-2], w.shape[-1]
    idx = torch.arange(n, device=w.device)
    keep = (partner < 0) | (partner > idx)                      # the first field of a pair stands for it
    w2 = w.pow(2)
    mate = torch.gather(w2, -2, partner.clamp(min=0)[..., None].expand_as(w2))
    unit = w2 + torch.where((partner >= 0)[..., None], mate, torch.zeros_like(w2))
    pos = torch.remainder(torch.angle(_resultant(unit.sqrt())) * d_in / (2 * math.pi), d_in)   # [..., n]
    m = keep.sum(-1)
    s = torch.where(keep, pos, torch.full_like(pos, math.inf)).sort(-1).values
    gaps = torch.diff(s, dim=-1)                                 # inf or nan beyond the m valid ones
    valid = idx[:-1] < (m[..., None] - 1)
    gaps = torch.where(valid, gaps, torch.full_like(gaps, math.inf))
    last = torch.gather(s, -1, (m - 1).clamp(min=0)[..., None])[..., 0]
    wrap = s[..., 0] + d_in - last
    smallest = torch.minimum(gaps.min(-1).values if n > 1 else wrap, wrap)
    e = (smallest * m / d_in).clamp(0.0, 1.0)
    pct = 1 - (1 - e).pow((m - 1).to(e.dtype))
    return torch.where(m >= 2, pct, torch.full_like(pct, math.nan)), m
