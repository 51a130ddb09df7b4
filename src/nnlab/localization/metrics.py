"""Measurements of receptive fields and of data: IPR, kurtosis, peak position and width, frequency.

All receptive-field functions act on the last dimension (the ``d_in`` input sites of a ring), so
a whole batch of weights ``[..., K, d_in]`` is measured at once. Their arguments must be
non-empty, finite, real floating tensors with at least one dimension (a list or numpy array is
converted); anything else raises ``ValueError``.
"""

from __future__ import annotations

import math

import torch

from ..validation import check_int, check_real, check_tensor

__all__ = [
    "ipr", "kurtosis", "excess_kurtosis", "peak_position", "peak_width", "centred_field", "power_spectrum",
    "dominant_frequency", "spectral_concentration", "circular_gaps", "tiling_evenness", "tiling_percentile",
]


def _tensor(name: str, w: object, floating: bool = True) -> torch.Tensor:
    """``w`` checked: a non-empty, finite, real tensor ``[..., d_in]`` (floating unless ``floating=False``)."""
    w = check_tensor(name, w, "... d_in", floating=floating)
    if w.is_complex() or w.dtype == torch.bool:
        raise ValueError(f"{name} must be a real tensor, got dtype {w.dtype}")
    return w


def _positions(positions: object) -> torch.Tensor:
    """Positions on the ring ``[..., n]``: real floating, or integer site numbers (converted to floats)."""
    positions = _tensor("positions", positions, floating=False)
    return positions if positions.is_floating_point() else positions.to(torch.get_default_dtype())


def ipr(w: torch.Tensor) -> torch.Tensor:
    """Inverse participation ratio ``sum_i w_i^4 / (sum_i w_i^2)^2`` over the last dimension: ``[...]``.

    1 for a vector on a single site, ``1/d_in`` for a flat vector; a random Gaussian vector has
    about ``3/d_in``. ``d_in * ipr`` counts how many times more localized than flat a field is. An
    all-zero field has no IPR: ``ValueError``.
    """
    w = _tensor("w", w)
    w2 = w.pow(2)
    norm = w2.sum(-1)
    if bool((norm == 0).any()):
        raise ValueError("w must not contain an all-zero field (its IPR 0/0 is undefined)")
    return w2.pow(2).sum(-1) / norm.pow(2)


def kurtosis(x: torch.Tensor, dim: int = 0) -> torch.Tensor:
    """Sample kurtosis ``E[(x - mu)^4] / Var[x]^2`` along ``dim``: 3 for a Gaussian, 1 for ``+-1``."""
    x = check_tensor("x", x, ("...", "*"))
    check_int("dim", dim, minimum=-x.ndim, maximum=x.ndim - 1)
    if x.shape[dim] < 2:
        raise ValueError(f"x needs at least 2 samples along dim {dim}, got shape {tuple(x.shape)}")
    c = x - x.mean(dim, keepdim=True)
    var = c.pow(2).mean(dim)
    if bool((var == 0).any()):
        raise ValueError(f"x must not be constant along dim {dim} (its kurtosis 0/0 is undefined)")
    return c.pow(4).mean(dim) / var.pow(2)


def excess_kurtosis(x: torch.Tensor, dim: int = 0) -> torch.Tensor:
    """Excess kurtosis ``kurtosis(x) - 3``: 0 for a Gaussian, -2 for a symmetric sign, < 0 for the NLGP."""
    return kurtosis(x, dim) - 3


def _phases(d_in: int, like: torch.Tensor) -> torch.Tensor:
    angle = 2 * math.pi * torch.arange(d_in, dtype=like.dtype, device=like.device) / d_in
    return torch.polar(torch.ones_like(angle), angle)


def _resultant(w: torch.Tensor) -> torch.Tensor:
    p = w.pow(2)
    p = p / p.sum(-1, keepdim=True)
    return (p.to(torch.complex128 if w.dtype == torch.float64 else torch.complex64) * _phases(w.shape[-1], w)).sum(-1)


def peak_position(w: torch.Tensor) -> torch.Tensor:
    """Where a receptive field sits on the ring: the circular mean of ``w_i^2``, in sites ``[0, d_in)``: ``[...]``."""
    w = _tensor("w", w)
    d_in = w.shape[-1]
    return torch.remainder(torch.angle(_resultant(w)) * d_in / (2 * math.pi), d_in)


def peak_width(w: torch.Tensor) -> torch.Tensor:
    """How wide a receptive field is: the circular standard deviation of ``w_i^2``, in sites: ``[...]``.

    ``d_in / (2 pi) * sqrt(-2 ln R)`` with ``R`` the resultant length of the weights ``w_i^2`` on
    the circle; for a Gaussian bump of standard deviation ``sigma << d_in`` this is ``sigma``, and it
    grows without bound as the field spreads over the whole ring (``R -> 0``).
    """
    w = _tensor("w", w)
    r = _resultant(w).abs().clamp(min=1e-12, max=1.0)
    return w.shape[-1] / (2 * math.pi) * torch.sqrt(-2 * torch.log(r))


def centred_field(w: torch.Tensor) -> torch.Tensor:
    """Fields ``w [..., d_in]`` rolled so that the peak sits at site ``d_in // 2``, signed and scaled to ``+1`` there.

    ``out[i] = s * w[(i - r) mod d_in] / max_j |w_j|`` with ``r = d_in // 2 - round(peak_position(w))`` and ``s``
    the sign of the rolled field at ``d_in // 2``. Rolling is allowed because the data are translation
    invariant; ``out.min()`` is then the most negative weight (a side lobe) relative to the peak.
    """
    w = _tensor("w", w)
    d_in = w.shape[-1]
    shift = d_in // 2 - torch.round(peak_position(w)).long() % d_in                  # [...]
    out = torch.gather(w, -1, (torch.arange(d_in, device=w.device) - shift[..., None]) % d_in)
    return out * torch.sign(out[..., d_in // 2 : d_in // 2 + 1]) / out.abs().amax(-1, keepdim=True).clamp(min=1e-30)


def power_spectrum(w: torch.Tensor) -> torch.Tensor:
    """``|FFT(w)|^2`` at the frequencies ``k = 0 .. d_in//2`` (cycles per ring), normalised to sum 1:
    ``[..., d_in//2+1]``."""
    w = _tensor("w", w)
    p = torch.fft.rfft(w, dim=-1).abs().pow(2)
    return p / p.sum(-1, keepdim=True)


def dominant_frequency(w: torch.Tensor) -> torch.Tensor:
    """The frequency ``k`` (cycles per ring, ``0 .. d_in//2``) with the most power: ``[...]`` (int64)."""
    return power_spectrum(w).argmax(-1)


def spectral_concentration(w: torch.Tensor, halfwidth: int = 1) -> torch.Tensor:
    """Fraction of the power within ``halfwidth`` of the dominant frequency: ``[...]``.

    Close to 1 for a sinusoid (a frequency-specialized field), small for a localized bump whose
    power is spread over many frequencies.
    """
    halfwidth = check_int("halfwidth", halfwidth, minimum=0)
    w = _tensor("w", w)
    p = power_spectrum(w)
    k = p.argmax(-1, keepdim=True)
    freqs = torch.arange(p.shape[-1], device=p.device)
    return (p * ((freqs - k).abs() <= halfwidth)).sum(-1)


def circular_gaps(positions: torch.Tensor, d_in: float) -> torch.Tensor:
    """Gaps between consecutive positions on a ring of circumference ``d_in`` (sorted): ``[..., n]``,
    summing to ``d_in``. ``positions [..., n]`` may be integer site numbers (converted to floats)."""
    positions = _positions(positions)
    d_in = check_real("d_in", d_in, low=0.0, low_open=True)
    p = torch.remainder(positions, d_in).sort(-1).values
    return torch.diff(p, dim=-1, append=p[..., :1] + d_in)


def tiling_evenness(positions: torch.Tensor, d_in: float) -> torch.Tensor:
    """Smallest gap between ``n`` positions on a ring divided by the even spacing ``d_in / n``: ``[...]``.

    1 for perfectly even tiling, 0 when two fields sit on the same spot; for ``n`` uniformly
    random positions its mean is ``1 / n`` (see :func:`tiling_percentile` for its distribution).
    ``positions [..., n]`` may be integer site numbers (converted to floats).
    """
    gaps = circular_gaps(positions, d_in)
    return gaps.min(-1).values * gaps.shape[-1] / d_in


def tiling_percentile(positions: torch.Tensor, d_in: float) -> torch.Tensor:
    """Where the evenness of ``n`` positions falls in the distribution for uniformly random positions: ``[...]``.

    For ``n`` independent uniform points on a ring the gaps are uniform on the simplex, and the
    smallest exceeds ``e d_in / n`` with probability ``(1 - e)^(n - 1)``. The percentile of an
    observed evenness ``e`` (:func:`tiling_evenness`) is therefore ``1 - (1 - e)^(n - 1)``:
    uniformly distributed on ``[0, 1]`` (mean 1/2) for random placement, close to 1 for even
    tiling, close to 0 for fields piled on one spot.
    """
    positions = _positions(positions)
    e = tiling_evenness(positions, d_in)
    return 1 - (1 - e).pow(positions.shape[-1] - 1)
