"""Best fits with ``p`` affine pieces, and Telgarsky's lower bound for the sawtooth.

Telgarsky (2016): a function with ``p`` affine pieces crosses ``1/2`` at most ``p`` times (at
most ``2p - 1`` times if it may jump), while ``Delta^k`` crosses it ``2^k`` times. Between two
crossings ``Delta^k`` makes a triangle of area ``2^(-k-2)`` above or below ``1/2``; a fit that
stays on one side of ``1/2`` over a run of triangles is on the wrong side of at least half of
them, so for any ``p``-piece ``f`` on ``[0, 1]``::

    ||f - Delta^k||_1 >= (2^(k-1) - 1 - s) 2^(-k-2),   s = p (continuous) or 2p - 1 (any).

:func:`best_piece_fits` measures how close ``p`` pieces actually get: the least-squares-optimal
partition of ``[lo, hi]`` into ``p`` segments with knots on a grid, each segment its own
least-squares line (a possibly discontinuous ``p``-piece fit), found exactly by dynamic
programming (segmented least squares).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from ..validation import check_int, check_real

__all__ = ["best_piece_fits", "sawtooth_l1_bound"]


def sawtooth_l1_bound(k: int, pieces: int, continuous: bool = True) -> float:
    """Lower bound on ``int_0^1 |f - Delta^k|`` over all ``f`` with ``pieces`` affine pieces.

    ``(2^(k-1) - 1 - s) 2^(-k-2)`` clipped at 0, with ``s = pieces`` sign changes of ``f - 1/2``
    for continuous ``f`` and ``s = 2 pieces - 1`` for ``f`` that may jump (see the module).
    ``k >= 1``, ``pieces >= 1``.
    """
    k = check_int("k", k, minimum=1)
    pieces = check_int("pieces", pieces, minimum=1)
    if not isinstance(continuous, bool):
        raise ValueError(f"continuous must be a bool, got {continuous!r}")
    s = pieces if continuous else 2 * pieces - 1
    return max(0.0, (2 ** (k - 1) - 1 - s) * 2.0 ** (-k - 2))


def best_piece_fits(
    f: Callable[[torch.Tensor], torch.Tensor], max_pieces: int, lo: float = 0.0, hi: float = 1.0,
    knots: int = 256, mesh: int = 16,
) -> dict[str, np.ndarray]:
    """Least-squares-optimal fits of ``f`` with ``p = 1 .. max_pieces`` affine pieces, and their errors.

    The candidate knots are the ``knots + 1`` equispaced points of ``[lo, hi]``; integrals use
    the midpoint rule with ``mesh`` points per knot interval (exact enough for the errors
    printed). For each ``p`` the partition into ``p`` segments minimizing the total squared
    error, each segment fitted by its least-squares line, is found by dynamic programming in
    ``O(p knots^2)``.

    Args:
        f: vectorized target, float64 tensor ``[N] -> [N]``.
        max_pieces: the largest ``p`` (``1 <= max_pieces <= knots``).
        lo, hi: the interval, ``lo < hi``. knots, mesh: grid sizes (``>= 1``).

    Returns:
        ``{"pieces": [P], "l1": [P], "l2": [P]}``: ``int |fit - f|`` and
        ``(int (fit - f)^2)^(1/2)`` over ``[lo, hi]`` for each ``p``.
    """
    if not callable(f):
        raise ValueError(f"f must be a callable tensor [N] -> [N], got {type(f).__name__}")
    knots = check_int("knots", knots, minimum=1)
    max_pieces = check_int("max_pieces", max_pieces, minimum=1, maximum=knots)
    mesh = check_int("mesh", mesh, minimum=1)
    lo, hi = check_real("lo", lo), check_real("hi", hi)
    if not lo < hi:
        raise ValueError(f"lo must be smaller than hi, got lo={lo}, hi={hi}")
    n = knots * mesh
    dx = (hi - lo) / n
    x = lo + (np.arange(n) + 0.5) * dx
    y = f(torch.from_numpy(x))
    if not isinstance(y, torch.Tensor) or y.shape != (n,):
        raise ValueError(f"f must map a tensor [{n}] to a tensor of the same shape")
    y = y.detach().double().cpu().numpy()
    if not np.isfinite(y).all():
        raise ValueError("f must be finite on [lo, hi], got NaN or inf")
    # prefix sums of w, wx, wx^2, wy, wxy, wy^2 at the knots (w = dx)
    moments = np.stack([np.ones(n), x, x * x, y, x * y, y * y]) * dx
    S = np.concatenate([np.zeros((6, 1)), np.cumsum(moments, axis=1)[:, mesh - 1 :: mesh]], axis=1)
    seg = S[:, None, :] - S[:, :, None]  # [6, i, j]: the segment from knot i to knot j
    s0, s1, s2, t1, u, t2 = seg
    with np.errstate(divide="ignore", invalid="ignore"):
        sxx = s2 - s1 * s1 / s0
        sxy = u - s1 * t1 / s0
        syy = t2 - t1 * t1 / s0
        cost = np.where(sxx > 0, syy - sxy * sxy / sxx, syy)
    G = knots + 1
    cost = np.where(np.triu(np.ones((G, G), bool), 1), np.maximum(cost, 0.0), np.inf)
    best = np.full(G, np.inf)
    best[0] = 0.0
    back = np.zeros((max_pieces, G), dtype=int)
    l1, l2 = [], []
    for p in range(max_pieces):
        total = best[:, None] + cost  # [i, j]
        back[p] = np.argmin(total, axis=0)
        best = total[back[p], np.arange(G)]
        edges = [G - 1]
        for q in range(p, -1, -1):
            edges.append(back[q, edges[-1]])
        edges = edges[::-1]
        fit = np.empty(n)
        for i, j in zip(edges[:-1], edges[1:]):
            sl = slice(i * mesh, j * mesh)
            xs, ys = x[sl], y[sl]
            A = np.stack([np.ones_like(xs), xs - xs.mean()], axis=1)
            fit[sl] = A @ np.linalg.lstsq(A, ys, rcond=None)[0]
        l1.append(np.abs(fit - y).sum() * dx)
        l2.append(np.sqrt(((fit - y) ** 2).sum() * dx))
    return {"pieces": np.arange(1, max_pieces + 1), "l1": np.array(l1), "l2": np.array(l2)}
