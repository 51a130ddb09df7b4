"""Effective degrees of freedom: the rank of the Jacobian of outputs with respect to parameters."""

from __future__ import annotations

import copy

import numpy as np
import torch
from torch import nn
from torch.func import functional_call, jacrev, vmap

from ..validation import check_real
from .pieces import activation_regions

__all__ = ["effective_parameters"]


def effective_parameters(model: nn.Module, lo: float, hi: float, rtol: float = 1e-9) -> tuple[int, int]:
    """``(rank, count)``: the rank of ``J = d f(x) / d theta`` over ``x`` in ``[lo, hi]``, and the
    raw parameter count, for a scalar-input ReLU network (``nn.Sequential``).

    The rank is the number of independent directions in which a small parameter change can move
    the function on ``[lo, hi]``. It is exact, not sampled on a grid: on each activation region
    (:func:`activation_regions`) every column of ``J`` is affine in ``x``, so two points per
    region span all of it. ``J`` is built per sample with ``vmap(jacrev(.))`` in float64, and
    the rank counts singular values above ``rtol`` times the largest.

    For a width-``w`` elbow network whose ``w`` breakpoints are distinct and inside
    ``[lo, hi]`` the rank is ``2w + 1`` (a breakpoint and a slope change per elbow, plus the
    constant), not the ``3w + 1`` raw parameters: ``(w, b, a) -> (t w, t b, a / t)`` leaves
    the function unchanged for every ``t > 0``. Dead units add nothing, units active on the
    whole interval add together at most one direction (a global slope), and elbows sharing a
    breakpoint share their two directions.
    """
    rtol = check_real("rtol", rtol, low=0.0, high=1.0, low_open=True, high_open=True)
    regions = np.array(activation_regions(model, lo, hi))  # validates model, lo and hi
    x = torch.from_numpy(np.concatenate([regions @ [2 / 3, 1 / 3], regions @ [1 / 3, 2 / 3]]))
    model = copy.deepcopy(model).double()
    params = {k: v.detach() for k, v in model.named_parameters()}
    if not params:
        raise ValueError("model has no parameters")

    def output(p: dict, xi: torch.Tensor) -> torch.Tensor:
        return functional_call(model, p, (xi.reshape(1, 1),)).reshape(())

    jac = vmap(jacrev(output), in_dims=(None, 0))(params, x)
    J = torch.cat([j.reshape(x.shape[0], -1) for j in jac.values()], dim=1)
    s = torch.linalg.svdvals(J)
    rank = int((s > rtol * s.max()).sum()) if s.numel() and s.max() > 0 else 0
    return rank, J.shape[1]
