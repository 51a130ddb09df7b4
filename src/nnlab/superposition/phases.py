"""Reading a sparsity sweep as phases: the best run of each encoding, and free-energy crossings.

With ``n`` samples, singular learning theory gives the free energy of a neighbourhood of a
minimum ``w*`` as ``F_n ~ n K(w*) + lambda log n`` (Watanabe 2009). Of two encodings of the same
data, one with lower loss ``K`` and one with smaller learning coefficient ``lambda``, the simpler
one has the lower free energy for small ``n`` and the better-fitting one for large ``n``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from ..validation import check_real, check_tensor
from .geometry import ENCODINGS

__all__ = ["BestRuns", "best_runs", "free_energy_crossing"]


@dataclass
class BestRuns:
    """The lowest-loss run of one encoding at each sparsity.

    ``loss[s]`` is ``inf`` where no run at sparsity ``s`` has the encoding; ``seed[s]`` is then 0.
    """

    loss: torch.Tensor
    seed: torch.Tensor


def best_runs(loss: torch.Tensor, labels: Sequence | np.ndarray,
              names: Sequence[str] = ENCODINGS[:4]) -> dict[str, BestRuns]:
    """For every encoding name, the lowest loss over the runs of that encoding at each sparsity.

    Args:
        loss: ``[S, R]``: the loss of run ``r`` at sparsity ``s`` (real floating, finite; a list or
            array is converted).
        labels: ``[S, R]`` encoding labels (as from :func:`classify_encoding`, reshaped).
        names: the encodings to report (a sequence of strings, not one string).

    Returns:
        ``{name: BestRuns}`` with ``loss`` and ``seed`` of shape ``[S]``.
    """
    loss = check_tensor("loss", loss, "S R")
    if isinstance(names, str) or not all(isinstance(name, str) for name in names):
        raise ValueError(f"names must be a sequence of encoding names (strings), got {names!r}")
    labels = np.asarray(labels)
    if labels.shape != tuple(loss.shape):
        raise ValueError(f"labels must have the shape of loss {tuple(loss.shape)}, got {labels.shape}")
    inf = torch.tensor(float("inf"), dtype=loss.dtype, device=loss.device)
    out = {}
    for name in names:
        mask = torch.as_tensor(labels == name, device=loss.device)
        values, seeds = torch.where(mask, loss, inf).min(1)
        out[name] = BestRuns(values, seeds)
    return out


def free_energy_crossing(delta_loss: float, delta_lambda: float) -> float | None:
    """The sample size where ``F_A - F_B = n dK + dlambda log n`` changes sign, or ``None``.

    Args:
        delta_loss: ``dK = K_A - K_B``, the difference of the losses (per sample, nonzero).
        delta_lambda: ``dlambda = lambda_A - lambda_B``.

    Returns:
        The larger root ``n* > e`` of ``n |dK| = |dlambda| log n`` (by fixed-point iteration
        ``n <- (|dlambda|/|dK|) log n``) when ``dK`` and ``dlambda`` have opposite signs, so that
        one encoding wins for ``n < n*`` and the other beyond; ``None`` when one encoding has both
        the lower loss and the smaller ``lambda`` (it wins at every ``n``), or when
        ``|dlambda|/|dK| <= e`` (no root above ``e``).
    """
    delta_loss = check_real("delta_loss", delta_loss)
    delta_lambda = check_real("delta_lambda", delta_lambda)
    if delta_loss == 0:
        raise ValueError("delta_loss must be nonzero (equal losses: the smaller lambda wins at every n)")
    if (delta_loss > 0) == (delta_lambda > 0) or delta_lambda == 0:
        return None
    ratio = abs(delta_lambda) / abs(delta_loss)
    if ratio <= math.e:
        return None
    n_star = 10.0
    for _ in range(50):
        n_star = ratio * math.log(n_star)
    return n_star
