"""Exact linear pieces of a scalar-input ReLU network, from its activation patterns.

On an interval where no ReLU changes state, a ReLU network is affine. Walking through the
layers, we keep a partition of ``[lo, hi]`` into intervals together with the affine map
``x -> a x + c`` (one per unit) that the current layer computes there. A ReLU layer splits an
interval wherever one of its pre-activations ``a_i x + c_i`` crosses zero, and zeroes the
inactive units on each part. At the output, adjacent intervals with the same slope are the
same affine function (the network is continuous) and are merged. No grid is sampled: the
breakpoints are the exact zero crossings, computed in float64.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from torch import nn

from ..validation import check_int, check_real

__all__ = ["Piece", "activation_regions", "linear_pieces", "count_linear_pieces"]


@dataclass(frozen=True)
class Piece:
    """A maximal interval ``[start, end]`` on which the network equals ``slope * x + intercept``."""

    start: float
    end: float
    slope: float
    intercept: float


def _layers(model: nn.Module) -> list[nn.Module]:
    if not isinstance(model, nn.Module):
        raise ValueError(f"model must be an nn.Sequential of nn.Linear, nn.ReLU and nn.Identity layers, "
                         f"got {type(model).__name__}")
    layers = list(model) if isinstance(model, nn.Sequential) else [model]
    flat: list[nn.Module] = []
    for layer in layers:
        if isinstance(layer, nn.Sequential):
            flat.extend(_layers(layer))
        elif isinstance(layer, (nn.Linear, nn.ReLU, nn.Identity)):
            flat.append(layer)
        else:
            raise ValueError(
                "model must be an nn.Sequential of nn.Linear, nn.ReLU and nn.Identity layers, "
                f"got a {type(layer).__name__}"
            )
    linears = [m for m in flat if isinstance(m, nn.Linear)]
    if not linears or linears[0].in_features != 1 or linears[-1].out_features != 1:
        raise ValueError("model must map a scalar input to a scalar output (Linear(1, .) ... Linear(., 1))")
    return flat


def _split_relu(S: np.ndarray, E: np.ndarray, A: np.ndarray, C: np.ndarray, tol: float) -> tuple:
    """Split every interval ``[S_p, E_p]`` at the zero crossings of ``A_p x + C_p`` and apply the ReLU.

    All intervals at once: ``S, E`` have shape ``(P,)``, ``A, C`` shape ``(P, units)``. Crossings
    closer than ``tol`` to an end, or to the previous crossing of the same interval, are dropped.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        R = np.where(A != 0, -C / np.where(A != 0, A, 1.0), np.nan)
    inside = (R > S[:, None] + tol) & (R < E[:, None] - tol)
    owner, _ = np.nonzero(inside)
    roots = R[inside]
    order = np.lexsort((roots, owner))
    owner, roots = owner[order], roots[order]
    keep = np.ones(roots.size, dtype=bool)
    keep[1:] = (owner[1:] != owner[:-1]) | (np.diff(roots) > tol)
    starts = np.concatenate([S, roots[keep]])
    owner = np.concatenate([np.arange(S.size), owner[keep]])
    order = np.lexsort((starts, owner))  # each interval's start precedes its crossings
    starts, owner = starts[order], owner[order]
    last = np.ones(starts.size, dtype=bool)
    last[:-1] = owner[1:] != owner[:-1]
    ends = np.empty_like(starts)
    ends[:-1] = starts[1:]
    ends[last] = E[owner[last]]
    on = (A[owner] * (0.5 * (starts + ends))[:, None] + C[owner]) > 0
    return starts, ends, A[owner] * on, C[owner] * on


MAX_REGIONS = 2**17


def _regions(model: nn.Module, lo: float, hi: float, tol: float, max_regions: int = MAX_REGIONS) -> tuple:
    """``(S, E, A, C)``: the regions ``[S_p, E_p]`` and, on each, the output's affine map ``A_p x + C_p``."""
    lo = check_real("lo", lo)
    hi = check_real("hi", hi)
    if not lo < hi:
        raise ValueError(f"lo must be smaller than hi, got lo={lo}, hi={hi}")
    tol = check_real("tol", tol, low=0.0, high=0.5)
    max_regions = check_int("max_regions", max_regions, minimum=1)
    layers = _layers(model)
    eps = tol * (hi - lo)
    S, E, A, C = np.array([lo]), np.array([hi]), np.ones((1, 1)), np.zeros((1, 1))
    for layer in layers:
        if isinstance(layer, nn.Linear):
            W = layer.weight.detach().double().cpu().numpy()
            b = np.zeros(W.shape[0]) if layer.bias is None else layer.bias.detach().double().cpu().numpy()
            A, C = A @ W.T, C @ W.T + b
        elif isinstance(layer, nn.ReLU):
            S, E, A, C = _split_relu(S, E, A, C, eps)
            if S.size > max_regions:
                raise ValueError(f"the network has more than max_regions = {max_regions} activation regions on "
                                 f"[{lo}, {hi}] (the count can grow like 2^depth); raise max_regions to go on")
    return S, E, A, C


def activation_regions(model: nn.Module, lo: float, hi: float, tol: float = 1e-12,
                       max_regions: int = MAX_REGIONS) -> list[tuple[float, float]]:
    """The intervals of ``[lo, hi]`` on which no ReLU of ``model`` changes state, in order.

    Neighbouring regions may carry the same affine function (see :func:`linear_pieces`, which
    merges them); on each region every derivative ``df/dtheta`` is affine in ``x``. ``tol`` and
    ``max_regions`` as in :func:`linear_pieces`.
    """
    S, E, _, _ = _regions(model, lo, hi, tol, max_regions)
    return [(float(s), float(e)) for s, e in zip(S, E)]


def linear_pieces(model: nn.Module, lo: float, hi: float, tol: float = 1e-12,
                  max_regions: int = MAX_REGIONS) -> list[Piece]:
    """The maximal affine pieces of a scalar-input, scalar-output ReLU network on ``[lo, hi]``.

    Args:
        model: an ``nn.Sequential`` of ``nn.Linear`` / ``nn.ReLU`` / ``nn.Identity`` layers with
            one input and one output.
        lo, hi: the interval, ``lo < hi``.
        tol: crossings closer than ``tol * (hi - lo)`` to each other or to an end are merged;
            slopes that agree to ``1e-9`` (relative) are the same piece. ``0 <= tol <= 1/2``.
        max_regions: the bound on the work: a ``ValueError`` as soon as a layer has more
            activation regions than this (default ``2**17``; ``sawtooth(k)`` has ``2**k``).

    Returns:
        The pieces in increasing order of ``x``; they tile ``[lo, hi]``.
    """
    S, E, A, C = _regions(model, lo, hi, tol, max_regions)
    return _merge([Piece(float(s), float(e), float(a), float(c)) for s, e, a, c in zip(S, E, A[:, 0], C[:, 0])])


def _merge(pieces: list[Piece]) -> list[Piece]:
    merged = [pieces[0]]
    for p in pieces[1:]:
        q = merged[-1]
        if abs(p.slope - q.slope) <= 1e-9 * max(1.0, abs(p.slope), abs(q.slope)):
            merged[-1] = Piece(q.start, p.end, q.slope, q.intercept)
        else:
            merged.append(p)
    return merged


def count_linear_pieces(model: nn.Module, lo: float, hi: float) -> int:
    """Number of maximal affine pieces of a scalar-input ReLU network on ``[lo, hi]`` (exact).

    See :func:`linear_pieces`; e.g. ``count_linear_pieces(sawtooth(k), 0, 1) == 2**k``.
    """
    return len(linear_pieces(model, lo, hi))
