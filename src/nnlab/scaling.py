"""Power laws: the slope of a straight line on log-log axes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .validation import check_real_array

__all__ = ["loglog_slope", "SlopeReport", "slope_report"]


def loglog_slope(x: ArrayLike, y: ArrayLike) -> float:
    """Least-squares slope ``p`` of ``log y = p log x + c``, i.e. the exponent of ``y ~ x^p``.

    Args:
        x, y: positive arrays of the same shape (at least two distinct ``x``).
    """
    x = check_real_array("x", x, ndim=1, positive=True)
    y = check_real_array("y", y, ndim=1, positive=True)
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same length, got {x.size} and {y.size}")
    if np.unique(x).size < 2:
        raise ValueError(f"x must hold at least two distinct values, got {x.tolist()}")
    slope, _ = np.polyfit(np.log(x), np.log(y), 1)
    return float(slope)


@dataclass
class SlopeReport:
    """The exponent of a sweep ``y ~ x^p`` with its spread over seeds and its drift along ``x``.

    Attributes:
        slope: the slope of the seed-mean values over all ``x``.
        per_seed: the slope of every seed's own values ``[S]``.
        se: standard error of the per-seed slopes, ``std(per_seed) / sqrt(S)`` (0 for one seed).
        head: the slope over the first ``window`` points. tail: over the last ``window``.
    """

    slope: float
    per_seed: np.ndarray
    se: float
    head: float
    tail: float


def slope_report(x: ArrayLike, values: ArrayLike, window: int = 3) -> SlopeReport:
    """Log-log slopes of a sweep measured for several seeds: the mean's, each seed's, and their drift.

    Args:
        x: the swept quantity ``[P]`` (e.g. widths), positive.
        values: ``[P, S]``, the measured value at every point for every seed (positive), or
            ``[P]`` for one seed.
        window: points used for the ``head`` and ``tail`` slopes (``2 <= window <= P``).

    Returns:
        :class:`SlopeReport`; a drift between ``head`` and ``tail`` larger than ``se`` means the
        power law does not hold over the whole range.
    """
    x = check_real_array("x", x, ndim=1, positive=True)
    v = check_real_array("values", values, ndim=(1, 2), positive=True)
    v = v[:, None] if v.ndim == 1 else v
    if v.shape[0] != x.size:
        raise ValueError(f"values must have shape [{x.size}] or [{x.size}, seeds], got {v.shape}")
    if isinstance(window, bool) or not isinstance(window, int) or not 2 <= window <= x.size:
        raise ValueError(f"window must be an integer in [2, {x.size}], got {window!r}")
    mean = v.mean(1)
    per_seed = np.array([loglog_slope(x, v[:, s]) for s in range(v.shape[1])])
    se = float(per_seed.std(ddof=1) / np.sqrt(per_seed.size)) if per_seed.size > 1 else 0.0
    return SlopeReport(slope=loglog_slope(x, mean), per_seed=per_seed, se=se,
                       head=loglog_slope(x[:window], mean[:window]), tail=loglog_slope(x[-window:], mean[-window:]))
