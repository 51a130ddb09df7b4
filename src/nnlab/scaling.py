"""Power laws: the slope of a straight line on log-log axes."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["loglog_slope"]


def loglog_slope(x: ArrayLike, y: ArrayLike) -> float:
    """Least-squares slope ``p`` of ``log y = p log x + c``, i.e. the exponent of ``y ~ x^p``.

    Args:
        x, y: positive arrays of the same shape (at least two distinct ``x``).
    """
    x = np.asarray(x, dtype=float).ravel()
    y = np.asarray(y, dtype=float).ravel()
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same length, got {x.size} and {y.size}")
    if x.size < 2 or np.unique(x).size < 2:
        raise ValueError(f"x must hold at least two distinct values, got {x.tolist()}")
    if np.any(x <= 0) or np.any(y <= 0) or not np.all(np.isfinite(x * y)):
        raise ValueError("x and y must be finite and positive for a log-log fit")
    slope, _ = np.polyfit(np.log(x), np.log(y), 1)
    return float(slope)
