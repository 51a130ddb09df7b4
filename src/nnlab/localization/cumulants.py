"""The fourth-order cumulant of data, contracted with directions, and its principal component.

For zero-mean data with covariance ``C`` the fourth cumulant tensor is::

    k_ijkl = E[x_i x_j x_k x_l] - (C_ij C_kl + C_ik C_jl + C_il C_jk),

zero for Gaussian data. Its contraction with a unit vector ``v`` four times is
``k(v) = E[(v . x)^4] - 3 (v^T C v)^2``. The principal component (the Z-eigenvector of largest
magnitude) is the unit ``v`` extremizing ``k(v)``; Ingrosso & Goldt observed that for the NLGP
it becomes localized as the gain grows, with a width similar to the correlation length. The
tensor (``d_in^4`` entries) is never formed: everything uses samples and matrix products.

The samples ``x`` and directions ``v`` must be non-empty, finite, real floating tensors (a list or
numpy array is converted); anything else raises ``ValueError``.
"""

from __future__ import annotations

import torch

from ..validation import check_choice, check_int, check_real, check_tensor

__all__ = ["cumulant4", "cumulant4_gradient", "cumulant4_component"]

SIGNS = ("negative", "positive")


def _data(x: object) -> torch.Tensor:
    x = check_tensor("x", x, "n d_in")
    if x.shape[0] < 2:
        raise ValueError(f"x must be a tensor of samples [n, d_in] with n >= 2, got {tuple(x.shape)}")
    return x - x.mean(0)


def _directions(v: object, d_in: int) -> torch.Tensor:
    v = check_tensor("v", v)
    if v.ndim not in (1, 2) or v.shape[-1] != d_in:
        raise ValueError(f"v must be a tensor [d_in] or [R, d_in] with d_in = {d_in}, got {tuple(v.shape)}")
    return v


def _t(a: torch.Tensor) -> torch.Tensor:
    """The transpose of a matrix; a vector unchanged (what ``.T`` does, without its deprecation warning)."""
    return a.T if a.ndim == 2 else a


def cumulant4(x: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """``k(v) = E[(v . x)^4] - 3 (v^T C v)^2`` from samples ``x [n, d_in]``
    for ``v [d_in]`` or ``[R, d_in]``: ``[]`` or ``[R]``.

    Equal to ``sum_ijkl k_ijkl v_i v_j v_k v_l`` with the sample moments (mean removed).
    """
    x = _data(x)
    v = _directions(v, x.shape[1]).to(x.dtype)
    s = x @ _t(v)  # [n] or [n, R]
    return s.pow(4).mean(0) - 3 * s.pow(2).mean(0).pow(2)


def cumulant4_gradient(x: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """``grad k(v) / 4 = E[(v . x)^3 x] - 3 (v^T C v) C v``: same shape as ``v``."""
    x = _data(x)
    return _gradient(x, _directions(v, x.shape[1]).to(x.dtype))


def _gradient(x: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """:func:`cumulant4_gradient` for centred, checked ``x`` and ``v`` of its dtype."""
    n = x.shape[0]
    s = x @ _t(v)  # [n, R] or [n]
    third = _t(s.pow(3)) @ x / n
    second = s.pow(2).mean(0)
    cv = _t(s) @ x / n  # C v
    return third - 3 * (second[..., None] if v.ndim == 2 else second) * cv


def cumulant4_component(x: torch.Tensor, restarts: int = 8, steps: int = 300, sign: str = "negative",
                        step_size: float = 0.3, generator: torch.Generator | None = None
                        ) -> tuple[torch.Tensor, torch.Tensor]:
    """The principal component of the fourth cumulant: the unit ``v`` minimizing (or maximizing) ``k(v)``.

    Projected gradient descent on the sphere from ``restarts`` random starts at once (one matrix
    product per step), with normalised steps shrinking from ``step_size`` to 1 % of it.

    Args:
        x: samples ``[n, d_in]``.
        restarts: random starting points, run as one batch.
        steps: iterations.
        sign: ``"negative"`` finds the most negative ``k(v)`` (platykurtic data such as the NLGP),
            ``"positive"`` the most positive.
        step_size: initial step on the unit sphere.
        generator: CPU generator for the starting points.

    Returns:
        ``(v, k)``: the best direction ``[d_in]`` (sign fixed so that its largest entry is positive)
        and its cumulant ``k(v)``.
    """
    restarts = check_int("restarts", restarts, minimum=1)
    steps = check_int("steps", steps, minimum=1)
    direction = -1.0 if check_choice("sign", sign, SIGNS) == "negative" else 1.0
    step_size = check_real("step_size", step_size, low=0.0, low_open=True)
    x = _data(x)
    v = torch.randn(restarts, x.shape[1], generator=generator, dtype=x.dtype).to(x.device)
    v = v / v.norm(dim=-1, keepdim=True)
    for t in range(steps):
        g = direction * _gradient(x - x.mean(0), v)  # (re-centring as cumulant4_gradient does)
        g = g - (g * v).sum(-1, keepdim=True) * v  # tangent to the sphere
        eta = step_size * 0.01 ** (t / max(1, steps - 1))
        v = v + eta * g / g.norm(dim=-1, keepdim=True).clamp(min=1e-30)
        v = v / v.norm(dim=-1, keepdim=True)
    k = cumulant4(x, v)
    best = int((direction * k).argmax())
    out = v[best]
    return out * torch.sign(out[out.abs().argmax()]), k[best]
